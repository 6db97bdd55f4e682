"""``pmae import``: a file read by a registered importer, validated, written as a bundle.

Written to a new file, the import is a new bundle. Into an existing bundle (``--into BUNDLE``,
or ``-o`` naming a bundle that exists) it updates that bundle by id (:func:`pmae.io.upsert.
upsert`): records added and changed are said, nothing is removed without ``--replace``, and
what an export for an audience left out is kept. ``--force`` replaces an existing ``-o`` file
with the import instead. The output is never the file imported. Tables alone (``offers.csv``,
an ``.xlsx`` with an ``offers`` sheet) can only update a bundle: the one at ``-o`` (or
``--into``), see :func:`pmae.exchange.import_file`.
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
    same_file,
    session_of,
)
from pmae.exchange import import_file
from pmae.i18n import N_
from pmae.i18n import gettext as _
from pmae.io.bundles import write_bundle
from pmae.io.upsert import Upserted, upsert
from pmae.model import Bundle

__all__ = ["import_command"]

_NEWER_HINT = N_("write the result to another file with -o")


@click.command("import")
@click.argument("fmt")
@click.argument("path", type=click.Path(exists=True))
@click.option("-o", "--output", default=None,
              help="The bundle to write (.json or .jsonl); if it exists, it is updated by id.")
@click.option("--into", "into", type=click.Path(exists=True, dir_okay=False),
              help="Update this bundle by id with what PATH holds (written back to it, or to "
                   "-o).")
@click.option("--replace", is_flag=True,
              help="When updating: also remove the records the import could hold and does not.")
@click.option("--force", is_flag=True,
              help="Replace an existing -o file: by the import instead of updating it, or by "
                   "the updated --into bundle.")
@click.option("--option", "options", multiple=True, help="KEY=VALUE for the importer.")
@FORMAT_OPTION
@click.pass_context
def import_command(ctx: click.Context, fmt: str, path: str, output: str | None,
                   into: str | None, replace: bool, force: bool,
                   options: tuple[str, ...], output_format: str) -> None:
    """Import PATH with the importer FMT, validate it, and write it as a bundle.

    \b
    pmae import csv tables -o new.json          a new bundle
    pmae import csv tables -o bundle.json       bundle.json exists: updated by id
    pmae import csv tables --into bundle.json [-o updated.json] [--replace]

    Into an existing bundle, records are matched by id: new ones are added, the import's
    version of the others replaces the fields it changed, and the counts of what was added,
    changed and removed are printed. Nothing is removed without --replace; records that the
    audience of an export could not see (pmae export --audience public) are always kept.
    Nothing is written when the import has errors (exit 1).
    """
    if output is None and into is None:
        raise click.UsageError(
            _("give -o FILE (a new bundle, or one to update) or --into BUNDLE"))
    # The file imported, or one in the folder imported, is never written (not even updated).
    check_output(output, path, force=True)
    if into is None and output is not None and Path(output).is_file() and not force:
        into, output = output, None  # -o names a bundle that exists: update it
    if into is None and replace:
        raise click.UsageError(_("--replace is for updating a bundle that exists (--into)"))
    if into is not None and force and output is None:
        raise click.UsageError(
            _("--force replaces an -o file; --into updates BUNDLE in place"))
    if into is not None:
        check_output(into, path, force=True)
    session = session_of(ctx)
    try:
        importer = session.importer(fmt)
    except LookupError as error:
        raise click.UsageError(str(error.args[0])) from None
    check_output(output, path, force=force or same_file(output, into))
    given = checked_options(importer, parse_options(options), "importer")
    update = open_update(ctx, into, output, hint=_(_NEWER_HINT)) if into is not None else None
    asked: list[bool] = []

    def bundle_to_update() -> Bundle | None:
        # Called only for tables alone (no envelope): they update the bundle given.
        asked.append(True)
        return None if update is None else update.bundle

    report = import_file(fmt, path, options=given, session=session, into=bundle_to_update,
                         on_warnings=echo_warnings)
    if not report.ok or report.bundle is None:
        why = _("nothing was written")
        if asked and update is None:
            why = _("nothing was written: {path} holds tables without the envelope, which "
                    "update an existing bundle: give that bundle as -o (or --into)").format(
                        path=path)
        report_and_exit(report.issues, output_format, why)
    if output_format == "json":
        echo_json([issue.to_dict() for issue in report.issues])
    else:
        print_issues(report.issues, summary=bool(report.issues))
    if report.tables_only and update is not None:
        # Tables alone were read into the bundle already: write it as it came back.
        merged_tables = report.bundle
        result = prepare_update(update, lambda _: merged_tables, what=_("these tables"),
                                hint=_(_NEWER_HINT)).write()
        echo_update(result, _("updated {output} from {path}").format(output=result.path,
                                                                     path=path),
                    err=output_format == "json")
        return
    if update is None:
        assert output is not None
        write_bundle(report.bundle, output)
        if output_format != "json":
            click.echo(_("wrote {output}: {records} records").format(
                output=output, records=sum(report.bundle.counts().values())))
        return
    incoming = report.bundle
    merged: list[Upserted] = []

    def change(bundle: Bundle) -> Bundle:
        merged[:] = [upsert(bundle, incoming, replace=replace)]
        return merged[0].bundle

    result = prepare_update(update, change, what=_("this import"), hint=_(_NEWER_HINT)).write()
    done = merged[0]
    said_update = (_("updated {output} by id from {path}") if result.written else
                   _("updated {output} by id from {path} (nothing to write)"))
    echo_update(result, said_update.format(output=result.path, path=path),
                err=output_format == "json")
    said = click.echo if output_format != "json" else _to_stderr
    if done.absent:
        counts = ", ".join(f"{name}: {n}" for name, n in done.absent.items())
        said((_("removed (--replace), absent from the import: {counts}") if done.replaced else
              _("kept, absent from the import: {counts} (--replace removes them)")).format(
                  counts=counts))
    if done.hidden:
        counts = ", ".join(f"{name}: {n}" for name, n in done.hidden.items())
        said(_("kept, not visible to the import's audience {audience}: {counts}").format(
            audience=done.audience, counts=counts))


def _to_stderr(message: str) -> None:
    click.echo(message, err=True)
