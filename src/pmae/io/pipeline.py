"""The validation pipeline: read → JSON Schema → structure → semantic checks, one issue list.

Layers run in order and each reports everything it finds. A record that fails the JSON Schema is
reported there and left out of the later layers (its id still counts as known, so records that
point to it are not reported twice); an envelope that fails stops the pipeline after layer 1.
"""

from __future__ import annotations

import copy
import gc
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import attrs
import cattrs

from pmae.io.checks import Check, CheckContext, check_bundle
from pmae.io.converter import default_converter, detailed_converter, structure_schema_checked
from pmae.io.files import Document, DocumentError, read_document
from pmae.io.json_shape import depth_problem
from pmae.io.schema_issues import schema_issues
from pmae.io.text_checks import text_issues
from pmae.issues import Issue, has_errors, sort_issues
from pmae.jsonpath import json_path, path_parts, record_position
from pmae.model import COLLECTIONS, FORMAT_VERSION, Bundle


class InvalidBundleError(Exception):
    """A bundle has errors; ``issues`` lists them all (``str()`` shows the first few)."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        errors = [i for i in issues if i.severity == "error"]
        shown = "\n".join(i.render() for i in errors[:5])
        more = f"\n… and {len(errors) - 5} more errors" if len(errors) > 5 else ""
        super().__init__(f"{len(errors)} error(s) in the bundle:\n{shown}{more}")


@attrs.define(kw_only=True)
class Report:
    """What validating one bundle found.

    ``bundle`` holds every record that passed the schema (all of them when ``ok``); it is
    ``None`` when the document could not be read or its envelope is invalid.
    """

    file: str | None
    issues: list[Issue]
    bundle: Bundle | None

    @property
    def ok(self) -> bool:
        """No errors (warnings allowed)."""
        return not has_errors(self.issues)


@contextmanager
def _gc_paused() -> Iterator[None]:
    # Loading builds millions of objects that all survive: the cyclic collector would walk
    # them again and again for nothing. Pausing it during the load is the single largest
    # saving at national scale (see benchmarks/).
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_TRANSFORMED = re.compile(r"^(?P<message>.*) @ (?P<path>\$.*)$")


def structure_issues(error: Exception, *, file: str | None) -> list[Issue]:
    """Layer 2: turn a cattrs error into issues with paths."""
    issues = []
    for line in cattrs.transform_error(error, path="$", format_exception=_format_exception):
        match = _TRANSFORMED.match(line)
        message, path = (match["message"], match["path"]) if match else (line, "$")
        issues.append(Issue(code="structure-error", path=path, message=message, file=file))
    return issues


def _format_exception(exc: BaseException, type_: type | None) -> str:
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        return f"unknown fields {', '.join(sorted(exc.extra_fields))}"
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, (TypeError, ValueError)) and str(exc):
        return str(exc)
    name = getattr(type_, "__name__", str(type_))
    return f"invalid value for {name}"


def structure_bundle(data: Any, *, file: str | None = None) -> tuple[Bundle | None, list[Issue]]:
    """Layer 2: plain data -> :class:`Bundle`, strictly; issues with paths where it fails."""
    try:
        return default_converter().structure(data, Bundle), []
    except Exception:  # noqa: BLE001 - any failure is re-run below to explain it
        pass
    try:
        return detailed_converter().structure(data, Bundle), []
    except Exception as error:  # noqa: BLE001
        return None, structure_issues(error, file=file)


def _with_lines(issues: Iterable[Issue], document: Document) -> list[Issue]:
    if document.lines is None:
        return list(issues)
    result = []
    for issue in issues:
        position = record_position(issue.path)
        line = document.line_of(*position) if position else None
        result.append(attrs.evolve(issue, line=line) if line and issue.line is None else issue)
    return result


def validate_document(
    document: Document | Any,
    *,
    file: str | None = None,
    context: CheckContext | None = None,
    extra_checks: Iterable[Check] = (),
    fast: bool = True,
    semantic: bool = True,
) -> Report:
    """Run the three layers on parsed data (a :class:`Document` or a plain dict).

    :param fast: decide validity with the fast schema validator, explain only what fails; with
        ``False`` the detailed validator runs on everything (same issues, much slower).
    :param semantic: run layer 3 (integrity and semantic checks, and ``extra_checks``); with
        ``False`` the report covers the schema and the model only.
    """
    if not isinstance(document, Document):
        # Data that no file was read for (an importer's) has not had its depth checked:
        # past Python's recursion limit, every later layer would crash.
        problem = depth_problem(document)
        if problem is not None:
            return Report(file=file, bundle=None, issues=[Issue(
                code=problem.code, path=problem.path, message=problem.message, file=file)])
        document = Document(data=document, file=file)
    file = file or document.file
    data = document.data
    with _gc_paused():
        issues, invalid = schema_issues(data, file=file, fast=fast)
        newer = _newer_minor(data)
        if newer is not None and any(i.code == "unknown-field" for i in issues):
            data, ignored = _without_newer_fields(data, issues, newer)
            document = attrs.evolve(document, data=data)
            issues, invalid = schema_issues(data, file=file, fast=fast)
            issues = ignored + issues
        envelope_broken = any(i.severity == "error" and (
                              (position := record_position(i.path)) is None or
                              position[0] not in COLLECTIONS)
                              for i in issues)
        if envelope_broken or not isinstance(data, dict):
            return Report(file=file, issues=sort_issues(_with_lines(issues, document)), bundle=None)
        if invalid:
            data = {
                key: ([r for i, r in enumerate(value) if (key, i) not in invalid]
                      if key in COLLECTIONS else value)
                for key, value in data.items()
            }
        bundle: Bundle | None
        structure_problems: list[Issue] = []
        try:
            # Everything left has passed the schema: the fast structuring that trusts it.
            bundle = structure_schema_checked(data, Bundle)
        except Exception:  # noqa: BLE001 - the strict converter explains any failure
            bundle, structure_problems = structure_bundle(data, file=file)
        issues.extend(structure_problems)
        if bundle is not None and semantic:
            base = context or CheckContext()
            context = attrs.evolve(base, schema_checked=True)
            positions = {
                name: [i for i in range(len(document.data[name])) if (name, i) not in invalid]
                for name in {name for name, _ in invalid}
            }
            issues.extend(check_bundle(
                bundle, context, file=file, extra_checks=extra_checks, positions=positions,
                known_ids=_dropped_ids(document.data, invalid),
            ))
            if not document.text_clean:
                issues.extend(text_issues(data, file=file))
    return Report(file=file, issues=sort_issues(_with_lines(issues, document)), bundle=bundle)


def _newer_minor(data: Any) -> str | None:
    """The format version of a bundle of a newer minor version than this pmae's, if it is one.

    Minor versions only add fields (semver): a reader of 1.0 can read a 1.3 bundle by ignoring
    what it does not know, and says so.
    """
    if not isinstance(data, dict) or not isinstance(data.get("format_version"), str):
        return None
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", data["format_version"])
    ours = FORMAT_VERSION.split(".")
    if match and match[1] == ours[0] and int(match[2]) > int(ours[1]):
        return str(data["format_version"])
    return None


def _without_newer_fields(
    data: dict[str, Any], issues: list[Issue], version: str
) -> tuple[dict[str, Any], list[Issue]]:
    """A copy of ``data`` without the fields this pmae does not know, and a warning for each."""
    cleaned = copy.deepcopy(data)
    # What is left is a bundle of the format this pmae knows, and says so when written again.
    cleaned["format_version"] = FORMAT_VERSION
    warnings = []
    for issue in issues:
        if issue.code != "unknown-field":
            continue
        *parents, field = path_parts(issue.path)
        container: Any = cleaned
        for part in parents:
            container = container[part]
        container.pop(field, None)
        warnings.append(attrs.evolve(
            issue, code="newer-field", severity="warning", hint=None,
            message=f"'{field}' comes with bundle format {version}; this pmae reads format "
                    f"{FORMAT_VERSION} and ignores it"))
    return cleaned, warnings


def _dropped_ids(data: dict[str, Any], invalid: set[tuple[str, int]]) -> dict[str, str]:
    ids = {}
    for collection, index in invalid:
        record = data[collection][index]
        if isinstance(record, dict) and isinstance(record.get("id"), str):
            ids[record["id"]] = collection
    return ids


def validate_file(
    path: str | os.PathLike[str],
    *,
    context: CheckContext | None = None,
    extra_checks: Iterable[Check] = (),
    fast: bool = True,
    semantic: bool = True,
) -> Report:
    """Read and validate a bundle file (JSON or JSON Lines); see :func:`validate_document`."""
    try:
        document = read_document(path)
    except DocumentError as error:
        return Report(file=os.fspath(path), issues=[error.issue], bundle=None)
    return validate_document(document, context=context, extra_checks=extra_checks, fast=fast,
                             semantic=semantic)


def load_bundle(
    path: str | os.PathLike[str], *, context: CheckContext | None = None,
    extra_checks: Iterable[Check] = (),
) -> Bundle:
    """Read, validate and return a bundle; raise :class:`InvalidBundleError` on any error."""
    report = validate_file(path, context=context, extra_checks=extra_checks)
    if not report.ok or report.bundle is None:
        raise InvalidBundleError(report.issues)
    return report.bundle


__all__ = [
    "InvalidBundleError",
    "Report",
    "json_path",
    "load_bundle",
    "structure_bundle",
    "validate_document",
    "validate_file",
]
