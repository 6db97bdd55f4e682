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

**In force.** An offer is in force on the reference date (``today``, by default the session's
``as_of``: today, whatever date the bundle carries, since recording into a bundle moves that
one) unless ``valid_until`` is before it
or ``valid_from`` after it. Expired and not-yet-open offers are left out and counted.

**Needs** count in the grid territory that contains their territory (a commune's need in its
département). A need that names no stage is counted per territory and theme
(:attr:`Coverage.needs_without_stage`); one whose territory is missing, unknown, outside the
grid or wider than one grid territory (a région's need on a département grid) is counted in
``needs_outside``. Needs are counted whatever their status: they are what was observed. The
counts are raw: publish them only through the shared diagnosis, which applies statistical secrecy.

Territories and vocabularies are the session's (:func:`pmae.session` by default); the figures are
rendered by :mod:`pmae.render.coverage`. Each offer's territories are expanded once to the grid
territories they reach (:meth:`Territories.departements`), so a national bundle takes a few
seconds; ``benchmarks/bench_coverage.py`` measures it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import compress
from typing import TYPE_CHECKING, Any, Final, Literal

import attrs

from pmae.analysis.coverage_grid import Grid
from pmae.model import Bundle, Offer
from pmae.sessions import session as current_session
from pmae.territories import Territories, TerritoryError

if TYPE_CHECKING:
    from pmae.sessions import Session
    from pmae.store.light import NeedCount
    from pmae.vocab import Term, Vocabulary

__all__ = ["LEVELS", "STATUSES", "Coverage", "CoverageCell", "Level", "coverage",
           "grid_territories", "in_force"]

Level = Literal["dep", "reg"]
#: The grid levels: départements or régions.
LEVELS: Final = ("dep", "reg")
#: The statuses of a cell.
STATUSES: Final = ("zone_blanche", "couvert", "redondant")
#: ``(territory, theme, stage)``, the key of a cell.
CellKey = tuple[str, str, str]
#: What a cell keeps of an offer covering it: its id, its actor, whether it covers it wholly.
_Entry = tuple[str, str, bool]


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

    def _sorted(self, status: str,
                first: Callable[[CoverageCell], int]) -> tuple[CoverageCell, ...]:
        """The cells of ``status``, ordered by ``first`` then theme, stage and territory."""
        themes, stages, places = ({code: i for i, code in enumerate(axis)}
                                  for axis in (self.themes, self.stages, self.territories))
        return tuple(sorted((c for c in self.cells.values() if c.status == status),
                            key=lambda c: (first(c), themes[c.theme], stages[c.stage],
                                           places[c.territory])))

    def gaps(self) -> tuple[CoverageCell, ...]:
        """The zones blanches: first those where needs were observed, most needs first, then
        the others; each group by theme, stage and territory."""
        return self._sorted("zone_blanche", lambda cell: -cell.needs)

    def redundant(self) -> tuple[CoverageCell, ...]:
        """The ``redondant`` cells, most actors first, then by theme, stage and territory."""
        return self._sorted("redondant", lambda cell: -len(cell.actors))

    def totals(self) -> dict[str, int]:
        """Cells by status, coverage links, and where every offer and need of the bundle went.

        ``offers == offers_in_force + offers_expired + offers_not_started``;
        ``offers_outside`` are in force but cover no cell (another territory, theme or stage);
        ``links`` is the number of (offer, cell) pairs. ``needs == needs_in_cells +
        needs_without_stage + needs_outside + needs_other_theme + needs_other_stage``.
        """
        cells = self.cells.values()
        statuses = Counter(cell.status for cell in cells)
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


def _cell_json(cell: CoverageCell) -> dict[str, Any]:
    return {"territory": cell.territory, "theme": cell.theme, "stage": cell.stage,
            "status": cell.status, "offers": list(cell.offers), "actors": list(cell.actors),
            "partial": list(cell.partial), "needs": cell.needs, "indicator": cell.indicator}


def in_force(offer: Offer, today: dt.date) -> bool:
    """Whether ``offer`` is open on ``today`` (no bound means open on that side)."""
    return not ((offer.valid_until is not None and offer.valid_until < today)
                or (offer.valid_from is not None and offer.valid_from > today))


def grid_territories(
    bundle: Bundle, *, level: str = "dep", region: str | None = None,
    territories: Territories | None = None, session: Session | None = None,
) -> tuple[str, ...]:
    """The territories of the grid :func:`coverage` would use (see there), in COG order.

    :raises TerritoryError: if ``region`` is not a known territory.
    :raises ValueError: if ``level`` is not ``dep`` or ``reg``.
    """
    territories = current_session(session).territories if territories is None else territories
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


def _axis(given: Sequence[str] | None, vocabulary: Vocabulary, seen: Iterable[str],
          applies: Callable[[Term], bool] = lambda term: True) -> tuple[str, ...]:
    """The codes given, or the vocabulary's that ``apply`` in the grid, then those the data uses
    beyond the vocabulary (sorted)."""
    if given is not None:
        return tuple(dict.fromkeys(given))
    extra = set(seen) - set(vocabulary.codes())
    return tuple(t.code for t in vocabulary.terms if applies(t)) + tuple(sorted(extra))


def coverage(
    bundle: Bundle, *, level: str = "dep", region: str | None = None,
    themes: Sequence[str] | None = None, stages: Sequence[str] | None = None,
    today: dt.date | None = None, redundant_at: int = 3, territories: Territories | None = None,
    vocabularies: Mapping[str, Vocabulary] | None = None, session: Session | None = None,
    need_counts: Iterable[NeedCount] | None = None,
) -> Coverage:
    """The coverage of ``bundle``'s offers, territory × theme × stage.

    :param level: ``dep`` (départements) or ``reg`` (régions): the grid's territories.
    :param region: the territory whose départements (or régions) make the grid: ``reg:84``,
        ``fr``, a former région, a département. By default, every région that one of the
        bundle's offers or actors touches.
    :param themes: the themes of the grid (default: the vocabulary's that apply to one of the
        grid's territories, then any other code the offers or needs use). ``stages`` likewise,
        in the order of the support chain.
    :param today: the reference date for offers' validity (default: the session's ``as_of``,
        today unless the session says otherwise).
    :param redundant_at: distinct actors covering a whole cell from which it is ``redondant``.
    :param session: where the territories and the vocabularies (the default axes) come from:
        :func:`pmae.session` by default; ``territories=`` and ``vocabularies=`` override its.
    :param need_counts: the needs already counted, ``(territory, theme, stage, count)`` (a
        store's :meth:`~pmae.store.Store.light_bundle` with ``need_counts``), instead of
        ``bundle.needs``: the same grid as counting those needs one by one. A row's territory
        may stand for others this grid places in the same territory (read with the same
        ``territories``, a département's communes come counted together under one of them).
    :raises TerritoryError: if ``region`` is not a known territory.
    :raises ValueError: for an unknown ``level`` or ``redundant_at`` below 1.
    """
    context = current_session(session)
    territories = context.territories if territories is None else territories
    vocabularies = context.vocabularies if vocabularies is None else vocabularies
    if redundant_at < 1:
        raise ValueError(f"redundant_at must be at least 1, not {redundant_at}")
    as_of = today or context.as_of
    codes = grid_territories(bundle, level=level, region=region, territories=territories)
    grid = Grid(level, codes, territories, _region_of(territories))
    current = [o for o in bundle.offers if in_force(o, as_of)]
    expired = sum(1 for o in bundle.offers if o.valid_until is not None and o.valid_until < as_of)
    # Coverage only counts needs per (territory, theme, stage): count them first (in C), then
    # go through the groups (half a million for a million needs in communes).
    counted = (list(need_counts) if need_counts is not None else
               [(*key, n) for key, n in Counter(
                   (need.territory, need.theme, need.stage) for need in bundle.needs).items()])
    # A plugin's themes scoped to other territories (Term.territories) make no zones blanches.
    theme_axis = _axis(themes, vocabularies["themes"],
                       {t for o in current for t in o.themes} | {g[1] for g in counted},
                       grid.applies)
    stage_axis = _axis(stages, vocabularies["stages"],
                       {s for o in current for s in o.stages}
                       | {g[2] for g in counted if g[2] is not None})
    theme_set, stage_set = frozenset(theme_axis), frozenset(stage_axis)

    # (territory, theme, stage) -> [(offer, wholly)]: each offer's territories expanded once.
    # An entry is (offer id, actor, whether it covers the cell wholly): one tuple per offer and
    # grid territory, shared by the offer's themes and stages.
    buckets: dict[CellKey, list[_Entry]] = {}
    outside = 0
    for offer in current:
        reach = grid.reach(offer.territories)
        offer_themes = [t for t in dict.fromkeys(offer.themes) if t in theme_set]
        offer_stages = [s for s in dict.fromkeys(offer.stages) if s in stage_set]
        if not (reach and offer_themes and offer_stages):
            outside += 1
            continue
        entries = [(target, (offer.id, offer.actor, whole)) for target, whole in reach]
        for theme in offer_themes:
            for stage in offer_stages:
                for target, entry in entries:
                    key = (target, theme, stage)
                    bucket = buckets.get(key)
                    if bucket is None:
                        buckets[key] = bucket = []
                    bucket.append(entry)

    needs: dict[CellKey, int] = {}
    unstaged: dict[tuple[str, str], int] = {}
    needs_out = other_theme = other_stage = 0
    placed = grid.placed  # read inline: half a million groups make a method call per group
    for code, theme, need_stage, count in counted:
        if theme not in theme_set:
            other_theme += count
            continue
        place = placed[code] if code in placed else grid.place(code)
        if place is None:
            needs_out += count
        elif need_stage is None:
            unstaged[(place, theme)] = unstaged.get((place, theme), 0) + count
        elif need_stage not in stage_set:
            other_stage += count
        else:
            key = (place, theme, need_stage)
            needs[key] = needs.get(key, 0) + count

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
            "needs": sum(g[3] for g in counted), "needs_in_cells": sum(needs.values()),
            "needs_without_stage": sum(unstaged.values()), "needs_outside": needs_out,
            "needs_other_theme": other_theme, "needs_other_stage": other_stage,
        },
    )


def _cell(key: CellKey, entries: Sequence[_Entry], needs: int,
          redundant_at: int) -> CoverageCell:
    territory, theme, stage = key
    if not entries:
        return CoverageCell(territory=territory, theme=theme, stage=stage, offers=(),
                            actors=(), needs=needs, status="zone_blanche")
    # Fifteen thousand cells nationally, tens of entries each: the columns of the entries
    # taken apart once, every set made in C.
    ids, actors, wholes = zip(*entries, strict=True)
    offers = sorted(set(ids))
    whole_ids = set(compress(ids, wholes))
    wholly = set(compress(actors, wholes))
    return CoverageCell(
        territory=territory, theme=theme, stage=stage, offers=tuple(offers),
        actors=tuple(sorted(set(actors))), needs=needs,
        status="redondant" if len(wholly) >= redundant_at else "couvert",
        partial=(tuple(i for i in offers if i not in whole_ids)
                 if len(whole_ids) < len(offers) else ()))
