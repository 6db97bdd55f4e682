"""Import: CSV tables (a folder or a zip) back into a bundle document, every issue located at
its file, row and column."""

from __future__ import annotations

import functools
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import attrs

from pmae.default_plugins.csv_tables.cells import ABSENT, NUMBER_PATTERN, parse_cell
from pmae.default_plugins.csv_tables.layout import Table, layout
from pmae.io.csv_reader import read_rows, unprotect
from pmae.issues import Issue
from pmae.jsonpath import json_path, parse_path
from pmae.plugins.items import ImportResult

_VALUE_TYPES: Final = ("number", "string", "null")


Place = tuple[str, int | None, Table | None]


@attrs.define(kw_only=True)
class _Reader:
    """The state of one import: issues, the document being built, where each part came from."""

    encoding: str = "utf-8"
    issues: list[Issue] = attrs.field(factory=list)
    places: dict[tuple[str | int, ...], Place] = attrs.field(factory=dict)

    def issue(self, code: str, message: str, *, file: str | None, row: int | None = None,
              column: str | None = None, path: str = "$", severity: str = "error",
              hint: str | None = None) -> None:
        self.issues.append(Issue(code=code, severity=severity, path=path, message=message,
                                 hint=hint, file=file, line=row, column=column))

    def rows(self, file: str, data: bytes) -> list[list[str]] | None:
        """Decode one file (BOM dropped, delimiter detected) into rows of cells."""
        rows, issues = read_rows(data, file=file, encoding=self.encoding, encoding_hint=(
            "save the file as CSV UTF-8, or import with --option encoding=cp1252"))
        self.issues.extend(issues)
        return rows

    def header(self, table: Table, rows: list[list[str]]) -> dict[str, int] | None:
        """Column name -> position; reports unknown, repeated and missing columns."""
        known = set(table.header())
        positions: dict[str, int] = {}
        for position, raw in enumerate(rows[0] if rows else []):
            name = raw.strip()
            if not name and not any(position < len(row) and row[position] for row in rows):
                continue  # spreadsheets often end the header with a stray delimiter
            if name in positions:
                self.issue("csv:duplicate-column", f"column {name!r} appears twice",
                           file=table.file, row=1, column=name)
            elif name not in known:
                self.issue("csv:unknown-column", f"{table.file} has no column {name!r}",
                           file=table.file, row=1, column=name,
                           hint="remove the column or fix its name; columns: "
                                + ", ".join(table.header()))
            else:
                positions[name] = position
        needed = [n for n in (table.parent_column, table.key_column) if n]
        needed += ["value"] if table.shape == "entries" else []
        missing = [n for n in needed if n not in positions]
        for name in missing:
            self.issue("csv:missing-column", f"{table.file} needs a column {name!r}",
                       file=table.file, row=1, column=name)
        return None if missing else positions

    def fill(self, table: Table, target: dict[str, Any], row: list[str], number: int,
             positions: Mapping[str, int], path: list[str | int]) -> None:
        """Put the cells of ``row`` for ``table.columns`` into ``target``."""
        for column in table.columns:
            position = positions.get(column.name)
            if position is None or position >= len(row):
                continue
            value, error = parse_cell(row[position], column)
            if error:
                self.issue("csv:bad-value", error, file=table.file, row=number,
                           column=column.name, path=json_path([*path, *column.keys]))
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
        if kind == "mixed":
            declared = _cell(row, positions, "type").strip()
            if declared and declared not in _VALUE_TYPES:
                self.issue("csv:bad-value", f"type {declared!r} is not one of "
                           + ", ".join(_VALUE_TYPES), file=table.file, row=number,
                           column="type", path=json_path(path))
                return ABSENT
            kind = declared or _guess_type(cell)
            if kind == "null":
                return None
            if cell == "" and kind == "string":
                cell = "'"  # hand-written: a string type with an empty cell is the empty text
        value, error = parse_cell(cell, attrs.evolve(table.value, kind=kind))
        if error:
            self.issue("csv:bad-value", error, file=table.file, row=number, column="value",
                       path=json_path(path))
            return ABSENT
        return value


def _cell(row: list[str], positions: Mapping[str, int], name: str) -> str:
    position = positions.get(name)
    return row[position] if position is not None and position < len(row) else ""


def _guess_type(cell: str) -> str:
    if cell == "":
        return "null"
    return "number" if NUMBER_PATTERN.fullmatch(unprotect(cell).strip()) else "string"


def _load_files(path: Path, reader: _Reader) -> dict[str, bytes] | None:
    """The CSV files of a folder or a zip, by name (relative to the folder or archive)."""
    if path.is_dir():
        try:
            return {p.name: p.read_bytes() for p in sorted(path.iterdir())
                    if p.is_file() and p.name.lower().endswith(".csv")}
        except OSError as error:
            reader.issue("file-not-found", f"cannot read the folder: {error.strerror}",
                         file=str(path))
            return None
    if not path.exists():
        reader.issue("file-not-found", "no such file or folder", file=str(path))
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist()
                     if n.lower().endswith(".csv") and not n.startswith("__MACOSX/")]
            roots = sorted((n for n in names if n.rsplit("/", 1)[-1] == "bundle.csv"),
                           key=lambda n: (n.count("/"), n))
            # The folder itself may have been zipped: read the files beside bundle.csv.
            prefix = roots[0][: -len("bundle.csv")] if roots else ""
            chosen = [n for n in names if n.startswith(prefix) and "/" not in n[len(prefix):]]
            return _inflate(archive, chosen, prefix, path, reader)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, OSError,
            EOFError) as error:
        reader.issue("csv:bad-zip", f"cannot read the zip: {error}", file=str(path),
                     hint="give a folder of CSV files, or a .zip made by pmae export --to "
                          "csv-zip")
        return None


#: The most a zip may inflate to, all its CSV files together (a national bundle is ~400 MB).
MAX_INFLATED: Final = 2 * 1024**3
#: The most a large entry may inflate relative to its compressed size; CSV compresses ~10×.
MAX_RATIO: Final = 200
#: Entries smaller than this are not held to the ratio (tiny files compress oddly).
_RATIO_FLOOR: Final = 1024**2


class _ZipBomb(Exception):
    """An archive that would inflate beyond the limits."""


def _inflate(archive: zipfile.ZipFile, names: list[str], prefix: str, path: Path,
             reader: _Reader) -> dict[str, bytes] | None:
    """The entries ``names``, inflated within :data:`MAX_INFLATED` and :data:`MAX_RATIO`.

    The sizes a zip declares may lie, so reading stops as soon as the real bytes pass them.
    """
    files: dict[str, bytes] = {}
    budget = MAX_INFLATED
    try:
        for name in names:
            info = archive.getinfo(name)
            ratio_cap = max(_RATIO_FLOOR, info.compress_size * MAX_RATIO)
            cap = min(budget, ratio_cap)
            with archive.open(info) as entry:
                data = entry.read(cap + 1)
            if len(data) > cap:
                raise _ZipBomb(
                    f"{name} inflates past {cap / 1e6:,.0f} MB"
                    + (f" ({MAX_RATIO}× its compressed size)" if cap == ratio_cap else
                       f" (the limit for a whole archive is {MAX_INFLATED / 1e9:,.1f} GB)"))
            budget -= len(data)
            files[name[len(prefix):]] = data
    except _ZipBomb as error:
        reader.issue("csv:zip-too-large", f"refused to unpack the zip: {error}", file=str(path),
                     hint="unzip it yourself and import the folder if you trust it")
        return None
    return files


def read_tables(path: Path, options: Mapping[str, str]) -> ImportResult:
    """A folder or a ``.zip`` of pmae CSV tables, as a bundle document to validate."""
    reader = _Reader(encoding=options.get("encoding", "utf-8"))
    for name in sorted(set(options) - {"encoding"}):
        reader.issue("csv:bad-option", f"unknown option {name!r}; the importer takes "
                     "encoding", file=None, severity="warning")
    files = _load_files(path, reader)
    if files is None:
        return ImportResult(document=None, issues=tuple(reader.issues))
    tables = {table.file: table for table in layout()}
    for name in files:
        if name not in tables:
            reader.issue("csv:unknown-file", f"{name} is not a table of a pmae bundle; ignored",
                         file=name, severity="warning",
                         hint="tables: " + ", ".join(tables))
    document: dict[str, Any] = {}
    ids: dict[str, dict[str, int]] = {}
    # The layout puts each collection before its nested tables, whose rows look parents up.
    for table in layout():
        data = files.get(table.file)
        rows = None if data is None else reader.rows(table.file, data)
        if table.shape == "envelope":
            if data is None:
                reader.issue("csv:missing-file", "bundle.csv is missing", file="bundle.csv",
                             hint="bundle.csv holds format_version, source and generated_at")
            _read_envelope(reader, table, rows, document)
        elif table.shape == "records" and rows is not None:
            ids[str(table.collection)] = _read_records(reader, table, rows, document)
        elif rows is not None:
            _read_nested(reader, table, rows, document, ids)
    if "bundle.csv" not in files:
        return ImportResult(document=None, issues=tuple(reader.issues))
    undecodable = [i for i in reader.issues if i.code == "invalid-encoding"]
    if undecodable:
        # A file that could not be decoded makes every later issue (missing fields, unknown
        # parents…) a consequence: report the cause alone.
        return ImportResult(document=None, issues=tuple(undecodable))
    places = reader.places
    return ImportResult(document=document, issues=tuple(reader.issues),
                        locate=functools.partial(_locate, places))


def _rows_of(rows: list[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """Data rows with their number (header = row 1), blank rows left out."""
    for number, row in enumerate(rows[1:], start=2):
        if any(row):
            yield number, row


def _check_width(reader: _Reader, table: Table, row: list[str], number: int,
                 width: int) -> None:
    if len(row) > width and any(row[width:]):
        reader.issue("csv:extra-cells", f"row has {len(row)} cells, the header {width}",
                     file=table.file, row=number)


def _read_envelope(reader: _Reader, table: Table, rows: list[list[str]] | None,
                   document: dict[str, Any]) -> None:
    reader.places[()] = (table.file, 2, table)
    if rows is None:
        return
    positions = reader.header(table, rows)
    data_rows = list(_rows_of(rows))
    if positions is None:
        return
    if len(data_rows) != 1:
        reader.issue("csv:bad-envelope", f"bundle.csv must have one row under its header, "
                     f"not {len(data_rows)}", file=table.file,
                     row=data_rows[1][0] if data_rows else None)
    if data_rows:
        number, row = data_rows[0]
        reader.places[()] = (table.file, number, table)
        _check_width(reader, table, row, number, len(rows[0]))
        reader.fill(table, document, row, number, positions, [])


def _read_records(reader: _Reader, table: Table, rows: list[list[str]],
                  document: dict[str, Any]) -> dict[str, int]:
    collection = str(table.collection)
    reader.places[(collection,)] = (table.file, None, None)
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
        reader.places[(collection, index)] = (table.file, number, table)
        if isinstance(record.get("id"), str):
            ids.setdefault(record["id"], index)  # duplicates are the checks' to report
    return ids


def _read_nested(reader: _Reader, table: Table, rows: list[list[str]],
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
                reader.issue("csv:unknown-parent",
                             f"no row of {table.collection}.csv has the id {parent_id!r}",
                             file=table.file, row=number, column=table.parent_column,
                             hint=f"each row of {table.file} belongs to a row of "
                                  f"{table.collection}.csv: give its id")
                continue
            parent = document[table.collection][index]
            base = [table.collection, index, field]
        if table.shape == "items":
            items: list[dict[str, Any]] = parent.setdefault(field, [])
            item: dict[str, Any] = {}
            reader.fill(table, item, row, number, positions, [*base, len(items)])
            reader.places[(*base, len(items))] = (table.file, number, table)
            items.append(item)
            continue
        assert table.key_column is not None
        key = unprotect(_cell(row, positions, table.key_column))
        entries: dict[str, Any] = parent.setdefault(field, {})
        if key in entries:
            reader.issue("csv:duplicate-key", f"{key!r} appears twice for the same parent",
                         file=table.file, row=number, column=table.key_column,
                         path=json_path([*base, key]))
            continue
        value = reader.entry_value(table, row, number, positions, [*base, key])
        if value is not ABSENT:
            entries[key] = value
            reader.places[(*base, key)] = (table.file, number, table)


def _locate(places: Mapping[tuple[str | int, ...], Place],
            path: str) -> tuple[str | None, int | None, str | None] | None:
    """A JSON path of the imported document -> (CSV file, row, column)."""
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
        return (file, row, column)
    return None
