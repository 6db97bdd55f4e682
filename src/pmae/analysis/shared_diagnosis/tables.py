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

from itertools import combinations
from typing import TYPE_CHECKING

import attrs

from pmae.analysis.shared_diagnosis.model import (
    DIMENSIONS,
    ROLLUP_SUFFIX,
    TOTAL,
    UNSPECIFIED_TERRITORY,
    Cell,
    Key,
    Level,
    SecrecyRules,
    SharedDiagnosis,
    Status,
)
from pmae.analysis.shared_diagnosis.protection import Protection, perturb_associations

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["diagnose"]

_Cells = dict[Key, tuple[Cell, Cell | None]]  # key -> (true cell, published cell or None)


@attrs.define
class _Axes:
    """Integer codes of each atom's value, by dimension, and the labels of the codes."""

    codes: dict[str, npt.NDArray[np.int64]]
    labels: dict[str, list[str]]


def _axes(protection: Protection, level: Level) -> _Axes:
    import numpy as np

    axes = _Axes({}, {})

    def encode(name: str, values: list[str]) -> None:
        found = sorted(set(values))
        index = {v: k for k, v in enumerate(found)}
        axes.codes[name] = np.fromiter((index[v] for v in values), dtype=np.int64,
                                       count=len(values))
        axes.labels[name] = found

    for i, dimension in enumerate(DIMENSIONS):
        values = [atom[i] for atom in protection.atoms]
        if dimension == "territory":
            regions = {v: protection.keyer.region(v) for v in set(values)}
            encode("region", [regions[v] for v in values])
            if level == "reg":
                values = [regions[v] for v in values]
        encode(dimension, values)
    return axes


def diagnose(protection: Protection, dimensions: tuple[str, ...], level: Level,
             rules: SecrecyRules) -> SharedDiagnosis:
    """The table by ``dimensions`` (territory at ``level``) of ``protection``'s needs."""
    import numpy as np

    axes = _axes(protection, level)
    n = len(dimensions)
    everything = np.ones(len(protection.atoms), dtype=bool)
    cells: _Cells = {}
    margins: _Cells = {}
    by_dep = "territory" in dimensions and level == "dep"
    for size in range(n, -1, -1):
        for kept in combinations(range(n), size):
            target = cells if size == n else margins
            target.update(_groups(protection, axes, dimensions, kept, None, everything, rules))
            if by_dep and dimensions.index("territory") in kept:
                # Région subtotals: the same totals, the territory read at the région level.
                found = _groups(protection, axes, dimensions, kept, "region", everything, rules)
                margins.update((k, v) for k, v in found.items()
                               if k[dimensions.index("territory")] != UNSPECIFIED_TERRITORY)
    if by_dep and rules.rollup:
        cells.update(_rollups(protection, axes, dimensions, cells, rules))
    grand = (TOTAL,) * n
    if grand not in margins:  # no needs at all: an empty, hidden grand total
        margins[grand] = (Cell(associations=0, needs=0, intensity=0.0, status="secret"), None)
    total = margins[grand][0]
    return SharedDiagnosis(
        dimensions=dimensions, territory_level=level, rules=rules,
        cells={k: cells[k][0] for k in sorted(cells)},
        margins={k: margins[k][0] for k in sorted(margins)},
        source_needs=total.needs or 0, source_associations=total.associations or 0,
        shown_cells={k: v for k in sorted(cells) if (v := cells[k][1]) is not None},
        shown_margins={k: v for k in sorted(margins) if (v := margins[k][1]) is not None})


def _rollups(protection: Protection, axes: _Axes, dimensions: tuple[str, ...], cells: _Cells,
             rules: SecrecyRules) -> _Cells:
    """Row by row, the cell "autres départements de <région>": the atoms of the département
    cells that are not published (a région with one such cell gets the same figures as that
    cell, hence hidden too, since the same contributors give the same noise)."""
    import numpy as np

    t = dimensions.index("territory")
    hidden = [key for key, (_, shown) in cells.items()
              if shown is None and key[t].startswith("dep:")]
    if not hidden:
        return {}
    index = {d: {v: k for k, v in enumerate(axes.labels[d])} for d in dimensions}
    wanted = np.zeros(len(hidden), dtype=np.int64)
    code = np.zeros(len(protection.atoms), dtype=np.int64)
    for i, d in enumerate(dimensions):
        wanted = wanted * len(axes.labels[d]) + np.array([index[d][k[i]] for k in hidden])
        code = code * len(axes.labels[d]) + axes.codes[d]
    chosen = np.isin(code, wanted)
    found = _groups(protection, axes, dimensions, tuple(range(len(dimensions))), "region",
                    chosen, rules)
    return {(*k[:t], k[t] + ROLLUP_SUFFIX, *k[t + 1:]): v for k, v in found.items()}


def _groups(protection: Protection, axes: _Axes, dimensions: tuple[str, ...],
            kept: tuple[int, ...], territory: str | None, chosen: npt.NDArray[np.bool_],
            rules: SecrecyRules) -> _Cells:
    """The groups of the ``chosen`` atoms that share the values of the dimensions ``kept``
    (the territory read from the ``territory`` axis when given), with their figures."""
    import numpy as np

    names = [("region" if territory and dimensions[i] == "territory" else dimensions[i])
             for i in kept]
    code = np.zeros(len(protection.atoms), dtype=np.int64)
    for name in names:
        code = code * len(axes.labels[name]) + axes.codes[name]
    code = np.where(chosen, code, -1)
    groups, group_of = np.unique(code, return_inverse=True)
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
    pairs, inverse = np.unique(pair_group * width + protection.pair_contributor,
                               return_inverse=True)
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
    result: _Cells = {}
    labels = [axes.labels[name] for name in names]
    radices = [len(values) for values in labels]
    rows = zip(groups.tolist(), associations.tolist(), needs.tolist(), intensity.tolist(),
               shown_associations.tolist(), shown_needs.tolist(), shown_intensity.tolist(),
               published.tolist(), strict=True)
    for position, row in enumerate(rows):
        if position < skip:
            continue
        group, n_assoc, n_needs, total, s_assoc, s_needs, s_intensity, shown = row
        values: dict[int, str] = {}
        for i, radix, values_of in zip(reversed(kept), reversed(radices), reversed(labels),
                                       strict=True):
            group, digit = divmod(group, radix)
            values[i] = values_of[digit]
        key = tuple(values.get(i, TOTAL) for i in range(len(dimensions)))
        status: Status = "publie" if shown else "secret"
        true = Cell(associations=n_assoc, needs=int(n_needs), intensity=total, status=status)
        result[key] = (true, Cell(associations=s_assoc, needs=int(s_needs),
                                  intensity=s_intensity, status="publie") if shown else None)
    return result
