"""Export: a bundle as CSV tables (a folder or a zip)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import attrs

from pmae.default_plugins.csv_tables.cells import ABSENT, Dialect, protect, value_type
from pmae.default_plugins.csv_tables.layout import Column, Table, layout
from pmae.io.bundles import bundle_to_data
from pmae.io.csv_reader import BOM
from pmae.io.csv_writer import safe_writer
from pmae.model import Bundle
from pmae.plugins.items import ExportContext


def _get(data: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    value: Any = data
    for key in keys:
        if not isinstance(value, Mapping) or key not in value:
            return ABSENT
        value = value[key]
    return value


def _parents(data: Mapping[str, Any], table: Table) -> list[Mapping[str, Any]]:
    return list(data.get(table.collection, ())) if table.collection else [data]


def walk_tables(data: Mapping[str, Any], cell: Callable[[Any, Column], Any],
                text: Callable[[str], Any]) -> dict[str, list[list[Any]]]:
    """The rows of every table that has any (the envelope always), header first: ``cell``
    writes a value of a column (``ABSENT`` or ``None`` included), ``text`` a parent id, a key
    or a value's type. The CSV and the XLSX exporters share it."""
    files: dict[str, list[list[Any]]] = {}
    for table in layout():
        rows: list[list[Any]] = [list(table.header())]
        if table.shape == "envelope":
            rows.append([cell(_get(data, c.keys), c) for c in table.columns])
        elif table.shape == "records":
            rows += [[cell(_get(record, c.keys), c) for c in table.columns]
                     for record in data.get(str(table.collection), ())]
        else:
            for parent in _parents(data, table):
                lead = [text(str(parent.get("id", "")))] if table.parent_column else []
                if table.shape == "items":
                    rows += [lead + [cell(_get(item, c.keys), c) for c in table.columns]
                             for item in parent.get(str(table.field), ())]
                    continue
                assert table.value is not None
                for key, value in parent.get(str(table.field), {}).items():
                    if table.value.kind == "mixed":
                        kind = value_type(value)
                        cells = [cell(value, attrs.evolve(table.value, kind=kind)), text(kind)]
                    else:
                        cells = [cell(value, table.value)]
                    rows.append([*lead, text(key), *cells])
        if len(rows) > 1 or table.shape == "envelope":
            files[table.file] = rows
    return files


def table_rows(data: Mapping[str, Any], dialect: Dialect) -> dict[str, list[list[str]]]:
    """The rows of every table that has any (bundle.csv always), header first."""
    return walk_tables(data, dialect.cell, protect)


def csv_bytes(rows: list[list[str]], dialect: Dialect) -> bytes:
    """Rows as RFC 4180 CSV (``\\r\\n`` line ends, minimal quoting) in UTF-8."""
    buffer = io.StringIO()
    # Cells come protected (see cells.protect); the shared writer is the guarantee for all.
    safe_writer(buffer, delimiter=dialect.delimiter).writerows(rows)
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


def zip_time(bundle: Bundle) -> tuple[int, int, int, int, int, int]:
    """The date of a zip's entries for ``bundle``: its ``generated_at`` (in UTC), within what
    the zip format holds, so that the same bundle gives the same bytes."""
    stamp = bundle.generated_at.astimezone(dt.UTC)
    when = max((stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second),
               (1980, 1, 1, 0, 0, 0))  # the zip format starts in 1980
    return min(when, (2107, 12, 31, 23, 59, 58))


def write_zip_entry(archive: zipfile.ZipFile, name: str, data: bytes,
                    when: tuple[int, int, int, int, int, int]) -> None:
    """One deflated entry, dated ``when``, readable by all."""
    info = zipfile.ZipInfo(name, date_time=when)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def export_zip(bundle: Bundle, stream: IO[bytes], context: ExportContext) -> None:
    """The same files in a zip; entries dated from the bundle, so the same bundle gives the
    same bytes."""
    when = zip_time(bundle)
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in export_files(bundle, context).items():
            write_zip_entry(archive, name, data, when)
