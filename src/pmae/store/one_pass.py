"""The first publication of one JSON Lines bundle into an empty SQLite store, in one pass.

:func:`pmae.store.streaming.publish_scanned` reads a bundle twice: once to validate it, once
to write it. Into a store that holds no record there is nothing to compare with and nothing
to withdraw: every record is added. :func:`write_deferred` then validates and writes in one
pass, inside the write transaction: each record the scan finds valid is written (in batches,
as :func:`~pmae.store.streaming.publish_scanned` writes them, from the value the scan has
structured: the same text), and the log is written at the end. When the scan meets an error
(or a reference found broken at its end) everything written is rolled back and the bundle is
validated whole, which raises :class:`~pmae.io.pipeline.InvalidBundleError` with every issue,
as ``pmae validate`` gives them: nothing was written.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from pmae.io.converter import unstructure
from pmae.io.stream import Progress, ScannedBundle, scan_json_lines
from pmae.model import COLLECTIONS, Record
from pmae.store import names
from pmae.store.backend import Connection
from pmae.store.publish import Changes, PublicationResult, _Input, log_publication, prepare, publish
from pmae.store.streaming import BULK, _cache, _indexes_built_after, _Writer, publish_scanned, scan

if TYPE_CHECKING:
    from pmae.sessions import Session

__all__ = ["removed_unless_published", "write_deferred"]


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

    :param empty: the store holds no record (inside :func:`pmae.store.names.bulk_load`):
        one pass. Otherwise (another writer published since the store was found empty) it is
        scanned now, then written as :func:`~pmae.store.streaming.publish_scanned` writes.
    :raises InvalidBundleError: with every issue; the caller rolls the transaction back.
    """
    if empty:
        assert isinstance(connection, sqlite3.Connection)
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


def _one_pass(connection: sqlite3.Connection, file: str, *, session: Session,
              now: dt.datetime | None, progress: Progress | None) -> PublicationResult:
    # Publications are serialised by the write transaction: the number the log gets at the
    # end is known now, and the versions point to it before it is written (the foreign keys
    # of a bulk load are checked at its end).
    number: int = connection.execute(
        "SELECT coalesce(max(number), 0) + 1 FROM publications").fetchone()[0]
    writer = _Writer(connection, session, number, (), file, "versions")
    # The foreign keys are checked at the end (a bulk load): the labels the rows point to
    # are written then, from the rows' distinct codes.
    writer.labels_after = True

    def accepted(collection: str, record: Record) -> None:
        writer.add(collection, unstructure(record))

    # A bar sized for the two passes (validated, then read again) counts each byte twice.
    counted = None if progress is None else (lambda size: progress(2 * size))
    # How many records each collection receives is known at the end only: every index of the
    # empty tables is built after their rows (a small bundle's rebuild costs little).
    with _cache(connection), _indexes_built_after(connection, dict.fromkeys(COLLECTIONS, BULK)):
        scanned = scan_json_lines(file, context=session.check_context, progress=counted,
                                  accepted=accepted)
        if scanned is None:
            raise _GaveUp
        for collection in COLLECTIONS:
            writer.flush(collection)
    writer.labels.add_stored(COLLECTIONS)  # the indexes are built: each a scan of one
    if not sum(scanned.counts.values()):
        raise _Scanned(scanned)
    changes = {name: Changes(**count) for name, count in writer.counts.items() if count}
    total = sum(changes.values(), Changes())
    item = _Input(bundle=scanned.envelope, file=scanned.file, sha256=scanned.sha256,
                  carried=tuple(scanned.sources), records=sum(scanned.counts.values()))
    logged = log_publication(connection, [item], total, now=now)
    assert logged == number
    return PublicationResult(number=number, sources=item.carried, changes=changes,
                             issues=tuple(scanned.issues))


@contextmanager
def removed_unless_published(path: Path) -> Iterator[None]:
    """Remove the store just made at ``path`` (and SQLite's files beside it) when the block
    fails: a publication into a new store validated while it writes (one pass) leaves no
    file behind when the bundle is invalid, as one validated before the store is made."""
    try:
        yield
    except BaseException:
        if _unpublished(path):
            for tail in ("", "-wal", "-shm", "-journal"):
                with suppress(FileNotFoundError):
                    os.remove(f"{path}{tail}")
        raise


def _unpublished(path: Path) -> bool:
    """Whether the store at ``path`` holds no publication (so nobody else wrote it since)."""
    try:  # read-only: a file that is not there (the store was never made) is not made
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        return names.is_empty(connection) and not connection.execute(
            "SELECT 1 FROM publications LIMIT 1").fetchone()
    except sqlite3.Error:
        return False
    finally:
        connection.close()
