"""CSV tables, both ways: one CSV file per collection, in a folder (``csv``) or a zip (``csv-zip``).

The layout is derived from the JSON Schemas, not written by hand, so a field added to a schema
gets its column without a change here: scalars and lists of scalars are columns, an embedded
object is several dotted columns (``source.slug``, ``person.name``), an array of objects is a
table of its own with the parent's id first (``meeting_speakers.csv``), and an object of named
values is a table of ``(parent id, key, value)`` rows (``diagnosis_answers.csv``). The
importer reads cell types from the same schemas. ``docs/csv.md`` describes the format.
"""

from __future__ import annotations

from collections.abc import Callable

from pmae.default_plugins.csv_tables.cells import (
    DIALECTS,
    LIST_SEPARATOR,
    Dialect,
    join_list,
    parse_cell,
    parse_scalar,
    protect,
    split_list,
    value_type,
)
from pmae.default_plugins.csv_tables.export import (
    csv_bytes,
    export_files,
    export_folder,
    export_zip,
    table_rows,
)
from pmae.default_plugins.csv_tables.layout import KEY_COLUMNS, Column, Table, layout
from pmae.default_plugins.csv_tables.read import read_tables
from pmae.io.csv_reader import BOM, unprotect
from pmae.io.csv_writer import FORMULA_TRIGGERS
from pmae.plugins.hookspecs import hookimpl
from pmae.plugins.items import Exporter, Importer

__all__ = [
    "BOM",
    "DIALECTS",
    "FORMULA_TRIGGERS",
    "KEY_COLUMNS",
    "LIST_SEPARATOR",
    "Column",
    "Dialect",
    "Table",
    "csv_bytes",
    "export_files",
    "export_folder",
    "export_zip",
    "join_list",
    "layout",
    "parse_cell",
    "parse_scalar",
    "pmae_register_exporters",
    "pmae_register_importers",
    "protect",
    "read_tables",
    "split_list",
    "table_rows",
    "unprotect",
    "value_type",
]


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
