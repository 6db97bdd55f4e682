"""Thematic sheets, *Les ESSentiels*: for one theme, what it covers, the tools, and who
supports the associations at each stage of the support chain, for a territory.

``build_sheet(bundle, theme, departement=...)`` computes a :class:`Sheet` from what the
audience may see; :func:`render_markdown` and :func:`render_html` lay it out (the HTML is a
printable A4 page, with the report's escaping rules); :func:`to_pdf` prints it with headless
Chromium; :func:`write_sheets` writes sheets (and an index) into a folder, atomically;
:func:`as_production` makes a sheet a ``Production`` (kind ``fiche_thematique``) and
:func:`record_sheets` adds such productions to a bundle.
"""

from __future__ import annotations

from pmae.render.sheets.build import (
    as_production,
    build_sheet,
    build_sheets,
    production_id,
    record_sheets,
    sheet_themes,
)
from pmae.render.sheets.model import (
    Sheet,
    SheetActor,
    SheetMeeting,
    SheetOffer,
    SheetPractice,
    SheetProduction,
    SheetResource,
    SheetSource,
    SheetStage,
)
from pmae.render.sheets.pdf import PdfError, find_chromium, to_pdf
from pmae.render.sheets.render import md_escape, md_link, render_html, render_markdown
from pmae.render.sheets.write import FORMATS, MARKER, SheetsResult, save_sheets, write_sheets

__all__ = [
    "FORMATS",
    "MARKER",
    "PdfError",
    "Sheet",
    "SheetActor",
    "SheetMeeting",
    "SheetOffer",
    "SheetPractice",
    "SheetProduction",
    "SheetResource",
    "SheetSource",
    "SheetStage",
    "SheetsResult",
    "as_production",
    "build_sheet",
    "build_sheets",
    "find_chromium",
    "md_escape",
    "md_link",
    "production_id",
    "record_sheets",
    "render_html",
    "render_markdown",
    "save_sheets",
    "sheet_themes",
    "to_pdf",
    "write_sheets",
]
