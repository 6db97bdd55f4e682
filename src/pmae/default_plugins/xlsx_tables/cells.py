"""Cells of the XLSX tables: typed values both ways.

A workbook holds typed cells, so numbers are numbers, booleans VRAI/FAUX and dates real dates
(shown ``jj/mm/aaaa``); text is text as it is, never a formula (a cell is typed as text, so
``=SUM(A1)`` stays those characters). Lists are one text cell, as in the CSV tables
(``a | b``). What a cell cannot hold exactly is written as text: a date before 1900, an integer
past 2**53, a float of 17 significant digits (a workbook keeps 16), a whole number of a column
of values of several types (``3.0`` is not ``3``).

A cell holding nothing is "absent", so the empty text is written ``'`` and any text made only
of apostrophes gets one more (``'`` -> ``''``); the reader takes one off.

Reading converts a cell to the text the CSV tables would hold (:mod:`..csv_tables.cells`),
which the shared reader then parses: one set of rules for both formats.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Final

from pmae.default_plugins.csv_tables.cells import ABSENT, Dialect, join_list, protect
from pmae.default_plugins.csv_tables.habits import Note, serial_date
from pmae.default_plugins.csv_tables.layout import Column
from pmae.i18n import gettext as _

#: Excel's number format for the dates it writes, in every locale shown day first.
DATE_FORMAT: Final = "DD/MM/YYYY"
#: The largest integer a spreadsheet number holds exactly.
_EXACT: Final = 2**53
_DIALECT: Final = Dialect()


def text_cell(text: str) -> str:
    """Text as written in a cell: one more ``'`` when it is empty or only apostrophes."""
    return "'" + text if not text.strip("'") else text


def read_text(text: str) -> str:
    """Undo :func:`text_cell`."""
    return text[1:] if text and not text.strip("'") else text


def to_cell(value: Any, column: Column) -> Any:
    """The value of a workbook cell for ``value`` of ``column`` (None: an empty cell)."""
    if value is ABSENT or value is None:
        return None
    if column.is_list:
        return text_cell(join_list([_DIALECT.scalar(v, column.kind) for v in value]))
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) <= _EXACT else str(value)
    if isinstance(value, float):
        # In a column of several types the type is in its own column: keep 3.0 a float.
        # Workbooks store 16 significant digits (openpyxl writes "%.16g"): a float that
        # needs 17 is written as text, which reads back exactly.
        if (column.kind == "mixed" and value.is_integer()) or float(f"{value:.16g}") != value:
            return repr(value)
        return value
    if column.definition == "date":
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            return text_cell(str(value))
        # Spreadsheets count days from 1900; earlier dates stay text (ISO, read back as such).
        return day if day.year >= 1900 and str(value) == day.isoformat() else text_cell(str(value))
    return text_cell(str(value))


def from_cell(value: Any, column: Column | None) -> tuple[str, Note | None]:
    """A workbook cell as the CSV tables write it, and a note when it was mended (or, with
    severity ``error``, refused). ``column`` is ``None`` for parent ids, keys and types."""
    if value is None:
        return "", None
    if isinstance(value, str):
        return protect(read_text(value)), None
    if isinstance(value, bool):
        return ("true" if value else "false"), None
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return _from_date(value, column)
    if isinstance(value, (int, float)):
        return _from_number(value, column)
    return protect(str(value)), None


def _from_number(value: float, column: Column | None) -> tuple[str, Note | None]:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value), None
    whole = isinstance(value, int) or value.is_integer()
    kind = column.kind if column is not None else "string"
    if kind in ("number", "mixed") or not whole:
        text = str(value) if isinstance(value, int) else repr(value)
    else:
        text = str(int(value))
    if column is None or kind != "string" or column.is_list:
        return text, None
    if column.definition == "date" and whole:
        return serial_date(int(value))
    return text, Note(code="number-as-text", severity="info",
                      message=_("read the number {number} as the text {text}").format(
                          number=text, text=repr(text)),
                      hint=_("format the column as Text before saving, so that leading "
                             "zeros and long numbers are kept"))


def _from_date(value: dt.date | dt.time, column: Column | None) -> tuple[str, Note | None]:
    definition = column.definition if column is not None else None
    if isinstance(value, dt.time):
        return str(value), Note(code="bad-date", severity="error",
                                message=_("a time of day ({value}) where no time is expected")
                                .format(value=value))
    moment = value if isinstance(value, dt.datetime) else None
    day = value.date() if isinstance(value, dt.datetime) else value
    if definition == "date" and (moment is None or moment.time() == dt.time()):
        return day.isoformat(), None
    if definition == "datetime":
        return str(value), Note(
            code="bad-date", severity="error",
            message=_("a date and time ({value}) without its time zone").format(
                value=f"{value:%d/%m/%Y %H:%M}"),
            hint=_("write it as text with its offset, 2025-09-01T14:30:00+02:00"))
    if definition == "date":
        return day.isoformat(), Note(code="bad-date", severity="error",
                                     message=_("a date with a time of day ({value}) where a "
                                               "date alone is expected").format(value=value),
                                     hint=_("keep the date alone (jj/mm/aaaa)"))
    return str(value), Note(code="bad-date", severity="error",
                            message=_("a date ({value}) where no date is expected").format(
                                value=f"{day:%d/%m/%Y}"),
                            hint=_("format the column as Text and type the value again"))
