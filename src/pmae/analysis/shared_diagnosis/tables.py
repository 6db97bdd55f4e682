"""Every table of the shared diagnosis, read off one :class:`~.protection.Protection`.

A table by ``dimensions`` has its cells and every total over one or more dimensions; by
département, also the région subtotals (territory ``reg:84``) and, row by row, the cell
"autres départements de <région>" (``reg:84*``) that gathers the départements whose own cell is
not published. Each is a group of atoms:

- its needs and intensity, true and published, are the sums over its atoms;
- its associations are its distinct contributors, published with the noise of its cell key
  (the sum of their record keys), the same in every table for the same contributors;
- it is published when its published associations and needs reach ``min_contributors`` and no
  association weighs more than ``dominance`` of its intensity.

Computed with numpy: one sort of the (group, contributor) pairs for each kind of total.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations, compress
from typing import TYPE_CHECKING, Any

import attrs

from pmae.analysis.shared_diagnosis.columns import unique_codes
from pmae.analysis.shared_diagnosis.model import (
    ROLLUP_SUFFIX,
    TOTAL,
    UNSPECIFIED_TERRITORY,
    CellTable,
    Key,
    Level,
    SecrecyRules,
    SharedDiagnosis,
)
from pmae.analysis.shared_diagnosis.protection import Protection, perturb_associations

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["diagnose"]



@attrs.define
class _Axes:
    """Integer codes of each atom's value, by dimension, and the labels of the codes."""

    codes: dict[str, npt.NDArray[np.int64]]
    labels: dict[str, list[str]]


def _axes(protection: Protection, level: Level) -> _Axes:
    import numpy as np

    axes = _Axes(dict(protection.codes), dict(protection.labels))
    # Régions: the région of each département value, coded among the sorted régions.
    departements = protection.labels["territory"]
    region_of = [protection.keyer.region(d) for d in departements]
    regions = sorted(set(region_of))
    index = {r: k for k, r in enumerate(regions)}
    to_region = np.array([index[r] for r in region_of], dtype=np.int64)
    axes.codes["region"] = to_region[protection.codes["territory"]]
    axes.labels["region"] = regions
    if level == "reg":
        axes.codes["territory"], axes.labels["territory"] = axes.codes["region"], regions
    return axes


def diagnose(protection: Protection, dimensions: tuple[str, ...], level: Level,
             rules: SecrecyRules) -> SharedDiagnosis:
    """The table by ``dimensions`` (territory at ``level``) of ``protection``'s needs."""
    import numpy as np

    axes = _axes(protection, level)
    n = len(dimensions)
    everything = np.ones(len(protection.atoms), dtype=bool)
    cells, margins = _Rows(), _Rows()
    by_dep = "territory" in dimensions and level == "dep"
    for size in range(n, -1, -1):
        for kept in combinations(range(n), size):
            target = cells if size == n else margins
            target.extend(_groups(protection, axes, dimensions, kept, None, everything, rules))
            if by_dep and dimensions.index("territory") in kept:
                # Région subtotals: the same totals, the territory read at the région level.
                t = dimensions.index("territory")
                found = _groups(protection, axes, dimensions, kept, "region", everything, rules)
                margins.extend(found, [k[t] != UNSPECIFIED_TERRITORY for k in found.keys])
    if by_dep and rules.rollup:
        cells.extend(_rollups(protection, axes, dimensions, cells, rules))
    grand = (TOTAL,) * n
    if not margins.keys or grand not in margins.keys[-1:]:
        # No needs at all: an empty, hidden grand total (else it is the last total found).
        margins.extend(_Rows([grand], [[0], [0], [0.0]], [[0], [0], [0.0]], [False]))
    true_cells, shown_cells = cells.tables()
    true_margins, shown_margins = margins.tables()
    total = true_margins[grand]
    return SharedDiagnosis(
        dimensions=dimensions, territory_level=level, rules=rules,
        cells=true_cells, margins=true_margins,
        source_needs=total.needs or 0, source_associations=total.associations or 0,
        shown_cells=shown_cells, shown_margins=shown_margins)


@attrs.define
class _Rows:
    """Cells (or totals) as columns: keys, true and published measures (associations, needs,
    intensity), and whether each is published."""

    keys: list[Key] = attrs.field(factory=list)
    true: list[list[Any]] = attrs.field(factory=lambda: [[], [], []])
    shown: list[list[Any]] = attrs.field(factory=lambda: [[], [], []])
    published: list[bool] = attrs.field(factory=list)

    def extend(self, other: _Rows, keep: list[bool] | None = None) -> None:
        """Add the rows of ``other`` (those ``keep`` says, when given)."""
        def take(column: list[Any]) -> Iterable[Any]:
            return column if keep is None else compress(column, keep)

        self.keys.extend(take(other.keys))
        for mine, theirs in zip([*self.true, *self.shown], [*other.true, *other.shown],
                                strict=True):
            mine.extend(take(theirs))
        self.published.extend(take(other.published))

    def tables(self) -> tuple[CellTable, CellTable]:
        """Every row, and the published rows with their published measures, in key order."""
        order = sorted(range(len(self.keys)), key=self.keys.__getitem__)
        shown = [i for i in order if self.published[i]]

        def pick(column: list[Any], rows: list[int]) -> list[Any]:
            return [column[i] for i in rows]

        associations, needs, intensity = (pick(column, order) for column in self.true)
        true = CellTable(pick(self.keys, order), associations, needs, intensity,
                         ["publie" if self.published[i] else "secret" for i in order])
        associations, needs, intensity = (pick(column, shown) for column in self.shown)
        public = CellTable(pick(self.keys, shown), associations, needs, intensity,
                           ["publie"] * len(shown))
        return true, public


def _rollups(protection: Protection, axes: _Axes, dimensions: tuple[str, ...], cells: _Rows,
             rules: SecrecyRules) -> _Rows:
    """Row by row, the cell "autres départements de <région>": the atoms of the département
    cells that are not published (a région with one such cell gets the same figures as that
    cell, hence hidden too, since the same contributors give the same noise)."""
    import numpy as np

    t = dimensions.index("territory")
    hidden = [key for key, shown in zip(cells.keys, cells.published, strict=True)
              if not shown and key[t].startswith("dep:")]
    if not hidden:
        return _Rows()
    index = {d: {v: k for k, v in enumerate(axes.labels[d])} for d in dimensions}
    wanted = np.zeros(len(hidden), dtype=np.int64)
    code = np.zeros(len(protection.atoms), dtype=np.int64)
    for i, d in enumerate(dimensions):
        wanted = wanted * len(axes.labels[d]) + np.array([index[d][k[i]] for k in hidden])
        code = code * len(axes.labels[d]) + axes.codes[d]
    chosen = np.isin(code, wanted)
    found = _groups(protection, axes, dimensions, tuple(range(len(dimensions))), "region",
                    chosen, rules)
    found.keys = [(*k[:t], k[t] + ROLLUP_SUFFIX, *k[t + 1:]) for k in found.keys]
    return found


def _groups(protection: Protection, axes: _Axes, dimensions: tuple[str, ...],
            kept: tuple[int, ...], territory: str | None, chosen: npt.NDArray[np.bool_],
            rules: SecrecyRules) -> _Rows:
    """The groups of the ``chosen`` atoms that share the values of the dimensions ``kept``
    (the territory read from the ``territory`` axis when given), with their figures."""
    import numpy as np

    names = [("region" if territory and dimensions[i] == "territory" else dimensions[i])
             for i in kept]
    code = np.zeros(len(protection.atoms), dtype=np.int64)
    span = 1
    for name in names:
        code = code * len(axes.labels[name]) + axes.codes[name]
        span *= len(axes.labels[name])
    # Atoms not chosen go to the group -1 (code 0 here), dropped at the end.
    groups, group_of = unique_codes(np.where(chosen, code + 1, 0), span + 1)
    groups -= 1
    skip = 1 if len(groups) and groups[0] == -1 else 0
    count = len(groups)
    needs = np.bincount(group_of, weights=protection.needs, minlength=count)
    shown_needs = np.bincount(group_of, weights=protection.shown_needs, minlength=count)
    # Rounded: float sums carry the order of their terms in their last digits.
    intensity = np.round(np.bincount(group_of, weights=protection.intensity, minlength=count),
                         6)
    shown_intensity = np.round(np.bincount(group_of, weights=protection.shown_intensity,
                                           minlength=count), 2)
    # Contributors of each group: the (group, contributor) pairs, made unique.
    width = max(len(protection.record_keys), 1)
    pair_group = group_of[protection.pair_atom]
    pairs, inverse = unique_codes(pair_group * width + protection.pair_contributor,
                                  count * width)
    owner, who = pairs // width, pairs % width
    weight = np.round(np.bincount(inverse, weights=protection.pair_intensity,
                                  minlength=len(pairs)), 6)
    associations = np.bincount(owner, minlength=count).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    top = np.zeros(count)
    cell_keys = np.zeros(count, dtype=np.uint64)
    if len(pairs):
        top[owner[starts]] = np.maximum.reduceat(weight, starts)
        cell_keys[owner[starts]] = np.add.reduceat(protection.record_keys[who], starts)
    if protection.perturbed:
        shown_associations = perturb_associations(cell_keys, associations)
    else:
        shown_associations = associations
    dominated = (intensity > 0) & (top > rules.dominance * intensity)
    published = ((shown_associations >= rules.min_contributors)
                 & (shown_needs >= rules.min_contributors) & ~dominated)
    return _cells(dimensions, kept, [axes.labels[name] for name in names], groups[skip:],
                  associations[skip:], needs[skip:], intensity[skip:],
                  shown_associations[skip:], shown_needs[skip:], shown_intensity[skip:],
                  published[skip:])


def _cells(dimensions: tuple[str, ...], kept: tuple[int, ...], labels: list[list[str]],
           groups: npt.NDArray[np.int64], *measures: npt.NDArray[np.generic]) -> _Rows:
    """The keys and measures of ``groups`` (codes of the values of the dimensions ``kept``),
    column by column: a 5-dimension table has hundreds of thousands of them."""
    import numpy as np

    associations, needs, intensity, s_associations, s_needs, s_intensity, published = measures
    columns: dict[int, list[str]] = {}
    rest = groups
    for i, values_of in zip(reversed(kept), reversed(labels), strict=True):
        rest, digit = np.divmod(rest, len(values_of))
        columns[i] = np.array(values_of, dtype=object)[digit].tolist()
    total = [TOTAL] * len(groups)
    return _Rows(
        list(zip(*(columns.get(i, total) for i in range(len(dimensions))), strict=True)),
        [associations.tolist(), needs.astype(np.int64).tolist(), intensity.tolist()],
        [s_associations.tolist(), s_needs.astype(np.int64).tolist(), s_intensity.tolist()],
        published.tolist())
