"""Reading answers files: JSON (``{"A1.1": 2, …}``) or CSV (``question,answer`` rows).

Reading only checks what any answer must be (a number, a text or null, given once); whether an
answer fits its question is the engine's job. Every problem is an issue with the file and the
line, never an exception.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from typing import Any

from pmae.i18n import gettext as _
from pmae.io.files import DocumentError, parse_json
from pmae.issues import Issue
from pmae.jsonpath import json_path
from pmae.model.records import Answer

__all__ = ["read_answers"]

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
# A decimal point or, as French spreadsheets write it, a decimal comma; no NaN nor infinity.
_DECIMAL = re.compile(r"^[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?$")


def read_answers(path: str | os.PathLike[str]) -> tuple[dict[str, object], list[Issue]]:
    """Read an answers file: ``.csv`` as CSV, anything else as JSON.

    :returns: question id -> answer (``None`` for "ne sait pas"), and the issues found; an
        answer with an issue is left out.
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return {}, [Issue(code="file-not-found", file=name, message=_("no such file"))]
    except IsADirectoryError:
        return {}, [Issue(code="file-not-found", file=name,
                          message=_("this is a folder, not a file"))]
    except PermissionError:
        return {}, [Issue(code="file-not-found", file=name, message=_("permission denied"))]
    if name.lower().endswith(".csv"):
        return _read_csv(data, name)
    return _read_json(data, name)


def _read_json(data: bytes, file: str) -> tuple[dict[str, object], list[Issue]]:
    try:
        document = parse_json(data, file=file, repeated_keys=True)  # duplicate-answer, below
    except DocumentError as error:
        return {}, [error.issue]
    if not isinstance(document, dict):
        return {}, [Issue(code="wrong-type", file=file, line=1,
                          message=_("expected an object {form}, got {type}").format(
                              form="{question: answer}", type=type(document).__name__))]
    answers: dict[str, object] = {}
    issues: list[Issue] = []
    first_line: dict[str, int] = {}
    for key, value, line in _entries(data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")):
        path = json_path([key])
        if key in first_line:
            issues.append(Issue(code="duplicate-answer", path=path, file=file, line=line,
                                message=_("question {question} is answered twice (first "
                                          "at line {line})").format(question=repr(key),
                                                                    line=first_line[key])))
            continue
        first_line[key] = line
        if isinstance(value, bool) or not isinstance(value, int | float | str | None):
            issues.append(Issue(code="invalid-answer", path=path, file=file, line=line,
                                message=_("{type} is not an answer").format(
                                    type=_json_type(value)),
                                hint=_("answer with a number, a text, or null for "
                                       "\"ne sait pas\"")))
            continue
        answers[key] = value
    return answers, issues


def _entries(text: str) -> list[tuple[str, Any, int]]:
    """``(key, value, line of the key)`` of a top-level JSON object, duplicates included.

    The text is known to be valid JSON holding an object: this only finds where each key is.
    """
    decoder = json.JSONDecoder()
    entries: list[tuple[str, Any, int]] = []
    position = _skip(text, 0) + 1  # past "{"
    line, counted = 1, 0
    position = _skip(text, position)
    while text[position] != "}":
        line += text.count("\n", counted, position)
        counted = position
        key, position = decoder.raw_decode(text, position)
        position = _skip(text, _skip(text, position) + 1)  # past ":"
        value, position = decoder.raw_decode(text, position)
        entries.append((key, value, line))
        position = _skip(text, position)
        if text[position] == ",":
            position = _skip(text, position + 1)
    return entries


def _skip(text: str, position: int) -> int:
    match = _WHITESPACE.match(text, position)
    return match.end() if match else position


def _json_type(value: Any) -> str:
    return {bool: _("true or false"), list: _("an array"), dict: _("an object")}.get(
        type(value), type(value).__name__)


def _cell(text: str) -> Answer:
    """A CSV cell typed: empty is null, then an integer, a decimal number, or the text."""
    text = text.strip()
    if not text:
        return None
    if _INTEGER.match(text):
        return int(text)
    if _DECIMAL.match(text):
        return float(text.replace(",", "."))
    return text


def _read_csv(data: bytes, file: str) -> tuple[dict[str, object], list[Issue]]:
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return {}, [Issue(code="invalid-encoding", file=file, line=line,
                          message=_("byte {byte} at line {line} is not UTF-8").format(
                              byte=f"{data[error.start]:#04x}", line=line),
                          hint=_("save the file as CSV UTF-8"))]
    first_line = text.split("\n", 1)[0]
    # French spreadsheets separate with ";" (their decimal separator is the comma).
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    answers: dict[str, object] = {}
    issues: list[Issue] = []
    seen: dict[str, int] = {}
    try:
        header = [cell.strip() for cell in next(reader, [])]
        # A third column "text" holds the question for whoever fills the file in; it is read
        # past, like any help column a template carries.
        width = 3 if header[2:3] == ["text"] else 2
        if header[:2] != ["question", "answer"] or any(header[width:]):
            issues.append(Issue(code="missing-field", file=file, line=1,
                                message=_("the first line must be the header "
                                          "question,answer (and optionally text)"),
                                hint=_("put question,answer on the first line, then one "
                                       "question a row")))
            return {}, issues
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue  # blank lines that spreadsheets leave at the end
            if any(cell.strip() for cell in row[width:]):
                issues.append(Issue(code="unknown-field", file=file, line=line,
                                    message=_("{cells} cells where {width} are expected")
                                    .format(cells=len(row), width=width),
                                    hint=_("one question and one answer a row; quote an "
                                           "answer that holds a {delimiter}").format(
                                               delimiter=repr(delimiter))))
                continue
            question = row[0].strip()
            if not question:
                issues.append(Issue(code="missing-field", file=file, line=line,
                                    column="question", message=_("the question id is empty")))
                continue
            if question in seen:
                issues.append(Issue(code="duplicate-answer", file=file, line=line,
                                    column="question",
                                    message=_("question {question} is answered twice "
                                              "(first at line {line})").format(
                                                  question=repr(question),
                                                  line=seen[question])))
                continue
            seen[question] = line
            answers[question] = _cell(row[1] if len(row) > 1 else "")
    except csv.Error as error:
        issues.append(Issue(code="invalid-csv", file=file, line=reader.line_num,
                            message=_("not valid CSV: {reason}").format(reason=error)))
    return answers, issues
