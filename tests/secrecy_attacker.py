"""The attacker of the shared diagnosis: every published table, written as linear equations over
the finest cells, and HiGHS (through scipy) asked for the smallest and largest value each
hidden cell can take.

Plain functions, imported by ``test_secrecy_attack.py`` and by the audit numbers of the
benchmark; they read only what a reader of the publications has, plus the true needs to know
which cells are hidden and what their true value is (to score the attack).

The attacker's unknowns are the *atoms*: the needs counted by all five dimensions at the
département level (the finest table pmae can publish), true (``t``) and as perturbed (``a``).
Every published needs value of a cell or total is the sum of the perturbed atoms it covers, and
each perturbed atom is within ``noise`` of the true one (``noise`` = 0 for a method that
publishes exact values: then ``a = t``). The attacker is stronger than a real one: it knows
which atoms are non-empty (the others are fixed at 0) and the true membership of every cell.

Solving: atoms that appear in exactly the same published sums and attacked cells are one unknown
(within ``noise`` times their number: the same bounds, a problem several times smaller), and one
HiGHS model (scipy's binding) is re-solved from its last basis for every bound, only the
objective changing; ``scipy.optimize.linprog`` is the fallback if scipy moves that binding.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Sequence
from itertools import product
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, vstack

from pmae.model import Need
from pmae.territories import Territories, TerritoryError, core_territories

TOTAL = "*"
Atom = tuple[str, str, str, str, str]  # theme, dep (or "fr"), size band, sector, year

#: Every ``--by`` pmae accepts is a non-empty subset of these, in this order, with the territory
#: at the département or the région level.
ALL_DIMENSIONS = ("theme", "territory", "size_band", "sector", "year")


def every_by() -> list[str]:
    """Every ``--by`` choice (dimension subsets in canonical order, ``dep`` or ``reg``)."""
    found = []
    for mask in range(1, 2 ** len(ALL_DIMENSIONS)):
        names = [d for i, d in enumerate(ALL_DIMENSIONS) if mask >> i & 1]
        if "territory" in names:
            for level in ("dep", "reg"):
                found.append(",".join(level if n == "territory" else n for n in names))
        else:
            found.append(",".join(names))
    return found


def atom_of(need: Need, territories: Territories) -> Atom:
    """The finest cell of a need."""
    dep = "fr"
    if need.territory is not None:
        try:
            places = set(territories.departements(need.territory))
        except TerritoryError:
            places = set()
        if len(places) == 1:
            dep = places.pop()
    return (need.theme, dep, need.size_band or "nd", need.sector or "nd", str(need.date.year))


@attrs.define
class Hidden:
    """What the attacker learnt about one hidden cell (or total)."""

    by: str
    key: tuple[str, ...]
    true: int
    low: int
    high: int

    @property
    def exact(self) -> bool:
        return self.low == self.high

    @property
    def width(self) -> int:
        return self.high - self.low


def _value(atom: Atom, dimension: str, level: str, territories: Territories) -> str:
    index = ALL_DIMENSIONS.index(dimension)
    value = atom[index]
    if dimension == "territory" and level == "reg" and value != "fr":
        return territories.parents(value)[0]
    return value


def _members(diagnosis: Any, atoms: Sequence[Atom], territories: Territories,
             ) -> dict[tuple[str, ...], list[int]]:
    """Atom indices of every cell and total of ``diagnosis`` (true membership: a roll-up cell
    ``reg:84*`` of a row holds the atoms of the région's départements whose cell of that row is
    not published; a région subtotal ``reg:84`` holds its départements)."""
    dims, level = diagnosis.dimensions, diagnosis.territory_level
    t = dims.index("territory") if "territory" in dims else None
    entries = {*diagnosis.cells, *diagnosis.margins}
    shown = diagnosis.published()
    members: dict[tuple[str, ...], list[int]] = {}
    # Roll-ups: (row without its territory, région) -> atoms of its hidden départements.
    hidden_rows: dict[tuple[tuple[str, ...], str], list[int]] = {}
    for i, atom in enumerate(atoms):
        key = tuple(_value(atom, d, level, territories) for d in dims)
        region = (territories.parents(key[t])[0]
                  if t is not None and key[t].startswith("dep:") else None)
        # Every entry holding the atom: each value kept or summed over (TOTAL), and a
        # département also read as its région.
        options = [(value, TOTAL, region) if d == t and region else (value, TOTAL)
                   for d, value in enumerate(key)]
        for entry in product(*options):
            if entry in entries:
                members.setdefault(entry, []).append(i)
        if t is not None and region is not None and key not in shown:
            hidden_rows.setdefault((key[:t] + key[t + 1:], region), []).append(i)
    if t is not None:
        for entry in entries:
            if entry[t] != TOTAL and entry[t].endswith("*"):
                members[entry] = hidden_rows.get((entry[:t] + entry[t + 1:], entry[t][:-1]), [])
    return members


def attack(needs: Iterable[Need], publish: Callable[[str], Any], bys: Iterable[str], *,
           noise: float = 0.0, territories: Territories | None = None,
           targets: Iterable[str] | None = None, sample: int | None = None,
           ) -> list[Hidden]:
    """Bounds of every hidden cell and total of the tables ``targets`` (default: all ``bys``),
    from every published needs value of the tables ``bys``.

    :param publish: ``by -> SharedDiagnosis``, the protected table a reader can ask for.
    :param noise: the largest difference between a perturbed atom and the true one.
    :param sample: attack only this many hidden cells, drawn at random (seeded), to bound
        the time of a run over many tables; the equations are all there.
    """
    territories = territories or core_territories()
    needs = list(needs)
    counts: dict[Atom, int] = {}
    for need in needs:
        atom = atom_of(need, territories)
        counts[atom] = counts.get(atom, 0) + 1
    atoms = sorted(counts)
    truth = np.array([counts[a] for a in atoms], dtype=float)
    rows: list[list[int]] = []
    values: list[float] = []
    hidden: list[tuple[str, tuple[str, ...], list[int]]] = []
    bys = list(bys)
    wanted = set(bys if targets is None else targets)
    for by in bys:
        diagnosis = publish(by)
        members = _members(diagnosis, atoms, territories)
        shown = {**diagnosis.published(), **diagnosis.published_margins()}
        for key, indices in members.items():
            cell = shown.get(key)
            if cell is not None and cell.needs is not None:
                rows.append(indices)
                values.append(cell.needs)
            elif by in wanted and indices:
                hidden.append((by, key, indices))
    if sample is not None and len(hidden) > sample:
        hidden = random.Random(len(hidden)).sample(hidden, sample)
    # Atoms in the same published sums and the same attacked cells are interchangeable: one
    # unknown stands for them, within ``noise`` times their number of its perturbed value (the
    # bounds are those of the atoms one by one, and the problem is several times smaller).
    signature: list[list[int]] = [[] for _ in atoms]
    for r, row in enumerate(rows):
        for i in row:
            signature[i].append(r)
    for h, (_, _, indices) in enumerate(hidden):
        for i in indices:
            signature[i].append(-1 - h)
    group_of: dict[tuple[int, ...], int] = {}
    group = [group_of.setdefault(tuple(s), len(group_of)) for s in signature]
    sizes = np.bincount(np.array(group, dtype=np.int64), minlength=len(group_of))
    solve = _bounder([sorted({group[i] for i in row}) for row in rows], values,
                     noise * sizes.astype(float))
    found = []
    for by, key, indices in hidden:
        low, high = solve(sorted({group[i] for i in indices}))
        found.append(Hidden(by=by, key=key, true=int(truth[indices].sum()),
                            low=math.ceil(low - 1e-6),
                            high=math.floor(high + 1e-6) if math.isfinite(high) else 10**9))
    return found


Bounder = Callable[[list[int]], tuple[float, float]]


def _bounder(rows: list[list[int]], values: list[float], widths: npt.NDArray[np.float64],
             ) -> Bounder:
    """``indices -> (smallest, largest)`` sum of the true unknowns ``indices`` over every
    solution of the published equations. Unknowns: the true ones ``t``, then the perturbed ones
    ``a``; published sums read ``a``, and ``|a_j - t_j| <= widths[j]``."""
    m = len(widths)
    try:
        from scipy.optimize._highspy import _core as highs
    except ImportError:  # scipy moved its private HiGHS binding: one linprog per bound
        return _linprog_bounder(rows, values, widths)
    # One HiGHS model for every cell: only the objective changes from one bound to the next,
    # and HiGHS starts each solve from the previous optimal basis (seconds become
    # milliseconds).
    matrix = vstack([_matrix([[m + i for i in row] for row in rows], 2 * m), _band(m)]).tocsc()
    lp = highs.HighsLp()
    lp.num_col_, lp.num_row_ = 2 * m, matrix.shape[0]
    lp.col_cost_ = np.zeros(2 * m)
    lp.col_lower_ = np.zeros(2 * m)
    lp.col_upper_ = np.full(2 * m, highs.kHighsInf)
    lp.row_lower_ = np.r_[np.array(values, dtype=float), -widths]
    lp.row_upper_ = np.r_[np.array(values, dtype=float), widths]
    lp.a_matrix_.format_ = highs.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    solver = highs._Highs()
    solver.setOptionValue("output_flag", False)
    solver.passModel(lp)
    fallback: list[Bounder] = []

    def solve(indices: list[int]) -> tuple[float, float]:
        columns = np.array(indices, dtype=np.int32)
        solver.changeColsCost(len(columns), columns, np.ones(len(columns)))
        bounds = []
        for sense in (highs.ObjSense.kMinimize, highs.ObjSense.kMaximize):
            solver.changeObjectiveSense(sense)
            solver.run()
            status = solver.getModelStatus()
            if status == highs.HighsModelStatus.kOptimal:
                bounds.append(solver.getInfo().objective_function_value)
            elif (status == highs.HighsModelStatus.kUnbounded
                  and sense == highs.ObjSense.kMaximize):  # nothing caps the cell
                bounds.append(math.inf)
            else:  # a status a hot start may leave (unknown): solved afresh
                solver.clearSolver()
                if not fallback:
                    fallback.append(_linprog_bounder(rows, values, widths))
                bounds = list(fallback[0](indices))
                break
        solver.changeColsCost(len(columns), columns, np.zeros(len(columns)))
        return bounds[0], bounds[1]

    return solve


def _linprog_bounder(rows: list[list[int]], values: list[float],
                     widths: npt.NDArray[np.float64]) -> Bounder:
    """:func:`_bounder` with one ``scipy.optimize.linprog`` per bound."""
    m = len(widths)
    equal = _matrix([[m + i for i in row] for row in rows], 2 * m) if rows else None
    equal_value = np.array(values) if rows else None
    band = _band(m)
    upper = vstack([band, -band]).tocsr()
    upper_bound = np.r_[widths, widths]

    def solve(indices: list[int]) -> tuple[float, float]:
        objective = np.zeros(2 * m)
        objective[indices] = 1.0
        bounds = []
        for sign in (1.0, -1.0):
            result = linprog(sign * objective, A_ub=upper, b_ub=upper_bound, A_eq=equal,
                             b_eq=equal_value, bounds=(0, None), method="highs")
            if sign < 0 and result.status == 3:  # unbounded above: nothing caps the cell
                bounds.append(math.inf)
                continue
            assert result.status == 0, result.message
            bounds.append(sign * result.fun)
        return bounds[0], bounds[1]

    return solve


def _band(m: int) -> csr_matrix:
    """The rows ``a_j - t_j``."""
    data = [-1.0, 1.0] * m
    indices = [k for j in range(m) for k in (j, m + j)]
    return csr_matrix((data, indices, list(range(0, 2 * m + 1, 2))), shape=(m, 2 * m))


def _matrix(rows: list[list[int]], columns: int) -> csr_matrix:
    data, indices, pointers = [], [], [0]
    for row in rows:
        indices += row
        data += [1.0] * len(row)
        pointers.append(len(indices))
    return csr_matrix((data, indices, pointers), shape=(len(rows), columns))


def differencing(before: Iterable[Need], after: Iterable[Need], association: str,
                 publish: Callable[[Sequence[Need], str], Any], bys: Iterable[str], *,
                 noise: float = 0.0) -> dict[str, set[tuple[str, ...]]]:
    """The cells of each table where the attacker, comparing two releases, *knows* that
    ``association`` (the one difference between them) has a need: a published cell whose
    value changed (an unchanged cell might still hold it, a changed one must), or, with exact
    values, one whose value grew by the association's whole contribution."""
    before, after = list(before), list(after)
    territories = core_territories()
    # Each need's atom once, then each table's cells' needs in one pass (not a pass over every
    # need for every cell: the two releases of a few thousand needs took minutes).
    atoms = [atom_of(n, territories) for n in after]
    located: dict[str, set[tuple[str, ...]]] = {}
    for by in bys:
        old, new = publish(before, by), publish(after, by)
        inside = _cells_needs(after, atoms, new, territories)
        old_cells, new_cells = old.published(), new.published()
        sure = set()
        for key, cell in new_cells.items():
            previous = old_cells.get(key)
            if cell.needs is None or previous is None or previous.needs is None:
                continue
            # Each atom moves by at most ``noise`` in each release: a change larger than twice
            # that over the cell's atoms cannot be noise.
            cell_atoms = {atoms[i] for i in inside.get(key, ())}
            if abs(cell.needs - previous.needs) > 2 * noise * len(cell_atoms):
                sure.add(key)
        truly = {key for key in new.cells
                 if any(after[i].association == association for i in inside.get(key, ()))}
        located[by] = sure & truly
    return located


def _cells_needs(needs: Sequence[Need], atoms: Sequence[Atom], diagnosis: Any,
                 territories: Territories) -> dict[tuple[str, ...], list[int]]:
    """The indices in ``needs`` of the needs of each cell of ``diagnosis`` (by their atoms)."""
    dims, level = diagnosis.dimensions, diagnosis.territory_level
    found: dict[tuple[str, ...], list[int]] = {}
    for i, atom in enumerate(atoms):
        key = tuple(_value(atom, d, level, territories) for d in dims)
        found.setdefault(key, []).append(i)
    return found
