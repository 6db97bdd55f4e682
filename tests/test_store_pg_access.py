"""Who sees and writes what in a shared PostgreSQL store, proved with plain SQL.

Two networks, A (``reseau-a``) and B (``reseau-b``), publish into one store; each has its own
role (``pmae db add-network``). Logged in as A with nothing but psycopg and SQL, A cannot read
B's restricted or private records, cannot insert, change or delete a record of B's source,
cannot switch role, and cannot read B's raw needs; and on random bundles the rows each role
sees are, record for record, those the Python audience filter lets it see.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest
from click.testing import CliRunner
from conftest import drop_database, new_database, valid_document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import bundles

from pmae.cli import cli
from pmae.io.audience import _visible
from pmae.model import COLLECTIONS, Bundle, Record
from pmae.sessions import make_session
from pmae.store import StoreError, open_store
from pmae.store.networks import add_network, network_url, networks
from pmae.store.schema import DEFAULT_VISIBILITY

CORE = make_session(load=[])


def _renamed(slug: str) -> dict[str, Any]:
    text = json.dumps(valid_document()).replace('"lma-ra:', f'"{slug}:')
    document: dict[str, Any] = json.loads(text)
    document["source"] = {"slug": slug, "name": f"Réseau {slug}"}
    return document


def _b_document() -> dict[str, Any]:
    """B's bundle: a record of every kind of visibility."""
    document = _renamed("reseau-b")
    document["offers"][0]["visibility"] = "private"
    document["meetings"][0] |= {"visibility": "restricted", "recipients": ["reseau-c"]}
    document["associations"][0] |= {"visibility": "restricted", "recipients": ["reseau-a"]}
    document["actors"][1] |= {"visibility": "restricted", "recipients": ["reseau-a:lma"]}
    document["needs"][0]["visibility"] = "network"
    return document


@pytest.fixture(scope="module")
def shared(postgres: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A store holding A's and B's bundles, and the URLs of the administrator, A and B."""
    folder = tmp_path_factory.mktemp("shared")
    admin = new_database(postgres)
    paths = {}
    for name, document in (("a", _renamed("reseau-a")), ("b", _b_document())):
        paths[name] = folder / f"{name}.json"
        paths[name].write_bytes(orjson.dumps(document))
    with open_store(admin, create=True, session=CORE) as store:
        store.publish(paths["b"])
    urls = {"admin": admin}
    for name in ("a", "b"):
        network, password = add_network(admin, f"reseau-{name}", role=f"pmae_access_{name}")
        urls[name] = network_url(admin, network.role, password)
    # A publishes its own bundle itself, as its own role.
    with open_store(urls["a"], session=CORE) as store:
        store.publish(paths["a"])
    yield urls | {"folder": str(folder)}
    drop_database(postgres, admin)


def _rows(url: str, sql: str, parameters: Any = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as connection:
        return connection.execute(sql, parameters).fetchall()


def _ids(url: str, table: str, source: str = "reseau-b") -> set[str]:
    return {row[0] for row in _rows(url, f'SELECT id FROM "{table}" WHERE source = %s',
                                    (source,))}


def test_a_cannot_read_b_s_restricted_or_private_records(shared: dict[str, str]) -> None:
    a = shared["a"]
    assert _ids(a, "offers") == set()  # private
    assert _ids(a, "meetings") == set()  # restricted to another network
    assert _ids(a, "associations") == {"reseau-b:asso-1"}  # restricted to A
    assert _ids(a, "actors") == {"reseau-b:lma", "reseau-b:dla69"}  # one to an actor of A
    # Nor through the history, the full text or the link tables.
    assert _rows(a, "SELECT record FROM versions WHERE id = 'reseau-b:offre-1'") == []
    assert _rows(a, "SELECT count(*) FROM offers_fts") == [(1,)]  # A's own offer only
    assert _rows(a, "SELECT count(*) FROM offers_themes") == [(1,)]
    assert _rows(a, "SELECT count(*) FROM meetings_organisers") == [(1,)]
    # The administrator sees everything.
    assert _ids(shared["admin"], "offers") == {"reseau-b:offre-1"}


def test_a_cannot_insert_change_or_delete_b_s_records(shared: dict[str, str]) -> None:
    a, admin = shared["a"], shared["admin"]
    before = _rows(admin, "SELECT id, record FROM actors ORDER BY id")
    with psycopg.connect(a, autocommit=True) as connection:
        for source in ("reseau-b", "reseau-a"):  # B's source, or A's with B's id
            with pytest.raises(psycopg.Error):
                connection.execute(
                    "INSERT INTO actors (rowid, id, source, visibility, recipients, record) "
                    "VALUES (1000, 'reseau-b:evil', %s, 'public', '[]', '{}')", (source,))
        changed = connection.execute("UPDATE actors SET name = 'pris' WHERE source = "
                                     "'reseau-b'")
        assert changed.rowcount == 0
        with pytest.raises(psycopg.Error):  # its own record made into B's
            connection.execute("UPDATE actors SET id = 'reseau-b:lma2', source = 'reseau-b' "
                               "WHERE id = 'reseau-a:lma'")
        assert connection.execute("DELETE FROM actors WHERE source = 'reseau-b'").rowcount == 0
        assert connection.execute("UPDATE sources SET publication = 1 WHERE slug = "
                                  "'reseau-b'").rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # the history only grows
            connection.execute("DELETE FROM versions WHERE id LIKE 'reseau-b:%'")
    assert _rows(admin, "SELECT id, record FROM actors ORDER BY id") == before


def test_a_publishes_its_own_records_only(shared: dict[str, str]) -> None:
    path = Path(shared["folder"]) / "b-by-a.json"
    path.write_bytes(orjson.dumps(_renamed("reseau-b")))
    with open_store(shared["a"], session=CORE) as store:
        log = len(store.log())
        with pytest.raises(StoreError, match=r"row-level security|not allowed"):
            store.publish(path)
        assert len(store.log()) == log


def test_a_cannot_switch_role(shared: dict[str, str]) -> None:
    with psycopg.connect(shared["a"], autocommit=True) as connection:
        for statement in ("SET ROLE pmae_access_b", "SET ROLE postgres",
                          "SET SESSION AUTHORIZATION pmae_access_b", "SET ROLE pmae_public"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute(statement)
        assert connection.execute("SELECT current_user").fetchone() == ("pmae_access_a",)


def test_a_cannot_read_another_network_s_raw_needs(shared: dict[str, str]) -> None:
    a = shared["a"]
    # B's need is visible to every network (visibility "network"), yet not as a raw need.
    assert _ids(a, "needs") == set()
    assert _rows(a, "SELECT record FROM versions WHERE collection = 'needs' "
                    "AND id LIKE 'reseau-b:%'") == []
    assert _ids(a, "needs", "reseau-a") == {"reseau-a:besoin-1"}
    with psycopg.connect(a, autocommit=True) as connection, \
            pytest.raises(psycopg.errors.InsufficientPrivilege):
        connection.execute("SELECT * FROM shared_diagnoses")


def test_light_rows_are_what_the_role_may_read(shared: dict[str, str]) -> None:
    """Coverage's and the shared diagnosis's light rows go through row-level security too:
    as A, the records A may read, neither B's private offer, nor B's needs (a raw need is
    its network's own), nor the actor restricted to another recipient."""
    with open_store(shared["a"], session=CORE) as store:
        light = store.light_bundle()
        whole = store.bundle()
        counted = store.light_bundle(["need_counts"]).need_counts
    for collection in ("actors", "offers", "needs"):
        assert [row.id for row in getattr(light, collection)] == [
            record.id for record in getattr(whole, collection)], collection
    assert {row.id for row in light.needs} == {"reseau-a:besoin-1"}
    assert not any(row.id.startswith("reseau-b:") for row in light.offers)
    # The needs counted for coverage are those A may read, counted after the filtering.
    assert counted is not None and sum(row.needs for row in counted) == len(light.needs)
    with open_store(shared["admin"], session=CORE) as store:
        every = store.light_bundle()
        all_counted = store.light_bundle(["need_counts"]).need_counts
    assert {row.id for row in every.needs} > {row.id for row in light.needs}
    assert all_counted is not None
    assert sum(row.needs for row in all_counted) == len(every.needs)
    assert {row.id for row in every.offers} > {row.id for row in light.offers}


def test_an_anonymous_reader_sees_only_public_records(shared: dict[str, str]) -> None:
    with psycopg.connect(shared["admin"], autocommit=True) as connection:
        connection.execute("SET ROLE pmae_public")
        seen = {row[0] for row in connection.execute("SELECT visibility FROM actors UNION "
                                                     "SELECT visibility FROM needs")}
        assert seen == {"public"}
        with pytest.raises(psycopg.Error):
            connection.execute("DELETE FROM actors")


def test_what_a_names_no_visibility_of_is_its_collection_s_default(
        shared: dict[str, str]) -> None:
    """A's bundle names no visibility: its need, association and referral are restricted (the
    model's default), so neither B nor the anonymous reader reads them, nor their versions,
    link rows, full text or light rows; A's actors are public (their default)."""
    hidden = {"needs": "reseau-a:besoin-1", "associations": "reseau-a:asso-1",
              "referrals": "reseau-a:orientation-1"}
    dependent = {"associations_fts": "associations", "associations_departements":
                 "associations", "needs_departements": "needs"}
    with psycopg.connect(shared["admin"], autocommit=True) as connection:
        held = {t: connection.execute(f'SELECT count(*) FROM "{t}" AS d JOIN "{c}" AS r ON '
                                      f"r.rowid = d.{'rowid' if t.endswith('_fts') else 'record'}"
                                      " WHERE r.source = 'reseau-a'").fetchone()
                for t, c in dependent.items()}
    assert all(count == (1,) for count in held.values()), held
    for url, role in ((shared["b"], None), (shared["admin"], "pmae_public")):
        with psycopg.connect(url, autocommit=True) as connection:
            if role:
                connection.execute(f"SET ROLE {role}")
            for collection, record in hidden.items():
                assert connection.execute(f'SELECT id FROM "{collection}" WHERE id = %s',
                                          (record,)).fetchall() == [], (role, collection)
                assert connection.execute("SELECT id FROM versions WHERE id = %s",
                                          (record,)).fetchall() == [], (role, collection)
            for table, collection in dependent.items():
                key = "rowid" if table.endswith("_fts") else "record"
                # The row may be read only if its record may: B's own, or none for the public.
                assert connection.execute(
                    f'SELECT count(*) FROM "{table}" AS d WHERE NOT EXISTS (SELECT 1 FROM '
                    f'"{collection}" AS r WHERE r.rowid = d.{key} AND r.source = '
                    "'reseau-b')").fetchone() == (0,), (role, table)
            assert connection.execute("SELECT count(*) FROM actors WHERE source = "
                                      "'reseau-a'").fetchone() == (2,)
    with open_store(shared["b"], session=CORE) as store:
        assert not any(row.id.startswith("reseau-a:") for row in store.light_bundle().needs)


def test_networks_commands(shared: dict[str, str]) -> None:
    admin = shared["admin"]
    assert [(n.slug, n.role) for n in networks(admin)] == [
        ("reseau-a", "pmae_access_a"), ("reseau-b", "pmae_access_b")]
    done = CliRunner().invoke(cli, ["db", "add-network", "reseau-c", "--role",
                                    "pmae_access_c", "--db", admin], obj=CORE)
    assert done.exit_code == 0, done.output
    assert "role pmae_access_c" in done.stdout and "it connects with: postgresql://" in \
        done.stdout
    listed = CliRunner().invoke(cli, ["db", "networks", "--db", admin, "--format", "json"])
    assert [n["slug"] for n in json.loads(listed.stdout)] == ["reseau-a", "reseau-b",
                                                              "reseau-c"]
    again = CliRunner().invoke(cli, ["db", "add-network", "reseau-d", "--role",
                                     "pmae_access_a", "--db", admin])
    assert again.exit_code == 2 and "already the network" in again.stderr
    on_sqlite = CliRunner().invoke(cli, ["db", "networks", "--db", "pmae.db"])
    assert on_sqlite.exit_code == 2 and "postgresql://" in on_sqlite.output


# --- the database and the Python filter agree ------------------------------------------------


def _may_read(record: Record, network: str | None) -> bool:
    """What a network's role may read of one record, in Python: pmae.io.audience's rule for
    the network and for each of its actors, its own records, and for needs only the public
    ones and its own."""
    own = network is not None and record.id.partition(":")[0] == network
    if own or record.visibility == "public":
        return True
    if network is None or type(record).__name__ == "Need":
        return False
    whom = [network, *(r for r in record.recipients if r.startswith(network + ":"))]
    return any(_visible(record, "network", who) for who in whom)


def _strip_visibility(admin: str, ids: list[str]) -> None:
    """The records ``ids`` as if published naming no visibility: their JSON, in their table
    and their history, without it, and the column their collection's default (what
    :func:`pmae.store.rows.put_rows` writes for such a record)."""
    with psycopg.connect(admin, autocommit=True) as connection:
        for collection in COLLECTIONS:
            connection.execute(f'UPDATE "{collection}" SET record = (data - \'visibility\')'
                               "::text, visibility = %s WHERE id = ANY(%s)",
                               (DEFAULT_VISIBILITY[collection], ids))
        connection.execute("UPDATE versions SET record = (record::jsonb - 'visibility')::text "
                           "WHERE id = ANY(%s)", (ids,))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=bundles(max_records=3), b=bundles(max_records=3),
       omitted=st.sets(st.integers(min_value=0, max_value=80)))
def test_each_role_sees_what_the_audience_filter_lets_it_see(
        new_pg_at: Callable[[], AbstractContextManager[str]], a: Bundle, b: Bundle,
        omitted: set[int]) -> None:
    """Record for record, in each collection and in the history, also when records name no
    visibility (``omitted``: their positions among the records published)."""
    slugs = sorted({a.source.slug, b.source.slug})
    with new_pg_at() as admin:
        with open_store(admin, create=True, session=CORE) as store:
            store.publish(a)
            if b.source.slug != a.source.slug:
                store.publish(b)
            published = store.bundle()
            ids = [r.id for collection in COLLECTIONS for r in getattr(published, collection)]
            _strip_visibility(admin, [i for n, i in enumerate(ids) if n in omitted])
            held = store.bundle()  # as the model reads them: their collection's default
        roles = {slug: network_url(admin, add_network(admin, slug, role=f"pmae_p_{i}")[0].role,
                                   None) for i, slug in enumerate(slugs)}
        roles["nobody-else"] = network_url(
            admin, add_network(admin, "nobody-else", role="pmae_p_other")[0].role, None)
        for network, url in [*roles.items(), (None, admin)]:
            with psycopg.connect(url, autocommit=True) as connection:
                if network is None:  # the administrator, as the anonymous reader
                    connection.execute("SET ROLE pmae_public")
                history = {row[0] for row in connection.execute(
                    "SELECT id FROM versions").fetchall()}
                for collection in COLLECTIONS:
                    seen = {row[0] for row in connection.execute(
                        f'SELECT id FROM "{collection}"').fetchall()}
                    expected = {r.id for r in getattr(held, collection)
                                if _may_read(r, network)}
                    assert seen == expected, (network, collection)
                    assert history & {r.id for r in getattr(held, collection)} == expected, (
                        network, collection, "versions")


def test_the_shared_diagnosis_reaches_networks_as_protected_tables_only(
        shared: dict[str, str]) -> None:
    admin, a = shared["admin"], shared["a"]
    missing = CliRunner().invoke(cli, ["db", "shared-needs", "--by", "theme", "--db", a])
    assert missing.exit_code == 1 and "pmae db share-needs --by theme" in missing.stderr
    done = CliRunner().invoke(cli, ["db", "share-needs", "--by", "theme", "--db", admin],
                              obj=CORE)
    assert done.exit_code == 0, done.output
    expected = CliRunner().invoke(cli, ["needs", "--by", "theme", "--format", "json",
                                        "--db", admin], obj=CORE)
    read = CliRunner().invoke(cli, ["db", "shared-needs", "--by", "theme", "--db", a])
    assert read.exit_code == 0, read.output
    assert json.loads(read.stdout) == json.loads(expected.stdout)
    assert _rows(a, "SELECT pmae_shared_diagnosis('theme') IS NOT NULL") == [(True,)]
    with psycopg.connect(a, autocommit=True) as connection, \
            pytest.raises(psycopg.errors.InsufficientPrivilege):
        connection.execute("INSERT INTO shared_diagnoses VALUES ('x', 'now', '{}')")
