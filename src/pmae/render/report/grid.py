"""The coverage grid the report draws: département × theme × stage, from
:func:`pmae.analysis.coverage.coverage`, plus an "all stages" view.

The all-stages view of a cell holds the offers in force at any stage of its theme and
département; it is a *zone blanche* when there is none, *redondant* when at least
``redundant_at`` distinct actors cover the whole département (as for one stage).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import attrs

from pmae.analysis.coverage import Coverage, coverage
from pmae.model import Bundle
from pmae.sessions import session as current_session
from pmae.territories import Territories, TerritoryError
from pmae.vocab import Vocabulary

if TYPE_CHECKING:
    from pmae.sessions import Session

__all__ = ["ALL_STAGES", "Grid", "GridCell", "compute_grid", "offer_departements"]

#: The stage key of the view that counts an offer whatever its stages.
ALL_STAGES = "*"


@attrs.define(kw_only=True, frozen=True)
class GridCell:
    """Offers and distinct actors in one cell, its status, and whether it is covered only in
    part (by offers of a commune or another territory inside the département)."""

    offers: int
    actors: int
    status: str  # "zone_blanche", "couvert", "redondant"
    partial_only: bool = False
    #: The ids of the offers counted, sorted (the heatmap links to them).
    offer_ids: tuple[str, ...] = ()


@attrs.define(kw_only=True, frozen=True)
class Grid:
    """Cells by ``(département, theme, stage)``; stage :data:`ALL_STAGES` is any stage."""

    departements: tuple[str, ...]
    themes: tuple[str, ...]
    stages: tuple[str, ...]
    cells: Mapping[tuple[str, str, str], GridCell]
    redundant_at: int
    as_of: dt.date

    def cell(self, departement: str, theme: str, stage: str) -> GridCell:
        """The cell (a *zone blanche* for a key outside the grid)."""
        return self.cells.get((departement, theme, stage),
                              GridCell(offers=0, actors=0, status="zone_blanche"))

    def gaps(self, stage: str) -> list[tuple[str, str]]:
        """The ``(département, theme)`` pairs with no offer at ``stage``."""
        return [(d, t) for d in self.departements for t in self.themes
                if self.cell(d, t, stage).status == "zone_blanche"]


def offer_departements(codes: Iterable[str], territories: Territories) -> frozenset[str]:
    """The départements that territory ``codes`` reach (unknown codes reach nothing)."""
    return _departements_of(tuple(codes), territories)


@functools.lru_cache(maxsize=65536)
def _departements_of(codes: tuple[str, ...], territories: Territories) -> frozenset[str]:
    # Every directory page asks this of every offer: a few thousand distinct lists of
    # territories at most, so each is expanded once.
    found: set[str] = set()
    for code in codes:
        try:
            found.update(territories.departements(code))
        except TerritoryError:
            continue
    return frozenset(found)


def compute_grid(bundle: Bundle, *, territories: Territories | None = None,
                 vocabularies: Mapping[str, Vocabulary] | None = None,
                 today: dt.date | None = None, redundant_at: int = 3,
                 session: Session | None = None) -> Grid:
    """The coverage of ``bundle`` by département, theme and stage, and for all stages.

    :param territories: the session's unless given.
    :param vocabularies: the session's unless given.
    :param today: the reference date for offers' validity (default: the session's
        ``as_of``, as :func:`pmae.analysis.coverage.coverage`).
    :param session: default :func:`pmae.session`.
    """
    s = current_session(session)
    territories = territories or s.territories
    vocabularies = vocabularies or s.vocabularies
    result: Coverage = coverage(bundle, level="dep", today=today, redundant_at=redundant_at,
                                territories=territories, vocabularies=vocabularies,
                                session=s)
    cells: dict[tuple[str, str, str], GridCell] = {}
    actor_of = {offer.id: offer.actor for offer in bundle.offers}
    for departement in result.territories:
        for theme in result.themes:
            offers: set[str] = set()
            partial: set[str] = set()
            for stage in result.stages:
                cell = result.cell(departement, theme, stage)
                cells[(departement, theme, stage)] = GridCell(
                    offers=len(cell.offers), actors=len(cell.actors), status=cell.status,
                    partial_only=cell.partial_only, offer_ids=cell.offers)
                offers.update(cell.offers)
                partial.update(cell.partial)
            wholly = {actor_of[o] for o in offers - partial}
            status = ("zone_blanche" if not offers
                      else "redondant" if len(wholly) >= redundant_at else "couvert")
            cells[(departement, theme, ALL_STAGES)] = GridCell(
                offers=len(offers), actors=len({actor_of[o] for o in offers}), status=status,
                partial_only=bool(offers) and offers == partial, offer_ids=tuple(sorted(offers)))
    return Grid(departements=result.territories, themes=result.themes, stages=result.stages,
                cells=cells, redundant_at=redundant_at, as_of=result.as_of)
