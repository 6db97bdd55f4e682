"""``pmae serve``: what it serves to whom, without Datasette, and one bounded run on a port;
the départements tables a store of schema 1 gets from ``pmae db upgrade``."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from store_versions import drop_later_collections

from pmae.cli import cli
from pmae.sample import sample_bytes
from pmae.sessions import Session, make_session
from pmae.store import datasette as served_module
from pmae.store import open_store, upgrade
from pmae.store.datasette import datasette_argv, prepare_serving
from pmae.store.schema import ADDED_IN, DEPARTEMENTS, SCHEMA_VERSION, link_table


@pytest.fixture(scope="module")
def core() -> Session:
    """pmae's built-ins alone."""
    return make_session(load=[])


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, core: Session) -> Path:
    """The sample published into a store."""
    folder = tmp_path_factory.mktemp("serve")
    sample = folder / "sample.json"
    sample.write_bytes(sample_bytes())
    with open_store(folder / "pmae.db", create=True, session=core) as opened:
        opened.publish(sample)
    return folder / "pmae.db"


def _invoke(core: Session, *args: str) -> Any:
    return CliRunner().invoke(cli, list(args), obj=core, prog_name="pmae")


def test_all_serves_the_store_and_public_an_export_never_the_store(
        store: Path, core: Session, tmp_path: Path) -> None:
    pytest.importorskip("datasette")
    served, described = prepare_serving(store, tmp_path, audience="all", session=core)
    assert served == store.resolve()
    assert set(json.loads(described.read_text())["databases"]) == {"pmae"}
    public, described = prepare_serving(store, tmp_path, audience="public", session=core)
    assert public.parent == tmp_path and public != store
    assert set(json.loads(described.read_text())["databases"]) == {"pmae-public"}
    connection = sqlite3.connect(public)
    assert connection.execute(
        "SELECT value FROM store_meta WHERE key = 'audience'").fetchone() == ("public",)
    assert connection.execute(
        "SELECT count(*) FROM offers WHERE visibility != 'public'").fetchone() == (0,)
    connection.close()


def test_the_command_is_read_only_on_the_loopback(tmp_path: Path) -> None:
    argv = datasette_argv(tmp_path / "pmae.db", tmp_path / "m.json", port=8123)
    assert argv[argv.index("--immutable") + 1] == str(tmp_path / "pmae.db")
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    assert argv[argv.index("--port") + 1] == "8123"
    assert "-i" not in argv and "--setting" in argv


def test_without_datasette_serve_says_how_to_install_it(
        store: Path, core: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(served_module.importlib.util, "find_spec", lambda name: None)
    done = _invoke(core, "serve", "--db", str(store))
    assert done.exit_code == 2
    assert "pip install 'pmae[serve]'" in done.stderr


def test_serve_refuses_a_missing_store_and_a_bad_audience(core: Session,
                                                          tmp_path: Path) -> None:
    pytest.importorskip("datasette")
    missing = _invoke(core, "serve", "--db", str(tmp_path / "none.db"))
    assert missing.exit_code == 2 and "no store here" in missing.stderr
    assert not (tmp_path / "none.db").exists()
    assert _invoke(core, "serve", "--audience", "everyone").exit_code == 2


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_answers_on_the_loopback_then_stops(store: Path) -> None:
    """One bounded run: `pmae serve --audience public` on a free port answers with the public
    file (made in a temporary folder that is gone once it stops), then is stopped."""
    pytest.importorskip("datasette")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "pmae.cli", "serve", "--db", str(store), "--audience", "public",
         "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={**os.environ, "PMAE_LOAD_PLUGINS": ""})  # the built-ins alone
    try:
        deadline = time.monotonic() + 60
        databases = None
        while databases is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/-/databases.json", timeout=2) as answer:
                    databases = json.loads(answer.read())
            except OSError:
                time.sleep(0.3)
        assert databases is not None, server.stderr.read() if server.stderr else ""
        (database,) = databases
        assert database["name"] == "pmae-public" and not database["is_mutable"]
        assert Path(database["path"]) != store.resolve()
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert not Path(database["path"]).exists()


def test_upgrade_from_schema_1_fills_the_departements(store: Path, tmp_path: Path) -> None:
    """A store of schema 1 (no départements tables) upgraded: départements named and the
    communes' départements are filled from what it holds."""
    copy = tmp_path / "old.db"
    source = sqlite3.connect(store)
    source.backup(target := sqlite3.connect(copy))
    source.close()
    expected = {}
    drop_later_collections(target)  # version 5's responses and practices
    for collection in DEPARTEMENTS:
        if collection in ADDED_IN:
            continue
        table = link_table(collection, "departements")
        expected[table] = set(target.execute(
            f"SELECT d.record, d.code FROM {table} AS d WHERE d.record IN ("
            f"SELECT record FROM {table} GROUP BY record HAVING count(*) = 1)"))
        target.execute(f"DROP TABLE {table}")
    target.execute("UPDATE store_meta SET value = '1' WHERE key = 'schema_version'")
    target.commit()
    target.close()
    assert upgrade(copy) == (1, list(range(2, SCHEMA_VERSION + 1)))
    upgraded = sqlite3.connect(copy)
    for table, rows in expected.items():
        # A record with one département named one département or a commune: found again.
        assert rows <= set(upgraded.execute(f"SELECT record, code FROM {table}")), table
    assert any(expected.values())
    upgraded.close()
