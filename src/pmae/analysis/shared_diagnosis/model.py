"""The shared diagnosis as data: the secrecy rules, the cells, and the published view of them.

A :class:`SharedDiagnosis` holds two things: the true tallies (:attr:`SharedDiagnosis.cells`,
:attr:`SharedDiagnosis.margins`), for the library's own checks, and the protected figures, the
only ones any output shows (:meth:`SharedDiagnosis.published`,
:meth:`SharedDiagnosis.published_margins`). The published view lists the published cells alone:
a cell that secrecy hides is not listed, so that it cannot be told from an empty cell.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final, Literal

import attrs

__all__ = [
    "DIMENSIONS",
    "MAX_NOISE",
    "ROLLUP_SUFFIX",
    "TOTAL",
    "UNSPECIFIED",
    "UNSPECIFIED_TERRITORY",
    "Cell",
    "CellTable",
    "Key",
    "Level",
    "SecrecyRules",
    "SharedDiagnosis",
    "Status",
    "Trend",
]

#: The dimensions needs can be aggregated by, in their canonical order.
DIMENSIONS: Final = ("theme", "territory", "size_band", "sector", "year")
#: The value of a dimension summed over in a margin's key.
TOTAL: Final = "*"
#: The territory key of needs with no territory, or one that does not fit in a single
#: département (or région) of the chosen level: ``fr``, "non précisé".
UNSPECIFIED_TERRITORY: Final = "fr"
#: The key of needs without a size band or a sector ("non précisé").
UNSPECIFIED: Final = "nd"
#: Suffix of a roll-up cell's territory: ``reg:84*`` is "autres départements de reg:84".
ROLLUP_SUFFIX: Final = "*"
#: The largest change the perturbation makes to the needs of one finest cell, and to the
#: association count of any cell: the protection level of the documentation.
MAX_NOISE: Final = 3

#: ``publie`` or ``secret``: one marker for every hidden cell, whatever hid it.
Status = Literal["publie", "secret"]
Level = Literal["dep", "reg"]
Key = tuple[str, ...]


@attrs.define(kw_only=True, frozen=True)
class SecrecyRules:
    """The thresholds of statistical secrecy; settings, not facts."""

    #: A cell needs at least this many associations (as published, after perturbation).
    min_contributors: int = 3
    #: A cell is hidden when one association contributes more than this share of its intensity.
    dominance: float = 0.85
    #: Perturb the published figures (the protection against recomputation from other cells,
    #: tables and releases). ``False`` publishes exact values with the thresholds alone: for
    #: internal use, never for a publication.
    secondary: bool = True
    #: Publish, row by row, "autres départements de <région>": the needs of the région's
    #: départements whose own cell is not published.
    rollup: bool = True

    def to_dict(self) -> dict[str, Any]:
        """The rules as plain data."""
        return attrs.asdict(self)


@attrs.define(kw_only=True, frozen=True)
class Cell:
    """One cell (or margin) of the shared diagnosis.

    In :attr:`SharedDiagnosis.cells` the measures are the true ones; in what
    :meth:`SharedDiagnosis.published` returns, the protected ones.
    """

    #: Distinct associations with at least one need in the cell.
    associations: int | None
    #: Needs in the cell.
    needs: int | None
    #: Summed intensity of the needs (1 for a need without intensity).
    intensity: float | None
    status: Status
    #: Kept for compatibility: always empty (the départements a roll-up cell holds are not
    #: published, since listing them would tell that each holds a need).
    rolled_up_from: tuple[str, ...] = ()

    @property
    def suppressed(self) -> bool:
        """Whether secrecy hides the cell's values."""
        return self.status != "publie"


class CellTable(Mapping[Key, Cell]):
    """Cells by key, in the order given, each built from its columns when it is read: a table by
    five dimensions has hundreds of thousands of cells and totals, and a reader looks at few."""

    __slots__ = ("_columns", "_keys", "_positions")

    def __init__(self, keys: Sequence[Key], associations: Sequence[int | None],
                 needs: Sequence[int | None], intensity: Sequence[float | None],
                 status: Sequence[Status]) -> None:
        """Columns of equal length, one row per key."""
        self._keys = keys
        self._columns = (associations, needs, intensity, status)
        self._positions: dict[Key, int] | None = None

    def __getitem__(self, key: Key) -> Cell:
        """The cell of ``key``."""
        if self._positions is None:
            self._positions = dict(zip(self._keys, range(len(self._keys)), strict=True))
        i = self._positions[key]
        associations, needs, intensity, status = self._columns
        return Cell(associations=associations[i], needs=needs[i], intensity=intensity[i],
                    status=status[i])

    def __iter__(self) -> Iterator[Key]:
        """The keys, in order."""
        return iter(self._keys)

    def __len__(self) -> int:
        """The number of cells."""
        return len(self._keys)

    def __repr__(self) -> str:
        """As a dict."""
        return repr(dict(self.items()))


@attrs.define(kw_only=True, frozen=True)
class Trend:
    """The year-over-year change of one published key (cell or margin) of a diagnosis."""

    #: The key without its year (may hold :data:`TOTAL` for a margin).
    key: Key
    year: int
    previous_year: int
    needs: int
    previous_needs: int
    associations: int
    previous_associations: int

    @property
    def change(self) -> int:
        """Change in the number of needs."""
        return self.needs - self.previous_needs

    @property
    def relative_change(self) -> float:
        """Change in the number of needs, relative to the previous year (published cells hold
        at least ``min_contributors`` needs, so the previous count is positive)."""
        return self.change / self.previous_needs


@attrs.define(kw_only=True, frozen=True)
class SharedDiagnosis:
    """The needs aggregated by :attr:`dimensions`, protected.

    ``cells`` and ``margins`` hold the true values and every non-empty key, for the library's
    own checks; publish only through :meth:`published` and :meth:`published_margins` (or
    :meth:`to_json` and the renderings of :mod:`pmae.render.needs`), which list the published
    keys alone, with their perturbed values.
    """

    dimensions: tuple[str, ...]
    #: The level of the territory dimension: ``dep`` or ``reg``.
    territory_level: Level
    rules: SecrecyRules
    #: Key (one value per dimension) -> true cell, in key order.
    cells: Mapping[Key, Cell]
    #: Totals: keys with :data:`TOTAL` for each dimension summed over (and, by département,
    #: région subtotals ``reg:84``); ``(TOTAL,) * n`` is the grand total.
    margins: Mapping[Key, Cell]
    #: Needs aggregated.
    source_needs: int
    #: Distinct contributors among them (associations, plus needs without an association).
    source_associations: int
    #: The published cells, with their protected values.
    shown_cells: Mapping[Key, Cell] = attrs.field(factory=dict, repr=False)
    #: The published totals, with their protected values.
    shown_margins: Mapping[Key, Cell] = attrs.field(factory=dict, repr=False)

    @property
    def grand_total(self) -> Key:
        """The key of the grand total in :attr:`margins`."""
        return (TOTAL,) * len(self.dimensions)

    def published(self) -> dict[Key, Cell]:
        """The published cells and their protected values; hidden cells are not listed."""
        return dict(self.shown_cells)

    def published_margins(self) -> dict[Key, Cell]:
        """The published totals and their protected values; hidden totals are not listed."""
        return dict(self.shown_margins)

    def status_counts(self) -> dict[str, int]:
        """How many non-empty cells are published and hidden (for the operator: the count of
        hidden cells is not part of a publication)."""
        published = len(self.shown_cells)
        return {"publie": published, "secret": len(self.cells) - published}

    def source(self) -> dict[str, int | None]:
        """The published grand total: needs and associations (``None`` when hidden)."""
        total = self.shown_margins.get(self.grand_total)
        if total is None:
            return {"needs": None, "associations": None}
        return {"needs": total.needs, "associations": total.associations}

    def to_json(self) -> dict[str, Any]:
        """Plain data for JSON: dimensions, rules, the published cells and totals as rows."""
        return {
            "dimensions": list(self.dimensions),
            "territory_level": self.territory_level,
            "rules": self.rules.to_dict(),
            "protection": {"method": "cell-key perturbation" if self.rules.secondary
                           else "none", "max_noise": MAX_NOISE if self.rules.secondary else 0},
            "source": self.source(),
            "published_cells": len(self.shown_cells),
            "cells": [self.row(key, cell) for key, cell in self.shown_cells.items()],
            "margins": [self.row(key, cell) for key, cell in self.shown_margins.items()],
        }

    def row(self, key: Key, cell: Cell) -> dict[str, Any]:
        """One published cell or total as a flat record (dimensions, then measures)."""
        row: dict[str, Any] = dict(zip(self.dimensions, key, strict=True))
        row.update(associations=cell.associations, needs=cell.needs, intensity=cell.intensity,
                   status=cell.status, rolled_up_from=[])
        return row
