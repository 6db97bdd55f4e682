"""The store on PostgreSQL: what differs from a file (the database, its schema, its locks), and
the SQL it is made of (JSONB, full text, COPY). The tests every backend shares are in
test_store*.py (``store_at``, ``new_store_at``); these start from an empty database of the
throwaway cluster (conftest's ``postgres``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest
from click.testing import CliRunner
from conftest import valid_document

from pmae.cli import cli
from pmae.sample import load_sample
from pmae.sessions import Session, make_session
from pmae.store import (
    NewerStoreError,
    OutdatedStoreError,
    StoreError,
    StoreLockedError,
    StoreNotFoundError,
    open_store,
    upgrade,
)
from pmae.store.pg_sql import fts_query, translate, translate_ddl
from pmae.store.schema import MIGRATIONS


def _invoke(core: Session, *args: str) -> Any:
    return CliRunner().invoke(cli, list(args), obj=core, prog_name="pmae")


def _sql(url: str, statement: str, parameters: Any = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as connection:
        cursor = connection.execute(statement, parameters)
        return cursor.fetchall() if cursor.description else []


def test_records_are_jsonb_with_their_text_as_published(pg_url: str, core: Session,
                                                        sample: Path) -> None:
    with open_store(pg_url, create=True, session=core) as store:
        store.publish(sample)
    offer = load_sample().offers[0]
    text, data, title = _sql(pg_url, "SELECT record, data, data->>'title' FROM offers "
                                      "WHERE id = %s", (offer.id,))[0]
    assert data == json.loads(text) and title == offer.title
    # JSONB orders keys its own way: the text is what reads back.
    assert orjson.dumps(data).decode() != text
    found = _sql(pg_url, "SELECT count(*) FROM offers WHERE data @> %s",
                 (json.dumps({"themes": [offer.themes[0]]}),))[0][0]
    assert found == sum(offer.themes[0] in o.themes for o in load_sample().offers)


def test_full_text_is_a_tsvector_of_folded_words(pg_url: str, core: Session,
                                                 sample: Path) -> None:
    with open_store(pg_url, create=True, session=core) as store:
        store.publish(sample)
        assert "pmae-ra:offre-001" in {o.id for o in store.offers(text="DIAGNOSTIC partagé")}
    found = {row[0] for row in _sql(
        pg_url, "SELECT o.id FROM offers_fts AS f JOIN offers AS o ON o.rowid = f.rowid "
                "WHERE f.document @@ to_tsquery('simple', %s)",
        (fts_query('"diagnostic"* "partage"*'),))}
    assert "pmae-ra:offre-001" in found
    assert fts_query('("l\'ecole"*) OR ("gepp"*)') == "(l:* & ecole:*) | (gepp:*)"
    assert fts_query("") == "!''"


def test_every_migration_translates_and_runs(pg_url: str) -> None:
    """Each statement of every migration becomes PostgreSQL's (a test would fail on a new
    SQLite-only construct before a store is made of it)."""
    statements = [t for number in sorted(MIGRATIONS) for s in MIGRATIONS[number]()
                  for t in translate_ddl(s)]
    assert not any("WITHOUT ROWID" in s or "VIRTUAL" in s or "INSERT OR" in s
                   for s in statements)
    assert translate("SELECT value FROM json_each(?) WHERE x LIKE 'a%'", ["[]"])[0] == (
        "SELECT value FROM jsonb_array_elements_text(%s::jsonb) AS j(value) "
        "WHERE x LIKE 'a%%'")
    with open_store(pg_url, create=True):
        pass
    tables = {row[0] for row in _sql(pg_url, "SELECT tablename FROM pg_tables "
                                             "WHERE schemaname = 'public'")}
    assert {"offers", "offers_fts", "offers_departements", "store_meta"} <= tables


def test_an_empty_database_is_not_a_store_until_a_publication(pg_url: str, core: Session,
                                                               tmp_path: Path) -> None:
    with pytest.raises(StoreNotFoundError, match="publish a bundle into it first"):
        open_store(pg_url)
    assert _invoke(core, "db", "log", "--db", pg_url).exit_code == 2
    document = valid_document()
    document["offers"][0]["themes"] = ["pas-un-theme"]
    bad = tmp_path / "bad.json"
    bad.write_bytes(orjson.dumps(document))
    assert _invoke(core, "publish", str(bad), "--db", pg_url).exit_code == 1
    # Reading and a refused publication leave the database as it was: empty.
    assert _sql(pg_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]


def test_a_database_of_something_else_is_refused_and_left_as_it_is(
        pg_url: str, core: Session, sample: Path) -> None:
    _sql(pg_url, "CREATE TABLE notes (text TEXT)")
    refused = _invoke(core, "publish", str(sample), "--db", pg_url)
    assert refused.exit_code == 2 and "not a pmae store; it was left as it is" in refused.stderr
    assert [row[0] for row in _sql(pg_url, "SELECT tablename FROM pg_tables "
                                           "WHERE schemaname = 'public'")] == ["notes"]


def test_an_unreachable_server_or_missing_database_says_so(postgres: Any) -> None:
    with pytest.raises(StoreError, match="cannot use the PostgreSQL store"):
        open_store(postgres.url("no_such_database"))
    refused = _invoke(make_session(load=[]), "db", "info", "--db",
                      "postgresql://nobody:secret@127.0.0.1:1/pmae")
    assert refused.exit_code == 2 and "secret" not in refused.stderr  # the password is hidden


def test_newer_and_older_schemas(pg_url: str, core: Session, sample: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from pmae.store import connection, postgres, schema

    with open_store(pg_url, create=True, session=core) as store:
        store.publish(sample)
    current, following = schema.SCHEMA_VERSION, schema.SCHEMA_VERSION + 1
    monkeypatch.setattr(connection, "SCHEMA_VERSION", following)
    monkeypatch.setattr(postgres, "SCHEMA_VERSION", following)
    monkeypatch.setitem(schema.MIGRATIONS, following,
                        lambda: ["CREATE TABLE added_in_next (x INTEGER)"])
    with pytest.raises(OutdatedStoreError, match="run `pmae db upgrade"):
        open_store(pg_url)
    assert upgrade(pg_url) == (current, [following])
    upgraded = _invoke(core, "db", "upgrade", "--db", pg_url)
    assert upgraded.exit_code == 0 and "up to date" in upgraded.stdout
    assert _sql(pg_url, "SELECT count(*) FROM added_in_next") == [(0,)]
    with open_store(pg_url) as store:
        assert store.counts() == load_sample().counts()
    monkeypatch.undo()
    with pytest.raises(NewerStoreError, match=f"schema version {following}"):
        open_store(pg_url)


def test_a_second_publisher_waits_then_fails_cleanly(pg_url: str, core: Session, sample: Path,
                                                      tmp_path: Path) -> None:
    from pmae.store.postgres import PUBLICATION_LOCK

    with open_store(pg_url, create=True, session=core) as store:
        store.publish(sample)
    other = tmp_path / "b.json"
    other.write_bytes(orjson.dumps(valid_document()))
    with psycopg.connect(pg_url) as holder:  # another process in the middle of a publication
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (PUBLICATION_LOCK,))
        with open_store(pg_url, session=core, timeout=0.3) as store, \
                pytest.raises(StoreLockedError, match="another pmae is publishing"):
            store.publish(other)
        holder.rollback()
    with open_store(pg_url, session=core) as store:
        assert len(store.log()) == 1 and store.record("lma-ra:offre-1") is None
        # Reading never waits for a publication.
        assert store.counts() == load_sample().counts()


def test_a_pg_dump_backup_restores_into_a_store_that_reads_the_same(
        postgres: Any, pg_url: str, core: Session, sample: Path, tmp_path: Path) -> None:
    """The backup of docs/deployment.md: pg_dump -Fc, then pg_restore into a new database."""
    from conftest import drop_database, new_database

    with open_store(pg_url, create=True, session=core) as store:
        store.publish(sample)
        before = (store.dump(), store.log(), store.history("pmae-ra:offre-001"))
    backup = postgres.folder / "store.dump"
    database = pg_url.partition("@/")[2].partition("?")[0]
    postgres.run("pg_dump", "-h", str(postgres.folder), "-p", str(postgres.port), "-Fc",
                 "-f", str(backup), database)
    restored = new_database(postgres)
    try:
        postgres.run("pg_restore", "-h", str(postgres.folder), "-p", str(postgres.port),
                     "--exit-on-error", "-d", restored.partition("@/")[2].partition("?")[0],
                     str(backup))
        with open_store(restored, session=core) as store:
            assert (store.dump(), store.log(), store.history("pmae-ra:offre-001")) == before
            assert store.publish(sample).holder == 1
            other = tmp_path / "other.json"
            other.write_bytes(orjson.dumps(valid_document()))
            assert store.publish(other).number == 2  # new rows: the rowid counter came back
            assert store.counts()["offers"] == len(load_sample().offers) + 1
    finally:
        drop_database(postgres, restored)


def test_datasette_serves_an_export_of_a_postgresql_store_never_the_store(
        pg_url: str, core: Session, sample: Path, tmp_path: Path) -> None:
    pytest.importorskip("datasette")
    from pmae.store.datasette import prepare_serving

    with open_store(pg_url, create=True, session=core) as store:
        store.publish(sample)
    served, _ = prepare_serving(pg_url, tmp_path, audience="public", session=core)
    assert served.name.endswith("-public.sqlite") and served.exists()
    with pytest.raises(StoreError, match="not a file"):
        prepare_serving(pg_url, tmp_path, audience="all", session=core)


def test_a_network_publishes_json_lines_record_by_record(pg_url: str, tmp_path: Path) -> None:
    """A network's role may only add to the log: its streamed publication logs itself at the
    end, and writes what a whole publication of the same records writes."""
    from pmae import synth
    from pmae.store import streaming
    from pmae.store.networks import add_network, network_url

    session = make_session(load=[])
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    synth.write(first, fmt="jsonl", associations=4, seed=1, source="reseau-s")
    synth.write(second, fmt="jsonl", associations=3, seed=2, source="reseau-s")
    with open_store(pg_url, create=True, session=session):
        pass
    url = network_url(pg_url, add_network(pg_url, "reseau-s", role="pmae_stream")[0].role, None)
    with open_store(url, session=session) as store:
        assert streaming.scan([first], session) is not None
        added = store.publish(first)
        assert added.number == 1 and added.total.added == sum(
            1 for _ in store.dump().records())
        again = store.publish(first)
        assert again.number is None and again.holder == 1
        changed = store.publish(second)
        assert changed.number == 2 and changed.total.withdrawn > 0
        log = [(p.number, p.changes.added, p.changes.withdrawn) for p in store.log()]
        some = next(r.id for _, r in store.dump().records())
        history = [v.change for v in store.history(some)]
    assert log == [(1, added.total.added, 0), (2, changed.total.added, changed.total.withdrawn)]
    assert history[0] == "added"
