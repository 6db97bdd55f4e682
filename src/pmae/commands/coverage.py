"""``pmae coverage``: the coverage of the territorial offer, its gaps, and the actors' graph.

It parses arguments and prints; the analysis is in :mod:`pmae.analysis.coverage` and
:mod:`pmae.analysis.complementarity`. Exit codes: 0 ok (gaps are findings, not errors), 1 the
bundle has errors, 2 usage error.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from pathlib import Path

import click
import orjson

from pmae.analysis.complementarity import Complementarity, complementarity_of
from pmae.analysis.coverage import Coverage, coverage
from pmae.commands import check_not_input, plugin_manager
from pmae.io.files import atomic_writer
from pmae.io.pipeline import validate_file
from pmae.render.complementarity import render_complementarity, write_complementarity_csv
from pmae.render.coverage import render_coverage, write_coverage_csv
from pmae.sessions import Session
from pmae.territories import TerritoryError

__all__ = ["coverage_command"]


@click.command("coverage")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--level", type=click.Choice(["dep", "reg"]), default="dep", show_default=True,
              help="Grid territories: départements or régions.")
@click.option("--region", default=None,
              help="Territory whose départements make the grid (reg:84, fr…); default: every "
                   "région the bundle's offers and actors touch.")
@click.option("--theme", "themes", multiple=True, help="Only this theme (repeatable).")
@click.option("--stage", "stages", multiple=True, help="Only this stage (repeatable).")
@click.option("--date", "today", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Offers in force on this day, YYYY-MM-DD (default: the bundle's date).")
@click.option("--redundant-at", type=click.IntRange(min=1), default=3, show_default=True,
              help="Distinct actors covering a whole cell from which it is redundant.")
@click.option("--gaps", "gaps_only", is_flag=True, help="Only the zones blanches.")
@click.option("--graph", is_flag=True,
              help="The complementarity graph of the actors instead of the grid.")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "csv"]),
              default="text", show_default=True, help="How to print the result.")
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True,
              help="Language of the text output.")
@click.option("-o", "--output", default=None, help="Write the result to this file (atomically).")
def coverage_command(bundle: str, level: str, region: str | None, themes: tuple[str, ...],
                     stages: tuple[str, ...], today: dt.datetime | None, redundant_at: int,
                     gaps_only: bool, graph: bool, output_format: str, lang: str,
                     output: str | None) -> None:
    """Coverage of the offers in BUNDLE: territory × theme × stage, gaps, redundancy.

    For each département (or région) of the grid, theme and stage: the offers in force that
    cover it, their actors and the needs observed there. The text output has a table per theme
    (∅ marks a zone blanche) then the gaps, those where needs were observed first. --graph
    prints which actors complete each other (same theme and territory, different stages) and
    which overlap (same theme, stage and territory).
    """
    if gaps_only and graph:
        raise click.UsageError("--gaps and --graph are two different outputs: choose one")
    check_not_input(output, bundle)
    if output is not None:
        folder = Path(output).resolve().parent
        if not folder.is_dir():
            raise click.UsageError(f"cannot write {output}: the folder {folder} does not exist")
        if Path(output).is_dir():
            raise click.UsageError(f"cannot write {output}: it is a folder; give a file name")
    manager = plugin_manager()
    session = Session(plugins=manager, lang=lang)
    vocabularies, territories = session.vocabularies, session.territories
    _check_codes("--theme", themes, vocabularies["themes"].codes())
    _check_codes("--stage", stages, vocabularies["stages"].codes())
    if region is not None and not territories.exists(region):
        raise click.BadParameter(f"{region!r} is not a known territory (write it with its "
                                 "level: reg:84, dep:69, fr)", param_hint="--region")
    report = validate_file(bundle, context=manager.check_context(),
                           extra_checks=manager.check_functions())
    if not report.ok or report.bundle is None:
        if output_format == "json":
            click.echo(orjson.dumps([i.to_dict() for i in report.issues],
                                    option=orjson.OPT_INDENT_2).decode())
        else:
            for issue in report.issues:
                click.echo(issue.render(), err=True)
            click.echo(f"{bundle}: the bundle has errors; fix them first", err=True)
        sys.exit(1)
    try:
        grid = coverage(report.bundle, level=level, region=region, themes=themes or None,
                        stages=stages or None, today=today.date() if today else None,
                        redundant_at=redundant_at, session=session)
    except TerritoryError as error:  # pragma: no cover - region checked above
        raise click.BadParameter(str(error), param_hint="--region") from None
    if graph:
        text = _graph_output(complementarity_of(grid, report.bundle), output_format, session)
    else:
        text = _grid_output(grid, output_format, gaps_only, session)
    if output is None:
        click.echo(text, nl=False)
        return
    with atomic_writer(output, "w") as handle:
        handle.write(text)
    click.echo(f"wrote {output}", err=True)


def _check_codes(option: str, given: tuple[str, ...], known: tuple[str, ...]) -> None:
    unknown = [c for c in given if c not in known]
    if unknown:
        raise click.BadParameter(
            f"unknown code {', '.join(map(repr, unknown))}; known: {', '.join(known)}",
            param_hint=option)


def _grid_output(grid: Coverage, output_format: str, gaps_only: bool,
                 session: Session) -> str:
    if output_format == "json":
        data = grid.to_json()
        if gaps_only:
            data["cells"] = [c for c in data["cells"] if c["status"] == "zone_blanche"]
            order = {(g.territory, g.theme, g.stage): i for i, g in enumerate(grid.gaps())}
            data["cells"].sort(key=lambda c: order[(c["territory"], c["theme"], c["stage"])])
        return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"
    if output_format == "csv":
        buffer = io.StringIO()
        write_coverage_csv(grid, buffer, cells=grid.gaps() if gaps_only else None)
        return buffer.getvalue()
    return render_coverage(grid, session=session, gaps_only=gaps_only)


def _graph_output(graph: Complementarity, output_format: str, session: Session) -> str:
    if output_format == "json":
        return orjson.dumps(graph.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n"
    if output_format == "csv":
        buffer = io.StringIO()
        write_complementarity_csv(graph, buffer)
        return buffer.getvalue()
    return render_complementarity(graph, session=session)
