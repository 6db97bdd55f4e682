"""``pmae sheet``: the thematic sheets *Les ESSentiels* of a bundle, for a theme or all.

It parses arguments, prints, and records the sheets as productions; the sheets are made by
:mod:`pmae.sheets`. Exit codes: 0 ok, 1 the bundle has errors (or would have them with the
productions), 2 usage error (unknown theme or département, a folder that is not one of
sheets, no Chromium for a PDF).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from pmae.commands import check_not_input, plugin_manager
from pmae.io.audience import UnknownAudienceError, check_audience
from pmae.io.bundles import dumps_bundle, write_bundle
from pmae.io.files import parse_json
from pmae.io.pipeline import validate_document, validate_file
from pmae.model import Bundle
from pmae.plugins.manager import PluginManager
from pmae.sheets import (
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
from pmae.territories import TerritoryError

__all__ = ["sheet"]


def _formats(value: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    unknown = [v for v in chosen if v not in FORMATS]
    if unknown or not chosen:
        raise click.UsageError(f"--format: choose among {','.join(FORMATS)}, separated by "
                               f"commas (not {value!r})")
    return chosen


def _departement(value: str | None, manager: PluginManager) -> str | None:
    if value is None:
        return None
    code = value if value.startswith("dep:") else f"dep:{value}"
    try:
        level = manager.territories().parse(code).level
    except TerritoryError:
        level = None
    if level != "dep":
        raise click.UsageError(f"--dep {value!r} is not a département code (69, 2A, 974…)")
    return code


@click.command()
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--theme", help="The theme of the sheet (a code of `pmae vocab themes`).")
@click.option("--all", "all_themes", is_flag=True,
              help="One sheet per theme the bundle speaks of, and an index.")
@click.option("--dep", help="The département the sheet is for (69, 2A…); default: all.")
@click.option("--format", "formats", default=",".join(FORMATS), show_default=True,
              help="Formats to write, separated by commas: md, html, pdf.")
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True,
              help="Language of the sheets.")
@click.option("--audience", default="public", show_default=True,
              help="public, network, recipient:<network-or-actor-id>, or all.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The sheets' date: offers in force that day (default: the bundle's date).")
@click.option("--record", is_flag=True,
              help="Also record each sheet in BUNDLE as a production (fiche_thematique).")
@click.option("--by", "authors", multiple=True,
              help="With --record: actor id of an author (repeat for several).")
@click.option("-o", "--output", required=True, help="The folder to write the sheets into.")
@click.option("--force", is_flag=True,
              help="Replace a non-empty folder that is not a folder of pmae sheets.")
def sheet(bundle: str, theme: str | None, all_themes: bool, dep: str | None, formats: str,
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
    """
    if (theme is None) == (not all_themes):
        raise click.UsageError("give --theme THEME or --all (one of them)")
    if record != bool(authors):
        raise click.UsageError("--record needs --by ACTOR_ID (who wrote the sheets), and "
                               "--by is for --record")
    chosen = _formats(formats)
    try:
        check_audience(audience)
    except UnknownAudienceError as error:
        raise click.UsageError(str(error)) from None
    check_not_input(output, bundle)
    target = Path(output)
    if not target.resolve().parent.is_dir():
        raise click.UsageError(f"cannot write {output}: the folder "
                               f"{target.resolve().parent} does not exist")
    if target.exists() and not target.is_dir():
        raise click.UsageError(f"cannot write {output}: it is a file, not a folder")
    if "pdf" in chosen:
        try:
            find_chromium()
        except PdfError as error:
            raise click.UsageError(f"{error}; or leave pdf out: --format md,html") from None
    manager = plugin_manager()
    departement = _departement(dep, manager)
    if theme is not None and theme not in manager.vocabularies()["themes"]:
        raise click.UsageError(f"unknown theme {theme!r}: `pmae vocab themes` lists them")
    validated = validate_file(bundle, context=manager.check_context(),
                              extra_checks=manager.check_functions())
    if not validated.ok or validated.bundle is None:
        for issue in validated.issues:
            click.echo(issue.render())
        click.echo(f"{bundle}: the bundle has errors; nothing was written", err=True)
        sys.exit(1)
    sheets = build_sheets(validated.bundle, None if theme is None else (theme,),
                          departement=departement, audience=audience, lang=lang,
                          today=today.date() if today else None, manager=manager)
    recorded = _recorded(manager, bundle, validated.bundle, sheets, authors) if record else None
    try:
        result = save_sheets(sheets, target, formats=chosen, index=all_themes, overwrite=force)
    except FileExistsError as error:
        raise click.UsageError(str(error)) from None
    except PdfError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"wrote {output}: {len(sheets)} sheet(s), {len(result.files)} file(s)")
    if recorded is not None:
        write_bundle(recorded, bundle)
        click.echo(f"recorded in {bundle}: {len(sheets)} production(s) "
                   f"({', '.join(p.id for p in recorded.productions[-len(sheets):])})", err=True)


def _recorded(manager: PluginManager, path: str, bundle: Bundle, sheets: tuple[Sheet, ...],
              authors: tuple[str, ...]) -> Bundle:
    """``bundle`` with the sheets as productions, validated whole: exits 1 if it would not
    be valid, before anything is written."""
    actors = {a.id for a in bundle.actors}
    for author in authors:
        if author not in actors:
            raise click.UsageError(f"--by {author!r} is not an actor of {path}")
    productions = [as_production(s, id=production_id(s, bundle.source.slug), authors=authors)
                   for s in sheets]
    try:
        recorded = record_sheets(bundle, productions)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    # Validate exactly what will be written, so a bundle that would not load again never
    # replaces the one the user has.
    check = validate_document(parse_json(dumps_bundle(recorded), file=path), file=path,
                              context=manager.check_context(),
                              extra_checks=manager.check_functions())
    if not check.ok:
        for issue in check.issues:
            click.echo(issue.render(), err=True)
        click.echo(f"nothing was written: {path} would not be valid with these sheets",
                   err=True)
        sys.exit(1)
    return recorded
