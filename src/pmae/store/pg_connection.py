"""The connection the store's modules write and read a PostgreSQL store through.

:class:`PgConnection` runs the store's statements, written in SQLite's dialect, translated by
:mod:`pmae.store.pg_sql`; rows come in bulk through ``COPY`` (into a temporary table, since
``COPY`` does not go through row-level security, then one ``INSERT … SELECT`` that does).

While a publication writes (:meth:`PgConnection.deferring`), the statements whose result
nobody reads (``COPY`` batches, ``INSERT``, ``UPDATE``, ``DELETE``) are sent by a second
thread, in order, while pmae reads and prepares the next records: the server writes one batch
as the client makes the next, instead of each waiting for the other. Anything that reads
(a ``SELECT``, :attr:`PgConnection.raw`, the end of the transaction) waits for them first and
raises the first error one of them met; after an error, or when the transaction is abandoned,
the statements still waiting are dropped, never run outside it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Final

from pmae.store.backend import redacted
from pmae.store.pg_sql import copy_target, translate
from pmae.store.schema import quote

if TYPE_CHECKING:
    import psycopg

__all__ = ["PgConnection"]

#: A statement whose result nobody reads: it may be sent while pmae goes on.
_WRITE: Final = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b(?!.*\bRETURNING\b)", re.I | re.S)


class _Sent:
    """What :meth:`PgConnection.execute` returns for a statement sent later: no rows."""

    def fetchone(self) -> None:
        """No row."""
        return None

    def fetchall(self) -> list[Any]:
        """No rows."""
        return []

    def __iter__(self) -> Iterator[Any]:
        return iter(())


class PgConnection:
    """A psycopg connection running the store's statements (SQLite's dialect, translated)."""

    def __init__(self, raw: psycopg.Connection[Any], url: str) -> None:
        self._raw = raw
        self.name = redacted(url)
        #: The URL as given, password included: what the driver's errors are scrubbed of.
        self.url = url
        self._writes_labels: bool | None = None
        self._sender: ThreadPoolExecutor | None = None
        self._sent: list[Future[None]] = []
        self._dropped = False

    @property
    def raw(self) -> psycopg.Connection[Any]:
        """psycopg's connection, once every statement sent before has run."""
        self.wait()
        return self._raw

    @property
    def writes_labels(self) -> bool:
        """Whether the role may write the label tables: the administrator may, a network's
        role may not (see :mod:`pmae.store.pg_labels`); asked once."""
        if self._writes_labels is None:
            row = self.raw.execute(
                "SELECT has_table_privilege('territories', 'INSERT')").fetchone()
            self._writes_labels = bool(row and row[0])
        return self._writes_labels

    @contextlib.contextmanager
    def deferring(self) -> Iterator[PgConnection]:
        """Inside a transaction: statements whose result nobody reads are sent by a second
        thread, in order (see the module); all have run at the end, or none of those still
        waiting when the block fails."""
        self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pmae-pg")
        self._dropped = False
        try:
            yield self
            self.wait()
        except BaseException:
            self._drop()
            raise
        finally:
            sender, self._sender = self._sender, None
            sender.shutdown(wait=True)

    def _send(self, work: Callable[[], None]) -> None:
        if self._sender is None:
            work()
            return

        def run() -> None:
            if not self._dropped:  # after an error the transaction is lost anyway
                try:
                    work()
                except BaseException:
                    self._dropped = True
                    raise

        self._sent.append(self._sender.submit(run))

    def wait(self) -> None:
        """Wait for the statements sent; raise the first error one of them met."""
        sent, self._sent = self._sent, []
        failure: BaseException | None = None
        for future in sent:
            error = future.exception()
            if error is not None and failure is None:
                failure = error
        if failure is not None:
            self._dropped = False  # what is sent from now on runs (and fails if it must)
            raise failure

    def _drop(self) -> None:
        """Drop the statements still waiting, and wait for the one running."""
        self._dropped = True
        sent, self._sent = self._sent, []
        for future in sent:
            future.cancel()
        for future in sent:
            if not future.cancelled():
                future.exception()

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        """Run one statement (translated); returns psycopg's cursor (nothing to read when it
        is a write sent later)."""
        statement, values = translate(sql, parameters)
        if self._sender is not None and _WRITE.match(statement):

            def write() -> None:
                self._raw.execute(statement, values)

            self._send(write)
            return _Sent()
        return self.raw.execute(statement, values)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> None:
        """Run one statement for each row; an ``INSERT … VALUES`` is one ``COPY``."""
        rows = [list(translate(sql, row)[1] or ()) for row in parameters]
        if rows:
            self._send(lambda: self._many(sql, rows))

    def _many(self, sql: str, rows: list[list[Any]]) -> None:
        target = copy_target(sql)
        with self._raw.cursor() as cursor:
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
        self._raw.close()
