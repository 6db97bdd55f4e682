"""The first publication into an empty PostgreSQL store, by its administrator: a bulk load.

A publication into a PostgreSQL store stages each batch in a temporary table (``COPY``), then
inserts it through row-level security into tables that keep about fifteen indexes up to date
row by row, after reading the bundle twice (validated, then written): at national scale
(1,260,000 records) the server spends as long inserting as pmae reading. Into a store that
holds no record, by a role that may (:func:`may_bulk_load`: it owns the tables and bypasses
row-level security, as the administrator does), the first publication is loaded as a new
SQLite store is (:mod:`pmae.store.one_pass`):

- validated and written in one pass;
- written by a second thread (:meth:`PgConnection.copying
  <pmae.store.pg_connection.PgConnection.copying>`): the server inserts a batch while pmae
  reads the next one;
- each batch's rows, versions and départements made by the server from the records' JSON
  texts in one statement (:class:`Staging`), the link and full-text rows ``COPY``'d straight
  into their tables;
- the secondary indexes dropped, and made again at the end (:func:`indexes_built_after`): one
  sort each instead of a million insertions into a B-tree; only in a store made in the same
  transaction (:func:`pmae.store.postgres.publish_new`), since dropping an index locks its
  table until the commit: a reader of a store that exists already would wait for the whole
  load, and fail after its lock timeout;
- the publication logged first, so that each batch's versions name it.

All of it in the publication's transaction: an invalid bundle, an error or a kill roll it
back, indexes included. A reader reads the store as it was until the load is committed (a
store made by the load is not found until then); a publisher waits for the advisory lock.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from pmae.model import COLLECTIONS
from pmae.store.schema import (
    COLUMNS,
    DEFAULT_VISIBILITY,
    DEPARTEMENTS,
    FULL_TEXT,
    INTEGER_COLUMNS,
    JSON_NUMBER_COLUMNS,
    LINKS,
    link_table,
    quote,
)

if TYPE_CHECKING:
    from pmae.store.pg_connection import PgConnection
    from pmae.store.rows import Departements, Labels

__all__ = ["Indexes", "Staging", "bulk_tables", "collection_tables", "indexes_built_after",
           "is_empty", "may_bulk_load", "triggers_off"]


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


class Staging:
    """The rows of a bulk load's added records, made by the server from their JSON texts.

    Taking each record's columns and départements and formatting them for ``COPY`` cost pmae
    about as long as validating the record, under the interpreter's one lock: the bound of a
    national load. Here pmae sends each batch as its records' texts (made anyway: the rows
    hold them), and the server, which inserts a batch while pmae reads the next, takes the
    columns from each text (its JSONB: strings unescaped, integers; a JSON number column's
    text as written), in one statement that also inserts the batch's versions and, for a
    collection whose places are columns, its départements: the server's join of the places
    with ``pg_temp.pmae_places``, into which pmae puts the départements of each place the
    first time a batch names it. pmae still writes the link rows of list fields and the
    full-text rows (folded as Python folds them, which PostgreSQL's ``unaccent`` does not
    match in every case): the collections of a few thousand records each, at national scale.

    The rows are those :func:`pmae.store.rows.put_rows` writes (the tests compare every
    table). A value validation refuses may be written otherwise (a ``null`` visibility: the
    default here, which ``put_rows`` cannot write), never reached: a bulk load keeps only a
    valid bundle."""

    def __init__(self, connection: PgConnection, departements: Departements,
                 labels: Labels, *, versions: str, publication: int) -> None:
        self.connection = connection
        self.departements = departements
        self.labels = labels
        self.publication = publication
        #: The places whose départements the server has.
        self.sent: set[str] = set()
        self._statements = {collection: _statements(collection, versions)
                            for collection in COLLECTIONS}
        connection.raw.execute(
            'CREATE TEMPORARY TABLE pmae_places (code text COLLATE "C" NOT NULL, '
            'departement text COLLATE "C" NOT NULL) ON COMMIT DROP')

    def insert(self, collection: str, rows: Sequence[tuple[dict[str, Any], str, Any]],
               first: int) -> None:
        """Insert the rows of the added records ``rows`` (each a record, its JSON text),
        numbered from ``first``, with their versions, link, full-text and départements
        rows."""
        from pmae.store.rows import _statements as row_statements

        records = [record for record, _, _ in rows]
        insert, departements = self._statements[collection]
        places: set[str] = set()
        for field in DEPARTEMENTS.get(collection, ()):
            for value in [record.get(field) for record in records]:
                if isinstance(value, list):
                    places.update(value)
                elif value:
                    places.add(value)
        new = {code: self.departements(code) for code in places - self.sent}
        self.sent.update(new)
        later = self.connection.later_native
        pairs = {(code, departement) for code, found in new.items() for departement in found}
        if pairs:
            later("INSERT INTO pg_temp.pmae_places (code, departement) "
                  "SELECT * FROM unnest(%b::text[], %b::text[])",
                  ([code for code, _ in pairs], [departement for _, departement in pairs]))
        sql = row_statements(collection)
        links: dict[str, list[tuple[int, str]]] = {}
        for field in sql["links"]:
            if field == "departements":
                continue
            found = links[field] = []
            for rowid, codes in enumerate([record.get(field) for record in records], first):
                if codes:
                    found.extend([(rowid, code) for code in codes])
        self.labels.gather_records(collection, records, links, new)
        dumps = orjson.dumps
        later(insert, {
            "first": first, "collection": collection, "publication": self.publication,
            "texts": "\n".join([text for _, text, _ in rows]),
            # One JSON array (orjson's text, each element's read back as written).
            "recipients": dumps([record.get("recipients") for record in records]).decode()})
        for field, found in links.items():
            self.connection.executemany(sql["links"][field][0], found)
        if sql["fts"]:
            text = sql["text"]
            self.connection.executemany(sql["fts"][0], [
                [rowid, *map(record.get, text)] for rowid, record in enumerate(records, first)])
        if departements:
            later(departements, {"first": first})


def _statements(collection: str, versions: str) -> tuple[str, str | None]:
    """The statement inserting a batch of ``collection``'s rows from their texts, with their
    versions (and their départements when its places are columns); its parameters: the
    first rowid, the collection, the publication, the texts joined by newlines and the
    recipients as one JSON array. Then the statement inserting the batch's départements from
    the link rows of its places (its parameter: the first rowid), or ``None``."""
    columns = ["id", "source", "visibility", "recipients",
               *(name for name, _ in COLUMNS[collection]), "record"]
    values = {"id": "j.d->>'id'", "source": "pg_catalog.split_part(j.d->>'id', ':', 1)",
              "visibility": f"coalesce(j.d->>'visibility', "
                            f"{_literal(DEFAULT_VISIBILITY[collection])})",
              "recipients": "CASE WHEN pg_catalog.json_typeof(s.recipients) = 'null' "
                            "THEN '[]' ELSE s.recipients::text END", "record": "s.record"}
    for name, _ in COLUMNS[collection]:
        field = _literal(name)
        if name in JSON_NUMBER_COLUMNS:  # the number's text as written (JSONB rewrites it)
            values[name] = (f"CASE WHEN pg_catalog.jsonb_typeof(j.d->{field}) = 'number' "
                            f"THEN s.record::pg_catalog.json->>{field} END")
        elif name in INTEGER_COLUMNS:
            values[name] = f"(j.d->>{field})::bigint"
        else:
            values[name] = f"j.d->>{field}"
    fields = DEPARTEMENTS.get(collection, ())
    scalar = [field for field in fields if (collection, field) not in LINKS]
    returned = ", ".join(["rowid", "id", "record", *map(quote, scalar)])
    # orjson's texts hold no newline (escaped in JSON strings): one text parameter, split by
    # the server, costs it a third of what an array of texts does.
    parts = [
        f'WITH ins AS (INSERT INTO public."{collection}" (rowid, '
        f"{', '.join(map(quote, columns))}) "
        f"SELECT %(first)b + s.n - 1, {', '.join(values[name] for name in columns)} "
        "FROM ROWS FROM (pg_catalog.string_to_table(%(texts)b::text, E'\\n'), "
        "pg_catalog.json_array_elements(%(recipients)b::pg_catalog.json)) "
        "WITH ORDINALITY AS s(record, recipients, n) "
        # The text as JSONB, not pmae_jsonb's: its NUL replacement is textual, and would
        # make "\\ufffd" of a text holding a backslash then "u0000" ("\\\\u0000" in JSON),
        # where a row holds the text as it is. A valid bundle holds no NUL (control-character).
        "CROSS JOIN LATERAL (SELECT s.record::pg_catalog.jsonb AS d OFFSET 0) AS j "
        f"RETURNING {returned})"]
    departements = None
    if fields and len(scalar) == len(fields):
        # Each place once in pmae_places: one field's pairs are distinct.
        joined = " UNION ".join(
            f"SELECT i.rowid, p.departement FROM ins AS i "
            f"JOIN pg_temp.pmae_places AS p ON p.code = i.{quote(field)}" for field in scalar)
        parts.append(f', d AS (INSERT INTO public."{link_table(collection, "departements")}" '
                     f"(record, code) {joined})")
    elif fields:
        named = []
        for field in fields:
            if (collection, field) in LINKS:
                named.append(f"SELECT t.record, t.code "
                             f'FROM public."{link_table(collection, field)}" AS t '
                             "WHERE t.record >= %(first)s")
            else:
                named.append(f'SELECT t.rowid, t.{quote(field)} FROM public."{collection}" '
                             f"AS t WHERE t.rowid >= %(first)s")
        departements = (
            f'INSERT INTO public."{link_table(collection, "departements")}" (record, code) '
            "SELECT DISTINCT n.record, p.departement FROM ("
            f"{' UNION ALL '.join(named)}) AS n(record, code) "
            "JOIN pg_temp.pmae_places AS p ON p.code = n.code")
    parts.append(f" INSERT INTO {quote(versions)} (id, collection, publication, change, record) "
                 "SELECT i.id, %(collection)s, %(publication)s, 'added', i.record FROM ins AS i "
                 "ORDER BY i.rowid")
    return "".join(parts), departements


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


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
