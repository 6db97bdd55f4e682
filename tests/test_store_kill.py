"""A publication killed (SIGKILL) at any moment leaves the previous state whole.

A store holds bundle A; a ``pmae publish`` of bundle B (the same network, every record
different) is killed at a random moment of its run, ten times (twenty on PostgreSQL). After
each kill the store opens, passes SQLite's integrity and foreign-key checks (on SQLite), and
holds exactly A's records with A's last publication at the end of the log, or exactly B's with
B's: never a mix.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pmae import synth
from pmae.model import COLLECTIONS
from pmae.store import open_store

#: Kills per backend.
KILLS = {"sqlite": 10, "postgres": 20}

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


def _state(db: Path | str) -> tuple[str, str | None]:
    """A digest of every record, and the file of the last publication."""
    with open_store(db) as store:
        log = store.log()
    if isinstance(db, str) and db.startswith("postgresql://"):
        import psycopg

        connection: Any = psycopg.connect(db)
    else:
        connection = sqlite3.connect(db)
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    try:
        digest = hashlib.sha256()
        for collection in COLLECTIONS:
            for (text,) in connection.execute(f'SELECT record FROM "{collection}" ORDER BY id'):
                digest.update(text.encode())
    finally:
        connection.close()
    return digest.hexdigest(), (log[-1].bundles[0].file if log else None)


def _publish(bundle: Path, db: Path | str) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "PMAE_LOAD_PLUGINS": ""}  # pmae's built-ins: a steady run
    return subprocess.Popen([sys.executable, "-m", "pmae.cli", "publish", str(bundle), "--db",
                             str(db)], env=environment, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def test_a_killed_publication_leaves_the_previous_state_whole(tmp_path: Path,
                                                              store_at: str) -> None:
    files = {}
    for name, seed in (("a", 1), ("b", 2)):
        files[name] = tmp_path / f"{name}.json"
        synth.write(files[name], associations=300, seed=seed)
    db = store_at
    states = {}
    for name in ("a", "b"):
        started = time.monotonic()
        assert _publish(files[name], db).wait() == 0
        duration = time.monotonic() - started
        states[name] = _state(db)
        assert states[name][1] == str(files[name])
    assert states["a"][0] != states["b"][0]
    current = "b"
    rng = random.Random(11)
    outcomes = []
    for _ in range(KILLS["postgres" if db.startswith("postgresql://") else "sqlite"]):
        target = "a" if current == "b" else "b"
        process = _publish(files[target], db)
        time.sleep(rng.uniform(0.0, duration * 1.1))
        process.send_signal(signal.SIGKILL)
        process.wait()
        found = _state(db)
        assert found in (states["a"], states["b"]), "a mixed state after a kill"
        if found == states[target]:
            current = target
        outcomes.append(found == states[target])
    # Kills land before and after the commit alike; at least one landed before it.
    assert not all(outcomes)


def test_two_publications_at_once_both_land_one_after_the_other(tmp_path: Path) -> None:
    """Two networks publish at the same moment: the second waits for the first's lock, and
    the store ends with both, each publication whole."""
    db = tmp_path / "s.db"
    files = []
    for slug, seed in (("reseau-a", 1), ("reseau-b", 2), ("reseau-c", 3)):
        files.append(tmp_path / f"{slug}.json")
        synth.write(files[-1], associations=150, seed=seed, source=slug)
    assert _publish(files[0], db).wait() == 0  # the store exists before the race
    with open_store(db) as store:
        first = store.counts()
    racing = [_publish(path, db) for path in files[1:]]
    assert [process.wait() for process in racing] == [0, 0]
    with open_store(db) as store:
        log = store.log()
        assert sorted(entry.bundles[0].source for entry in log) == [
            "reseau-a", "reseau-b", "reseau-c"]
        assert store.counts() == {name: 3 * count for name, count in first.items()}
    _state(db)


def test_a_killed_first_publication_into_a_new_store(tmp_path: Path) -> None:
    """The first publication of a JSON Lines bundle into a new SQLite store is made beside
    the path (validated as it is written, with a rollback journal) and put there once
    published: killed at any moment, it leaves nothing at the path, or the whole bundle in a
    store in WAL mode."""
    bundle = tmp_path / "a.jsonl"
    synth.write(bundle, fmt="jsonl", associations=300, seed=1)
    complete = tmp_path / "complete.db"
    started = time.monotonic()
    assert _publish(bundle, complete).wait() == 0
    duration = time.monotonic() - started
    whole = _state(complete)
    assert _journal_mode(complete) == "wal"
    seen = []
    # From the start to after the end (a kill of a process that has ended changes nothing).
    for attempt, share in enumerate((0.15, 0.3, 0.45, 0.6, 0.75, 0.9, 1.05, 2.0)):
        db = tmp_path / f"killed-{attempt}.db"
        process = _publish(bundle, db)
        time.sleep(duration * share)
        process.send_signal(signal.SIGKILL)
        process.wait()
        if not db.exists():
            seen.append("none")
            continue
        assert _state(db) == whole, "a store that is not the whole bundle after a kill"
        assert _journal_mode(db) == "wal"
        seen.append("whole")
    assert seen[-1] == "whole" and "none" in seen, seen


def _journal_mode(db: Path) -> str:
    connection = sqlite3.connect(db)
    try:
        return str(connection.execute("PRAGMA journal_mode").fetchone()[0])
    finally:
        connection.close()
