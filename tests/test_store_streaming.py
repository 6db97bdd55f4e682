"""JSON Lines validated and published record by record: the same issues as validating the file
whole, and the same store as publishing the whole bundle."""

from __future__ import annotations

import copy
import datetime as dt
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import valid_document
from hypothesis import HealthCheck, given, settings
from strategies import bundles

from pmae.io.bundles import bundle_to_data
from pmae.io.files import dumps_json_lines
from pmae.io.pipeline import InvalidBundleError
from pmae.io.stream import FileChangedError, read_json_lines, scan_json_lines
from pmae.issues import has_errors
from pmae.model import Bundle
from pmae.sample import sample_bytes
from pmae.sessions import Session, make_session
from pmae.store import one_pass, open_store, streaming

CORE = make_session(load=[])
NOW = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)


def _jsonl(path: Path, document: dict[str, Any]) -> Path:
    path.write_bytes(b"".join(dumps_json_lines(document)))
    return path


def _same_issues(path: Path, session: Session = CORE) -> None:
    """The scan gives the whole validation's issues, and gives up exactly when it has errors."""
    whole = session.validate_file(path)
    scanned = scan_json_lines(path, context=session.check_context)
    if scanned is None:
        assert has_errors(whole.issues), [i.render() for i in whole.issues]
    else:
        assert not has_errors(whole.issues)
        assert scanned.issues == whole.issues


def test_the_sample_scans_as_it_validates(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "sample.jsonl", orjson.loads(sample_bytes()))
    scanned = scan_json_lines(path, context=CORE.check_context)
    assert scanned is not None
    assert scanned.issues == CORE.validate_file(path).issues
    whole = CORE.load_bundle(path)
    assert scanned.counts == whole.counts()
    assert scanned.kinds == {r.id: name for name, r in whole.records()}
    assert [record for _, record in read_json_lines(scanned)] == [
        record for name, records in bundle_to_data(whole).items()
        if name in scanned.counts for record in records]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bundle=bundles(max_records=3))
def test_random_bundles_scan_as_they_validate(bundle: Bundle) -> None:
    with tempfile.TemporaryDirectory() as folder:
        _same_issues(_jsonl(Path(folder) / "b.jsonl", bundle_to_data(bundle)))


def _set(collection: str, field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document[collection][0][field] = value
    return change


def _move_actor(document: dict[str, Any]) -> None:
    document["offers"].append(copy.deepcopy(document["actors"][0]) | {
        "title": "x", "actor": document["actors"][0]["id"]})


#: Mutations of a valid document: errors (the scan gives up) and warnings or notes (it does
#: not), every layer.
MUTATIONS: dict[str, Callable[[dict[str, Any]], None]] = {
    "dangling reference": _set("offers", "actor", "lma-ra:nobody"),
    "external reference": _set("offers", "actor", "autre:acteur"),
    "wrong reference": _set("offers", "actor", "lma-ra:offre-1"),
    "foreign id": _set("actors", "id", "autre:acteur-9"),
    "schema error": _set("offers", "themes", "gepp"),
    "unknown field": _set("offers", "colour", "blue"),
    "unknown territory": _set("offers", "territories", ["dep:00"]),
    "unknown code": _set("offers", "themes", ["gepq"]),
    "size band": _set("associations", "headcount", 400),
    "control character": _set("offers", "title", "a\u0007b"),
    "duplicate id": lambda d: d["offers"].append(copy.deepcopy(d["offers"][0])),
    "duplicate across collections": _move_actor,
    "newer format": lambda d: d.update(format_version="1.9.0"),
    "bad envelope": lambda d: d.update(generated_at="yesterday"),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_bad_and_doubtful_bundles_scan_as_they_validate(tmp_path: Path, name: str) -> None:
    document = valid_document()
    MUTATIONS[name](document)
    _same_issues(_jsonl(tmp_path / "b.jsonl", document))


@pytest.mark.parametrize("text", [
    b"", b"[1]\n", b'{"format_version": "1.0.0"\n', b'{"format_version": "1.0.0"}\n[]\n',
    b'{"format_version": "1.0.0", "source": {"slug": "a", "name": "A"}, '
    b'"generated_at": "2026-01-01T00:00:00Z"}\n{"autres": {}}\n',
])
def test_unreadable_files_are_left_to_the_whole_validation(tmp_path: Path, text: bytes) -> None:
    path = tmp_path / "b.jsonl"
    path.write_bytes(text)
    assert scan_json_lines(path, context=CORE.check_context) is None
    assert scan_json_lines(tmp_path / "none.jsonl") is None
    assert has_errors(CORE.validate_file(path).issues)


def _state(db: Path) -> dict[str, Any]:
    """Every table of a store (versions in a stable order: their numbers follow the order
    records were written in, which streaming does not keep across collections)."""
    with sqlite3.connect(db) as connection:
        tables = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%fts_%' "
            "AND name NOT IN ('store_meta', 'sqlite_sequence')")]
        state = {table: sorted(connection.execute(f'SELECT * FROM "{table}"').fetchall(),
                               key=repr) for table in tables if table != "versions"}
        state["versions"] = sorted(connection.execute(
            "SELECT id, collection, publication, change, record FROM versions").fetchall(),
            key=repr)
        state["fts"] = connection.execute(
            "SELECT rowid, * FROM offers_fts ORDER BY rowid").fetchall()
    return state


def _publications(tmp_path: Path, documents: list[dict[str, Any]], name: str) -> Path:
    db = tmp_path / f"{name}.db"
    with open_store(db, create=True, session=CORE) as store:
        for number, document in enumerate(documents):
            path = tmp_path / f"p{documents.index(document)}.jsonl"
            result = store.publish(_jsonl(path, document), now=NOW)
            assert result.changed_anything == (number != 1)
    return db


def test_streamed_publications_write_what_whole_ones_write(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = valid_document()
    second = copy.deepcopy(first)
    second["offers"][0]["title"] = "Premier emploi, deuxième édition"
    del second["meetings"]
    second["actors"].append({"id": "lma-ra:mda", "name": "Maison des associations",
                             "actor_type": "maison_des_associations"})
    documents = [first, first, second, first]
    scans: list[Any] = []
    real_scan = streaming.scan
    monkeypatch.setattr(streaming, "scan", lambda *a, **k: scans.append(real_scan(*a, **k))
                        or scans[-1])
    passes: list[Any] = []
    real_pass = one_pass._one_pass
    monkeypatch.setattr(one_pass, "_one_pass", lambda *a, **k: passes.append(real_pass(*a, **k))
                        or passes[-1])
    streamed = _state(_publications(tmp_path, documents, "streamed"))
    # The first publication, into the empty store, in one pass; the others scanned, then read.
    assert len(scans) == 3 and None not in scans and len(passes) == 1
    # Neither scanned nor in one pass: every bundle validated and published whole.
    monkeypatch.setattr(streaming, "streamable", lambda *a, **k: False)
    whole = _state(_publications(tmp_path, documents, "whole"))
    assert streamed == whole
    assert [row[3:] for row in streamed["publications"]] == [
        (7, 0, 0, 0), (1, 1, 5, 1), (1, 1, 5, 1)]


def test_bulk_first_publication_builds_the_indexes_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A first publication large enough drops the indexes of the empty tables and builds them
    again: the schema is the one a small publication leaves."""
    monkeypatch.setattr(streaming, "BULK", 1)
    monkeypatch.setattr(streaming, "BATCH", 2)
    bulk = _publications(tmp_path, [valid_document()], "bulk")
    monkeypatch.setattr(streaming, "BULK", 10**9)
    small = _publications(tmp_path, [valid_document()], "small")

    def schema(db: Path) -> list[Any]:
        with sqlite3.connect(db) as connection:
            return sorted(connection.execute("SELECT type, name, sql FROM sqlite_master"))
    assert schema(bulk) == schema(small)
    assert _state(bulk) == _state(small)


def test_an_invalid_jsonl_bundle_shows_the_whole_validations_issues(tmp_path: Path) -> None:
    document = valid_document()
    document["offers"][0]["actor"] = "lma-ra:nobody"
    path = _jsonl(tmp_path / "b.jsonl", document)
    with open_store(tmp_path / "s.db", create=True, session=CORE) as store, \
            pytest.raises(InvalidBundleError) as raised:
        store.publish(path)
    assert raised.value.issues == CORE.validate_file(path).issues


def test_a_file_changed_between_the_passes_writes_nothing(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "b.jsonl", valid_document())
    scanned = scan_json_lines(path, context=CORE.check_context)
    assert scanned is not None
    changed = valid_document()
    changed["offers"][0]["title"] = "Autre"
    _jsonl(path, changed)
    with open_store(tmp_path / "s.db", create=True, session=CORE) as store:
        with pytest.raises(FileChangedError):
            store._write(streaming.Prepared(scanned=scanned), NOW)
        assert store.counts() == dict.fromkeys(store.counts(), 0)
        assert store.log() == []


def test_publishing_reports_progress_in_bytes(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "b.jsonl", valid_document())
    seen: list[int] = []
    with open_store(tmp_path / "s.db", create=True, session=CORE) as store:
        store.publish(path, progress=seen.append)
    assert sum(seen) == 2 * path.stat().st_size  # validated, then read again to be written
    seen.clear()
    with open_store(tmp_path / "s.db", session=CORE) as store:  # not empty: two passes
        store.publish(_jsonl(tmp_path / "c.jsonl", valid_document()))
        store.publish(path, progress=seen.append)
    assert sum(seen) == 2 * path.stat().st_size
