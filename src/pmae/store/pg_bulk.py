"""The first publication into an empty PostgreSQL store, by its administrator: a bulk load.

A publication into a PostgreSQL store stages each batch in a temporary table (``COPY``), then
inserts it through row-level security into tables that keep about fifteen indexes up to date
row by row, after reading the bundle twice (validated, then written): at national scale
(1,260,000 records) the server spends as long inserting as pmae reading. Into a store that
holds no record, by a role that may (:func:`may_bulk_load`: it owns the tables and bypasses
row-level security, as the administrator does), the first publication is loaded as a new
SQLite store is (:mod:`pmae.store.one_pass`):

- validated and written in one pass;
- ``COPY`` straight into the tables (:attr:`PgConnection.direct
  <pmae.store.pg_connection.PgConnection.direct>`): the server inserts a batch while pmae reads
  the next one;
- the secondary indexes dropped, and made again at the end (:func:`indexes_built_after`): one
  sort each instead of a million insertions into a B-tree; only in a store made in the same
  transaction (:func:`pmae.store.postgres.publish_new`), since dropping an index locks its
  table until the commit: a reader of a store that exists already would wait for the whole
  load, and fail after its lock timeout;
- the versions copied from the rows once the log holds the publication (``versions_after``).

All of it in the publication's transaction: an invalid bundle, an error or a kill roll it
back, indexes included. A reader reads the store as it was until the load is committed (a
store made by the load is not found until then); a publisher waits for the advisory lock.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from pmae.model import COLLECTIONS
from pmae.store.schema import COLUMNS, DEPARTEMENTS, FULL_TEXT, LINKS, link_table, quote

if TYPE_CHECKING:
    from pmae.store.pg_connection import PgConnection

__all__ = ["Indexes", "bulk_tables", "collection_tables", "indexes_built_after", "is_empty",
           "may_bulk_load", "triggers_off"]


def is_empty(connection: PgConnection) -> bool:
    """Whether the store holds no record (as this role sees it) and no version."""
    return not any(connection.raw.execute(f'SELECT 1 FROM public."{table}" LIMIT 1').fetchone()
                   for table in (*COLLECTIONS, "versions"))


def may_bulk_load(connection: PgConnection) -> bool:
    """Whether this role may load the store in bulk: it bypasses row-level security (``COPY``
    straight into the tables: PostgreSQL refuses ``COPY FROM`` into a table whose policies
    apply) and owns the tables (their indexes are dropped and made again). The administrator
    does, a network's role does not."""
    row = connection.raw.execute(
        "SELECT (r.rolsuper OR r.rolbypassrls) AND pg_has_role(current_user, c.relowner, "
        "'USAGE') FROM pg_catalog.pg_roles AS r, pg_catalog.pg_class AS c "
        "WHERE r.rolname = current_user AND c.oid = 'public.needs'::regclass").fetchone()
    return bool(row and row[0])


def bulk_tables() -> list[str]:
    """The tables a first publication fills: the collections', their link and full-text
    tables, and the versions."""
    return [*(table for collection in COLLECTIONS for table in collection_tables(collection)),
            "versions"]


class Indexes:
    """The indexes a bulk load dropped, by table, until they are made again."""

    def __init__(self, connection: PgConnection, tables: Sequence[str], *,
                 drop: bool = True) -> None:
        self.connection = connection
        #: Each table's indexes not made again yet: their definitions.
        self.dropped: dict[str, list[str]] = {}
        #: The tables analysed since their load.
        self.analysed: set[str] = set()
        found = connection.raw.execute(
            "SELECT t.relname, i.indexrelid::regclass::text, "
            "pg_catalog.pg_get_indexdef(i.indexrelid) FROM pg_catalog.pg_index AS i "
            "JOIN pg_catalog.pg_class AS t ON t.oid = i.indrelid "
            "JOIN pg_catalog.pg_namespace AS n ON n.oid = t.relnamespace "
            "WHERE n.nspname = 'public' AND t.relname = ANY(%s) AND NOT EXISTS ("
            "SELECT 1 FROM pg_catalog.pg_constraint AS c WHERE c.conindid = i.indexrelid) "
            "ORDER BY i.indexrelid", (list(tables) if drop else [],)).fetchall()
        for table, name, definition in found:
            connection.raw.execute(f"DROP INDEX {name}")
            self.dropped.setdefault(table, []).append(definition)

    def build(self, tables: Sequence[str], run: Callable[[str, None], Any] | None = None
              ) -> None:
        """Make the indexes of ``tables`` again, then analyse the tables (the planner's
        statistics: without them the first questions after a load are planned as for empty
        tables, coverage of 15,000 associations 4.3 s instead of 1.3, until autovacuum
        analyses them). With ``run`` (:meth:`PgConnection.later
        <pmae.store.pg_connection.PgConnection.later>`) by the server while pmae reads on:
        rows written into them afterwards are indexed as they are."""
        execute = run or (lambda statement, _: self.connection.raw.execute(statement))
        for table in tables:
            for definition in self.dropped.pop(table, ()):
                execute(definition, None)
        for table in tables:
            if table not in self.analysed:
                self.analysed.add(table)
                execute(f'ANALYZE public."{table}"{_analysed(table)}', None)


@contextlib.contextmanager
def indexes_built_after(connection: PgConnection, tables: Sequence[str], *,
                        drop: bool = True) -> Iterator[Indexes]:
    """Drop the indexes of ``tables`` that back no constraint (a primary key or a unique one
    stays: they check the load), and make them again, with their definition, when the block
    is done (those :meth:`Indexes.build` did not make before), the tables analysed. Inside
    the publication's transaction: not on the way out by an exception, since the rollback
    that must follow restores them. ``drop`` false: the indexes are kept (a store that
    exists already: dropping an index locks its table until the commit, which a reader would
    wait for), the tables analysed all the same."""
    indexes = Indexes(connection, tables, drop=drop)
    yield indexes
    indexes.build(tables)


def _analysed(table: str) -> str:
    """The columns of ``table`` whose statistics the store's queries use: a record's text
    and JSONB are left out (a third of a national load's analysis)."""
    if table in COLUMNS:
        names = ["rowid", "id", "source", "visibility", *(name for name, _ in COLUMNS[table])]
    elif table == "versions":
        names = ["id", "collection", "publication", "change"]
    else:
        return ""
    return " (" + ", ".join(quote(name) for name in names) + ")"


def collection_tables(collection: str) -> list[str]:
    """The tables the rows of ``collection`` fill: its own, its link and full-text tables."""
    tables = [collection, *(link_table(collection, field) for owner, field in LINKS
                            if owner == collection)]
    if collection in DEPARTEMENTS:
        tables.append(link_table(collection, "departements"))
    if collection in FULL_TEXT:
        tables.append(collection + "_fts")
    return tables


@contextlib.contextmanager
def triggers_off(connection: PgConnection) -> Iterator[None]:
    """The statement triggers of the tables a bulk load fills, off until the block is done,
    then their work done once. Each keeps the rows a statement inserted in a transition
    table to read them again: a copy of every record. ``pmae_rowids`` keeps each collection's
    last rowid (set here from the rows); ``pmae_versions_published`` checks that each version
    names a publication of the log (a bulk load's name the one it logged before writing
    them: :func:`pmae.store.one_pass.write_deferred`). Inside the publication's transaction;
    on the way out by an exception the rollback restores them."""
    found = connection.raw.execute(
        "SELECT c.relname, t.tgname FROM pg_catalog.pg_trigger AS t "
        "JOIN pg_catalog.pg_class AS c ON c.oid = t.tgrelid "
        "JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relname = ANY(%s) AND NOT t.tgisinternal "
        "AND t.tgenabled <> 'D' AND t.tgname IN ('pmae_rowids', 'pmae_versions_published') "
        "ORDER BY c.relname", (bulk_tables(),)).fetchall()
    for table, name in found:
        connection.raw.execute(f'ALTER TABLE public."{table}" DISABLE TRIGGER "{name}"')
    yield
    for table, name in found:
        connection.raw.execute(f'ALTER TABLE public."{table}" ENABLE TRIGGER "{name}"')
    for collection in COLLECTIONS:
        connection.raw.execute(
            "INSERT INTO public.store_rowids AS s (collection, last) "
            f'SELECT %s, max(rowid) FROM public."{collection}" HAVING max(rowid) IS NOT NULL '
            "ON CONFLICT (collection) DO UPDATE SET last = greatest(s.last, excluded.last)",
            (collection,))
