"""``pmae import``: a file read by a registered importer, validated, written as a bundle.

The output is a new bundle: an existing file there is replaced as a whole (atomically), not
updated, so there is nothing of it to keep; the output may not be the file imported. Tables
alone (``offers.csv``, an ``.xlsx`` with an ``offers`` sheet) update the bundle already at the
output instead (see :func:`pmae.exchange.import_file`).
"""

from __future__ import annotations

from pathlib import Path

import click

from pmae.cli.common import (
    FORMAT_OPTION,
    check_output,
    checked_options,
    echo_json,
    echo_update,
    echo_warnings,
    open_update,
    parse_options,
    prepare_update,
    print_issues,
    report_and_exit,
    session_of,
)
from pmae.exchange import import_file
from pmae.io.bundles import write_bundle
from pmae.model import Bundle
from pmae.updates import BundleUpdate

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

    Nothing is written when the import has errors (exit 1). PATH may also hold some tables
    alone (offers.csv; an .xlsx with only an offers sheet): they update the bundle OUTPUT,
    which must exist (records by id; nothing is removed).
    """
    session = session_of(ctx)
    try:
        importer = session.importer(fmt)
    except LookupError as error:
        raise click.UsageError(str(error.args[0])) from None
    check_output(output, path)
    given = checked_options(importer, parse_options(options), "importer")
    updates: list[BundleUpdate | None] = []

    def bundle_to_update() -> Bundle | None:
        # Called only for tables alone: the bundle at the output is the one they update.
        update = (open_update(ctx, output, None, hint="update it with that version of pmae")
                  if Path(output).is_file() else None)
        updates.append(update)
        return None if update is None else update.bundle

    report = import_file(fmt, path, options=given, session=session, into=bundle_to_update,
                         on_warnings=echo_warnings)
    if not report.ok or report.bundle is None:
        why = "nothing was written"
        if updates == [None]:
            why += (f": {path} holds tables without the envelope, which update an existing "
                    "bundle: give that bundle as -o")
        report_and_exit(report.issues, output_format, why)
    if report.tables_only and updates and updates[0] is not None:
        merged = report.bundle
        result = prepare_update(updates[0], lambda _: merged, what="these tables",
                                hint="import again").write()
        if output_format == "json":
            echo_json([issue.to_dict() for issue in report.issues])
        else:
            print_issues(report.issues, summary=bool(report.issues))
        echo_update(result, f"updated {output} from {path}", err=False)
        return
    write_bundle(report.bundle, output)
    if output_format == "json":
        echo_json([issue.to_dict() for issue in report.issues])
    else:
        print_issues(report.issues, summary=bool(report.issues))
        click.echo(f"wrote {output}: {sum(report.bundle.counts().values())} records")
