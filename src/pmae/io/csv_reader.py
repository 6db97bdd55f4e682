"""Reading CSV files, for importers: the encoding, the delimiter, rows with their numbers, and
the ``'`` that pmae's CSV writer puts before risky cells taken off again.

pmae's own CSV importer (``pmae import csv``) reads with these functions, and so may a plugin's
importer (``pmae-registres`` detects the encoding of registry extracts with
:func:`detect_encoding`): the issues they return are located at the file and row, so the user
sees where to look::

    from pmae.io.csv_reader import read_rows, unprotect

    rows, issues = read_rows(path.read_bytes(), file=str(path), namespace="occitanie")
    for number, row in enumerate(rows or [], start=1):
        title = unprotect(row[0])
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path
from typing import Final

from pmae.i18n import gettext as _
from pmae.io.csv_writer import FORMULA_TRIGGERS, is_risky
from pmae.issues import Issue

__all__ = ["BOM", "detect_encoding", "needs_quote", "read_rows", "sniff_delimiter", "unprotect"]

#: The byte order mark Excel writes and looks for, as text.
BOM: Final = "\ufeff"


def detect_encoding(source: bytes | Path, *, fallback: str = "latin-1") -> str:
    """``utf-8-sig`` when the whole of ``source`` decodes as UTF-8 (with or without a BOM), else
    ``fallback`` (Latin-1, which decodes any byte: older open-data extracts use it; give
    ``cp1252`` for files saved by Excel on Windows).

    A path is read in blocks of 1 MB, so a national extract of hundreds of megabytes is never
    held in memory.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        if isinstance(source, bytes):
            decoder.decode(source, final=True)
        else:
            with source.open("rb") as handle:
                while block := handle.read(1 << 20):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return fallback
    return "utf-8-sig"


def sniff_delimiter(text: str) -> str:
    """``;`` when the first line has more ``;`` than ``,`` (French spreadsheets), else ``,``."""
    first_line = text.split("\n", 1)[0]
    return ";" if first_line.count(";") > first_line.count(",") else ","


def read_rows(data: bytes, *, file: str | None, encoding: str = "utf-8",
              namespace: str = "csv",
              encoding_hint: str | None = None) -> tuple[list[list[str]] | None, list[Issue]]:
    """The rows of a CSV file: decoded (a BOM dropped), delimiter sniffed, read strictly.

    :param file: the file named in the issues.
    :param namespace: the importer's namespace, for the codes of its issues
        (``<namespace>:bad-csv``, ``<namespace>:bad-option`` for an unknown encoding).
    :param encoding_hint: what to tell the user when the bytes are not ``encoding``.
    :returns: the rows (``None`` when the file cannot be read) and the issues, each located at
        the file and, for a CSV error, its row (``Issue.line``, 1 for the header).
    """
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        return None, [Issue(code="invalid-encoding", file=file, hint=encoding_hint,
                            message=_("byte {byte} is not {encoding}").format(
                                byte=f"{data[error.start]:#04x}", encoding=encoding))]
    except LookupError:
        return None, [Issue(code=f"{namespace}:bad-option", file=file,
                            message=_("unknown encoding {encoding}").format(
                                encoding=repr(encoding)))]
    text = text.removeprefix(BOM)
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text),
                              strict=True):
            rows.append(row)  # one at a time: the count names the row at fault
    except csv.Error as error:
        return None, [Issue(code=f"{namespace}:bad-csv", file=file, line=len(rows) + 1,
                            message=_("not valid CSV: {reason}").format(reason=error))]
    return rows, []


def needs_quote(text: str) -> bool:
    """Whether pmae's CSV tables write ``text`` with a ``'`` in front: a formula trigger (even
    before a number, so a text ``-5`` comes back as text), a leading ``'``, or what
    :func:`pmae.io.csv_writer.is_risky` finds (full-width triggers, invisible characters)."""
    return text[0] in FORMULA_TRIGGERS or text[0] == "'" or is_risky(text)


def unprotect(cell: str) -> str:
    """A cell as pmae's CSV tables wrote it, back to its text: ``'`` alone is the empty text;
    ``'`` before what :func:`needs_quote` finds loses the quote; any other cell is kept as it is
    (a hand-typed ``'abc`` stays ``'abc``)."""
    if cell == "'":
        return ""
    if len(cell) > 1 and cell[0] == "'" and needs_quote(cell[1:]):
        return cell[1:]
    return cell
