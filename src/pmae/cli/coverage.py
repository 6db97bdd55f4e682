"""``pmae coverage``: the coverage of the territorial offer, its gaps, and the actors' graph.

It parses arguments and prints; the analysis is in :mod:`pmae.analysis.coverage` and
:mod:`pmae.analysis.complementarity`. Exit codes: 0 ok (gaps are findings, not errors), 1 the
bundle has errors, 2 usage error.
"""

from __future__ import annotations

import datetime as dt
import io

import click
import orjson

from pmae.analysis.complementarity import Complementarity, complementarity_of
from pmae.analysis.coverage import Coverage, coverage
from pmae.cli.common import (
    FORCE_OPTION,
    RESULT_FILE_OPTION,
    check_output,
    date_option,
    format_option,
    lang_option,
    reference_date,
    session_of,
    write_result,
)
from pmae.cli.db import DataSource, data_option
from pmae.i18n import N_
from pmae.i18n import gettext as _
from pmae.render.complementarity import render_complementarity, write_complementarity_csv
from pmae.render.coverage import render_coverage, write_coverage_csv
from pmae.sessions import Session
from pmae.territories import TerritoryError

__all__ = ["coverage_command"]


@click.command("coverage")
@data_option
@click.option("--level", type=click.Choice(["dep", "reg"]), default="dep", show_default=True,
              help="Grid territories: départements or régions.")
@click.option("--region", default=None,
              help="Territory whose départements make the grid (reg:84, fr…); default: every "
                   "région the bundle's offers and actors touch.")
@click.option("--theme", "themes", multiple=True, help="Only this theme (repeatable).")
@click.option("--stage", "stages", multiple=True, help="Only this stage (repeatable).")
@date_option(N_("Offers in force on this day, YYYY-MM-DD (default: today)."))
@click.option("--redundant-at", type=click.IntRange(min=1), default=3, show_default=True,
              help="Distinct actors covering a whole cell from which it is redundant.")
@click.option("--gaps", "gaps_only", is_flag=True, help="Only the zones blanches.")
@click.option("--graph", is_flag=True,
              help="The complementarity graph of the actors instead of the grid.")
@format_option("text", "json", "csv")
@lang_option("Language of the text output.")
@RESULT_FILE_OPTION
@FORCE_OPTION
@click.pass_context
def coverage_command(ctx: click.Context,
                     bundle: str | None, db_path: str | None, level: str,
                     region: str | None, themes: tuple[str, ...],
                     stages: tuple[str, ...], today: dt.datetime | None, redundant_at: int,
                     gaps_only: bool, graph: bool, output_format: str, lang: str,
                     output: str | None, force: bool) -> None:
    """Coverage of the offers in BUNDLE: territory × theme × stage, gaps, redundancy.

    For each département (or région) of the grid, theme and stage: the offers in force that
    cover it, their actors and the needs observed there. The text output has a table per theme
    (∅ marks a zone blanche) then the gaps, those where needs were observed first. --graph
    prints which actors complete each other (same theme and territory, different stages) and
    which overlap (same theme, stage and territory).

    Without BUNDLE it reads the store (--db PATH, else PMAE_DB, else pmae.db).
    """
    if gaps_only and graph:
        raise click.UsageError(_("--gaps and --graph are two different outputs: choose one"))
    source = DataSource.of(ctx, bundle, db_path)
    check_output(output, *source.paths, force=force)
    session = session_of(ctx).evolve(lang=lang)
    vocabularies, territories = session.vocabularies, session.territories
    _check_codes("--theme", themes, vocabularies["themes"].codes())
    _check_codes("--stage", stages, vocabularies["stages"].codes())
    if region is not None and not territories.exists(region):
        raise click.BadParameter(_("{region!r} is not a known territory (write it with its "
                                   "level: reg:84, dep:69, fr)").format(region=region),
                                 param_hint="--region")
    # From a store, the needs come counted by territory, theme and stage (all the grid reads of
    # them), a département's communes together: a few thousand rows for a national store's
    # million needs.
    data = source.load(ctx, output_format=output_format,
                       collections=("actors", "offers", "need_counts"), light=True,
                       territories=territories)
    try:
        grid = coverage(data, level=level, region=region, themes=themes or None,
                        stages=stages or None, today=reference_date(ctx, today),
                        redundant_at=redundant_at, session=session,
                        need_counts=getattr(data, "need_counts", None))
    except TerritoryError as error:  # pragma: no cover - region checked above
        raise click.BadParameter(str(error), param_hint="--region") from None
    if graph:
        text = _graph_output(complementarity_of(grid, data), output_format, session)
    else:
        text = _grid_output(grid, output_format, gaps_only, session)
    write_result(text, output)


def _check_codes(option: str, given: tuple[str, ...], known: tuple[str, ...]) -> None:
    unknown = [c for c in given if c not in known]
    if unknown:
        raise click.BadParameter(
            _("unknown code {codes}; known: {known}").format(
                codes=", ".join(map(repr, unknown)), known=", ".join(known)),
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
