"""A record published without ``visibility`` has its collection's default in the store.

The model's default (``restricted`` for associations, diagnoses, needs and referrals,
``public`` for the others) is what :mod:`pmae.io.audience` applies; the store's
``visibility`` column, which PostgreSQL's row-level security and the light rows read, holds
the same (versions 1 to 6 wrote ``public``: schema version 7 corrects a store made before).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import attrs
import orjson
import psycopg
import pytest
from click.testing import CliRunner
from conftest import valid_document
from store_versions import as_version

from pmae.cli import cli
from pmae.model import COLLECTIONS
from pmae.sessions import make_session
from pmae.store import open_store, rows
from pmae.store.networks import add_network, network_url
from pmae.store.schema import DEFAULT_VISIBILITY, SCHEMA_VERSION

CORE = make_session(load=[])

#: The records of the valid document, none naming its visibility, that only their own
#: network may read (a need, an association, a referral).
HIDDEN = {"needs": "lma-ra:besoin-1", "associations": "lma-ra:asso-1",
          "referrals": "lma-ra:orientation-1"}


def test_the_defaults_are_the_model_s() -> None:
    model = {name: attrs.fields(cls).visibility.default for name, cls in COLLECTIONS.items()}
    assert model == DEFAULT_VISIBILITY
    assert {c for c, v in DEFAULT_VISIBILITY.items() if v == "restricted"} == {
        "associations", "diagnoses", "needs", "referrals"}


def _bundle(tmp_path: Path) -> Path:
    document = valid_document()
    assert not any("visibility" in record for name in COLLECTIONS
                   for record in document.get(name, ()))
    path = tmp_path / "b.json"
    path.write_bytes(orjson.dumps(document))
    return path


def _columns(db: str) -> dict[str, set[str]]:
    """collection -> the values of its visibility column, read as the administrator."""
    if db.startswith("postgresql://"):
        with psycopg.connect(db, autocommit=True) as c:
            return {name: {v for (v,) in c.execute(f'SELECT visibility FROM "{name}"')}
                    for name in COLLECTIONS}
    with sqlite3.connect(db) as c:
        return {name: {v for (v,) in c.execute(f'SELECT visibility FROM "{name}"')}
                for name in COLLECTIONS}


def test_the_column_holds_the_model_s_default(store_at: str, tmp_path: Path) -> None:
    with open_store(store_at, create=True, session=CORE) as store:
        store.publish(_bundle(tmp_path))
        held = store.bundle()
    columns = _columns(store_at)
    for name in COLLECTIONS:
        expected = {r.visibility for r in getattr(held, name)}
        assert columns[name] == expected, name
    assert columns["needs"] == columns["associations"] == {"restricted"}


def _invoke(*arguments: str) -> Any:
    done = CliRunner().invoke(cli, list(arguments), obj=CORE)
    assert done.exit_code == 0, done.output
    return done


def test_a_public_audience_never_sees_them(tmp_path: Path) -> None:
    """``pmae dump``, the listing commands and the SQLite export, for the public."""
    db = str(tmp_path / "s.db")
    _invoke("publish", str(_bundle(tmp_path)), "--db", db)
    _invoke("dump", "--db", db, "--audience", "public", "-o", str(tmp_path / "d.json"))
    dumped = json.loads((tmp_path / "d.json").read_text())
    for collection, record in HIDDEN.items():
        assert record not in {r["id"] for r in dumped.get(collection, ())}, collection
    for command in ("associations", "needs-list"):
        listed = _invoke(command, "--db", db, "--audience", "public", "--format", "json")
        assert json.loads(listed.stdout) == [], command
    exported = tmp_path / "public.sqlite"
    _invoke("export", "--db", db, "--to", "sqlite", "--audience", "public", "-o",
            str(exported))
    with sqlite3.connect(exported) as c:
        for collection in HIDDEN:
            assert c.execute(f'SELECT count(*) FROM "{collection}"').fetchone() == (0,)
    # For every audience, what the store holds is written with the model's visibility.
    everything = tmp_path / "all.sqlite"
    _invoke("export", "--db", db, "--to", "sqlite", "--audience", "all", "-o",
            str(everything))
    assert _columns(str(everything))["needs"] == {"restricted"}


def _strip(db: str) -> None:
    """As another writer than pmae may have: the records of :data:`HIDDEN` and their versions
    without ``visibility`` in their JSON, the column ``public`` (what versions 1 to 6 wrote
    for such a record)."""
    names = ", ".join(f"'{c}'" for c in HIDDEN)
    if db.startswith("postgresql://"):
        with psycopg.connect(db, autocommit=True) as c:
            for collection in HIDDEN:
                c.execute(f'UPDATE "{collection}" SET visibility = \'public\', '
                          "record = (data - 'visibility')::text")
            c.execute("UPDATE versions SET record = (record::jsonb - 'visibility')::text "
                      f"WHERE collection IN ({names})")
        return
    with sqlite3.connect(db) as c:
        for collection in HIDDEN:
            c.execute(f'UPDATE "{collection}" SET visibility = \'public\', '
                      "record = json_remove(record, '$.visibility')")
        c.execute("UPDATE versions SET record = json_remove(record, '$.visibility') "
                  f"WHERE collection IN ({names})")


def _unseen(url: str, role: str | None = None) -> None:
    """Neither the rows nor the history of :data:`HIDDEN` reach ``url``'s role (or
    ``role``), which still reads the public actors."""
    with psycopg.connect(url, autocommit=True) as c:
        if role:
            c.execute(f"SET ROLE {role}")
        for collection, record in HIDDEN.items():
            assert c.execute(f'SELECT id FROM "{collection}"').fetchall() == [], collection
            assert c.execute("SELECT id FROM versions WHERE id = %s",
                             (record,)).fetchall() == [], collection
        assert c.execute("SELECT count(*) FROM actors").fetchone() == (2,)


def test_a_store_of_version_6_is_corrected(store_at: str, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A store made at schema version 6 holding records without visibility (the column
    ``public``, and on PostgreSQL the history's policy reading ``public`` for them) is
    corrected by ``pmae db upgrade``: the anonymous reader and another network no longer see
    the need, the association, the referral or their versions."""
    with monkeypatch.context() as old:
        as_version(old, 6)
        # Version 6's policy on the history: a record without visibility read as public.
        old.setattr("pmae.store.pg_roles.DEFAULT_VISIBILITY",
                    dict.fromkeys(COLLECTIONS, "public"))
        with open_store(store_at, create=True, session=CORE) as store:
            store.publish(_bundle(tmp_path))
    _strip(store_at)
    assert _columns(store_at)["needs"] == {"public"}
    upgraded = _invoke("db", "upgrade", "--db", store_at)
    assert f"from version 6 to {SCHEMA_VERSION}" in upgraded.stdout
    columns = _columns(store_at)
    assert columns["needs"] == columns["associations"] == columns["referrals"] == {
        "restricted"}
    assert columns["actors"] == {"public"}
    with open_store(store_at, session=CORE) as store:
        assert store.dump(audience="public").needs == ()
        assert store.light_bundle().needs[0].visibility == "restricted"
    if not store_at.startswith("postgresql://"):
        return
    other, _ = add_network(store_at, "reseau-z", role="pmae_visibility_z")
    _unseen(network_url(store_at, other.role, None))
    _unseen(store_at, "pmae_public")


def test_a_row_written_without_visibility_has_the_default(tmp_path: Path) -> None:
    """:func:`pmae.store.rows.put_rows` writes the model's default into the column when the
    record names no visibility (every backend writes through it)."""
    db = str(tmp_path / "s.db")
    with open_store(db, create=True, session=CORE):
        pass
    with sqlite3.connect(db) as c:
        for collection, record in HIDDEN.items():
            rows.put_rows(c, collection, [({"id": record}, "{}", None)])  # type: ignore[arg-type]
    written = {name: values for name, values in _columns(db).items() if values}
    assert written == {collection: {"restricted"} for collection in HIDDEN}
