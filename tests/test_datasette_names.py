"""Names instead of ids for references between records, in Datasette 0.65 (the store and the
files made for one audience): ``record_names`` and the foreign keys that point to it
(:mod:`pmae.store.names`)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from store_versions import drop_later_collections

from pmae.cli import cli
from pmae.io.audience import filter_bundle
from pmae.sample import sample_bytes
from pmae.sessions import Session, make_session
from pmae.store import open_store, upgrade
from pmae.store.datasette import SETTINGS, metadata
from pmae.store.names import ELSEWHERE, NAMES_TABLE, names_statements
from pmae.store.pg_sql import translate_ddl
from pmae.store.schema import SCHEMA_VERSION

datasette_app = pytest.importorskip("datasette.app")

#: Another network's actor, which the sample's first offer points to (publication allows it).
EXTERNAL = "cress-bzh:acteur-externe"


@pytest.fixture(scope="module")
def core() -> Session:
    """pmae's built-ins alone."""
    return make_session(load=[])


@pytest.fixture(scope="module")
def bundle() -> dict[str, Any]:
    """The sample, its first offer pointing to another network's actor, and its first need
    of an association made public (the association stays restricted)."""
    data = orjson.loads(sample_bytes())
    data["offers"][0]["actor"] = EXTERNAL
    need = next(n for n in data["needs"] if n.get("association"))
    need["visibility"] = "public"
    return dict(data)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, core: Session,
          bundle: dict[str, Any]) -> dict[str, Path]:
    """The bundle published into a store, and exported for the public and for its network."""
    folder = tmp_path_factory.mktemp("names")
    source = folder / "bundle.json"
    source.write_bytes(orjson.dumps(bundle))
    with open_store(folder / "pmae.db", create=True, session=core) as store:
        store.publish(source)
    made = {"store": folder / "pmae.db", "bundle": source}
    for name, audience in (("public", "public"), ("network", "recipient:pmae-ra")):
        made[name] = folder / f"{name}.sqlite"
        done = CliRunner().invoke(cli, ["export", str(source), "--to", "sqlite", "--audience",
                                        audience, "-o", str(made[name])],
                                  obj=core, prog_name="pmae")
        assert done.exit_code == 0, done.output
    return made


def _rows(path: Path, core: Session, url: str) -> list[dict[str, Any]]:
    """The rows of a table page of Datasette serving ``path`` as ``pmae serve`` does, with
    labels expanded."""
    ds = datasette_app.Datasette(
        [], immutables=[str(path)], settings={**SETTINGS, "max_returned_rows": 100_000},
        metadata=metadata(path.stem, vocabularies=core.vocabularies))

    async def run() -> list[dict[str, Any]]:
        await ds.invoke_startup()
        response = await ds.client.get(f"/{path.stem}/{url}")
        assert response.status_code == 200, (url, response.text[:500])
        return list(response.json()["rows"])

    return asyncio.run(run())


def _names(bundle: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r.get("name") or r.get("title") or r["id"]
            for name in ("actors", "offers", "associations", "meetings") for r in bundle[name]}


@pytest.mark.parametrize("which", ["store", "public", "network"])
def test_an_offer_shows_its_actor_name_and_an_external_actor_the_marker(
        files: dict[str, Path], core: Session, bundle: dict[str, Any], which: str) -> None:
    names = _names(bundle)
    rows = _rows(files[which], core, "offers.json?_labels=on&_size=max")
    shown = {row["id"]: row["actor"] for row in rows}
    assert shown[bundle["offers"][0]["id"]] == {"value": EXTERNAL, "label": ELSEWHERE}
    held = [(shown[o["id"]], o["actor"]) for o in bundle["offers"][1:] if o["id"] in shown]
    assert len(held) > 10
    assert all(cell == {"value": actor, "label": names[actor]} for cell, actor in held)


def test_a_need_shows_its_association_in_the_network_file_and_nothing_in_the_public_one(
        files: dict[str, Path], core: Session, bundle: dict[str, Any]) -> None:
    need = next(n for n in bundle["needs"] if n["visibility"] == "public")
    association = next(a for a in bundle["associations"] if a["id"] == need["association"])
    assert association["visibility"] != "public"
    for which in ("network", "store"):
        rows = _rows(files[which], core, f"needs.json?_labels=on&id={need['id']}")
        assert rows[0]["association"] == {"value": association["id"],
                                          "label": association["name"]}
    (public,) = _rows(files["public"], core, f"needs.json?_labels=on&id={need['id']}")
    assert public["association"] is None  # the audience filter took the reference out
    connection = sqlite3.connect(files["public"])
    known = dict(connection.execute(f"SELECT id, name FROM {NAMES_TABLE}").fetchall())
    connection.close()
    assert association["id"] not in known
    assert association["name"] not in known.values()


def test_the_public_file_names_only_what_it_holds(files: dict[str, Path], core: Session,
                                                  bundle: dict[str, Any]) -> None:
    """No name of a restricted or private record, no personal data: every name in the public
    file's ``record_names`` is the name of a public record it holds, or the marker."""
    visible = filter_bundle(core.load_bundle(files["bundle"]), "public")
    public_names = {r.id: getattr(r, "name", None) or getattr(r, "title", None) or r.id
                    for _, r in visible.records()}
    connection = sqlite3.connect(files["public"])
    rows = connection.execute(f"SELECT id, collection, name FROM {NAMES_TABLE}").fetchall()
    connection.close()
    assert rows
    for record_id, _, name in rows:
        assert name == public_names.get(record_id, ELSEWHERE)
    hidden = {r["id"]: r.get("name") or r.get("title") for name in bundle
              if isinstance(bundle[name], list) for r in bundle[name]
              if r.get("visibility", "public") != "public"}
    assert hidden
    assert not {name for _, _, name in rows} & {n for n in hidden.values() if n}
    assert not {record_id for record_id, _, _ in rows} & set(hidden)


def test_a_link_table_shows_the_names_of_the_actors_it_points_to(
        files: dict[str, Path], core: Session, bundle: dict[str, Any]) -> None:
    names = _names(bundle)
    rows = _rows(files["store"], core, "meetings_organisers.json?_labels=on&_size=max")
    assert rows
    assert all(row["code"]["label"] == names.get(row["code"]["value"], ELSEWHERE)
               for row in rows)


@pytest.mark.parametrize("which", ["store", "public", "network"])
def test_every_reference_resolves_to_a_name(files: dict[str, Path], which: str) -> None:
    connection = sqlite3.connect(files[which])
    assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    declared = {(table, column) for (table,) in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        for _, _, target, column, *_ in connection.execute(
            f"PRAGMA foreign_key_list('{table}')").fetchall() if target == NAMES_TABLE}
    connection.close()
    assert {("offers", "actor"), ("needs", "association"), ("referrals", "offer"),
            ("meetings_organisers", "code"), ("responses_actors", "code")} <= declared


def test_names_follow_publications_and_withdrawals(tmp_path: Path, core: Session,
                                                   bundle: dict[str, Any]) -> None:
    """A renamed actor is renamed in the table; a withdrawn record keeps its row (it may
    still be referenced) without its name."""
    changed = orjson.loads(orjson.dumps(bundle))
    actor = changed["actors"][1]
    actor["name"] = "Un nouveau nom"
    source = tmp_path / "b.json"
    source.write_bytes(orjson.dumps(bundle))
    db = tmp_path / "s.db"
    with open_store(db, create=True, session=core) as store:
        store.publish(source)
        source.write_bytes(orjson.dumps(changed))
        store.publish(source)
    connection = sqlite3.connect(db, isolation_level=None)
    name = f"SELECT name FROM {NAMES_TABLE} WHERE id = ?"
    assert connection.execute(name, (actor["id"],)).fetchone() == ("Un nouveau nom",)
    programme = changed["programmes"][0]["id"]
    connection.execute("DELETE FROM programmes WHERE id = ?", (programme,))
    assert connection.execute(name, (programme,)).fetchone() == (ELSEWHERE,)
    connection.close()


def test_a_store_of_version_5_gets_the_names_when_upgraded(files: dict[str, Path],
                                                           tmp_path: Path) -> None:
    old = tmp_path / "v5.db"
    source = sqlite3.connect(files["store"])
    source.backup(target := sqlite3.connect(old))
    source.close()
    schema = target.execute("SELECT type, name, sql FROM sqlite_master ORDER BY 2").fetchall()
    names = target.execute(f"SELECT * FROM {NAMES_TABLE} ORDER BY id").fetchall()
    drop_later_collections(target, version=5)
    target.execute("UPDATE store_meta SET value = '5' WHERE key = 'schema_version'")
    target.commit()
    assert not target.execute("SELECT count(*) FROM sqlite_master WHERE sql LIKE ?",
                              (f"%{NAMES_TABLE}%",)).fetchone()[0]
    target.close()
    assert upgrade(old) == (5, list(range(6, SCHEMA_VERSION + 1)))
    upgraded = sqlite3.connect(old)
    assert upgraded.execute("SELECT type, name, sql FROM sqlite_master ORDER BY 2"
                            ).fetchall() == schema  # as a store made today
    assert upgraded.execute(f"SELECT * FROM {NAMES_TABLE} ORDER BY id").fetchall() == names
    assert upgraded.execute("PRAGMA foreign_key_check").fetchall() == []
    assert upgraded.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    upgraded.close()


def test_postgresql_skips_the_names() -> None:
    """Datasette opens SQLite files only, and the PostgreSQL store declares no foreign keys
    on its records' tables: version 6 is nothing there."""
    assert all(translate_ddl(statement) == [] for statement in names_statements())
