"""The first publication of one JSON Lines bundle into an empty store, in one pass.

:func:`pmae.store.streaming.publish_scanned` reads a bundle twice: once to validate it, once
to write it. Into a store that holds no record there is nothing to compare with and nothing
to withdraw: every record is added. :func:`write_deferred` then validates and writes in one
pass, inside the write transaction: each record the scan finds valid is written (in batches,
as :func:`~pmae.store.streaming.publish_scanned` writes them, from the value the scan has
structured: the same text), and the log is written at the end. When the scan meets an error
(or a reference found broken at its end) everything written is rolled back and the bundle is
validated whole, which raises :class:`~pmae.io.pipeline.InvalidBundleError` with every issue,
as ``pmae validate`` gives them: nothing was written. On PostgreSQL this is the
administrator's bulk load (:mod:`pmae.store.pg_bulk`).

A new SQLite store is made beside the path asked for under a temporary name (:func:`made_beside`)
and put at that path once published (:func:`put_in_place`): nothing is left there when the
bundle is invalid, and nothing another pmae made or opened there is ever removed.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from pmae.i18n import gettext as _
from pmae.io.atomic import _prefix, _umask, clean_stale_temporaries
from pmae.io.converter import unstructure
from pmae.io.stream import FileChangedError, Progress, ScannedBundle, _changed, scan_json_lines
from pmae.model import COLLECTIONS, Record
from pmae.store import pg_bulk
from pmae.store.backend import Connection
from pmae.store.connection import StoreError, cannot_make
from pmae.store.pg_connection import PgConnection
from pmae.store.publish import (
    Changes,
    PublicationResult,
    _Input,
    begin_log,
    log_publication,
    prepare,
    publish,
)
from pmae.store.schema import quote
from pmae.store.streaming import BULK, _cache, _indexes_built_after, _Writer, publish_scanned, scan

if TYPE_CHECKING:
    from pmae.sessions import Session

__all__ = ["closed_whole", "made_beside", "put_in_place", "write_deferred"]


class _GaveUp(Exception):
    """The scan gave up: the bundle must be validated whole (to say what is wrong)."""


class _Scanned(Exception):
    """The scan found no error but the publication is not one of added records only (a
    bundle without records may change nothing): written again by the ordinary way."""

    def __init__(self, scanned: ScannedBundle) -> None:
        super().__init__()
        self.scanned = scanned


def write_deferred(connection: Connection, file: str, *, session: Session,
                   now: dt.datetime | None, progress: Progress | None,
                   empty: bool) -> PublicationResult:
    """Publish the JSON Lines bundle ``file``, not yet validated; inside a write transaction.

    :param empty: the store holds no record (inside :func:`pmae.store.names.bulk_load` on
        SQLite; on PostgreSQL, and the role may load it in bulk: :mod:`pmae.store.pg_bulk`):
        one pass. Otherwise (another writer published since the store was found empty) it is
        scanned now, then written as :func:`~pmae.store.streaming.publish_scanned` writes.
    :raises InvalidBundleError: with every issue; the caller rolls the transaction back.
    """
    if empty:
        connection.execute("SAVEPOINT one_pass")
        try:
            result = _one_pass(connection, file, session=session, now=now, progress=progress)
        except _Scanned as again:
            connection.execute("ROLLBACK TO one_pass")
            connection.execute("RELEASE one_pass")
            return publish_scanned(connection, again.scanned, session=session, now=now)
        except _GaveUp:
            connection.execute("ROLLBACK TO one_pass")
            connection.execute("RELEASE one_pass")
            return _whole(connection, file, session=session, now=now)
        connection.execute("RELEASE one_pass")
        return result
    scanned = scan([file], session, progress=progress)
    if scanned is None:
        return _whole(connection, file, session=session, now=now)
    return publish_scanned(connection, scanned, session=session, now=now, progress=progress)


def _whole(connection: Connection, file: str, *, session: Session,
           now: dt.datetime | None) -> PublicationResult:
    """Validate and publish ``file`` whole (it raises with every issue when invalid)."""
    inputs, merged, issues = prepare([file], session)
    return publish(connection, inputs, merged, session=session, issues=issues, now=now)


def _one_pass(connection: Connection, file: str, *, session: Session,
              now: dt.datetime | None, progress: Progress | None) -> PublicationResult:
    # Publications are serialised by the write transaction (PostgreSQL's advisory lock): the
    # number the log gets at the end is known now. On SQLite the versions point to it before
    # it is written (the foreign keys of a bulk load are checked at its end); on PostgreSQL
    # (the administrator's bulk load, pmae.store.pg_bulk), whose trigger checks each
    # statement of versions, the publication is logged first and gets its counts and bundle
    # at the end.
    pg = not isinstance(connection, sqlite3.Connection)
    number: int = (begin_log(connection, now=now) if pg else connection.execute(
        "SELECT coalesce(max(number), 0) + 1 FROM publications").fetchone()[0])
    read = _identity(file)
    writer = _Writer(connection, session, number, (), file, "versions")
    if pg:
        # Each batch's rows made by the server from the records' texts; the territories
        # they name gathered as they are sent, labelled at the end: no other statement
        # between the batches.
        assert isinstance(connection, PgConnection)
        writer.staging = pg_bulk.Staging(connection, writer.departements, writer.labels,
                                         versions=writer.versions, publication=number)
    else:
        # The foreign keys are checked at the end (a bulk load): the labels the rows point
        # to are written then, from the rows' distinct codes.
        writer.labels_after = True

    current: list[str] = []  # the collection the last record was of

    def accepted(collection: str, record: Record) -> None:
        if current and collection != current[0]:
            moved(current[0])
        current[:] = [collection]
        writer.add(collection, unstructure(record))

    def moved(collection: str) -> None:
        """A bundle written collection by collection has given the last record of
        ``collection``, likely: on PostgreSQL its tables' indexes are made now, and the
        tables analysed, by the server while pmae reads on (more records of it would be
        indexed as they are written)."""
        tables = pg_bulk.collection_tables(collection)
        if indexes is None or indexes.analysed.issuperset(tables):
            return
        assert isinstance(connection, PgConnection)
        writer.flush(collection)
        indexes.build(tables, connection.later)

    # A bar sized for the two passes (validated, then read again) counts each byte twice.
    counted = None if progress is None else (lambda size: progress(2 * size))
    # How many records each collection receives is known at the end only: every index of the
    # empty tables is built after their rows (a small bundle's rebuild costs little).
    with _cache(connection), _built_after(connection) as indexes:
        with _copying(connection, writer):
            scanned = scan_json_lines(file, context=session.check_context, progress=counted,
                                      accepted=accepted)
            if scanned is None:
                raise _GaveUp
            for collection in COLLECTIONS:
                writer.flush(collection)
        if not sum(scanned.counts.values()):
            raise _Scanned(scanned)
        changes = {name: Changes(**count) for name, count in writer.counts.items() if count}
        total = sum(changes.values(), Changes())
        item = _Input(bundle=scanned.envelope, file=scanned.file, sha256=scanned.sha256,
                      carried=tuple(scanned.sources), records=sum(scanned.counts.values()))
        logged = log_publication(connection, [item], total, now=now,
                                 number=number if pg else None)
        assert logged == number
    if pg:
        writer.labels.write_gathered()
    else:
        writer.labels.add_stored(COLLECTIONS)  # the indexes are built: each a scan of one
    # A file still being written whose reader caught up with the writer at the end of a line
    # reads as a valid, shorter bundle: two passes find it changed on the second read. Once
    # read, the file must still be the one read (checked last: the commit follows).
    if read is None or _identity(file) != read:
        raise FileChangedError(_changed(file))
    return PublicationResult(number=number, sources=item.carried, changes=changes,
                             issues=tuple(scanned.issues))


@contextmanager
def _built_after(connection: Connection) -> Iterator[pg_bulk.Indexes | None]:
    """The indexes of the empty tables built after their rows (:mod:`pmae.store.pg_bulk` on
    PostgreSQL, whose indexes are given, and its triggers off meanwhile)."""
    if isinstance(connection, sqlite3.Connection):
        with _indexes_built_after(connection, dict.fromkeys(COLLECTIONS, BULK)):
            yield None
        return
    assert isinstance(connection, PgConnection)
    # Dropping an index locks its table until the commit: a reader of a store that exists
    # already would wait for the whole load (and fail after its lock timeout), where it read
    # the empty store before. Only the tables made in this transaction, which nobody else
    # sees, have their indexes made after their rows.
    with pg_bulk.indexes_built_after(connection, pg_bulk.bulk_tables(),
                                     drop=connection.made_now) as indexes, \
            pg_bulk.triggers_off(connection):
        yield indexes


@contextmanager
def _copying(connection: Connection, writer: _Writer) -> Iterator[None]:
    """On PostgreSQL, the batches written by a second thread while the bundle is read
    (:meth:`pmae.store.pg_connection.PgConnection.copying`; their rows made by the server,
    :class:`pmae.store.pg_bulk.Staging`), numbered here (a query of the next rowid would
    wait for the statements sent before it)."""
    if isinstance(connection, sqlite3.Connection):
        yield
        return
    assert isinstance(connection, PgConnection)
    writer.rowids = {collection: connection.execute(
        f"SELECT coalesce(max(rowid), 0) + 1 FROM {quote(collection)}").fetchone()[0]
        for collection in COLLECTIONS}
    with connection.copying():
        yield


def _identity(file: str) -> tuple[int, int, int, int] | None:
    """What changes when a file is written or replaced (``None``: it cannot be read)."""
    try:
        found = os.stat(file)
    except OSError:
        return None
    return found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns


@contextmanager
def made_beside(where: Path) -> Iterator[Path]:
    """An empty file beside ``where``, under a temporary name, for a new store to be made and
    published into before it is put at ``where`` (:func:`put_in_place`); removed at the end,
    whatever happens, with SQLite's files beside it.

    A first publication validated as it is written must leave nothing at ``where`` when the
    bundle is invalid, and must never remove a store another pmae (or Datasette) may have
    opened meanwhile: removing it would take with it what the other then publishes into it
    (on POSIX it writes into files no longer there, and is told it published). Nobody else
    knows this name, so nobody else has the file open. It is named as :mod:`pmae.io.atomic`
    names its temporary files (``.<name>.pmae-<pid>.<random>.tmp``): those a killed run
    left are removed by the next publication beside the same path.
    """
    clean_stale_temporaries(where)
    try:
        handle, name = tempfile.mkstemp(prefix=_prefix(where), suffix=".tmp",
                                        dir=where.parent)
    except OSError as error:
        raise cannot_make(where, error) from None
    os.close(handle)
    made = Path(name)
    try:
        # The permissions SQLite gives a file it makes (0644, less the umask), not 0600.
        os.chmod(made, 0o644 & ~_umask())
        yield made
    finally:
        for tail in ("", "-wal", "-shm", "-journal"):
            with suppress(FileNotFoundError):
                os.remove(f"{made}{tail}")


def closed_whole(connection: sqlite3.Connection, made: Path, where: Path) -> None:
    """Close the last connection to the store ``made`` (for ``where``): SQLite writes what
    its log holds into the file and removes the log (a first load is written with a rollback
    journal: nothing is left in it). The file alone must then be the store: checked."""
    connection.close()
    if any(path.exists() and path.stat().st_size
           for path in (Path(f"{made}-wal"), Path(f"{made}-journal"))):
        raise StoreError(_("{path}: the store cannot be written ({reason})").format(
            path=where, reason="its journal was left beside it"))


def put_in_place(made: Path, where: Path) -> None:
    """Give the closed store ``made`` the name ``where`` as well (a hard link), never over
    another file: a rename would replace a store another pmae made at ``where`` meanwhile,
    a link fails instead (:class:`FileExistsError`; :class:`OSError` on a file system
    without hard links). The folder is synced so that the name survives a power cut."""
    os.link(made, where)
    with suppress(OSError):  # not every system opens a folder (Windows)
        folder = os.open(where.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
