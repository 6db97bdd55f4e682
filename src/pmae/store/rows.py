"""Writing records' rows, in batches: the collection's row, its link rows, its full text, and
the labels they point to."""

from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from pmae.store.backend import Connection
from pmae.store.schema import (
    COLUMNS,
    DEFAULT_VISIBILITY,
    DEPARTEMENTS,
    FULL_TEXT,
    JSON_NUMBER_COLUMNS,
    LINKS,
    VOCABULARY_TABLES,
    link_table,
    quote,
)

if TYPE_CHECKING:
    from pmae.territories import Territories
    from pmae.vocab import Vocabulary

__all__ = ["Departements", "Labels", "Referentials", "labelled", "put_rows", "remove_rows",
           "write_labels"]


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
        # Where a number is written as its JSON text (schema.JSON_NUMBER_COLUMNS).
        "numbers": [4 + at for at, (name, _) in enumerate(COLUMNS[collection])
                    if name in JSON_NUMBER_COLUMNS],
        "text": text,
        # A record without visibility has the model's default, as pmae.io.audience reads it
        # (and PostgreSQL's row-level security reads this column).
        "visibility": DEFAULT_VISIBILITY[collection],
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


class Departements:
    """The départements each territory code covers (France and a région: theirs; a
    département: itself; a commune: its own; see ``Territories.departements``), each code
    looked up once: a national bundle names a few tens of thousands of places a million
    times. One per publication, so the départements it first meets are labelled."""

    def __init__(self, territories: Territories) -> None:
        self.territories = territories
        self.known: dict[str, tuple[str, ...]] = {}

    def __call__(self, code: str) -> tuple[str, ...]:
        """The départements ``code`` covers (none for an unknown code)."""
        found = self.known.get(code)
        if found is None:
            territories = self.territories
            found = self.known[code] = (territories.departements(code)
                                        if territories.exists(code) else ())
        return found


def put_rows(connection: Connection, collection: str,
             records: Sequence[tuple[dict[str, Any], str, int | None]], *,
             labels: Labels | None = None, departements: Departements | None = None,
             first: int | None = None) -> int:
    """Insert (rowid ``None``: the next free ones, in order) or update each record's row, then
    write its link and full-text rows (removed beforehand with :func:`remove_rows`).

    :param labels: write first the labels of the codes the rows use that ``labels`` has not
        written yet (else the caller wrote them).
    :param departements: the départements of the records' territory fields, for the
        ``<collection>_departements`` rows; without it, each record's own ``departements``
        field (:func:`pmae.store.derived.with_departements`).
    :param first: the rowid of the first inserted row, when the caller keeps them (else the
        one after the collection's last).
    :returns: the first rowid given to an inserted row (the others follow it, in order)."""
    if not records:
        return 0
    sql = _statements(collection)
    if first is None:
        (next_rowid,) = connection.execute(
            f"SELECT coalesce(max(rowid), 0) + 1 FROM {quote(collection)}").fetchone()
        first = int(next_rowid)
    next_rowid = first
    inserts, updates, texts = [], [], []
    links: dict[str, list[tuple[int, str]]] = {field: [] for field in sql["links"]}
    places: tuple[str, ...] = ()
    if departements is not None and collection in DEPARTEMENTS:
        places = DEPARTEMENTS[collection]
        covered = links.pop("departements")
    names, text_fields, full_text = sql["names"], sql["text"], bool(sql["fts"])
    visibility, numbers = sql["visibility"], sql["numbers"]
    dumps = orjson.dumps
    # A million records at national scale: the loop keeps to local names and C calls.
    known = departements.known if departements is not None else {}
    for record, text, rowid in records:
        get = record.get
        record_id = record["id"]
        recipients = get("recipients")
        values = [record_id, record_id.partition(":")[0], get("visibility", visibility),
                  "[]" if recipients is None else dumps(recipients).decode(),
                  *map(get, names), text]
        for at in numbers:
            if values[at] is not None:
                values[at] = dumps(values[at]).decode()
        if rowid is None:
            rowid, next_rowid = next_rowid, next_rowid + 1
            values.insert(0, rowid)
            inserts.append(values)
        else:
            values.append(rowid)
            updates.append(values)
        for field, found in links.items():
            codes = get(field)
            if codes:
                found.extend([(rowid, code) for code in codes])
        if places:
            covers: tuple[str, ...] | set[str] = ()
            for field in places:
                value = get(field)
                if not value:
                    continue
                for code in value if isinstance(value, list) else (value,):
                    found_here = known.get(code) or departements(code)  # type: ignore[misc]
                    covers = found_here if not covers else {*covers, *found_here}
            if covers:
                covered.extend([(rowid, code) for code in covers])
        if full_text:
            texts.append([rowid, *map(get, text_fields)])
    if places:
        links["departements"] = covered
    if labels is not None:
        labels.add_columns(collection, [record for record, _, _ in records], links)
    connection.executemany(sql["insert"], inserts)
    connection.executemany(sql["update"], updates)
    for field, (insert, _) in sql["links"].items():
        connection.executemany(insert, links[field])
    if sql["fts"]:
        connection.executemany(sql["fts"][0], texts)
    return first


def write_labels(connection: Connection,
                  written: Sequence[tuple[str, dict[str, Any]]],
                  session: Referentials) -> None:
    """Fill the label tables the written records point to: every term of the session's
    vocabularies (labels refreshed), any other code they use (an open vocabulary's), and the
    territories they name with their ancestors."""
    Labels(connection, session).add(written)


class Labels:
    """The label tables of one publication, filled as records are written: every term of the
    session's vocabularies at once (labels refreshed), then, batch by batch, the codes the
    records use that were not written yet (an open vocabulary's, territories with their
    ancestors), before the rows that point to them by foreign key. On a connection that does
    not write labels (a network's role on PostgreSQL: they are the administrator's, see
    :mod:`pmae.store.pg_labels`) it writes nothing."""

    def __init__(self, connection: Connection, session: Referentials) -> None:
        self.connection = connection
        self.session = session
        self.known: dict[str, set[str]] = {}
        #: The territories a bulk load's records name (:meth:`gather_records`), labelled by
        #: :meth:`write_gathered` at its end: on PostgreSQL, which sends no other statement
        #: between its batches.
        self._gathered: dict[str, set[str]] = {}
        self.active: bool = getattr(connection, "writes_labels", True)
        if not self.active:
            return
        for table in VOCABULARY_TABLES:
            vocabulary = session.vocabularies.get(table.removeprefix("vocabulary_"))
            terms = vocabulary.terms if vocabulary is not None else ()
            self.known[table] = {t.code for t in terms}
            self._upsert(table, [(t.code, t.label_fr, t.label_en) for t in terms])
        self.known["territories"] = set()

    def _upsert(self, table: str, rows: Sequence[tuple[str, str | None, str | None]]) -> None:
        self.connection.executemany(
            f"INSERT INTO {quote(table)} (code, label, label_en) VALUES (?, ?, ?) "
            "ON CONFLICT (code) DO UPDATE SET label = excluded.label, "
            "label_en = excluded.label_en", rows)

    def add(self, written: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Write the labels of the codes ``written`` records use that are not written yet."""
        if not self.active:
            return
        grouped: dict[str, list[dict[str, Any]]] = {}
        for collection, record in written:
            grouped.setdefault(collection, []).append(record)
        used: dict[str, set[str]] = {table: set() for table in self.known}
        for collection, records in grouped.items():
            self._used(collection, records, used)
        self._write(used)

    def add_stored(self, collections: Iterable[str]) -> None:
        """:meth:`add` for every row of ``collections`` already written: a bulk load (its
        foreign keys checked at its end) writes its rows first, then their labels, one
        ``SELECT DISTINCT`` per column or link table (a scan of its index)."""
        if not self.active:
            return
        used: dict[str, set[str]] = {table: set() for table in self.known}
        for collection in collections:
            singles, lists = labelled(collection)
            for name, table in singles:
                used[table].update(code for (code,) in self.connection.execute(
                    f"SELECT DISTINCT {quote(name)} FROM {quote(collection)} "
                    f"WHERE {quote(name)} IS NOT NULL"))
            for field, table in lists:
                used[table].update(code for (code,) in self.connection.execute(
                    f"SELECT DISTINCT code FROM {quote(link_table(collection, field))}"))
        self._write(used)

    def gather_records(self, collection: str, records: Sequence[dict[str, Any]],
                       links: Mapping[str, Sequence[tuple[int, str]]],
                       places: Mapping[str, Sequence[str]]) -> None:
        """Gather the territories the records of ``collection`` about to be inserted name
        (their labels written by :meth:`write_gathered`): ``links``, the link rows of their
        list fields; ``places``, the départements of the places they name that were not
        gathered before.

        The codes of vocabulary fields are not gathered: the records are validated (a bulk
        load writes nothing of a bundle found invalid), and validation refuses a code its
        vocabulary lacks (``unknown-code``, :mod:`pmae.io.checks`), so each is one of the
        terms written when the publication began (a national bundle: ten million codes
        looked at for none)."""
        if not self.active:
            return
        singles, lists = labelled(collection)
        found = self._gathered.setdefault("territories", set())
        for name, table in singles:
            if table == "territories":
                found.update(filter(None, [record.get(name) for record in records]))
        for field, table in lists:
            if table != "territories":
                continue
            if field == "departements":
                for covered in places.values():
                    found.update(covered)
            else:
                found.update(map(operator.itemgetter(1), links.get(field, ())))

    def write_gathered(self) -> None:
        """Write the labels of the territories gathered (:meth:`gather_records`)."""
        gathered, self._gathered = self._gathered, {}
        self._write({table: {code for code in gathered.get(table, ()) if code is not None}
                     for table in self.known})

    def add_records(self, collection: str, records: Sequence[dict[str, Any]]) -> None:
        """:meth:`add` for records of one collection."""
        if not self.active:
            return
        used: dict[str, set[str]] = {table: set() for table in self.known}
        self._used(collection, records, used)
        self._write(used)

    def add_columns(self, collection: str, records: Sequence[dict[str, Any]],
                    links: Mapping[str, Sequence[tuple[int, str]]]) -> None:
        """:meth:`add_records` for rows about to be written: the single fields read from the
        records, the list fields (and the départements) from their link rows."""
        if not self.active:
            return
        found: dict[str, set[str | None]] = {table: set() for table in self.known}
        singles, lists = labelled(collection)
        get: Any = dict.get  # (mypy cannot pick one of its overloads for map)
        for name, table in singles:  # column by column, in C: a batch is thousands of rows
            found[table].update(map(get, records, itertools.repeat(name)))
        for field, table in lists:
            found[table].update(map(operator.itemgetter(1), links.get(field, ())))
        self._write({table: {code for code in codes if code is not None}
                     for table, codes in found.items()})

    @staticmethod
    def _used(collection: str, records: Sequence[dict[str, Any]],
              used: dict[str, set[str]]) -> None:
        singles, lists = labelled(collection)
        for name, table in singles:
            used[table].update([value for record in records
                                if (value := record.get(name)) is not None])
        for field, table in lists:
            used[table].update(itertools.chain.from_iterable(
                [record.get(field) or () for record in records]))

    def _write(self, used: dict[str, set[str]]) -> None:
        for table in VOCABULARY_TABLES:
            new = used[table] - self.known[table]
            self.known[table].update(new)
            self._upsert(table, [(code, None, None) for code in sorted(new)])
        territories = self.session.territories
        codes = used["territories"] - self.known["territories"]
        for code in list(codes):
            if territories.exists(code):
                codes.update(territories.ancestors(code))
        codes -= self.known["territories"]
        self.known["territories"].update(codes)
        places = []
        for code in sorted(codes):
            exists = territories.exists(code)
            parents = territories.parents(code) if exists else ()
            places.append((code, code.partition(":")[0] if ":" in code else code,
                           territories.name(code) if exists else None,
                           parents[0] if parents else None))
        self.connection.executemany(
            "INSERT INTO territories (code, level, name, parent) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (code) DO UPDATE SET name = excluded.name, parent = excluded.parent",
            places)


@functools.cache
def labelled(collection: str) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """The single and the list fields of ``collection``'s rows that point to a label table."""
    singles = tuple((name, table) for name, table in COLUMNS[collection] if table)
    lists = tuple((field, table) for (owner, field), table in LINKS.items()
                  if owner == collection and table)
    if collection in DEPARTEMENTS:
        lists += (("departements", "territories"),)
    return singles, lists
