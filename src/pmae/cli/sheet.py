"""``pmae sheet``: the thematic sheets *Les ESSentiels* of a bundle, for a theme or all.

It parses arguments, prints, and records the sheets as productions; the sheets are made by
:mod:`pmae.render.sheets`. Exit codes: 0 ok, 1 the bundle has errors (or would have them with the
productions), 2 usage error (unknown theme or département, a folder that is not one of
sheets, no Chromium for a PDF).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from pmae.cli.common import (
    check_audience_option,
    check_output,
    date_option,
    echo_update,
    lang_option,
    open_update,
    prepare_update,
    reference_date,
    session_of,
)
from pmae.cli.db import DataSource, data_option
from pmae.i18n import N_
from pmae.i18n import gettext as _
from pmae.model import Bundle
from pmae.render.progress import TerminalProgress
from pmae.render.sheets import (
    FORMATS,
    PdfError,
    Sheet,
    as_production,
    build_sheets,
    find_chromium,
    production_id,
    record_sheets,
    save_sheets,
)
from pmae.sessions import Session
from pmae.territories import TerritoryError
from pmae.updates import BundleUpdate, PreparedUpdate

__all__ = ["sheet"]

#: What to do about a bundle of a newer format that --record would degrade (there is no -o
#: for the bundle: the sheets' folder is the output).
_NEWER_HINT = N_("record the sheets with a pmae that reads this format, or leave --record out")


def _formats(value: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    unknown = [v for v in chosen if v not in FORMATS]
    if unknown or not chosen:
        raise click.UsageError(_("--format: choose among {formats}, separated by commas (not "
                                 "{value!r})").format(formats=",".join(FORMATS), value=value))
    return chosen


def _departement(value: str | None, session: Session) -> str | None:
    if value is None:
        return None
    code = value if value.startswith("dep:") else f"dep:{value}"
    try:
        level = session.territories.parse(code).level
    except TerritoryError:
        level = None
    if level != "dep":
        raise click.UsageError(_("--dep {value!r} is not a département code (69, 2A, 974…)")
                               .format(value=value))
    return code


@click.command()
@data_option
@click.option("--theme", help="The theme of the sheet (a code of `pmae vocab themes`).")
@click.option("--all", "all_themes", is_flag=True,
              help="One sheet per theme the bundle speaks of, and an index.")
@click.option("--dep", help="The département the sheet is for (69, 2A…); default: all.")
@click.option("--format", "formats", default=",".join(FORMATS), show_default=True,
              help="Formats to write, separated by commas: md, html, pdf.")
@lang_option(N_("Language of the sheets."))
@click.option("--audience", default="public", show_default=True,
              help="public, network, recipient:<network-or-actor-id>, or all.")
@date_option(N_("The sheets' date, YYYY-MM-DD: the offers in force that day are listed "
                "(default: today)."))
@click.option("--record", is_flag=True,
              help="Also record each sheet in BUNDLE as a production (fiche_thematique).")
@click.option("--by", "authors", multiple=True,
              help="With --record: actor id of an author (repeat for several).")
@click.option("-o", "--output", required=True, help="The folder to write the sheets into.")
@click.option("--force", is_flag=True,
              help="Replace a folder that is not empty (previous sheets too).")
@click.pass_context
def sheet(ctx: click.Context,
          bundle: str | None, db_path: str | None,
          theme: str | None, all_themes: bool, dep: str | None, formats: str,
          lang: str, audience: str, today: dt.datetime | None, record: bool,
          authors: tuple[str, ...], output: str, force: bool) -> None:
    """Write the thematic sheets (Les ESSentiels) of BUNDLE into the folder OUTPUT.

    A sheet says what a theme covers, lists the tools and resources on it, the offers in force
    at each stage of the support chain for the département (or everywhere) with their actors,
    the meetings and productions on the theme, its date and sources. In Markdown, HTML and
    PDF (printed by headless Chromium). Only what the audience may see is shown.

    \b
    pmae sheet BUNDLE --theme formation_pro --dep 69 -o fiches
    pmae sheet BUNDLE --all --format md,html -o fiches
    pmae sheet BUNDLE --theme gepp -o fiches --record --by lma-ra:lma

    Without BUNDLE it reads the store (--db PATH, else PMAE_DB, else pmae.db); --record
    needs a BUNDLE.
    """
    if (theme is None) == (not all_themes):
        raise click.UsageError(_("give --theme THEME or --all (one of them)"))
    if record != bool(authors):
        raise click.UsageError(_("--record needs --by ACTOR_ID (who wrote the sheets), and "
                                 "--by is for --record"))
    chosen = _formats(formats)
    check_audience_option(audience)
    source = DataSource.of(ctx, bundle, db_path)
    if record:
        source.refuse_writing("--record")
    check_output(output, *source.paths, kind="folder", force=force)
    target = Path(output)
    if "pdf" in chosen:
        try:
            find_chromium()
        except PdfError as error:
            raise click.UsageError(_("{error}; or leave pdf out: --format md,html").format(
                error=error)) from None
    session = session_of(ctx)
    departement = _departement(dep, session)
    if theme is not None and theme not in session.vocabularies["themes"]:
        raise click.UsageError(_("unknown theme {value!r}: `pmae vocab themes` lists them")
                               .format(value=theme))
    # With --record the bundle is read once, as the update it will be (refusals come first).
    update = open_update(ctx, bundle, None, hint=_(_NEWER_HINT)) if record and bundle else None
    data = (update.bundle if update is not None
            else source.load(ctx, why=_("nothing was written")))
    with TerminalProgress("pmae sheet") as progress:
        sheets = build_sheets(data, None if theme is None else (theme,),
                              departement=departement, audience=audience, lang=lang,
                              today=reference_date(ctx, today), session=session,
                              progress=progress)
    recorded = _recorded(update, sheets, authors) if update is not None else None
    try:
        with TerminalProgress("pmae sheet") as progress:
            result = save_sheets(sheets, target, formats=chosen, index=all_themes,
                                 overwrite=force, progress=progress)
    except FileExistsError as error:
        raise click.UsageError(str(error)) from None
    except PdfError as error:
        raise click.ClickException(str(error)) from None
    click.echo(_("wrote {output}: {sheets} sheet(s), {files} file(s)").format(
        output=output, sheets=len(sheets), files=len(result.files)))
    if recorded is not None:
        written = recorded.write()
        ids = [p.id for p in written.bundle.productions[-len(sheets):]]
        echo_update(written, _("recorded in {path}: {n} production(s) ({ids})").format(
            path=written.path, n=len(sheets), ids=", ".join(ids)))


def _recorded(update: BundleUpdate, sheets: tuple[Sheet, ...],
              authors: tuple[str, ...]) -> PreparedUpdate:
    """The bundle with the sheets as productions, validated whole: exits 1 if it would not
    be valid, before anything is written."""
    actors = {a.id for a in update.bundle.actors}
    for author in authors:
        if author not in actors:
            raise click.UsageError(_("--by {by!r} is not an actor of {path}").format(
                by=author, path=update.path))

    def change(bundle: Bundle) -> Bundle:
        productions = [as_production(s, id=production_id(s, bundle.source.slug),
                                     authors=authors) for s in sheets]
        return record_sheets(bundle, productions)

    try:
        return prepare_update(update, change, what=_("these sheets"), hint=_(_NEWER_HINT))
    except ValueError as error:
        raise click.UsageError(str(error)) from None
