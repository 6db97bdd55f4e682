"""Tests of the synthetic bundle generator (pmae.synth)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import orjson
import pytest

from pmae import synth
from pmae.io.converter import unstructure
from pmae.io.files import read_document
from pmae.io.pipeline import validate_document, validate_file
from pmae.territories import core_territories
from pmae.vocab import core_vocabularies, size_band_for

SMALL = {"associations": 300, "seed": 7}


@pytest.fixture(scope="module")
def small() -> dict:
    return synth.generate(**SMALL)


def _counts(document: dict) -> dict[str, int]:
    return {name: len(document[name]) for name in synth.GENERATED}


def test_same_seed_same_bytes() -> None:
    first = orjson.dumps(synth.generate(associations=200, seed=3))
    assert orjson.dumps(synth.generate(associations=200, seed=3)) == first
    assert orjson.dumps(synth.generate(associations=200, seed=4)) != first


def test_counts_follow_associations(small: dict) -> None:
    assert _counts(small) == {"actors": 20, "offers": 200, "associations": 300, "needs": 2000}


def test_national_defaults() -> None:
    assert synth.planned_counts(associations=150_000) == {
        "actors": 10_000, "offers": 100_000, "associations": 150_000, "needs": 1_000_000}


def test_explicit_counts() -> None:
    document = synth.generate(associations=10, actors=3, offers=5, needs_per_association=2.5)
    assert _counts(document) == {"actors": 3, "offers": 5, "associations": 10, "needs": 25}


def test_zero_issues_and_round_trip(small: dict) -> None:
    report = validate_document(small)
    assert report.issues == []
    assert report.bundle is not None
    # The generator writes what pmae itself writes: defaults included, empties left out.
    assert unstructure(report.bundle) == small


def test_ids_are_source_prefixed() -> None:
    document = synth.generate(associations=30, source="lma-ra")
    ids = [r["id"] for name in synth.GENERATED for r in document[name]]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"lma-ra:[a-z]+-[0-9]+", i) for i in ids)
    assert validate_document(document).issues == []


def test_streams_equal_generate(tmp_path: Path) -> None:
    expected = synth.generate(associations=40, seed=2)
    json_path = tmp_path / "b.json"
    jsonl_path = tmp_path / "b.jsonl"
    assert synth.write(json_path, associations=40, seed=2) == _counts(expected)
    synth.write(jsonl_path, fmt="jsonl", associations=40, seed=2)
    assert orjson.loads(json_path.read_bytes()) == expected
    assert read_document(jsonl_path).data == expected
    assert validate_file(jsonl_path).issues == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.json", "b.jsonl"]


def test_empty_collections_stay_valid_json() -> None:
    data = b"".join(synth.iter_json(associations=0, actors=0, offers=0))
    assert orjson.loads(data) == synth.generate(associations=0, actors=0, offers=0)
    assert orjson.loads(data)["needs"] == []


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="invalid_fraction"):
        synth.generate(associations=1, invalid_fraction=1.5)
    with pytest.raises(ValueError, match="fmt"):
        synth.write("unused.json", fmt="xml", associations=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="associations"):
        synth.generate(associations=-1)


def test_invalid_fraction_hits_exactly_those_records() -> None:
    arguments = {"associations": 400, "seed": 5, "invalid_fraction": 0.05}
    document = synth.generate(**arguments)
    positions = synth.corrupted_positions(**arguments)
    assert {name: len(p) for name, p in positions.items()} == {
        "actors": 1, "offers": 13, "associations": 20, "needs": 133}
    expected = {(name, index) for name, indexes in positions.items() for index in indexes}
    report = validate_document(document)
    hit = set()
    for issue in report.issues:
        match = re.match(r"^\$\.(\w+)\[(\d+)\]", issue.path)
        assert match, issue
        hit.add((match[1], int(match[2])))
    assert hit == expected
    # One issue per corrupted record, and every kind of corruption shows up.
    assert len(report.issues) == len(expected)
    assert Counter(i.code for i in report.issues) == {
        "wrong-type": 44, "unknown-field": 41, "unknown-code": 41, "invalid-date": 41}
    # The detailed path agrees with the fast one.
    assert validate_document(document, fast=False).issues == report.issues


def test_invalid_fraction_keeps_other_records(small: dict) -> None:
    corrupted = synth.generate(**SMALL, invalid_fraction=0.1)
    positions = synth.corrupted_positions(**SMALL, invalid_fraction=0.1)
    for name in synth.GENERATED:
        bad = set(positions[name])
        assert [r for i, r in enumerate(corrupted[name]) if i not in bad] == [
            r for i, r in enumerate(small[name]) if i not in bad]


def test_distributions() -> None:
    document = synth.generate(associations=20_000, needs_per_association=0, seed=1)
    associations = document["associations"]
    by_departement = Counter(
        core_territories().parents(a["commune"])[0] for a in associations)
    assert by_departement["dep:69"] > 5 * by_departement["dep:48"]
    assert by_departement["dep:59"] > by_departement["dep:23"]
    assert len(by_departement) == 101
    bands = Counter(a["size_band"] for a in associations)
    assert set(bands) == {"00", "01", "02", "03", "11"}
    assert (bands["01"] + bands["02"] + bands["03"]) / len(associations) > 0.85
    assert all(size_band_for(a["headcount"]) == a["size_band"] for a in associations)
    sectors = Counter(a["sector"] for a in associations)
    assert sectors.most_common(1)[0][0] == "action_sociale_medico_sociale"
    assert sectors["sport"] > sectors["environnement"] > 0
    assert set(sectors) <= set(core_vocabularies()["sectors"].codes())


def test_needs_and_offers_shape(small: dict) -> None:
    themes = core_vocabularies()["themes"]
    associations = {a["id"]: a for a in small["associations"]}
    for need in small["needs"]:
        assert need["theme"] in themes
        assert "2022-01-01" <= need["date"] <= "2025-12-31"
        if "association" in need:
            association = associations[need["association"]]
            assert need["territory"] == association["commune"]
            assert need["size_band"] == association["size_band"]
        else:
            assert need["origin"] == "rencontre"
            assert need["territory"].startswith("dep:")
    for offer in small["offers"]:
        assert all(t.startswith(("dep:", "reg:")) for t in offer["territories"])
        assert offer["themes"] and offer["stages"]
        if "valid_until" in offer:
            assert offer["valid_until"] > offer["valid_from"]
