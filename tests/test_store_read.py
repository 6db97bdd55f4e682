"""Every analysis from the store gives what it gives from the equivalent bundle (the store's
dump, and the published bundle itself); reading never validates again; the rule BUNDLE or
--db; the schema's lookups are indexed."""

from __future__ import annotations

import filecmp
import re
import sqlite3
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from store_versions import drop_later_collections
from strategies import bundles

from pmae.cli import cli
from pmae.model import Bundle
from pmae.sample import load_sample, sample_bytes
from pmae.sessions import Session, make_session
from pmae.store import SCHEMA_VERSION, OutdatedStoreError, open_store, upgrade


@pytest.fixture(scope="module")
def core() -> Session:
    """pmae's built-ins alone: what installed plugins do cannot change these tests."""
    return make_session(load=[])


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def published(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
              core: Session) -> dict[str, str]:
    """The sample as a file, a store it was published into (on each backend), and the
    store's dump."""
    from conftest import new_database

    folder = tmp_path_factory.mktemp("published")
    sample = folder / "ra.json"
    sample.write_bytes(sample_bytes())
    db = str(folder / "pmae.db") if request.param == "sqlite" else \
        new_database(request.getfixturevalue("postgres"))
    with open_store(db, create=True, session=core) as store:
        store.publish(sample)
    done = _invoke(core, "dump", "--db", str(db), "-o", str(folder / "dump.json"))
    assert done.exit_code == 0, done.output
    return {"sample": str(sample), "db": str(db), "dump": str(folder / "dump.json")}


#: The tests that read the SQLite file itself take the sample's store on SQLite only.
sqlite_only = pytest.mark.parametrize("published", ["sqlite"], indirect=True)


def _invoke(core: Session, *args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(cli, list(args), obj=core, prog_name="pmae", env=env)


#: Command lines whose output is compared, from a bundle and from the store.
COMMANDS = [
    ["coverage"], ["coverage", "--format", "json"], ["coverage", "--graph", "--format", "csv"],
    ["coverage", "--gaps", "--level", "reg"],
    ["needs"], ["needs", "--format", "json", "--by", "theme,reg,size_band"],
    ["needs", "--by", "theme,year", "--trends"],
    ["attendance", "--format", "json"], ["attendance", "--graph"],
    ["programme", "check", "--today", "2025-12-01", "--format", "json"],
    ["programme", "check", "--year", "2024", "--today", "2025-12-01"],
    ["programme", "invitations", "--meeting", "pmae-ra:cofil-2025-1", "--format", "csv"],
    ["orient", "--association", "pmae-ra:asso-003"],
    ["orient", "--association", "pmae-ra:asso-010", "--pathway", "--format", "json"],
    ["orient", "--need", "pmae-ra:besoin-0003", "--format", "json"],
    ["orient", "--need", "pmae-ra:besoin-0004", "--pathway"],
    ["orient", "--theme", "gepp", "--commune", "com:38185", "--stage", "conseil"],
    ["orient", "--theme", "gepp", "--commune", "com:69123", "--today", "2024-06-01"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_an_analysis_from_the_store_is_the_same_as_from_its_dump(
        core: Session, published: dict[str, str], args: list[str]) -> None:
    from_store = _invoke(core, *args, "--db", published["db"])
    from_dump = _invoke(core, *args, published["dump"])
    # One bundle published: the store answers as the bundle itself (same data, same date).
    from_sample = _invoke(core, *args, published["sample"])
    assert from_store.stdout and from_store.exit_code in (0, 1), from_store.output
    assert (from_store.exit_code, from_store.stdout) == (from_dump.exit_code, from_dump.stdout)
    assert (from_store.exit_code, from_store.stdout) == (from_sample.exit_code,
                                                         from_sample.stdout)


def test_orienting_every_association_and_need_from_the_store(
        core: Session, published: dict[str, str]) -> None:
    """The few records read for one target rank every association and every need of the
    sample as the whole bundle does (reasons, order, and errors alike)."""
    from pmae.analysis.offer_index import OfferIndex
    from pmae.analysis.orientation import OrientationError, orient, pathway

    sample = load_sample()
    day = sample.generated_at.date()
    whole = OfferIndex.build(sample, today=day, session=core)

    def answer(index: OfferIndex, kind: str, record_id: str) -> object:
        try:
            target = getattr(index, kind)(record_id)
            return orient(index, target), pathway(index, target)
        except OrientationError as error:
            return str(error)

    with open_store(published["db"], session=core) as store:
        targets = [("association", a.id) for a in sample.associations] + [
            ("need", n.id) for n in sample.needs]
        for kind, record_id in targets:
            part = store.orientation_bundle(**{kind: record_id})
            assert sum(part.counts().values()) < 200
            index = OfferIndex.build(part, today=day, session=core)
            assert answer(index, kind, record_id) == answer(whole, kind, record_id), record_id


@pytest.mark.parametrize("args", [
    ["report", "--audience", "network"],
    ["sheet", "--all", "--format", "md,html", "--audience", "public"],
    ["export", "--to", "csv", "--audience", "public"],
])
def test_files_written_from_the_store_are_those_from_its_dump(
        tmp_path: Path, core: Session, published: dict[str, str], args: list[str]) -> None:
    written = {}
    for name, source in (("store", ["--db", published["db"]]),
                         ("dump", [published["dump"]])):
        written[name] = tmp_path / name
        done = _invoke(core, *args, *source, "-o", str(written[name]))
        assert done.exit_code == 0, done.output
    compared = filecmp.dircmp(written["store"], written["dump"])

    def same(tree: filecmp.dircmp[str]) -> bool:
        _, mismatch, errors = filecmp.cmpfiles(tree.left, tree.right, tree.common_files,
                                               shallow=False)
        return (not (tree.left_only or tree.right_only or mismatch or errors)
                and all(same(sub) for sub in tree.subdirs.values()))

    assert compared.common_files or compared.subdirs
    assert same(compared)


def test_reading_the_store_validates_nothing_again(core: Session, published: dict[str, str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import pmae.io.pipeline

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("validated again")

    monkeypatch.setattr(pmae.io.pipeline, "validate_document", refuse)
    monkeypatch.setattr(pmae.io.pipeline, "validate_file", refuse)
    for args in (["coverage"], ["needs"], ["orient", "--association", "pmae-ra:asso-003"],
                 ["offers", "--theme", "gepp"]):
        done = _invoke(core, *args, "--db", published["db"])
        assert done.exit_code == 0, done.output
    assert _invoke(core, "coverage", published["sample"]).exit_code != 0  # the patch works


# --- BUNDLE or the store ---------------------------------------------------------------------


@sqlite_only
def test_without_bundle_the_store_is_pmae_db_then_the_variable(
        tmp_path: Path, core: Session, published: dict[str, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    missing = _invoke(core, "coverage")
    assert missing.exit_code == 2
    assert "pmae.db: no store here" in missing.stderr and "or give a BUNDLE" in missing.stderr
    expected = _invoke(core, "needs", published["sample"]).stdout
    assert _invoke(core, "needs", env={"PMAE_DB": published["db"]}).stdout == expected
    # PMAE_DB is a default: a BUNDLE given wins over it.
    other = tmp_path / "other.json"
    other.write_bytes(sample_bytes())
    assert _invoke(core, "needs", str(other), env={"PMAE_DB": "nowhere.db"}).stdout == expected
    Path("pmae.db").write_bytes(Path(published["db"]).read_bytes())
    assert _invoke(core, "needs").stdout == expected


def test_bundle_and_db_together_and_record_into_the_store_are_refused(
        core: Session, published: dict[str, str]) -> None:
    both = _invoke(core, "coverage", published["sample"], "--db", published["db"])
    assert both.exit_code == 2 and "give a BUNDLE or --db, not both" in both.stderr
    record = _invoke(core, "orient", "--need", "pmae-ra:besoin-0003", "--record", "--by",
                     "pmae-ra:lma-ra", "--db", published["db"])
    assert record.exit_code == 2 and "the store changes only by publication" in record.stderr
    unknown = _invoke(core, "orient", "--association", "pmae-ra:nope", "--db", published["db"])
    assert unknown.exit_code == 2 and "no such record in the store" in unknown.stderr


# --- the schema -------------------------------------------------------------------------------


@sqlite_only
def test_the_lookups_of_orientation_use_indexes(published: dict[str, str]) -> None:
    """What orienting one association reads is found through indexes, never by reading a
    whole table: what keeps it fast at national scale."""
    connection = sqlite3.connect(published["db"])
    queries = [
        ("SELECT record FROM diagnoses WHERE association = ?", ("x",)),
        ("SELECT record FROM needs WHERE association = ?", ("x",)),
        ("SELECT record FROM referrals WHERE need IN (SELECT id FROM needs "
         "WHERE association = ?)", ("x",)),
        ("SELECT record FROM offers WHERE rowid IN (SELECT record FROM offers_territories "
         "WHERE code IN (?, ?))", ("dep:38", "reg:84")),
        ("SELECT record FROM actors WHERE id IN (SELECT value FROM json_each(?))",
         ('["x"]',)),
    ]
    for sql, parameters in queries:
        plan = " ".join(row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}",
                                                             parameters))
        scanned = set(re.findall(r"SCAN (\w+)", plan)) - {"CONSTANT", "json_each"}
        assert not scanned, (sql, plan)
    connection.close()


@sqlite_only
def test_a_store_of_schema_1_is_upgraded_with_the_indexes(tmp_path: Path, core: Session,
                                                          published: dict[str, str]) -> None:
    from pmae.store.schema import LOOKUPS

    db = tmp_path / "old.db"
    db.write_bytes(Path(published["db"]).read_bytes())
    connection = sqlite3.connect(db)
    names = [f"{collection}_{column}" for collection, columns in LOOKUPS.items()
             for column in columns]
    for name in names:
        connection.execute(f'DROP INDEX "{name}"')
    # What versions after 2 added goes too, so the file is a store of version 1.
    for (table,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name LIKE '%\\_departements' ESCAPE '\\'").fetchall():
        connection.execute(f'DROP TABLE "{table}"')
    drop_later_collections(connection)  # version 5's responses and practices
    connection.execute("UPDATE store_meta SET value = '1' WHERE key = 'schema_version'")
    connection.commit()
    connection.close()
    with pytest.raises(OutdatedStoreError):
        open_store(db)
    assert upgrade(db) == (1, list(range(2, SCHEMA_VERSION + 1)))
    connection = sqlite3.connect(db)
    indexes = {row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index'")}
    connection.close()
    assert set(names) <= indexes


# --- random bundles -----------------------------------------------------------------------------

RANDOM_COMMANDS = [
    ["coverage", "--format", "json", "--region", "fr"], ["coverage", "--graph", "--format", "json"],
    ["needs", "--format", "json", "--min-contributors", "1"],
    ["attendance", "--format", "json"],
    ["programme", "check", "--today", "2026-01-05", "--format", "json"],
]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bundle=bundles(max_records=3))
def test_commands_on_random_bundles_from_the_store_and_from_its_dump(
        new_store_at: Callable[[], AbstractContextManager[str]], bundle: Bundle) -> None:
    from pmae.io.bundles import write_bundle

    core = make_session(load=[])
    with tempfile.TemporaryDirectory() as name, new_store_at() as db:
        folder = Path(name)
        with open_store(db, create=True, session=core) as store:
            store.publish(bundle)
            write_bundle(store.dump(), folder / "dump.json")
        targets = ([["orient", "--association", a.id] for a in bundle.associations[:2]]
                   + [["orient", "--need", n.id, "--pathway"] for n in bundle.needs[:2]])
        for args in RANDOM_COMMANDS + targets:
            from_store = _invoke(core, *args, "--db", db)
            from_dump = _invoke(core, *args, str(folder / "dump.json"))
            assert (from_store.exit_code, from_store.stdout, from_store.stderr) == (
                from_dump.exit_code, from_dump.stdout,
                from_dump.stderr.replace(str(folder / "dump.json"), db)), args


def test_the_calendar_from_the_store_is_the_one_from_its_dump(
        tmp_path: Path, published: dict[str, str]) -> None:
    pytest.importorskip("pmae_ical")
    with_ical = make_session(load=["pmae-ical"])
    written = {}
    for name, source in (("store", ["--db", published["db"]]), ("dump", [published["dump"]])):
        written[name] = tmp_path / f"{name}.ics"
        done = _invoke(with_ical, "programme", "calendar", "--year", "2025", *source, "-o",
                       str(written[name]))
        assert done.exit_code == 0, done.output
    assert written["store"].read_bytes() == written["dump"].read_bytes()
    assert b"BEGIN:VEVENT" in written["store"].read_bytes()
