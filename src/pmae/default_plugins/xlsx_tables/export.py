"""Export: a bundle as one workbook, a sheet per table, for people who edit in a spreadsheet.

The sheets are the CSV tables (same tables, same cells: :mod:`..csv_tables`), with French
column headers, the header row frozen, drop-down lists from the vocabularies and the
territories (codes in a hidden ``listes`` sheet), every table present even when empty (so rows
can be added), and a first sheet, "Lisez-moi", that says in French what each sheet and column
holds and how to bring the workbook back (``pmae import xlsx``).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from typing import IO, TYPE_CHECKING, Any, Final

from pmae.default_plugins.csv_tables.export import walk_tables, write_zip_entry, zip_time
from pmae.default_plugins.csv_tables.labels import column_label
from pmae.default_plugins.csv_tables.layout import Column, Table, layout
from pmae.default_plugins.xlsx_tables.cells import DATE_FORMAT, to_cell
from pmae.default_plugins.xlsx_tables.lists import (
    LISTS_SHEET,
    id_validation,
    list_of,
    reference_of,
    sheet_of,
    validation,
    write_lists,
)
from pmae.default_plugins.xlsx_tables.readme import README_SHEET, write_readme
from pmae.i18n import gettext as _
from pmae.io.bundles import bundle_to_data
from pmae.model import Bundle
from pmae.plugins.items import ExportContext, ExportError

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

#: Rows a drop-down list covers: the data and room to add many more.
_VALIDATED_ROWS: Final = 10_000
#: A spreadsheet's limit on the characters of one cell.
MAX_CELL: Final = 32_767
#: A spreadsheet's limit on the rows of one sheet (the header included).
MAX_ROWS: Final = 1_048_576
#: Characters XML 1.0, so a workbook, cannot hold (controls are refused by validation too).
NOT_IN_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> Any:
    return to_cell(value, Column(name="", keys=(), kind="string"))


def export_workbook(bundle: Bundle, stream: IO[bytes], context: ExportContext) -> None:
    """Write ``bundle`` as an ``.xlsx`` workbook to ``stream``."""
    from openpyxl import Workbook

    if context.options:
        raise ExportError(_("unknown XLSX option {names}; the xlsx exporter takes "
                            "none").format(names=", ".join(sorted(context.options))))
    data = bundle_to_data(bundle)
    rows = walk_tables(data, to_cell, _text)
    for file, table_rows in rows.items():
        if len(table_rows) > MAX_ROWS:
            raise ExportError(_("the sheet {sheet} would have {rows:,} rows; a spreadsheet "
                                "holds {most:,}: export to csv, or a part of the "
                                "bundle").format(sheet=file.removesuffix(".csv"),
                                                 rows=len(table_rows), most=MAX_ROWS))
    workbook = Workbook()
    readme = workbook.active
    assert readme is not None
    readme.title = README_SHEET
    sheets = {table.file: workbook.create_sheet(sheet_of(table)) for table in layout()}
    hidden = workbook.create_sheet(LISTS_SHEET)
    hidden.sheet_state = "hidden"
    wanted = sorted({name for table in layout() for column in table.columns
                     if (name := list_of(table, column)) is not None})
    lists = write_lists(hidden, wanted, context.vocabularies, context.territories)
    for table in layout():
        _fill(sheets[table.file], table, rows.get(table.file, [table.header()]), lists)
    write_readme(readme, bundle, lists, context.audience)
    _save(workbook, bundle, stream)


def _save(workbook: Workbook, bundle: Bundle, stream: IO[bytes]) -> None:
    """Save dated from the bundle (properties and zip entries), so that the same bundle gives
    the same bytes (openpyxl's ``save`` dates both from the clock)."""
    from openpyxl.writer.excel import ExcelWriter

    stamp = bundle.generated_at.astimezone(dt.UTC).replace(tzinfo=None)
    workbook.properties.created = workbook.properties.modified = stamp
    workbook.properties.creator = "pmae"
    buffer = io.BytesIO()
    ExcelWriter(workbook, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    when = zip_time(bundle)
    with zipfile.ZipFile(buffer) as written, zipfile.ZipFile(
            stream, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in written.namelist():
            write_zip_entry(archive, name, written.read(name), when)


def _fill(sheet: Worksheet, table: Table, rows: list[list[Any]], lists: dict[str, Any]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    header = table.header()
    columns = _columns(table)
    for position, name in enumerate(header, start=1):
        cell = sheet.cell(row=1, column=position, value=column_label(table, name)[0])
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for number, row in enumerate(rows[1:], start=2):
        for position, value in enumerate(row, start=1):
            if value is None:
                continue
            if isinstance(value, str) and len(value) > MAX_CELL:
                raise ExportError(_("a value of {sheet} (row {row}) has {length} characters; "
                                    "a spreadsheet cell holds {most}").format(
                                        sheet=sheet.title, row=number, length=len(value),
                                        most=MAX_CELL))
            if isinstance(value, str) and (bad := NOT_IN_XML.search(value)):
                raise ExportError(
                    _("a value of {sheet} (row {row}, column {column}) holds the character "
                      "U+{point:04X}, which a workbook cannot hold; remove it, or export to "
                      "csv").format(sheet=sheet.title, row=number,
                                    column=header[position - 1], point=ord(bad[0])))
            cell = sheet.cell(row=number, column=position, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text is text: never read as a formula
            elif isinstance(value, dt.date):
                cell.number_format = DATE_FORMAT
    for position, name in enumerate(header, start=1):
        letter = get_column_letter(position)
        column = columns.get(name)
        width = max(12, min(50, len(column_label(table, name)[0]) + 4))
        sheet.column_dimensions[letter].width = width
        if column is None:
            continue
        cells = f"{letter}2:{letter}{_VALIDATED_ROWS}"
        # Text columns stay text when typed into: SIREN, codes and ids keep their zeros.
        if column.kind == "string" or column.is_list:
            sheet.column_dimensions[letter].number_format = (
                DATE_FORMAT if column.definition == "date" else "@")
        name_of_list = list_of(table, column)
        target = reference_of(table, column)
        if name_of_list in lists:
            sheet.add_data_validation(validation(lists[name_of_list], column, rows=cells))
        elif target is not None:
            sheet.add_data_validation(id_validation(target, column, rows=cells,
                                                    last_row=_VALIDATED_ROWS))
    sheet.freeze_panes = "A2"
    if len(rows) > 1:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(rows)}"


def _columns(table: Table) -> dict[str, Column]:
    columns = {column.name: column for column in table.columns}
    if table.value is not None:
        columns["value"] = table.value
    return columns
