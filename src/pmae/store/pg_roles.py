"""Networks as PostgreSQL roles, and the row-level security that lets each see what it may.

Each network that publishes into a shared store logs in with its own role
(``pmae db add-network SLUG``), registered in ``store_networks`` (role -> source slug). Every
table that holds records (each collection's, their full-text and link tables, ``versions``)
has ``FORCE ROW LEVEL SECURITY``, with policies saying in SQL what :mod:`pmae.io.audience`
says in Python of one record:

- a network reads the ``public`` and ``network`` records, its own (its source: the prefix of
  the id; ``private`` ones included), and the ``restricted`` ones whose ``recipients`` name it
  or one of its actors (``slug:…``);
- **needs** are stricter: a network reads only the public ones and its own; another network's
  needs reach it only through the shared diagnosis's protected tables
  (:func:`pmae_shared_diagnosis`);
- it writes (inserts, changes, deletes) only the records of its own source, and no label
  (the label tables are the administrator's: :mod:`pmae.store.pg_labels`);
- any other role, such as ``pmae_public`` (the anonymous reader), reads the public records.

A record published without a ``visibility`` has its collection's default, the model's
(:data:`pmae.store.schema.DEFAULT_VISIBILITY`: ``restricted`` for associations, diagnoses,
needs and referrals): its row's column holds it, and the history's policy reads it.

What a record references (an offer's hidden actor) is the audience filter's business when a
bundle is read (a dump filters as before); the database enforces each record's own visibility.
The store's administrator (the role that makes the store and adds networks) is a superuser or
has ``BYPASSRLS``: it reads and writes everything.

Network roles are granted what they use, table by table, and belong to no other role, so
``SET ROLE`` leads nowhere.
"""

from __future__ import annotations

from typing import Final

from pmae.model import COLLECTIONS
from pmae.store.pg_functions import FUNCTIONS, TRIGGERS
from pmae.store.schema import (
    ADDED_IN,
    DEFAULT_VISIBILITY,
    DEPARTEMENTS,
    FULL_TEXT,
    FULL_TEXT_1,
    LINKS,
    NEED_CELL_INDEX,
    VOCABULARY_TABLES,
    link_table,
    pg_json_numbers,
    quote,
)

__all__ = ["LOG_TRIGGERS", "PUBLIC_ROLE", "after_migration", "grants"]

#: The role of an anonymous reader: public records only.
PUBLIC_ROLE: Final = "pmae_public"

#: The tables a publication adds rows to (and no more) besides the records' (``versions``
#: last: some of its columns only).
_LOGGED: Final = ("publications", "publication_bundles", "publication_sources", "versions")

#: What a network writes of a version: all but its number.
_VERSION_COLUMNS: Final = "id, collection, publication, change, record"


def _functions() -> list[str]:
    """The tables of the networks, the rowids' counter and the shared diagnosis, and the
    functions that read them (:mod:`pmae.store.pg_functions`: names schema-qualified, search
    path pinned)."""
    return [
        "CREATE TABLE store_networks (slug TEXT COLLATE \"C\" PRIMARY KEY, "
        "role TEXT COLLATE \"C\" NOT NULL UNIQUE)",
        # Rowids come from a counter, not max(rowid): a network does not see every row.
        "CREATE TABLE store_rowids (collection TEXT COLLATE \"C\" PRIMARY KEY, "
        "last BIGINT NOT NULL)",
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{PUBLIC_ROLE}') "
        f"THEN CREATE ROLE {PUBLIC_ROLE} NOLOGIN; END IF; END $$",
        # The protected tables of the shared diagnosis, as the administrator computed them
        # (pmae's protection, in Python); networks read them through the functions only.
        "CREATE TABLE shared_diagnoses (name TEXT COLLATE \"C\" PRIMARY KEY, "
        "computed_at TEXT NOT NULL, document JSONB NOT NULL)",
        *FUNCTIONS,
    ]


#: The log's triggers (:data:`pmae.store.pg_functions.TRIGGERS`), which replaced the foreign
#: key ``versions.publication`` (dropped from a store made before them).
LOG_TRIGGERS: Final = (
    *TRIGGERS.values(),
    "ALTER TABLE versions DROP CONSTRAINT IF EXISTS versions_publication_fkey",
)


def _secure(table: str, read: str, write: str) -> list[str]:
    name = quote(table)
    return [
        f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY pmae_read ON {name} FOR SELECT USING ({read})",
        f"CREATE POLICY pmae_insert ON {name} FOR INSERT WITH CHECK ({write})",
        f"CREATE POLICY pmae_update ON {name} FOR UPDATE USING ({write}) WITH CHECK ({write})",
        f"CREATE POLICY pmae_delete ON {name} FOR DELETE USING ({write})",
    ]


#: The network of the session's role, computed once per statement (a scalar subquery is an
#: InitPlan; the function itself would run for every row).
NETWORK: Final = "(SELECT pmae_network())"


def _may_read(source: str, visibility: str, recipients: str) -> str:
    """SQL: whether the session's role may read a record (see the module)."""
    return (f"CASE WHEN {NETWORK} IS NULL THEN {visibility} = 'public' "
            f"ELSE {visibility} IN ('public', 'network') OR {source} = {NETWORK} "
            f"OR ({visibility} = 'restricted' AND pmae_addressed({recipients}, {NETWORK})) END")


def _record_read(collection: str) -> str:
    if collection == "needs":
        return f"visibility = 'public' OR source = {NETWORK}"
    return _may_read("source", "visibility", "recipients")


def _dependent(table: str, collection: str, key: str) -> list[str]:
    """Rows of a record (its links, its full text): seen and written as the record is."""
    parent = quote(collection)
    owner = f"(SELECT source FROM {parent} AS p WHERE p.rowid = {quote(table)}.{key})"
    return _secure(table, f"EXISTS (SELECT 1 FROM {parent} AS p WHERE p.rowid = "
                          f"{quote(table)}.{key})", f"{owner} = {NETWORK}")


def _collection(collection: str) -> list[str]:
    statements = _secure(collection, _record_read(collection), f"source = {NETWORK}")
    # The policies read the source column: it must be the id's, whoever writes the row.
    statements.append(f"ALTER TABLE {quote(collection)} ADD CONSTRAINT "
                      f"{quote(collection + '_source_of_id')} "
                      "CHECK (source = split_part(id, ':', 1))")
    statements.append(
        f"CREATE TRIGGER pmae_rowids AFTER INSERT ON {quote(collection)} REFERENCING NEW "
        "TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION pmae_count_rowids()")
    for owner, field in LINKS:
        if owner == collection:
            statements += _dependent(link_table(collection, field), collection, "record")
    if collection in FULL_TEXT_1:
        statements += _dependent(f"{collection}_fts", collection, "rowid")
    return statements


#: The source of a version of a record (the ``versions`` table has no source column).
_VERSION_SOURCE: Final = "split_part(id, ':', 1)"


def _version_read() -> str:
    """SQL: whether the session's role may read a row of ``versions`` (a record's version,
    whose visibility is in its JSON, or the model's default for its collection)."""
    default = " ".join(f"WHEN '{collection}' THEN '{visibility}'"
                       for collection, visibility in DEFAULT_VISIBILITY.items())
    visibility = (f"coalesce(pmae_jsonb(record)->>'visibility', "
                  f"CASE collection {default} END)")
    return ("record IS NULL OR CASE WHEN collection = 'needs' THEN "
            f"{visibility} = 'public' OR {_VERSION_SOURCE} = {NETWORK} ELSE "
            + _may_read(_VERSION_SOURCE, visibility,
                        "coalesce(pmae_jsonb(record)->>'recipients', '[]')") + " END")


def _default_visibility() -> list[str]:
    """Migration 7: the ``visibility`` column of a record published without one becomes its
    collection's default (versions 1 to 6 wrote ``public``: a need without visibility was
    readable by every network and the anonymous role), and the history's policy reads the
    same default."""
    return [
        *(f"UPDATE {quote(collection)} SET visibility = '{default}' "
          f"WHERE data->>'visibility' IS NULL AND visibility <> '{default}'"
          for collection, default in DEFAULT_VISIBILITY.items()),
        "DROP POLICY pmae_read ON versions",
        f"CREATE POLICY pmae_read ON versions FOR SELECT USING ({_version_read()})",
    ]


def after_migration(number: int) -> list[str]:
    """What PostgreSQL adds after migration ``number`` of :mod:`pmae.store.schema`: the
    networks, the row-level security of the tables it made, the shared diagnosis."""
    if number == 1:
        statements = _functions()
        for collection in COLLECTIONS:
            if ADDED_IN.get(collection, 1) == 1:  # later collections: their own migration
                statements += _collection(collection)
        return statements + _secure("versions", _version_read(), f"{_VERSION_SOURCE} = "
                                    f"{NETWORK}") + \
            _secure("sources", "true", f"slug = {NETWORK}") + list(LOG_TRIGGERS)
    if number == 3:
        return [s for collection in DEPARTEMENTS if ADDED_IN.get(collection, 1) == 1
                for s in _dependent(link_table(collection, "departements"), collection,
                                    "record")]
    if number == 4:
        return _dependent("associations_fts", "associations", "rowid")
    if number == 7:
        return _default_visibility()
    if number == 8:
        # The needs' intensity column, filled from the JSONB; then the index of the cells
        # (made after it: the column's update does not write it).
        return [*pg_json_numbers(8), _NEED_CELL]
    # A migration that adds collections (5: responses, practices) secures their tables.
    return [s for collection, added in ADDED_IN.items() if added == number
            for s in (_collection(collection) + _dependent(
                link_table(collection, "departements"), collection, "record"))]


#: The index of the needs' cells (:data:`pmae.store.schema.NEED_CELL_INDEX`, SQLite's on the
#: three columns): row-level security reads a need's visibility and source (a network reads
#: the public needs and its own), so only with these two in the index is a network's count
#: of the needs a scan of the index alone.
_NEED_CELL: Final = (f"CREATE INDEX {quote(NEED_CELL_INDEX)} ON needs(territory, theme, stage) "
                     "INCLUDE (visibility, source)")


def grants(role: str) -> list[str]:
    """What ``role`` (a network's, or the public's) may do with the tables: read them all
    (row-level security decides which rows), and for a network write what a publication
    writes (the log and the history only grow: no change, no deletion; the label tables are
    the administrator's). Run after every migration and upgrade, for every role, since
    migrations add tables."""
    who = quote(role)
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {who}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {who}",
        f"REVOKE ALL ON shared_diagnoses FROM {who}",
        f"GRANT EXECUTE ON FUNCTION pmae_shared_diagnosis(text) TO {who}",
        f"GRANT EXECUTE ON FUNCTION pmae_shared_diagnosis_computed_at(text) TO {who}",
    ]
    if role == PUBLIC_ROLE:
        return statements
    records = [*COLLECTIONS, *(f"{c}_fts" for c in FULL_TEXT),
               *(link_table(c, f) for c, f in LINKS),
               *(link_table(c, "departements") for c in DEPARTEMENTS)]
    # The label tables are the administrator's (pmae.store.pg_labels): read only, also for
    # the roles of a store made before they were (whose publications wrote them).
    labels = ", ".join(map(quote, ["territories", *VOCABULARY_TABLES]))
    return [
        *statements,
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {labels} FROM {who}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {who}",
        f"GRANT INSERT, UPDATE, DELETE ON {', '.join(map(quote, records))} TO {who}",
        f"GRANT INSERT, UPDATE ON sources TO {who}",
        f"GRANT INSERT ON {', '.join(map(quote, _LOGGED[:-1]))} TO {who}",
        # The versions' numbers are the sequence's only: a number a network chose (the next
        # ones of the sequence) would make later publications fail on it.
        f"REVOKE INSERT ON versions FROM {who}",
        f"GRANT INSERT ({_VERSION_COLUMNS}) ON versions TO {who}",
    ]
