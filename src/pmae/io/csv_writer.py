"""The one CSV writer of pmae: every CSV file it writes goes through it, formulas neutralised.

A spreadsheet opening a CSV runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula (OWASP "CSV injection": ``=HYPERLINK(…)`` exfiltrates, ``+33 6…`` becomes arithmetic).
Some also skip leading spaces and invisible characters before deciding, and some read the
full-width ``＝`` as ``=``. Such a text cell is written with a ``'`` in front, which spreadsheets
take as "this is text". A cell that is a plain number (``-3``, ``2,5``, ``1e-05``) is a number,
not a formula, and is written as it is.

The CSV tables (``pmae export --to csv``) read the ``'`` back off (see
:func:`pmae.io.csv_reader.unprotect`), so a neutralised cell round-trips.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable
from typing import Any, Final, TextIO

__all__ = ["FORMULA_TRIGGERS", "SafeWriter", "is_risky", "neutralise", "safe_writer"]

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_TRIGGERS: Final = frozenset("=+-@\t\r\n")
#: Their full-width forms, which some spreadsheets normalise before reading.
_WIDE_TRIGGERS: Final = frozenset("\uff1d\uff0b\uff0d\uff20")
#: Unicode categories of characters a reader does not see: spaces, controls, format
#: characters (zero-width space, direction marks, BOM…), line and paragraph separators.
_INVISIBLE: Final = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})
_NUMBER: Final = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?(?:[eE][+-]?[0-9]+)?")


def is_risky(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula, or hide what it starts with."""
    if not text:
        return False
    first = text[0]
    if first in FORMULA_TRIGGERS or first in _WIDE_TRIGGERS:
        return _NUMBER.fullmatch(text) is None
    return unicodedata.category(first) in _INVISIBLE


def neutralise(text: str) -> str:
    """``text`` as a cell: a ``'`` in front when it is :func:`is_risky`."""
    return "'" + text if is_risky(text) else text


class SafeWriter:
    """A ``csv.writer`` whose text cells are neutralised; numbers and other values are written
    as ``csv`` writes them."""

    def __init__(self, stream: TextIO, *, delimiter: str = ",",
                 lineterminator: str = "\r\n") -> None:
        self._writer = csv.writer(stream, delimiter=delimiter, lineterminator=lineterminator,
                                  quoting=csv.QUOTE_MINIMAL)

    def writerow(self, row: Iterable[Any]) -> None:
        """Write one row."""
        self._writer.writerow([neutralise(c) if isinstance(c, str) else c for c in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write every row."""
        for row in rows:
            self.writerow(row)


def safe_writer(stream: TextIO, *, delimiter: str = ",",
                lineterminator: str = "\r\n") -> SafeWriter:
    """The CSV writer every CSV file of pmae goes through (RFC 4180 by default: ``,`` and
    CRLF)."""
    return SafeWriter(stream, delimiter=delimiter, lineterminator=lineterminator)
