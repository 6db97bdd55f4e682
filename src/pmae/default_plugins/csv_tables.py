"""CSV tables, both ways: one CSV file per collection, in a folder (``csv``) or a zip (``csv-zip``).

The layout is derived from the JSON Schemas, not written by hand, so a field added to a schema
gets its column without a change here: scalars and lists of scalars are columns, an embedded
object is several dotted columns (``source.slug``, ``person.name``), an array of objects is a
table of its own with the parent's id first (``meeting_speakers.csv``), and an object of named
values is a table of ``(parent id, key, value)`` rows (``diagnosis_answers.csv``). The
importer reads cell types from the same schemas. ``docs/csv.md`` describes the format.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import math
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Final

import attrs

from pmae.io.bundles import bundle_to_data
from pmae.io.schemas import load_schema
from pmae.issues import Issue
from pmae.jsonpath import json_path
from pmae.model import COLLECTIONS, Bundle
from pmae.plugins.hookspecs import hookimpl
from pmae.plugins.items import ExportContext, Exporter, ExportError, Importer, ImportResult

#: First characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_TRIGGERS: Final = frozenset("=+-@\t\r\n")
#: What separates the items of a list in one cell.
LIST_SEPARATOR: Final = " | "
#: The key column of tables of named values, where ``key`` would say less.
KEY_COLUMNS: Final = {"answers": "question", "scores": "dimension", "levels": "dimension"}
DIALECTS: Final = ("rfc4180", "excel")
BOM: Final = "\ufeff"

_ABSENT: Final = object()
_NUMBER = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?(?:[eE][+-]?[0-9]+)?")
_INTEGER = re.compile(r"-?[0-9]+")
_BOOLEANS: Final = {"true": True, "vrai": True, "false": False, "faux": False}
_VALUE_TYPES: Final = ("number", "string", "null")


# --- the layout, from the schemas ----------------------------------------------------------


@attrs.define(kw_only=True, frozen=True)
class Column:
    """One column: its header, where its value sits in a JSON object, and the value's type."""

    name: str
    keys: tuple[str, ...]
    kind: str  # "string", "integer", "number", "boolean" or "mixed"
    is_list: bool = False


@attrs.define(kw_only=True, frozen=True)
class Table:
    """One CSV file of the layout.

    ``shape`` is ``envelope`` (bundle.csv, one row), ``records`` (one row a record),
    ``items`` (one row per object of an array field, after the parent's id) or ``entries``
    (one row per named value of an object field: parent id, key, value and, when values are
    of several types, their type).
    """

    file: str
    shape: str
    columns: tuple[Column, ...]
    collection: str | None = None
    field: str | None = None
    parent_column: str | None = None
    key_column: str | None = None
    value: Column | None = None

    def header(self) -> list[str]:
        """The header row."""
        head = [self.parent_column] if self.parent_column else []
        if self.shape == "entries":
            assert self.key_column is not None and self.value is not None
            head += [self.key_column, "value"] + (["type"] if self.value.kind == "mixed" else [])
        return head + [column.name for column in self.columns]


def _resolve(document: str, schema: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """Follow ``$ref`` (keeping sibling keywords); returns the document the result lives in."""
    result = dict(schema)
    while "$ref" in result:
        reference = str(result.pop("$ref"))
        file, _, pointer = reference.partition("#")
        if file:
            document = file.removesuffix(".schema.json")
        target: Any = load_schema(document)
        for part in filter(None, pointer.split("/")):
            target = target[part]
        result = {**target, **result}
    return document, result


def _kind(schema: Mapping[str, Any]) -> str:
    declared = schema.get("type", "string")
    types = [t for t in ([declared] if isinstance(declared, str) else declared) if t != "null"]
    if len(types) == 1:
        return str(types[0])
    if set(types) <= {"integer", "number"}:
        return "number"
    return "mixed"


def _object_columns(
    document: str, schema: Mapping[str, Any], prefix: tuple[str, ...] = ()
) -> tuple[list[Column], list[tuple[str, str, str, dict[str, Any]]]]:
    """The columns of an object, and its nested tables as ``(shape, field, document, schema)``."""
    columns: list[Column] = []
    nested: list[tuple[str, str, str, dict[str, Any]]] = []
    for name, prop in schema.get("properties", {}).items():
        where, resolved = _resolve(document, prop)
        kind, keys = _kind(resolved), (*prefix, name)
        if kind == "object" and "properties" in resolved:
            inner, deeper = _object_columns(where, resolved, keys)
            if deeper:
                raise TypeError(f"no CSV layout for tables inside {'.'.join(keys)}")
            columns += inner
        elif kind == "object":
            nested.append(("entries", name, where, resolved))
        elif kind == "array":
            item_document, items = _resolve(where, resolved.get("items", {}))
            item_kind = _kind(items)
            if item_kind == "object":
                nested.append(("items", name, item_document, items))
            elif item_kind in ("array", "mixed"):
                raise TypeError(f"no CSV layout for lists of {item_kind} ({'.'.join(keys)})")
            else:
                columns.append(Column(name=".".join(keys), keys=keys, kind=item_kind,
                                      is_list=True))
        elif kind == "mixed":
            raise TypeError(f"no CSV layout for a column of several types ({'.'.join(keys)})")
        else:
            columns.append(Column(name=".".join(keys), keys=keys, kind=kind))
    return columns, nested


def _nested_tables(nested: list[tuple[str, str, str, dict[str, Any]]],
                   collection: str | None, singular: str | None) -> list[Table]:
    tables = []
    for shape, field, document, schema in nested:
        file = f"{singular}_{field}.csv" if singular else f"{field}.csv"
        parent = f"{singular}_id" if singular else None
        if shape == "items":
            columns, deeper = _object_columns(document, schema)
            if deeper:
                raise TypeError(f"no CSV layout for tables inside {field}")
            tables.append(Table(file=file, shape="items", columns=tuple(columns),
                                collection=collection, field=field, parent_column=parent))
        else:
            _, values = _resolve(document, schema.get("additionalProperties", {}))
            tables.append(Table(
                file=file, shape="entries", columns=(), collection=collection, field=field,
                parent_column=parent, key_column=KEY_COLUMNS.get(field, "key"),
                value=Column(name="value", keys=(), kind=_kind(values)),
            ))
    return tables


@functools.cache
def layout() -> tuple[Table, ...]:
    """Every table, in the order files are written: the envelope, then collection by collection."""
    bundle = load_schema("bundle")
    envelope = {"properties": {k: v for k, v in bundle["properties"].items()
                               if k not in COLLECTIONS}}
    columns, nested = _object_columns("bundle", envelope)
    tables = [Table(file="bundle.csv", shape="envelope", columns=tuple(columns)),
              *_nested_tables(nested, None, None)]
    for collection in COLLECTIONS:
        record_schema = bundle["properties"][collection]["items"]["$ref"]
        singular = record_schema.removesuffix(".schema.json")
        document, schema = _resolve(singular, load_schema(singular))
        columns, nested = _object_columns(document, schema)
        tables.append(Table(file=f"{collection}.csv", shape="records", columns=tuple(columns),
                            collection=collection))
        tables += _nested_tables(nested, collection, singular)
    return tuple(tables)


# --- cells ---------------------------------------------------------------------------------


def protect(text: str) -> str:
    """A text cell as written: formula triggers and a leading quote get a ``'`` in front.

    The empty text is written ``'`` alone, since an empty cell means "absent".
    """
    if not text:
        return "'"
    if text[0] in FORMULA_TRIGGERS or text[0] == "'":
        return "'" + text
    return text


def unprotect(cell: str) -> str:
    """Undo :func:`protect`: ``'`` alone is the empty text; ``'`` then a trigger or ``'``
    loses the quote; any other cell is kept as it is (a hand-typed ``'abc`` stays ``'abc``)."""
    if cell == "'":
        return ""
    if len(cell) > 1 and cell[0] == "'" and (cell[1] in FORMULA_TRIGGERS or cell[1] == "'"):
        return cell[1:]
    return cell


def join_list(items: list[str]) -> str:
    """List items in one cell: ``\\`` and ``|`` backslash-escaped, joined by `` | ``."""
    return LIST_SEPARATOR.join(i.replace("\\", "\\\\").replace("|", "\\|") for i in items)


def split_list(text: str) -> tuple[list[str], str | None]:
    """Undo :func:`join_list`: the items, and what is wrong with the cell if anything.

    Any unescaped ``|`` separates items; one space on each side of it belongs to the
    separator, so ``a|b`` and ``a | b`` both read as ``a``, ``b``.
    """
    items: list[str] = []
    current: list[str] = []
    problem = None
    position = 0
    while position < len(text):
        char = text[position]
        if char == "\\":
            following = text[position + 1:position + 2]
            if following in ("\\", "|"):
                current.append(following)
                position += 2
                continue
            problem = problem or (
                "a lone \\ at the end of the cell" if not following
                else f"\\{following} is not an escape (write \\\\ for \\ and \\| for |)")
            current.append(char)
        elif char == "|":
            if current and current[-1] == " ":
                current.pop()
            items.append("".join(current))
            current = []
            if text[position + 1:position + 2] == " ":
                position += 1
        else:
            current.append(char)
        position += 1
    items.append("".join(current))
    return items, problem


@attrs.define(kw_only=True, frozen=True)
class Dialect:
    """How cells are written: the delimiter, the byte order mark and the decimal mark."""

    delimiter: str = ","
    bom: bool = False
    decimal: str = "."

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> Dialect:
        """``dialect=excel``: ``;``, a BOM and a decimal comma; ``rfc4180`` (default): ``,``."""
        unknown = sorted(set(options) - {"dialect"})
        if unknown:
            raise ExportError(f"unknown CSV option {', '.join(unknown)}; the option is dialect")
        name = options.get("dialect", "rfc4180")
        if name not in DIALECTS:
            raise ExportError(f"unknown CSV dialect {name!r}; use one of {', '.join(DIALECTS)}")
        return cls(delimiter=";", bom=True, decimal=",") if name == "excel" else cls()

    def number(self, value: int | float) -> str:
        """A number as JSON writes it (``3``, ``3.0``, ``1e-05``), with the decimal mark."""
        text = str(value) if isinstance(value, int) else repr(float(value))
        return text.replace(".", self.decimal)

    def scalar(self, value: Any, kind: str) -> str:
        """One value (not a list) as text; strings are not protected here."""
        if kind == "boolean" or isinstance(value, bool):
            return "true" if value else "false"
        if kind in ("integer", "number") and isinstance(value, (int, float)):
            return self.number(value)
        return str(value)

    def cell(self, value: Any, column: Column) -> str:
        """The cell of ``value`` (``_ABSENT`` or ``None``: the empty cell)."""
        if value is _ABSENT or value is None:
            return ""
        if column.is_list:
            return protect(join_list([self.scalar(v, column.kind) for v in value]))
        if column.kind == "string":
            return protect(str(value))
        return self.scalar(value, column.kind)


def value_type(value: Any) -> str:
    """The ``type`` cell of a value in a table of values of several types."""
    if value is None:
        return "null"
    return "string" if isinstance(value, str) else "number"


def parse_scalar(text: str, kind: str) -> tuple[Any, str | None]:
    """Text (already unprotected) -> a value of ``kind``, or an explanation of why not."""
    if kind == "string":
        return text, None
    bare = text.strip()
    try:
        if kind == "integer" and _INTEGER.fullmatch(bare):
            return int(bare), None
        if kind == "number" and _NUMBER.fullmatch(bare):
            normal = bare.replace(",", ".")
            if any(mark in normal for mark in ".eE"):
                number = float(normal)
                if not math.isfinite(number):
                    return None, f"{text!r} is too large a number"
                return number, None
            return int(normal), None
    except ValueError:
        return None, f"{text!r} is too long a number"
    if kind == "boolean" and bare.lower() in _BOOLEANS:
        return _BOOLEANS[bare.lower()], None
    expected = {"integer": "an integer", "number": "a number",
                "boolean": "true or false"}.get(kind, kind)
    return None, f"expected {expected}, got {text!r}"


def parse_cell(cell: str, column: Column) -> tuple[Any, str | None]:
    """A cell -> its value (``_ABSENT`` for the empty cell), or an explanation of why not."""
    if cell == "":
        return _ABSENT, None
    text = unprotect(cell)
    if not column.is_list:
        return parse_scalar(text, column.kind)
    items, problem = split_list(text)
    values = []
    for item in items:
        value, error = parse_scalar(item, column.kind)
        if error:
            return None, f"list item {error}"
        values.append(value)
    return values, (f"malformed list: {problem}" if problem else None)


# --- export --------------------------------------------------------------------------------


def _get(data: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    value: Any = data
    for key in keys:
        if not isinstance(value, Mapping) or key not in value:
            return _ABSENT
        value = value[key]
    return value


def _parents(data: Mapping[str, Any], table: Table) -> list[Mapping[str, Any]]:
    return list(data.get(table.collection, ())) if table.collection else [data]


def table_rows(data: Mapping[str, Any], dialect: Dialect) -> dict[str, list[list[str]]]:
    """The rows of every table that has any (bundle.csv always), header first."""
    files: dict[str, list[list[str]]] = {}
    for table in layout():
        rows = [table.header()]
        if table.shape == "envelope":
            rows.append([dialect.cell(_get(data, c.keys), c) for c in table.columns])
        elif table.shape == "records":
            rows += [[dialect.cell(_get(record, c.keys), c) for c in table.columns]
                     for record in data.get(str(table.collection), ())]
        else:
            for parent in _parents(data, table):
                lead = [protect(str(parent.get("id", "")))] if table.parent_column else []
                if table.shape == "items":
                    rows += [lead + [dialect.cell(_get(item, c.keys), c) for c in table.columns]
                             for item in parent.get(str(table.field), ())]
                    continue
                assert table.value is not None
                for key, value in parent.get(str(table.field), {}).items():
                    if table.value.kind == "mixed":
                        kind = value_type(value)
                        cells = ["" if value is None else dialect.cell(
                            value, attrs.evolve(table.value, kind=kind)), kind]
                    else:
                        cells = [dialect.cell(value, table.value)]
                    rows.append([*lead, protect(key), *cells])
        if len(rows) > 1 or table.shape == "envelope":
            files[table.file] = rows
    return files


def csv_bytes(rows: list[list[str]], dialect: Dialect) -> bytes:
    """Rows as RFC 4180 CSV (``\\r\\n`` line ends, minimal quoting) in UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=dialect.delimiter, lineterminator="\r\n",
                        quoting=csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    return ((BOM if dialect.bom else "") + buffer.getvalue()).encode("utf-8")


def export_files(bundle: Bundle, context: ExportContext) -> dict[str, bytes]:
    """Every CSV file of ``bundle``, by file name."""
    dialect = Dialect.from_options(context.options)
    return {name: csv_bytes(rows, dialect)
            for name, rows in table_rows(bundle_to_data(bundle), dialect).items()}


def export_folder(bundle: Bundle, folder: Path, context: ExportContext) -> None:
    """Fill ``folder`` (an empty temporary folder the core moves into place)."""
    for name, data in export_files(bundle, context).items():
        (folder / name).write_bytes(data)


def export_zip(bundle: Bundle, stream: IO[bytes], context: ExportContext) -> None:
    """The same files in a zip; entries dated from the bundle, so the same bundle gives the
    same bytes."""
    stamp = bundle.generated_at.astimezone(dt.UTC)
    when = max((stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second),
               (1980, 1, 1, 0, 0, 0))  # the zip format starts in 1980
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in export_files(bundle, context).items():
            info = zipfile.ZipInfo(name, date_time=min(when, (2107, 12, 31, 23, 59, 58)))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)


# --- import --------------------------------------------------------------------------------

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
        try:
            text = data.decode(self.encoding)
        except UnicodeDecodeError as error:
            self.issue("invalid-encoding", f"byte {data[error.start]:#04x} is not "
                       f"{self.encoding}", file=file,
                       hint="save the file as CSV UTF-8, or import with "
                            "--option encoding=cp1252")
            return None
        except LookupError:
            self.issue("csv:bad-option", f"unknown encoding {self.encoding!r}", file=file)
            return None
        text = text.removeprefix(BOM)
        first_line = text.split("\n", 1)[0]
        delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
        rows = []
        try:
            for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter,
                                  strict=True):
                rows.append(row)
        except csv.Error as error:
            self.issue("csv:bad-csv", f"not valid CSV: {error}", file=file, row=len(rows) + 1)
            return None
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
            if value is _ABSENT:
                continue
            inner = target
            for key in column.keys[:-1]:
                inner = inner.setdefault(key, {})
            inner[column.keys[-1]] = value

    def entry_value(self, table: Table, row: list[str], number: int,
                    positions: Mapping[str, int], path: list[str | int]) -> Any:
        """The value of one row of a table of named values (``_ABSENT`` when unusable)."""
        assert table.value is not None
        cell = _cell(row, positions, "value")
        kind = table.value.kind
        if kind == "mixed":
            declared = _cell(row, positions, "type").strip()
            if declared and declared not in _VALUE_TYPES:
                self.issue("csv:bad-value", f"type {declared!r} is not one of "
                           + ", ".join(_VALUE_TYPES), file=table.file, row=number,
                           column="type", path=json_path(path))
                return _ABSENT
            kind = declared or _guess_type(cell)
            if kind == "null":
                return None
            if cell == "" and kind == "string":
                cell = "'"  # hand-written: a string type with an empty cell is the empty text
        value, error = parse_cell(cell, attrs.evolve(table.value, kind=kind))
        if error:
            self.issue("csv:bad-value", error, file=table.file, row=number, column="value",
                       path=json_path(path))
            return _ABSENT
        return value


def _cell(row: list[str], positions: Mapping[str, int], name: str) -> str:
    position = positions.get(name)
    return row[position] if position is not None and position < len(row) else ""


def _guess_type(cell: str) -> str:
    if cell == "":
        return "null"
    return "number" if _NUMBER.fullmatch(unprotect(cell).strip()) else "string"


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
            return {n[len(prefix):]: archive.read(n) for n in names
                    if n.startswith(prefix) and "/" not in n[len(prefix):]}
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, OSError,
            EOFError) as error:
        reader.issue("csv:bad-zip", f"cannot read the zip: {error}", file=str(path),
                     hint="give a folder of CSV files, or a .zip made by pmae export --to "
                          "csv-zip")
        return None


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
        if value is not _ABSENT:
            entries[key] = value
            reader.places[(*base, key)] = (table.file, number, table)


_TOKEN = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[([0-9]+)\]|\['((?:[^'\\]|\\.)*)'\]"
                    r'|\["((?:[^"\\]|\\.)*)"\]')


def _tokens(path: str) -> list[str | int] | None:
    if not path.startswith("$"):
        return None
    tokens: list[str | int] = []
    position = 1
    while position < len(path):
        match = _TOKEN.match(path, position)
        if match is None:
            return None
        name, index, single, double = match.groups()
        if index is not None:
            tokens.append(int(index))
        else:
            tokens.append(name if name is not None else (single if single is not None
                                                         else double))
        position = match.end()
    return tokens


def _locate(places: Mapping[tuple[str | int, ...], Place],
            path: str) -> tuple[str | None, int | None, str | None] | None:
    """A JSON path of the imported document -> (CSV file, row, column)."""
    tokens = _tokens(path)
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


# --- registration --------------------------------------------------------------------------


@hookimpl
def pmae_register_exporters(register: Callable[[Exporter], None]) -> None:
    """``csv`` (a folder of CSV files) and ``csv-zip`` (the same files in a zip)."""
    register(Exporter(
        name="csv", title="Tableaux CSV (dossier)", export=export_folder, target="directory",
        description="One CSV file per collection and per nested table, in a folder; "
                    "--option dialect=excel for French spreadsheets (;, BOM, decimal comma).",
    ))
    register(Exporter(
        name="csv-zip", title="Tableaux CSV (zip)", export=export_zip, suffix=".zip",
        description="The csv export's files in one zip; --option dialect=excel as for csv.",
    ))


@hookimpl
def pmae_register_importers(register: Callable[[Importer], None]) -> None:
    """``csv``: a folder or a zip of CSV tables, as ``pmae export --to csv`` writes them."""
    register(Importer(
        name="csv", title="Tableaux CSV (dossier ou zip)", read=read_tables,
        description="A folder or .zip of pmae CSV tables; the , or ; delimiter and a BOM are "
                    "detected; --option encoding=cp1252 for files saved in Windows-1252.",
    ))
