"""The store: where the démarche lives between bundles, with the history of every record.

::

    import pmae
    from pmae.store import open_store

    with open_store("pmae.db", create=True) as store:
        result = store.publish("bundle.json")     # validated with the session, one transaction
        print(result.total.summary())             # 12 added, 1 changed, 40 unchanged
        bundle = store.dump(audience="public")    # the bundle `pmae merge` would write
        store.log()                               # every publication
        store.history("rhone-alpes:offre-1")      # every version of one record

**SQLite through the standard library, not SQLAlchemy Core.** The store must stay a file that
needs nothing installed (and opens in Datasette); the PostgreSQL store (issue 12) will differ
from it exactly where SQLAlchemy Core would not help: JSONB and its operators, bulk loading with
``COPY`` (psycopg 3's ``cursor.copy``), row-level security policies and roles, ``tsvector``
instead of FTS5. What the two share is written once as data, in :mod:`pmae.store.schema`
(collections, indexed columns, link and label tables), from which each backend writes its own
statements; the SQL of publication and reading keeps to what both engines accept
(``INSERT … ON CONFLICT``, ``RETURNING``), so a psycopg 3 connection can run it with its own
placeholder style. SQLAlchemy would add a dependency, and its import time to every start of
``pmae``, for a query layer of a dozen statements.

Faults: a file that is not a pmae store, is damaged, or was written by a newer pmae is refused
(:class:`StoreError` and its kinds) and never written; a second writer waits for the busy
timeout then fails with :class:`StoreLockedError`; a publication is one transaction, so an
interrupted one (even SIGKILL) leaves the previous state whole.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from pmae.issues import Issue
from pmae.model import Bundle, Source
from pmae.store import read
from pmae.store.connection import (
    DEFAULT_PATH,
    CorruptStoreError,
    NewerStoreError,
    OutdatedStoreError,
    StoreError,
    StoreLockedError,
    StoreNotFoundError,
    connect,
    store_path,
    transaction,
    translated,
    upgrade,
)
from pmae.store.publish import (
    Changes,
    MergeConflictError,
    PublicationResult,
    _Input,
    prepare,
    publish,
)
from pmae.store.read import LicenceError, Publication, PublishedBundle, Version
from pmae.store.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from pmae.sessions import Session

__all__ = [
    "DEFAULT_PATH",
    "SCHEMA_VERSION",
    "Changes",
    "CorruptStoreError",
    "LicenceError",
    "MergeConflictError",
    "NewerStoreError",
    "OutdatedStoreError",
    "Publication",
    "PublicationResult",
    "PublishedBundle",
    "Store",
    "StoreError",
    "StoreLockedError",
    "StoreNotFoundError",
    "Version",
    "open_store",
    "publish_into",
    "store_path",
    "upgrade",
]

#: Who publishes a dump, unless told otherwise.
STORE_SOURCE = Source(slug="store", name="Store pmae")


class Store:
    """An open store; use :func:`open_store`. Close it (or use it as a context manager)."""

    def __init__(self, path: Path, connection: sqlite3.Connection,
                 session: Session | None) -> None:
        self.path = path
        self._connection = connection
        self._session = session

    def __enter__(self) -> Store:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Store {self.path}>"

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()

    @property
    def session(self) -> Session:
        """The session bundles are validated with (the default one unless given)."""
        from pmae.sessions import session as current_session

        return current_session(self._session)

    def publish(self, *bundles: Bundle | str | os.PathLike[str],
                now: dt.datetime | None = None) -> PublicationResult:
        """Publish bundles (paths or :class:`~pmae.model.Bundle` values) together: validated
        with the session, merged as ``pmae merge`` merges them, and written in one
        transaction over the records of every source they carry.

        :param now: the time recorded in the log (default: now, UTC).
        :raises pmae.InvalidBundleError: a bundle has errors (``issues`` lists every one of
            every bundle); nothing was written.
        :raises MergeConflictError: two bundles hold one id with different content; nothing
            was written.
        :raises StoreLockedError: another process kept the store busy; nothing was written.
        """
        inputs, merged, issues = prepare(bundles, self.session)
        return self._write(inputs, merged, issues, now)

    def _write(self, inputs: list[_Input], merged: Bundle, issues: tuple[Issue, ...],
               now: dt.datetime | None) -> PublicationResult:
        with transaction(self._connection, self.path):
            # Damage found now is refused before a page is written over it.
            problems = [row[0] for row in self._connection.execute("PRAGMA quick_check")]
            if problems != ["ok"]:
                raise CorruptStoreError(
                    f"{self.path}: the store is damaged ({problems[0]}); it was left as it "
                    "is: restore it from a backup, or publish into another file")
            return publish(self._connection, inputs, merged, session=self.session,
                           issues=issues, now=now)

    def dump(self, *, audience: str = "all", source: Source = STORE_SOURCE,
             generated_at: dt.datetime | None = None, licence: str | None = None) -> Bundle:
        """The records of the store as one bundle for ``audience`` (``public``, ``network``,
        ``recipient:<who>``, ``all``): what ``pmae merge`` of the bundles published last for
        each source would give, filtered as :func:`pmae.io.audience.filter_bundle` filters.

        :raises LicenceError: the bundles held have different licences and none is given.
        """
        with translated(self.path):
            # One read transaction: a publication landing meanwhile is not half seen.
            self._connection.execute("BEGIN")
            try:
                return read.dump(self._connection, audience=audience, source=source,
                                 generated_at=generated_at, licence=licence)
            finally:
                self._connection.execute("ROLLBACK")

    def log(self) -> list[Publication]:
        """Every publication, the first first."""
        with translated(self.path):
            return read.log(self._connection)

    def history(self, record_id: str) -> list[Version]:
        """Every version of one record, the first first (empty when it was never published)."""
        with translated(self.path):
            return read.history(self._connection, record_id)

    def record(self, record_id: str) -> tuple[str, str] | None:
        """The collection and the JSON text (as published, byte for byte) of a current
        record, or ``None``."""
        with translated(self.path):
            return read.record(self._connection, record_id)

    def counts(self) -> dict[str, int]:
        """How many records each collection holds."""
        from pmae.model import COLLECTIONS
        from pmae.store.schema import quote

        with translated(self.path):
            return {name: self._connection.execute(
                f"SELECT count(*) FROM {quote(name)}").fetchone()[0] for name in COLLECTIONS}


def open_store(path_or_url: str | os.PathLike[str] | None = None, *, create: bool = False,
               session: Session | None = None, timeout: float = 5.0) -> Store:
    """Open the store at a path or ``sqlite:///`` URL (default: ``pmae.db`` here).

    :param create: make the store if there is no file yet (publishing does; reading never).
    :param session: validate published bundles with this session (default: the process's).
    :param timeout: seconds to wait for another writer before :class:`StoreLockedError`.
    :raises StoreError: no store there, not a store, damaged, newer or older schema.
    """
    path = store_path(path_or_url)
    return Store(path, connect(path, create=create, timeout=timeout), session)



def publish_into(path_or_url: str | os.PathLike[str] | None,
                 *bundles: Bundle | str | os.PathLike[str], session: Session | None = None,
                 timeout: float = 5.0, now: dt.datetime | None = None) -> PublicationResult:
    """Publish ``bundles`` into the store at ``path_or_url``, making it if there is none, as
    ``pmae publish`` does: an existing store that cannot be used is refused before the
    bundles are read, and a new store is made only once they are valid (an invalid bundle
    leaves no file behind). Raises as :meth:`Store.publish` does.
    """
    path = store_path(path_or_url)
    if path.exists():
        with open_store(path, session=session, timeout=timeout) as store:
            return store.publish(*bundles, now=now)
    from pmae.sessions import session as current_session

    inputs, merged, issues = prepare(bundles, current_session(session))
    with open_store(path, create=True, session=session, timeout=timeout) as store:
        return store._write(inputs, merged, issues, now)
