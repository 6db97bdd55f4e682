"""The store: publication with history, dump, log, and the faults it must survive."""

from __future__ import annotations

import copy
import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from conftest import valid_document

from pmae.cli import cli
from pmae.io.converter import unstructure
from pmae.io.pipeline import InvalidBundleError
from pmae.sample import load_sample
from pmae.sessions import Session
from pmae.store import (
    SCHEMA_VERSION,
    Changes,
    CorruptStoreError,
    MergeConflictError,
    NewerStoreError,
    OutdatedStoreError,
    StoreError,
    StoreLockedError,
    StoreNotFoundError,
    open_store,
    upgrade,
)

NOW = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.write_bytes(orjson.dumps(document))
    return path


def _other_network(document: dict[str, Any], slug: str) -> dict[str, Any]:
    """``document`` republished by network ``slug``: every id (and reference) renamed."""
    text = json.dumps(document).replace('"lma-ra:', f'"{slug}:')
    other: dict[str, Any] = json.loads(text)
    other["source"] = {"slug": slug, "name": f"Réseau {slug}"}
    return other


def _invoke(core: Session, *args: str) -> Any:
    return CliRunner().invoke(cli, list(args), obj=core, prog_name="pmae")


# --- publication -----------------------------------------------------------------------------


def test_publish_then_read_back_byte_identical(store_at: str, core: Session, sample: Path) -> None:
    with open_store(store_at, create=True, session=core) as store:
        result = store.publish(sample, now=NOW)
        sample = load_sample()
        assert result.number == 1 and result.sources == ("pmae-ra",)
        assert result.total == Changes(added=sum(sample.counts().values()))
        assert store.counts() == sample.counts()
        for collection, record in sample.records():
            assert store.record(record.id) == (
                collection, orjson.dumps(unstructure(record)).decode())
        dumped = store.dump()
        for collection in sample.counts():
            assert getattr(dumped, collection) == getattr(sample, collection)


def test_publishing_the_same_bundle_twice_changes_nothing(store_at: str,
                                                          core: Session, sample: Path) -> None:
    with open_store(store_at, create=True, session=core) as store:
        store.publish(sample)
        again = store.publish(sample)
        assert again.number is None and again.holder == 1 and not again.changed_anything
        assert again.total == Changes(unchanged=sum(load_sample().counts().values()))
        assert len(store.log()) == 1
    first = _invoke(core, "publish", str(sample), "--db", store_at)
    assert first.exit_code == 0
    assert first.stdout.startswith(f"nothing changed: {store_at} already holds")


def test_republication_adds_changes_withdraws_and_keeps_history(tmp_path: Path, store_at: str,
                                                                core: Session) -> None:
    first = valid_document()
    other = _other_network(valid_document(), "autre")
    second = copy.deepcopy(first)
    second["offers"][0]["title"] = "Premier emploi, deuxième édition"
    del second["meetings"]
    second["actors"].append({"id": "lma-ra:mda", "name": "Maison des associations",
                             "actor_type": "maison_des_associations"})
    db = store_at
    with open_store(db, create=True, session=core) as store:
        store.publish(_write(tmp_path / "first.json", first), now=NOW)
        store.publish(_write(tmp_path / "other.json", other), now=NOW)
        untouched = store.record("autre:offre-1")
        result = store.publish(_write(tmp_path / "second.json", second), now=NOW)
        assert result.number == 3 and result.sources == ("lma-ra",)
        assert result.changes["offers"] == Changes(changed=1)
        assert result.changes["actors"] == Changes(added=1, unchanged=2)
        assert result.changes["meetings"] == Changes(withdrawn=1)
        assert store.record("autre:offre-1") == untouched  # another source: never touched
        assert store.record("lma-ra:cofil-1") is None
        versions = store.history("lma-ra:offre-1")
        assert [(v.publication, v.change) for v in versions] == [(1, "added"), (3, "changed")]
        assert json.loads(versions[0].record or "")["title"] == "Premier emploi"
        assert [v.change for v in store.history("lma-ra:cofil-1")] == ["added", "withdrawn"]
        assert store.history("lma-ra:cofil-1")[-1].record is None
        log = store.log()
        assert [entry.number for entry in log] == [1, 2, 3]
        assert log[2].bundles[0].file == str(tmp_path / "second.json")
        assert len(log[2].bundles[0].sha256) == 64
        assert log[2].changes == Changes(added=1, changed=1, unchanged=5, withdrawn=1)
    shown = _invoke(core, "history", "lma-ra:offre-1", "--db", str(db))
    assert shown.exit_code == 0
    assert shown.stdout.splitlines() == ["#1 2026-01-05T10:00:00Z added (offers)",
                                         "#3 2026-01-05T10:00:00Z changed (offers)"]
    assert _invoke(core, "history", "lma-ra:nothing", "--db", str(db)).exit_code == 1
    logged = _invoke(core, "db", "log", "--db", str(db), "--format", "json")
    assert [entry["number"] for entry in json.loads(logged.stdout)] == [1, 2, 3]


def test_publish_prints_what_changed(tmp_path: Path, store_at: str, core: Session) -> None:
    path = _write(tmp_path / "b.json", valid_document())
    done = _invoke(core, "publish", str(path), "--db", store_at)
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines()[0] == (
        f"published {path} into {store_at} as publication #1 (sources lma-ra): "
        "7 added")
    assert "  actors: 2 added" in done.stdout.splitlines()


def test_an_invalid_bundle_writes_nothing_and_shows_every_issue(tmp_path: Path, store_at: str,
                                                               core: Session, sample: Path) -> None:
    document = valid_document()
    document["offers"][0]["themes"] = ["pas-un-theme"]
    document["needs"][0]["date"] = "hier"
    bad = _write(tmp_path / "bad.json", document)
    db = store_at
    with open_store(db, create=True, session=core) as store:
        store.publish(sample)
        before = store.dump(generated_at=NOW)
        with pytest.raises(InvalidBundleError) as raised:
            store.publish(bad)
        assert store.dump(generated_at=NOW) == before and len(store.log()) == 1
    expected = _invoke(core, "validate", str(bad))
    refused = _invoke(core, "publish", str(bad), "--db", str(db))
    assert refused.exit_code == 1 and expected.exit_code == 1
    assert refused.stdout == expected.stdout  # every issue, as `pmae validate` prints them
    assert len(raised.value.issues) == len(expected.stdout.strip().splitlines())
    assert "nothing was published" in refused.stderr


def test_conflicting_bundles_write_nothing(tmp_path: Path, store_at: str, core: Session) -> None:
    first = _write(tmp_path / "a.json", valid_document())
    changed = valid_document()
    changed["offers"][0]["title"] = "Autre titre"
    second = _write(tmp_path / "b.json", changed)
    db = store_at
    with open_store(db, create=True, session=core) as store:
        with pytest.raises(MergeConflictError):
            store.publish(first, second)
        assert store.log() == [] and sum(store.counts().values()) == 0
    refused = _invoke(core, "publish", str(first), str(second), "--db", str(db))
    assert refused.exit_code == 1 and "merge-conflict" in refused.stdout


def test_labels_links_and_full_text(tmp_path: Path, core: Session, sample: Path) -> None:
    db = tmp_path / "s.db"
    with open_store(db, create=True, session=core) as store:
        store.publish(sample)
    connection = sqlite3.connect(db)
    assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    theme, label = connection.execute(
        "SELECT t.code, t.label FROM offers_themes AS l JOIN offers AS o ON o.rowid = l.record "
        "JOIN vocabulary_themes AS t ON t.code = l.code WHERE o.id = 'pmae-ra:offre-001' "
        "ORDER BY t.code").fetchone()
    assert (theme, label) == ("gouvernance_employeur", core.vocabulary("themes").label(theme))
    assert connection.execute("SELECT name, parent FROM territories WHERE code = 'dep:01'") \
        .fetchone() == (core.territories.name("dep:01"), "reg:84")
    # Accents folded: "diagnostic partage" finds "Diagnostic partagé".
    found = {row[0] for row in connection.execute(
        "SELECT o.id FROM offers_fts JOIN offers AS o ON o.rowid = offers_fts.rowid "
        "WHERE offers_fts MATCH 'diagnostic partage'")}
    assert "pmae-ra:offre-001" in found
    connection.close()


def test_a_new_store_has_larger_pages(tmp_path: Path, core: Session, sample: Path) -> None:
    """16 KiB pages: a national publication writes fewer, larger pages (WAL, checkpoint,
    index builds); a store made before keeps its own."""
    db = tmp_path / "s.db"
    with open_store(db, create=True, session=core) as store:
        store.publish(sample)
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA page_size").fetchone() == (16384,)
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as connection:
        connection.execute("PRAGMA page_size = 4096")
        connection.execute("VACUUM")
    with open_store(old, create=True, session=core) as store:
        store.publish(sample)
    with sqlite3.connect(old) as connection:
        assert connection.execute("PRAGMA page_size").fetchone() == (4096,)


# --- dump ------------------------------------------------------------------------------------


def test_dump_writes_a_valid_bundle_for_an_audience(tmp_path: Path, store_at: str, core: Session,
                                                     sample: Path) -> None:
    db = store_at
    assert _invoke(core, "publish", str(sample), "--db", str(db)).exit_code == 0
    for audience in ("all", "public"):
        out = tmp_path / f"{audience}.jsonl"
        done = _invoke(core, "dump", "--db", str(db), "--audience", audience, "-o", str(out))
        assert done.exit_code == 0, done.output
        assert core.validate_file(out).ok
    public = core.load_bundle(tmp_path / "public.jsonl")
    assert {r.visibility for _, r in public.records()} == {"public"}
    assert _invoke(core, "dump", "--db", str(db), "--audience", "nobody", "-o",
                   str(tmp_path / "x.json")).exit_code == 2


# --- where the store is, and the faults ------------------------------------------------------


def test_the_store_is_named_by_option_environment_or_default(
        tmp_path: Path, core: Session, sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert _invoke(core, "publish", str(sample)).exit_code == 0
    assert (tmp_path / "pmae.db").exists()
    monkeypatch.setenv("PMAE_DB", str(tmp_path / "env.db"))
    assert _invoke(core, "publish", str(sample)).exit_code == 0
    assert (tmp_path / "env.db").exists()
    with open_store("sqlite:///env.db") as store:
        assert len(store.log()) == 1
    with pytest.raises(StoreError, match="mysql stores are not supported"):
        open_store("mysql://localhost/pmae")


def test_reading_commands_never_create_a_store(tmp_path: Path, core: Session) -> None:
    with pytest.raises(StoreNotFoundError, match="publish a bundle into it first"):
        open_store(tmp_path / "none.db")
    missing = _invoke(core, "db", "log", "--db", str(tmp_path / "none.db"))
    assert missing.exit_code == 2 and "no store here" in missing.stderr
    assert not (tmp_path / "none.db").exists()


@pytest.mark.parametrize("content", [b"not a database at all\n" * 200, None])
def test_a_file_that_is_not_a_store_is_refused_and_left_as_it_is(
        tmp_path: Path, core: Session, sample: Path, content: bytes | None) -> None:
    path = tmp_path / "other.db"
    if content is None:  # an SQLite database of something else
        connection = sqlite3.connect(path)
        connection.execute("CREATE TABLE notes (text TEXT)")
        connection.commit()
        connection.close()
    else:
        path.write_bytes(content)
    before = path.read_bytes()
    refused = _invoke(core, "publish", str(sample), "--db", str(path))
    assert refused.exit_code == 2 and "it was left as it is" in refused.stderr
    assert path.read_bytes() == before


def test_a_damaged_store_is_refused_and_never_written_over(tmp_path: Path,
                                                           core: Session, sample: Path) -> None:
    db = tmp_path / "s.db"
    with open_store(db, create=True, session=core) as store:
        store.publish(sample)
    connection = sqlite3.connect(db)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (page,) = connection.execute("PRAGMA page_size").fetchone()
    connection.close()
    data = bytearray(db.read_bytes())
    middle = len(data) // 2 // page * page
    data[middle: middle + page] = b"\xff" * page  # a page of garbage
    db.write_bytes(bytes(data))
    refused = _invoke(core, "publish", str(sample), "--db", str(db))
    assert refused.exit_code == 2 and "it was left as it is" in refused.stderr
    assert db.read_bytes() == bytes(data)
    with pytest.raises(CorruptStoreError):
        store = open_store(db, session=core)
        try:
            store.publish(_write(tmp_path / "b.json", valid_document()))
        finally:
            store.close()
    assert db.read_bytes() == bytes(data)


def _set_schema_version(db: Path, version: int) -> None:
    connection = sqlite3.connect(db)
    connection.execute("UPDATE store_meta SET value = ? WHERE key = 'schema_version'",
                       (str(version),))
    connection.execute("UPDATE store_meta SET value = '9.1' WHERE key = 'pmae_version'")
    connection.commit()
    connection.close()


def test_a_store_from_a_newer_pmae_is_refused(tmp_path: Path, core: Session, sample: Path) -> None:
    db = tmp_path / "s.db"
    open_store(db, create=True).close()
    newer = SCHEMA_VERSION + 1
    _set_schema_version(db, newer)
    with pytest.raises(NewerStoreError, match=rf"schema version {newer}, written by pmae 9\.1.*"
                                              r"install pmae 9\.1 or later"):
        open_store(db)
    refused = _invoke(core, "publish", str(sample), "--db", str(db))
    assert refused.exit_code == 2 and "install pmae 9.1 or later" in refused.stderr
    assert _invoke(core, "db", "upgrade", "--db", str(db)).exit_code == 2


def test_upgrade_runs_the_missing_migrations(tmp_path: Path, core: Session, sample: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from pmae.store import connection, schema

    db = tmp_path / "s.db"
    with open_store(db, create=True, session=core) as store:
        store.publish(sample)
    current, following = schema.SCHEMA_VERSION, schema.SCHEMA_VERSION + 1
    monkeypatch.setattr(connection, "SCHEMA_VERSION", following)
    monkeypatch.setitem(schema.MIGRATIONS, following,
                        lambda: ["CREATE TABLE added_in_2 (x TEXT)"])
    with pytest.raises(OutdatedStoreError, match="run `pmae db upgrade"):
        open_store(db)
    assert upgrade(db) == (current, [following])
    assert upgrade(db) == (following, [])
    with open_store(db) as store:
        assert store.counts() == load_sample().counts()
    connection_ = sqlite3.connect(db)
    assert connection_.execute("SELECT count(*) FROM added_in_2").fetchone() == (0,)
    connection_.close()
    upgraded = _invoke(core, "db", "upgrade", "--db", str(db))
    assert upgraded.exit_code == 0 and "up to date" in upgraded.stdout


def test_a_second_writer_waits_then_fails_cleanly(tmp_path: Path, core: Session,
                                                  sample: Path) -> None:
    db = tmp_path / "s.db"
    with open_store(db, create=True, session=core) as store:
        store.publish(sample)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a publication
    try:
        with open_store(db, session=core, timeout=0.2) as store, \
                pytest.raises(StoreLockedError, match="another pmae is writing"):
            store.publish(_write(tmp_path / "b.json", valid_document()))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with open_store(db, session=core) as store:
        assert len(store.log()) == 1 and store.record("lma-ra:offre-1") is None


def test_an_invalid_bundle_leaves_no_store_behind(tmp_path: Path, core: Session) -> None:
    document = valid_document()
    document["offers"][0]["themes"] = ["pas-un-theme"]
    bad = _write(tmp_path / "bad.json", document)
    refused = _invoke(core, "publish", str(bad), "--db", str(tmp_path / "new.db"))
    assert refused.exit_code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json"]


def test_the_same_records_from_another_file_are_a_publication_that_changes_no_record(
        tmp_path: Path, store_at: str, core: Session, sample: Path) -> None:
    """JSON Lines publishes as JSON does; the same records from another file are logged (the
    provenance a dump gives names the new file) but no record changes."""
    from pmae.io.bundles import write_bundle

    lines = tmp_path / "sample.jsonl"
    write_bundle(load_sample(), lines)
    with open_store(store_at, create=True, session=core) as store:
        store.publish(sample)
        result = store.publish(lines)
        assert result.number == 2 and result.total.added == result.total.changed == 0
        assert [v.change for v in store.history("pmae-ra:offre-001")] == ["added"]
        assert [p.file for p in store.dump().provenance if p.file] == [str(lines)]


def test_json_output_of_publish_history_and_info(tmp_path: Path, store_at: str,
                                                 core: Session) -> None:
    path = _write(tmp_path / "b.json", valid_document())
    db = store_at
    done = _invoke(core, "publish", str(path), "--db", db, "--format", "json")
    assert done.exit_code == 0
    report = json.loads(done.stdout)
    assert (report["publication"], report["sources"]) == (1, ["lma-ra"])
    assert report["changes"]["offers"] == {"added": 1, "changed": 0, "unchanged": 0,
                                           "withdrawn": 0}
    assert report["total"]["added"] == 7
    versions = json.loads(_invoke(core, "history", "lma-ra:offre-1", "--db", db,
                                  "--format", "json").stdout)
    assert versions[0]["change"] == "added"
    assert versions[0]["record"] == valid_document()["offers"][0] | {"visibility": "public"}
    shown = _invoke(core, "history", "lma-ra:offre-1", "--db", db, "--records").stdout
    assert shown.splitlines()[1].strip().startswith('{"id":"lma-ra:offre-1"')
    info = json.loads(_invoke(core, "db", "info", "--db", db, "--format", "json").stdout)
    assert info["publications"] == 1 and info["records"]["actors"] == 2
