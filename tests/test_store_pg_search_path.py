"""A network's own temporary tables change nothing the store's functions do, proved as an
attacker would try it: in plain SQL, logged in as a network's role.

A network may create temporary tables (a publication's ``COPY`` stages its rows in one), and a
session's temporary schema comes first in a search path that does not name it. Every function
of the store names its tables with their schema and pins its search path with ``pg_temp``
last (:mod:`pmae.store.pg_functions`), so a temporary ``store_networks`` does not make a
network another, a temporary ``store_rowids`` with a trigger does not run that trigger as the
store's owner, and a temporary ``publications`` does not let an orphan version in. A network
logs a publication under the next number only (the largest bigint would block the log). A
store made with the former definitions is repaired by ``pmae db upgrade``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from conftest import drop_database, new_database

from pmae.cli import cli
from pmae.sessions import Session
from pmae.store import open_store
from pmae.store.networks import add_network, network_url
from pmae.store.pg_functions import INLINED

OWNER = "pmae-ra"  # the sample's source: restricted associations, needs, diagnoses

#: What a network of ``other-net`` sees of OWNER's restricted records: none.
SECRET = ("SELECT (SELECT count(*) FROM needs WHERE source = 'pmae-ra') + "
          "(SELECT count(*) FROM associations WHERE source = 'pmae-ra') + "
          "(SELECT count(*) FROM versions WHERE collection = 'needs')")

#: What a network reads of the others' records through the policies that call the inlined
#: functions (the history's: pmae_jsonb; the records addressed to it: pmae_addressed).
SEEN = ("SELECT (SELECT count(*) FROM versions), (SELECT count(*) FROM associations), "
        "(SELECT count(*) FROM offers)")

#: pmae_network() as it was made before its search path was pinned.
OLD_NETWORK = ("CREATE OR REPLACE FUNCTION pmae_network() RETURNS text LANGUAGE sql STABLE "
               "AS $$ SELECT slug FROM store_networks WHERE role = current_user $$")


def _sql(url: str, statement: str, parameters: Any = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as connection:
        cursor = connection.execute(statement, parameters)
        return cursor.fetchall() if cursor.description else []


@pytest.fixture(scope="module")
def store(postgres: Any, core: Session, sample: Path) -> Iterator[dict[str, str]]:
    """The sample published by the administrator; the URLs of the administrator, of the
    sample's network and of another network (``other-net``, which published nothing)."""
    admin = new_database(postgres)
    with open_store(admin, create=True, session=core) as opened:
        opened.publish(sample)
    urls = {"admin": admin}
    for key, slug, role in (("owner", OWNER, "pmae_sp_owner"),
                            ("other", "other-net", "pmae_sp_other")):
        network, password = add_network(admin, slug, role=role, session=core)
        urls[key] = network_url(admin, network.role, password)
    yield urls
    drop_database(postgres, admin)


def _pretend_to_be_the_owner(connection: psycopg.Connection[Any]) -> None:
    connection.execute("CREATE TEMP TABLE store_networks (slug text, role text)")
    connection.execute("INSERT INTO store_networks VALUES (%s, current_user)", (OWNER,))


def test_a_temporary_store_networks_makes_a_network_no_other(store: dict[str, str]) -> None:
    with psycopg.connect(store["other"], autocommit=True) as connection:
        assert connection.execute(SECRET).fetchone() == (0,)
        _pretend_to_be_the_owner(connection)
        assert connection.execute("SELECT pmae_network()").fetchone() == ("other-net",)
        assert connection.execute(SECRET).fetchone() == (0,)
        for table in ("needs", "associations", "actors"):
            deleted = connection.execute(f"DELETE FROM {table} WHERE source = %s", (OWNER,))
            assert deleted.rowcount == 0
    assert _sql(store["admin"], "SELECT count(*) FROM needs")[0][0] > 0


def test_a_temporary_counter_with_a_trigger_runs_nothing_as_the_owner(
        store: dict[str, str]) -> None:
    admin, other = store["admin"], store["other"]
    before = _sql(admin, "SELECT last FROM store_rowids WHERE collection = 'actors'")[0][0]
    with psycopg.connect(other, autocommit=True) as connection:
        connection.execute("CREATE TEMP TABLE store_rowids (collection text PRIMARY KEY, "
                           "last bigint)")
        connection.execute(
            "CREATE FUNCTION pg_temp.promote() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "EXECUTE format('ALTER ROLE %I SUPERUSER', session_user); RETURN NEW; END $$")
        connection.execute("CREATE TRIGGER promote BEFORE INSERT ON store_rowids FOR EACH ROW "
                           "EXECUTE FUNCTION pg_temp.promote()")
        connection.execute(
            "INSERT INTO actors (rowid, id, source, visibility, recipients, record) "
            "VALUES (%s, 'other-net:x', 'other-net', 'public', '[]', '{}')", (before + 1,))
        assert connection.execute("SELECT count(*) FROM pg_temp.store_rowids").fetchone() == (0,)
    assert _sql(admin, "SELECT rolsuper FROM pg_roles WHERE rolname = 'pmae_sp_other'") == [
        (False,)]
    # The real counter advanced: the next publication's rowids follow the row.
    assert _sql(admin, "SELECT last FROM store_rowids WHERE collection = 'actors'") == [
        (before + 1,)]
    _sql(admin, "DELETE FROM actors WHERE id = 'other-net:x'")


def test_a_temporary_publications_lets_no_orphan_version_in(store: dict[str, str]) -> None:
    with psycopg.connect(store["owner"], autocommit=True) as connection:
        connection.execute("CREATE TEMP TABLE publications (number bigint)")
        connection.execute("INSERT INTO publications VALUES (99)")
        with pytest.raises(psycopg.errors.ForeignKeyViolation, match="does not hold"):
            connection.execute("INSERT INTO versions (id, collection, publication, change) "
                               f"VALUES ('{OWNER}:x', 'actors', 99, 'withdrawn')")
    assert _sql(store["admin"], "SELECT count(*) FROM versions WHERE publication = 99") == [
        (0,)]


def test_a_network_logs_a_publication_under_the_next_number_only(
        store: dict[str, str], core: Session, sample: Path) -> None:
    log = ("INSERT INTO publications (number, published_at, pmae_version, added, changed, "
           "unchanged, withdrawn) VALUES (%s, '2026-01-01T00:00:00Z', 'x', 0, 0, 0, 0)")
    for number in (9223372036854775807, 0, -5, 1):
        with pytest.raises(psycopg.errors.CheckViolation, match="not the next number"):
            _sql(store["other"], log, (number,))
    assert _sql(store["admin"], "SELECT max(number) FROM publications") == [(1,)]
    # The log is not blocked: the network publishes (pmae numbers it), so does the
    # administrator, whose numbers are not checked (a restore writes the log as it was).
    with open_store(store["owner"], session=core) as opened:
        opened.publish(sample)  # the same records: logged or not, no error
    with open_store(store["admin"], session=core) as opened:
        opened.publish(sample)
    (last,) = _sql(store["admin"], "SELECT max(number) FROM publications")[0]
    _sql(store["other"], log, (last + 1,))  # the next number is fine


def test_a_network_numbers_no_row_so_far_that_the_next_ones_fail(
        store: dict[str, str]) -> None:
    admin, other = store["admin"], store["other"]
    before = _sql(admin, "SELECT last FROM store_rowids WHERE collection = 'actors'")
    with psycopg.connect(other, autocommit=True) as connection:
        with pytest.raises(psycopg.errors.CheckViolation, match="too far beyond"):
            connection.execute(
                "INSERT INTO actors (rowid, id, source, visibility, recipients, record) VALUES "
                "(9223372036854775807, 'other-net:far', 'other-net', 'public', '[]', '{}')")
        # A version's number is the sequence's: a network's own is refused.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("INSERT INTO versions (number, id, collection, publication, "
                               "change) VALUES ((SELECT max(number) + 1 FROM versions), "
                               "'other-net:x', 'actors', 1, 'withdrawn')")
    assert _sql(admin, "SELECT last FROM store_rowids WHERE collection = 'actors'") == before


def _unqualified(body: str) -> list[str]:
    """What ``body`` names without a schema: function calls, casts, operators."""
    rest = re.sub(r"OPERATOR\(pg_catalog\.[^)]+\)|pg_catalog\.\w+", "_q_", body)
    calls = [name for name in re.findall(r"(\w+)\s*\(", rest)
             if name.upper() not in ("_Q_", "EXISTS", "COALESCE", "R")]  # r(who): an alias
    return calls + [cast for cast in re.findall(r"::\s*\w+|[=<>|]+", rest) if cast != "::_q_"]


def test_every_function_of_the_store_pins_its_search_path(store: dict[str, str]) -> None:
    functions = _sql(store["admin"], """
        SELECT p.proname, p.proconfig, p.prosecdef, p.prosrc FROM pg_proc AS p
        JOIN pg_namespace AS n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' AND NOT EXISTS (SELECT FROM pg_depend AS d WHERE
            d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
        ORDER BY p.proname""")
    names = [name for name, *_ in functions]
    assert {"pmae_network", "pmae_count_rowids", "pmae_shared_diagnosis",
            "pmae_versions_published", "pmae_publication_kept", *INLINED} <= set(names)
    assert all(name.startswith("pmae_") for name in names), names
    for name, config, definer, body in functions:
        if name in INLINED:  # inlined in the policies: every name qualified instead
            assert config is None and not definer, name
            assert _unqualified(body) == [], (name, body)
        else:
            assert config == ["search_path=pg_catalog, public, pg_temp"], (name, config)


def test_a_temporary_type_changes_nothing_of_the_inlined_functions(
        store: dict[str, str]) -> None:
    with psycopg.connect(store["other"], autocommit=True) as connection:
        seen = connection.execute(SEEN).fetchone()
        connection.execute("CREATE TEMP TABLE jsonb (visibility text)")  # a type pg_temp.jsonb
        assert connection.execute(SEEN).fetchone() == seen
        assert connection.execute(SECRET).fetchone() == (0,)


def test_a_store_made_before_is_repaired_by_upgrade(pg_url: str, core: Session,
                                                    sample: Path) -> None:
    with open_store(pg_url, create=True, session=core) as opened:
        opened.publish(sample)
    network, password = add_network(pg_url, "other-net", role="pmae_sp_old", session=core)
    other = network_url(pg_url, network.role, password)
    # The former definition, and a store lacking one of the log's triggers.
    _sql(pg_url, OLD_NETWORK)
    _sql(pg_url, "DROP TRIGGER pmae_publication_kept ON publications")
    with psycopg.connect(other, autocommit=True) as connection:
        _pretend_to_be_the_owner(connection)
        assert connection.execute("SELECT pmae_network()").fetchone() == (OWNER,)  # the hole
        assert connection.execute(SECRET).fetchone() != (0,)
    upgraded = CliRunner().invoke(cli, ["db", "upgrade", "--db", pg_url], obj=core)
    assert upgraded.exit_code == 0, upgraded.output
    with psycopg.connect(other, autocommit=True) as connection:
        _pretend_to_be_the_owner(connection)
        assert connection.execute("SELECT pmae_network()").fetchone() == ("other-net",)
        assert connection.execute(SECRET).fetchone() == (0,)
    assert _sql(pg_url, "SELECT proconfig FROM pg_proc WHERE proname = 'pmae_network'") == [
        (["search_path=pg_catalog, public, pg_temp"],)]
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match="holds versions"):
        _sql(pg_url, "DELETE FROM publications WHERE number = 1")
