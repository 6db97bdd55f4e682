"""What a JSON parser lets through and pmae refuses: too deep a nesting, and repeated keys.

orjson accepts an object with a key twice (the last wins, silently) and any nesting up to 1,024
levels, deeper than Python's own recursion limit: every later layer (JSON Schema, cattrs, even
``repr``) would crash on it. A bundle is at most about ten levels deep, so anything past
:data:`MAX_DEPTH` is refused where it is read, and never reaches the code that recurses.

Both are found without walking the data in Python, which would cost half as much as parsing:
orjson writes the parsed data back, indented (a value n levels deep starts a line with 2n
spaces). Every ``:`` of a JSON text separates a key from its value or is a character of a
string, so when the text and what orjson wrote back have as many colons, no key was lost. Only
when they differ (or the text writes a colon as ``\\u003a``) is the text parsed again, slowly,
to say which key is repeated and where.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, Final

import orjson

from pmae.io.text_checks import may_hold_unsafe_text
from pmae.jsonpath import json_path

__all__ = [
    "MAX_DEPTH", "ShapeProblem", "depth_problem", "find_shape_problem", "inspect_parsed",
    "too_deep",
]

#: How deep a document may nest objects and arrays. A bundle needs about ten levels; the rest
#: is headroom for extensions, far below where Python's recursion limit would be reached.
MAX_DEPTH: Final = 64

#: How many parts of a path a message shows before eliding the middle.
_PATH_PARTS_SHOWN: Final = 12


class ShapeProblem(Exception):
    """A document nests too deep or repeats a key: the issue ``code``, and ``path`` says where."""

    def __init__(self, code: str, message: str, path: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.path = path


def _short_path(parts: list[str | int]) -> str:
    if len(parts) <= _PATH_PARTS_SHOWN:
        return json_path(parts)
    head = json_path(parts[: _PATH_PARTS_SHOWN // 2])
    tail = json_path(parts[-(_PATH_PARTS_SHOWN // 2):])[1:]
    return f"{head}…{tail}"


def _children(value: Any) -> Iterator[tuple[str | int, Any]]:
    if isinstance(value, dict):
        yield from value.items()
    elif isinstance(value, list):
        yield from enumerate(value)


def _first(data: Any, found: Callable[[list[str | int], Any], bool]) -> list[str | int] | None:
    """The path of the first value (depth first, document order) for which ``found`` holds,
    walked without recursion."""
    path: list[str | int] = []
    stack: list[Iterator[tuple[str | int, Any]]] = [_children(data)]
    while stack:
        step = next(stack[-1], None)
        if step is None:
            stack.pop()
            if path:
                path.pop()
            continue
        key, value = step
        if found([*path, key], value):
            return [*path, key]
        if isinstance(value, (dict, list)):
            path.append(key)
            stack.append(_children(value))
    return None


def too_deep(data: Any) -> list[str | int] | None:
    """The path of the first value more than :data:`MAX_DEPTH` levels below the root, if any."""
    return _first(data, lambda path, value: len(path) >= MAX_DEPTH)


class _Pairs(dict[str, Any]):
    """An object of the slow parse that knows which of its keys came twice."""

    repeated: str | None = None


def _pairs(items: list[tuple[str, Any]]) -> _Pairs:
    result = _Pairs()
    for key, value in items:
        if key in result and result.repeated is None:
            result.repeated = key
        result[key] = value
    return result


def _find_repeated(text: bytes) -> list[str | int] | None:
    """The path of the first repeated key in ``text`` (the slow, exact parse)."""
    # The depth was checked first, so the standard parser cannot reach the recursion limit.
    data = json.loads(text, object_pairs_hook=_pairs)

    def repeats(value: Any) -> bool:
        return isinstance(value, _Pairs) and value.repeated is not None

    if repeats(data):
        return [data.repeated]
    path = _first(data, lambda _, value: repeats(value))
    return None if path is None else [*path, _first_value(data, path).repeated]


def _first_value(data: Any, path: list[str | int]) -> Any:
    for part in path:
        data = data[part]
    return data


def _written(data: Any) -> bytes | None:
    """``data`` as orjson writes it, indented; ``None`` when orjson cannot (past the 254
    levels it writes, or an integer past 64 bits in data no JSON parser made)."""
    try:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2)
    except TypeError:
        return None


def _depth_problem(data: Any, written: bytes | None) -> ShapeProblem | None:
    # A value n levels below the root starts a line indented 2n spaces.
    if written is not None and b"\n" + b"  " * MAX_DEPTH not in written:
        return None
    path = too_deep(data)  # the walk decides when orjson could not write the data
    if path is None:
        return None
    return ShapeProblem(
        "too-deep", f"the document nests objects and arrays more than {MAX_DEPTH} levels deep",
        _short_path(path))


def depth_problem(data: Any) -> ShapeProblem | None:
    """Whether plain data (an importer's document, say) nests deeper than :data:`MAX_DEPTH`."""
    if not isinstance(data, (dict, list)):
        return None
    return _depth_problem(data, _written(data))


def find_shape_problem(data: Any, text: bytes) -> ShapeProblem | None:
    """What is wrong with the shape of ``data``, parsed from ``text``, if anything."""
    return inspect_parsed(data, text)[0]


def inspect_parsed(data: Any, text: bytes) -> tuple[ShapeProblem | None, bool]:
    """What is wrong with the shape of ``data``, parsed from ``text``, if anything; and whether
    its strings are surely free of the characters :mod:`pmae.io.text_checks` refuses (told by
    the same bytes orjson wrote back, so the text check need not write them again)."""
    if not isinstance(data, (dict, list)):
        return None, not (isinstance(data, str) and may_hold_unsafe_text(orjson.dumps(data)))
    written = _written(data)
    problem = _depth_problem(data, written)
    if problem is not None or written is None:
        return problem, False
    clean = not may_hold_unsafe_text(written)
    # Every colon of the text is a key's or a string's; orjson writes one a key.
    escaped = b"\\u003a" in text or b"\\u003A" in text
    if text.count(b":") == written.count(b":") and not escaped:
        return None, clean
    repeated = _find_repeated(text)
    if repeated is None:
        return None, clean
    return ShapeProblem("duplicate-key", f"the key '{repeated[-1]}' appears twice in the same "
                        "object (a reader would keep only the last)", _short_path(repeated)), clean
