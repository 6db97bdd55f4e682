"""The tables of a store, as data, and the statements that create and migrate them.

Each collection has a table holding the columns queries need (``id``, ``source``,
``visibility``, ``recipients`` and the indexed fields of its kind) and the whole record as
JSON (``record``), so a record reads back byte for byte as it was published. List fields that
queries filter on have link tables (``offers_themes``: one row per offer and theme); codes of
vocabularies and territories point, by foreign key, to label tables (``vocabulary_themes``,
``territories``) that the publication fills from the session. The schema is written here once,
as data, so the PostgreSQL store (:mod:`pmae.store.pg_sql`) derives its own statements from
the same tables.

A schema version (``store_meta.schema_version``) says which migrations ran; :data:`MIGRATIONS`
maps each version to the statements that lead to it from the one before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from typing import Final

import attrs

from pmae.model.bundle import COLLECTIONS

#: The schema version this pmae writes and reads.
SCHEMA_VERSION: Final = 8

#: collection -> the visibility of a record that names none: the model's default (its
#: class's attrs default), which :mod:`pmae.io.audience` applies. The ``visibility`` column
#: holds it for such a record (PostgreSQL's row-level security and the light rows read it).
DEFAULT_VISIBILITY: Final[dict[str, str]] = {
    collection: str(attrs.fields(cls).visibility.default)
    for collection, cls in COLLECTIONS.items()}

#: collection -> ((column, label table or None), …): the indexed single-valued fields.
COLUMNS: Final[dict[str, tuple[tuple[str, str | None], ...]]] = {
    "actors": (("name", None), ("actor_type", "vocabulary_actor_types"),
               ("commune", "territories"), ("siret", None)),
    "offers": (("actor", None), ("title", None), ("delivery", "vocabulary_delivery_modes"),
               ("cost", "vocabulary_costs"), ("valid_from", None), ("valid_until", None)),
    "associations": (("name", None), ("rna", None), ("siren", None), ("siret", None),
                     ("sector", "vocabulary_sectors"), ("size_band", "vocabulary_size_bands"),
                     ("headcount", None), ("commune", "territories")),
    "diagnoses": (("association", None), ("tool", None), ("date", None), ("advisor", None)),
    "needs": (("theme", "vocabulary_themes"), ("origin", "vocabulary_need_origins"),
              ("date", None), ("association", None), ("diagnosis", None),
              ("stage", "vocabulary_stages"), ("priority", None), ("territory", "territories"),
              ("size_band", "vocabulary_size_bands"), ("sector", "vocabulary_sectors"),
              ("status", "vocabulary_need_statuses"), ("intensity", None)),
    "referrals": (("need", None), ("offer", None), ("by", None), ("date", None),
                  ("outcome", "vocabulary_referral_outcomes")),
    "meetings": (("kind", "vocabulary_meeting_kinds"), ("title", None), ("start", None),
                 ("end", None), ("status", "vocabulary_meeting_statuses"),
                 ("commune", "territories")),
    "productions": (("kind", "vocabulary_production_kinds"), ("title", None), ("year", None),
                    ("meeting", None), ("status", "vocabulary_production_statuses")),
    "resources": (("kind", "vocabulary_resource_kinds"), ("title", None), ("publisher", None)),
    "programmes": (("year", None),),
    "responses": (("title", None), ("status", "vocabulary_response_statuses"),
                  ("meeting", None), ("programme", None), ("decided_on", None),
                  ("started_on", None), ("ended_on", None)),
    "practices": (("title", None), ("meeting", None)),
}

#: (collection, column) -> the schema version that added the column to the collection's table
#: (``ALTER TABLE … ADD COLUMN``, after the ones it was created with: a store made today and
#: one upgraded have the same table).
COLUMN_ADDED_IN: Final[dict[tuple[str, str], int]] = {("needs", "intensity"): 8}

#: The columns that hold a number of the record as its JSON text (``3``, ``2.5``): read back
#: with the record's type (an ``int`` stays one) and every digit, on both backends, which a
#: numeric column would not keep (SQLite's ``REAL`` makes ``3.0`` of ``3``; a float written
#: into PostgreSQL's ``numeric`` keeps 15 digits, and ``3.0`` becomes ``3``). ``NULL`` when the
#: record has none.
JSON_NUMBER_COLUMNS: Final = frozenset({"intensity"})

#: collection -> the schema version that created its tables (the others: version 1). A
#: migration only creates what is new at its version, so an older store upgrades in place.
ADDED_IN: Final[dict[str, int]] = {"responses": 5, "practices": 5}

#: (collection, list field) -> label table or None: the link tables ``<collection>_<field>``.
LINKS: Final[dict[tuple[str, str], str | None]] = {
    ("actors", "labels"): "vocabulary_actor_labels",
    ("actors", "networks"): None,
    ("actors", "territories"): "territories",
    ("offers", "themes"): "vocabulary_themes",
    ("offers", "stages"): "vocabulary_stages",
    ("offers", "territories"): "territories",
    ("offers", "size_bands"): "vocabulary_size_bands",
    ("offers", "sectors"): "vocabulary_sectors",
    ("offers", "formats"): "vocabulary_offer_formats",
    ("meetings", "themes"): "vocabulary_themes",
    ("meetings", "organisers"): None,
    ("productions", "themes"): "vocabulary_themes",
    ("resources", "themes"): "vocabulary_themes",
    ("programmes", "priorities"): "vocabulary_themes",
    ("responses", "themes"): "vocabulary_themes",
    ("responses", "stages"): "vocabulary_stages",
    ("responses", "territories"): "territories",
    ("responses", "actors"): None,
    ("responses", "offers"): None,
    ("practices", "themes"): "vocabulary_themes",
    ("practices", "stages"): "vocabulary_stages",
    ("practices", "territories"): "territories",
    ("practices", "actors"): None,
}

#: collection -> the text fields searched in full text (table ``<collection>_fts``);
#: associations' names since version 4.
FULL_TEXT: Final[dict[str, tuple[str, ...]]] = {
    "actors": ("name", "description"),
    "offers": ("title", "description"),
    "associations": ("name",),
}

#: The collections whose full-text tables version 1 made (later ones come with their own
#: migration: associations with version 4).
FULL_TEXT_1: Final = ("actors", "offers")

#: collection -> the territory fields (list or single) its départements come from: the link
#: table ``<collection>_departements`` (version 2) holds, for each record, the départements
#: they cover (a région's, France's, a commune's; see ``Territories.departements``), so that
#: Datasette facets and filters by département whatever the level of the territory named.
DEPARTEMENTS: Final[dict[str, tuple[str, ...]]] = {
    "actors": ("territories",), "offers": ("territories",), "associations": ("commune",),
    "needs": ("territory",), "meetings": ("commune",), "responses": ("territories",),
    "practices": ("territories",),
}


def _label_tables(collections: Iterable[str]) -> set[str]:
    wanted = set(collections)
    return ({table for collection in wanted for _, table in COLUMNS[collection] if table}
            | {table for (owner, _), table in LINKS.items() if owner in wanted and table}
            ) - {"territories"}


def _created_in(version: int) -> list[str]:
    return [collection for collection in COLUMNS if ADDED_IN.get(collection, 1) == version]


#: The label tables of vocabularies: ``vocabulary_<id>`` for each id.
VOCABULARY_TABLES: Final = tuple(sorted(_label_tables(COLUMNS)))

#: The indexed columns holding numbers; every other one holds text (dates as ISO text).
INTEGER_COLUMNS: Final = frozenset({"headcount", "priority", "year"})


def quote(name: str) -> str:
    """An SQL identifier quoted (``by``, ``end`` and ``start`` are keywords)."""
    return '"' + name.replace('"', '""') + '"'


def link_table(collection: str, field: str) -> str:
    """The name of the link table of ``collection``'s list field ``field``."""
    return f"{collection}_{field}"


def _references(table: str | None) -> str:
    return f" REFERENCES {quote(table)}(code)" if table else ""


def _column(name: str, table: str | None) -> str:
    return f"{quote(name)} {'INTEGER' if name in INTEGER_COLUMNS else 'TEXT'}{_references(table)}"


def _collection_statements(collection: str) -> list[str]:
    created = ADDED_IN.get(collection, 1)
    columns = "".join(
        f",\n  {_column(name, table)}" for name, table in COLUMNS[collection]
        if COLUMN_ADDED_IN.get((collection, name), created) <= created)
    statements = [
        f"CREATE TABLE {quote(collection)} (\n"
        "  rowid INTEGER PRIMARY KEY,\n"
        "  id TEXT NOT NULL UNIQUE,\n"
        "  source TEXT NOT NULL,\n"
        "  visibility TEXT NOT NULL,\n"
        "  recipients TEXT NOT NULL"  # a JSON array of network slugs and actor ids
        f"{columns},\n"
        "  record TEXT NOT NULL\n)",
        f"CREATE INDEX {quote(collection + '_source')} ON {quote(collection)}(source)",
    ]
    for name, table in COLUMNS[collection]:
        if table:
            statements.append(f"CREATE INDEX {quote(f'{collection}_{name}')} "
                              f"ON {quote(collection)}({quote(name)})")
    for (owner, field), table in LINKS.items():
        if owner != collection:
            continue
        name = link_table(collection, field)
        statements += [
            f"CREATE TABLE {quote(name)} (\n"
            f"  record INTEGER NOT NULL REFERENCES {quote(collection)}(rowid),\n"
            f"  code TEXT NOT NULL{_references(table)},\n"
            "  PRIMARY KEY (record, code)\n) WITHOUT ROWID",
            f"CREATE INDEX {quote(name + '_code')} ON {quote(name)}(code, record)",
        ]
    if collection in FULL_TEXT_1:
        statements.append(_full_text(collection))
    return statements


def _full_text(collection: str) -> str:
    # Accents folded: "ecole" finds "école"; rowid is the record's rowid.
    return (f"CREATE VIRTUAL TABLE {quote(collection + '_fts')} USING "
            f"fts5({', '.join(FULL_TEXT[collection])}, "
            "tokenize='unicode61 remove_diacritics 2')")


def _version_1() -> list[str]:
    statements = [
        "CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE territories (code TEXT PRIMARY KEY, level TEXT NOT NULL, name TEXT, "
        "parent TEXT)",
    ]
    statements += _label_statements(sorted(_label_tables(_created_in(1))))
    statements += [
        # One row per run of `pmae publish`; its bundles, and the sources each carried.
        "CREATE TABLE publications (\n  number INTEGER PRIMARY KEY,\n"
        "  published_at TEXT NOT NULL,\n  pmae_version TEXT NOT NULL,\n"
        "  added INTEGER NOT NULL,\n  changed INTEGER NOT NULL,\n"
        "  unchanged INTEGER NOT NULL,\n  withdrawn INTEGER NOT NULL\n)",
        "CREATE TABLE publication_bundles (\n"
        "  publication INTEGER NOT NULL REFERENCES publications(number),\n"
        "  position INTEGER NOT NULL,\n  file TEXT,\n  sha256 TEXT NOT NULL,\n"
        "  source TEXT NOT NULL,\n  generated_at TEXT NOT NULL,\n  records INTEGER NOT NULL,\n"
        "  envelope TEXT NOT NULL,\n  PRIMARY KEY (publication, position)\n)",
        # The sources a bundle carried: its own and those of its records' ids.
        "CREATE TABLE publication_sources (\n"
        "  publication INTEGER NOT NULL,\n  position INTEGER NOT NULL,\n"
        "  source TEXT NOT NULL,\n  PRIMARY KEY (publication, position, source),\n"
        "  FOREIGN KEY (publication, position) REFERENCES publication_bundles\n)",
        # The latest publication that carried each source: its records are the current ones.
        "CREATE TABLE sources (slug TEXT PRIMARY KEY, "
        "publication INTEGER NOT NULL REFERENCES publications(number))",
        # Every version of every record, as published; a withdrawal has no record.
        "CREATE TABLE versions (\n  number INTEGER PRIMARY KEY,\n  id TEXT NOT NULL,\n"
        "  collection TEXT NOT NULL,\n"
        "  publication INTEGER NOT NULL REFERENCES publications(number),\n"
        "  change TEXT NOT NULL CHECK (change IN ('added', 'changed', 'withdrawn')),\n"
        "  record TEXT\n)",
        "CREATE INDEX versions_id ON versions(id, number)",
    ]
    for collection in _created_in(1):
        statements += _collection_statements(collection)
    return statements


def _label_statements(tables: Iterable[str]) -> list[str]:
    return [f"CREATE TABLE {quote(table)} (code TEXT PRIMARY KEY, label TEXT, label_en TEXT)"
            for table in tables]


#: collection -> indexed columns without a label table that reading from the store looks up:
#: what orients one association (its diagnoses, needs and their referrals, the offers' actors)
#: without reading a whole collection.
LOOKUPS: Final[dict[str, tuple[str, ...]]] = {
    "offers": ("actor",),
    "diagnoses": ("association",),
    "needs": ("association", "diagnosis"),
    "referrals": ("need",),
}


def _version_2() -> list[str]:
    return [f"CREATE INDEX IF NOT EXISTS {quote(f'{collection}_{name}')} "
            f"ON {quote(collection)}({quote(name)})"
            for collection, names in LOOKUPS.items() for name in names]


def _version_3() -> list[str]:
    """The départements link tables, filled from what a store of an earlier version holds: a
    département named, a commune's département (a région's come with the record's next
    publication: the territories table does not list a région's départements)."""
    statements = []
    for collection in _created_in(1):
        fields = DEPARTEMENTS.get(collection, ())
        if not fields:
            continue
        name = quote(link_table(collection, "departements"))
        statements += _departements_statements(collection)
        for field in fields:
            named = (f"SELECT record, code FROM {quote(link_table(collection, field))}"
                     if (collection, field) in LINKS else
                     f"SELECT rowid AS record, {quote(field)} AS code FROM {quote(collection)}")
            statements.append(
                f"INSERT OR IGNORE INTO {name} (record, code) "
                "SELECT n.record, CASE t.level WHEN 'dep' THEN t.code ELSE t.parent END "
                f"FROM ({named}) AS n JOIN territories AS t ON t.code = n.code "
                "WHERE t.level = 'dep' OR (t.level = 'com' AND t.parent LIKE 'dep:%')")
    return statements


def _departements_statements(collection: str) -> list[str]:
    name = quote(link_table(collection, "departements"))
    return [
        f"CREATE TABLE {name} (\n"
        f"  record INTEGER NOT NULL REFERENCES {quote(collection)}(rowid),\n"
        "  code TEXT NOT NULL REFERENCES territories(code),\n"
        "  PRIMARY KEY (record, code)\n) WITHOUT ROWID",
        f"CREATE INDEX {quote(link_table(collection, 'departements') + '_code')} "
        f"ON {name}(code, record)",
    ]


def _version_4() -> list[str]:
    """Full-text search on associations' names, filled from what the store holds (made
    again if a store marked older holds one already)."""
    return ["DROP TABLE IF EXISTS associations_fts", _full_text("associations"),
            "INSERT INTO associations_fts (rowid, name) SELECT rowid, name FROM associations"]


def _version_5() -> list[str]:
    """Format 1.1's collections (responses and practices): their tables, empty (no record of
    an earlier store is one of them), and the label tables only they point to."""
    created = _created_in(5)
    statements = _label_statements(sorted(_label_tables(created) - _label_tables(_created_in(1))))
    for collection in created:
        statements += _collection_statements(collection) + _departements_statements(collection)
    return statements


def _version_6() -> list[str]:
    """Names for the references between records, for Datasette (SQLite only; see
    :mod:`pmae.store.names`)."""
    from pmae.store.names import names_statements  # it reads the tables above

    return names_statements()


def _version_7() -> list[str]:
    """The ``visibility`` column of a record published without one: the model's default for
    its collection (:data:`DEFAULT_VISIBILITY`), not ``public`` as versions 1 to 6 wrote it
    (a need, an association, a diagnosis or a referral is ``restricted``). SQLite's
    statements; PostgreSQL's are :func:`pmae.store.pg_roles.after_migration`'s (with the
    history's policy)."""
    from pmae.store.names import SQLITE_ONLY

    return [f"{SQLITE_ONLY}UPDATE {quote(collection)} SET visibility = '{default}' "
            "WHERE json_extract(record, '$.visibility') IS NULL "
            f"AND visibility <> '{default}'"
            for collection, default in DEFAULT_VISIBILITY.items()]


#: The index coverage's count of the needs by territory, theme and stage reads (version 8):
#: the grouping is a scan of the index alone, in its order, without the records' rows.
NEED_CELL_INDEX: Final = "needs_cell"


def json_number(field: str, *, sqlite_version: tuple[int, ...] = sqlite3.sqlite_version_info
                ) -> str:
    """SQLite: the number ``field`` of the record as its JSON text (``NULL`` when the record
    has none or another type), as :data:`JSON_NUMBER_COLUMNS` hold it."""
    text = (f"(record -> '$.{field}')" if sqlite_version >= (3, 38) else
            f"json_quote(json_extract(record, '$.{field}'))")  # older SQLite: no "->"
    return (f"CASE WHEN json_type(record, '$.{field}') IN ('integer', 'real') "
            f"THEN {text} END")


def _version_8() -> list[str]:
    """The reads of coverage and of the shared diagnosis at national scale: the index of the
    needs by territory, theme and stage (:data:`NEED_CELL_INDEX`), and the columns of
    :data:`COLUMN_ADDED_IN` (a need's ``intensity``, as JSON text), filled set-wise from the
    records. SQLite's statements; PostgreSQL fills the column from its JSONB and makes its own
    index (:func:`pmae.store.pg_roles.after_migration`)."""
    from pmae.store.names import SQLITE_ONLY

    statements = [f"{SQLITE_ONLY}CREATE INDEX {quote(NEED_CELL_INDEX)} "
                  "ON needs(territory, theme, stage)"]
    for (collection, name), version in COLUMN_ADDED_IN.items():
        if version != 8:
            continue
        table = dict(COLUMNS[collection])[name]
        statements.append(f"ALTER TABLE {quote(collection)} ADD COLUMN {_column(name, table)}")
        if name in JSON_NUMBER_COLUMNS:
            statements.append(f"{SQLITE_ONLY}UPDATE {quote(collection)} SET {quote(name)} = "
                              f"{json_number(name)}")
    return statements


def pg_json_numbers(version: int) -> list[str]:
    """PostgreSQL's statements that fill the columns of :data:`JSON_NUMBER_COLUMNS` migration
    ``version`` adds, from the record's JSONB (``data``), set-wise."""
    return [f"UPDATE {quote(collection)} SET {quote(name)} = (data -> '{name}')::text "
            f"WHERE jsonb_typeof(data -> '{name}') = 'number'"
            for (collection, name), added in COLUMN_ADDED_IN.items()
            if added == version and name in JSON_NUMBER_COLUMNS]


#: version -> the statements leading to it from the version before (0: an empty file).
MIGRATIONS: Final[dict[int, Callable[[], list[str]]]] = {
    1: _version_1, 2: _version_2, 3: _version_3, 4: _version_4, 5: _version_5, 6: _version_6,
    7: _version_7, 8: _version_8,
}
