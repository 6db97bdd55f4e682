"""Import: a workbook of pmae tables (as ``pmae export --to xlsx`` writes it, or edited) back
into a bundle document, every issue at its sheet, row and column (``classeur.xlsx[offers]``,
row 5, ``Titre (C)``).

Each sheet named after a table is read (other sheets are left out with a warning; the
"Lisez-moi" and ``listes`` sheets silently); its cells become the CSV tables' cells
(:func:`.cells.from_cell`) and the CSV importer's core builds the document, so both formats
follow one set of rules. A workbook with some table sheets only updates those tables of a
bundle (see :func:`pmae.exchange.import_file`).
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from pmae.default_plugins.csv_tables.document import Rows, TableReader, build_document
from pmae.default_plugins.csv_tables.labels import header_key, header_names
from pmae.default_plugins.csv_tables.layout import Column, Table, layout
from pmae.default_plugins.xlsx_tables.cells import from_cell
from pmae.default_plugins.xlsx_tables.lists import LISTS_SHEET, sheet_of
from pmae.default_plugins.xlsx_tables.readme import README_SHEET
from pmae.i18n import gettext as _
from pmae.plugins.items import ImportResult

#: The most a workbook may inflate to (its XML parts together): a national bundle's is far
#: less, and a zip bomb stops here before anything is unpacked.
MAX_INFLATED: Final = 2 * 1024**3
#: The most one part may inflate relative to its compressed size (XML compresses ~10–20×).
MAX_RATIO: Final = 200
_RATIO_FLOOR: Final = 1024**2


def read_workbook(path: Path, options: Mapping[str, str]) -> ImportResult:
    """A workbook of pmae tables as a bundle document to validate (partial without the
    ``bundle`` sheet)."""
    from openpyxl.utils import get_column_letter

    headers: dict[str, list[str]] = {}

    def shown(table: Table, name: str, position: int) -> str:
        written = headers.get(table.file, [])
        label = written[position] if position < len(written) and written[position] else name
        return f"{label} ({get_column_letter(position + 1)})"

    reader = TableReader(prefix="xlsx", name=lambda table: f"{path.name}[{sheet_of(table)}]",
                         shown=shown)
    for name in sorted(options):
        reader.issue("bad-option", _("unknown option {name}; the xlsx importer takes "
                                     "none").format(name=repr(name)),
                     file=None, severity="warning")
    workbook = _open(path, reader)
    if workbook is None:
        return ImportResult(document=None, issues=tuple(reader.issues))
    try:
        by_sheet = {sheet_of(table): table for table in layout()}
        tables: dict[str, Rows | None] = {}
        for sheet in workbook.worksheets:
            table = by_sheet.get(sheet.title.strip())
            if table is None:
                if sheet.title not in (README_SHEET, LISTS_SHEET):
                    reader.issue("unknown-sheet", _("the sheet {sheet} is not a table of a "
                                                    "pmae bundle; ignored").format(
                                                        sheet=repr(sheet.title)),
                                 file=path.name, severity="warning",
                                 hint=_("tables: {tables}").format(tables=", ".join(by_sheet)))
                continue
            # Some programs write a wrong sheet size: read the rows as they are.
            sheet.reset_dimensions()
            raw = [list(row) for row in sheet.iter_rows(values_only=True)]
            headers[table.file] = [_header(v) for v in raw[0]] if raw else []
            tables[table.file] = _cells(reader, table, raw, headers[table.file])
    finally:
        workbook.close()
    return build_document(reader, tables, envelope_hint=_(
        "the sheet {sheet} holds format_version, source and generated_at").format(
            sheet=sheet_of(layout()[0])))


def _header(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _cells(reader: TableReader, table: Table, raw: list[list[Any]],
           header: list[str]) -> Rows:
    """The sheet's rows as the CSV tables' cells, notes and refusals reported."""
    accepted = header_names(table)
    by_name: dict[str, Column | None] = {column.name: column for column in table.columns}
    if table.value is not None:
        by_name["value"] = table.value
    columns = [by_name.get(accepted.get(header_key(text), "")) for text in header]
    rows: Rows = [header]
    for number, values in enumerate(raw[1:], start=2):
        row = []
        for position, value in enumerate(values):
            column = columns[position] if position < len(columns) else None
            text, note = from_cell(value, column)
            if note is not None:
                # Said when the cell is read, with its JSON path (or after, for a cell no
                # field takes).
                reader.pending[(table.file, number, position)] = note
                if note.severity == "error":
                    text = ""
            row.append(text)
        rows.append(row)
    return rows


def _open(path: Path, reader: TableReader) -> Any:
    """The workbook at ``path`` (read-only, formulas as their saved values), or ``None`` with
    the reason reported."""
    from openpyxl import load_workbook

    if not path.is_file():
        reader.issue("file-not-found", _("no such file"), file=str(path))
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            total = 0
            for info in archive.infolist():
                total += info.file_size
                if (total > MAX_INFLATED or info.file_size > max(
                        _RATIO_FLOOR, info.compress_size * MAX_RATIO)):
                    reader.issue("too-large", _("refused to unpack the workbook: {name} "
                                                "inflates too much").format(
                                                    name=info.filename), file=str(path),
                                 hint=_("open it in a spreadsheet and save it again if you "
                                        "trust it"))
                    return None
        return load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds on a bad file
        reader.issue("bad-workbook", _("cannot read the workbook: {reason}").format(
            reason=error or type(error).__name__), file=str(path),
                     hint=_("give an .xlsx file (Excel 2007 or later; LibreOffice: Enregistrer "
                            "sous > Excel 2007-365); .xls and .ods are not read"))
        return None
