"""Publishing a JSON Lines bundle record by record, in bounded memory, on either backend.

:func:`scan` validates the file with :func:`pmae.io.stream.scan_json_lines` (it keeps the ids
of the records, not the records); :func:`publish_scanned` then reads the records again, one at
a time, and writes them in batches: each batch is compared with the stored rows of its ids
(none to read when the store holds no record of the sources the bundle carries), and written
with its labels, link rows and versions. The result is what :func:`pmae.store.publish.publish`
writes for the same bundle (the same rows, counts, log and history, the same refusal of a
response whose status moves back), in one transaction too.

:func:`prepare_publication` and :func:`write_publication` choose between the two ways for
:class:`pmae.store.Store`: record by record when the bundles are one JSON Lines file that scans
clean (in one pass into an empty SQLite store: :mod:`pmae.store.one_pass`), whole otherwise.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import orjson

from pmae.io.bundles import is_json_lines
from pmae.io.pipeline import InvalidBundleError, _gc_paused
from pmae.io.response_checks import moves_back
from pmae.io.stream import Progress, ScannedBundle, read_json_lines, scan_json_lines
from pmae.issues import Issue
from pmae.jsonpath import json_path
from pmae.model import COLLECTIONS, Bundle
from pmae.store import names
from pmae.store.backend import Connection
from pmae.store.connection import check_foreign_keys, dropped_until_done
from pmae.store.publish import (
    Changes,
    PublicationResult,
    _Input,
    log_publication,
    prepare,
    publish,
    same_as_holder,
)
from pmae.store.rows import Departements, Labels, put_rows, remove_rows
from pmae.store.schema import DEPARTEMENTS, LINKS, link_table, quote

if TYPE_CHECKING:
    from pmae.sessions import Session
    from pmae.store.pg_bulk import Staging

__all__ = ["BATCH", "Prepared", "prepare_publication", "publish_scanned", "scan",
           "streamable", "write_publication"]

#: Records written at a time, per collection, into SQLite: what is held in memory besides
#: the ids.
BATCH = 2000

#: The same on PostgreSQL: each batch of a table is one ``COPY`` through a temporary table,
#: made and dropped each time, so fewer and larger batches.
PG_BATCH = 20000

#: At most this many characters of records' JSON texts in one batch, whatever its number of
#: records: the administrator's bulk load sends a batch's texts to PostgreSQL as one
#: parameter (:class:`pmae.store.pg_bulk.Staging`), and the server closes the connection on
#: a message past 1 GB (a character is at most 4 bytes of UTF-8: 256 MB here). Valid records
#: of 55 kB each (an offer's description may hold 20,000 characters) reach that before
#: :data:`PG_BATCH` records do.
BATCH_TEXT = 64_000_000

#: A collection receiving at least this many records into an empty table has its indexes
#: built after its rows.
BULK = 20000

#: SQLite's page cache while a publication writes (KiB).
CACHE_KIB = 256 * 1024

#: The temporary table of the versions of a publication on PostgreSQL, until it is logged.
PENDING = "pmae_pending_versions"


def streamable(bundles: Sequence[Bundle | str | os.PathLike[str]], session: Session) -> bool:
    """Whether ``bundles`` is one JSON Lines file that can be validated record by record:
    without plugins' checks (they take a whole bundle)."""
    return (len(bundles) == 1 and not isinstance(bundles[0], Bundle)
            and is_json_lines(bundles[0]) and not session.checks)


def scan(bundles: Sequence[Bundle | str | os.PathLike[str]], session: Session, *,
         progress: Progress | None = None) -> ScannedBundle | None:
    """The scanned bundle when ``bundles`` is one JSON Lines file that can be published
    record by record (:func:`streamable`) and is found without error. ``None`` otherwise:
    the bundles are then validated and published whole, which also explains every error."""
    if not streamable(bundles, session):
        return None
    assert not isinstance(bundles[0], Bundle)
    return scan_json_lines(bundles[0], context=session.check_context, progress=progress)


@attrs.define(kw_only=True, frozen=True)
class Prepared:
    """Bundles validated for a publication: one JSON Lines file scanned (``scanned``: its
    records are read again as they are written), or every bundle validated and merged."""

    scanned: ScannedBundle | None = None
    #: One JSON Lines file validated as it is written into an empty store (pmae.store.one_pass).
    deferred: str | None = None
    inputs: list[_Input] = attrs.field(factory=list)
    merged: Bundle | None = None
    issues: tuple[Issue, ...] = ()


def prepare_publication(bundles: Sequence[Bundle | str | os.PathLike[str]], session: Session,
                        *, progress: Progress | None = None,
                        one_pass: bool = False) -> Prepared:
    """Validate ``bundles`` for a publication, record by record when they can be.

    :param one_pass: the store is an empty SQLite store: one JSON Lines file that can be
        scanned is not validated now, but as it is written (``deferred``).

    :raises InvalidBundleError: with every issue, as :func:`pmae.store.publish.prepare`.
    :raises pmae.store.MergeConflictError: two bundles hold one id with different content.
    """
    if one_pass and streamable(bundles, session):
        assert not isinstance(bundles[0], Bundle)
        return Prepared(deferred=os.fspath(bundles[0]))
    scanned = scan(bundles, session, progress=progress)
    if scanned is not None:
        return Prepared(scanned=scanned)
    inputs, merged, issues = prepare(bundles, session)
    return Prepared(inputs=inputs, merged=merged, issues=issues)


def write_publication(connection: Connection, prepared: Prepared, *, session: Session,
                      now: dt.datetime | None = None, progress: Progress | None = None,
                      bulk: bool = False) -> PublicationResult:
    """Write prepared bundles; must run inside a write transaction.

    :param bulk: inside :func:`pmae.store.names.bulk_load` that found an empty store: the
        foreign keys are checked at the end, and the names filled set-wise
        (:func:`pmae.store.names.filled_after`) if the store is still empty (another writer
        may have published between the two).
    """
    empty = False

    def write() -> PublicationResult:
        if prepared.deferred is not None:
            from pmae.store.one_pass import write_deferred  # it builds on this module

            return write_deferred(connection, prepared.deferred, session=session, now=now,
                                  progress=progress, empty=empty)
        if prepared.scanned is not None:
            return publish_scanned(connection, prepared.scanned, session=session, now=now,
                                   progress=progress)
        assert prepared.merged is not None
        return publish(connection, prepared.inputs, prepared.merged, session=session,
                       issues=prepared.issues, now=now)

    if not bulk:
        if prepared.deferred is not None and not isinstance(connection, sqlite3.Connection):
            from pmae.store import pg_bulk  # PostgreSQL: the administrator's first load
            from pmae.store.pg_connection import PgConnection

            assert isinstance(connection, PgConnection)
            empty = pg_bulk.may_bulk_load(connection) and pg_bulk.is_empty(connection)
        return write()
    assert isinstance(connection, sqlite3.Connection)
    if not names.is_empty(connection):
        result = write()
    else:
        empty = True
        connection.execute("SAVEPOINT bulk")
        try:
            with names.filled_after(connection):
                result = write()
        except names.AmbiguousNamesError:
            # Rare (an id held elsewhere referenced as two kinds of record): written again
            # with the triggers, which name it after the first reference written.
            connection.execute("ROLLBACK TO bulk")
            empty = False  # scanned first, then written with the triggers
            result = write()
        connection.execute("RELEASE bulk")
    check_foreign_keys(connection)
    return result


class _Writer:
    """The batches of one publication, collection by collection."""

    def __init__(self, connection: Connection, session: Session, number: int,
                 carried: Sequence[str], file: str, versions: str) -> None:
        self.connection = connection
        self.session = session
        self.number = number
        #: Where versions go: ``versions``, or a temporary table copied into it at the end.
        self.versions = versions
        self.file = file
        self.size = BATCH if isinstance(connection, sqlite3.Connection) else PG_BATCH
        self.labels = Labels(connection, session)
        #: The labels are written at the end (:meth:`Labels.add_stored`): a bulk load's.
        self.labels_after = False
        #: The next rowid of each collection, kept here (every row added): a bulk load's.
        self.rowids: dict[str, int] | None = None
        #: The rows of added records made by the server from their texts (a bulk load's on
        #: PostgreSQL: :class:`pmae.store.pg_bulk.Staging`).
        self.staging: Staging | None = None
        self.departements = Departements(session.territories)
        self.counts: dict[str, Counter[str]] = {name: Counter() for name in COLLECTIONS}
        #: Records read so far, by collection (a record's index in its collection).
        self.seen: Counter[str] = Counter()
        #: Responses whose status moves back from the stored version.
        self.backwards: list[Issue] = []
        marks = ", ".join("?" * len(carried))
        # A collection holding no record of these sources has nothing to compare with.
        self.stored = {name for name in COLLECTIONS if carried and connection.execute(
            f"SELECT 1 FROM {quote(name)} WHERE source IN ({marks}) LIMIT 1",
            carried).fetchone()}
        #: (record, JSON text, None): rows to insert, until compared with the stored ones.
        self.batches: dict[str, list[tuple[dict[str, Any], str, int | None]]] = {
            name: [] for name in COLLECTIONS}
        #: The characters of each batch's texts (:data:`BATCH_TEXT`).
        self.characters: Counter[str] = Counter()

    def add(self, collection: str, record: dict[str, Any]) -> None:
        batch = self.batches[collection]
        self.seen[collection] += 1
        text = orjson.dumps(record).decode()
        batch.append((record, text, None))
        self.characters[collection] += len(text)
        if len(batch) >= self.size or self.characters[collection] >= BATCH_TEXT:
            self.flush(collection)

    def flush(self, collection: str) -> None:
        batch = self.batches[collection]
        if not batch:
            return
        self.batches[collection] = []
        self.characters[collection] = 0
        counts = self.counts[collection]
        if collection not in self.stored:  # nothing to compare with: every record is added
            counts["added"] += len(batch)
            self._write(collection, batch)
            return
        ids = [record["id"] for record, _, _ in batch]
        stored: dict[str, tuple[int, str]] = {row[0]: (row[1], row[2]) for row in
                                              self.connection.execute(
            f"SELECT id, rowid, record FROM {quote(collection)} "
            f"WHERE id IN ({', '.join('?' * len(ids))})", ids)}
        rows: list[tuple[dict[str, Any], str, int | None]] = []
        changes: list[str] = []
        # The index of each record in its collection, for the issues.
        for index, (record, text, _) in enumerate(batch, self.seen[collection] - len(batch)):
            old = stored.get(record["id"])
            if old is not None and old[1] == text:
                counts["unchanged"] += 1
            elif old is not None:
                counts["changed"] += 1
                rows.append((record, text, old[0]))
                changes.append("changed")
                if collection == "responses":
                    self._status(record, old[1], index)
            else:
                counts["added"] += 1
                rows.append((record, text, None))
                changes.append("added")
        self._write(collection, rows, changes if "changed" in changes else None)

    def _status(self, record: dict[str, Any], stored: str, index: int) -> None:
        """Note the response ``record`` when its status moves back from the stored version,
        as :func:`pmae.io.response_checks.status_regressions` does for a whole bundle."""
        before = orjson.loads(stored).get("status", "envisagee")
        after = record.get("status", "envisagee")
        if moves_back(before, after):
            self.backwards.append(Issue(
                code="status-backwards", path=json_path(("responses", index, "status")),
                file=self.file,
                message=f"response '{record['id']}' goes from '{before}' back to '{after}'"))

    def _write(self, collection: str, rows: Sequence[tuple[dict[str, Any], str, int | None]],
               changes: Sequence[str] | None = None) -> None:
        """Write ``rows`` (record, JSON text, the stored row's rowid or ``None``) and their
        versions; ``changes``: each row's change, ``None`` when every row is added."""
        if not rows:
            return
        if changes is not None:
            remove_rows(self.connection, collection,
                        [rowid for _, _, rowid in rows if rowid is not None], keep=True)
        if changes is None and self.staging is not None and self.rowids is not None:
            # Rows, versions and all made by the server from the texts (a bulk load's).
            self.staging.insert(collection, rows, self.rowids[collection])
            self.rowids[collection] += len(rows)
            return
        first = put_rows(self.connection, collection, rows,
                         labels=None if self.labels_after else self.labels,
                         departements=self.departements,
                         first=None if self.rowids is None else self.rowids[collection])
        if self.rowids is not None:
            self.rowids[collection] = first + len(rows)
        if changes is None:
            # The rows just inserted hold the texts already: their versions are copied from
            # them, in the same order, rather than sent again (on PostgreSQL during a bulk
            # load, by the server while the next batch is read: PgConnection.later).
            later = getattr(self.connection, "later", self.connection.execute)
            later(
                f"INSERT INTO {self.versions} (id, collection, publication, change, record) "
                f"SELECT id, ?, ?, 'added', record FROM {quote(collection)} WHERE rowid >= ? "
                "ORDER BY rowid", (collection, self.number, first))
            return
        self.connection.executemany(
            f"INSERT INTO {self.versions} (id, collection, publication, change, record) "
            "VALUES (?, ?, ?, ?, ?)",
            [(record["id"], collection, self.number, change, text)
             for (record, text, _), change in zip(rows, changes, strict=True)])

    def withdraw(self, kinds: dict[str, str], carried: Sequence[str]) -> None:
        """Withdraw the stored records of ``carried`` sources the bundle does not hold (or
        holds in another collection), before any write: a record that moved leaves first."""
        marks = ", ".join("?" * len(carried))
        for collection in sorted(self.stored, key=list(COLLECTIONS).index):
            gone = [(rowid, record_id) for rowid, record_id in self.connection.execute(
                f"SELECT rowid, id FROM {quote(collection)} WHERE source IN ({marks}) "
                "ORDER BY rowid", carried) if kinds.get(record_id) != collection]
            if not gone:
                continue
            self.counts[collection]["withdrawn"] += len(gone)
            remove_rows(self.connection, collection, [rowid for rowid, _ in gone])
            self.connection.executemany(
                f"INSERT INTO {self.versions} (id, collection, publication, change, record) "
                "VALUES (?, ?, ?, 'withdrawn', NULL)",
                [(record_id, collection, self.number) for _, record_id in gone])


@contextlib.contextmanager
def _indexes_built_after(connection: Connection, counts: dict[str, int]) -> Iterator[None]:
    """On SQLite, drop the secondary indexes of the empty tables about to receive many rows,
    and build them again at the end: one sort is much faster than a million inserts into a
    B-tree each (the first publication of a national bundle). Inside the transaction, so never
    seen. (On PostgreSQL a network's role owns no index: they stay.)"""
    if not isinstance(connection, sqlite3.Connection):
        yield
        return
    tables = []
    for collection, count in counts.items():
        if count < BULK or connection.execute(
                f"SELECT 1 FROM {quote(collection)} LIMIT 1").fetchone():
            continue
        tables.append(collection)
        tables += [link_table(collection, field) for owner, field in LINKS if owner == collection]
        if collection in DEPARTEMENTS:
            tables.append(link_table(collection, "departements"))
    if tables and not connection.execute("SELECT 1 FROM versions LIMIT 1").fetchone():
        tables.append("versions")
    with dropped_until_done(connection, "index", "tbl_name", tables):
        yield


@contextlib.contextmanager
def _cache(connection: Connection) -> Iterator[None]:
    """A larger page cache on SQLite while the publication writes: each batch writes into
    some twenty tables and indexes, and with SQLite's default 2 MB their pages are read again
    batch after batch. (PostgreSQL's buffers are the server's.)"""
    if not isinstance(connection, sqlite3.Connection):
        yield
        return
    (cache,) = connection.execute("PRAGMA cache_size").fetchone()
    connection.execute(f"PRAGMA cache_size = {-CACHE_KIB}")
    try:
        yield
    finally:
        connection.execute(f"PRAGMA cache_size = {int(cache)}")


def publish_scanned(connection: Connection, scanned: ScannedBundle, *,
                    session: Session, now: dt.datetime | None = None,
                    progress: Progress | None = None) -> PublicationResult:
    """Write the records of a scanned bundle over those of the sources it carries, reading
    them from its file; what :func:`pmae.store.publish.publish` does for the whole bundle.

    Must run inside a write transaction. :raises pmae.io.stream.FileChangedError: the file
    changed since it was scanned; :raises InvalidBundleError: a response's status moves back
    from its stored version (the transaction must then be rolled back).
    """
    carried = scanned.sources
    item = _Input(bundle=scanned.envelope, file=scanned.file, sha256=scanned.sha256,
                  carried=tuple(carried), records=sum(scanned.counts.values()))
    # On SQLite the log comes first (the versions point to it) and gets its counts at the
    # end. A network's role on PostgreSQL may only add to the log, not change it: there the
    # versions wait in a temporary table, and the log and they are written at the end. A
    # publication that changes nothing is rolled back to here.
    connection.execute("SAVEPOINT streamed")
    pending = not isinstance(connection, sqlite3.Connection)
    number = 0
    if pending:
        connection.execute(
            f"CREATE TEMPORARY TABLE {PENDING} (seq BIGSERIAL PRIMARY KEY, id TEXT, "
            "collection TEXT, publication BIGINT, change TEXT, record TEXT) ON COMMIT DROP")
    else:
        number = log_publication(connection, [item], Changes(), now=now)
    writer = _Writer(connection, session, number, carried, scanned.file,
                     PENDING if pending else "versions")
    with _cache(connection):
        writer.withdraw(scanned.kinds, carried)
        with _indexes_built_after(connection, scanned.counts), _gc_paused():
            # The batches hold no cycle and are freed as they are written: the collector
            # would only walk the session's objects again and again.
            for collection, record in read_json_lines(scanned, progress=progress):
                writer.add(collection, record)
            for collection in COLLECTIONS:
                writer.flush(collection)
    if writer.backwards:
        raise InvalidBundleError([*scanned.issues, *writer.backwards])
    changes = {name: Changes(**count) for name, count in writer.counts.items() if count}
    total = sum(changes.values(), Changes())
    if not (total.added or total.changed or total.withdrawn):
        connection.execute("ROLLBACK TO streamed")
        holder = same_as_holder(connection, [item])
        if holder is not None:
            connection.execute("RELEASE streamed")
            return PublicationResult(number=None, holder=holder, sources=tuple(carried),
                                     changes=changes, issues=tuple(scanned.issues))
        number = log_publication(connection, [item], total, now=now)
        Labels(connection, session)  # the vocabularies' labels, refreshed as publish does
    elif pending:
        number = log_publication(connection, [item], total, now=now)
        connection.execute(
            "INSERT INTO versions (id, collection, publication, change, record) "
            f"SELECT id, collection, ?, change, record FROM {PENDING} ORDER BY seq", (number,))
    else:
        connection.execute(
            "UPDATE publications SET added = ?, changed = ?, unchanged = ?, withdrawn = ? "
            "WHERE number = ?",
            (total.added, total.changed, total.unchanged, total.withdrawn, number))
    connection.execute("RELEASE streamed")
    return PublicationResult(number=number, sources=tuple(carried), changes=changes,
                             issues=tuple(scanned.issues))
