"""Rows of cells -> a bundle document, every issue at its table, row and column.

The core the CSV and the XLSX importers share: they turn files or sheets into rows of cells
written as CSV cells are (:mod:`.cells`), and this builds the document. Headers may be the
technical names or the French labels (:mod:`.labels`); spreadsheet habits are mended or
refused cell by cell (:mod:`.habits`). Tables without the envelope make a *partial* document
(:attr:`pmae.plugins.items.ImportResult.partial`), which can update a bundle but not make one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

import attrs

from pmae.default_plugins.csv_tables.cells import ABSENT, NUMBER_PATTERN, parse_cell
from pmae.default_plugins.csv_tables.habits import Note, mend_cell
from pmae.default_plugins.csv_tables.labels import header_key, header_names
from pmae.default_plugins.csv_tables.layout import Table, layout
from pmae.i18n import gettext as _
from pmae.io.csv_reader import unprotect
from pmae.issues import Issue
from pmae.jsonpath import json_path, parse_path
from pmae.plugins.items import ImportResult

_VALUE_TYPES: Final = ("number", "string", "null")

#: A table's rows of cells, header first.
Rows = list[list[str]]
Place = tuple[str, int | None, Table | None]


def _csv_name(table: Table) -> str:
    return table.file


def _same_column(table: Table, name: str, position: int) -> str:
    return name


@attrs.define(kw_only=True)
class TableReader:
    """The state of one import: issues, the document being built, where each part came from.

    ``prefix`` starts the importer's own issue codes (``csv:bad-value``); ``name`` says a
    table in messages and issues (``offers.csv``, ``classeur.xlsx[offers]``); ``shown`` says a
    column (its name, or the header as written with its letter).
    """

    prefix: str = "csv"
    name: Callable[[Table], str] = _csv_name
    shown: Callable[[Table, str, int], str] = _same_column
    issues: list[Issue] = attrs.field(factory=list)
    places: dict[tuple[str | int, ...], Place] = attrs.field(factory=dict)
    #: The columns each table's header gave, by table file: where they are in its rows.
    positions: dict[str, dict[str, int]] = attrs.field(factory=dict)
    #: Notes on cells made before the document was built (an XLSX cell's type), by (table
    #: file, row, position): reported with the cell's JSON path when the cell is read.
    pending: dict[tuple[str, int, int], Note] = attrs.field(factory=dict)

    def issue(self, code: str, message: str, *, file: str | None, row: int | None = None,
              column: str | None = None, path: str = "$", severity: str = "error",
              hint: str | None = None) -> None:
        """Report one issue; ``code`` without the prefix is the reader's own."""
        code = code if ":" in code or code in _SHARED_CODES else f"{self.prefix}:{code}"
        self.issues.append(Issue(code=code, severity=severity, path=path, message=message,
                                 hint=hint, file=file, line=row, column=column))

    def note(self, table: Table, number: int, position: int, note: Note,
             path: str = "$") -> None:
        """Report a note on the cell at ``number``, ``position`` of ``table``."""
        names = {p: n for n, p in self.positions.get(table.file, {}).items()}
        self.issue(note.code, note.message, file=self.name(table), row=number,
                   column=self.shown(table, names.get(position, ""), position), path=path,
                   severity=note.severity, hint=note.hint)

    def column(self, table: Table, name: str) -> str:
        """How issues name the column ``name`` of ``table``."""
        position = self.positions.get(table.file, {}).get(name)
        return name if position is None else self.shown(table, name, position)

    def header(self, table: Table, rows: Rows) -> dict[str, int] | None:
        """Column name -> position; reports unknown, repeated and missing columns.

        A header may be the column's name or its French label.
        """
        accepted = header_names(table)
        positions: dict[str, int] = {}
        where = self.name(table)
        for position, raw in enumerate(rows[0] if rows else []):
            written = raw.strip()
            if not written and not any(position < len(row) and row[position] for row in rows):
                continue  # spreadsheets often end the header with a stray delimiter
            name = accepted.get(header_key(written))
            if name is not None and name in positions:
                self.issue("duplicate-column", _("column {name} appears twice").format(
                               name=repr(written)),
                           file=where, row=1, column=written)
            elif name is None:
                self.issue("unknown-column", _("{table} has no column {name}").format(
                               table=where, name=repr(written)),
                           file=where, row=1, column=written,
                           hint=_("remove the column or fix its name; columns: {columns}")
                           .format(columns=", ".join(table.header())))
            else:
                positions[name] = position
        self.positions[table.file] = positions
        needed = [n for n in (table.parent_column, table.key_column) if n]
        needed += ["value"] if table.shape == "entries" else []
        missing = [n for n in needed if n not in positions]
        for name in missing:
            self.issue("missing-column", _("{table} needs a column {name}").format(
                           table=where, name=repr(name)),
                       file=where, row=1, column=name)
        return None if missing else positions

    def fill(self, table: Table, target: dict[str, Any], row: list[str], number: int,
             positions: Mapping[str, int], path: list[str | int]) -> None:
        """Put the cells of ``row`` for ``table.columns`` into ``target``."""
        where = self.name(table)
        for column in table.columns:
            position = positions.get(column.name)
            if position is None or position >= len(row):
                continue
            at = json_path([*path, *column.keys])
            shown = self.shown(table, column.name, position)
            earlier = self.pending.pop((table.file, number, position), None)
            cell, notes = mend_cell(row[position], column)
            # A cell mended twice (a number that was text, then a lost zero) says the last.
            notes = notes or ([earlier] if earlier is not None else [])
            for note in notes:
                self.issue(note.code, note.message, file=where, row=number, column=shown,
                           path=at, severity=note.severity, hint=note.hint)
            if any(note.severity == "error" for note in notes):
                continue
            value, error = parse_cell(cell, column)
            if error:
                self.issue("bad-value", error, file=where, row=number, column=shown, path=at)
                if value is None:
                    continue
            if value is ABSENT:
                continue
            inner = target
            for key in column.keys[:-1]:
                inner = inner.setdefault(key, {})
            inner[column.keys[-1]] = value

    def entry_value(self, table: Table, row: list[str], number: int,
                    positions: Mapping[str, int], path: list[str | int]) -> Any:
        """The value of one row of a table of named values (``ABSENT`` when unusable)."""
        assert table.value is not None
        cell = _cell(row, positions, "value")
        kind = table.value.kind
        where = self.name(table)
        earlier = self.pending.pop((table.file, number, positions.get("value", -1)), None)
        if earlier is not None:
            self.note(table, number, positions["value"], earlier, json_path(path))
            if earlier.severity == "error":
                return ABSENT
        if kind == "mixed":
            declared = _cell(row, positions, "type").strip()
            if declared and declared not in _VALUE_TYPES:
                self.issue("bad-value", _("type {type} is not one of {types}").format(
                           type=repr(declared), types=", ".join(_VALUE_TYPES)),
                           file=where, row=number,
                           column=self.column(table, "type"), path=json_path(path))
                return ABSENT
            kind = declared or _guess_type(cell)
            if kind == "null":
                return None
            if cell == "" and kind == "string":
                cell = "'"  # hand-written: a string type with an empty cell is the empty text
        value, error = parse_cell(cell, attrs.evolve(table.value, kind=kind))
        if error:
            self.issue("bad-value", error, file=where, row=number,
                       column=self.column(table, "value"), path=json_path(path))
            return ABSENT
        return value


#: Codes shared by every reader (pmae's catalogue), never prefixed.
_SHARED_CODES: Final = frozenset({"invalid-encoding", "file-not-found"})


def _cell(row: list[str], positions: Mapping[str, int], name: str) -> str:
    position = positions.get(name)
    return row[position] if position is not None and position < len(row) else ""


def _guess_type(cell: str) -> str:
    if cell == "":
        return "null"
    return "number" if NUMBER_PATTERN.fullmatch(unprotect(cell).strip()) else "string"


def build_document(reader: TableReader, tables: Mapping[str, Rows | None],
                   *, envelope_hint: str) -> ImportResult:
    """The document of ``tables`` (by table file; ``None``: present but unreadable, already
    reported), as an :class:`ImportResult`.

    Without the envelope table, the result is partial: its document holds the collections
    read, and ``partial`` is the issue saying what is missing.
    """
    document: dict[str, Any] = {}
    ids: dict[str, dict[str, int]] = {}
    fields: dict[str, set[str]] = {}
    envelope_read = False
    # The layout puts each collection before its nested tables, whose rows look parents up.
    for table in layout():
        present = table.file in tables
        rows = tables.get(table.file)
        if table.shape == "envelope":
            envelope_read = present
            if present:
                _read_envelope(reader, table, rows, document)
            else:
                reader.places[()] = (reader.name(table), 2, table)
        elif table.shape == "records" and rows is not None:
            collection = str(table.collection)
            ids[collection] = _read_records(reader, table, rows, document)
            fields.setdefault(collection, set()).update(
                column.keys[0] for column in table.columns
                if column.name in reader.positions.get(table.file, {}))
        elif rows is not None:
            _read_nested(reader, table, rows, document, ids)
            if table.collection is not None:
                fields.setdefault(table.collection, set()).add(str(table.field))
    by_file = {table.file: table for table in layout()}
    for (file, number, position), note in sorted(reader.pending.items()):
        reader.note(by_file[file], number, position, note)  # cells no field took
    reader.pending.clear()
    locate = functools.partial(_locate, reader)
    frozen = {name: frozenset(names) for name, names in fields.items()}
    if not envelope_read:
        envelope = layout()[0]
        where = reader.name(envelope)
        missing = Issue(code=f"{reader.prefix}:missing-file", file=where,
                        message=_("{file} is missing").format(file=where), hint=envelope_hint)
        return ImportResult(document=document, issues=tuple(reader.issues), locate=locate,
                            partial=missing, fields=frozen)
    return ImportResult(document=document, issues=tuple(reader.issues), locate=locate,
                        fields=frozen)


def _rows_of(rows: Rows) -> Iterator[tuple[int, list[str]]]:
    """Data rows with their number (header = row 1), blank rows left out."""
    for number, row in enumerate(rows[1:], start=2):
        if any(row):
            yield number, row


def _check_width(reader: TableReader, table: Table, row: list[str], number: int,
                 width: int) -> None:
    if len(row) > width and any(row[width:]):
        reader.issue("extra-cells", _("row has {cells} cells, the header {width}").format(
                         cells=len(row), width=width),
                     file=reader.name(table), row=number)


def _read_envelope(reader: TableReader, table: Table, rows: Rows | None,
                   document: dict[str, Any]) -> None:
    reader.places[()] = (reader.name(table), 2, table)
    if rows is None:
        return
    positions = reader.header(table, rows)
    data_rows = list(_rows_of(rows))
    if positions is None:
        return
    if len(data_rows) != 1:
        reader.issue("bad-envelope", _("{table} must have one row under its header, not "
                                       "{rows}").format(table=reader.name(table),
                                                        rows=len(data_rows)),
                     file=reader.name(table),
                     row=data_rows[1][0] if data_rows else None)
    if data_rows:
        number, row = data_rows[0]
        reader.places[()] = (reader.name(table), number, table)
        _check_width(reader, table, row, number, len(rows[0]))
        reader.fill(table, document, row, number, positions, [])


def _read_records(reader: TableReader, table: Table, rows: Rows,
                  document: dict[str, Any]) -> dict[str, int]:
    collection = str(table.collection)
    reader.places[(collection,)] = (reader.name(table), None, None)
    positions = reader.header(table, rows)
    records: list[dict[str, Any]] = document.setdefault(collection, [])
    ids: dict[str, int] = {}
    if positions is None:
        return ids
    for number, row in _rows_of(rows):
        _check_width(reader, table, row, number, len(rows[0]))
        index = len(records)
        record: dict[str, Any] = {}
        reader.fill(table, record, row, number, positions, [collection, index])
        records.append(record)
        reader.places[(collection, index)] = (reader.name(table), number, table)
        if isinstance(record.get("id"), str):
            ids.setdefault(record["id"], index)  # duplicates are the checks' to report
    return ids


def _read_nested(reader: TableReader, table: Table, rows: Rows,
                 document: dict[str, Any], ids: Mapping[str, Mapping[str, int]]) -> None:
    positions = reader.header(table, rows)
    if positions is None:
        return
    field = str(table.field)
    for number, row in _rows_of(rows):
        _check_width(reader, table, row, number, len(rows[0]))
        base: list[str | int]
        if table.collection is None:
            parent, base = document, [field]
        else:
            assert table.parent_column is not None
            parent_id = unprotect(_cell(row, positions, table.parent_column))
            index = ids.get(table.collection, {}).get(parent_id)
            if index is None:
                parents = reader.name(_records_table(table.collection))
                reader.issue("unknown-parent",
                             _("no row of {parents} has the id {id}").format(
                                 parents=parents, id=repr(parent_id)),
                             file=reader.name(table), row=number,
                             column=reader.column(table, table.parent_column),
                             hint=_("each row of {table} belongs to a row of {parents}: "
                                    "give its id").format(table=reader.name(table),
                                                          parents=parents))
                continue
            parent = document[table.collection][index]
            base = [table.collection, index, field]
        if table.shape == "items":
            items: list[dict[str, Any]] = parent.setdefault(field, [])
            item: dict[str, Any] = {}
            reader.fill(table, item, row, number, positions, [*base, len(items)])
            reader.places[(*base, len(items))] = (reader.name(table), number, table)
            items.append(item)
            continue
        assert table.key_column is not None
        key = unprotect(_cell(row, positions, table.key_column))
        entries: dict[str, Any] = parent.setdefault(field, {})
        if key in entries:
            reader.issue("duplicate-key", _("{key} appears twice for the same parent").format(
                             key=repr(key)),
                         file=reader.name(table), row=number,
                         column=reader.column(table, table.key_column),
                         path=json_path([*base, key]))
            continue
        value = reader.entry_value(table, row, number, positions, [*base, key])
        if value is not ABSENT:
            entries[key] = value
            reader.places[(*base, key)] = (reader.name(table), number, table)


def _records_table(collection: str) -> Table:
    return next(t for t in layout() if t.shape == "records" and t.collection == collection)


def _locate(reader: TableReader,
            path: str) -> tuple[str | None, int | None, str | None] | None:
    """A JSON path of the imported document -> (table, row, column)."""
    places = reader.places
    tokens = parse_path(path)
    if tokens is None:
        return None
    for end in range(len(tokens), -1, -1):
        place = places.get(tuple(tokens[:end]))
        if place is None:
            continue
        file, row, table = place
        rest = tokens[end:]
        names = []
        for token in rest:
            if isinstance(token, int):
                break
            names.append(token)
        column: str | None = ".".join(names)
        if table is None or (table.shape == "entries" and not rest):
            column = "value" if table is not None else None
        elif column not in table.header():
            column = None
        if table is not None and column is not None:
            column = reader.column(table, column)
        return (file, row, column)
    return None
