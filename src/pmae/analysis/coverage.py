"""Coverage of the territorial offer: territory × theme × stage, zones blanches and redundancy.

For every cell of a grid (the départements, or régions, of a territory × the themes × the stages
of the support chain), :func:`coverage` finds the offers in force that cover it, their actors,
and the needs observed there, then classifies the cell:

- ``zone_blanche``: no offer covers it (whether needs were observed there or not);
- ``redondant``: at least ``redundant_at`` distinct actors cover *all* of it;
- ``couvert``: otherwise.

**Containment.** An offer covers a grid territory wholly when one of its territories contains it
(``reg:84`` and ``fr`` cover ``dep:69``), and partly when one of its territories lies inside it or
straddles it (a commune-level offer covers its département partly; a département-level offer
covers its région partly). Partial offers count in the cell's ``offers`` and ``actors`` and are
listed in ``partial``, so a département reached only by a maison des associations of one commune
is not a zone blanche, but is shown as covered only in part; they do not make a cell
``redondant``, since three maisons des associations in three communes are not redundant.

**In force.** An offer is in force on the reference date (``today``, by default the date the
bundle was generated: the offer as it stood when published) unless ``valid_until`` is before it
or ``valid_from`` after it. Expired and not-yet-open offers are left out and counted.

**Needs** count in the grid territory that contains their territory (a commune's need in its
département). A need that names no stage is counted per territory and theme
(:attr:`Coverage.needs_without_stage`); one whose territory is missing, unknown, outside the
grid or wider than one grid territory (a région's need on a département grid) is counted in
``needs_outside``. Needs are counted whatever their status: they are what was observed. The
counts are raw: publish them only through the shared diagnosis, which applies statistical secrecy.

The figures are computed here and rendered separately (text, JSON, CSV). Each offer's territories
are expanded once to the grid territories they reach (:meth:`Territories.departements`), so a
national bundle takes a few seconds; ``benchmarks/bench_coverage.py`` measures it.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Literal, TextIO

import attrs

from pmae.analysis.summary import STAGE_HEADINGS
from pmae.model import Bundle, Offer
from pmae.territories import Territories, TerritoryError, core_territories
from pmae.vocab import Vocabulary, core_vocabularies

__all__ = ["LEVELS", "STATUSES", "Coverage", "CoverageCell", "Level", "coverage", "in_force"]

Level = Literal["dep", "reg"]
#: The grid levels: départements or régions.
LEVELS: Final = ("dep", "reg")
#: The statuses of a cell.
STATUSES: Final = ("zone_blanche", "couvert", "redondant")
#: ``(territory, theme, stage)``, the key of a cell.
CellKey = tuple[str, str, str]


@attrs.define(kw_only=True, frozen=True)
class CoverageCell:
    """One territory × theme × stage of the grid, with what covers it and what was observed."""

    territory: str
    theme: str
    stage: str
    #: Ids of the offers in force that cover the cell, wholly or partly, sorted.
    offers: tuple[str, ...]
    #: Distinct actors of those offers, sorted.
    actors: tuple[str, ...]
    #: Needs observed in the territory for this theme and stage.
    needs: int
    #: ``zone_blanche``, ``couvert`` or ``redondant`` (see the module's documentation).
    status: str
    #: The offers (among :attr:`offers`) that cover only part of the territory, sorted.
    partial: tuple[str, ...] = ()

    @property
    def indicator(self) -> float | None:
        """Offers per need observed (the supply/need indicator); ``None`` when no need."""
        return len(self.offers) / self.needs if self.needs else None

    @property
    def partial_only(self) -> bool:
        """Whether the cell is covered, but only by offers that cover part of the territory."""
        return bool(self.offers) and len(self.partial) == len(self.offers)


@attrs.define(kw_only=True, frozen=True)
class Coverage:
    """The coverage grid computed by :func:`coverage`."""

    #: ``dep`` or ``reg``: the level of the grid territories.
    level: str
    #: The reference date: offers in force on that day.
    as_of: dt.date
    #: Distinct actors covering a whole cell from which it is ``redondant``.
    redundant_at: int
    #: The grid's territories (COG order), themes (vocabulary order) and stages (chain order).
    territories: tuple[str, ...]
    themes: tuple[str, ...]
    stages: tuple[str, ...]
    #: Every cell of territories × themes × stages, in that order.
    cells: Mapping[CellKey, CoverageCell]
    #: ``(territory, theme)`` -> needs observed there that name no stage (only non-zero entries).
    needs_without_stage: Mapping[tuple[str, str], int]
    #: How the bundle's offers and needs were accounted for (see :meth:`totals`).
    counts: Mapping[str, int]

    def cell(self, territory: str, theme: str, stage: str) -> CoverageCell:
        """The cell for ``territory``, ``theme`` and ``stage``.

        :raises KeyError: if that cell is not in the grid.
        """
        return self.cells[(territory, theme, stage)]

    def _ranks(self) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
        return ({c: i for i, c in enumerate(self.themes)},
                {c: i for i, c in enumerate(self.stages)},
                {c: i for i, c in enumerate(self.territories)})

    def gaps(self) -> tuple[CoverageCell, ...]:
        """The zones blanches: first those where needs were observed, most needs first, then
        the others; each group by theme, stage and territory."""
        ranks = self._ranks()

        def order(cell: CoverageCell) -> tuple[int, int, int, int]:
            return (-cell.needs, ranks[0][cell.theme], ranks[1][cell.stage],
                    ranks[2][cell.territory])

        return tuple(sorted((c for c in self.cells.values() if c.status == "zone_blanche"),
                            key=order))

    def redundant(self) -> tuple[CoverageCell, ...]:
        """The ``redondant`` cells, most actors first, then by theme, stage and territory."""
        ranks = self._ranks()
        return tuple(sorted(
            (c for c in self.cells.values() if c.status == "redondant"),
            key=lambda c: (-len(c.actors), ranks[0][c.theme], ranks[1][c.stage],
                           ranks[2][c.territory])))

    def totals(self) -> dict[str, int]:
        """Cells by status, coverage links, and where every offer and need of the bundle went.

        ``offers == offers_in_force + offers_expired + offers_not_started``;
        ``offers_outside`` are in force but cover no cell (another territory, theme or stage);
        ``links`` is the number of (offer, cell) pairs. ``needs == needs_in_cells +
        needs_without_stage + needs_outside + needs_other_theme + needs_other_stage``.
        """
        cells = self.cells.values()
        statuses = {s: 0 for s in STATUSES}
        for cell in cells:
            statuses[cell.status] += 1
        return {
            "cells": len(self.cells),
            "zones_blanches": statuses["zone_blanche"],
            "zones_blanches_with_needs": sum(
                1 for c in cells if c.status == "zone_blanche" and c.needs),
            "couvert": statuses["couvert"],
            "redondant": statuses["redondant"],
            "partial_only": sum(1 for c in cells if c.partial_only),
            "links": sum(len(c.offers) for c in cells),
            **self.counts,
        }

    def to_json(self) -> dict[str, Any]:
        """The grid as plain JSON-ready data: axes, totals, every cell."""
        return {
            "level": self.level,
            "as_of": self.as_of.isoformat(),
            "redundant_at": self.redundant_at,
            "territories": list(self.territories),
            "themes": list(self.themes),
            "stages": list(self.stages),
            "totals": self.totals(),
            "cells": [_cell_json(c) for c in self.cells.values()],
            "needs_without_stage": [
                {"territory": t, "theme": h, "needs": n}
                for (t, h), n in self.needs_without_stage.items()],
        }

    def to_csv(self, stream: TextIO, *, cells: Iterable[CoverageCell] | None = None) -> None:
        """One row per cell (or per cell of ``cells``); list cells joined by `` | ``."""
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["territory", "theme", "stage", "status", "offers", "actors",
                         "partial_offers", "needs", "indicator", "offer_ids", "actor_ids"])
        for cell in self.cells.values() if cells is None else cells:
            indicator = cell.indicator
            writer.writerow([
                cell.territory, cell.theme, cell.stage, cell.status, len(cell.offers),
                len(cell.actors), len(cell.partial), cell.needs,
                "" if indicator is None else f"{indicator:.3g}",
                " | ".join(cell.offers), " | ".join(cell.actors)])

    def render_text(
        self, lang: str = "fr", *, vocabularies: Mapping[str, Vocabulary] | None = None,
        territories: Territories | None = None, gaps_only: bool = False,
    ) -> str:
        """Per theme a table territory × stage, then the gaps; plain text, French by default.

        With ``gaps_only``, the gaps alone.
        """
        return _render(self, lang, vocabularies=vocabularies or core_vocabularies(),
                      territories=territories or core_territories(), gaps_only=gaps_only)


def _cell_json(cell: CoverageCell) -> dict[str, Any]:
    return {"territory": cell.territory, "theme": cell.theme, "stage": cell.stage,
            "status": cell.status, "offers": list(cell.offers), "actors": list(cell.actors),
            "partial": list(cell.partial), "needs": cell.needs, "indicator": cell.indicator}


def in_force(offer: Offer, today: dt.date) -> bool:
    """Whether ``offer`` is open on ``today`` (no bound means open on that side)."""
    return not ((offer.valid_until is not None and offer.valid_until < today)
                or (offer.valid_from is not None and offer.valid_from > today))


class _Grid:
    """The grid territories, and where offer and need territories fall in it (cached)."""

    def __init__(self, level: str, codes: tuple[str, ...], territories: Territories,
                 region_of: Mapping[str, str]) -> None:
        self.level, self.codes, self.territories = level, codes, territories
        self.members = frozenset(codes)
        self.region_of = region_of
        self._reach: dict[tuple[str, ...], tuple[tuple[str, bool], ...]] = {}
        self.placed: dict[str | None, str | None] = {None: None}

    def reach(self, codes: tuple[str, ...]) -> tuple[tuple[str, bool], ...]:
        """The grid territories ``codes`` reach, each with whether it is covered wholly."""
        found = self._reach.get(codes)
        if found is not None:
            return found
        whole: dict[str, bool] = {}
        for code in codes:
            try:
                departements = self.territories.departements(code)
            except TerritoryError:
                continue  # an unknown territory covers nothing (validation reports it)
            reached = departements if self.level == "dep" else dict.fromkeys(
                self.region_of[d] for d in departements if d in self.region_of)
            for target in reached:
                if target in self.members:
                    whole[target] = whole.get(target, False) or self.territories.contains(
                        code, target)
        found = tuple(whole.items())
        self._reach[codes] = found
        return found

    def place(self, code: str | None) -> str | None:
        """The one grid territory that contains ``code``, or ``None``."""
        if code in self.placed:
            return self.placed[code]
        assert code is not None  # None is seeded in the cache
        placed: str | None = None
        if code in self.members:
            placed = code
        else:
            try:
                inside = [a for a in self.territories.ancestors(code) if a in self.members]
            except TerritoryError:
                inside = []
            placed = inside[0] if len(inside) == 1 else None
        self.placed[code] = placed
        return placed


def grid_territories(
    bundle: Bundle, *, level: str = "dep", region: str | None = None,
    territories: Territories | None = None,
) -> tuple[str, ...]:
    """The territories of the grid :func:`coverage` would use (see there), in COG order.

    :raises TerritoryError: if ``region`` is not a known territory.
    :raises ValueError: if ``level`` is not ``dep`` or ``reg``.
    """
    territories = territories or core_territories()
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    region_of = _region_of(territories)
    if region is not None:
        departements = territories.departements(region)
    else:
        touched: set[str] = set()
        codes = {c for o in bundle.offers for c in o.territories}
        codes.update(c for a in bundle.actors for c in a.territories)
        for code in codes:
            try:
                touched.update(region_of[d] for d in territories.departements(code)
                               if d in region_of)
            except TerritoryError:
                continue
        departements = tuple(d for d in territories.departements("fr")
                             if region_of.get(d) in touched)
    if level == "dep":
        return departements
    wanted = {region_of[d] for d in departements if d in region_of}
    return tuple(r for r in territories.regions() if r in wanted)


def _region_of(territories: Territories) -> dict[str, str]:
    return {d: r for r in territories.regions() for d in territories.departements(r)}


def _axis(given: Sequence[str] | None, known: tuple[str, ...], seen: Iterable[str]) -> tuple[
        str, ...]:
    """The codes given, or the vocabulary's then those the data uses beyond it (sorted)."""
    if given is not None:
        return tuple(dict.fromkeys(given))
    extra = set(seen) - set(known)
    return known + tuple(sorted(extra))


def coverage(
    bundle: Bundle, *, level: str = "dep", region: str | None = None,
    themes: Sequence[str] | None = None, stages: Sequence[str] | None = None,
    today: dt.date | None = None, redundant_at: int = 3, territories: Territories | None = None,
    vocabularies: Mapping[str, Vocabulary] | None = None,
) -> Coverage:
    """The coverage of ``bundle``'s offers, territory × theme × stage.

    :param level: ``dep`` (départements) or ``reg`` (régions): the grid's territories.
    :param region: the territory whose départements (or régions) make the grid: ``reg:84``,
        ``fr``, a former région, a département. By default, every région that one of the
        bundle's offers or actors touches.
    :param themes: the themes of the grid (default: the vocabulary's, then any other code the
        offers or needs use). ``stages`` likewise, in the order of the support chain.
    :param today: the reference date for offers' validity (default: the bundle's generation
        date).
    :param redundant_at: distinct actors covering a whole cell from which it is ``redondant``.
    :raises TerritoryError: if ``region`` is not a known territory.
    :raises ValueError: for an unknown ``level`` or ``redundant_at`` below 1.
    """
    territories = territories or core_territories()
    vocabularies = vocabularies or core_vocabularies()
    if redundant_at < 1:
        raise ValueError(f"redundant_at must be at least 1, not {redundant_at}")
    as_of = today or bundle.generated_at.date()
    grid = _Grid(level, grid_territories(bundle, level=level, region=region,
                                         territories=territories),
                 territories, _region_of(territories))
    current = [o for o in bundle.offers if in_force(o, as_of)]
    expired = sum(1 for o in bundle.offers if o.valid_until is not None and o.valid_until < as_of)
    theme_axis = _axis(themes, vocabularies["themes"].codes(),
                       [t for o in current for t in o.themes] + [n.theme for n in bundle.needs])
    stage_axis = _axis(stages, vocabularies["stages"].codes(),
                       [s for o in current for s in o.stages]
                       + [n.stage for n in bundle.needs if n.stage is not None])
    theme_set, stage_set = frozenset(theme_axis), frozenset(stage_axis)

    # (territory, theme, stage) -> [(offer, wholly)]: each offer's territories expanded once.
    buckets: dict[CellKey, list[tuple[Offer, bool]]] = {}
    outside = 0
    for offer in current:
        reach = grid.reach(offer.territories)
        offer_themes = [t for t in dict.fromkeys(offer.themes) if t in theme_set]
        offer_stages = [s for s in dict.fromkeys(offer.stages) if s in stage_set]
        if not (reach and offer_themes and offer_stages):
            outside += 1
            continue
        for theme in offer_themes:
            for stage in offer_stages:
                for target, whole in reach:
                    key = (target, theme, stage)
                    bucket = buckets.get(key)
                    if bucket is None:
                        buckets[key] = bucket = []
                    bucket.append((offer, whole))

    needs: dict[CellKey, int] = {}
    unstaged: dict[tuple[str, str], int] = {}
    needs_out = other_theme = other_stage = 0
    placed = grid.placed  # read inline: a million needs make a method call per need count
    for need in bundle.needs:
        theme = need.theme
        if theme not in theme_set:
            other_theme += 1
            continue
        code = need.territory
        place = placed[code] if code in placed else grid.place(code)
        if place is None:
            needs_out += 1
        elif need.stage is None:
            unstaged[(place, theme)] = unstaged.get((place, theme), 0) + 1
        elif need.stage not in stage_set:
            other_stage += 1
        else:
            key = (place, theme, need.stage)
            needs[key] = needs.get(key, 0) + 1

    cells: dict[CellKey, CoverageCell] = {}
    for target in grid.codes:
        for theme in theme_axis:
            for stage in stage_axis:
                key = (target, theme, stage)
                cells[key] = _cell(key, buckets.get(key, ()), needs.get(key, 0), redundant_at)
    unstaged_ordered = {(t, h): unstaged[(t, h)] for t in grid.codes for h in theme_axis
                        if (t, h) in unstaged}
    return Coverage(
        level=level, as_of=as_of, redundant_at=redundant_at, territories=grid.codes,
        themes=theme_axis, stages=stage_axis, cells=cells,
        needs_without_stage=unstaged_ordered,
        counts={
            "offers": len(bundle.offers), "offers_in_force": len(current),
            "offers_expired": expired,
            "offers_not_started": len(bundle.offers) - len(current) - expired,
            "offers_outside": outside,
            "needs": len(bundle.needs), "needs_in_cells": sum(needs.values()),
            "needs_without_stage": sum(unstaged.values()), "needs_outside": needs_out,
            "needs_other_theme": other_theme, "needs_other_stage": other_stage,
        },
    )


def _cell(key: CellKey, entries: Sequence[tuple[Offer, bool]], needs: int,
          redundant_at: int) -> CoverageCell:
    offers = sorted({o.id for o, _ in entries})
    wholly = {o.actor for o, whole in entries if whole}
    if not offers:
        status = "zone_blanche"
    elif len(wholly) >= redundant_at:
        status = "redondant"
    else:
        status = "couvert"
    whole_ids = {o.id for o, whole in entries if whole}
    return CoverageCell(
        territory=key[0], theme=key[1], stage=key[2], offers=tuple(offers),
        actors=tuple(sorted({o.actor for o, _ in entries})), needs=needs, status=status,
        partial=tuple(i for i in offers if i not in whole_ids))


# --- text rendering ---------------------------------------------------------------------------

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


def _mark(cell: CoverageCell) -> str:
    """A cell of a text table: ``∅``, ``2``, ``4+``, ``1~``, with ``(needs)`` if any."""
    text = "∅" if not cell.offers else str(len(cell.offers))
    text += "+" if cell.status == "redondant" else "~" if cell.partial_only else ""
    return f"{text} ({cell.needs})" if cell.needs else text


def _render(coverage: Coverage, lang: str, *, vocabularies: Mapping[str, Vocabulary],
            territories: Territories, gaps_only: bool) -> str:
    text = _TEXT[lang]
    totals = coverage.totals()

    def label(vocabulary: str, code: str) -> str:
        return vocabularies[vocabulary].label(code, lang)

    def place(code: str) -> str:
        return f"{code.split(':', 1)[-1]} {territories.name(code) or ''}".rstrip()

    lines = [text["title"].format(
        date=coverage.as_of.isoformat(), territories=len(coverage.territories),
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
        lines += _theme_tables(coverage, text, label, place)
    gaps = coverage.gaps()
    with_needs = [g for g in gaps if g.needs]
    lines.append(text["gaps_needs"].format(count=len(with_needs)))
    rows = [[str(g.needs), label("themes", g.theme), label("stages", g.stage), place(g.territory)]
            for g in with_needs]
    heading = [text["needs_column"], text["theme"], text["stage"],
               text["department" if coverage.level == "dep" else "region"]]
    lines += _table(heading, rows, left=(1, 2, 3)) if rows else [f"  {text['none']}"]
    others: dict[tuple[str, str], list[str]] = {}
    for gap in gaps[len(with_needs):]:
        others.setdefault((gap.theme, gap.stage), []).append(gap.territory.split(":", 1)[-1])
    lines += ["", text["gaps_other"].format(count=len(gaps) - len(with_needs))]
    lines += [f"  {label('themes', t)} · {label('stages', s)} : {', '.join(codes)}"
              if lang == "fr" else f"  {label('themes', t)} · {label('stages', s)}: "
              f"{', '.join(codes)}" for (t, s), codes in others.items()]
    return "\n".join(lines) + "\n"


def _theme_tables(coverage: Coverage, text: Mapping[str, str], label: Any, place: Any) -> list[
        str]:
    """Per theme with an offer or a need, a table territory × stage."""
    lines: list[str] = []
    empty: list[str] = []
    lang = "fr" if text is _TEXT["fr"] else "en"
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
        lines += [label("themes", theme), *_table(heading, rows, left=(0,)), ""]
    if empty:
        lines += [text["empty"].format(themes=", ".join(empty)), ""]
    return lines


def _table(header: list[str], rows: list[list[str]], *, left: Iterable[int]) -> list[str]:
    """Columns padded to their width: those in ``left`` left-aligned, the others right."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    left = frozenset(left)
    return ["  " + "  ".join(v.ljust(w) if i in left else v.rjust(w)
                             for i, (v, w) in enumerate(zip(row, widths, strict=True))).rstrip()
            for row in [header, *rows]]
