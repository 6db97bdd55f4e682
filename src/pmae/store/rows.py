"""Writing records' rows, in batches: the collection's row, its link rows, its full text, and
the labels they point to."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from pmae.store.backend import Connection
from pmae.store.schema import (
    COLUMNS,
    DEPARTEMENTS,
    FULL_TEXT,
    LINKS,
    VOCABULARY_TABLES,
    link_table,
    quote,
)

if TYPE_CHECKING:
    from pmae.territories import Territories
    from pmae.vocab import Vocabulary

__all__ = ["Referentials", "put_rows", "remove_rows", "write_labels"]


class Referentials(Protocol):
    """Where labels come from: a :class:`~pmae.sessions.Session`, or an exporter's context."""

    @property
    def vocabularies(self) -> Mapping[str, Vocabulary]:
        """Every vocabulary, by id."""

    @property
    def territories(self) -> Territories:
        """The territories, with their names and parents."""


@functools.cache
def _statements(collection: str) -> dict[str, Any]:
    """The statements that write ``collection``'s rows, made once."""
    table = quote(collection)
    columns = ["id", "source", "visibility", "recipients",
               *(name for name, _ in COLUMNS[collection]), "record"]
    fields = [field for owner, field in LINKS if owner == collection]
    if collection in DEPARTEMENTS:  # filled from the record's "departements" (derived)
        fields.append("departements")
    text = FULL_TEXT.get(collection, ())
    fts = quote(collection + "_fts")
    return {
        "insert": f"INSERT INTO {table} (rowid, {', '.join(map(quote, columns))}) "
                  f"VALUES (?, {', '.join('?' * len(columns))})",
        "update": f"UPDATE {table} SET {', '.join(f'{quote(c)} = ?' for c in columns)} "
                  "WHERE rowid = ?",
        "delete": f"DELETE FROM {table} WHERE rowid = ?",
        "links": {field: (f"INSERT OR IGNORE INTO {quote(link_table(collection, field))} "
                          "(record, code) VALUES (?, ?)",
                          f"DELETE FROM {quote(link_table(collection, field))} "
                          "WHERE record = ?") for field in fields},
        "fts": (f"INSERT INTO {fts} (rowid, {', '.join(text)}) "
                f"VALUES (?, {', '.join('?' * len(text))})",
                f"DELETE FROM {fts} WHERE rowid = ?") if text else None,
        "names": [name for name, _ in COLUMNS[collection]],
        "text": text,
    }


def remove_rows(connection: Connection, collection: str, rowids: Sequence[int], *,
                keep: bool = False) -> None:
    """Delete the link and full-text rows of ``rowids`` (and the rows, unless ``keep``)."""
    if not rowids:
        return
    sql = _statements(collection)
    parameters = [(rowid,) for rowid in rowids]
    for _, delete in sql["links"].values():
        connection.executemany(delete, parameters)
    if sql["fts"]:
        connection.executemany(sql["fts"][1], parameters)
    if not keep:
        connection.executemany(sql["delete"], parameters)


def put_rows(connection: Connection, collection: str,
             records: Sequence[tuple[dict[str, Any], str, int | None]]) -> None:
    """Insert (rowid ``None``: the next free ones, in order) or update each record's row, then
    write its link and full-text rows (removed beforehand with :func:`remove_rows`)."""
    if not records:
        return
    sql = _statements(collection)
    (next_rowid,) = connection.execute(
        f"SELECT coalesce(max(rowid), 0) + 1 FROM {quote(collection)}").fetchone()
    inserts, updates, texts = [], [], []
    links: dict[str, list[tuple[int, str]]] = {field: [] for field in sql["links"]}
    for record, text, rowid in records:
        record_id = record["id"]
        values = [record_id, record_id.partition(":")[0], record.get("visibility", "public"),
                  orjson.dumps(record.get("recipients", [])).decode(),
                  *(record.get(name) for name in sql["names"]), text]
        if rowid is None:
            rowid, next_rowid = next_rowid, next_rowid + 1
            inserts.append([rowid, *values])
        else:
            updates.append([*values, rowid])
        for field, found in links.items():
            found.extend((rowid, code) for code in record.get(field, ()))
        if sql["fts"]:
            texts.append([rowid, *(record.get(field) for field in sql["text"])])
    connection.executemany(sql["insert"], inserts)
    connection.executemany(sql["update"], updates)
    for field, (insert, _) in sql["links"].items():
        connection.executemany(insert, links[field])
    if sql["fts"]:
        connection.executemany(sql["fts"][0], texts)


def write_labels(connection: Connection,
                  written: Sequence[tuple[str, dict[str, Any]]],
                  session: Referentials) -> None:
    """Fill the label tables the written records point to: every term of the session's
    vocabularies (labels refreshed), any other code they use (an open vocabulary's), and the
    territories they name with their ancestors."""
    used: dict[str, set[str]] = {}
    for collection, record in written:
        for name, table in COLUMNS[collection]:
            if table and record.get(name) is not None:
                used.setdefault(table, set()).add(record[name])
        for (owner, field), table in LINKS.items():
            if owner == collection and table and record.get(field):
                used.setdefault(table, set()).update(record[field])
        if collection in DEPARTEMENTS:
            used.setdefault("territories", set()).update(record.get("departements", ()))
    for table in VOCABULARY_TABLES:
        vocabulary = session.vocabularies.get(table.removeprefix("vocabulary_"))
        terms = vocabulary.terms if vocabulary is not None else ()
        rows: list[tuple[str, str | None, str | None]] = [
            (t.code, t.label_fr, t.label_en) for t in terms]
        known = {t.code for t in terms}
        rows += [(code, None, None) for code in sorted(used.get(table, set()) - known)]
        connection.executemany(
            f"INSERT INTO {quote(table)} (code, label, label_en) VALUES (?, ?, ?) "
            "ON CONFLICT (code) DO UPDATE SET label = excluded.label, "
            "label_en = excluded.label_en", rows)
    territories = session.territories
    codes = set(used.get("territories", set()))
    for code in list(codes):
        if territories.exists(code):
            codes.update(territories.ancestors(code))
    places = []
    for code in sorted(codes):
        exists = territories.exists(code)
        parents = territories.parents(code) if exists else ()
        places.append((code, code.partition(":")[0] if ":" in code else code,
                       territories.name(code) if exists else None,
                       parents[0] if parents else None))
    connection.executemany(
        "INSERT INTO territories (code, level, name, parent) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (code) DO UPDATE SET name = excluded.name, parent = excluded.parent",
        places)
