"""``pmae merge``: merge bundles into one, keeping provenance, never overwriting a record."""

from __future__ import annotations

import sys

import click

from pmae.cli.common import (
    FORCE_OPTION,
    FORMAT_OPTION,
    check_output,
    echo_json,
    print_issues,
    report_and_exit,
    session_of,
)
from pmae.i18n import gettext as _
from pmae.i18n import ngettext
from pmae.io.bundles import merge_bundles, write_bundle
from pmae.model import Source

__all__ = ["merge"]


@click.command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("-o", "--output", required=True, help="The merged bundle (.json or .jsonl).")
@click.option("--source", "slug", default="fusion", show_default=True,
              help="Slug of whoever publishes the merged bundle.")
@click.option("--name", default=None, help="Name of whoever publishes the merged bundle.")
@click.option("--licence", default=None,
              help="Licence of the merged bundle (required when the inputs' licences differ).")
@FORCE_OPTION
@FORMAT_OPTION
@click.pass_context
def merge(ctx: click.Context, files: tuple[str, ...], output: str, slug: str, name: str | None,
          licence: str | None, output_format: str, force: bool) -> None:
    """Merge bundle FILES into one, keeping provenance.

    Every input is validated first. The same id with different content is a conflict: it is
    reported and nothing is written (exit 1), so no record is ever overwritten silently.
    """
    check_output(output, *files, force=force)
    session = session_of(ctx)
    reports = [session.validate_file(file) for file in files]
    issues = [issue for report in reports for issue in report.issues]
    if any(not report.ok for report in reports):
        report_and_exit(issues, output_format, _("nothing was written: fix the inputs first"))
    bundles = [report.bundle for report in reports if report.bundle is not None]
    licences = sorted({bundle.licence for bundle in bundles})
    if licence is None and len(licences) > 1:
        raise click.UsageError(
            _("the bundles have different licences ({licences}): say which one the merged "
              "bundle is published under with --licence").format(licences=", ".join(licences)))
    result = merge_bundles(bundles, files=list(files), licence=licence, source=Source(
        slug=slug, name=name or f"Fusion de {len(files)} bundles"))
    issues += result.issues
    if result.conflicts:
        report_and_exit(issues, output_format, _("nothing was written: resolve the conflicts"))
    # Validate the file written: the merged whole must hold together.
    write_bundle(result.bundle, output)
    merged = session.validate_file(output)
    issues += merged.issues
    if output_format == "json":
        echo_json([issue.to_dict() for issue in issues])
    else:
        print_issues(issues, summary=bool(issues))
        counts = result.bundle.counts()
        click.echo(ngettext("wrote {output}: {records} records from {n} bundle",
                            "wrote {output}: {records} records from {n} bundles", len(files))
                   .format(output=output, records=sum(counts.values()), n=len(files)))
    sys.exit(1 if not merged.ok else 0)
