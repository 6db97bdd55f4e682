"""A review of the first publication in one pass (pmae.store.one_pass): what another process
publishing into, or reading, the same new store meanwhile keeps; what a kill leaves; what
the progress bar counts."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from pmae import synth
from pmae.io.files import dumps_json_lines
from pmae.io.pipeline import InvalidBundleError
from pmae.io.stream import FileChangedError
from pmae.sample import sample_bytes
from pmae.sessions import make_session
from pmae.store import (
    Store,
    StoreLockedError,
    StoreNotFoundError,
    names,
    one_pass,
    open_store,
    publish_into,
    streaming,
)

CORE = make_session(load=[])
NOW = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)


def _bundle(path: Path, *, source: str = "synth", seed: int = 3,
            associations: int = 20) -> Path:
    synth.write(path, fmt="jsonl", associations=associations, seed=seed, source=source)
    return path


def _invalid(path: Path) -> Path:
    """A bundle whose last line is an offer of an actor it does not hold: an error found once
    the whole file is read (every other record was written by then)."""
    good = _bundle(path.with_name("for-invalid.jsonl"), source="autre", seed=4)
    lines = good.read_bytes().splitlines()
    offer = next(orjson.loads(line) for line in lines if line.startswith(b'{"offers"'))
    offer["offers"]["id"] += "-fin"
    offer["offers"]["actor"] = "autre:personne"
    path.write_bytes(b"\n".join([*lines, orjson.dumps(offer)]) + b"\n")
    good.unlink()
    return path


def _records(db: Path) -> int:
    with open_store(db, session=CORE) as store:
        return sum(store.counts().values())


def _files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_a_store_opened_during_a_failed_first_publication_keeps_what_is_published_into_it(
        tmp_path: Path) -> None:
    """Another pmae (or Datasette) that opened the new store while the first publication was
    being validated and written, then publishes into it once the first has failed: what it
    was told it published is in the store. (Removing the new store after the failure unlinked
    the files the other one had open: it wrote into files no longer there, and the store was
    gone.)"""
    db = tmp_path / "store.db"
    bad, good = _invalid(tmp_path / "bad.jsonl"), _bundle(tmp_path / "good.jsonl")
    other: list[Store | None] = []

    def progress(size: int) -> None:
        if not other:
            try:
                other.append(open_store(db, session=CORE))
            except StoreNotFoundError:  # nothing there yet: nothing to lose
                other.append(None)

    with pytest.raises(InvalidBundleError):
        publish_into(db, bad, session=CORE, progress=progress)
    opened = other[0]
    if opened is None:
        assert not db.exists()
        publish_into(db, good, session=CORE)
    else:
        with opened:
            assert opened.publish(good, now=NOW).number == 1
    assert _records(db) > 0  # what was published is there
    assert [p.number for p in open_store(db, session=CORE).log()] == [1]


@pytest.mark.parametrize("first", ["valid", "invalid"])
def test_a_store_made_by_another_publisher_during_the_first_publication_is_kept(
        tmp_path: Path, first: str) -> None:
    """Two publications into a store that does not exist yet: the one that made it first
    keeps it whatever becomes of the other, which publishes into it when valid."""
    db = tmp_path / "store.db"
    mine = (_bundle(tmp_path / "mine.jsonl", source="autre", seed=4) if first == "valid"
            else _invalid(tmp_path / "mine.jsonl"))
    theirs = _bundle(tmp_path / "theirs.jsonl")
    done: list[Any] = []

    def progress(size: int) -> None:
        if not done:  # the other publisher, while this one validates and writes
            try:
                done.append(publish_into(db, theirs, session=CORE, timeout=0.2))
            except Exception as error:
                done.append(error)

    if first == "valid":
        result = publish_into(db, mine, session=CORE, progress=progress)
        assert result.number == 2
    else:
        with pytest.raises(InvalidBundleError):
            publish_into(db, mine, session=CORE, progress=progress)
    assert not isinstance(done[0], Exception), done[0]
    assert done[0].number == 1
    with open_store(db, session=CORE) as store:
        log = store.log()
    assert [p.number for p in log] == ([1, 2] if first == "valid" else [1])
    assert _files(tmp_path) == ["mine.jsonl", "store.db", "theirs.jsonl"]


#: Publish argv[1] into the new store argv[2], killing itself (SIGKILL) in the middle of the
#: rows, once they are being written in one pass.
_KILLED = """
import os, signal, sys
from pmae.sessions import make_session
from pmae.store import publish_into, streaming

calls, real = [], streaming.put_rows
def put_rows(*args, **kwargs):
    calls.append(True)
    if len(calls) == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kwargs)
streaming.put_rows = put_rows
publish_into(sys.argv[2], sys.argv[1], session=make_session(load=[]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_first_publication_killed_in_its_one_pass_leaves_no_store(tmp_path: Path) -> None:
    """Killed while it validates and writes, the first publication into a new path leaves no
    store there (as one killed while it validated, before the store was made); what it
    leaves beside is removed by the next publication."""
    bundle = _bundle(tmp_path / "bundle.jsonl", associations=60)
    db = tmp_path / "store.db"
    process = subprocess.run([sys.executable, "-c", _KILLED, str(bundle), str(db)],
                             capture_output=True, check=False)
    assert process.returncode == -signal.SIGKILL, process.stderr.decode()
    assert not db.exists()
    with pytest.raises(StoreNotFoundError):
        open_store(db, session=CORE)
    assert publish_into(db, bundle, session=CORE).number == 1
    connection = sqlite3.connect(db)
    assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    connection.close()
    assert _files(tmp_path) == ["bundle.jsonl", "store.db"]


def test_a_publisher_between_the_emptiness_check_and_the_write_is_written_over(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store found empty, then published into by another process before this publication
    writes: it is scanned and written over the other as two passes write it (foreign keys
    checked, names by the triggers), not loaded as into an empty store."""
    first, second = (_bundle(tmp_path / "first.jsonl", source="autre", seed=4),
                     _bundle(tmp_path / "second.jsonl"))
    db, ordinary = tmp_path / "store.db", tmp_path / "ordinary.db"
    for path in (db, ordinary):
        open_store(path, create=True, session=CORE).close()
    with open_store(ordinary, session=CORE) as store:
        store.publish(first, now=NOW)
        store.publish(second, now=NOW)
    real = streaming.prepare_publication
    between: list[bool] = []

    def prepare(*args: Any, **kwargs: Any) -> streaming.Prepared:
        prepared = real(*args, **kwargs)
        if not between:
            between.append(True)
            assert prepared.deferred is not None  # found empty: to be written in one pass
            with open_store(db, session=CORE) as other:  # another process, in between
                other.publish(first, now=NOW)
        return prepared

    with open_store(db, session=CORE) as store:
        monkeypatch.setattr(streaming, "prepare_publication", prepare)
        result = store.publish(second, now=NOW)
        monkeypatch.undo()
        assert result.number == 2
    assert _contents(db) == _contents(ordinary)


def _contents(db: Path) -> dict[str, Any]:
    connection = sqlite3.connect(db)
    try:
        state: dict[str, Any] = {"schema": sorted(connection.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall(), key=repr)}
        for (table,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"):
            state[table] = sorted(connection.execute(f'SELECT * FROM "{table}"').fetchall(),
                                  key=repr)
        state["store_meta"] = [row for row in state["store_meta"] if row[0] != "created_at"]
        return state
    finally:
        connection.close()


def _ambiguous(tmp_path: Path) -> Path:
    """A JSON Lines bundle referencing an id of another network as an actor and as an
    association: the bulk load's set-wise names give up, and it is written again."""
    document = orjson.loads(sample_bytes())
    document["actors"][0]["networks"] = [*document["actors"][0].get("networks", ()), "autre:x"]
    document["needs"][0]["association"] = "autre:x"
    path = tmp_path / "ambiguous.jsonl"
    path.write_bytes(b"".join(dumps_json_lines(document)))
    return path


def test_one_pass_given_up_for_ambiguous_names_writes_what_two_passes_write(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = _ambiguous(tmp_path)
    publish_into(tmp_path / "one.db", bundle, session=CORE, now=NOW)
    real = streaming.prepare_publication
    monkeypatch.setattr(streaming, "prepare_publication",
                        lambda *args, one_pass=False, **kwargs: real(*args, **kwargs))
    publish_into(tmp_path / "two.db", bundle, session=CORE, now=NOW)
    one = _contents(tmp_path / "one.db")
    assert ("autre:x", "actors", names.ELSEWHERE) in one["record_names"]
    assert one == _contents(tmp_path / "two.db")


def _counted(db: Path, bundle: Path) -> int:
    counted: list[int] = []
    publish_into(db, bundle, session=CORE, progress=counted.append)
    return sum(counted)


def test_the_bar_of_a_one_pass_publication_counts_twice_the_bytes(tmp_path: Path) -> None:
    """`pmae publish` sizes its bar for two passes (twice the file's bytes)."""
    bundle = _bundle(tmp_path / "bundle.jsonl")
    assert _counted(tmp_path / "store.db", bundle) == 2 * bundle.stat().st_size


@pytest.mark.xfail(strict=True, reason=(
    "the one pass counts twice the bytes, then the bulk load given up for ambiguous names "
    "scans and reads the file again (four times its bytes; three before the one pass): the "
    "bar, clamped at its end, shows 100% with no time left while the second attempt runs; "
    "the Progress callback cannot go back"))
def test_the_bar_counts_twice_the_bytes_when_the_bulk_load_is_written_again(
        tmp_path: Path) -> None:
    bundle = _ambiguous(tmp_path)
    assert _counted(tmp_path / "store.db", bundle) == 2 * bundle.stat().st_size


@pytest.mark.xfail(strict=True, raises=StoreLockedError, reason=(
    "into an existing empty store the one pass validates inside the write transaction: an "
    "invalid bundle meets the lock of another writer before its errors (exit 2, 'another pmae "
    "is writing') where two passes gave `pmae validate`'s issues (exit 1); a store that cannot "
    "be written likewise. A trade-off of the one pass, not a loss: nothing is written"))
def test_an_invalid_bundle_into_a_busy_empty_store_gives_its_issues(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    open_store(db, create=True, session=CORE).close()
    bad = _invalid(tmp_path / "bad.jsonl")
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another publication under way
    try:
        with pytest.raises(InvalidBundleError):
            publish_into(db, bad, session=CORE, timeout=0.1)
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_bundle_still_being_written_is_not_published_cut_short(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file another program is still writing (a download, `cat a b > x.jsonl`) whose reader
    caught up with the writer at the end of a line reads as a valid, shorter bundle: two
    passes found it changed on the second read; the one pass must see it too, rather than
    publish the first part and say nothing."""
    whole = _bundle(tmp_path / "whole.jsonl")
    lines = whole.read_bytes().splitlines(keepends=True)
    cut = len(lines) - 20  # the last needs: the first part is a valid bundle too
    bundle = tmp_path / "bundle.jsonl"
    bundle.write_bytes(b"".join(lines[:cut]))
    real = one_pass.log_publication

    def written_meanwhile(*args: Any, **kwargs: Any) -> int:
        with bundle.open("ab") as handle:  # the writer goes on, once the reader is at the end
            handle.write(b"".join(lines[cut:]))
        return real(*args, **kwargs)

    monkeypatch.setattr(one_pass, "log_publication", written_meanwhile)
    db = tmp_path / "store.db"
    with pytest.raises(FileChangedError):
        publish_into(db, bundle, session=CORE)
    assert not db.exists()
    monkeypatch.undo()
    assert publish_into(db, bundle, session=CORE).total.added == len(lines) - 1


def test_without_hard_links_the_first_publication_is_made_at_the_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file system without hard links (FAT, some network shares: ``link`` fails with
    EPERM): the bundle, found valid, is published at the path as into any new store."""
    bundle = _bundle(tmp_path / "bundle.jsonl")

    def no_link(source: Any, target: Any) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_link)
    db = tmp_path / "store.db"
    assert publish_into(db, bundle, session=CORE, now=NOW).number == 1
    assert _records(db) > 0
    assert _files(tmp_path) == ["bundle.jsonl", "store.db"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_a_store_made_beside_has_the_permissions_sqlite_gives(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path / "bundle.jsonl")
    before = os.umask(0o002)  # a group that shares its files
    try:
        publish_into(tmp_path / "one.db", bundle, session=CORE)
        open_store(tmp_path / "plain.db", create=True, session=CORE).close()
    finally:
        os.umask(before)
    assert (tmp_path / "one.db").stat().st_mode == (tmp_path / "plain.db").stat().st_mode
