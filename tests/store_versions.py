"""Helpers for tests that turn a current store back into one of an earlier schema version."""

from __future__ import annotations

import sqlite3

from pmae.store.names import NAMES_TABLE, REFERENCE_COLUMNS, REFERENCE_LINKS
from pmae.store.schema import ADDED_IN, MIGRATIONS, link_table, quote


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
    version 6's names (:func:`drop_names`)."""
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
