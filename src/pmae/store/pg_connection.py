"""The connection the store's modules write and read a PostgreSQL store through.

:class:`PgConnection` runs the store's statements, written in SQLite's dialect, translated by
:mod:`pmae.store.pg_sql`; rows come in bulk through ``COPY`` (into a temporary table, since
``COPY`` does not go through row-level security, then one ``INSERT … SELECT`` that does), or
straight into the table, from a second thread, during a bulk load (:meth:`PgConnection.copying`).
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from pmae.store.backend import redacted
from pmae.store.pg_sql import converts, copy_target, translate, upsert_target
from pmae.store.schema import quote

if TYPE_CHECKING:
    import psycopg

__all__ = ["UPSERT_ROWS", "PgConnection"]

#: From how many rows an ``INSERT … ON CONFLICT DO UPDATE`` is copied into a temporary table
#: and inserted from it in one statement, rather than run row by row.
UPSERT_ROWS = 100

#: The interpreter's switch interval while a bulk load copies from its second thread (s).
SWITCH_INTERVAL = 0.0002

#: How many bulk loads of this process copy now, and the switch interval before the first:
#: the interval is process-wide, and two loads at once (two stores) end in any order.
_loads = [0, 0.0]
_loads_lock = threading.Lock()


@contextlib.contextmanager
def _short_switches() -> Iterator[None]:
    """:data:`SWITCH_INTERVAL` until the last of the bulk loads running at once ends, then
    the interval as it was before the first."""
    with _loads_lock:
        if not _loads[0]:
            _loads[1] = sys.getswitchinterval()
            sys.setswitchinterval(SWITCH_INTERVAL)
        _loads[0] += 1
    try:
        yield
    finally:
        with _loads_lock:
            _loads[0] -= 1
            if not _loads[0]:
                sys.setswitchinterval(_loads[1])


class PgConnection:
    """A psycopg connection running the store's statements (SQLite's dialect, translated)."""

    def __init__(self, raw: psycopg.Connection[Any], url: str) -> None:
        self.raw = raw
        self.name = redacted(url)
        #: The URL as given, password included: what the driver's errors are scrubbed of.
        self.url = url
        self._writes_labels: bool | None = None
        #: The thread copying rows straight into the tables, during :meth:`copying`.
        self._copier: _Copier | None = None
        #: The store's tables were made in the transaction running now
        #: (:func:`pmae.store.postgres.publish_new`): nobody else sees them, a bulk load may
        #: lock them (:func:`pmae.store.pg_bulk.indexes_built_after`).
        self.made_now = False

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
        if self._copier is not None:
            self._copier.drain()
        statement, values = translate(sql, parameters)
        return self.raw.execute(statement, values)

    def later(self, sql: str, parameters: Any = (), /) -> None:
        """Run one statement whose result is not read: during :meth:`copying`, from the
        copying thread after the copies sent before it (the server runs it while pmae reads
        on); otherwise now."""
        if self._copier is None:
            self.execute(sql, parameters)
            return
        self._copier.put(*translate(sql, parameters), copy=False)

    def later_native(self, statement: str, parameters: Any = None) -> None:
        """:meth:`later` of a statement in PostgreSQL's own dialect (psycopg's
        placeholders), not translated."""
        if self._copier is None:
            self.raw.execute(statement, parameters)
            return
        self._copier.put(statement, parameters, copy=False)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> None:
        """Run one statement for each row; an ``INSERT … VALUES`` is one ``COPY``."""
        rows: list[Any] = (list(parameters) if not converts(sql)
                           else [translate(sql, row)[1] for row in parameters])
        if not rows:
            return
        target = copy_target(sql)
        if self._copier is not None:
            if target is not None:
                table, columns, conflicts = target
                if conflicts:  # a record's list field naming a code twice: one link row
                    rows = list(dict.fromkeys(map(tuple, rows)))
                self._copier.put(f"COPY {table} ({columns}) FROM STDIN", rows, copy=True)
                return
            self._copier.drain()
        with self.raw.cursor() as cursor:
            upsert = upsert_target(sql) if target is None and len(rows) > UPSERT_ROWS else None
            if upsert is not None:
                # Many rows (the territories a national bundle names): one statement, each
                # key once, the last row of it as one statement a row would leave it.
                table, columns, conflict, key = upsert
                rows = list({row[key]: row for row in rows}.values())
                target = table, columns, " " + conflict
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

    @contextlib.contextmanager
    def copying(self) -> Iterator[None]:
        """A bulk load's block (:mod:`pmae.store.pg_bulk`, by a role that bypasses row-level
        security): the rows of ``INSERT … VALUES`` statements are copied straight into their
        tables (``INSERT OR IGNORE``'s rows made distinct beforehand: the primary key checks
        the rest), and the statements of :meth:`later` and :meth:`later_native` run, from a
        second thread, so that the server inserts one batch while pmae reads the next; any
        other statement waits for those sent before it. Every copy
        is done when the block ends; on the way out by an exception, those not begun are
        dropped (the transaction must then be rolled back)."""
        assert self._copier is None
        copier = self._copier = _Copier(self.raw)
        # The thread sends each batch in some hundreds of chunks, and needs the interpreter
        # back after each: with the default interval it waits up to 5 ms for it each time,
        # while the server waits for the data.
        try:
            with _short_switches():
                yield
                copier.drain()
        finally:
            self._copier = None
            copier.close()

    def create_function(self, name: str, narg: int, func: Any, *,
                        deterministic: bool = False) -> None:
        """Nothing: the store's SQL functions (``pmae_fold``) are in its schema."""

    def close(self) -> None:
        """Close the connection."""
        self.raw.close()


class _Copier:
    """A thread running ``COPY`` statements (and others whose result is not read), one after
    another, on a connection the caller leaves to it meanwhile (:meth:`PgConnection.copying`).
    At most two batches wait: the memory stays that of a few batches."""

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw
        self.jobs: queue.Queue[tuple[str, Any, bool] | None] = queue.Queue(maxsize=6)
        self.error: Exception | None = None
        self.cancelled = False
        self.thread = threading.Thread(target=self._run, name="pmae-copy", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            job = self.jobs.get()
            try:
                if job is None:
                    return
                if self.error is None and not self.cancelled:
                    self._do(*job)
            except Exception as error:  # noqa: BLE001 (raised in the caller, at its next statement)
                self.error = error
            finally:
                self.jobs.task_done()

    def _do(self, statement: str, values: Any, copy: bool) -> None:
        if not copy:
            self.raw.execute(statement, values)
            return
        with self.raw.cursor() as cursor, cursor.copy(statement) as copying:
            for row in values:
                copying.write_row(row)

    def _raise(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            self.cancelled = True  # what follows is not run: the caller rolls back
            raise error

    def put(self, statement: str, values: Any, *, copy: bool) -> None:
        """Run ``statement`` (``COPY`` of the rows ``values`` when ``copy``, else with these
        parameters) once the statements before it are done."""
        self._raise()
        self.jobs.put((statement, values, copy))

    def drain(self) -> None:
        """Wait until every statement sent is done; raise the first error one met."""
        self.jobs.join()
        self._raise()

    def close(self) -> None:
        """Drop the statements not begun, wait for the one running, and end the thread."""
        self.cancelled = True
        self.jobs.put(None)
        self.thread.join()
