"""Store schema version 8: the index of the needs by territory, theme and stage (coverage's
count) and the needs' ``intensity`` column (the shared diagnosis's read), on both backends.

A store of version 7 upgraded has exactly the schema of a store made today, its column filled
from the records as a publication fills it; the reads that use them give what the bundle gives.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest
from click.testing import CliRunner
from store_versions import as_version

from pmae.analysis.coverage import _region_of
from pmae.analysis.coverage_grid import Grid
from pmae.cli import cli
from pmae.sample import sample_bytes
from pmae.sessions import make_session
from pmae.store import SCHEMA_VERSION, open_store, upgrade
from pmae.store.backend import is_postgres_url
from pmae.store.networks import add_network, network_url
from pmae.store.schema import JSON_NUMBER_COLUMNS, MIGRATIONS, NEED_CELL_INDEX
from pmae.territories import TerritoryError

CORE = make_session(load=[])


def _document() -> dict[str, Any]:
    """The sample with whole, decimal and whole-but-float intensities, and needs the
    grouping by département must keep apart: in another département's commune, in an
    unknown commune, at a département's level, without territory."""
    document = orjson.loads(sample_bytes())
    needs = document["needs"]
    needs[0]["intensity"] = 2.5
    needs[1]["intensity"] = 3
    needs[2]["intensity"] = 3.0
    needs[3]["intensity"] = 0.30000000000000004  # every digit of a double
    needs[4]["territory"] = "com:38185"
    needs[5]["territory"] = "dep:69"
    needs[6].pop("territory", None)
    return document


def _schema(db: str) -> list[tuple[Any, ...]]:
    """Every table, column, index, trigger and policy of the store, as its engine lists them."""
    if not is_postgres_url(db):
        with sqlite3.connect(db) as c:
            return c.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                             "ORDER BY type, name").fetchall()
    with psycopg.connect(db) as c:
        return [
            *c.execute("SELECT table_name, column_name, data_type, collation_name, "
                       "is_nullable, column_default, generation_expression "
                       "FROM information_schema.columns WHERE table_schema = 'public' "
                       "ORDER BY table_name, ordinal_position").fetchall(),
            *c.execute("SELECT tablename, indexname, indexdef FROM pg_indexes "
                       "WHERE schemaname = 'public' ORDER BY 1, 2").fetchall(),
            *c.execute("SELECT tablename, policyname, cmd, roles::text, qual, with_check "
                       "FROM pg_policies ORDER BY 1, 2").fetchall()]


def _sql(db: str, statement: str) -> list[tuple[Any, ...]]:
    if not is_postgres_url(db):
        with sqlite3.connect(db) as c:
            return c.execute(statement).fetchall()
    with psycopg.connect(db) as c:
        cursor = c.execute(statement)
        return cursor.fetchall() if cursor.description else []


def _coverage(*args: str) -> bytes:
    result = CliRunner().invoke(cli, ["coverage", "--format", "json", "--date", "2025-06-01",
                                      *args], obj=CORE, prog_name="pmae")
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def test_version_8_is_the_index_and_the_column() -> None:
    statements = MIGRATIONS[8]()
    assert any(NEED_CELL_INDEX in s and "(territory, theme, stage)" in s for s in statements)
    assert any(s.startswith('ALTER TABLE "needs" ADD COLUMN "intensity" TEXT')
               for s in statements)
    assert {"intensity"} == JSON_NUMBER_COLUMNS
    assert SCHEMA_VERSION == 8


def test_a_store_of_version_7_upgrades_to_a_new_store_s_schema(
        new_store_at: Callable[[], AbstractContextManager[str]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "b.json"
    document = _document()
    bundle.write_bytes(orjson.dumps(document))
    with new_store_at() as old, new_store_at() as new:
        with monkeypatch.context() as before:
            as_version(before, 7)
            with open_store(old, create=True, session=CORE) as store:
                store.publish(bundle)
            assert "intensity" not in str(_schema(old))
        with open_store(new, create=True, session=CORE) as store:
            store.publish(bundle)
        assert upgrade(old, session=CORE) == (7, [8])
        assert _schema(old) == _schema(new)
        written = "SELECT id, intensity FROM needs ORDER BY id"
        assert _sql(old, written) == _sql(new, written)
        values = {orjson.loads(text) for _, text in _sql(old, written) if text is not None}
        assert {2.5, 3, 0.30000000000000004} <= values
        with open_store(old, session=CORE) as store:
            columns = store.shareable_need_columns()
            given = {need.id: need.intensity for need in store.bundle().needs
                     if need.visibility != "private"}
        intensity = dict(zip(columns["id"], columns["intensity"], strict=True))
        assert intensity == given  # with the model's values, the type included
        assert [type(intensity[key]) for key in given] == [type(v) for v in given.values()]
        assert _coverage("--db", old) == _coverage("--db", new) == _coverage(str(bundle))


def test_the_cell_counts_read_the_index_alone(tmp_path: Path) -> None:
    bundle = tmp_path / "b.json"
    bundle.write_bytes(orjson.dumps(_document()))
    db = tmp_path / "s.db"
    with open_store(db, create=True, session=CORE) as store:
        store.publish(bundle)
    with sqlite3.connect(db) as c:
        for statement in ("SELECT DISTINCT territory FROM needs INDEXED BY needs_cell",
                          "SELECT territory, theme, stage, count(*) FROM needs INDEXED BY "
                          "needs_cell GROUP BY territory, theme, stage"):
            plan = " ".join(row[-1] for row in c.execute(f"EXPLAIN QUERY PLAN {statement}"))
            assert f"COVERING INDEX {NEED_CELL_INDEX}" in plan and "TEMP B-TREE" not in plan


def test_a_network_s_cell_counts_read_the_index_alone_on_postgresql(pg_url: str,
                                                                   tmp_path: Path) -> None:
    """Row-level security reads a need's visibility and source: PostgreSQL's index holds them,
    so a network's counts (what coverage asks) never read the records' rows."""
    bundle = tmp_path / "b.json"
    bundle.write_bytes(orjson.dumps(_document()))
    with open_store(pg_url, create=True, session=CORE) as store:
        store.publish(bundle)
    network, _ = add_network(pg_url, "reseau-cells", role="pmae_net_cells", session=CORE)
    with psycopg.connect(pg_url, autocommit=True) as c:
        # What autovacuum does after a publication: the pages marked all visible, without
        # which the planner prefers the rows to the index alone.
        c.execute("VACUUM ANALYZE needs")
    with psycopg.connect(network_url(pg_url, network.role, "any")) as c:
        # The sample is small: without these the planner reads its few pages instead.
        c.execute("SET enable_seqscan = off")
        c.execute("SET enable_bitmapscan = off")
        for statement in ("SELECT DISTINCT territory FROM needs",
                          "SELECT theme, stage, count(*) FROM needs WHERE territory IN "
                          "('com:38185', 'com:69123') GROUP BY theme, stage",
                          "SELECT territory, theme, stage, count(*) FROM needs "
                          "GROUP BY territory, theme, stage"):
            plan = " ".join(row[0] for row in c.execute(f"EXPLAIN {statement}"))
            assert f"Index Only Scan using {NEED_CELL_INDEX}" in plan, plan
            assert "Filter: ((visibility = 'public'::text) OR (source = " in plan  # RLS


@pytest.mark.parametrize(("level", "region"), [("dep", None), ("reg", None),
                                               ("dep", "reg:84"), ("reg", "reg:84")])
def test_a_departement_s_communes_counted_together_fall_in_the_same_cells(
        store_at: str, tmp_path: Path, level: str, region: str | None) -> None:
    """Counted with the territories, the needs of a département's communes are one row per
    theme and stage; every grid places them where it places each of those communes."""
    bundle = tmp_path / "b.json"
    document = _document()
    bundle.write_bytes(orjson.dumps(document))
    with open_store(store_at, create=True, session=CORE) as store:
        store.publish(bundle)
    # A commune these territories do not know (a publication would refuse it; a store from
    # another referential may hold one): counted on its own, placed nowhere.
    _sql(store_at, "UPDATE needs SET territory = 'com:69999' WHERE id = "
                   f"'{document['needs'][7]['id']}'")
    with open_store(store_at, session=CORE) as store:
        whole = [(n.territory, n.theme, n.stage) for n in store.bundle().needs]
        whole[7] = ("com:69999", *whole[7][1:])
        merged = store.light_bundle(["need_counts"], territories=CORE.territories).need_counts
    assert merged is not None
    territories = CORE.territories
    codes = territories.departements(region) if region else territories.departements("fr")
    if level == "reg":
        codes = tuple(dict.fromkeys(_region_of(territories)[d] for d in codes))
    grid = Grid(level, codes, territories, _region_of(territories))

    def placed(rows: Any) -> Counter[tuple[Any, ...]]:
        found: Counter[tuple[Any, ...]] = Counter()
        for territory, theme, stage, count in rows:
            found[(grid.place(territory), theme, stage)] += count
        return found

    assert placed(merged) == placed((*need, 1) for need in whole)
    communes = {t for t, _, _ in whole if t and t.startswith("com:")}
    departements = {territories.parents(c)[0] for c in communes if territories.exists(c)}
    rows = {row.territory for row in merged}
    assert "com:69999" in rows and "dep:69" in rows and None in rows
    # One commune stands for each département's known communes.
    assert len(rows & communes) == len(departements) + 1


def test_the_grid_places_every_commune_as_its_ancestors_say() -> None:
    """The grid places a commune by its département's line; the same as the rule on its
    ancestors (the one grid territory among them), for every commune and grid."""
    territories = CORE.territories
    region_of = _region_of(territories)
    communes = [c for d in territories.departements("fr") for c in territories.communes(d)]
    codes = [*communes, "com:69381", "com:99999", "com:2A004", "com:97411", "fr", "reg:84",
             "dep:69", "epci:200046977", None]
    grids = [("dep", territories.departements("fr")), ("reg", territories.regions()),
             ("dep", territories.departements("reg:84")), ("reg", ("reg:84", "reg:11"))]
    for level, members in grids:
        grid = Grid(level, tuple(members), territories, region_of)

        def by_ancestors(code: str | None, members: Any = frozenset(members)) -> str | None:
            if code is None or code in members:
                return code
            try:
                inside = [a for a in territories.ancestors(code) if a in members]
            except TerritoryError:  # an unknown territory: placed nowhere
                inside = []
            return inside[0] if len(inside) == 1 else None

        assert [grid.place(code) for code in codes] == [by_ancestors(c) for c in codes], level
