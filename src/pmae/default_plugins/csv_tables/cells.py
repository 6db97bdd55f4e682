"""Cells of the CSV tables: formula protection, lists, dialects, typed scalars."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, Final

import attrs

from pmae.default_plugins.csv_tables.layout import Column
from pmae.i18n import gettext as _
from pmae.io.csv_reader import needs_quote, unprotect
from pmae.plugins.items import ExportError

#: What separates the items of a list in one cell.
LIST_SEPARATOR: Final = " | "

#: The dialects the ``dialect`` option names: RFC 4180, or Excel's French (;, BOM, 3,5).
DIALECTS: Final = ("rfc4180", "excel")
#: What a cell parses to when it holds no value (not even null).
ABSENT: Final = object()
#: A number as a cell may write it (a decimal comma is accepted).
NUMBER_PATTERN: Final = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?(?:[eE][+-]?[0-9]+)?")
#: An integer as a cell writes it.
INTEGER_PATTERN: Final = re.compile(r"-?[0-9]+")
_BOOLEANS: Final = {"true": True, "vrai": True, "false": False, "faux": False}


def protect(text: str) -> str:
    """A text cell as written: a ``'`` in front of a formula trigger (also full-width), of a
    leading space or invisible character (see :mod:`pmae.io.csv_writer`), and of a leading
    quote.

    The empty text is written ``'`` alone, since an empty cell means "absent".
    """
    if not text:
        return "'"
    return "'" + text if needs_quote(text) else text


def join_list(items: list[str]) -> str:
    """List items in one cell: ``\\`` and ``|`` backslash-escaped, joined by `` | ``."""
    return LIST_SEPARATOR.join(i.replace("\\", "\\\\").replace("|", "\\|") for i in items)


def split_list(text: str) -> tuple[list[str], str | None]:
    """Undo :func:`join_list`: the items, and what is wrong with the cell if anything.

    Any unescaped ``|`` separates items; one space on each side of it belongs to the
    separator, so ``a|b`` and ``a | b`` both read as ``a``, ``b``.
    """
    items: list[str] = []
    current: list[str] = []
    problem = None
    position = 0
    while position < len(text):
        char = text[position]
        if char == "\\":
            following = text[position + 1:position + 2]
            if following in ("\\", "|"):
                current.append(following)
                position += 2
                continue
            problem = problem or (
                _("a lone \\ at the end of the cell") if not following
                else _("{escape} is not an escape (write \\\\ for \\ and \\| for |)").format(
                    escape="\\" + following))
            current.append(char)
        elif char == "|":
            if current and current[-1] == " ":
                current.pop()
            items.append("".join(current))
            current = []
            if text[position + 1:position + 2] == " ":
                position += 1
        else:
            current.append(char)
        position += 1
    items.append("".join(current))
    return items, problem


@attrs.define(kw_only=True, frozen=True)
class Dialect:
    """How cells are written: the delimiter, the byte order mark and the decimal mark."""

    delimiter: str = ","
    bom: bool = False
    decimal: str = "."

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> Dialect:
        """``dialect=excel``: ``;``, a BOM and a decimal comma; ``rfc4180`` (default): ``,``."""
        unknown = sorted(set(options) - {"dialect"})
        if unknown:
            raise ExportError(_("unknown CSV option {names}; the option is dialect").format(
                names=", ".join(unknown)))
        name = options.get("dialect", "rfc4180")
        if name not in DIALECTS:
            raise ExportError(_("unknown CSV dialect {name!r}; use one of {dialects}").format(
                name=name, dialects=", ".join(DIALECTS)))
        return cls(delimiter=";", bom=True, decimal=",") if name == "excel" else cls()

    def number(self, value: int | float) -> str:
        """A number as JSON writes it (``3``, ``3.0``, ``1e-05``), with the decimal mark."""
        text = str(value) if isinstance(value, int) else repr(float(value))
        return text.replace(".", self.decimal)

    def scalar(self, value: Any, kind: str) -> str:
        """One value (not a list) as text; strings are not protected here."""
        if kind == "boolean" or isinstance(value, bool):
            return "true" if value else "false"
        if kind in ("integer", "number") and isinstance(value, (int, float)):
            return self.number(value)
        return str(value)

    def cell(self, value: Any, column: Column) -> str:
        """The cell of ``value`` (``ABSENT`` or ``None``: the empty cell)."""
        if value is ABSENT or value is None:
            return ""
        if column.is_list:
            return protect(join_list([self.scalar(v, column.kind) for v in value]))
        if column.kind == "string":
            return protect(str(value))
        return self.scalar(value, column.kind)


def value_type(value: Any) -> str:
    """The ``type`` cell of a value in a table of values of several types."""
    if value is None:
        return "null"
    return "string" if isinstance(value, str) else "number"


def parse_scalar(text: str, kind: str) -> tuple[Any, str | None]:
    """Text (already unprotected) -> a value of ``kind``, or an explanation of why not."""
    if kind == "string":
        return text, None
    bare = text.strip()
    try:
        if kind == "integer" and INTEGER_PATTERN.fullmatch(bare):
            return int(bare), None
        if kind == "number" and NUMBER_PATTERN.fullmatch(bare):
            normal = bare.replace(",", ".")
            if any(mark in normal for mark in ".eE"):
                number = float(normal)
                if not math.isfinite(number):
                    return None, _("{value} is too large a number").format(value=repr(text))
                return number, None
            return int(normal), None
    except ValueError:
        return None, _("{value} is too long a number").format(value=repr(text))
    if kind == "boolean" and bare.lower() in _BOOLEANS:
        return _BOOLEANS[bare.lower()], None
    expected = {"integer": _("expected an integer, got {value}"),
                "number": _("expected a number, got {value}"),
                "boolean": _("expected true or false, got {value}")}.get(kind)
    if expected is None:
        return None, _("expected {kind}, got {value}").format(kind=kind, value=repr(text))
    return None, expected.format(value=repr(text))


def parse_cell(cell: str, column: Column) -> tuple[Any, str | None]:
    """A cell -> its value (``ABSENT`` for the empty cell), or an explanation of why not."""
    if cell == "":
        return ABSENT, None
    text = unprotect(cell)
    if not column.is_list:
        return parse_scalar(text, column.kind)
    items, problem = split_list(text)
    values = []
    for item in items:
        value, error = parse_scalar(item, column.kind)
        if error:
            return None, _("list item {error}").format(error=error)
        values.append(value)
    return values, (_("malformed list: {problem}").format(problem=problem) if problem else None)
