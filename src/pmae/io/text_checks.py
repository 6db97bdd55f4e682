"""Characters a text of a bundle must not hold: control characters, direction overrides.

A NUL or another control character is invisible, cuts C strings short and breaks the CSV,
HTML and calendar files pmae writes; a right-to-left override (U+202E) makes a text display in
another order than it reads (``exe.txt`` shown for ``txt.exe``), the "Trojan Source" trick. Both
are reported as errors with their path (``control-character``, ``bidi-override``); tab and line
breaks are allowed.

At national scale a walk over every string in Python would cost seconds, so orjson writes the
data back first (a fraction of a second) and the bytes are searched for any trace of such a
character; only when one is there are the strings walked to say where.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any, Final

import orjson

from pmae.issues import Issue
from pmae.jsonpath import json_path

__all__ = ["BIDI_CONTROLS", "CONTROL_CHARACTERS", "may_hold_unsafe_text", "text_issues"]

#: C0 controls but tab, line feed and carriage return; DEL; C1 controls.
CONTROL_CHARACTERS: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
BIDI_CONTROLS: Final = re.compile("[\u202a-\u202e\u2066-\u2069]")
#: How either may appear in what orjson writes: escaped (``\u0000``, ``\b``, ``\f``), or as
#: UTF-8 bytes. A match may be a false alarm (an escaped backslash then ``b``): the walk decides.
_TRACE: Final = re.compile(
    rb"\\u00[01][0-9a-fA-F]|\\[bf]|\x7f|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]")


def may_hold_unsafe_text(written: bytes) -> bool:
    """Whether JSON that orjson wrote may hold a control character or a direction control
    (``False``: surely not)."""
    return _TRACE.search(written) is not None


def _strings(data: Any) -> Iterator[tuple[list[str | int], str]]:
    """Every string of ``data`` (keys included) with its path, without recursion."""
    stack: list[tuple[list[str | int], Any]] = [([], data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            yield path, value
        elif isinstance(value, dict):
            for key, item in value.items():
                yield [*path, key], key
                stack.append(([*path, key], item))
        elif isinstance(value, list):
            stack.extend(([*path, index], item) for index, item in enumerate(value))


def _describe(char: str) -> str:
    name = unicodedata.name(char, "") or {"\x00": "NUL"}.get(char, "control character")
    return f"U+{ord(char):04X} {name}".rstrip()


def text_issues(data: Any, *, file: str | None = None) -> list[Issue]:
    """An issue for every string of ``data`` that holds a control character or a direction
    override."""
    try:
        written = orjson.dumps(data)
    except TypeError:  # what orjson cannot write (an integer past 64 bits): walk it
        written = None
    if written is not None and not may_hold_unsafe_text(written):
        return []
    issues = []
    for path, text in _strings(data):
        for pattern, code, what in (
                (CONTROL_CHARACTERS, "control-character", "a control character"),
                (BIDI_CONTROLS, "bidi-override", "a text-direction control")):
            found = pattern.search(text)
            if found is not None:
                issues.append(Issue(
                    code=code, path=json_path(path), file=file,
                    message=f"the text holds {what} ({_describe(found[0])}) at position "
                            f"{found.start() + 1}"))
    issues.sort(key=lambda issue: issue.path)
    return issues
