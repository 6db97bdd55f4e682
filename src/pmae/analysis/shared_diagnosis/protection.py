"""The protection of the shared diagnosis: cell-key perturbation of the finest cells.

Computed once for a set of needs (:func:`protect`), it gives every finest cell ("atom": the needs
by theme × département × size band × sector × year) a perturbed needs count, and every
contributor a record key. Every table is then read off it (:mod:`.tables`):

- a published **needs** count or **intensity** is the sum of the perturbed atoms of the cell, so
  every table, every total and every ``--by`` shows the same figures for the same needs, and a
  reader who combines all of them learns at most the perturbed atoms; each atom's true count
  lies anywhere in a range at least :data:`~.model.MAX_NOISE` wide around it;
- a published **associations** count is perturbed by a noise drawn from the *cell key*: the sum
  of the record keys of the cell's contributors. The same associations give the same noise in
  every table.

Keys: the release key is a keyed BLAKE2b digest of every need (id, association, theme,
territory, date, intensity, size band, sector), keyed by an optional secret of the démarche
(``PMAE_SECRECY_KEY``). A reader of the tables holds neither the needs' ids nor the secret, so
cannot compute a noise; any change to the needs draws every noise anew, so two releases that
differ by one association differ everywhere, not only where that association is.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from hashlib import blake2b
from typing import TYPE_CHECKING, Any, Final

import attrs

from pmae.analysis.shared_diagnosis.columns import (
    FactoredNeeds,
    NeedColumns,
    code_atoms,
    unique_codes,
)
from pmae.analysis.shared_diagnosis.dimensions import Atom, AtomKeyer
from pmae.analysis.shared_diagnosis.model import MAX_NOISE
from pmae.io.pipeline import _gc_paused

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from pmae.territories import Territories

__all__ = ["SECRET_VARIABLE", "Protection", "perturb_associations", "protect", "protect_columns"]

#: The environment variable holding the démarche's secret (any text; optional).
SECRET_VARIABLE: Final = "PMAE_SECRECY_KEY"
_CHUNK: Final = 1 << 16

# The noise tables: probabilities of the perturbed value a = t + p for a true count t. They are
# unbiased (the mean of a is t), never negative, and for every perturbed value a the true
# values that can give it span at least MAX_NOISE + 1 counts: a = 0 comes from 0 (an empty atom,
# which has no contributor and is never perturbed), 1, 2 or 3.
_SMALL: Final = {
    1: ((-1, 0.25), (0, 0.59), (1, 0.10), (2, 0.03), (3, 0.03)),
    2: ((-2, 0.06), (-1, 0.14), (0, 0.65), (1, 0.07), (2, 0.05), (3, 0.03)),
}
_LARGE: Final = ((-3, 0.02), (-2, 0.04), (-1, 0.14), (0, 0.60), (1, 0.14), (2, 0.04), (3, 0.02))
assert all(max(abs(p) for p, _ in table) <= MAX_NOISE for table in (*_SMALL.values(), _LARGE))


@attrs.define(kw_only=True, frozen=True, eq=False)
class Protection:
    """The protected atoms of a set of needs, computed once and read by every table.

    Arrays are indexed by atom (``atoms``), by contributor (``record_keys``) or by pair (one
    contributor in one atom, sorted by atom then contributor).
    """

    atoms: tuple[Atom, ...]
    #: True and perturbed needs counts, true and perturbed intensity, by atom.
    needs: npt.NDArray[np.int64]
    shown_needs: npt.NDArray[np.int64]
    intensity: npt.NDArray[np.float64]
    shown_intensity: npt.NDArray[np.float64]
    #: The record key (uint64) of each contributor.
    record_keys: npt.NDArray[np.uint64]
    #: Pairs: atom, contributor, the contributor's summed intensity in the atom.
    pair_atom: npt.NDArray[np.int64]
    pair_contributor: npt.NDArray[np.int64]
    pair_intensity: npt.NDArray[np.float64]
    #: Whether the figures are perturbed (False: exact values, for internal use).
    perturbed: bool
    keyer: AtomKeyer
    #: For each dimension of :data:`~.model.DIMENSIONS`: its sorted distinct values, and for
    #: each atom the position of its value in them (the atoms' columns, as integers).
    labels: dict[str, list[str]]
    codes: dict[str, npt.NDArray[np.int64]]


def protect(needs: Iterable[Any], territories: Territories, *, perturb: bool = True,
            secret: str | bytes | None = None) -> Protection:
    """The protection of ``needs``: their atoms, perturbed once.

    ``needs`` are :class:`~pmae.model.Need` values or any objects with the attributes the
    diagnosis reads (:data:`~.columns.FIELDS`, with ``Need``'s types); they are read attribute
    by attribute (:meth:`.FactoredNeeds.of_rows`) and protected as :func:`protect_columns`
    protects the same needs as columns.

    :param secret: the démarche's secret; by default the ``PMAE_SECRECY_KEY`` environment
        variable, else none (the needs' ids alone key the noise).
    """
    with _gc_paused():
        return _protect(FactoredNeeds.of_rows(needs), territories, perturb=perturb,
                        secret=secret)


def protect_columns(columns: NeedColumns, territories: Territories, *, perturb: bool = True,
                    secret: str | bytes | None = None) -> Protection:
    """The protection of the needs held as ``columns``: what :func:`protect` gives for the
    same needs in the same order, for a caller that reads needs column by column.

    :param secret: as for :func:`protect`.
    """
    # Hundreds of thousands of tuples (atoms) and strings that all survive: the cyclic
    # collector would walk every object of the process again and again for nothing.
    with _gc_paused():
        return _protect(FactoredNeeds.of_columns(columns), territories, perturb=perturb,
                        secret=secret)


def _protect(needs: FactoredNeeds, territories: Territories, *, perturb: bool,
             secret: str | bytes | None) -> Protection:
    import numpy as np

    # One C-level pass over the needs per column and per step; Python-level work only per
    # distinct value (territory, date, intensity, atom, contributor).
    keyer = AtomKeyer.shared(territories)
    coded = code_atoms(needs, keyer)
    contributor, intensity = needs.contributor, needs.intensity
    contributors = contributor.codes
    value_of = [1.0 if m is None else float(m) for m in intensity.values]
    values = np.asarray(value_of, dtype=np.float64)[intensity.codes]
    # Texts encoded once: the release digest's lines and the keys hash the same bytes.
    atom_text = [text.encode() for text in map("|".join, coded.atoms)]
    who_text = list(map(str.encode, contributor.values))
    places, dates = needs.territory, needs.date
    digest = _digest(needs.id, [
        (who_text, contributors), (atom_text, coded.atom_of),
        ([f"{code}".encode() for code in places.values], places.codes),
        _joined(([f"{date}".encode() for date in dates.values], dates.codes),
                ([f"{value!r}".encode() for value in value_of], intensity.codes))])
    release = blake2b(digest + len(needs).to_bytes(8, "little"),
                      key=_secret(secret), digest_size=32, person=b"pmae-secrecy").digest()
    record_keys = _hashes(who_text, key=release, digest_size=8)
    atoms_array = coded.atom_of
    width = max(len(contributor.values), 1)
    pairs, inverse = unique_codes(atoms_array * width + contributors, len(coded.atoms) * width)
    pair_atom, pair_contributor = pairs // width, pairs % width
    pair_intensity: npt.NDArray[np.float64] = np.round(
        np.bincount(inverse, weights=values, minlength=len(pairs)), 6
    ).astype(np.float64)
    count = len(coded.atoms)
    true_needs = np.bincount(atoms_array, minlength=count).astype(np.int64)
    true_intensity: npt.NDArray[np.float64] = np.round(
        np.bincount(atoms_array, weights=values, minlength=count), 6).astype(np.float64)
    if perturb and count:
        starts = np.flatnonzero(np.r_[True, pair_atom[1:] != pair_atom[:-1]])
        # The atom's own key joins its contributors': one association's atoms get
        # independent noises (else a total over them would move by a multiple of one noise).
        own = _hashes(atom_text, key=release, digest_size=8)
        with np.errstate(over="ignore"):
            cell_keys = np.add.reduceat(record_keys[pair_contributor], starts) + own
        shown_needs = true_needs + noise(cell_keys, true_needs, salt=1)
        # The intensity follows the needs count: its mean by need is kept, atom by atom.
        shown_intensity: npt.NDArray[np.float64] = np.round(
            true_intensity * shown_needs / true_needs, 2).astype(np.float64)
    else:
        shown_needs, shown_intensity = true_needs.copy(), true_intensity.copy()
    return Protection(
        atoms=coded.atoms, needs=true_needs, shown_needs=shown_needs,
        intensity=true_intensity, shown_intensity=shown_intensity, record_keys=record_keys,
        pair_atom=pair_atom, pair_contributor=pair_contributor, pair_intensity=pair_intensity,
        perturbed=perturb, keyer=keyer, labels=coded.labels, codes=coded.codes)


def _digest(ids: Sequence[str], fields: list[tuple[list[bytes], npt.NDArray[np.int64]]]
            ) -> bytes:
    """An order-free digest of the needs: the sum (modulo 2**64) of one hash per need, of its
    line (its id and ``fields``, separated by US, 0x1F, in UTF-8); 8 bytes, little-endian.

    :param fields: for each field after the id (the contributor first), the texts (UTF-8) of
        its distinct values and the position of each need's value in them.
    """
    import numpy as np

    tables = [(np.asarray(texts, dtype=object), codes) for texts, codes in fields]
    digest = np.uint64(0)
    for start in range(0, len(ids), _CHUNK):  # chunks: the lines of a million needs at once
        end = start + _CHUNK                    # would weigh hundreds of MB
        # Joined as bytes (UTF-8 of a join is the join of the UTF-8): no line text to encode.
        lines = map(b"\x1f".join, zip(
            map(str.encode, ids[start:end]),
            *(table[codes[start:end]].tolist() for table, codes in tables), strict=True))
        with np.errstate(over="ignore"):
            digest += _hashes(lines, digest_size=8).sum(dtype=np.uint64)
    return int(digest).to_bytes(8, "little")


def _joined(first: tuple[list[bytes], npt.NDArray[np.int64]],
            second: tuple[list[bytes], npt.NDArray[np.int64]]
            ) -> tuple[list[bytes], npt.NDArray[np.int64]]:
    """Two fields of :func:`_digest` as one (their texts joined by US): when their pairs of
    values are few (dates and intensities), one field less to join per need."""
    import numpy as np

    (texts, codes), (other, other_codes) = first, second
    found, pair_of = unique_codes(codes * len(other) + other_codes, len(texts) * len(other))
    left, right = np.divmod(found, max(len(other), 1))
    return ([texts[a] + b"\x1f" + other[b] for a, b in zip(left.tolist(), right.tolist(),
                                                            strict=True)], pair_of)


def _hashes(data: Iterable[bytes], **options: Any) -> npt.NDArray[np.uint64]:
    """The BLAKE2b digests (8 bytes) of ``data``, each read as a little-endian uint64."""
    import numpy as np

    # A copy of one prepared hasher per item: cheaper than a constructor call with options.
    copy = blake2b(**options).copy

    def digest(item: bytes) -> bytes:
        hasher = copy()
        hasher.update(item)
        return hasher.digest()

    digests = b"".join(map(digest, data))
    return np.frombuffer(digests, dtype="<u8").astype(np.uint64)


def _secret(secret: str | bytes | None) -> bytes:
    if secret is None:
        secret = os.environ.get(SECRET_VARIABLE, "")
    raw = secret.encode() if isinstance(secret, str) else secret
    # BLAKE2b keys are at most 64 bytes: a longer secret is digested first.
    return raw if len(raw) <= 64 else blake2b(raw, digest_size=64).digest()


def _mix(values: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """SplitMix64's finaliser: a well-spread 64-bit function of each value."""
    import numpy as np

    with np.errstate(over="ignore"):
        z = values + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def noise(cell_keys: npt.NDArray[np.uint64], counts: npt.NDArray[np.int64], *,
          salt: int) -> npt.NDArray[np.int64]:
    """The noise of each count: drawn from its noise table by a uniform number that is a
    function of the cell key, the count and ``salt`` (one per measure) alone."""
    import numpy as np

    with np.errstate(over="ignore"):
        mixed = _mix(cell_keys ^ _mix(counts.astype(np.uint64) * np.uint64(2 * salt + 1)))
    uniform = (mixed >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    result = np.zeros(len(counts), dtype=np.int64)
    for selector, table in ((counts == 1, _SMALL[1]), (counts == 2, _SMALL[2]),
                            (counts >= 3, _LARGE)):
        shifts = np.array([p for p, _ in table], dtype=np.int64)
        edges = np.cumsum([w for _, w in table])[:-1]
        result[selector] = shifts[np.searchsorted(edges, uniform[selector], side="right")]
    return result


def perturb_associations(cell_keys: npt.NDArray[np.uint64],
                         counts: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The published association counts: each perturbed by its cell key."""
    return counts + noise(cell_keys, counts, salt=2)
