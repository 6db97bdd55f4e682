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
needs nothing installed (and opens in Datasette); the PostgreSQL store
(:mod:`pmae.store.postgres`, a ``postgresql://`` URL) differs from it exactly where SQLAlchemy
Core would not help: JSONB and its operators, bulk loading with ``COPY`` (psycopg 3's
``cursor.copy``), row-level security policies and roles, ``tsvector`` instead of FTS5. What the
two share is written once as data, in :mod:`pmae.store.schema` (collections, indexed columns,
link and label tables), from which each backend writes its own statements; the SQL of
publication and reading keeps to what both engines accept (``INSERT … ON CONFLICT``,
``RETURNING``), and the PostgreSQL connection translates the rest (:mod:`pmae.store.pg_sql`:
placeholders, ``json_each``, FTS5). The modules take a :class:`pmae.store.backend.Connection`;
:class:`Store` keeps what differs in three methods (``_writing``, ``_snapshot``, ``_errors``)
that the PostgreSQL store overrides. SQLAlchemy would add a dependency, and its import time to
every start of ``pmae``, for a query layer of a dozen statements.

Faults: a file that is not a pmae store, is damaged, or was written by a newer pmae is refused
(:class:`StoreError` and its kinds) and never written; a second writer waits for the busy
timeout then fails with :class:`StoreLockedError`; a publication is one transaction, so an
interrupted one (even SIGKILL) leaves the previous state whole.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from pmae.i18n import gettext as _
from pmae.io.stream import Progress
from pmae.model import Actor, Association, Bundle, Need, Offer, Source
from pmae.store import light, names, one_pass, query, read, streaming
from pmae.store.backend import Connection, is_postgres_url, upgrade
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
    use_wal,
)
from pmae.store.listing import Filter, ListingError, filter_values
from pmae.store.publish import (
    Changes,
    MergeConflictError,
    PublicationResult,
)
from pmae.store.read import LicenceError, Publication, PublishedBundle, Version
from pmae.store.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from pmae.sessions import Session
    from pmae.territories import Territories

__all__ = [
    "DEFAULT_PATH",
    "SCHEMA_VERSION",
    "Changes",
    "CorruptStoreError",
    "Filter",
    "LicenceError",
    "ListingError",
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

    #: The store's file (SQLite); a PostgreSQL store has its ``url`` instead.
    path: Path

    def __init__(self, path: Path, connection: Connection, session: Session | None) -> None:
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
    def label(self) -> str:
        """A name for files made from the store: its file's stem (the database's name on
        PostgreSQL)."""
        return self.path.stem

    @property
    def session(self) -> Session:
        """The session bundles are validated with (the default one unless given)."""
        from pmae.sessions import session as current_session

        return current_session(self._session)

    def publish(self, *bundles: Bundle | str | os.PathLike[str],
                now: dt.datetime | None = None,
                progress: Progress | None = None) -> PublicationResult:
        """Publish bundles (paths or :class:`~pmae.model.Bundle` values) together: validated
        with the session, merged as ``pmae merge`` merges them, and written in one
        transaction over the records of every source they carry.

        :param now: the time recorded in the log (default: now, UTC).
        :param progress: called with the bytes of the file read, as they are, when one JSON
            Lines bundle is published record by record (see :mod:`pmae.store.streaming`).
        :raises pmae.InvalidBundleError: a bundle has errors (``issues`` lists every one of
            every bundle); nothing was written.
        :raises MergeConflictError: two bundles hold one id with different content; nothing
            was written.
        :raises StoreLockedError: another process kept the store busy; nothing was written.
        """
        with self._errors():  # an empty store is loaded in one pass (store.one_pass)
            empty = self._loads_in_one_pass()
        return self._write(streaming.prepare_publication(bundles, self.session, progress=progress,
                                                         one_pass=empty), now, progress)

    def _loads_in_one_pass(self) -> bool:
        """Whether a bundle is validated as it is written (:mod:`pmae.store.one_pass`): the
        store holds no record."""
        return isinstance(self._connection, sqlite3.Connection) and names.is_empty(
            self._connection)

    def _write(self, prepared: streaming.Prepared, now: dt.datetime | None,
               progress: Progress | None = None) -> PublicationResult:
        # The first publication into an SQLite store is a bulk load, set up before the
        # transaction begins (see pmae.store.names.bulk_load).
        loading = (names.bulk_load(self._connection, self.path)
                   if isinstance(self._connection, sqlite3.Connection)
                   else contextlib.nullcontext(False))
        with loading as bulk, self._writing() as connection:
            return streaming.write_publication(connection, prepared, session=self.session,
                                               now=now, progress=progress, bulk=bulk)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Connection]:
        """One write transaction (see :func:`pmae.store.connection.transaction`)."""
        assert isinstance(self._connection, sqlite3.Connection)  # PgStore has its own
        with transaction(self._connection, self.path):
            # Damage found now is refused before a page is written over it.
            problems = [row[0] for row in self._connection.execute("PRAGMA quick_check")]
            if problems != ["ok"]:
                raise CorruptStoreError(_(
                    "{path}: the store is damaged ({problem}); it was left as it is: restore "
                    "it from a backup, or publish into another file").format(
                        path=self.path, problem=problems[0]))
            yield self._connection

    def _errors(self) -> contextlib.AbstractContextManager[None]:
        """The backend's errors as :class:`StoreError` naming the store."""
        return translated(self.path)

    def dump(self, *, audience: str = "all", source: Source = STORE_SOURCE,
             generated_at: dt.datetime | None = None, licence: str | None = None,
             progress: Progress | None = None) -> Bundle:
        """The records of the store as one bundle for ``audience`` (``public``, ``network``,
        ``recipient:<who>``, ``all``): what ``pmae merge`` of the bundles published last for
        each source would give, filtered as :func:`pmae.io.audience.filter_bundle` filters.

        :param progress: called with the number of records read, as they are.
        :raises LicenceError: the bundles held have different licences and none is given.
        """
        with self._snapshot() as connection:
            return read.dump(connection, audience=audience, source=source,
                             generated_at=generated_at, licence=licence, progress=progress)

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[Connection]:
        """One read transaction: a publication landing meanwhile is not half seen."""
        with self._errors():
            self._connection.execute("BEGIN")
            try:
                yield self._connection
            finally:
                self._connection.execute("ROLLBACK")

    @property
    def generated_at(self) -> dt.datetime | None:
        """The date of the store's data: the latest ``generated_at`` of the bundles it holds
        (``None`` before any publication); what is read from it carries it as its own."""
        with self._errors():
            return query.store_time(self._connection)

    def bundle(self, *, collections: Iterable[str] | None = None,
               progress: Progress | None = None) -> Bundle:
        """Every record of the store, as analyses read it: the bundle :meth:`dump` gives for
        ``all`` (commands filter for their audience themselves), not validated again (its
        records were at publication). When the published bundles' licences differ, the
        bundle's licence names them all.

        :param collections: read only these (the others are left empty).
        :param progress: called with the number of records read, as they are.
        """
        with self._snapshot() as connection:
            licences = read.licences_of(connection)
            return read.dump(connection, source=STORE_SOURCE, collections=collections,
                             licence=", ".join(licences) if len(licences) > 1 else None,
                             progress=progress)

    def orientation_bundle(self, *, association: str | None = None, need: str | None = None,
                           commune: str | None = None, theme: str | None = None) -> Bundle:
        """What orienting one association, one need, or a theme and a commune reads (see
        :mod:`pmae.store.query`): an :class:`~pmae.analysis.offer_index.OfferIndex` built on it
        ranks as one built on :meth:`bundle`, and it reads a few hundred records, not the
        store."""
        with self._snapshot() as connection:
            found = query.orientation_records(
                connection, self.session.territories, association=association, need=need,
                commune=commune, theme=theme)
            return query.as_bundle(found, source=STORE_SOURCE,
                                   generated_at=self._date(connection))

    def light_bundle(self, collections: Iterable[str] = light.LIGHT_COLLECTIONS, *,
                     territories: Territories | None = None) -> light.LightBundle:
        """The light rows of ``collections`` (actors, offers, needs, or ``need_counts``, the
        needs counted per territory, theme and stage: with ``territories``, a département's
        communes together, see :func:`pmae.store.light.need_counts`): what coverage and the
        shared diagnosis read of each record, read column by column (see
        :mod:`pmae.store.light`), as the connection's role may read them."""
        with self._snapshot() as connection:
            return light.read(connection, collections, generated_at=self._date(connection),
                              territories=territories)

    def shareable_need_columns(self) -> dict[str, Sequence[Any]]:
        """The needs the shared diagnosis counts (all but the private ones), one sequence per
        field it reads (see :mod:`pmae.store.need_columns`), as the connection's role may
        read them."""
        from pmae.store.need_columns import shareable_need_columns

        with self._snapshot() as connection:
            return shareable_need_columns(connection)

    def _date(self, connection: Connection) -> dt.datetime:
        return query.store_time(connection) or dt.datetime.now(dt.UTC).replace(microsecond=0)

    def _listing(self, collection: str, audience: str, limit: int | None,
                 session: Session | None, filters: dict[str, Filter]) -> Bundle:
        from pmae.store.listing import listing

        territories = (session or self.session).territories
        with self._snapshot() as connection:
            return listing(connection, territories, collection,
                           audience=audience, limit=limit, source=STORE_SOURCE,
                           generated_at=self._date(connection),
                           **{name: filter_values(value) for name, value in filters.items()})

    def offers(self, *, theme: Filter = None, stage: Filter = None, territory: Filter = None,
               type: Filter = None, text: Filter = None, date: dt.date | str | None = None,
               audience: str = "all", limit: int | None = None,
               session: Session | None = None) -> tuple[Offer, ...]:
        """The offers passing every filter (see :mod:`pmae.store.listing`): of a theme, at a
        stage, **for** a territory (its own, or one containing it), of an actor type, whose
        title or description has the words of ``text``, in force on ``date`` (an ISO date
        or a date). Each filter takes one value or several (any of them); ``audience``
        filters as ``pmae dump --audience`` does; ``session`` gives the territories (the
        store's session by default)."""
        return self._listing("offers", audience, limit, session, dict(
            theme=theme, stage=stage, territory=territory, type=type, text=text,
            date=None if date is None else str(date))).offers

    def actors(self, *, theme: Filter = None, stage: Filter = None, territory: Filter = None,
               type: Filter = None, text: Filter = None, audience: str = "all",
               limit: int | None = None, session: Session | None = None) -> tuple[Actor, ...]:
        """The actors passing every filter: with an offer of the theme (at the stage), acting
        **for** a territory (its own, or one containing it), of a type, whose name or
        description has the words of ``text``."""
        return self._listing("actors", audience, limit, session, dict(
            theme=theme, stage=stage, territory=territory, type=type, text=text)).actors

    def associations(self, *, theme: Filter = None, stage: Filter = None,
                     territory: Filter = None, text: Filter = None, audience: str = "all",
                     limit: int | None = None, session: Session | None = None
                     ) -> tuple[Association, ...]:
        """The associations passing every filter: with a need of the theme (at the stage),
        whose commune lies **in** a territory, whose name holds ``text`` (accents and case
        folded)."""
        return self._listing("associations", audience, limit, session, dict(
            theme=theme, stage=stage, territory=territory, text=text)).associations

    def needs(self, *, theme: Filter = None, stage: Filter = None, territory: Filter = None,
              association: Filter = None, status: Filter = None, audience: str = "all",
              limit: int | None = None, session: Session | None = None) -> tuple[Need, ...]:
        """The needs passing every filter: of a theme, at a stage, located **in** a territory
        (their own territory, else their association's commune), of an association, of a
        status."""
        return self._listing("needs", audience, limit, session, dict(
            theme=theme, stage=stage, territory=territory, association=association,
            status=status)).needs

    def log(self) -> list[Publication]:
        """Every publication, the first first."""
        with self._errors():
            return read.log(self._connection)

    def history(self, record_id: str) -> list[Version]:
        """Every version of one record, the first first (empty when it was never published)."""
        with self._errors():
            return read.history(self._connection, record_id)

    def record(self, record_id: str) -> tuple[str, str] | None:
        """The collection and the JSON text (as published, byte for byte) of a current
        record, or ``None``."""
        with self._errors():
            return read.record(self._connection, record_id)

    def counts(self) -> dict[str, int]:
        """How many records each collection holds."""
        with self._errors():
            return read.counts(self._connection)


def open_store(path_or_url: str | os.PathLike[str] | None = None, *, create: bool = False,
               session: Session | None = None, timeout: float = 5.0) -> Store:
    """Open the store at a path, an ``sqlite:///`` URL (default: ``pmae.db`` here) or a
    ``postgresql://`` URL (``pmae[postgres]``; see :mod:`pmae.store.postgres`).

    :param create: make the store if there is no file yet (publishing does; reading never).
    :param session: validate published bundles with this session (default: the process's).
    :param timeout: seconds to wait for another writer before :class:`StoreLockedError`.
    :raises StoreError: no store there, not a store, damaged, newer or older schema.
    """
    if is_postgres_url(path_or_url):
        from pmae.store.postgres import open_postgres

        return open_postgres(str(path_or_url), create=create, session=session, timeout=timeout)
    path = store_path(path_or_url)
    return Store(path, connect(path, create=create, timeout=timeout), session)



def publish_into(path_or_url: str | os.PathLike[str] | None,
                 *bundles: Bundle | str | os.PathLike[str], session: Session | None = None,
                 timeout: float = 5.0, now: dt.datetime | None = None,
                 progress: Progress | None = None) -> PublicationResult:
    """Publish ``bundles`` into the store at ``path_or_url``, making it if there is none, as
    ``pmae publish`` does: an existing store that cannot be used is refused before the
    bundles are read; an invalid bundle leaves no file behind (one JSON Lines bundle is
    validated as it is written, into a store made under a temporary name beside the path and
    put there once published). Raises as publish does.
    """
    if is_postgres_url(path_or_url):
        from pmae.store.postgres import holds_store

        exists = holds_store(str(path_or_url), timeout=timeout)
        where: str | Path = str(path_or_url)
    else:
        where = store_path(path_or_url)
        exists = where.exists()
    if exists:
        # An empty file (touched, or a store another pmae is making now) is made a store,
        # or opened once made (a PostgreSQL store is opened as it was).
        with open_store(where, create=isinstance(where, Path), session=session,
                        timeout=timeout) as store:
            return store.publish(*bundles, now=now, progress=progress)
    from pmae.sessions import session as current_session

    if isinstance(where, str):
        from pmae.store.postgres import publish_new

        # The schema and the first publication in one transaction: an invalid bundle leaves
        # the database empty. A store made meanwhile by another publisher is published into.
        result = publish_new(where, bundles, session=current_session(session),
                             timeout=timeout, now=now, progress=progress)
        if result is not None:
            return result
        with open_store(where, session=session, timeout=timeout) as store:
            return store.publish(*bundles, now=now, progress=progress)
    prepared = streaming.prepare_publication(bundles, current_session(session),
                                             progress=progress, one_pass=True)
    # A new SQLite store, whether the bundles are validated as they are written (one JSON
    # Lines bundle) or before (two passes): made beside the path, so that an interruption
    # leaves nothing there.
    return _publish_new(where, bundles, prepared, session=session, timeout=timeout, now=now,
                        progress=progress)


def _publish_new(where: Path, bundles: Sequence[Bundle | str | os.PathLike[str]],
                 prepared: streaming.Prepared, *, session: Session | None, timeout: float,
                 now: dt.datetime | None, progress: Progress | None) -> PublicationResult:
    """The first publication into a new SQLite store (validated as it is written, one pass,
    or before): made under a temporary name beside ``where`` (with a rollback journal for its first
    load, then put in WAL) and put there once published
    (:func:`pmae.store.one_pass.made_beside`). An invalid bundle, an error or a kill leave
    nothing at ``where``, and no store another pmae made or opened there meanwhile is ever
    removed: when one is there at the end, the bundles are published into it instead."""
    with one_pass.made_beside(where) as made:
        # Named after ``where`` in what it says: the temporary name is no concern of the user.
        connection = connect(made, create=True, timeout=timeout, first_load=True)
        try:
            result = Store(where, connection, session)._write(prepared, now, progress)
            use_wal(connection)  # nobody else has it open: it is put in WAL
        except BaseException:
            connection.close()
            raise
        one_pass.closed_whole(connection, made, where)
        try:
            one_pass.put_in_place(made, where)
            return result
        except FileExistsError:
            pass  # another pmae made (or is making) a store there meanwhile: published into it
        except OSError:
            pass  # a file system without hard links: made there, as it was before
    with open_store(where, create=True, session=session, timeout=timeout) as store:
        return store.publish(*bundles, now=now, progress=progress)
