"""Files: reading JSON and JSON Lines documents into plain data (and, from
:mod:`pmae.io.atomic`, the atomic writes every output goes through)."""

from __future__ import annotations

import os
from array import array
from collections.abc import Iterator
from typing import IO, Any

import attrs
import orjson

from pmae.i18n import N_
from pmae.i18n import gettext as _
from pmae.io.atomic import atomic_folder, atomic_writer, write_bytes_atomic
from pmae.io.json_shape import MAX_DEPTH, inspect_parsed
from pmae.issues import Issue
from pmae.jsonpath import json_path
from pmae.model.bundle import COLLECTIONS


@attrs.define(kw_only=True)
class Document:
    """A parsed bundle document and, for JSON Lines, the line of every record."""

    data: Any
    file: str | None = None
    #: For JSON Lines: collection -> line number of each record, in order.
    lines: dict[str, array[int]] | None = None
    #: The reader made sure no string holds a control or direction character (the text check
    #: of validation can then skip its own search); ``False`` means "not known".
    text_clean: bool = False

    def line_of(self, collection: str, index: int) -> int | None:
        """The line a record came from (JSON Lines only)."""
        if self.lines is None or collection not in self.lines:
            return None
        numbers = self.lines[collection]
        return numbers[index] if 0 <= index < len(numbers) else None


__all__ = [
    "Document",
    "DocumentError",
    "atomic_folder",
    "atomic_writer",
    "dumps_json",
    "dumps_json_lines",
    "parse_json",
    "read_document",
    "too_large_issue",
    "write_bytes_atomic",
]


class DocumentError(Exception):
    """The file could not be read as a document; ``issue`` says where and why."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.render())
        self.issue = issue


def _position(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return line, column


def _encoding_issue(data: bytes, file: str | None, line_base: int = 0) -> Issue | None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        line, column = _position(data, error.start)
        return Issue(
            code="invalid-encoding", path="$", file=file, line=line + line_base,
            message=_("byte {byte} at column {column} is not UTF-8").format(
                byte=f"{data[error.start]:#04x}", column=column),
        )
    return None


def parse_json(data: bytes, *, file: str | None = None, line_base: int = 0,
               repeated_keys: bool = False) -> Any:
    """Parse JSON bytes; raise :class:`DocumentError` with the line and column on failure
    (or the path of a repeated key or of too deep a nesting).

    :param repeated_keys: let a key repeated in an object through (the last wins), for a
        caller that reports them itself, with their lines.
    """
    return _parse(data, file=file, line_base=line_base, repeated_keys=repeated_keys)[0]


def _parse(data: bytes, *, file: str | None, line_base: int = 0,
           repeated_keys: bool = False) -> tuple[Any, bool]:
    """:func:`parse_json`, and whether the strings are surely free of unsafe characters."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a BOM that spreadsheet tools add is not an error
    try:
        value = orjson.loads(data)
    except MemoryError:
        raise DocumentError(too_large_issue(data, file)) from None
    except orjson.JSONDecodeError as error:
        reason = str(error).split(":", 1)[0]
        if "memory" in reason.lower():  # orjson's own allocation failure
            raise DocumentError(too_large_issue(data, file)) from None
        issue = _encoding_issue(data, file, line_base) or _not_json(data, file)
        if issue is None and "depth" in reason.lower():
            issue = Issue(code="too-deep", path="$", file=file, line=error.lineno + line_base,
                          message=_("the document nests objects and arrays more than "
                                    "{depth} levels deep").format(depth=MAX_DEPTH))
        if issue is None:
            line = error.lineno + line_base
            # The line is in the issue's location (file:line:$); the message adds the column.
            issue = Issue(code="invalid-json", path="$", file=file, line=line,
                          message=_("{reason} at column {column}").format(
                              reason=reason, column=error.colno))
        raise DocumentError(issue) from None
    problem, clean = inspect_parsed(value, data)
    if problem is not None and not (repeated_keys and problem.code == "duplicate-key"):
        raise DocumentError(Issue(code=problem.code, path=problem.path, file=file,
                                  line=line_base + 1 if line_base else None,
                                  message=problem.message))
    return value, clean


def too_large_issue(data: bytes | int, file: str | None) -> Issue:
    """The issue of a document too large to hold in memory: what happened and what to do."""
    size = data if isinstance(data, int) else len(data)
    return Issue(code="too-large", path="$", file=file,
                 message=_("not enough memory to read this {size} MB document at once").format(
                     size=f"{size / 1e6:,.0f}"))


_IMPORT_HINT = N_("CSV tables are read with `pmae import csv PATH -o bundle.json`, then "
                  "validated")


def _not_json(data: bytes, file: str | None) -> Issue | None:
    """An issue for files that are something else than JSON gone wrong."""
    if not data.strip():
        return Issue(code="invalid-json", path="$", file=file, line=1,
                     message=_("the file is empty"),
                     hint=_("a bundle is a JSON object: {example}").format(
                         example='{"format_version": "1.0.0", …}'))
    if data.startswith(b"PK\x03\x04"):
        return Issue(code="invalid-json", path="$", file=file,
                     message=_("this is a zip archive, not a JSON bundle"),
                     hint=_(_IMPORT_HINT))
    if file is not None and file.lower().endswith((".csv", ".tsv")):
        return Issue(code="invalid-json", path="$", file=file,
                     message=_("this is a CSV file, not a JSON bundle"), hint=_(_IMPORT_HINT))
    return None


def read_document(path: str | os.PathLike[str]) -> Document:
    """Read a bundle file: JSON, or JSON Lines when it ends in ``.jsonl`` or ``.ndjson``."""
    name = os.fspath(path)
    try:
        if name.endswith((".jsonl", ".ndjson")):
            with open(name, "rb") as handle:
                return _read_json_lines(handle, name)
        with open(name, "rb") as handle:
            data = handle.read()
    except MemoryError:
        raise DocumentError(too_large_issue(os.path.getsize(name), name)) from None
    except FileNotFoundError:
        raise DocumentError(Issue(code="file-not-found", file=name,
                                  message=_("no such file"))) from None
    except IsADirectoryError:
        raise DocumentError(Issue(code="file-not-found", file=name,
                                  message=_("this is a folder, not a file"))) from None
    except PermissionError:
        raise DocumentError(Issue(code="file-not-found", file=name,
                                  message=_("permission denied"))) from None
    value, clean = _parse(data, file=name)
    return Document(data=value, file=name, text_clean=clean)


def _read_json_lines(handle: IO[bytes], file: str) -> Document:
    """JSON Lines bundle: line 1 is the envelope, then one ``{"<collection>": {record}}`` a line."""
    envelope: Any = None
    collections: dict[str, list[Any]] = {}
    lines: dict[str, array[int]] = {}
    clean = True
    for number, raw in enumerate(handle, start=1):
        if not raw.strip():
            continue
        value, line_clean = _parse(raw, file=file, line_base=number - 1)
        clean = clean and line_clean
        if envelope is None:
            if not isinstance(value, dict):
                raise DocumentError(Issue(
                    code="invalid-json", file=file, line=number,
                    message=_("the first line of a JSON Lines bundle must be the bundle "
                              "envelope (an object with format_version, source, generated_at)")))
            envelope = value
            continue
        if not (isinstance(value, dict) and len(value) == 1):
            raise DocumentError(Issue(
                code="invalid-json", file=file, line=number,
                message=_("each line after the first must be {form}").format(
                    form='{"<collection>": {record}}')))
        ((collection, record),) = value.items()
        if collection not in COLLECTIONS:
            raise DocumentError(Issue(
                code="unknown-field", file=file, line=number, path=json_path((collection,)),
                message=_("'{collection}' is not a collection of a bundle").format(
                    collection=collection),
                hint=_("use one of {collections}").format(collections=", ".join(COLLECTIONS))))
        collections.setdefault(collection, []).append(record)
        lines.setdefault(collection, array("I")).append(number)
    if envelope is None:
        raise DocumentError(Issue(code="invalid-json", file=file,
                                  message=_("the file is empty")))
    for collection, records in collections.items():
        if collection in envelope:
            raise DocumentError(Issue(
                code="invalid-json", file=file, line=1, path=json_path((collection,)),
                message=_("'{collection}' is both in the envelope and on its own lines").format(
                    collection=collection)))
        envelope[collection] = records
    return Document(data=envelope, file=file, lines=lines, text_clean=clean)


def dumps_json(data: Any) -> bytes:
    """Pretty, stable JSON bytes: 2-space indent, UTF-8, a final newline."""
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


def dumps_json_lines(data: dict[str, Any]) -> Iterator[bytes]:
    """A bundle document as JSON Lines: the envelope, then one record a line."""
    envelope = {key: value for key, value in data.items() if key not in COLLECTIONS}
    yield orjson.dumps(envelope, option=orjson.OPT_APPEND_NEWLINE)
    for collection in COLLECTIONS:
        for record in data.get(collection, ()):
            yield orjson.dumps({collection: record}, option=orjson.OPT_APPEND_NEWLINE)
