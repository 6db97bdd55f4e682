"""Helpers for tests that turn a current store back into one of an earlier schema version."""

from __future__ import annotations

import functools
import sqlite3

import pytest

from pmae.store import connection as sqlite_connection
from pmae.store import postgres, rows
from pmae.store.names import NAMES_TABLE, REFERENCE_COLUMNS, REFERENCE_LINKS
from pmae.store.schema import (
    ADDED_IN,
    COLUMN_ADDED_IN,
    COLUMNS,
    MIGRATIONS,
    NEED_CELL_INDEX,
    link_table,
    quote,
)


def as_version(monkeypatch: pytest.MonkeyPatch, version: int) -> None:
    """pmae as it was at schema ``version`` (until ``monkeypatch`` is undone): it makes stores
    of that version (both backends) and writes only the columns they have."""
    for module in (sqlite_connection, postgres):
        monkeypatch.setattr(module, "SCHEMA_VERSION", version)
    monkeypatch.setattr(rows, "COLUMNS", {
        collection: tuple(column for column in columns
                          if COLUMN_ADDED_IN.get((collection, column[0]), 1) <= version)
        for collection, columns in COLUMNS.items()})
    # The statements made once per collection, made again from those columns (the cache of
    # today's statements is left as it is, for after).
    monkeypatch.setattr(rows, "_statements", functools.cache(rows._statements.__wrapped__))


def drop_version_8(connection: sqlite3.Connection) -> None:
    """Undo version 8: the index of the needs by cell, the columns it added."""
    connection.execute(f"DROP INDEX {quote(NEED_CELL_INDEX)}")
    for (collection, column), added in COLUMN_ADDED_IN.items():
        if added == 8:
            connection.execute(f"ALTER TABLE {quote(collection)} DROP COLUMN {quote(column)}")


def drop_names(connection: sqlite3.Connection) -> None:
    """Undo version 6: the names table, its triggers, and the foreign keys that point to it
    (taken out of the tables' text again, as version 5 wrote them)."""
    for (trigger,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        connection.execute(f"DROP TRIGGER {quote(trigger)}")
    connection.execute(f"DROP TABLE IF EXISTS {NAMES_TABLE}")
    tables = [*REFERENCE_COLUMNS, *(link_table(*link) for link in REFERENCE_LINKS)]
    connection.execute("PRAGMA writable_schema = ON")
    for table in tables:
        connection.execute(
            "UPDATE sqlite_master SET sql = replace(sql, ?, '') WHERE type = 'table' "
            "AND name = ?", (f' REFERENCES "{NAMES_TABLE}"(id)', table))
    connection.execute("PRAGMA writable_schema = RESET")


def drop_later_collections(connection: sqlite3.Connection, version: int = 1) -> None:
    """Drop the tables of the collections that schema versions after ``version`` added (version
    5: responses and practices, their link tables and the label tables only they use), and
    version 6's names (:func:`drop_names`), version 8's index and columns
    (:func:`drop_version_8`)."""
    if version < 8:
        drop_version_8(connection)
    if version < 6:
        drop_names(connection)
    later = [c for c, added in ADDED_IN.items() if added > version]
    label_tables = {name for number, made in MIGRATIONS.items() if number > version
                    for statement in made() if statement.startswith("CREATE TABLE")
                    if (name := statement.split()[2].strip('"')).startswith("vocabulary_")}
    for (table,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name DESC").fetchall():
        if table in label_tables or any(table == c or table.startswith(f"{c}_") for c in later):
            connection.execute(f"DROP TABLE {quote(table)}")
