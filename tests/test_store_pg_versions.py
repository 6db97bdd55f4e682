"""On PostgreSQL each version names a publication of the log, checked once per statement by a
trigger over the rows it inserted (the foreign key's per-row check was nearly half of writing
the versions of a national publication): a version naming no publication is refused, as the
administrator and as a network in plain SQL; a publication holding versions is neither
deleted nor renumbered; a store made with the foreign key gets the triggers from
``pmae db upgrade``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from pmae.cli import cli
from pmae.sessions import Session
from pmae.store import open_store
from pmae.store.networks import add_network, network_url


def _sql(url: str, statement: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as connection:
        cursor = connection.execute(statement)
        return cursor.fetchall() if cursor.description else []


def _checks(url: str) -> tuple[list[str], list[str]]:
    """The foreign keys of ``versions``, and the pmae triggers of the log's tables."""
    keys = [name for (name,) in _sql(url, "SELECT conname FROM pg_constraint WHERE "
                                          "conrelid = 'versions'::regclass AND contype = 'f'")]
    triggers = [name for (name,) in _sql(
        url, "SELECT tgname FROM pg_trigger WHERE tgrelid IN ('versions'::regclass, "
             "'publications'::regclass) AND tgname LIKE 'pmae_%' ORDER BY tgname")]
    return keys, triggers


TRIGGERS = ["pmae_publication_kept", "pmae_publication_numbered", "pmae_versions_published"]


def test_a_version_must_name_a_publication_of_the_log(pg_url: str, core: Session,
                                                       sample: Path) -> None:
    with open_store(pg_url, create=True, session=core) as store:
        store.publish(sample)
    assert _checks(pg_url) == ([], TRIGGERS)
    (source,) = _sql(pg_url, "SELECT split_part(id, ':', 1) FROM versions LIMIT 1")[0]
    network, password = add_network(pg_url, source, role="pmae_versions_check")
    as_network = network_url(pg_url, network.role, password)
    for url in (pg_url, as_network):
        with pytest.raises(psycopg.errors.ForeignKeyViolation, match="does not hold"):
            _sql(url, "INSERT INTO versions (id, collection, publication, change) "
                      f"VALUES ('{source}:x', 'actors', 99, 'withdrawn')")
    # One statement of many rows, one of them wrong: refused whole.
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        _sql(as_network, "INSERT INTO versions (id, collection, publication, change) "
                         f"SELECT '{source}:x' || n, 'actors', CASE WHEN n = 500 THEN 99 ELSE "
                         "1 END, 'withdrawn' FROM generate_series(1, 1000) AS n")
    _sql(as_network, "INSERT INTO versions (id, collection, publication, change) "
                     f"VALUES ('{source}:x', 'actors', 1, 'withdrawn')")
    for statement in ("DELETE FROM publications WHERE number = 1",
                      "UPDATE publications SET number = 7 WHERE number = 1"):
        with pytest.raises(psycopg.errors.ForeignKeyViolation, match="holds versions"):
            _sql(pg_url, statement)
    _sql(pg_url, "UPDATE publications SET added = added WHERE number = 1")  # not renumbered


def test_an_older_store_s_foreign_key_becomes_the_triggers_at_upgrade(
        pg_url: str, core: Session, sample: Path) -> None:
    with open_store(pg_url, create=True, session=core) as store:
        store.publish(sample)
    # A store made before: the foreign key, no trigger.
    _sql(pg_url, "DROP TRIGGER pmae_versions_published ON versions; "
                 "DROP TRIGGER pmae_publication_kept ON publications; "
                 "DROP TRIGGER pmae_publication_numbered ON publications; "
                 "ALTER TABLE versions ADD CONSTRAINT versions_publication_fkey FOREIGN KEY "
                 "(publication) REFERENCES publications(number)")
    assert _checks(pg_url) == (["versions_publication_fkey"], [])
    upgraded = CliRunner().invoke(cli, ["db", "upgrade", "--db", pg_url], obj=core)
    assert upgraded.exit_code == 0, upgraded.output
    assert _checks(pg_url) == ([], TRIGGERS)
    with open_store(pg_url, session=core) as store:
        assert store.publish(sample).number is None  # the same records: nothing to write
