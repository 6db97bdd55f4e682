"""Helpers for tests that turn a current store back into one of an earlier schema version."""

from __future__ import annotations

import sqlite3

from pmae.store.schema import ADDED_IN, MIGRATIONS, quote


def drop_later_collections(connection: sqlite3.Connection, version: int = 1) -> None:
    """Drop the tables of the collections that schema versions after ``version`` added (version
    5: responses and practices, their link tables and the label tables only they use)."""
    later = [c for c, added in ADDED_IN.items() if added > version]
    label_tables = {name for number, made in MIGRATIONS.items() if number > version
                    for statement in made() if statement.startswith("CREATE TABLE")
                    if (name := statement.split()[2].strip('"')).startswith("vocabulary_")}
    for (table,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name DESC").fetchall():
        if table in label_tables or any(table == c or table.startswith(f"{c}_") for c in later):
            connection.execute(f"DROP TABLE {quote(table)}")
