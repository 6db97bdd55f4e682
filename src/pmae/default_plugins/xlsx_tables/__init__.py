"""XLSX tables, both ways: the CSV tables as one workbook, for people who edit in a spreadsheet.

One sheet per table with French headers, frozen header rows, drop-down lists from the
vocabularies and the territories, and a "Lisez-moi" sheet; the importer reads such a workbook
(or a part of it) with the CSV importer's rules. ``docs/spreadsheets.md`` is the guide.
openpyxl is imported only when a workbook is written or read.
"""

from __future__ import annotations

from collections.abc import Callable

from pmae.default_plugins.xlsx_tables.export import export_workbook
from pmae.default_plugins.xlsx_tables.read import read_workbook
from pmae.plugins.hookspecs import hookimpl
from pmae.plugins.items import Exporter, Importer

__all__ = ["export_workbook", "pmae_register_exporters", "pmae_register_importers",
           "read_workbook"]


@hookimpl
def pmae_register_exporters(register: Callable[[Exporter], None]) -> None:
    """``xlsx``: one workbook, a sheet per table."""
    register(Exporter(
        name="xlsx", title="Classeur XLSX (une feuille par table)", export=export_workbook,
        suffix=".xlsx",
        description="The CSV tables as one workbook: French headers, drop-down lists, frozen "
                    "header rows and a Lisez-moi sheet, for Excel and LibreOffice.",
    ))


@hookimpl
def pmae_register_importers(register: Callable[[Importer], None]) -> None:
    """``xlsx``: a workbook as ``pmae export --to xlsx`` writes it, edited or in part."""
    register(Importer(
        name="xlsx", title="Classeur XLSX", read=read_workbook,
        description="A pmae workbook (one sheet per table); sheets alone update those tables "
                    "of the bundle given as -o.",
    ))
