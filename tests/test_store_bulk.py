"""The first publication into an empty SQLite store is a bulk load (foreign keys checked once
at the end, the names of ``record_names`` filled set-wise): it writes exactly what the
ordinary path writes, and a failure or a kill in the middle leaves the empty store whole."""

from __future__ import annotations

import datetime as dt
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from pmae import synth
from pmae.cli import cli
from pmae.sample import sample_bytes
from pmae.sessions import make_session
from pmae.store import CorruptStoreError, names, one_pass, open_store, rows, streaming
from pmae.store import connection as connection_module

CORE = make_session(load=[])
NOW = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)


def _contents(db: Path) -> dict[str, Any]:
    """The schema and every row of every table (but the store's creation time)."""
    connection = sqlite3.connect(db)
    try:
        schema = sorted(connection.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall(), key=repr)
        state: dict[str, Any] = {"schema": schema}
        for (table,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"):
            state[table] = sorted(connection.execute(f'SELECT * FROM "{table}"').fetchall(),
                                  key=repr)
        state["store_meta"] = [row for row in state["store_meta"] if row[0] != "created_at"]
        return state
    finally:
        connection.close()


def _publish(db: Path, bundle: Path, *, bulk: bool, monkeypatch: pytest.MonkeyPatch,
             passes: int | None = None) -> None:
    """Publish ``bundle`` into the store ``db``, as a bulk load or not; ``passes``: one (a
    JSON Lines file into an empty store, the default) or two (scanned, then read again)."""
    used = []
    real = names.filled_after

    def spied(connection: Any) -> Any:
        used.append(True)
        return real(connection)

    once: list[bool] = []
    real_pass = one_pass._one_pass

    def one(*args: Any, **kwargs: Any) -> Any:
        once.append(True)
        return real_pass(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(names, "filled_after", spied)
        patch.setattr(one_pass, "_one_pass", one)
        if not bulk:
            patch.setattr(names, "is_empty", lambda connection: False)
        if passes == 2:
            prepare = streaming.prepare_publication
            patch.setattr(streaming, "prepare_publication",
                          lambda *args, one_pass=False, **kwargs: prepare(*args, **kwargs))
        with open_store(db, create=True, session=CORE) as store:
            store.publish(bundle, now=NOW)
            assert store._connection.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert used == ([True] if bulk else [])
    # A JSON Lines bundle loaded into an empty store is validated as it is written.
    assert once == ([True] if bulk and passes != 2 and bundle.suffix == ".jsonl" else [])


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_a_bulk_load_writes_what_the_ordinary_path_writes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    bundle = tmp_path / f"bundle.{fmt}"
    synth.write(bundle, fmt=fmt, associations=120, seed=3)  # type: ignore[arg-type]
    # Indexes dropped and built again too, as at national scale.
    monkeypatch.setattr(streaming, "BULK", 50)
    _publish(tmp_path / "bulk.db", bundle, bulk=True, monkeypatch=monkeypatch)
    _publish(tmp_path / "rows.db", bundle, bulk=False, monkeypatch=monkeypatch)
    bulk, ordinary = _contents(tmp_path / "bulk.db"), _contents(tmp_path / "rows.db")
    assert bulk["record_names"] and bulk["needs"]
    assert bulk == ordinary
    with open_store(tmp_path / "bulk.db") as store:
        for collection, text in sqlite3.connect(tmp_path / "rows.db").execute(
                "SELECT 'offers', record FROM offers UNION ALL SELECT 'needs', record "
                "FROM needs LIMIT 50"):
            assert store.record(orjson.loads(text)["id"]) == (collection, text)


def test_one_pass_writes_what_two_passes_write(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "bundle.jsonl"
    synth.write(bundle, fmt="jsonl", associations=120, seed=5)
    monkeypatch.setattr(streaming, "BATCH", 7)  # several batches of every collection
    _publish(tmp_path / "one.db", bundle, bulk=True, monkeypatch=monkeypatch)
    _publish(tmp_path / "two.db", bundle, bulk=True, monkeypatch=monkeypatch, passes=2)
    assert _contents(tmp_path / "one.db") == _contents(tmp_path / "two.db")


def _broken(tmp_path: Path, fault: str) -> Path:
    """A JSON Lines bundle with a schema error in its middle and/or, on its last line, an
    offer whose actor the bundle does not hold (found once the whole file is read)."""
    good = tmp_path / "good.jsonl"
    synth.write(good, fmt="jsonl", associations=40, seed=11)
    lines = good.read_bytes().splitlines()
    offers = [number for number, line in enumerate(lines) if line.startswith(b'{"offers"')]
    if fault in ("schema", "both"):
        middle = offers[len(offers) // 2]
        value = orjson.loads(lines[middle])
        value["offers"]["themes"] = "pas-une-liste"
        lines[middle] = orjson.dumps(value)
    if fault in ("reference", "both"):
        value = orjson.loads(lines[offers[0]])
        value["offers"]["id"] += "-fin"
        value["offers"]["actor"] = value["offers"]["id"].partition(":")[0] + ":personne"
        lines.append(orjson.dumps(value))
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.mark.parametrize("fault", ["reference", "schema", "both"])
@pytest.mark.parametrize("store", ["new", "empty"])
def test_an_invalid_bundle_in_one_pass_writes_nothing_and_shows_validates_issues(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str, store: str) -> None:
    bad = _broken(tmp_path, fault)
    db = tmp_path / "store.db"
    if store == "empty":
        open_store(db, create=True, session=CORE).close()
        empty = _contents(db)
    gave_up: list[bool] = []
    real = one_pass._one_pass

    def one(*args: Any, **kwargs: Any) -> Any:
        try:
            return real(*args, **kwargs)
        except one_pass._GaveUp:
            gave_up.append(True)
            raise

    monkeypatch.setattr(one_pass, "_one_pass", one)
    runner = CliRunner()
    expected = runner.invoke(cli, ["validate", str(bad)], obj=CORE, prog_name="pmae")
    refused = runner.invoke(cli, ["publish", str(bad), "--db", str(db)], obj=CORE,
                            prog_name="pmae")
    assert gave_up == [True]  # written as validated, then rolled back
    assert refused.exit_code == expected.exit_code == 1
    assert refused.stdout == expected.stdout  # every issue, as `pmae validate` prints them
    assert ("personne" in expected.stdout) == (fault != "schema")
    assert ("pas-une-liste" in expected.stdout) == (fault != "reference")
    assert "nothing was published" in refused.stderr
    if store == "new":
        assert sorted(path.name for path in tmp_path.iterdir()) == ["bad.jsonl", "good.jsonl"]
    else:
        assert _contents(db) == empty


def test_a_new_store_is_made_beside_and_removed_whatever_happens(tmp_path: Path) -> None:
    """The store of a first publication in one pass is made under a temporary name beside
    the path asked for, and removed with SQLite's files when the publication fails."""
    where = tmp_path / "new.db"
    with pytest.raises(ValueError), one_pass.made_beside(where) as made:
        assert made.parent == tmp_path and made.name.startswith(".new.db.pmae-")
        open_store(made, create=True, session=CORE).close()
        Path(f"{made}-wal").write_bytes(b"")
        raise ValueError
    assert list(tmp_path.iterdir()) == []


def test_the_sample_then_a_second_publication_as_the_ordinary_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a bulk load the triggers keep the names again: a second publication (no bulk
    load: the store holds records) leaves what it leaves after an ordinary first one."""
    sample = tmp_path / "sample.json"
    sample.write_bytes(sample_bytes())
    second = tmp_path / "second.jsonl"
    synth.write(second, fmt="jsonl", associations=30, seed=4)
    for name, bulk in (("bulk", True), ("rows", False)):
        _publish(tmp_path / f"{name}.db", sample, bulk=bulk, monkeypatch=monkeypatch)
        _publish(tmp_path / f"{name}.db", second, bulk=False, monkeypatch=monkeypatch)
    assert _contents(tmp_path / "bulk.db") == _contents(tmp_path / "rows.db")


def test_an_id_referenced_as_two_kinds_of_record_is_named_as_the_triggers_name_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An id of another network referenced as an actor (in an actor's networks, written first)
    and as an association (by a need): the triggers name it after the first reference
    written, which a set-wise fill cannot know; the bulk load then writes with them."""
    document = orjson.loads(sample_bytes())
    document["actors"][0]["networks"] = [*document["actors"][0].get("networks", ()), "autre:x"]
    document["needs"][0]["association"] = "autre:x"
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(orjson.dumps(document))
    _publish(tmp_path / "bulk.db", bundle, bulk=True, monkeypatch=monkeypatch)
    _publish(tmp_path / "rows.db", bundle, bulk=False, monkeypatch=monkeypatch)
    bulk = _contents(tmp_path / "bulk.db")
    assert ("autre:x", "actors", names.ELSEWHERE) in bulk["record_names"]
    assert bulk == _contents(tmp_path / "rows.db")


def test_a_failure_in_a_bulk_load_leaves_the_empty_store_with_its_triggers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "bundle.jsonl"
    synth.write(bundle, fmt="jsonl", associations=60, seed=5)
    db = tmp_path / "store.db"
    open_store(db, create=True, session=CORE).close()
    empty = _contents(db)
    real = rows.put_rows
    calls = []

    def failing(*args: Any, **kwargs: Any) -> int:
        calls.append(True)
        if len(calls) == 3:
            raise RuntimeError("interrupted")
        return real(*args, **kwargs)

    monkeypatch.setattr(streaming, "put_rows", failing)
    monkeypatch.setattr(streaming, "BATCH", 10)
    with open_store(db, session=CORE) as store, pytest.raises(RuntimeError, match="interrupted"):
        store.publish(bundle, now=NOW)
    assert _contents(db) == empty
    with open_store(db, session=CORE) as store:
        assert store._connection.execute("PRAGMA foreign_keys").fetchone() == (1,)


def test_a_broken_foreign_key_found_at_the_end_writes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Labels not written: the ordinary path refuses the first row, the bulk load the whole
    publication at the end, with the same error."""
    bundle = tmp_path / "bundle.jsonl"
    synth.write(bundle, fmt="jsonl", associations=20, seed=6)
    monkeypatch.setattr(rows.Labels, "_write", lambda self, used: None)
    for bulk in (True, False):
        db = tmp_path / f"{bulk}.db"
        open_store(db, create=True, session=CORE).close()
        empty = _contents(db)
        with monkeypatch.context() as patch:
            if not bulk:
                patch.setattr(names, "is_empty", lambda connection: False)
            with open_store(db, session=CORE) as store, pytest.raises(
                    CorruptStoreError, match="FOREIGN KEY constraint failed"):
                store.publish(bundle, now=NOW)
        assert _contents(db) == empty



def test_a_refused_commit_leaves_no_transaction_open_and_foreign_keys_on(
        tmp_path: Path) -> None:
    """A COMMIT SQLite refuses without ending the transaction (an authorizer stands for an I/O
    error here): rolled back, so the connection is not left inside it with the foreign keys
    off, and the next publication works and checks them."""
    bundle = tmp_path / "bundle.jsonl"
    synth.write(bundle, fmt="jsonl", associations=20, seed=7)
    db = tmp_path / "store.db"
    with open_store(db, create=True, session=CORE) as store:
        connection = store._connection

        def no_commit(action: int, first: str | None, *_: Any) -> int:
            refused = action == sqlite3.SQLITE_TRANSACTION and first == "COMMIT"
            return sqlite3.SQLITE_DENY if refused else sqlite3.SQLITE_OK

        connection.set_authorizer(no_commit)
        with pytest.raises(CorruptStoreError):
            store.publish(bundle, now=NOW)
        connection.set_authorizer(None)
        assert not connection.in_transaction
        assert connection.execute("PRAGMA foreign_keys").fetchone() == (1,)
        assert connection.execute("SELECT count(*) FROM needs").fetchone() == (0,)
        assert store.publish(bundle, now=NOW).total.added > 0
        assert connection.execute("SELECT count(*) FROM needs").fetchone() != (0,)


def test_an_ordinary_publication_checks_foreign_keys_whatever_the_connection_was_left_with(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Foreign keys left off on a store's connection (an interruption at the wrong moment):
    the next publication into the non-empty store turns them on and refuses a broken row."""
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    synth.write(first, fmt="jsonl", associations=20, seed=8)
    synth.write(second, fmt="jsonl", associations=20, seed=9, source="autre")
    db = tmp_path / "store.db"
    with open_store(db, create=True, session=CORE) as store:
        store.publish(first, now=NOW)
        before = _contents(db)
        store._connection.execute("PRAGMA foreign_keys = OFF")
        monkeypatch.setattr(rows.Labels, "_write", lambda self, used: None)
        with pytest.raises(CorruptStoreError, match="FOREIGN KEY constraint failed"):
            store.publish(second, now=NOW)
    assert _contents(db) == before


#: Publish argv[1] into argv[2], killing itself (SIGKILL) at argv[3]: in the middle of the
#: rows (the triggers dropped, foreign keys off) or just before the commit (the names filled).
_KILLED = """
import os, signal, sys
import pmae.store as store
from pmae.sessions import make_session
from pmae.store import streaming

def kill(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

if sys.argv[3] == "rows":
    calls, real = [], streaming.put_rows
    def put_rows(*args, **kwargs):
        calls.append(True)
        if len(calls) == 3:
            kill()
        return real(*args, **kwargs)
    streaming.put_rows = put_rows
else:
    streaming.check_foreign_keys = kill
with store.open_store(sys.argv[2], session=make_session(load=[])) as opened:
    opened.publish(sys.argv[1])
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
@pytest.mark.parametrize("moment", ["rows", "commit"])
def test_a_killed_bulk_load_leaves_the_empty_store_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moment: str) -> None:
    bundle = tmp_path / "bundle.jsonl"
    synth.write(bundle, fmt="jsonl", associations=60, seed=7)
    db = tmp_path / "store.db"
    open_store(db, create=True, session=CORE).close()
    empty = _contents(db)
    process = subprocess.run([sys.executable, "-c", _KILLED, str(bundle), str(db), moment],
                             capture_output=True, check=False)
    assert process.returncode == -signal.SIGKILL, process.stderr.decode()
    connection = sqlite3.connect(db)
    assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    connection.close()
    assert _contents(db) == empty
    # The store is as new: the next publication is a bulk load, as the first would have been.
    _publish(db, bundle, bulk=True, monkeypatch=monkeypatch)
    _publish(tmp_path / "rows.db", bundle, bulk=False, monkeypatch=monkeypatch)
    assert _contents(db) == _contents(tmp_path / "rows.db")


def test_the_check_of_distinct_keys_finds_every_broken_foreign_key(tmp_path: Path) -> None:
    """``keys_hold`` (each key checked on its distinct values) finds a broken key wherever
    ``PRAGMA foreign_key_check`` finds one: each key of the schema broken in turn on a row of
    the sample's store, and the publication's check then refuses it."""
    db = tmp_path / "sample.db"
    bundle = tmp_path / "sample.json"
    bundle.write_bytes(sample_bytes())
    with open_store(db, create=True, session=CORE) as store:
        store.publish(bundle, now=NOW)
    connection = sqlite3.connect(db, isolation_level=None)
    connection.execute("PRAGMA foreign_keys = OFF")
    assert connection_module.keys_hold(connection)
    tables = [name for (name,) in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' "
        "AND sql NOT LIKE 'CREATE VIRTUAL%'")]
    broken, keys = 0, 0
    for table in tables:
        found: dict[int, list[str]] = {}
        for key, child in connection.execute(
                'SELECT id, "from" FROM pragma_foreign_key_list(?) ORDER BY id, seq', (table,)):
            found.setdefault(key, []).append(child)
        for children in found.values():
            keys += 1
            present = " AND ".join(f'"{child}" IS NOT NULL' for child in children)
            columns = [name for (name,) in connection.execute(
                "SELECT name FROM pragma_table_info(?)", (table,))]
            row = connection.execute(
                f'SELECT * FROM "{table}" WHERE {present} LIMIT 1').fetchone()
            if row is None:
                continue
            same = " AND ".join(f'"{column}" IS ?' for column in columns)
            connection.execute("BEGIN")
            try:
                # (The triggers of record_names would name the value: as in a bulk load,
                # they are dropped; the rollback brings them back.)
                for (trigger,) in connection.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
                    connection.execute(f'DROP TRIGGER "{trigger}"')
                # A value no parent holds, of the column's own type.
                connection.execute(
                    f'UPDATE "{table}" SET ' + ", ".join(
                        f'"{child}" = CASE typeof("{child}") WHEN \'integer\' THEN -7 '
                        "ELSE 'zz:absent' END" for child in children)
                    + f" WHERE {same}", row)
                assert connection.execute("PRAGMA foreign_key_check").fetchone() is not None
                assert not connection_module.keys_hold(connection), (table, children)
                with pytest.raises(sqlite3.IntegrityError, match=f"{table}"):
                    connection_module.check_foreign_keys(connection)
                broken += 1
            finally:
                connection.execute("ROLLBACK")
    connection.close()
    # Every key of the schema (98) holds on a row of the sample's store, so each was broken.
    assert broken == keys and keys > 90, (broken, keys)


def test_a_broken_link_row_is_found_by_the_check_of_distinct_keys(tmp_path: Path) -> None:
    db = tmp_path / "sample.db"
    bundle = tmp_path / "sample.json"
    bundle.write_bytes(sample_bytes())
    with open_store(db, create=True, session=CORE) as store:
        store.publish(bundle, now=NOW)
    connection = sqlite3.connect(db, isolation_level=None)
    connection.execute("PRAGMA foreign_keys = OFF")
    for statement in ("INSERT INTO offers_themes (record, code) VALUES (99999, 'gepp')",
                      "INSERT INTO offers_themes (record, code) "
                      "SELECT min(rowid), 'zz-absent' FROM offers"):
        connection.execute("BEGIN")
        connection.execute(statement)
        assert not connection_module.keys_hold(connection)
        with pytest.raises(sqlite3.IntegrityError, match="offers_themes"):
            connection_module.check_foreign_keys(connection)
        connection.execute("ROLLBACK")
    assert connection_module.keys_hold(connection)
    connection.close()

