"""Opening a store file: where it is, whether it is one, which schema it has, and the locks.

Nothing here writes to a file that is not a pmae store of a schema this pmae knows: a file that
is not SQLite, an SQLite database of something else, a damaged database or a store written by a
newer pmae is refused with an error saying what it is and what to do, and left as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import sqlite3
from collections.abc import Iterator, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import quote as quote_url

from pmae.i18n import gettext as _
from pmae.store.backend import redacted
from pmae.store.schema import MIGRATIONS, SCHEMA_VERSION, quote

__all__ = [
    "DEFAULT_PATH",
    "CorruptStoreError",
    "NewerStoreError",
    "OutdatedStoreError",
    "StoreError",
    "StoreLockedError",
    "StoreNotFoundError",
    "cannot_make",
    "check_foreign_keys",
    "connect",
    "dropped_until_done",
    "foreign_keys_checked_after",
    "pmae_version",
    "store_path",
    "transaction",
    "upgrade",
]

#: The store used when neither ``--db`` nor ``PMAE_DB`` names one: in the working folder.
DEFAULT_PATH: str = "pmae.db"

#: The page size of a new store, in bytes (an existing store keeps its own).
PAGE_SIZE = 16384


class StoreError(Exception):
    """A store that cannot be used as asked; the message says why and what to do."""


class StoreNotFoundError(StoreError):
    """There is no store at the path (reading commands never create one)."""


class CorruptStoreError(StoreError):
    """The file is not a pmae store, or is damaged; it is left as it is."""


class NewerStoreError(StoreError):
    """The store's schema is newer than this pmae knows: a newer pmae is needed."""


class OutdatedStoreError(StoreError):
    """The store's schema is older than this pmae's: ``pmae db upgrade`` brings it up."""


class StoreLockedError(StoreError):
    """Another process held the store longer than the busy timeout."""


def pmae_version() -> str:
    """The version of the installed pmae (``unknown`` when run from a bare source tree)."""
    try:
        return version("pmae")
    except PackageNotFoundError:  # pragma: no cover - always installed in practice
        return "unknown"


def store_path(path_or_url: str | os.PathLike[str] | None) -> Path:
    """The file of a store named by a path or an ``sqlite:///`` URL (None: ``pmae.db``).

    As in SQLAlchemy, ``sqlite:///pmae.db`` is relative to the working folder and
    ``sqlite:////srv/pmae.db`` absolute.

    :raises StoreError: for another kind of URL (a ``postgresql://`` store has no file: what
        needs one, such as Datasette, says so).
    """
    text = os.fspath(path_or_url) if path_or_url is not None else DEFAULT_PATH
    if text.startswith("sqlite:///"):
        return Path(text.removeprefix("sqlite:///"))
    if text.startswith(("postgresql://", "postgres://")):
        raise StoreError(_("{store}: a PostgreSQL store is not a file; this needs an SQLite "
                           "store (a path or sqlite:///PATH): `pmae dump` one from it").format(
                               store=redacted(text)))
    scheme, sep, _rest = text.partition("://")
    if sep and scheme.isascii() and scheme.replace("+", "").isalpha():
        raise StoreError(_(
            "{store}: pmae stores are SQLite files (a path or sqlite:///PATH) or PostgreSQL "
            "databases (postgresql://…); {scheme} stores are not supported by this version"
        ).format(store=redacted(text), scheme=scheme))
    return Path(text)


def _describe(error: sqlite3.Error) -> str:
    return str(error) or type(error).__name__


def _locked(error: sqlite3.Error) -> bool:
    return isinstance(error, sqlite3.OperationalError) and "locked" in str(error)


@contextlib.contextmanager
def translated(path: Path) -> Iterator[None]:
    """SQLite's errors as :class:`StoreError` naming the file and what to do."""
    try:
        yield
    except StoreError:
        raise
    except sqlite3.Error as error:
        if _locked(error):
            raise StoreLockedError(_(
                "{path}: another pmae is writing to this store; try again when it has "
                "finished (nothing was written)").format(path=path)) from error
        if isinstance(error, sqlite3.OperationalError) and "readonly" in str(error):
            raise StoreError(_(
                "{path}: the store may not be written to (the file, or its folder, where "
                "SQLite writes its journal beside it, is read-only); nothing was written: "
                "give a store you may write to (--db), or ask its owner for access").format(
                    path=path)) from error
        raise CorruptStoreError(_(
            "{path}: not a usable pmae store (SQLite says: {reason}); it was left as it is: "
            "restore it from a backup, or publish into another file").format(
                path=path, reason=_describe(error))) from error


def cannot_make(path: Path, error: OSError) -> StoreError:
    """The error for a new store that cannot be made at ``path`` (its folder is missing, or
    may not be written to): where, why, and what to do."""
    folder = path.parent
    if isinstance(error, FileNotFoundError):
        return StoreError(_(
            "{path}: the store cannot be made: the folder {folder} does not exist; create "
            "it (mkdir -p {folder}) or give another path (--db)").format(
                path=path, folder=folder))
    return StoreError(_(
        "{path}: the store cannot be made: the folder {folder} may not be written to "
        "({reason}); give a folder you may write to (--db), or ask its owner for access").format(
            path=path, folder=folder,
            reason=_("read-only file system") if error.errno == errno.EROFS
            else _("permission denied") if isinstance(error, PermissionError) or error.errno
            in (errno.EACCES, errno.EPERM) else error.strerror or str(error)))


def _meta(connection: sqlite3.Connection) -> dict[str, str] | None:
    tables = {name for (name,) in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "store_meta" not in tables:
        return None if not tables else {}
    return dict(connection.execute("SELECT key, value FROM store_meta"))


def connect(path: Path, *, create: bool = False, timeout: float = 5.0,
            upgrading: bool = False, first_load: bool = False) -> sqlite3.Connection:
    """An open connection to the store at ``path``, its schema checked.

    :param create: make a new store when there is no file (or an empty one) at ``path``.
    :param timeout: seconds to wait for another process's lock before
        :class:`StoreLockedError`.
    :param upgrading: accept an older schema (for :func:`upgrade`).
    :param first_load: a store made now is about to receive its first publication: it is
        made with a rollback journal, which writes the new pages once, where WAL writes them
        twice (into the log, then into the file); :func:`use_wal` once it is published. (A
        store left so by a killed first load is put in WAL at its next opening.)
    """
    exists = path.exists()
    if not exists and not create:
        raise StoreNotFoundError(_(
            "{path}: no store here; publish a bundle into it first "
            "(pmae publish BUNDLE --db {path})").format(path=path))
    if path.is_dir():
        raise StoreError(_("{path}: is a folder; give the path of a store file").format(
            path=path))
    mode = "rwc" if create else "rw"
    uri = f"file:{quote_url(os.fspath(path))}?mode={mode}"
    if not exists and not path.parent.is_dir():
        raise cannot_make(path, FileNotFoundError())
    with translated(path):
        try:
            connection = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None,
                                         check_same_thread=False)
        except sqlite3.OperationalError:
            if path.exists():
                raise
            # Nothing there to be damaged: the folder refused the file (its permissions, a
            # read-only file system), of which SQLite says no more than "unable to open".
            raise cannot_make(path, PermissionError()) from None
    try:
        with translated(path):
            connection.execute("PRAGMA foreign_keys = ON")
            meta = _meta(connection)
            if meta is None:
                if not create:
                    raise StoreNotFoundError(_(
                        "{path}: an empty file, not a store yet; publish a bundle into it "
                        "first").format(path=path))
                # Another pmae may have made the store meanwhile: then it is opened.
                meta = _initialise(connection, wal=not first_load)
            if meta == {}:
                raise CorruptStoreError(_(
                    "{path}: an SQLite database, but not a pmae store; it was left as it "
                    "is: give another path").format(path=path))
            if meta:
                _check_version(path, meta, upgrading=upgrading)
                if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    use_wal(connection)
    except BaseException:
        connection.close()
        raise
    return connection


def _check_version(path: Path | str, meta: dict[str, str], *, upgrading: bool) -> None:
    found = int(meta.get("schema_version", "0"))
    if found > SCHEMA_VERSION:
        needed = meta.get("pmae_version", "a newer version")
        raise NewerStoreError(_(
            "{path}: this store has schema version {found}, written by pmae {needed}; this "
            "pmae ({version}) knows schema version {known} at most: install pmae {needed} or "
            "later to use it").format(path=path, found=found, needed=needed,
                                      version=pmae_version(), known=SCHEMA_VERSION))
    if found < SCHEMA_VERSION and not upgrading:
        raise OutdatedStoreError(_(
            "{path}: this store has schema version {found}, older than this pmae's "
            "({known}): run `pmae db upgrade --db {path}` first").format(
                path=path, found=found, known=SCHEMA_VERSION))


@contextlib.contextmanager
def transaction(connection: sqlite3.Connection, path: Path) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken at once (``BEGIN IMMEDIATE``): a second writer waits for
    the busy timeout then fails with :class:`StoreLockedError`, before reading anything; any
    failure (an exception, a kill) leaves the store as it was before ``BEGIN``."""
    with translated(path):
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        try:
            connection.execute("COMMIT")
        except BaseException:
            # A COMMIT SQLite refuses without ending the transaction (an I/O error it may
            # retry, an authorizer): ended here, so the connection is never left inside it.
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise


@contextlib.contextmanager
def foreign_keys_checked_after(connection: sqlite3.Connection, path: Path) -> Iterator[None]:
    """Foreign keys not checked row by row for the transaction begun inside (a bulk load into
    an empty store: seven checks on each of a million rows at national scale), but once, by
    :func:`check_foreign_keys`, before it commits. ``PRAGMA foreign_keys`` changes nothing
    inside a transaction: this must be entered before ``BEGIN``; the setting is the
    connection's, never the file's, so a kill leaves nothing of it."""
    try:
        # Inside the try: an interruption right after the PRAGMA still turns them back on.
        with translated(path):
            connection.execute("PRAGMA foreign_keys = OFF")
        yield
    finally:
        with translated(path):
            connection.execute("PRAGMA foreign_keys = ON")


def check_foreign_keys(connection: sqlite3.Connection) -> None:
    """Raise what SQLite raises for a row that breaks a foreign key, when one does (inside
    the transaction, which the caller then rolls back).

    Each key is first checked on the distinct values of its columns (:func:`keys_hold`: the
    indexes give them in one pass, where ``PRAGMA foreign_key_check`` looks every row's
    parent up: a third of its time on a national store); the pragma names the broken row
    only when that check finds one."""
    if keys_hold(connection):
        return
    broken = connection.execute("PRAGMA foreign_key_check").fetchone()
    if broken is not None:
        table, rowid, parent, _ = broken
        # A table without a rowid (the link tables) has no row number to name.
        row = "" if rowid is None else f", row {rowid}"
        raise sqlite3.IntegrityError(
            f"FOREIGN KEY constraint failed ({table}{row}: no such row in {parent})")


def keys_hold(connection: sqlite3.Connection) -> bool:
    """Whether every row of every table has the parents its foreign keys name (a row with a
    null in a key's columns has none to have, as SQLite says); a key that names no parent
    column (the parent's primary key, implied) is left to ``PRAGMA foreign_key_check``."""
    tables = [name for (name,) in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' "
        "AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name")]
    for table in tables:
        keys: dict[int, list[tuple[str, str, str | None]]] = {}
        for key, parent, child, column in connection.execute(
                'SELECT id, "table", "from", "to" FROM pragma_foreign_key_list(?) '
                "ORDER BY id, seq", (table,)):
            keys.setdefault(key, []).append((parent, child, column))
        for pairs in keys.values():
            if any(column is None for _, _, column in pairs):
                if connection.execute(f"PRAGMA foreign_key_check({quote(table)})").fetchone():
                    return False
                continue
            parent = pairs[0][0]
            children = [quote(child) for _, child, _ in pairs]
            distinct = ", ".join(f"{child} AS k{at}" for at, child in enumerate(children))
            present = " AND ".join(f"{child} IS NOT NULL" for child in children)
            matched = " AND ".join(f"p.{quote(column)} = d.k{at}"  # type: ignore[arg-type]
                                   for at, (_, _, column) in enumerate(pairs))
            if connection.execute(
                    f"SELECT 1 FROM (SELECT DISTINCT {distinct} FROM {quote(table)} "
                    f"WHERE {present}) AS d WHERE NOT EXISTS (SELECT 1 FROM {quote(parent)} "
                    f"AS p WHERE {matched}) LIMIT 1").fetchone():
                return False
    return True


@contextlib.contextmanager
def dropped_until_done(connection: sqlite3.Connection, kind: str, column: str,
                       values: Sequence[str]) -> Iterator[None]:
    """Drop the schema's objects of a ``kind`` (``index``, ``trigger``) whose ``column`` of
    ``sqlite_master`` (``name``, ``tbl_name``) is one of ``values``, and make them again, with
    their text, in their order, when the block is done (inside a transaction: a bulk load
    writes faster without them). Not on the way out by an exception: the rollback that must
    follow restores them."""
    found = connection.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = ? AND sql IS NOT NULL "
        f"AND {column} IN ({', '.join('?' * len(values))}) ORDER BY rowid",
        (kind, *values)).fetchall()
    for name, _sql in found:
        connection.execute(f"DROP {kind.upper()} {quote(name)}")
    yield
    for _name, sql in found:
        connection.execute(sql)


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _migrate(connection: sqlite3.Connection, start: int) -> list[int]:
    done = []
    for number in range(start + 1, SCHEMA_VERSION + 1):
        for statement in MIGRATIONS[number]():
            connection.execute(statement)
        done.append(number)
    connection.executemany(
        "INSERT INTO store_meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [("schema_version", str(SCHEMA_VERSION)), ("pmae_version", pmae_version())])
    return done


def use_wal(connection: sqlite3.Connection) -> None:
    """Put the store in WAL mode (outside any transaction), if no other connection holds it
    open: otherwise it stays as it is, and the next opening tries again."""
    with contextlib.suppress(sqlite3.OperationalError):
        connection.execute("PRAGMA journal_mode = WAL")


def _initialise(connection: sqlite3.Connection, *, wal: bool = True) -> dict[str, str] | None:
    """Make the store's schema in an empty file (``None``), unless another connection made
    one meanwhile (between the caller's look and the write lock taken here): then what
    :func:`_meta` finds there, written over by nothing."""
    # 16 KiB pages rather than SQLite's 4 KiB, set before the first page is written: a
    # national publication writes over a GiB, and each page is a write to the WAL, a copy at
    # the checkpoint and a read for each index built; measured: 9 % less CPU to publish it.
    connection.execute(f"PRAGMA page_size = {PAGE_SIZE}")
    connection.execute("BEGIN IMMEDIATE")
    try:
        found = _meta(connection)
        if found is not None:
            connection.execute("ROLLBACK")
            return found
        _migrate(connection, 0)
        connection.execute("INSERT INTO store_meta (key, value) VALUES ('created_at', ?)",
                           (_now(),))
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    # WAL: readers (dumps, Datasette) read while a publication writes; it is a property of
    # the file, set outside any transaction (after the first load, see connect), once the
    # store is made (before, it would wait on the lock of a pmae making it meanwhile).
    if wal:
        use_wal(connection)
    return None


def upgrade(path: Path, *, timeout: float = 5.0) -> tuple[int, list[int]]:
    """Run the migrations the store at ``path`` lacks, in one transaction.

    :returns: the schema version found and the versions migrated to (empty: up to date).
    """
    connection = connect(path, upgrading=True, timeout=timeout)
    try:
        with transaction(connection, path):
            found = int(dict(connection.execute("SELECT key, value FROM store_meta"))
                        .get("schema_version", "0"))
            done = _migrate(connection, found) if found < SCHEMA_VERSION else []
        return found, done
    finally:
        connection.close()
