"""Writing bundles atomically (JSON and JSON Lines) and merging bundles of several networks."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import attrs
import pytest

from pmae import (
    Actor,
    Bundle,
    Offer,
    Source,
    merge_bundles,
    validate_file,
    write_bundle,
)
from pmae.io.bundles import dumps_bundle
from pmae.io.files import atomic_writer

WHEN = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)


def _bundle(slug: str, *, offer_title: str = "Premier accueil") -> Bundle:
    return Bundle(
        source=Source(slug=slug, name=slug.upper()),
        generated_at=WHEN,
        actors=(Actor(id=f"{slug}:acteur", name="Maison des associations",
                      actor_type="maison_des_associations", territories=("dep:69",)),),
        offers=(Offer(id=f"{slug}:offre", actor=f"{slug}:acteur", title=offer_title,
                      themes=("recrutement",), stages=("accueil",)),),
    )


def test_json_and_json_lines_give_the_same_bundle(tmp_path: Path) -> None:
    bundle = _bundle("lma-ra")
    write_bundle(bundle, tmp_path / "b.json")
    write_bundle(bundle, tmp_path / "b.jsonl")
    lines = (tmp_path / "b.jsonl").read_bytes().splitlines()
    assert lines[0].startswith(b'{"format_version":"1.1.0"')
    assert lines[1].startswith(b'{"actors":{"id":"lma-ra:acteur"')
    assert lines[2].startswith(b'{"offers":{"id":"lma-ra:offre"')
    for name in ("b.json", "b.jsonl"):
        report = validate_file(tmp_path / name)
        assert report.issues == []
        assert report.bundle == bundle


def test_json_lines_issue_has_its_line(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    write_bundle(_bundle("lma-ra"), path)
    text = path.read_text().replace('"stages":["accueil"]', '"stages":["acceuil"]')
    path.write_text(text)
    (issue,) = validate_file(path).issues
    assert (issue.code, issue.path, issue.line) == ("unknown-code", "$.offers[0].stages[0]", 3)
    assert issue.render().startswith(f"{path}:3:$.offers[0].stages[0]: error [unknown-code]")


def test_atomic_writer_leaves_the_old_file_when_interrupted(tmp_path: Path) -> None:
    target = tmp_path / "b.json"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), atomic_writer(target) as handle:
        handle.write(b"half of the new")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["b.json"]


def test_atomic_writer_keeps_permissions(tmp_path: Path) -> None:
    target = tmp_path / "b.json"
    target.write_bytes(b"old")
    target.chmod(0o640)
    with atomic_writer(target) as handle:
        handle.write(b"new")
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o640


def test_merge_keeps_provenance_and_identical_records_once() -> None:
    a, b = _bundle("lma-ra"), _bundle("rnma")
    result = merge_bundles([a, b, a], files=["a.json", "b.json", "a2.json"],
                           source=Source(slug="fusion", name="Fusion"), generated_at=WHEN)
    assert result.issues == ()
    merged = result.bundle
    assert [x.id for x in merged.offers] == ["lma-ra:offre", "rnma:offre"]
    assert [(p.source.slug, p.file, p.records) for p in merged.provenance] == [
        ("lma-ra", "a.json", 2), ("rnma", "b.json", 2), ("lma-ra", "a2.json", 2)]


def test_merge_reports_conflicts_and_overwrites_nothing() -> None:
    first, changed = _bundle("lma-ra"), _bundle("lma-ra", offer_title="Autre titre")
    result = merge_bundles([first, changed], files=["a.json", "b.json"],
                           source=Source(slug="fusion", name="Fusion"), generated_at=WHEN)
    (conflict,) = result.conflicts
    assert (conflict.code, conflict.file, conflict.path) == ("merge-conflict", "b.json",
                                                            "$.offers[0]")
    assert conflict.message == ("'lma-ra:offre' differs from the record at a.json:$.offers[0] "
                                "(in title)")
    assert result.bundle.offers == first.offers


def test_merge_conflict_of_one_id_in_two_collections_names_both() -> None:
    # The same id for an actor in one bundle and an offer in another: a conflict, not a crash
    # comparing the fields of two different kinds of record.
    first = _bundle("lma-ra")
    other = attrs.evolve(first, actors=(), offers=(attrs.evolve(first.offers[0],
                                                                id="lma-ra:acteur"),))
    result = merge_bundles([first, other], files=["a.json", "b.json"],
                           source=Source(slug="fusion", name="Fusion"), generated_at=WHEN)
    (conflict,) = result.conflicts
    assert conflict.path == "$.offers[0]"
    assert conflict.message == ("'lma-ra:acteur' is in offers here and in actors at "
                                "a.json:$.actors[0]")


def test_merged_bundle_validates_without_foreign_id_warnings(tmp_path: Path) -> None:
    result = merge_bundles([_bundle("lma-ra"), _bundle("rnma")],
                           source=Source(slug="fusion", name="Fusion"), generated_at=WHEN)
    write_bundle(result.bundle, tmp_path / "m.json")
    assert validate_file(tmp_path / "m.json").issues == []


def test_dumps_bundle_is_stable() -> None:
    data = dumps_bundle(_bundle("lma-ra"))
    assert data == dumps_bundle(_bundle("lma-ra"))
    assert data.endswith(b"}\n")


def test_read_document_reports_missing_file(tmp_path: Path) -> None:
    report = validate_file(tmp_path / "absent.json")
    assert [(i.code, i.message) for i in report.issues] == [("file-not-found", "no such file")]


def test_reference_to_another_network_resolves_after_merging(tmp_path: Path) -> None:
    from pmae import validate_document
    from pmae.io.bundles import bundle_to_data

    lma, rnma = _bundle("lma-ra"), _bundle("rnma")
    # RNMA publishes an offer carried by an actor of Le Mouvement associatif.
    offer = Offer(id="rnma:offre-commune", actor="lma-ra:acteur", title="Permanence commune",
                  themes=("recrutement",), stages=("information",))
    rnma = Bundle(source=rnma.source, generated_at=WHEN, actors=rnma.actors,
                  offers=(*rnma.offers, offer))
    alone = validate_document(bundle_to_data(rnma))
    assert [(i.code, i.severity, i.path) for i in alone.issues] == [
        ("external-reference", "info", "$.offers[1].actor")]
    assert alone.ok
    merged = merge_bundles([lma, rnma], source=Source(slug="fusion", name="Fusion"),
                           generated_at=WHEN).bundle
    assert validate_document(bundle_to_data(merged)).issues == []
    # The same id with this bundle's own prefix is a real dangling reference.
    own = Bundle(source=rnma.source, generated_at=WHEN, actors=rnma.actors,
                 offers=(Offer(id="rnma:x", actor="rnma:absent", title="Orpheline"),))
    (issue,) = validate_document(bundle_to_data(own)).issues
    assert (issue.code, issue.severity) == ("dangling-reference", "error")


def test_a_newer_minor_version_is_read_without_its_new_fields() -> None:
    from pmae import validate_document
    from pmae.io.bundles import bundle_to_data

    data = bundle_to_data(_bundle("lma-ra"))
    data["format_version"] = "1.3.0"
    data["offers"][0]["accessibility"] = "PMR"
    data["events"] = [{"id": "lma-ra:e1"}]
    report = validate_document(data, file="b.json")
    assert [(i.code, i.severity, i.path) for i in report.issues] == [
        ("newer-field", "warning", "$.events"),
        ("newer-field", "warning", "$.offers[0].accessibility"),
    ]
    assert report.issues[1].message == (
        "'accessibility' comes with bundle format 1.3.0; this pmae reads format 1.1.0 and "
        "ignores it")
    assert report.ok and report.bundle == _bundle("lma-ra")  # written as 1.1.0 again
    assert "accessibility" in data["offers"][0]  # the caller's data is left as it was
    # The same fields in a bundle of this pmae's own version are errors.
    data["format_version"] = "1.1.0"
    assert {i.code for i in validate_document(data).issues} == {"unknown-field"}


def test_with_collections_replaces_only_the_collections_it_names() -> None:
    bundle = _bundle("lma-ra")
    other = _bundle("rnma")
    replaced = bundle.with_collections({"offers": other.offers})
    assert replaced.offers == other.offers
    assert replaced.actors == bundle.actors
    assert replaced.source == bundle.source
    with pytest.raises(TypeError, match="a Actor in a collection of Offer"):
        bundle.with_collections({"offers": other.actors})
    with pytest.raises(ValueError, match="not collections of a bundle: offres"):
        bundle.with_collections({"offres": other.offers})


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [("tables.zip", b"PK\x03\x04rest", "this is a zip archive, not a JSON bundle"),
     ("offers.csv", b"id,name\r\nx:1,A\r\n", "this is a CSV file, not a JSON bundle")],
)
def test_tables_given_to_validate_point_to_import(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    (tmp_path / name).write_bytes(content)
    (issue,) = validate_file(tmp_path / name).issues
    assert (issue.code, issue.message) == ("invalid-json", message)
    assert issue.hint == ("CSV tables are read with `pmae import csv PATH -o bundle.json`, "
                          "then validated")
