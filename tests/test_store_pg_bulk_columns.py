"""The bulk load's rows made by the server from the records' texts
(:class:`pmae.store.pg_bulk.Staging`) against the rows :func:`pmae.store.rows.put_rows` writes,
for valid bundles whose values the server might read otherwise than psycopg adapts them: text
that looks like a JSON escape, numbers of a JSON number column, every collection with small
batches, places of every level named across batches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import drop_database, new_database
from test_store_pg_bulk import CORE, _contents, _publish, _sample_lines, _sql

from pmae.store import open_store, streaming


@pytest.fixture
def two_urls(postgres: Any) -> Iterator[tuple[str, str]]:
    urls = new_database(postgres), new_database(postgres)
    yield urls
    for url in urls:
        drop_database(postgres, url)


def _changed(bundle: Path, changes: dict[str, list[Callable[[dict[str, Any]], None]]]) -> None:
    """Apply to the first records of each collection of ``bundle`` the changes given for it
    (one change a record, in order); the bundle must stay valid."""
    lines = bundle.read_bytes().splitlines(keepends=True)
    for collection, edits in changes.items():
        where = [at for at, line in enumerate(lines)
                 if line.startswith(b'{"' + collection.encode() + b'"')]
        assert len(where) >= len(edits), collection
        for at, edit in zip(where, edits, strict=False):
            value = orjson.loads(lines[at])
            edit(value[collection])
            lines[at] = orjson.dumps(value) + b"\n"
    bundle.write_bytes(b"".join(lines))
    report = CORE.validate_file(bundle)
    assert report.ok, [issue.message for issue in report.issues if issue.severity == "error"]


def _setter(**values: Any) -> Callable[[dict[str, Any]], None]:
    def edit(record: dict[str, Any]) -> None:
        for name, value in values.items():
            if value is _ABSENT:
                record.pop(name, None)
            else:
                record[name] = value
    return edit


_ABSENT = object()
#: Places of every level, overseas and Corsica included: an EPCI, Paris and one of its
#: arrondissements, Marseille's, Mayotte's région.
_COMMUNES = ["com:75056", "com:75101", "com:2A004", "com:97101", "com:13201"]
_PLACES = ["epci:200046977", *_COMMUNES, "dep:2A", "dep:971", "reg:06"]


def _both(two_urls: tuple[str, str], bundle: Path, monkeypatch: pytest.MonkeyPatch,
          batch: int) -> tuple[str, str]:
    """``bundle`` loaded in bulk in batches of ``batch`` records, and by the ordinary path (in
    batches of 40: each of its batches holds a few temporary tables' locks until the commit,
    which batches of one record would exhaust; its rows do not depend on them)."""
    bulk, ordinary = two_urls
    with monkeypatch.context() as patch:
        patch.setattr(streaming, "PG_BATCH", batch)
        _publish(bulk, bundle, bulk=True, monkeypatch=monkeypatch)
    with monkeypatch.context() as patch:
        patch.setattr(streaming, "PG_BATCH", 40)
        _publish(ordinary, bundle, bulk=False, monkeypatch=monkeypatch)
    return bulk, ordinary


def test_text_that_holds_a_json_escape_of_nul_as_its_characters(
        two_urls: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A text that holds a backslash then ``u0000`` (six characters, valid: no NUL in it) is
    written ``"\\\\u0000"`` in JSON; the server's columns must read it back as those
    characters, not as the text the NUL replacement of ``pmae_jsonb`` would make of it
    (``\\ufffd``)."""
    bundle = _sample_lines(tmp_path)
    names = ["C:\\u0000 dossier", "deux \\\\u0000 barres", "fin \\u0000"]
    _changed(bundle, {
        "associations": [_setter(name=name) for name in names],
        "offers": [_setter(title="Titre \\u0000")],
        "meetings": [_setter(title="\\u0000\\u0000")],
    })
    bulk, ordinary = _both(two_urls, bundle, monkeypatch, 2)
    assert sorted(row[0] for row in _sql(
        bulk, "SELECT name FROM associations WHERE name LIKE '%u0000%'")) == sorted(names)
    assert _contents(bulk) == _contents(ordinary)


@pytest.mark.parametrize("batch", [1, 2, 3])
def test_exotic_values_in_columns_of_every_collection(
        two_urls: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        batch: int) -> None:
    """Numbers of a JSON number column in the forms orjson writes (negative zero, the
    smallest subnormal, 17 significant digits, integers made floats); texts with what JSON
    escapes, what other tools take for line ends, and rare code points (U+2028, U+2029,
    U+FEFF, U+00A0, U+FFFF, U+10FFFF, quotes, backslashes, a solidus, CR and LF, tabs);
    absent visibilities and recipients, empty recipients; places of every level (France,
    régions, départements, EPCI, communes, arrondissements, overseas) each named by records
    of several batches; every collection; batches of one to three records."""
    bundle = _sample_lines(tmp_path)
    odd = 'a\u2028b\u2029c\ufeffd\u00a0e "f" \\g/ h\r\ni\tj 🎻 \\n \\" \uffff\U0010ffff'
    _changed(bundle, {
        "needs": [
            _setter(intensity=-0.0, territory="fr", visibility=_ABSENT, recipients=_ABSENT),
            _setter(intensity=5e-324, territory="reg:84", recipients=[]),
            _setter(intensity=0.30000000000000004, territory="fr"),
            _setter(intensity=1_000_000, territory="reg:84"),
            _setter(intensity=0, territory="dep:69"),
            _setter(intensity=999999.9999999999, territory="fr"),
            _setter(intensity=1.5e-300, territory="reg:84"),
            _setter(intensity=2.0),
            _setter(intensity=_ABSENT, territory="dep:01"),
            *[_setter(territory=code) for code in [*_PLACES, *_PLACES]],
        ],
        "associations": [_setter(name=odd, visibility=_ABSENT, recipients=_ABSENT),
                         _setter(name=odd + "2", recipients=[]),
                         *[_setter(commune=code) for code in _COMMUNES * 2]],
        # A commune only an actor's commune names (not a place of its départements).
        "actors": [_setter(name=odd, territories=["fr", "reg:84", "dep:69"],
                           commune="com:01053"),
                   _setter(territories=_PLACES), _setter(territories=_PLACES[::-1]),
                   _setter(territories=["fr"]), _setter(territories=["reg:84", "dep:01"])],
        "offers": [_setter(title=odd, description=odd, territories=["fr"]),
                   _setter(territories=["reg:84", "fr"]),
                   _setter(territories=["dep:69", "com:69123"])],
        "meetings": [_setter(title=odd, visibility=_ABSENT), _setter(commune="com:69123"),
                     _setter(commune="com:69123")],
        "productions": [_setter(title=odd, visibility=_ABSENT)],
        "resources": [_setter(title=odd, visibility=_ABSENT)],
        "programmes": [_setter(visibility=_ABSENT, recipients=_ABSENT)],
        "responses": [_setter(title=odd, territories=["fr"], visibility=_ABSENT),
                      _setter(territories=["reg:84"])],
        "practices": [_setter(title=odd, territories=["fr", "dep:69"], visibility=_ABSENT),
                      _setter(territories=["reg:84"])],
    })
    bulk, ordinary = _both(two_urls, bundle, monkeypatch, batch)
    written, expected = _contents(bulk), _contents(ordinary)
    assert written["territories"] and written["needs_departements"]
    assert written == expected
    assert _sql(bulk, "SELECT name FROM territories WHERE code = 'com:01053'") == [
        ("Bourg-en-Bresse",)]
    with open_store(bulk, session=CORE) as store, open_store(ordinary, session=CORE) as other:
        assert store.dump(audience="all") == other.dump(audience="all")
    assert {"-0.0", "5e-324", "0.30000000000000004", "1000000.0", "0.0", "999999.9999999999",
            "1.5e-300", "2.0"} <= {row[0] for row in _sql(
        bulk, "SELECT intensity FROM needs WHERE intensity IS NOT NULL")}


def test_the_server_statement_failing_is_a_clear_error_of_the_command(
        pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``pmae publish`` whose bulk statement the server refuses (a batch's text it cannot read
    as JSON, a few batches in): the store named with PostgreSQL's reason, no
    traceback, exit code 2, and the new database left without a table."""
    from click.testing import CliRunner

    from pmae.cli import cli
    from pmae.store import pg_bulk

    bundle = _sample_lines(tmp_path)
    real = pg_bulk.Staging.insert
    calls: list[str] = []

    def spoiled(self: pg_bulk.Staging, collection: str, rows: Any, first: int) -> None:
        calls.append(collection)
        if collection == "needs" and calls.count("needs") == 3:
            rows = [*rows[:-1], (rows[-1][0], rows[-1][1][:-1], None)]  # the "}" cut off
        real(self, collection, rows, first)

    monkeypatch.setattr(pg_bulk.Staging, "insert", spoiled)
    monkeypatch.setattr(streaming, "PG_BATCH", 20)
    result = CliRunner().invoke(cli, ["publish", str(bundle), "--db", pg_url], obj=CORE,
                                prog_name="pmae")
    assert calls.count("needs") >= 3
    assert result.exit_code == 2, result.output  # a store's error, as the command says them
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    assert result.stderr.startswith(
        f"pmae: error: {pg_url}: PostgreSQL says: invalid input syntax for type json")
    assert _sql(pg_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]


def test_numbers_written_in_forms_orjson_does_not_write(
        two_urls: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Numbers as a bundle may write them (``1E2``, ``1.50000``, an integer field's ``2.0`` or
    ``2.025e3``, which validation takes as integers): both paths write the record as pmae
    structured it, and the server's columns read that text."""
    import re

    bundle = _sample_lines(tmp_path)
    lines = bundle.read_bytes().splitlines(keepends=True)
    edits = {
        b'{"needs"': [(rb'"priority":\d+', b'"priority":2.0'),
                      (rb'"date":', b'"intensity":1E2,"date":')],
        b'{"associations"': [(rb'"headcount":\d+', b'"headcount":3.0E0')],
        b'{"programmes"': [(rb'"year":\d+', b'"year":2.025e3')],
        b'{"productions"': [(rb'"year":\d+', b'"year":20.25E2')],
    }
    for start, changes in edits.items():
        at = next(at for at, line in enumerate(lines) if line.startswith(start))
        for pattern, replacement in changes:
            lines[at], count = re.subn(pattern, replacement, lines[at], count=1)
            assert count == 1, (start, pattern)
    second = next(at for at, line in enumerate(lines)
                  if line.startswith(b'{"needs"') and b"intensity" not in line)
    lines[second] = lines[second].replace(b'"date":', b'"intensity":1.50000,"date":', 1)
    bundle.write_bytes(b"".join(lines))
    report = CORE.validate_file(bundle)
    assert report.ok, [issue.message for issue in report.issues if issue.severity == "error"]
    bulk, ordinary = _both(two_urls, bundle, monkeypatch, 2)
    assert _contents(bulk) == _contents(ordinary)
    assert {"100.0", "1.5"} <= {row[0] for row in _sql(
        bulk, "SELECT intensity FROM needs WHERE intensity IS NOT NULL")}
    assert _sql(bulk, "SELECT DISTINCT year FROM programmes") == [(2025,)]


def test_a_batch_of_long_records_is_cut_by_the_size_of_its_texts(
        two_urls: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bulk batch's texts are one parameter, which PostgreSQL refuses past 1 GB (it closes
    the connection): valid records of 55 kB each would reach that before the batch's
    20,000 records. A batch ends at ``streaming.BATCH_TEXT`` characters too (lowered here),
    and the tables are still those of the ordinary path."""
    from pmae.store import pg_bulk

    bundle = _sample_lines(tmp_path)
    _changed(bundle, {"offers": [_setter(description="é🎻 " * 6000)] * 8})
    sent: list[tuple[str, int, int]] = []
    real = pg_bulk.Staging.insert

    def spied(self: pg_bulk.Staging, collection: str, rows: Any, first: int) -> None:
        sent.append((collection, len(rows), sum(len(text) for _, text, _ in rows)))
        real(self, collection, rows, first)

    monkeypatch.setattr(pg_bulk.Staging, "insert", spied)
    monkeypatch.setattr(streaming, "BATCH_TEXT", 50_000)
    bulk, ordinary = _both(two_urls, bundle, monkeypatch, streaming.PG_BATCH)
    offers = [(count, size) for collection, count, size in sent if collection == "offers"]
    assert len(offers) >= 4 and sum(count for count, _ in offers) == 74
    assert all(size < 50_000 + 25_000 for _, size in offers)
    assert _contents(bulk) == _contents(ordinary)
