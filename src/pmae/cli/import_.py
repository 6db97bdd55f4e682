"""``pmae import``: a file read by a registered importer, validated, written as a bundle.

The output is a new bundle: an existing file there is replaced as a whole (atomically), not
updated, so there is nothing of it to keep; the output may not be the file imported.
"""

from __future__ import annotations

import click

from pmae.cli.common import (
    FORMAT_OPTION,
    check_output,
    echo_json,
    parse_options,
    print_issues,
    report_and_exit,
    session_of,
)
from pmae.exchange import import_file
from pmae.io.bundles import write_bundle

__all__ = ["import_command"]


@click.command("import")
@click.argument("fmt")
@click.argument("path", type=click.Path(exists=True))
@click.option("-o", "--output", required=True, help="The bundle to write (.json or .jsonl).")
@click.option("--option", "options", multiple=True, help="KEY=VALUE for the importer.")
@FORMAT_OPTION
@click.pass_context
def import_command(ctx: click.Context, fmt: str, path: str, output: str,
                   options: tuple[str, ...], output_format: str) -> None:
    """Import PATH with the importer FMT, validate it, and write it as a bundle.

    Nothing is written when the import has errors (exit 1).
    """
    session = session_of(ctx)
    try:
        session.importer(fmt)
    except LookupError as error:
        raise click.UsageError(str(error.args[0])) from None
    check_output(output, path)
    report = import_file(fmt, path, options=parse_options(options), session=session)
    if not report.ok or report.bundle is None:
        report_and_exit(report.issues, output_format, "nothing was written")
    write_bundle(report.bundle, output)
    if output_format == "json":
        echo_json([issue.to_dict() for issue in report.issues])
    else:
        print_issues(report.issues, summary=bool(report.issues))
        click.echo(f"wrote {output}: {sum(report.bundle.counts().values())} records")
