"""The administrator's first publication into an empty PostgreSQL store is a bulk load
(:mod:`pmae.store.pg_bulk`): validated as it is written, copied straight into the tables from a
second thread, indexes and statement triggers off until the end. It writes exactly what the
ordinary path writes (every row of every table, the indexes and triggers after it); an invalid
bundle, an error in the copying thread or an interruption leave the database as it was; a
network's role never takes it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest

from pmae import synth
from pmae.io.bundles import write_bundle
from pmae.io.pipeline import InvalidBundleError
from pmae.sample import load_sample
from pmae.sessions import make_session
from pmae.store import StoreError, one_pass, open_store, pg_bulk, publish_into, streaming
from pmae.store.networks import add_network, network_url
from pmae.store.pg_connection import PgConnection

CORE = make_session(load=[])
NOW = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)


def _sql(url: str, statement: str, parameters: Any = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as connection:
        cursor = connection.execute(statement, parameters)
        return cursor.fetchall() if cursor.description else []


def _contents(url: str) -> dict[str, Any]:
    """Every row of every table (the versions without their numbers, the store's creation
    time left out), the indexes and the triggers with their state."""
    state: dict[str, Any] = {
        "indexes": sorted(_sql(url, "SELECT tablename, indexname, indexdef FROM pg_indexes "
                                    "WHERE schemaname = 'public'")),
        "triggers": sorted(_sql(url, "SELECT tgrelid::regclass::text, tgname, tgenabled "
                                     "FROM pg_trigger WHERE NOT tgisinternal")),
    }
    for (table,) in _sql(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"):
        columns = [name for (name,) in _sql(
            url, "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                 "'public' AND table_name = %s AND column_name <> 'number' "
                 "ORDER BY ordinal_position", (table,))] if table == "versions" else ["*"]
        rows = _sql(url, f'SELECT {", ".join(columns)} FROM public."{table}"')
        state[table] = sorted(rows, key=repr)
    state["store_meta"] = [row for row in state["store_meta"] if row[0] != "created_at"]
    return state


def _publish(url: str, bundle: Path, *, bulk: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Publish ``bundle`` into the new database ``url`` as the administrator, in bulk or by
    the ordinary path; check which was taken."""
    loads: list[bool] = []
    real = one_pass._one_pass

    def spied(*args: Any, **kwargs: Any) -> Any:
        loads.append(True)
        return real(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(one_pass, "_one_pass", spied)
        if not bulk:
            patch.setattr(pg_bulk, "may_bulk_load", lambda connection: False)
        publish_into(url, bundle, session=CORE, now=NOW)
    assert loads == ([True] if bulk else [])


@pytest.fixture
def two_urls(postgres: Any) -> Iterator[tuple[str, str]]:
    from conftest import drop_database, new_database

    urls = new_database(postgres), new_database(postgres)
    yield urls
    for url in urls:
        drop_database(postgres, url)


def _sample_lines(folder: Path) -> Path:
    """The sample bundle (every collection) as JSON Lines."""
    bundle = folder / "sample.jsonl"
    write_bundle(load_sample(), bundle)
    return bundle


@pytest.mark.parametrize("which", ["sample", "synth"])
def test_the_bulk_load_writes_what_the_ordinary_path_writes(
        two_urls: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        which: str) -> None:
    if which == "sample":
        bundle = _sample_lines(tmp_path)
    else:
        bundle = tmp_path / "synth.jsonl"
        synth.write(bundle, fmt="jsonl", associations=150, seed=7)
    # Many batches per collection, as at national scale.
    monkeypatch.setattr(streaming, "PG_BATCH", 40)
    bulk, ordinary = two_urls
    _publish(bulk, bundle, bulk=True, monkeypatch=monkeypatch)
    _publish(ordinary, bundle, bulk=False, monkeypatch=monkeypatch)
    written, expected = _contents(bulk), _contents(ordinary)
    assert written["needs"] and written["versions"] and written["territories"]
    assert written["store_rowids"]
    assert written == expected
    with open_store(bulk, session=CORE) as store, open_store(ordinary, session=CORE) as other:
        assert store.dump(audience="all") == other.dump(audience="all")
        record_id = orjson.loads(_sql(bulk, "SELECT record FROM needs LIMIT 1")[0][0])["id"]
        assert store.history(record_id) == other.history(record_id)
        assert store.log() == other.log()


def test_a_network_publishes_after_the_bulk_load_with_the_next_rowids(
        pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "first.jsonl"
    synth.write(bundle, fmt="jsonl", associations=40, seed=2)
    _publish(pg_url, bundle, bulk=True, monkeypatch=monkeypatch)
    last = dict(_sql(pg_url, "SELECT collection, last FROM store_rowids"))
    assert last["needs"] == _sql(pg_url, "SELECT max(rowid) FROM needs")[0][0]
    network, password = add_network(pg_url, "autre", role="pmae_bulk_next")
    second = tmp_path / "second.jsonl"
    synth.write(second, fmt="jsonl", associations=10, seed=3, source="autre")
    loads: list[bool] = []
    real = one_pass._one_pass
    monkeypatch.setattr(one_pass, "_one_pass", lambda *a, **k: loads.append(True) or real(*a, **k))
    with open_store(network_url(pg_url, network.role, password), session=CORE) as store:
        result = store.publish(second, now=NOW)
    assert loads == []  # a network's role: the ordinary path
    assert result.changes["needs"].added
    (first_new,) = _sql(pg_url, "SELECT min(rowid) FROM needs WHERE source = 'autre'")[0]
    assert first_new == last["needs"] + 1


def test_an_invalid_bundle_leaves_a_new_database_empty(
        pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Errors at the end of the file, after many batches were copied: rolled back, the
    schema with it; the issues are those of pmae validate."""
    bundle = tmp_path / "bad.jsonl"
    synth.write(bundle, fmt="jsonl", associations=120, seed=5)
    lines = bundle.read_bytes().splitlines(keepends=True)
    broken = orjson.loads(lines[-1])
    (collection, record), = broken.items()
    record["association"] = "synth:association-absente"  # a broken reference, found at the end
    lines[-1] = orjson.dumps({collection: record}) + b"\n"
    bundle.write_bytes(b"".join(lines))
    monkeypatch.setattr(streaming, "PG_BATCH", 50)
    with pytest.raises(InvalidBundleError) as raised:
        publish_into(pg_url, bundle, session=CORE, now=NOW)
    assert [issue.code for issue in raised.value.issues] == [
        issue.code for issue in CORE.validate_file(bundle).issues if issue.severity == "error"]
    assert _sql(pg_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]


@pytest.mark.parametrize("where", ["copy", "staged"])
def test_an_error_in_the_copying_thread_reaches_the_caller_and_nothing_is_written(
        pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """A statement the server refuses (a link row without code, copied; a need without id,
    made by the server from its text) is raised where pmae sends its next statement:
    the publication fails with the server's reason, the new database is left empty, and the
    thread has ended."""
    bundle = tmp_path / "bundle.jsonl"
    synth.write(bundle, fmt="jsonl", associations=60, seed=4)
    if where == "copy":
        real = PgConnection.executemany

        def spoiled(self: PgConnection, sql: str, parameters: Any, /) -> None:
            rows = [list(row) for row in parameters]
            if sql.startswith('INSERT OR IGNORE INTO "offers_themes"') and rows:
                rows[-1][1] = None  # a link row without code: NOT NULL refuses it
            real(self, sql, rows)

        monkeypatch.setattr(PgConnection, "executemany", spoiled)
        reason = 'null value in column "code" of relation "offers_themes"'
    else:
        real_insert = pg_bulk.Staging.insert

        def spoiled_insert(self: pg_bulk.Staging, collection: str, rows: Any,
                           first: int) -> None:
            if collection == "needs":
                rows = [*rows[:-1], (rows[-1][0], '{"theme": "gouvernance"}', None)]
            real_insert(self, collection, rows, first)

        monkeypatch.setattr(pg_bulk.Staging, "insert", spoiled_insert)
        reason = 'null value in column "id"'
    monkeypatch.setattr(streaming, "PG_BATCH", 30)
    import threading

    before = {thread.name for thread in threading.enumerate()}
    with pytest.raises(StoreError, match=reason):
        publish_into(pg_url, bundle, session=CORE, now=NOW)
    assert "pmae-copy" not in {thread.name for thread in threading.enumerate()} - before
    assert _sql(pg_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]


def test_an_interruption_while_copying_leaves_the_database_empty(
        pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "bundle.jsonl"
    synth.write(bundle, fmt="jsonl", associations=80, seed=6)
    monkeypatch.setattr(streaming, "PG_BATCH", 25)
    real = streaming._Writer.flush
    flushed = []

    def interrupted(self: Any, collection: str) -> None:
        real(self, collection)
        flushed.append(collection)
        if len(flushed) == 6:
            raise KeyboardInterrupt

    monkeypatch.setattr(streaming._Writer, "flush", interrupted)
    with pytest.raises(KeyboardInterrupt):
        publish_into(pg_url, bundle, session=CORE, now=NOW)
    assert _sql(pg_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]
    monkeypatch.setattr(streaming._Writer, "flush", real)
    publish_into(pg_url, bundle, session=CORE, now=NOW)  # and it can be published after
    assert _sql(pg_url, "SELECT count(*) FROM needs")[0][0] > 0


def test_a_collection_met_again_after_its_indexes_were_made(
        two_urls: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A collection's indexes are made when the bundle moves on to another: its records that
    come later are indexed as they are written."""
    source = tmp_path / "synth.jsonl"
    synth.write(source, fmt="jsonl", associations=60, seed=8)
    head, *lines = source.read_bytes().splitlines(keepends=True)
    offers = [line for line in lines if line.startswith(b'{"offers"')]
    others = [line for line in lines if not line.startswith(b'{"offers"')]
    # Offers, then everything else, then offers again.
    half = len(offers) // 2
    bundle = tmp_path / "interleaved.jsonl"
    bundle.write_bytes(b"".join([head, *offers[:half], *others, *offers[half:]]))
    assert CORE.validate_file(bundle).ok
    monkeypatch.setattr(streaming, "PG_BATCH", 20)
    bulk, ordinary = two_urls
    _publish(bulk, bundle, bulk=True, monkeypatch=monkeypatch)
    _publish(ordinary, bundle, bulk=False, monkeypatch=monkeypatch)
    assert _contents(bulk) == _contents(ordinary)
    assert _sql(bulk, "SELECT count(*) FROM offers")[0][0] == len(offers)


def test_text_that_copy_must_escape_reads_back_as_published(
        two_urls: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tabs, backslashes, "\\N" and accents in a text field: COPY's text format escapes them
    (and the full text folds them as a row's statement does)."""
    bundle = _sample_lines(tmp_path)
    lines = bundle.read_bytes().splitlines(keepends=True)
    at = next(at for at, line in enumerate(lines) if line.startswith(b'{"offers"'))
    value = orjson.loads(lines[at])
    value["offers"]["description"] = "Tab\there, back\\slash, « Guillemets », \\N, Été"
    lines[at] = orjson.dumps(value) + b"\n"
    bundle.write_bytes(b"".join(lines))
    assert CORE.validate_file(bundle).ok
    bulk, ordinary = two_urls
    _publish(bulk, bundle, bulk=True, monkeypatch=monkeypatch)
    _publish(ordinary, bundle, bulk=False, monkeypatch=monkeypatch)
    assert _contents(bulk) == _contents(ordinary)
    with open_store(bulk, session=CORE) as store:
        found = store.record(value["offers"]["id"])
        assert found is not None
        assert orjson.loads(found[1])["description"] == value["offers"]["description"]
        assert [offer.id for offer in store.offers(text="guillemets ete")] == [
            value["offers"]["id"]]


def test_the_server_takes_each_column_from_the_text_as_a_row_would_hold_it(
        two_urls: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bulk load's columns are taken by the server from each record's JSON text
    (:class:`pmae.store.pg_bulk.Staging`): numbers of a JSON number column as written
    (``1e-7``, not JSONB's ``0.0000001``), integers, absent and present visibilities and
    recipients, text that JSON escapes, accents and emoji in columns, a place named twice."""
    bundle = _sample_lines(tmp_path)
    lines = bundle.read_bytes().splitlines(keepends=True)
    needs = [at for at, line in enumerate(lines) if line.startswith(b'{"needs"')]
    associations = [at for at, line in enumerate(lines) if line.startswith(b'{"associations"')]
    assert len(needs) >= 4 and len(associations) >= 2
    for at, intensity in zip(needs, [1e-07, 2.5, 3, 123456.789], strict=False):
        value = orjson.loads(lines[at])
        value["needs"]["intensity"] = intensity
        lines[at] = orjson.dumps(value) + b"\n"
    value = orjson.loads(lines[needs[0]])
    value["needs"].pop("visibility", None)
    value["needs"].pop("recipients", None)
    lines[needs[0]] = orjson.dumps(value) + b"\n"
    value = orjson.loads(lines[associations[0]])
    value["associations"]["name"] = 'Les « Amis » du \\ quai\t"Nord" 🎻, l\'été'
    value["associations"]["visibility"] = "restricted"
    value["associations"]["recipients"] = ["rhone-alpes", "uriopss"]
    lines[associations[0]] = orjson.dumps(value) + b"\n"
    bundle.write_bytes(b"".join(lines))
    report = CORE.validate_file(bundle)
    assert report.ok, [issue.message for issue in report.issues if issue.severity == "error"]
    monkeypatch.setattr(streaming, "PG_BATCH", 3)
    bulk, ordinary = two_urls
    _publish(bulk, bundle, bulk=True, monkeypatch=monkeypatch)
    _publish(ordinary, bundle, bulk=False, monkeypatch=monkeypatch)
    assert _contents(bulk) == _contents(ordinary)
    assert {"1e-7", "2.5", "123456.789"} <= {row[0] for row in _sql(
        bulk, "SELECT intensity FROM needs WHERE intensity IS NOT NULL")}


def _backends_gone(admin_url: str, url: str) -> None:
    """Wait until no backend of a killed client is left on ``url``'s database (one busy in a
    statement sees its client gone at the statement's end)."""
    import time

    name = url.partition("@/")[2].partition("?")[0]
    for _ in range(600):
        if not _sql(admin_url, "SELECT 1 FROM pg_stat_activity WHERE datname = %s", (name,)):
            return
        time.sleep(0.05)
    raise AssertionError(f"a backend of {name} outlived its client")


@pytest.mark.skipif(__import__("sys").platform == "win32", reason="SIGKILL is POSIX")
def test_a_first_publication_killed_at_any_moment_leaves_the_database_empty_or_whole(
        postgres: Any, tmp_path: Path) -> None:
    import os
    import random
    import signal
    import subprocess
    import sys
    import time

    from conftest import drop_database, new_database

    bundle = tmp_path / "bundle.jsonl"
    synth.write(bundle, fmt="jsonl", associations=300, seed=9)
    environment = {**os.environ, "PMAE_LOAD_PLUGINS": ""}

    def publish(url: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "pmae.cli", "publish", str(bundle),
                                 "--db", url], env=environment, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    def records(url: str) -> list[tuple[Any, ...]] | None:
        if not _sql(url, "SELECT 1 FROM pg_tables WHERE schemaname = 'public'"):
            return None
        return _sql(url, "SELECT id, record FROM needs UNION ALL SELECT id, record FROM offers "
                         "ORDER BY 1")

    whole = new_database(postgres)
    started = time.monotonic()
    assert publish(whole).wait() == 0
    duration = time.monotonic() - started
    expected = records(whole)
    assert expected
    drop_database(postgres, whole)
    rng = random.Random(5)
    seen = set()
    for _ in range(4):
        url = new_database(postgres)
        process = publish(url)
        time.sleep(rng.uniform(0.1, duration))
        process.send_signal(signal.SIGKILL)
        process.wait()
        _backends_gone(postgres.url(), url)
        found = records(url)
        assert found in (None, expected)
        seen.add(found is None)
        # The database is usable after: a publication there completes.
        assert publish(url).wait() == 0
        assert records(url) == expected
        drop_database(postgres, url)
    assert True in seen  # at least one kill met the load before its commit
