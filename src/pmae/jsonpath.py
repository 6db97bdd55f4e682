"""JSON paths, the way every pmae issue points into a document: ``$.offers[3].themes``.

One module builds them, reads them back and sorts them, so that the path an issue carries, the
line a reader finds for it and the order issues are listed in agree everywhere. Bottom layer:
imports nothing from pmae.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

#: The root of every path.
ROOT: Final = "$"

_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A name, an index, or a quoted key (json_path quotes with repr: single quotes, or double
# quotes when the key holds a single quote).
_PART: Final = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[([0-9]+)\]|\['((?:[^'\\]|\\.)*)'\]"
                          r'|\["((?:[^"\\]|\\.)*)"\]')
_RECORD: Final = re.compile(r"^\$\.(\w+)\[(\d+)\]")


def json_path(parts: Iterable[str | int], root: str = ROOT) -> str:
    """``["offers", 3, "themes"]`` -> ``$.offers[3].themes``; a key that is not a name is quoted
    (``$.answers['q-1']``)."""
    path = root
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _NAME.fullmatch(part):
            path += f".{part}"
        else:
            path += "[" + repr(part).replace("\\\\", "\\") + "]"
    return path


def path_parts(path: str) -> list[str | int]:
    """``$.offers[3].themes`` -> ``["offers", 3, "themes"]`` (the inverse of :func:`json_path`)."""
    return [_part(match) for match in _PART.finditer(path)]


def parse_path(path: str) -> list[str | int] | None:
    """Like :func:`path_parts`, but None for anything that is not a whole JSON path."""
    if not path.startswith(ROOT):
        return None
    parts: list[str | int] = []
    position = len(ROOT)
    while position < len(path):
        match = _PART.match(path, position)
        if match is None:
            return None
        parts.append(_part(match))
        position = match.end()
    return parts


def _part(match: re.Match[str]) -> str | int:
    name, index, single, double = match.groups()
    if index is not None:
        return int(index)
    return name if name is not None else single if single is not None else double


def record_position(path: str) -> tuple[str, int] | None:
    """The collection and index a path points into (``$.offers[3].themes`` -> ``("offers", 3)``),
    or None for a path outside a record (``$``, ``$.source.slug``)."""
    match = _RECORD.match(path)
    return (match[1], int(match[2])) if match else None


def sort_key(path: str) -> tuple[tuple[int, int | str], ...]:
    """A key that orders paths as a reader expects: ``$.offers[10]`` after ``$.offers[9]``."""
    key: list[tuple[int, int | str]] = []
    token = ""
    for char in path:
        if char in ".[]":
            if token:
                key.append((0, int(token)) if token.isdigit() else (1, token))
            token = ""
        else:
            token += char
    if token:
        key.append((0, int(token)) if token.isdigit() else (1, token))
    return tuple(key)
