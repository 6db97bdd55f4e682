"""The coverage grid as people read it (text tables, then the gaps) and as a CSV table.

What is rendered is computed by :func:`pmae.analysis.coverage.coverage`. Labels (themes, stages,
territories) and the language come from the session (``session=``; :func:`pmae.session` by
default); ``lang=``, ``vocabularies=`` and ``territories=`` override its.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Final, TextIO

from pmae.io.csv_writer import safe_writer
from pmae.render.labels import format_date
from pmae.render.text import STAGE_HEADINGS, text_table
from pmae.sessions import session as current_session

if TYPE_CHECKING:
    from pmae.analysis.coverage import Coverage, CoverageCell
    from pmae.sessions import Session
    from pmae.territories import Territories
    from pmae.vocab import Vocabulary

__all__ = ["CSV_COLUMNS", "render_coverage", "write_coverage_csv"]

#: The columns of :func:`write_coverage_csv`.
CSV_COLUMNS: Final = ("territory", "theme", "stage", "status", "offers", "actors",
                      "partial_offers", "needs", "indicator", "offer_ids", "actor_ids")

_TEXT: Final[dict[str, dict[str, str]]] = {
    "fr": {
        "title": "Couverture de l'offre d'accompagnement au {date} : {territories} {level}, "
                 "{themes} thèmes, {stages} étapes",
        "dep": "départements", "reg": "régions", "department": "département",
        "region": "région",
        "offers": "Offres en vigueur : {in_force} sur {offers} ({expired} expirées, "
                  "{not_started} pas encore ouvertes) ; {outside} hors de la grille (autres "
                  "territoires, thèmes ou étapes)",
        "needs": "Besoins : {placed} placés dans la grille sur {needs} ({unstaged} sans étape, "
                 "{outside} hors territoire, {other} d'autres thèmes ou étapes)",
        "cells": "Cases : {cells} ; {blank} zones blanches (dont {blank_needs} avec besoins), "
                 "{covered} couvertes, {redundant} redondantes (au moins {at} acteurs)",
        "legend": "Légende : nombre d'offres (besoins observés) ; ∅ zone blanche ; "
                  "+ redondante ; ~ couverte seulement en partie ; ? besoins sans étape",
        "empty": "Thèmes sans offre ni besoin dans la grille : {themes}",
        "gaps_needs": "Zones blanches où des besoins ont été observés ({count})",
        "gaps_other": "Zones blanches sans besoin observé ({count}), par thème et étape",
        "needs_column": "besoins", "theme": "thème", "stage": "étape", "none": "aucune",
    },
    "en": {
        "title": "Coverage of the support offer on {date}: {territories} {level}, "
                 "{themes} themes, {stages} stages",
        "dep": "départements", "reg": "régions", "department": "département",
        "region": "région",
        "offers": "Offers in force: {in_force} of {offers} ({expired} expired, "
                  "{not_started} not yet open); {outside} outside the grid (other territories, "
                  "themes or stages)",
        "needs": "Needs: {placed} placed in the grid of {needs} ({unstaged} without a stage, "
                 "{outside} outside the territory, {other} of other themes or stages)",
        "cells": "Cells: {cells}; {blank} gaps (zones blanches, {blank_needs} with needs), "
                 "{covered} covered, {redundant} redundant (at least {at} actors)",
        "legend": "Legend: number of offers (needs observed); ∅ gap; + redundant; "
                  "~ covered only in part; ? needs without a stage",
        "empty": "Themes with no offer and no need in the grid: {themes}",
        "gaps_needs": "Gaps where needs were observed ({count})",
        "gaps_other": "Gaps with no need observed ({count}), by theme and stage",
        "needs_column": "needs", "theme": "theme", "stage": "stage", "none": "none",
    },
}


def write_coverage_csv(coverage: Coverage, stream: TextIO, *,
                       cells: Iterable[CoverageCell] | None = None) -> None:
    """One row per cell (or per cell of ``cells``), columns :data:`CSV_COLUMNS`; the offer and
    actor ids of a cell joined by `` | ``."""
    writer = safe_writer(stream, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for cell in coverage.cells.values() if cells is None else cells:
        indicator = cell.indicator
        writer.writerow([
            cell.territory, cell.theme, cell.stage, cell.status, len(cell.offers),
            len(cell.actors), len(cell.partial), cell.needs,
            "" if indicator is None else f"{indicator:.3g}",
            " | ".join(cell.offers), " | ".join(cell.actors)])


def render_coverage(
    coverage: Coverage, *, lang: str | None = None,
    vocabularies: Mapping[str, Vocabulary] | None = None,
    territories: Territories | None = None, session: Session | None = None,
    gaps_only: bool = False,
) -> str:
    """Per theme a table territory × stage, then the gaps; plain text, in the session's
    language (French by default). With ``gaps_only``, the gaps alone."""
    context = current_session(session)
    lang = lang or context.lang
    vocabularies = context.vocabularies if vocabularies is None else vocabularies
    places = context.territories if territories is None else territories
    text = _TEXT[lang]
    totals = coverage.totals()

    def label(vocabulary: str, code: str) -> str:
        return vocabularies[vocabulary].label(code, lang)

    def place(code: str) -> str:
        return f"{code.split(':', 1)[-1]} {places.name(code) or ''}".rstrip()

    lines = [text["title"].format(
        date=format_date(coverage.as_of, lang), territories=len(coverage.territories),
        level=text[coverage.level], themes=len(coverage.themes), stages=len(coverage.stages)),
        text["offers"].format(**{k.removeprefix("offers_"): v for k, v in totals.items()
                                 if k.startswith("offers")}),
        text["needs"].format(placed=totals["needs_in_cells"], needs=totals["needs"],
                             unstaged=totals["needs_without_stage"],
                             outside=totals["needs_outside"],
                             other=totals["needs_other_theme"] + totals["needs_other_stage"]),
        text["cells"].format(cells=totals["cells"], blank=totals["zones_blanches"],
                             blank_needs=totals["zones_blanches_with_needs"],
                             covered=totals["couvert"], redundant=totals["redondant"],
                             at=coverage.redundant_at),
        text["legend"], ""]
    if not gaps_only:
        lines += _theme_tables(coverage, lang, label, place)
    gaps = coverage.gaps()
    with_needs = [g for g in gaps if g.needs]
    lines.append(text["gaps_needs"].format(count=len(with_needs)))
    rows = [[str(g.needs), label("themes", g.theme), label("stages", g.stage), place(g.territory)]
            for g in with_needs]
    heading = [text["needs_column"], text["theme"], text["stage"],
               text["department" if coverage.level == "dep" else "region"]]
    lines += text_table(heading, rows, left=(1, 2, 3)) if rows else [f"  {text['none']}"]
    others: dict[tuple[str, str], list[str]] = {}
    for gap in gaps[len(with_needs):]:
        others.setdefault((gap.theme, gap.stage), []).append(gap.territory.split(":", 1)[-1])
    colon = " : " if lang == "fr" else ": "
    lines += ["", text["gaps_other"].format(count=len(gaps) - len(with_needs))]
    lines += [f"  {label('themes', t)} · {label('stages', s)}{colon}{', '.join(codes)}"
              for (t, s), codes in others.items()]
    return "\n".join(lines) + "\n"


def _mark(cell: CoverageCell) -> str:
    """A cell of a text table: ``∅``, ``2``, ``4+``, ``1~``, with ``(needs)`` if any."""
    text = "∅" if not cell.offers else str(len(cell.offers))
    text += "+" if cell.status == "redondant" else "~" if cell.partial_only else ""
    return f"{text} ({cell.needs})" if cell.needs else text


def _theme_tables(coverage: Coverage, lang: str, label: Callable[[str, str], str],
                  place: Callable[[str], str]) -> list[str]:
    """Per theme with an offer or a need, a table territory × stage."""
    text = _TEXT[lang]
    lines: list[str] = []
    empty: list[str] = []
    unstaged = coverage.needs_without_stage
    show_unstaged = any(h in coverage.themes for _, h in unstaged)
    heading = [text["department" if coverage.level == "dep" else "region"],
               *(STAGE_HEADINGS[lang].get(s) or label("stages", s) for s in coverage.stages),
               *(["?"] if show_unstaged else [])]
    for theme in coverage.themes:
        rows = [[place(t), *(_mark(coverage.cells[(t, theme, s)]) for s in coverage.stages),
                 *([str(unstaged.get((t, theme), "")) or "·"] if show_unstaged else [])]
                for t in coverage.territories]
        if not any(coverage.cells[(t, theme, s)].offers or coverage.cells[(t, theme, s)].needs
                   or (t, theme) in unstaged
                   for t in coverage.territories for s in coverage.stages):
            empty.append(label("themes", theme))
            continue
        lines += [label("themes", theme), *text_table(heading, rows, left=(0,)), ""]
    if empty:
        lines += [text["empty"].format(themes=", ".join(empty)), ""]
    return lines
