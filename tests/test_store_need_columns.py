"""``pmae needs --db`` reads the store's shareable needs column by column
(:mod:`pmae.store.need_columns`): the columns hold, need by need, the values the model gives
the bundle's shareable needs, and the published tables are byte for byte those of
``pmae needs BUNDLE``, on both backends, with and without the démarche's secret. On SQLite the
columns come as JSON arrays: any text whole, ``NULL`` as ``None``, in ``rowid`` order whatever
the plan."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from strategies import bundles

from pmae.analysis.shared_diagnosis import NeedColumns, shareable_needs
from pmae.analysis.shared_diagnosis.columns import FIELDS
from pmae.cli import cli
from pmae.io.bundles import write_bundle
from pmae.model import Bundle
from pmae.sample import sample_bytes
from pmae.sessions import make_session
from pmae.store import need_columns, open_store
from pmae.store.need_columns import NEED_FIELDS

CORE = make_session(load=[])
SECRETS = (None, "le secret de la démarche")


def _invoke(*args: str, secret: str | None) -> Any:
    result = CliRunner().invoke(cli, list(args), obj=CORE, prog_name="pmae",
                                env={"PMAE_SECRECY_KEY": secret})
    assert result.exit_code == 0, result.output
    return result


def _same_tables(db: str, bundle: Path, *options: str) -> None:
    """``pmae needs`` prints the same bytes from the store and from the bundle it holds."""
    for secret in SECRETS:
        for output in ("json", "csv"):
            args = ("needs", "--format", output, *options)
            from_store = _invoke(*args, "--db", db, secret=secret).stdout_bytes
            from_bundle = _invoke(*args, str(bundle), secret=secret).stdout_bytes
            assert from_store == from_bundle, (secret, output, options)


def _same_columns(db: str) -> None:
    """The store's columns against the model's values of the bundle's shareable needs: the
    values and their types (a date, an ``int`` intensity stays one)."""
    with open_store(db, session=CORE) as store:
        expected = NeedColumns.of(shareable_needs(store.bundle(collections=("needs",)).needs))
        found = store.shareable_need_columns()
    assert tuple(found) == NEED_FIELDS == FIELDS
    for name in FIELDS:
        wanted = list(getattr(expected, name))
        assert list(found[name]) == wanted, name
        assert list(map(type, found[name])) == list(map(type, wanted)), name
    NeedColumns(**found)  # equal lengths


def _varied() -> dict[str, Any]:
    """The sample with what a column read could get wrong: a need without visibility (kept:
    the model makes it restricted), private needs (left out), whole and decimal intensities,
    a need without association, territory, size band or sector."""
    document = orjson.loads(sample_bytes())
    needs = document["needs"]
    needs[0].pop("visibility", None)
    needs[1]["visibility"] = "private"
    needs[2]["visibility"] = "restricted"
    needs[3]["intensity"] = 2.5
    needs[4]["intensity"] = 3
    for field in ("association", "territory", "size_band", "sector"):
        needs[5].pop(field, None)
    return document


@pytest.mark.parametrize("by", ["theme,dep", "theme,reg,year", "size_band,sector"])
def test_needs_from_the_store_are_the_bundles(store_at: str, tmp_path: Path, by: str) -> None:
    path = tmp_path / "varied.json"
    document = _varied()
    path.write_bytes(orjson.dumps(document))
    with open_store(store_at, create=True, session=CORE) as store:
        store.publish(path)
    _same_columns(store_at)
    _same_tables(store_at, path, "--by", by)
    with open_store(store_at, session=CORE) as store:
        columns = store.shareable_need_columns()
    # The variations reached the columns (else the test would prove nothing).
    private = document["needs"][1]["id"]
    assert private not in columns["id"] and document["needs"][0]["id"] in columns["id"]
    assert {2.5, 3} <= set(columns["intensity"]) and None in columns["association"]
    assert all(type(day) is dt.date for day in columns["date"])


def test_no_secondary_from_the_store(store_at: str, tmp_path: Path) -> None:
    path = tmp_path / "sample.json"
    path.write_bytes(sample_bytes())
    with open_store(store_at, create=True, session=CORE) as store:
        store.publish(path)
    _same_tables(store_at, path, "--no-secondary", "--min-contributors", "1")


def test_a_store_without_shareable_needs(store_at: str, tmp_path: Path) -> None:
    path = tmp_path / "private.json"
    document = orjson.loads(sample_bytes())
    for need in document["needs"]:
        need["visibility"] = "private"
    path.write_bytes(orjson.dumps(document))
    with open_store(store_at, create=True, session=CORE) as store:
        store.publish(path)
        assert {name: list(values) for name, values in store.shareable_need_columns().items()
                } == {name: [] for name in FIELDS}
    _same_tables(store_at, path)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bundle=bundles(max_records=3))
def test_needs_of_random_bundles(new_store_at: Callable[[], AbstractContextManager[str]],
                                 tmp_path_factory: pytest.TempPathFactory,
                                 bundle: Bundle) -> None:
    path = tmp_path_factory.mktemp("random") / "bundle.json"
    write_bundle(bundle, path)
    with new_store_at() as db:
        with open_store(db, create=True, session=CORE) as store:
            store.publish(copy.deepcopy(bundle))
        _same_columns(db)
        _same_tables(db, path, "--min-contributors", "1", "--dominance", "1")


#: Free text a column read could split or mistake: separators (ASCII's unit and record ones,
#: which a read joining the values with them would cut at or read as NULL), JSON's own
#: characters, a line break, accents and a character beyond the BMP.
ODD = 'lma-ra:b\x1fe\x1e"s\\o\nin [null], é 😀'
SHAREABLE_IDS = "SELECT id FROM needs WHERE visibility <> 'private' ORDER BY rowid"


def _sqlite_store(tmp_path: Path) -> Path:
    """A store file holding :func:`_varied`, its first and last shareable needs given odd
    ids and association ids straight in their columns (publication would refuse them)."""
    path, db = tmp_path / "varied.json", tmp_path / "s.db"
    path.write_bytes(orjson.dumps(_varied()))
    with open_store(db, create=True, session=CORE) as store:
        store.publish(path)
    with contextlib.closing(sqlite3.connect(db)) as connection, connection:
        ends = connection.execute("SELECT min(rowid), max(rowid) FROM needs "
                                  "WHERE visibility <> 'private'").fetchone()
        for rowid, (text, association) in zip(ends, [(ODD, ODD), ("\x1e", "\x1f")],
                                              strict=True):
            connection.execute("UPDATE needs SET id = ?, association = ? WHERE rowid = ?",
                               (text, association, rowid))
    return db


def test_sqlite_reads_any_text_null_and_order(tmp_path: Path) -> None:
    db = _sqlite_store(tmp_path)
    with contextlib.closing(sqlite3.connect(db)) as connection:
        arrays = need_columns._arrays(connection)
        rows = need_columns._rows(connection)
        order = [i for i, in connection.execute(SHAREABLE_IDS)]
    assert arrays is not None  # the arrays were read, not the rows
    assert arrays == rows
    assert list(map(type, arrays[0])) == [str] * len(order)
    ids, associations = arrays[0], arrays[1]
    assert ids == order and ids[0] == ODD and ids[-1] == "\x1e"  # order kept
    assert associations[0] == ODD and associations[-1] == "\x1f"
    assert None in associations and None in arrays[NEED_FIELDS.index("size_band")]
    assert _varied()["needs"][1]["id"] not in ids  # the private need left out
    with open_store(db, session=CORE) as store:
        assert list(store.shareable_need_columns()["id"]) == order


@pytest.mark.parametrize("disorder", [
    "PRAGMA reverse_unordered_selects = ON",
    # An index holding every column read: the aggregate's scan takes it, in its order.
    "CREATE INDEX needs_everything ON needs(visibility DESC, id DESC, association, theme, "
    "territory, date, intensity, size_band, sector)"])
def test_sqlite_order_is_the_rowids_whatever_the_plan(tmp_path: Path, disorder: str) -> None:
    db = _sqlite_store(tmp_path)
    with contextlib.closing(sqlite3.connect(db)) as connection:
        connection.execute(disorder)
        order = [i for i, in connection.execute(SHAREABLE_IDS)]
        # The plan's order is another (else the test would prove nothing)...
        scanned = orjson.loads(connection.execute(need_columns._ARRAYS).fetchone()[0])
        assert sorted(scanned) == sorted(order) and scanned != order
        # ... which the read sees, and reads the rows instead.
        assert need_columns._arrays(connection) is None
        columns = need_columns.shareable_need_columns(connection)
    assert list(columns["id"]) == order
