"""``pmae export``: a bundle for an audience, through a registered exporter."""

from __future__ import annotations

import sys

import click

from pmae.cli.common import (
    LANG_OPTION,
    check_audience_option,
    check_output,
    checked_options,
    echo_warnings,
    parse_options,
    session_of,
)
from pmae.cli.db import DataSource, data_option
from pmae.exchange import export_bundle
from pmae.i18n import gettext as _
from pmae.plugins.items import ExportError

__all__ = ["export_command"]


@click.command("export")
@data_option
@click.option("--to", "fmt", required=True, help="Exporter name (see `pmae plugins`).")
@click.option("-o", "--output", required=True, help="File or folder to write.")
@click.option("--audience", default="public", show_default=True,
              help="public, network, recipient:<network-or-actor-id>, or all.")
@click.option("--option", "options", multiple=True, help="KEY=VALUE for the exporter.")
@click.option("--force", is_flag=True,
              help="Replace the output file or folder if it exists.")
@LANG_OPTION
@click.pass_context
def export_command(ctx: click.Context, bundle: str | None, db_path: str | None,
                   fmt: str, output: str, audience: str,
                   options: tuple[str, ...], force: bool, lang: str) -> None:
    """Export BUNDLE for an audience with a registered exporter.

    Only what the audience may see reaches the exporter; a public export has no personal data.

    Without BUNDLE it reads the store (--db PATH, else PMAE_DB, else pmae.db).
    """
    check_audience_option(audience)
    session = session_of(ctx)
    try:
        exporter = session.exporter(fmt)
    except LookupError as error:
        raise click.UsageError(str(error.args[0])) from None
    source = DataSource.of(ctx, bundle, db_path)
    check_output(output, *source.paths, kind="any", force=force)
    exporter_options = checked_options(exporter, parse_options(options), "exporter")
    data = source.load(ctx, why=_("nothing was exported: fix the bundle first"))
    try:
        visible = export_bundle(data, fmt, output, audience=audience, options=exporter_options,
                                session=session, lang=lang, overwrite=force,
                                on_warnings=echo_warnings)
    except FileExistsError as error:
        raise click.UsageError(str(error)) from None
    except OSError as error:
        where = error.filename or output
        raise click.UsageError(_("cannot write {path}: {why}").format(
            path=where, why=error.strerror or error)) from None
    except ExportError as error:
        click.echo(_("pmae: export to {fmt} failed: {error}; nothing was written").format(
            fmt=fmt, error=error), err=True)
        sys.exit(1)
    click.echo(_("wrote {output} ({fmt}) from {records} records visible to the audience "
                 "{audience}").format(output=output, fmt=fmt,
                                      records=sum(visible.counts().values()),
                                      audience=audience))
