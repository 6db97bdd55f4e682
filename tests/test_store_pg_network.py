"""A network of a shared PostgreSQL store, as a user and as an attacker: ``pmae needs`` reads the
protected tables the administrator stored, the label tables are the administrator's, and no
command prints the password of a ``--db`` URL.

B publishes the sample bundle (491 needs, every one visible to the networks in Python's rule,
none readable as a raw need by A's role); A publishes a small bundle of its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest
from click.testing import CliRunner, Result
from conftest import drop_database, new_database
from test_store_pg_access import _renamed

from pmae.cli import cli
from pmae.sample import sample_bytes
from pmae.sessions import make_session
from pmae.store import open_store
from pmae.store.networks import add_network, network_url
from pmae.store.pg_labels import LABEL_TABLES

CORE = make_session(load=[])
#: The password every URL of these tests carries (the test cluster trusts local logins, so
#: any password connects): it must never be printed.
SECRET = "s3cret-Hunter2"


def _with_password(url: str, role: str) -> str:
    return network_url(url, role, SECRET)


def _b_sample() -> dict[str, Any]:
    text = sample_bytes().decode().replace('"pmae-ra:', '"reseau-b:')
    document: dict[str, Any] = json.loads(text)
    document["source"] = {"slug": "reseau-b", "name": "Réseau B"}
    for need in document["needs"]:  # the networks may see them, in Python's rule
        need["visibility"] = "network"
        need.pop("recipients", None)
    return document


@pytest.fixture(scope="module")
def shared(postgres: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A store holding B's sample and A's bundle; the URLs of the administrator, A and B
    (each with a password) and the folder of the bundles."""
    folder = tmp_path_factory.mktemp("network")
    admin = new_database(postgres)
    paths = {"a": folder / "a.json", "b": folder / "b.json"}
    paths["a"].write_bytes(orjson.dumps(_renamed("reseau-a")))
    paths["b"].write_bytes(orjson.dumps(_b_sample()))
    with open_store(admin, create=True, session=CORE) as store:
        store.publish(paths["b"])
    urls = {"admin": _with_password(admin, "postgres")}
    for name in ("a", "b"):
        network, _ = add_network(admin, f"reseau-{name}", role=f"pmae_net_{name}",
                                 session=CORE)
        urls[name] = _with_password(admin, network.role)
    with open_store(urls["a"], session=CORE) as store:
        store.publish(paths["a"])
    yield urls | {"folder": str(folder), "bare": admin}
    drop_database(postgres, admin)


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), obj=CORE)


def _needs(url: str, *options: str) -> Result:
    return _run("needs", "--by", "theme", *options, "--db", url)


# --- pmae needs as a network -----------------------------------------------------------------


def test_a_network_reads_the_stored_tables_or_is_told_what_to_ask(
        shared: dict[str, str]) -> None:
    a, admin = shared["a"], shared["admin"]
    missing = _needs(a)
    assert missing.exit_code == 1 and missing.stdout == ""
    assert "no shared diagnosis by theme yet" in missing.stderr
    assert "pmae db share-needs --by theme --db ADMIN_URL" in missing.stderr
    assert _run("db", "share-needs", "--by", "theme", "--db", admin).exit_code == 0
    for output_format in ("json", "csv", "text"):
        as_network = _needs(a, "--format", output_format)
        computed = _needs(admin, "--format", output_format)  # the administrator computes
        assert as_network.exit_code == 0, as_network.output
        assert as_network.stdout == computed.stdout, output_format
        assert "note:" not in as_network.stderr
    document = json.loads(_needs(a, "--format", "json").stdout)
    assert document == json.loads(_run("db", "shared-needs", "--by", "theme", "--db",
                                       a).stdout)
    # B's 491 needs are counted: A's role, computing from what it may read, could not.
    assert document["source"]["needs"] > 400 and document["published_cells"] > 0
    with psycopg.connect(a, autocommit=True) as connection:
        assert connection.execute("SELECT count(*) FROM needs WHERE source = 'reseau-b'"
                                  ).fetchone() == (0,)


def test_the_tables_never_hold_a_raw_need_of_another_network(shared: dict[str, str]) -> None:
    assert _run("db", "share-needs", "--by", "theme,dep", "--db",
                shared["admin"]).exit_code == 0
    b_needs = _b_sample()["needs"]
    for output_format in ("json", "csv", "text"):
        out = _run("needs", "--by", "theme,dep", "--format", output_format, "--db",
                   shared["a"]).stdout
        assert out
        for need in b_needs[:50]:
            assert need["id"] not in out and need["association"] not in out
            for field in ("description", "title"):
                if need.get(field):
                    assert need[field] not in out


def test_outdated_tables_are_printed_with_a_note(shared: dict[str, str]) -> None:
    a, admin = shared["a"], shared["admin"]
    assert _run("db", "share-needs", "--by", "theme,year", "--db", admin).exit_code == 0
    document = _renamed("reseau-a")
    document["needs"][0]["priority"] = 1  # changed after the tables were computed
    path = Path(shared["folder"]) / "a2.json"
    path.write_bytes(orjson.dumps(document))
    import datetime as dt

    with open_store(a, session=CORE) as store:
        store.publish(path, now=dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
    late = _run("needs", "--by", "theme,year", "--format", "json", "--db", a)
    assert late.exit_code == 0
    assert json.loads(late.stdout) == json.loads(
        _run("db", "shared-needs", "--by", "theme,year", "--db", a).stdout)
    assert "before the last publication" in late.stderr
    assert "pmae db share-needs --by theme,year --db ADMIN_URL" in late.stderr
    trends = _run("needs", "--by", "theme,year", "--trends", "--db", a)
    assert trends.exit_code == 0, trends.output


def test_a_network_cannot_change_the_secrecy_rules(shared: dict[str, str]) -> None:
    refused = _needs(shared["a"], "--min-contributors", "1", "--no-secondary")
    assert refused.exit_code == 2
    assert "--min-contributors, --no-secondary" in refused.stderr
    assert "default secrecy rules" in refused.stderr


def test_the_administrator_still_computes(shared: dict[str, str], tmp_path: Path) -> None:
    """As the administrator the rules apply as before, and the figures are those of the same
    bundles in an SQLite store."""
    admin = shared["admin"]
    exact = _needs(admin, "--min-contributors", "1", "--no-secondary", "--format", "json")
    assert exact.exit_code == 0 and json.loads(exact.stdout)["rules"]["secondary"] is False
    sqlite = str(tmp_path / "s.db")
    folder = Path(shared["folder"])
    assert _run("publish", str(folder / "b.json"), "--db", sqlite).exit_code == 0
    # A's bundle as it stands (a.json, or a2.json when the test that updates it ran before in
    # this process: it changes a priority only, which no count reads).
    second = _run("publish", str(folder / "a.json"), "--db", sqlite)
    assert second.exit_code == 0, second.output
    assert _needs(admin, "--format", "csv").stdout == _needs(sqlite, "--format", "csv").stdout


# --- the label tables are the administrator's ----------------------------------------------


def test_a_network_cannot_write_a_label_table(shared: dict[str, str]) -> None:
    with psycopg.connect(shared["a"], autocommit=True) as connection:
        for table in LABEL_TABLES:
            row = connection.execute(f'SELECT code FROM "{table}" LIMIT 1').fetchone()
            assert row is not None, table  # read: yes
            columns = ("code, level" if table == "territories" else "code")
            values = "'x:evil', 'com'" if table == "territories" else "'evil'"
            label = "name" if table == "territories" else "label"
            for statement in (f'INSERT INTO "{table}" ({columns}) VALUES ({values})',
                              f'UPDATE "{table}" SET {label} = %s',
                              f'DELETE FROM "{table}"', f'TRUNCATE "{table}"'):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    connection.execute(statement, ("rewritten",) if "%s" in statement
                                       else None)


def test_a_network_publication_writes_no_label_and_says_which_lack(
        shared: dict[str, str]) -> None:
    a, bare = shared["a"], shared["bare"]
    document = _renamed("reseau-a")
    document["associations"][0]["commune"] = "com:05061"  # Gap: no record named it yet
    path = Path(shared["folder"]) / "a-gap.json"
    path.write_bytes(orjson.dumps(document))

    def known(code: str) -> bool:
        with psycopg.connect(bare, autocommit=True) as connection:
            return connection.execute("SELECT count(*) FROM territories WHERE code = %s",
                                      (code,)).fetchone() == (1,)

    assert not known("com:05061")
    done = _run("publish", str(path), "--db", a)
    assert done.exit_code == 0, done.output
    assert "info [store-labels-missing]" in done.stdout and "territories: com:05061" in \
        done.stdout and "pmae db upgrade --db ADMIN_URL" in done.stdout
    assert not known("com:05061")
    upgraded = _run("db", "upgrade", "--db", shared["admin"])
    assert upgraded.exit_code == 0, upgraded.output
    assert "label tables refreshed" in upgraded.stdout
    assert known("com:05061") and known("dep:05")  # with its ancestors
    with psycopg.connect(bare, autocommit=True) as connection:
        assert connection.execute("SELECT name FROM territories WHERE code = 'com:05061'"
                                  ).fetchone() == ("Gap",)


def test_an_upgrade_takes_back_the_label_rights_of_an_older_store(
        shared: dict[str, str]) -> None:
    with psycopg.connect(shared["bare"], autocommit=True) as connection:
        # What the roles of a store made before this version were granted.
        connection.execute('GRANT INSERT, UPDATE ON territories, "vocabulary_themes" '
                           "TO pmae_net_b")
    assert _run("db", "upgrade", "--db", shared["admin"]).exit_code == 0
    with psycopg.connect(shared["b"], autocommit=True) as connection, \
            pytest.raises(psycopg.errors.InsufficientPrivilege):
        connection.execute("UPDATE vocabulary_themes SET label = 'rewritten'")


# --- no password printed ---------------------------------------------------------------------


def _clean(result: Result) -> str:
    out = result.stdout + result.stderr
    assert SECRET not in out, out
    return out


def test_no_command_prints_the_password_of_its_url(shared: dict[str, str], monkeypatch:
                                                   pytest.MonkeyPatch) -> None:
    a, admin, folder = shared["a"], shared["admin"], Path(shared["folder"])
    hidden = a.replace(SECRET, "***")
    bad = folder / "bad.json"
    bad.write_text("{}")
    # Another bundle of A's (written here: another test's file may be on another worker).
    document = _renamed("reseau-a")
    document["associations"][0]["commune"] = "com:05061"
    again = folder / "a-again.json"
    again.write_bytes(orjson.dumps(document))
    runs = {
        "publish": (_run("publish", str(folder / "a.json"), "--db", a), hidden),
        "publish again": (_run("publish", str(again), "--db", a), hidden),
        "publish invalid": (_run("publish", str(bad), "--db", a), hidden),
        "db info": (_run("db", "info", "--db", a), hidden),
        "db log": (_run("db", "log", "--db", a), "#1"),
        "db upgrade": (_run("db", "upgrade", "--db", admin), admin.replace(SECRET, "***")),
        "db networks": (_run("db", "networks", "--db", admin), "reseau-a"),
        "add-network again": (_run("db", "add-network", "reseau-a", "--role", "pmae_net_a",
                                   "--db", admin), ":***@"),
        "shared-needs missing": (_run("db", "shared-needs", "--by", "sector", "--db", a),
                                 hidden),
        "needs missing": (_run("needs", "--by", "sector", "--db", a), hidden),
        "history": (_run("history", "reseau-a:nothing", "--db", a), hidden),
        "listing": (_run("offers", "--db", a), hidden),
        "dump": (_run("dump", "-o", str(folder / "dump.json"), "--force", "--db", a), hidden),
        "orient": (_run("orient", "--association", "reseau-a:nothing", "--db", a), hidden),
        "metadata": (_run("db", "metadata", "--db", a), hidden),
        "mysql": (_run("db", "info", "--db", f"mysql://u:{SECRET}@h/db"), "mysql://u:***@"),
        "no server": (_run("db", "info", "--db", a.replace("port=", "port=1")), ":***@"),
        "no database": (_run("db", "info", "--db", a.replace("/pmae_test_", "/nothing_")),
                        ":***@"),
        "query password": (_run("db", "info", "--db", shared["bare"] + "&password=" + SECRET),
                           "password=***"),
    }
    for name, (result, shown) in runs.items():
        assert shown in _clean(result), (name, result.output)
    # A progress bar names the store too.
    monkeypatch.setattr("pmae.render.progress.shows_progress", lambda stream=None: True)
    monkeypatch.setattr("pmae.cli.db.shows_progress", lambda stream=None: True)
    dumped = _run("dump", "-o", str(folder / "dump.json"), "--force", "--db", a)
    assert f"reading {hidden}" in _clean(dumped)


def test_a_store_s_name_hides_its_password(shared: dict[str, str]) -> None:
    with open_store(shared["a"], session=CORE) as store:
        assert SECRET not in repr(store) and ":***@" in repr(store)
        assert SECRET not in store.label
