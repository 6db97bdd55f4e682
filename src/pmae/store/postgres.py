"""The store on PostgreSQL (``pmae[postgres]``: psycopg 3), named by a ``postgresql://`` URL.

The same tables as the SQLite store, made by the same migrations (their statements translated
by :mod:`pmae.store.pg_sql`), plus what PostgreSQL adds: each record also as JSONB (``data``),
full text as ``tsvector``, and the row-level security of :mod:`pmae.store.pg_roles`. Publication
and reading run the statements of the SQLite store through :class:`PgConnection`; rows are
loaded in bulk with ``COPY`` (through a temporary table, since ``COPY`` does not go through
row-level security, then one ``INSERT … SELECT`` that does).

Transactions: a publication is one transaction holding an advisory lock (publications of the
store, whichever network makes them, follow one another, so none loses another's update); a
second one waits ``timeout`` seconds for it, then fails with :class:`StoreLockedError` having
written nothing. Reading is one ``REPEATABLE READ`` snapshot. A client killed at any moment
(or a server restarted) leaves the transaction undone: the previous state is whole.

An empty database becomes a store on the first publication (``create=True``); the database
itself, its roles and TLS are the administrator's (see docs/deployment.md).
"""

from __future__ import annotations

import contextlib
import os
import shlex
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from pmae.i18n import gettext as _
from pmae.store import Store
from pmae.store import connection as sqlite_connection
from pmae.store.backend import redacted, scrubbed, without_password
from pmae.store.connection import (
    OutdatedStoreError,
    StoreError,
    StoreLockedError,
    StoreNotFoundError,
    pmae_version,
)
from pmae.store.pg_connection import PgConnection
from pmae.store.pg_functions import FOLDING, FUNCTIONS, TRIGGERS
from pmae.store.pg_roles import PUBLIC_ROLE, after_migration, grants
from pmae.store.pg_sql import translate_ddl
from pmae.store.schema import MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:
    import datetime as dt

    from pmae.io.stream import Progress
    from pmae.model import Bundle
    from pmae.sessions import Session
    from pmae.store import streaming
    from pmae.store.backend import Connection
    from pmae.store.publish import PublicationResult

__all__ = ["PgConnection", "PgStore", "connect", "holds_store", "open_postgres",
           "publish_new", "refresh", "upgrade"]

#: The memory a sort or grouping of the store's statements may use before spilling to disk.
WORK_MEM = "64MB"

#: The advisory lock every publication takes (any number: it only has to be the same).
PUBLICATION_LOCK = 0x706D6165  # "pmae"


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise StoreError(_("a postgresql:// store needs psycopg: pip install "
                           "'pmae[postgres]'")) from None
    return psycopg


@contextlib.contextmanager
def errors(name: str, url: str | None = None, *, connecting: bool = False) -> Iterator[None]:
    """PostgreSQL's errors as :class:`StoreError` naming the store and what to do; the
    driver's own text, which may quote the connection string, scrubbed of ``url``'s password
    and of any other (:func:`pmae.store.backend.scrubbed`). ``connecting``: every error is
    the connection's (an unparsable URL too)."""
    psycopg = _psycopg()
    # The name too: whatever the URL was named by, no password of it is printed.
    name = scrubbed(name, url)
    try:
        yield
    except StoreError:
        raise
    except psycopg.errors.LockNotAvailable:
        raise StoreLockedError(_(
            "{store}: another pmae is publishing into this store; try again when it has "
            "finished (nothing was written)").format(store=name)) from None
    except psycopg.errors.InsufficientPrivilege as error:
        raise StoreError(_("{store}: not allowed ({reason}); nothing was written").format(
            store=name, reason=_reason(error, url))) from None
    except psycopg.Error as error:
        if not (connecting or isinstance(error, psycopg.OperationalError)):
            raise StoreError(_("{store}: PostgreSQL says: {reason}").format(
                store=name, reason=_reason(error, url))) from None
        raise StoreError(_("{store}: cannot use the PostgreSQL store ({reason}); check the "
                           "URL (host, port, database's name, role), that the server runs "
                           "and accepts this role, and the role's password").format(
                               store=name, reason=_reason(error, url))) from None


def _reason(error: BaseException, url: str | None) -> str:
    # "from None" above too: a traceback would print the driver's text as it is.
    return scrubbed(str(error).strip(), url)


def _raw(url: str, timeout: float) -> PgConnection:
    psycopg = _psycopg()
    try:
        url.encode("utf-8")
    except UnicodeEncodeError:  # bytes of another encoding, as the shell passed them
        shown = redacted(url).encode("utf-8", "backslashreplace").decode("utf-8")
        raise StoreError(_("{store}: this URL is not valid text (it holds bytes that are not "
                           "UTF-8); type it again, or percent-encode those characters").format(
                               store=shown)) from None
    with errors(redacted(url), url, connecting=True):
        raw = psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(timeout)))
        raw.execute(f"SET lock_timeout = {int(timeout * 1000)}")
        # The store's statements are index lookups and scans that run in a second at most:
        # compiling them (JIT: 10 to 150 ms a statement, with inlining) costs more than it
        # saves (a network's publication: the label checks took three times as long). Its
        # groupings hold up to a million rows (coverage's counts of needs: 538,920 groups at
        # national scale): with less than 64 MB of work_mem they spill to disk (4.2 s instead
        # of 3.1). Raised, never lowered: an administrator's larger setting stays.
        raw.execute("SET jit = off")
        raw.execute("SELECT set_config('work_mem', %s, false) WHERE "
                    "pg_size_bytes(current_setting('work_mem')) < pg_size_bytes(%s)",
                    (WORK_MEM, WORK_MEM))
    return PgConnection(raw, url)


def _tables(connection: PgConnection) -> set[str]:
    return {name for (name,) in connection.raw.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}


@contextlib.contextmanager
def transaction(connection: PgConnection, *, lock: bool = True,
                snapshot: bool = False) -> Iterator[PgConnection]:
    """One transaction: a snapshot to read, or a publication holding the advisory lock
    (taken at once: a second publisher waits, then fails before reading anything)."""
    with errors(connection.name, connection.url):
        connection.raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" if snapshot
                               else "BEGIN")
        try:
            if lock and not snapshot:
                connection.raw.execute("SELECT pg_advisory_xact_lock(%s)", (PUBLICATION_LOCK,))
            yield connection
        except BaseException:
            with contextlib.suppress(Exception):
                connection.raw.execute("ROLLBACK")
            raise
        connection.raw.execute("ROLLBACK" if snapshot else "COMMIT")


def _migrate(connection: PgConnection, start: int) -> list[int]:
    done = []
    for number in range(start + 1, SCHEMA_VERSION + 1):
        for statement in before_migration(number):
            connection.raw.execute(statement)
        for statement in MIGRATIONS[number]():
            for translated in translate_ddl(statement):
                connection.raw.execute(translated)
        for statement in after_migration(number):
            connection.raw.execute(statement)
        done.append(number)
    _grant_all(connection)
    connection.executemany(
        "INSERT INTO store_meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [("schema_version", str(SCHEMA_VERSION)), ("pmae_version", pmae_version())])
    return done


def _grant_all(connection: PgConnection) -> None:
    # Migrations add tables: every role is granted its rights on them again.
    roles = [PUBLIC_ROLE, *(role for (role,) in connection.raw.execute(
        "SELECT role FROM store_networks ORDER BY role"))]
    for role in roles:
        for statement in grants(role):
            connection.raw.execute(statement)


def refresh(connection: PgConnection, session: Session | None, *,
            roles: bool = True) -> None:
    """What the administrator brings up to date whatever the schema version (``pmae db
    upgrade``, ``pmae db add-network``): every function (:mod:`pmae.store.pg_functions`,
    replaced: their pinned search path repairs a store made before it) and the log's triggers
    that are missing, the roles' rights
    (``roles``), and the label tables (:func:`pmae.store.pg_labels.fill_labels`). Inside a
    transaction."""
    from pmae.sessions import session as current_session
    from pmae.store.pg_labels import fill_labels

    # Every function, made again: a store made before their search path was pinned (or
    # before one of them) is repaired; replacing a function locks no table.
    for statement in (*FOLDING, *FUNCTIONS):
        connection.raw.execute(statement)
    # The triggers only when missing, the foreign key they replaced only when there: making
    # or dropping either locks its table, which readers then wait for.
    present = {name for (name,) in connection.raw.execute(
        "SELECT tgname FROM pg_trigger WHERE tgrelid IN ('public.versions'::regclass, "
        "'public.publications'::regclass) UNION SELECT conname FROM pg_constraint WHERE "
        "conrelid = 'public.versions'::regclass")}
    for name, statement in TRIGGERS.items():
        if name not in present:
            connection.raw.execute(statement)
    if "versions_publication_fkey" in present:
        connection.raw.execute("ALTER TABLE public.versions DROP CONSTRAINT "
                               "versions_publication_fkey")
    if roles:
        _grant_all(connection)
    fill_labels(connection, current_session(session))


def before_migration(number: int) -> list[str]:
    """What PostgreSQL needs before the statements of migration ``number``: the functions the
    translated statements call (:data:`pmae.store.pg_functions.FOLDING`)."""
    if number != 1:
        return []
    return ["CREATE EXTENSION IF NOT EXISTS unaccent", *FOLDING]


def _meta(connection: PgConnection) -> dict[str, str] | None:
    tables = _tables(connection)
    if "store_meta" not in tables:
        return None if not tables else {}
    return dict(connection.raw.execute("SELECT key, value FROM store_meta").fetchall())


def holds_store(url: str, *, timeout: float = 5.0) -> bool:
    """Whether the database at ``url`` holds any table (a store, or something else)."""
    connection = _raw(url, timeout)
    try:
        with errors(connection.name, connection.url):
            return bool(_tables(connection))
    finally:
        connection.close()


def connect(url: str, *, create: bool = False, timeout: float = 5.0,
            upgrading: bool = False) -> PgConnection:
    """An open connection to the store in the database at ``url``, its schema checked; an
    empty database becomes a store when ``create``.

    :raises StoreError: the server cannot be reached, the database holds something else, or
        a store of a schema this pmae cannot use.
    """
    connection = _raw(url, timeout)
    name = connection.name
    try:
        with errors(name, url):
            meta = _meta(connection)
            if meta is None and create:
                _public_role(connection)
                with transaction(connection):
                    if _meta(connection) is None:  # another publisher may have been first
                        _make(connection)
                meta = _meta(connection)
            if meta is None:
                raise StoreNotFoundError(_(
                    "{store}: an empty database, not a store yet; publish a bundle into it "
                    "first (pmae publish BUNDLE --db {store})").format(store=name))
            if not meta:
                raise StoreError(_("{store}: a PostgreSQL database, but not a pmae store; it "
                                   "was left as it is: give another database").format(
                                       store=name))
            found = int(meta.get("schema_version", "0"))
            if found < SCHEMA_VERSION and not upgrading:
                raise OutdatedStoreError(outdated(url, found))
            sqlite_connection._check_version(name, meta, upgrading=upgrading)
    except BaseException:
        connection.close()
        raise
    return connection


def _public_role(connection: PgConnection) -> None:
    """Make the role of the public, which every store of the cluster shares, if there is none,
    in a transaction of its own (before the store's): made in a first publication's, it kept
    any other store made meanwhile in the cluster waiting for the whole load on the role's
    row, then failing (its lock timeout, or the role made by then); two stores made at once
    would both make it (one fails)."""
    connection.raw.execute(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{PUBLIC_ROLE}') "
        f"THEN CREATE ROLE {PUBLIC_ROLE} NOLOGIN; END IF; "
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$")


def _make(connection: PgConnection) -> None:
    """Make the store's schema in the empty database (inside a transaction)."""
    _migrate(connection, 0)
    connection.execute("INSERT INTO store_meta (key, value) VALUES ('created_at', ?)",
                       (sqlite_connection._now(),))


def publish_new(url: str, bundles: Sequence[Bundle | str | os.PathLike[str]], *,
                session: Session, timeout: float = 5.0, now: dt.datetime | None = None,
                progress: Progress | None = None) -> PublicationResult | None:
    """The first publication into the empty database at ``url``: the store's schema made and
    the bundles published in one transaction, so that an invalid bundle (or an error, or a
    kill) leaves the database empty. One JSON Lines bundle is validated as it is written,
    and loaded in bulk by a role that may (:mod:`pmae.store.pg_bulk`). ``None`` when the
    database holds a store by then (another publisher made it): publish into it as into any.
    """
    from pmae.store import streaming

    connection = _raw(url, timeout)
    try:
        with errors(connection.name, url):
            if _meta(connection) is not None:
                return None
            _public_role(connection)
        with errors(connection.name, url), transaction(connection):
            if _meta(connection) is not None:
                return None
            _make(connection)
            connection.made_now = True
            prepared = streaming.prepare_publication(bundles, session, progress=progress,
                                                     one_pass=True)
            return streaming.write_publication(connection, prepared, session=session,
                                               now=now, progress=progress)
    finally:
        connection.close()


def outdated(url: str, found: int) -> str:
    """What to run for a store of an older schema: a command that runs as printed (the URL
    quoted for the shell, with no password: ``***`` in its place would be taken for it)."""
    command = f"pmae db upgrade --db {shlex.quote(without_password(url))}"
    message = _("{store}: this store has schema version {found}, older than this pmae's "
                "({known}): run `{command}` first, as the store's administrator").format(
                    store=redacted(url), found=found, known=SCHEMA_VERSION, command=command)
    if redacted(url) == url:
        return message
    return message + _(" (the command holds no password: give the administrator's in "
                       "PGPASSWORD or ~/.pgpass, or write it in the URL)")


def upgrade(url: str, *, timeout: float = 5.0, session: Session | None = None
            ) -> tuple[int, list[int]]:
    """Run the migrations the store at ``url`` lacks, in one transaction (see
    :func:`pmae.store.connection.upgrade`), then :func:`refresh` (the roles' rights and the
    label tables, from ``session``'s vocabularies and territories)."""
    connection = connect(url, upgrading=True, timeout=timeout)
    try:
        with transaction(connection):
            found = int(dict(connection.raw.execute(
                "SELECT key, value FROM store_meta").fetchall()).get("schema_version", "0"))
            done = _migrate(connection, found) if found < SCHEMA_VERSION else []
            refresh(connection, session)
        return found, done
    finally:
        connection.close()




class PgStore(Store):
    """A store on PostgreSQL: the API of :class:`~pmae.store.Store`, on a database."""

    def __init__(self, url: str, connection: PgConnection, session: Session | None) -> None:
        self.url = url
        self._pg = connection
        self._connection = connection
        self._session = session

    def __repr__(self) -> str:
        return f"<Store {self._pg.name}>"

    @property
    def label(self) -> str:
        """The database's name."""
        return str(self._pg.raw.info.dbname)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Connection]:
        with transaction(self._pg) as connection:
            yield connection

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[Connection]:
        with transaction(self._pg, snapshot=True) as connection:
            yield connection

    def _errors(self) -> contextlib.AbstractContextManager[None]:
        return errors(self._pg.name, self.url)

    def _loads_in_one_pass(self) -> bool:
        """The store holds no record and this role may load it in bulk (the administrator:
        :mod:`pmae.store.pg_bulk`); checked again inside the publication's transaction. The
        role first: a network's role reads the tables through row-level security, and finding
        no row it may read scans every one."""
        from pmae.store import pg_bulk

        return pg_bulk.may_bulk_load(self._pg) and pg_bulk.is_empty(self._pg)

    def _write(self, prepared: streaming.Prepared, now: dt.datetime | None,
               progress: Progress | None = None) -> PublicationResult:
        result = super()._write(prepared, now, progress)
        if not result.changed_anything or self._pg.writes_labels:
            return result
        # A network's publication writes no label: say which its records lack.
        from pmae.store.pg_labels import unlabelled, unlabelled_note

        with self._errors():
            note = unlabelled_note(unlabelled(self._pg, result.sources))
        return result if note is None else attrs.evolve(result, issues=(*result.issues, note))


def open_postgres(url: str, *, create: bool = False, session: Session | None = None,
                  timeout: float = 5.0) -> PgStore:
    """The store in the database at ``url`` (see :func:`pmae.store.open_store`)."""
    return PgStore(url, connect(url, create=create, timeout=timeout), session)
