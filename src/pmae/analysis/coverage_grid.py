"""The grid of :func:`pmae.analysis.coverage.coverage`: its territories, where offers' and needs'
territories fall in it, and which codes apply in it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from pmae.territories import Territories, TerritoryError

if TYPE_CHECKING:
    from pmae.vocab import Term

__all__ = ["Grid"]


class Grid:
    """The grid territories, and where offer and need territories fall in it (cached)."""

    def __init__(self, level: str, codes: tuple[str, ...], territories: Territories,
                 region_of: Mapping[str, str]) -> None:
        self.level, self.codes, self.territories = level, codes, territories
        self.members, self.region_of = frozenset(codes), region_of
        self._reach: dict[tuple[str, ...], tuple[tuple[str, bool], ...]] = {}
        self.placed: dict[str | None, str | None] = {None: None}
        self._lines: dict[str, str | None] = {}

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

    def applies(self, term: Term) -> bool:
        """Whether a code applies in the grid: everywhere, or near one of its territories."""
        contains = self.territories.contains
        return not term.territories or any(contains(s, c) or contains(c, s)
                                           for s in term.territories for c in self.codes)

    def place(self, code: str | None) -> str | None:
        """The one grid territory that contains ``code``, or ``None``."""
        if code in self.placed:
            return self.placed[code]
        assert code is not None  # None is seeded in the cache
        placed: str | None = None
        if code in self.members:
            placed = code
        elif code.startswith("com:"):
            # Tens of thousands of communes at national scale: a commune's départements and
            # régions among its ancestors are its own département's line (its first parent;
            # Territories.ancestors keeps only that line), and the grid's territories are
            # départements or régions, so the commune falls where its département's line
            # does, computed once per département.
            try:
                placed = self._line(self.territories.parents(code)[0])
            except TerritoryError:
                placed = None
        else:
            placed = self._unique(self._ancestors(code))
        self.placed[code] = placed
        return placed

    def _ancestors(self, code: str) -> frozenset[str]:
        try:
            return self.territories.ancestors(code)
        except TerritoryError:
            return frozenset()

    def _unique(self, codes: Iterable[str]) -> str | None:
        inside = [a for a in codes if a in self.members]
        return inside[0] if len(inside) == 1 else None

    def _line(self, departement: str) -> str | None:
        """The one grid territory among ``departement`` and its ancestors, or ``None``."""
        if departement not in self._lines:
            self._lines[departement] = self._unique(
                {departement, *self._ancestors(departement)})
        return self._lines[departement]
