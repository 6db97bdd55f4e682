"""Names for references between records, so that Datasette shows them instead of ids.

Datasette 0.65 shows a label instead of a value only in a column declared as a foreign key to a
table with a ``label_column``. A reference from one record to another (an offer's ``actor``, a
need's ``association``, a meeting's organisers…) may point to a record the file does not hold:
another network's (an *external reference*, which publication allows), or, in a file made for
one audience, a record that audience may not see. A foreign key to the collection's table would
refuse those (the store checks its foreign keys). So the references point to
``record_names``, which holds a row for every id a reference column or a referenced collection
holds: the record's name or title when the file holds the record, else
:data:`ELSEWHERE` (« (hors de cette base) »), never anything the file does not already hold.

The table is kept by triggers (SQLite only), not by the publication: a reference must name a
row of ``record_names`` when its own row is written (the store checks foreign keys at once,
and a deferred check would make SQLite search every referencing table for each new name), so
a trigger *before* a row is written adds the ids it references, and a trigger *after* writes
the name of a record of a referenced collection. Every writer (publication, streaming, the
``sqlite`` exporter, an upgrade) keeps the table right without a line of its own, and a file
made for one audience holds only the names of the records it holds. The one exception is the
first publication into an empty store, a bulk load: there the triggers are set aside and the
table filled set-wise at the end, to the same rows (:func:`filled_after`).

Only the collections some reference points to get a row per record (actors, offers,
associations, meetings, programmes): the names of the others would never be shown. Needs and
diagnoses have no name: a reference to one shows its id (held or not), and their records get
no row of their own (needs are most of a store's records: a row each would cost publication).

PostgreSQL gets none of this (:data:`SQLITE_ONLY` statements are skipped there): Datasette
opens SQLite files only, and the PostgreSQL store declares no foreign key on its records'
tables.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from pmae.io.check_tables import REFERENCE_FIELDS
from pmae.model import COLLECTIONS
from pmae.store.backend import Connection
from pmae.store.connection import (
    dropped_until_done,
    foreign_keys_checked_after,
    translated,
)
from pmae.store.schema import COLUMNS, LINKS, link_table, quote

__all__ = ["BY_ID", "ELSEWHERE", "NAMED", "NAMES_TABLE", "NAME_COLUMNS", "REFERENCE_COLUMNS",
           "REFERENCE_LINKS", "SQLITE_ONLY", "AmbiguousNamesError", "bulk_load", "filled_after",
           "is_empty",
           "names_statements"]

#: The table of names.
NAMES_TABLE: Final = "record_names"

#: The name of a referenced record the file does not hold.
ELSEWHERE: Final = "(hors de cette base)"

#: The first line of a statement PostgreSQL skips (``pmae.store.pg_sql.translate_ddl``).
SQLITE_ONLY: Final = "-- SQLite only (Datasette's names)\n"

#: collection -> its column holding a record's name (Datasette's ``label_column``).
NAME_COLUMNS: Final = {"actors": "name", "offers": "title", "associations": "name",
                       "meetings": "title", "productions": "title", "resources": "title",
                       "responses": "title", "practices": "title"}

#: collection -> its field holding a record's name where no column holds it (read from the
#: record's JSON: programmes are few). The others (needs, diagnoses) are named by their id.
_NAME_FIELDS: Final = {"programmes": "title"}


def _targets(collection: str, field: str) -> str | None:
    for name, targets in REFERENCE_FIELDS.get(collection, ()):
        if name == field and len(targets) == 1:
            return targets[0]
    return None


#: collection -> ((indexed column, collection it points to), …): the reference columns.
REFERENCE_COLUMNS: Final = {
    collection: found for collection, columns in COLUMNS.items()
    if (found := tuple((name, target) for name, table in columns
                       if table is None and (target := _targets(collection, name))))}

#: (collection, list field) -> the collection its link table's codes point to.
REFERENCE_LINKS: Final = {
    (owner, field): target for (owner, field), table in LINKS.items()
    if table is None and (target := _targets(owner, field))}

#: The collections whose records are named by their id (they have no name nor title): a
#: reference to one of them is named by the id, whether the file holds the record or not, so
#: their records need no row of their own (needs are most of a store's records).
BY_ID: Final = ("diagnoses", "needs")

#: The collections some reference points to whose records have a name: each record gets its
#: name in the table.
NAMED: Final = tuple(sorted(({t for found in REFERENCE_COLUMNS.values() for _, t in found}
                             | set(REFERENCE_LINKS.values())) - set(BY_ID)))

_REFERENCES: Final = f' REFERENCES {quote(NAMES_TABLE)}(id)'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _unknown(target: str, column: str, row: str = "") -> str:
    """The name of a record ``row.column`` references, until its own row names it: its id for
    a collection named by ids, else the marker."""
    return f"{row}{quote(column)}" if target in BY_ID else _literal(ELSEWHERE)


def _trigger(name: str, when: str, table: str, body: str) -> str:
    return (f"{SQLITE_ONLY}CREATE TRIGGER {quote(name)} {when} ON {quote(table)} "
            f"BEGIN\n  {body};\nEND")


def _referenced(pairs: list[tuple[str, str]]) -> str:
    """Add the ids ``new.<column>`` point to (pairs of column and collection) unless known."""
    rows = " UNION ALL ".join(
        f"SELECT new.{quote(column)}, {_literal(target)}, {_unknown(target, column, 'new.')} "
        f"WHERE new.{quote(column)} IS NOT NULL" for column, target in pairs)
    return f"INSERT OR IGNORE INTO {quote(NAMES_TABLE)} (id, collection, name) {rows}"


def _name_of(collection: str, row: str = "") -> str:
    column = NAME_COLUMNS.get(collection)
    if column:
        return f"coalesce({row}{quote(column)}, {row}id)"
    field = _NAME_FIELDS.get(collection)
    if field:
        return f"coalesce(json_extract({row}record, '$.{field}'), {row}id)"
    return f"{row}id"


def _held() -> str:
    """The names of the records of the referenced collections the file holds (a query)."""
    return " UNION ALL ".join(f"SELECT id, {_literal(c)}, {_name_of(c)} FROM {quote(c)}"
                              for c in NAMED)


def _references() -> str:
    """Every id a reference names, with the collection it points to and its name until its
    own row names it (a query of ``id``, ``collection``, ``name``; an id once per
    reference)."""
    return " UNION ALL ".join(
        [f"SELECT {quote(column)} AS id, {_literal(target)} AS collection, "
         f"{_unknown(target, column)} AS name FROM {quote(c)} WHERE {quote(column)} IS NOT NULL"
         for c, found in REFERENCE_COLUMNS.items() for column, target in found]
        + [f"SELECT code AS id, {_literal(target)} AS collection, "
           f"{_unknown(target, 'code')} AS name FROM {quote(link_table(owner, field))}"
           for (owner, field), target in REFERENCE_LINKS.items()])


def _fill() -> list[str]:
    """Names of what the file holds, set-wise (an upgrade from version 5): every record of a
    referenced collection, then every id a reference names that is not one of them."""
    return [f"{SQLITE_ONLY}INSERT OR IGNORE INTO {quote(NAMES_TABLE)} (id, collection, name) "
            f"{rows}" for rows in (_held(), _references())]


def _declare() -> list[str]:
    """Declare the reference columns foreign keys to the names, in the tables' text.

    SQLite cannot add a constraint to a column (``ALTER TABLE`` adds columns only); a foreign
    key does not change how rows are stored, so the declaration is written into the schema
    table, as SQLite documents for such changes and as sqlite-utils' ``add_foreign_key`` does,
    instead of copying every table (a national store is over 1 GiB). The names are filled
    before, so every reference already resolves; the triggers made after change the schema's
    version number, so every connection reads the new declarations. Written so that running
    it again changes nothing."""
    statements = [f"{SQLITE_ONLY}PRAGMA writable_schema = ON"]
    for collection, found in REFERENCE_COLUMNS.items():
        for column, _ in found:
            plain = f"\n  {quote(column)} TEXT,\n"
            statements.append(
                f"{SQLITE_ONLY}UPDATE sqlite_master SET sql = replace(sql, "
                f"{_literal(plain)}, {_literal(plain[:-2] + _REFERENCES + ',' + chr(10))}) "
                f"WHERE type = 'table' AND name = {_literal(collection)}")
    for owner, field in REFERENCE_LINKS:
        plain = "code TEXT NOT NULL,\n"
        statements.append(
            f"{SQLITE_ONLY}UPDATE sqlite_master SET sql = replace(sql, {_literal(plain)}, "
            f"{_literal(plain[:-2] + _REFERENCES + ',' + chr(10))}) "
            f"WHERE type = 'table' AND name = {_literal(link_table(owner, field))}")
    # RESET: off, and this connection reads the schema again (older SQLite: off).
    return [*statements, f"{SQLITE_ONLY}PRAGMA writable_schema = RESET"]


def _triggers() -> list[str]:
    statements = []
    for collection, found in REFERENCE_COLUMNS.items():
        body = _referenced(list(found))
        columns = ", ".join(quote(column) for column, _ in found)
        statements += [
            _trigger(f"{collection}_references_insert", "BEFORE INSERT", collection, body),
            _trigger(f"{collection}_references_update", f"BEFORE UPDATE OF {columns}",
                     collection, body)]
    for (owner, field), target in REFERENCE_LINKS.items():
        table = link_table(owner, field)
        statements.append(_trigger(f"{table}_references", "BEFORE INSERT", table,
                                   _referenced([("code", target)])))
    for collection in NAMED:
        upsert = (f"INSERT INTO {quote(NAMES_TABLE)} (id, collection, name) VALUES "
                  f"(new.id, {_literal(collection)}, {_name_of(collection, 'new.')}) "
                  "ON CONFLICT (id) DO UPDATE SET collection = excluded.collection, "
                  "name = excluded.name")
        column = NAME_COLUMNS.get(collection) or ("record" if collection in _NAME_FIELDS
                                                  else None)
        statements += [
            _trigger(f"{collection}_name_insert", "AFTER INSERT", collection, upsert),
            _trigger(f"{collection}_name_update",
                     f"AFTER UPDATE OF id{', ' + quote(column) if column else ''}",
                     collection, upsert),
            # A withdrawn record may still be referenced: its row stays, without its name.
            _trigger(f"{collection}_name_delete", "AFTER DELETE", collection,
                     f"UPDATE {quote(NAMES_TABLE)} SET name = {_literal(ELSEWHERE)} "
                     "WHERE id = old.id")]
    return statements


def names_statements() -> list[str]:
    """The statements of schema version 6: the names table, filled from what the file holds,
    the foreign keys that point to it, and the triggers that keep it."""
    return [f"{SQLITE_ONLY}CREATE TABLE {quote(NAMES_TABLE)} (\n"
            "  id TEXT PRIMARY KEY,\n  collection TEXT NOT NULL,\n  name TEXT NOT NULL\n"
            ") WITHOUT ROWID",
            *_fill(), *_declare(), *_triggers()]


def is_empty(connection: Connection) -> bool:
    """Whether the store holds no record and no name (SQLite): its first publication, which
    :func:`filled_after` may load without the triggers."""
    return not any(connection.execute(f"SELECT 1 FROM {quote(table)} LIMIT 1").fetchone()
                   for table in (*COLLECTIONS, NAMES_TABLE))


@contextlib.contextmanager
def bulk_load(connection: sqlite3.Connection, path: Path) -> Iterator[bool]:
    """Whether the publication about to begin is a bulk load: into an SQLite store holding no
    record (its first publication). Then the foreign keys are not checked row by row during
    the transaction begun inside, but once at its end, by
    :func:`pmae.store.streaming.write_publication` given ``bulk`` (``PRAGMA foreign_keys``
    only changes outside a transaction: enter this before ``BEGIN``)."""
    with translated(path):
        # Checked row by row unless this is a bulk load, whatever an earlier interrupted
        # publication on this connection left (the setting is the connection's).
        connection.execute("PRAGMA foreign_keys = ON")
        empty = is_empty(connection)
    if not empty:
        yield False
        return
    with foreign_keys_checked_after(connection, path):
        yield True


class AmbiguousNamesError(Exception):
    """An id the store does not hold is referenced as a record of two collections: which
    one ``record_names`` says depends on the order the rows were written in, which only the
    triggers follow (:func:`filled_after`)."""


#: The ids a bulk load references but does not hold, with each collection they point to.
_PENDING: Final = "temp.pmae_unheld_names"


@contextlib.contextmanager
def filled_after(connection: Connection) -> Iterator[None]:
    """Load an empty store (:func:`is_empty`) without the names' triggers, and fill the names
    set-wise at the end (SQLite, inside the write transaction).

    The triggers run a statement or two for each row written (a national bundle: over two
    million); the fill is a few statements. It gives the rows the triggers give: into an
    empty table, a record's own name wins over a reference's marker either way, and an id the
    store does not hold gets the collection and the name of the first reference to it, the
    same for all of them unless it is referenced as a record of two collections; then
    :class:`AmbiguousNamesError` is raised, and the caller writes again with the triggers.

    The triggers are dropped and made again, with their text, inside the transaction: an
    interrupted load (an error, a kill) rolls back to them.
    """
    assert isinstance(connection, sqlite3.Connection)
    made = [statement.split('"')[1] for statement in _triggers()]
    with dropped_until_done(connection, "trigger", "name", made):
        yield
        _fill_pending(connection)


def _fill_pending(connection: Connection) -> None:
    """The names of a bulk load (see :func:`filled_after`)."""
    names = quote(NAMES_TABLE)
    connection.execute(f"INSERT INTO {names} (id, collection, name) {_held()}")
    connection.execute(f"DROP TABLE IF EXISTS {_PENDING}")
    connection.execute(f"CREATE TABLE {_PENDING} (id TEXT, collection TEXT, name TEXT, "
                       "PRIMARY KEY (id, collection)) WITHOUT ROWID")
    connection.execute(
        f"INSERT OR IGNORE INTO {_PENDING} (id, collection, name) SELECT * FROM "
        f"({_references()}) AS named "
        f"WHERE NOT EXISTS (SELECT 1 FROM {names} WHERE {names}.id = named.id)")
    if connection.execute(f"SELECT 1 FROM {_PENDING} GROUP BY id HAVING count(*) > 1 "
                          "LIMIT 1").fetchone():
        raise AmbiguousNamesError
    connection.execute(f"INSERT INTO {names} (id, collection, name) "
                       f"SELECT id, collection, name FROM {_PENDING}")
    connection.execute(f"DROP TABLE {_PENDING}")
