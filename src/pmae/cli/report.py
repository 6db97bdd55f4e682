"""``pmae report``: the static, offline site of a bundle, for an audience.

It parses arguments and prints; the pages are made by :mod:`pmae.render.report`. Exit codes: 0 ok,
1 the bundle has errors, 2 usage error (bad audience, a folder that is not a report).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from pmae.cli.common import (
    check_audience_option,
    check_output,
    date_option,
    reference_date,
    session_of,
)
from pmae.cli.db import DataSource, data_option
from pmae.i18n import N_
from pmae.i18n import gettext as _
from pmae.render.progress import TerminalProgress
from pmae.render.report import build_report

__all__ = ["report"]


@click.command()
@data_option
@click.option("-o", "--output", required=True, help="The folder to write the site into.")
@click.option("--audience", default="public", show_default=True,
              help="public, network, recipient:<network-or-actor-id>, or all.")
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True,
              help="Language of the pages.")
@date_option(N_("The report's date, YYYY-MM-DD: the offers in force that day, the meetings "
                "of its year (default: today)."))
@click.option("--force", is_flag=True,
              help="Replace a folder that is not empty (a previous report too).")
@click.option("--sheets", is_flag=True,
              help="Also write the thematic sheets Les ESSentiels (HTML, Markdown) in "
                   "OUTPUT/fiches, linked from the pages. Without it, sheets that pmae sheet "
                   "wrote in OUTPUT/fiches for the same audience are kept and linked.")
@click.pass_context
def report(ctx: click.Context,
           bundle: str | None, db_path: str | None,
           output: str, audience: str, lang: str, today: dt.datetime | None, force: bool,
           sheets: bool) -> None:
    """Write the report of BUNDLE: a static site to read offline, in the folder OUTPUT.

    Pages: key figures, the directory of actors and offers (by theme, stage and département,
    with a search box), the coverage heatmaps linked to the offers, the zones blanches where the
    shared diagnosis publishes needs, maps of the départements, the support chain per theme,
    the shared diagnosis (with statistical secrecy) and the year's meetings. Only what the
    audience may see is shown. A folder that is not empty (a previous report too) is replaced
    as a whole only with --force. On a terminal, a progress line shows on standard error while
    the pages are written.

    Without BUNDLE it reads the store (--db PATH, else PMAE_DB, else pmae.db).
    """
    check_audience_option(audience)
    source = DataSource.of(ctx, bundle, db_path)
    check_output(output, *source.paths, kind="folder", force=force)
    target = Path(output)
    session = session_of(ctx)
    data = source.load(ctx, why=_("nothing was written"))
    try:
        with TerminalProgress("pmae report") as progress:
            result = build_report(data, target, audience=audience, lang=lang,
                                  today=reference_date(ctx, today), session=session,
                                  overwrite=force, sheets=sheets, progress=progress)
    except FileExistsError as error:
        raise click.UsageError(str(error)) from None
    click.echo(_("wrote {output}: {n} pages for the audience {audience} (open {index})").format(
        output=output, n=len(result.pages), audience=audience, index=target / "index.html"))
    if result.kept_sheets:
        click.echo(_("kept {folder}: the sheets pmae sheet wrote there for this audience, "
                     "linked from the pages").format(folder=target / "fiches"))
    if result.sheets is not None:
        click.echo(_("wrote {folder}: {n} sheet(s), linked from the pages (open {index})")
                   .format(folder=result.sheets.path, n=len(result.sheets.sheets),
                           index=result.sheets.path / "index.html"))
