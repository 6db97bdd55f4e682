"""What a spreadsheet does to cells, mended where the meaning is certain, refused where not.

French Excel and LibreOffice rewrite what they open: a date ``2025-09-01`` comes back as
``01/09/2025``, the département code ``dep:01`` typed again as ``dep:1``, the IDCC ``0016`` as
``16``, the size band ``01`` as ``1``, ``1234,5`` as ``1 234,5``. Each of those has one
meaning, so the importers read it and say so in a note (an issue of severity ``info`` or
``warning`` at the cell). A SIREN shown as
``5,38237E+08`` has lost its last digits, which nothing can bring back: that is refused, with
what to do.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

import attrs

from pmae.default_plugins.csv_tables.cells import join_list, protect, split_list
from pmae.default_plugins.csv_tables.layout import Column
from pmae.i18n import gettext as _
from pmae.io.csv_reader import unprotect

#: Excel's day 0 (its 1900 date system, with the 1900 leap-year bug folded in).
EXCEL_EPOCH: Final = dt.date(1899, 12, 30)

_FRENCH_DATE: Final = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})")
_SHORT_YEAR: Final = re.compile(r"\d{1,2}([/.-])\d{1,2}\1\d{2}")
_SERIAL: Final = re.compile(r"\d{5}")
_LOST_ZERO: Final = re.compile(r"(reg|dep):(\d)|com:(\d{4})")
_SCIENTIFIC: Final = re.compile(r"[0-9]+(?:[.,][0-9]+)?[eE]\+?[0-9]+")
_GROUPED: Final = re.compile(r"-?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?")
_DIGITS_NAMES: Final = {"siren": "SIREN", "siret": "SIRET"}
#: Codes of digits of a fixed width, which a spreadsheet reads as numbers (``0016`` -> ``16``).
_PADDED: Final = {"idcc": 4, "size_band": 2}


@attrs.define(kw_only=True, frozen=True)
class Note:
    """What was mended or refused in one cell: ``code`` without the reader's prefix."""

    code: str
    severity: str
    message: str
    hint: str | None = None


def excel_date(serial: float) -> dt.date:
    """The date of an Excel serial day number (1900 date system)."""
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def mend_value(text: str, column: Column) -> tuple[str, Note | None]:
    """One value (a list's item, unprotected) as it should have been, and the note saying so.

    A refused value comes back unchanged with a note of severity ``error``.
    """
    definition = column.definition
    bare = text.strip()
    if definition == "date":
        return _mend_date(text, bare)
    if definition in ("territory", "commune"):
        match = _LOST_ZERO.fullmatch(bare)
        if match:
            fixed = f"{match[1]}:0{match[2]}" if match[1] else f"com:0{match[3]}"
            return fixed, Note(code="leading-zero", severity="info",
                               message=_("read {value} as {fixed} (a leading zero was lost)")
                               .format(value=repr(bare), fixed=repr(fixed)))
    width = _PADDED.get(str(definition))
    if width is not None and bare.isdigit() and len(bare) < width:
        fixed = bare.zfill(width)
        message = (_("read the IDCC {value} as {fixed} (a leading zero was lost)")
                   if definition == "idcc" else
                   _("read the size band {value} as {fixed} (a leading zero was lost)"))
        return fixed, Note(code="leading-zero", severity="info",
                           message=message.format(value=repr(bare), fixed=repr(fixed)))
    if definition in _DIGITS_NAMES and _SCIENTIFIC.fullmatch(bare):
        what = _DIGITS_NAMES[definition]
        return text, Note(
            code="lost-digits", severity="error",
            message=_("the {what} {value} was shortened by a spreadsheet to a number in "
                      "scientific notation: its last digits are lost").format(
                          what=what, value=repr(bare)),
            hint=_("type the {what} again from its source (INSEE, RNA…) and, before saving, "
                   "format the column as Text (Excel: Format de cellule > Texte; LibreOffice: "
                   "Formater les cellules > Texte)").format(what=what))
    if column.kind in ("integer", "number") and not column.is_list and _GROUPED.fullmatch(bare):
        fixed = re.sub(r"[ \u00a0\u202f]", "", bare)
        return fixed, Note(code="digit-grouping", severity="info",
                           message=_("read {value} as {fixed} (spaces between groups of "
                                     "digits)").format(value=repr(bare), fixed=repr(fixed)))
    return text, None


def _mend_date(text: str, bare: str) -> tuple[str, Note | None]:
    match = _FRENCH_DATE.fullmatch(bare)
    if match:
        try:
            day = dt.date(int(match[4]), int(match[3]), int(match[1]))
        except ValueError:
            return text, None  # not a date: the schema says so, with the value
        return day.isoformat(), Note(code="french-date", severity="info",
                                     message=_("read {value} as {day} (day/month/year)")
                                     .format(value=repr(bare), day=day.isoformat()))
    if _SHORT_YEAR.fullmatch(bare):
        return text, Note(code="short-year", severity="error",
                          message=_("{value} has a two-digit year: which century is not "
                                    "certain").format(value=repr(bare)),
                          hint=_("write the year with four digits (01/09/2025) or the date "
                                 "as 2025-09-01"))
    if _SERIAL.fullmatch(bare):
        return serial_date(int(bare))
    return text, None


def serial_date(serial: int) -> tuple[str, Note]:
    """A spreadsheet's day number in a date column: the date, and the warning saying so."""
    day = excel_date(serial).isoformat()
    return day, Note(code="serial-date", severity="warning",
                     message=_("read the number {serial} as the date {day} (a spreadsheet's "
                               "day number)").format(serial=serial, day=day),
                     hint=_("check the date; format the column as Date before saving"))


def mend_cell(cell: str, column: Column) -> tuple[str, list[Note]]:
    """A CSV cell (protected text) with each of its values mended: the cell as it should have
    been, and the notes. Columns without habits come back as they are."""
    if not cell or (column.definition not in _HABIT_DEFINITIONS
                    and column.kind not in ("integer", "number")):
        return cell, []
    text = unprotect(cell)
    items = split_list(text)[0] if column.is_list else [text]
    notes = []
    mended = []
    for item in items:
        value, note = mend_value(item, column)
        mended.append(value)
        if note is not None:
            notes.append(note)
    if not notes:
        return cell, []
    return protect(join_list(mended) if column.is_list else mended[0]), notes


_HABIT_DEFINITIONS: Final = frozenset({"date", "territory", "commune", "idcc", "size_band",
                                       "siren", "siret"})
