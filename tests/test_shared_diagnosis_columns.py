"""The shared diagnosis read column by column: :func:`protect_columns` and light rows give what
:func:`protect` gives for the same needs; the integer coding of the finest cells agrees with
their tuples whatever path it takes (small or large code ranges, renumbering, hash collisions)."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from pmae.analysis.shared_diagnosis import (
    NeedColumns,
    Protection,
    aggregate,
    protect,
    protect_columns,
)
from pmae.analysis.shared_diagnosis import columns as columns_module
from pmae.analysis.shared_diagnosis.columns import FIELDS, factorize
from pmae.analysis.shared_diagnosis.dimensions import AtomKeyer
from pmae.model import Need
from pmae.sample import load_sample
from pmae.territories import core_territories


def _needs(count: int, *, spread: int, seed: int = 1) -> list[Need]:
    """``count`` needs whose themes, size bands and sectors take ``spread`` values each."""
    rng = random.Random(seed)
    places = ("dep:01", "dep:07", "com:69123", "reg:84", "epci:200046977", None, "dep:2A")
    return [Need(id=f"t:besoin-{i}", origin="declare", theme=f"theme-{rng.randrange(spread)}",
                 date=dt.date(rng.choice((2023, 2024, 2025)), rng.randint(1, 12), 1),
                 association=rng.choice((*(f"t:a{k}" for k in range(9)), None)),
                 territory=rng.choice(places), intensity=rng.choice((None, 1.0, 2.5, 3)),
                 size_band=rng.choice((None, "", *(f"b{k}" for k in range(spread)))),
                 sector=rng.choice((None, *(f"s{k}" for k in range(spread)))))
            for i in range(count)]


def _same(a: Protection, b: Protection) -> None:
    assert a.atoms == b.atoms
    for name in ("needs", "shown_needs", "intensity", "shown_intensity", "record_keys",
                 "pair_atom", "pair_contributor", "pair_intensity"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.labels == b.labels
    assert all(np.array_equal(a.codes[k], b.codes[k]) for k in a.codes)


def _reference(needs: list[Need]) -> Counter[tuple[str, ...]]:
    keyer = AtomKeyer(core_territories())
    return Counter(keyer.atom(need) for need in needs)


@pytest.mark.parametrize("spread", [3, 600])
def test_atoms_are_the_sorted_tuples_of_the_needs(spread: int) -> None:
    # spread 600: a code range far larger than the needs, coded by a sort, not a table.
    needs = _needs(500, spread=spread)
    protection = protect(needs, core_territories(), secret="")
    reference = _reference(needs)
    assert list(protection.atoms) == sorted(reference)
    assert protection.needs.tolist() == [reference[atom] for atom in protection.atoms]
    for i, name in enumerate(("theme", "territory", "size_band", "sector", "year")):
        assert protection.labels[name] == sorted({atom[i] for atom in protection.atoms})
        assert [protection.labels[name][k] for k in protection.codes[name]] == \
            [atom[i] for atom in protection.atoms]


def test_columns_and_light_rows_give_what_needs_give() -> None:
    needs = list(load_sample().needs)
    territories = core_territories()
    expected = protect(needs, territories, secret="s")
    columns = NeedColumns.of(needs)
    _same(protect_columns(columns, territories, secret="s"), expected)
    rows = [SimpleNamespace(**{name: getattr(need, name) for name in FIELDS}) for need in needs]
    _same(protect(rows, territories, secret="s"), expected)
    _same(protect(iter(needs), territories, secret="s"), expected)
    table = aggregate(needs, by="theme,dep", protection=protect_columns(
        NeedColumns(**{name: tuple(getattr(columns, name)) for name in FIELDS}), territories,
        secret=""))
    assert table.to_json() == aggregate(needs, by="theme,dep", secret="").to_json()


def test_columns_of_different_lengths_are_refused() -> None:
    columns: dict[str, Any] = {name: [None, None] for name in FIELDS}
    columns["date"] = [dt.date(2025, 1, 1)]
    with pytest.raises(ValueError, match=r"one value per need.*date 1"):
        NeedColumns(**columns)


def test_no_needs() -> None:
    protection = protect([], core_territories(), secret="")
    assert protection.atoms == ()
    assert len(protection.needs) == len(protection.record_keys) == 0
    table = aggregate([], by="theme,dep,size_band,sector,year", protection=protection)
    assert table.source_needs == 0


def test_codes_renumbered_before_they_overflow(monkeypatch: pytest.MonkeyPatch) -> None:
    needs = _needs(400, spread=50, seed=3)
    expected = protect(needs, core_territories(), secret="")
    monkeypatch.setattr(columns_module, "_LIMIT", 64)
    _same(protect(needs, core_territories(), secret=""), expected)


def test_factorize_survives_hash_collisions() -> None:
    # hash(-1) == hash(-2) in CPython: many distinct values, two of them sharing a hash.
    values = [*range(5000), -1, -2, -1, 7, -2]
    assert hash(-1) == hash(-2)
    factor = factorize(values)
    assert [factor.values[k] for k in factor.codes] == values
    assert len(factor.values) == len(set(values))
    many = [f"v{i % 6000}" for i in range(20000)]
    factor = factorize(many)
    assert [factor.values[k] for k in factor.codes] == many


def test_the_territory_mapping_is_kept_across_calls() -> None:
    territories = core_territories()
    assert AtomKeyer.shared(territories) is AtomKeyer.shared(territories)
    other = territories.with_referential(level="bv", entries=[])
    assert AtomKeyer.shared(other).territories is other


def test_contributors_survive_hash_collisions() -> None:
    # hash(-1) == hash(-2): two contributors sharing a hash are still two.
    associations: list[Any] = [*range(3000), -1, None, -2, None, -1, 7]
    ids = [f"n{i}" for i in range(len(associations))]
    factor = columns_module.contributors(associations, ids)
    expected = [a if a is not None else i for a, i in zip(associations, ids, strict=True)]
    assert [factor.values[k] for k in factor.codes] == expected
    assert len(factor.values) == len(set(expected))
    # An id equal to an association is that association.
    factor = columns_module.contributors(["a", None, "b"], ["x", "a", "y"])
    assert [factor.values[k] for k in factor.codes] == ["a", "a", "b"]
    assert len(factor.values) == 2


@pytest.mark.parametrize("span", [50, 1 << 20, 1 << 40])
def test_unique_codes_is_numpys_unique(span: int) -> None:
    # A table (small range), a sort of 32-bit codes, a sort of 64-bit codes.
    rng = np.random.default_rng(span)
    code = rng.integers(0, span, size=3000, dtype=np.int64)
    found, inverse = columns_module.unique_codes(code, span)
    expected, expected_inverse = np.unique(code, return_inverse=True)
    assert found.dtype == inverse.dtype == np.int64
    assert np.array_equal(found, expected)
    assert np.array_equal(inverse, expected_inverse.reshape(-1))
    empty = columns_module.unique_codes(np.zeros(0, dtype=np.int64), span)
    assert len(empty[0]) == len(empty[1]) == 0
