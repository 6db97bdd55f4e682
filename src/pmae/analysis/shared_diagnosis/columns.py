"""The needs of a shared diagnosis as columns, and their finest cells as integer codes.

:func:`~.protection.protect` reads needs one attribute at a time (:class:`FactoredNeeds`):
each attribute is numbered in one C-level pass over the needs, straight off them or off
columns (:class:`NeedColumns`, what a store read column by column gives to
:func:`~.protection.protect_columns`), and every later step (territory mapping, atoms,
contributors, the release digest's texts) takes one Python-level step per *distinct* value,
not per need. On a million needs read from a bundle, each need holds its own string objects,
scattered in memory: touching each once, and building no list of them, is what keeps it fast.

The finest cell ("atom") of a need is coded as one integer: each dimension's value is replaced by
its rank among the dimension's sorted distinct values, and the ranks are combined in mixed radix
in the order of :data:`~.model.DIMENSIONS`. Numeric order of the codes is then the order of the
atoms' tuples of strings, so the atoms come out sorted without building a tuple per need."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Final

import attrs

from pmae.analysis.shared_diagnosis.dimensions import Atom, AtomKeyer
from pmae.analysis.shared_diagnosis.model import DIMENSIONS, UNSPECIFIED

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["FIELDS", "AtomCodes", "Factor", "FactoredNeeds", "NeedColumns", "code_atoms",
           "contributors", "factorize", "unique_codes"]

#: The attributes of a need the shared diagnosis reads.
FIELDS: Final = ("id", "association", "theme", "territory", "date", "intensity", "size_band",
                 "sector")
_FACTORED: Final = ("theme", "territory", "date", "intensity", "size_band", "sector")
# Mixed-radix codes stay below this; past it, the codes so far are renumbered densely first.
_LIMIT: Final = 1 << 62


@attrs.define(kw_only=True, frozen=True)
class NeedColumns:
    """Needs as equal-length columns, one per attribute of :class:`~pmae.model.Need` the shared
    diagnosis reads (the values of the need at the same position in every column).

    ``date`` holds :class:`datetime.date` values; ``intensity`` numbers or ``None`` (counted
    as 1); ``association``, ``territory``, ``size_band`` and ``sector`` may hold ``None``.

    :raises ValueError: if the columns are not all of the same length.
    """

    id: Sequence[str]
    association: Sequence[str | None]
    theme: Sequence[str]
    territory: Sequence[str | None]
    date: Sequence[dt.date]
    intensity: Sequence[float | None]
    size_band: Sequence[str | None]
    sector: Sequence[str | None]

    def __attrs_post_init__(self) -> None:
        """Check the columns' lengths."""
        lengths = {name: len(getattr(self, name)) for name in FIELDS}
        if len(set(lengths.values())) > 1:
            raise ValueError("need columns must have one value per need each; lengths: "
                             + ", ".join(f"{name} {n:,}" for name, n in lengths.items()))

    def __len__(self) -> int:
        """The number of needs."""
        return len(self.id)

    @classmethod
    def of(cls, needs: Iterable[Any]) -> NeedColumns:
        """The columns of ``needs``: objects with the attributes of :class:`~pmae.model.Need`
        the diagnosis reads (``Need`` itself, or lighter rows)."""
        rows = needs if isinstance(needs, list | tuple) else list(needs)
        return cls(**{name: list(map(attrgetter(name), rows)) for name in FIELDS})


@attrs.define(kw_only=True, frozen=True, eq=False)
class Factor:
    """A column as its distinct values (in order of first appearance) and, for each need, the
    position of its value in them."""

    values: list[Any]
    codes: npt.NDArray[np.int64]

    def take(self, table: Sequence[Any], start: int, end: int) -> list[Any]:
        """``table[k]`` for the distinct value ``k`` of each need from ``start`` to ``end``."""
        import numpy as np

        return np.asarray(table, dtype=object)[self.codes[start:end]].tolist()  # type: ignore[no-any-return]


def factorize(values: Iterable[Any], count: int | None = None) -> Factor:
    """The :class:`Factor` of ``values`` (hashable), numbered in order of first appearance.

    One pass, at C level: a dictionary whose missing keys take the next number. Each value is
    touched once: on a million needs read from a bundle, the values lie scattered in memory and
    every further pass over them costs a cache miss per value.

    :param count: the number of values, when ``values`` is not a sequence.
    """
    import numpy as np

    n = len(values) if count is None else count  # type: ignore[arg-type]
    position: defaultdict[Any, int] = defaultdict(itertools.count().__next__)
    codes = np.fromiter(map(position.__getitem__, values), dtype=np.int64, count=n)
    return Factor(values=list(position), codes=codes)


def contributors(associations: Iterable[str | None], ids: Sequence[str]) -> Factor:
    """Who each need counts for, factorized: its association, or its own id when it has none
    (:func:`~.dimensions.contributor`), in no particular order.

    Associations are many (150,000 in a national bundle): a dictionary look-up per need would
    cost a few cache misses each, so the contributors are grouped by their Python hash with
    one numpy sort, then each is compared with the first of its group; should two differ (two
    values sharing a hash), they are numbered by :func:`factorize` instead.
    """
    import numpy as np

    n = len(ids)
    whos = np.fromiter(associations, dtype=object, count=n)
    hashes = np.fromiter(map(hash, whos), dtype=np.int64, count=n)
    maybe = np.flatnonzero(hashes == hash(None))
    alone = maybe[[who is None for who in whos[maybe].tolist()]]
    if len(alone):
        own = list(map(ids.__getitem__, alone.tolist()))
        whos[alone] = own
        hashes[alone] = np.fromiter(map(hash, own), dtype=np.int64, count=len(own))
    found, codes = np.unique(hashes, return_inverse=True)
    codes = codes.reshape(-1).astype(np.int64)
    first = np.empty(len(found), dtype=np.int64)
    first[codes] = np.arange(n)  # any one need of each group
    representatives = whos[first]
    if not bool(np.all(whos == representatives[codes])):
        return factorize(whos.tolist())
    return Factor(values=representatives.tolist(), codes=codes)


@attrs.define(kw_only=True, frozen=True, eq=False)
class FactoredNeeds:
    """Needs as their ids and, for every other attribute the diagnosis reads, a
    :class:`Factor` (the contributor for the association: :func:`contributors`)."""

    id: Sequence[str]
    contributor: Factor
    theme: Factor
    territory: Factor
    date: Factor
    intensity: Factor
    size_band: Factor
    sector: Factor

    def __len__(self) -> int:
        """The number of needs."""
        return len(self.id)

    @classmethod
    def of_columns(cls, columns: NeedColumns) -> FactoredNeeds:
        """The factors of ``columns``."""
        return cls._read(columns.id, lambda name: getattr(columns, name))

    @classmethod
    def of_rows(cls, needs: Iterable[Any]) -> FactoredNeeds:
        """The factors of ``needs`` (as for :meth:`NeedColumns.of`), each read straight off
        the needs: no column is built, so each value is touched once, not twice."""
        rows = needs if isinstance(needs, list | tuple) else list(needs)
        return cls._read(list(map(attrgetter("id"), rows)),
                         lambda name: map(attrgetter(name), rows))

    @classmethod
    def _read(cls, ids: Sequence[str], column: Callable[[str], Iterable[Any]]
              ) -> FactoredNeeds:
        n = len(ids)
        return cls(id=ids, contributor=contributors(column("association"), ids),
                   **{name: factorize(column(name), n) for name in _FACTORED})


@attrs.define(kw_only=True, frozen=True, eq=False)
class AtomCodes:
    """The atoms of a set of needs, sorted, and the atom of each need."""

    #: The atoms' tuples, in sorted order.
    atoms: tuple[Atom, ...]
    #: For each need, the position of its atom in ``atoms``.
    atom_of: npt.NDArray[np.int64]
    #: For each dimension of :data:`~.model.DIMENSIONS`: its sorted distinct values, and for
    #: each atom the position of its value in them.
    labels: dict[str, list[str]]
    codes: dict[str, npt.NDArray[np.int64]]


def code_atoms(needs: FactoredNeeds, keyer: AtomKeyer) -> AtomCodes:
    """The atoms of ``needs`` (territories mapped by ``keyer``)."""
    import numpy as np

    def unspecified(value: str | None) -> str:
        return value or UNSPECIFIED

    def year(date: dt.date) -> str:
        return str(date.year)

    def same(value: str) -> str:
        return value

    ranked = [_ranks(needs.theme, same), _ranks(needs.territory, keyer.department),
              _ranks(needs.size_band, unspecified), _ranks(needs.sector, unspecified),
              _ranks(needs.date, year)]
    code = np.zeros(len(needs), dtype=np.int64)
    span = 1
    for ranks, values in ranked:
        if span * max(len(values), 1) >= _LIMIT:  # renumbered densely, in the same order
            distinct, inverse = np.unique(code, return_inverse=True)
            code, span = inverse.reshape(-1).astype(np.int64), len(distinct)
        code = code * len(values) + ranks
        span *= max(len(values), 1)
    found, atom_of = unique_codes(code, span)
    atom_count = len(found)
    # Each atom's values, read off one of its needs.
    example = np.empty(atom_count, dtype=np.int64)
    example[atom_of] = np.arange(len(code))
    codes = {name: ranks[example] for name, (ranks, _) in zip(DIMENSIONS, ranked, strict=True)}
    labels = {name: found for name, (_, found) in zip(DIMENSIONS, ranked, strict=True)}
    decoded = [np.asarray(labels[name], dtype=object)[codes[name]].tolist()
               for name in DIMENSIONS]
    return AtomCodes(atoms=tuple(zip(*decoded, strict=True)), atom_of=atom_of, labels=labels,
                     codes=codes)


def unique_codes(code: npt.NDArray[np.int64], span: int
                 ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """``np.unique(code, return_inverse=True)`` for codes all in ``range(span)``: the sorted
    distinct codes and the position of each code among them. By a table of ``span`` entries
    when that is small; else by a sort, of 32-bit codes when they fit (a faster sort)."""
    import numpy as np

    if span > 4 * len(code) + 1024:
        small = code.astype(np.uint32) if span <= 1 << 32 else code
        found, inverse = np.unique(small, return_inverse=True)
        return found.astype(np.int64), inverse.reshape(-1).astype(np.int64)
    present = np.zeros(span, dtype=bool)
    present[code] = True
    found = np.flatnonzero(present)
    position = np.zeros(span, dtype=np.int64)
    position[found] = np.arange(len(found))
    return found, position[code]


def _ranks(factor: Factor, label: Callable[[Any], str]
           ) -> tuple[npt.NDArray[np.int64], list[str]]:
    """For each need, the rank of its value's label among the sorted distinct labels; the
    labels. ``label`` is called once per distinct value."""
    import numpy as np

    label_of = list(map(label, factor.values))
    labels = sorted(set(label_of))
    rank = {text: k for k, text in enumerate(labels)}
    table = np.fromiter(map(rank.__getitem__, label_of), dtype=np.int64, count=len(label_of))
    return table[factor.codes], labels
