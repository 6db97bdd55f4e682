"""The connection the store's modules write and read a PostgreSQL store through.

:class:`PgConnection` runs the store's statements, written in SQLite's dialect, translated by
:mod:`pmae.store.pg_sql`; rows come in bulk through ``COPY`` (into a temporary table, since
``COPY`` does not go through row-level security, then one ``INSERT … SELECT`` that does).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pmae.store.backend import redacted
from pmae.store.pg_sql import copy_target, translate
from pmae.store.schema import quote

if TYPE_CHECKING:
    import psycopg

__all__ = ["PgConnection"]


class PgConnection:
    """A psycopg connection running the store's statements (SQLite's dialect, translated)."""

    def __init__(self, raw: psycopg.Connection[Any], url: str) -> None:
        self.raw = raw
        self.name = redacted(url)
        #: The URL as given, password included: what the driver's errors are scrubbed of.
        self.url = url
        self._writes_labels: bool | None = None

    @property
    def writes_labels(self) -> bool:
        """Whether the role may write the label tables: the administrator may, a network's
        role may not (see :mod:`pmae.store.pg_labels`); asked once."""
        if self._writes_labels is None:
            row = self.raw.execute(
                "SELECT has_table_privilege('territories', 'INSERT')").fetchone()
            self._writes_labels = bool(row and row[0])
        return self._writes_labels

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        """Run one statement (translated); returns psycopg's cursor."""
        statement, values = translate(sql, parameters)
        return self.raw.execute(statement, values)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> None:
        """Run one statement for each row; an ``INSERT … VALUES`` is one ``COPY``."""
        rows = [list(translate(sql, row)[1] or ()) for row in parameters]
        if not rows:
            return
        target = copy_target(sql)
        with self.raw.cursor() as cursor:
            if target is None:
                cursor.executemany(translate(sql)[0], rows)
                return
            table, columns, conflicts = target
            stage = quote("pmae_stage_" + table.strip('"'))
            # COPY into a temporary table (row-level security does not apply to COPY), then
            # one INSERT that goes through the table's policies.
            cursor.execute(f"DROP TABLE IF EXISTS {stage}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {stage} ON COMMIT DROP AS "
                f"SELECT {columns} FROM {table} LIMIT 0")
            with cursor.copy(f"COPY {stage} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(f"INSERT INTO {table} ({columns}) "
                           f"SELECT {columns} FROM {stage}{conflicts}")
            cursor.execute(f"DROP TABLE {stage}")

    def create_function(self, name: str, narg: int, func: Any, *,
                        deterministic: bool = False) -> None:
        """Nothing: the store's SQL functions (``pmae_fold``) are in its schema."""

    def close(self) -> None:
        """Close the connection."""
        self.raw.close()
