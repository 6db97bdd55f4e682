"""JSON Lines validated record by record, in bounded memory.

A JSON Lines bundle (the envelope on line 1, then one ``{"<collection>": {record}}`` a line)
need not be held whole to be validated: :func:`scan_json_lines` reads it a line at a time and
runs the three layers on each record as it comes (JSON Schema of the record, its structuring,
the semantic checks of :class:`~pmae.io.checks.Checker`), keeping only compact indexes: the id
of every record with its collection (what references are checked against), the line of every
record (for issues), and the references that point forward (to a record further down), checked
once every id is known. The records themselves are dropped as soon as they are checked; a
publication reads them again, one at a time, with :func:`read_json_lines`.

The issues are those :func:`~pmae.io.pipeline.validate_file` gives for the same file. To keep
them exactly so, the scan gives up (returns ``None``) as soon as the bundle is not plainly a
valid one of this pmae's format: the caller then validates the file whole, as
``pmae validate`` does, which explains every error. A scan that completes has found no error:
only warnings and notes (ids of another network, references to other networks' records, size
bands that do not match a headcount). Checks added by plugins take a whole bundle: callers
stream only when there are none.
"""

from __future__ import annotations

import hashlib
import os
from array import array
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import attrs
import orjson

from pmae.io.checks import CheckContext, Checker
from pmae.io.converter import structure_schema_checked, unstructure
from pmae.io.files import Document, DocumentError, _parse
from pmae.io.pipeline import _gc_paused, _with_lines
from pmae.io.schema_issues import RECORD_SCHEMA
from pmae.io.schemas import validator
from pmae.io.text_checks import text_issues
from pmae.issues import Issue, has_errors, sort_issues
from pmae.model import COLLECTIONS, Bundle, Record

__all__ = ["Accepted", "FileChangedError", "ScannedBundle", "read_json_lines", "scan_json_lines"]

#: Called with the number of bytes read since the last call (for a progress bar).
Progress = Callable[[int], None]

#: Called with each record found valid so far (its collection and value), as it is scanned.
Accepted = Callable[[str, Record], None]


@attrs.define(kw_only=True)
class ScannedBundle:
    """A JSON Lines bundle validated record by record, without its records.

    ``issues`` are the warnings and notes validating the file whole gives (no error: a scan
    that meets one gives up); ``kinds`` maps the id of every record to its collection.
    """

    file: str
    issues: list[Issue]
    envelope: Bundle
    kinds: dict[str, str]
    counts: dict[str, int]
    sha256: str

    @property
    def sources(self) -> list[str]:
        """The sources the bundle carries: its own and those of its records' ids, sorted."""
        found = {self.envelope.source.slug}
        found.update(record_id.partition(":")[0] for record_id in self.kinds)
        return sorted(found)


class FileChangedError(Exception):
    """The file changed between its validation and its reading."""


class _Scan:
    """The state of one scan: the checker (its ``kind_of`` is the index of ids), the lines,
    the references left to check."""

    def __init__(self, envelope: Bundle, context: CheckContext, file: str,
                 accepted: Accepted | None = None) -> None:
        self.accepted = accepted
        self.checker = Checker(envelope, context, file, None, None)
        self.lines: dict[str, array[int]] = {name: array("I") for name in COLLECTIONS}
        self.plans = {name: self.checker.plan(name) for name in COLLECTIONS}
        self.names = {name: [field for field, _ in plan.references]
                      for name, plan in self.plans.items()}
        self.validators = {name: validator(schema) for name, schema in RECORD_SCHEMA.items()}
        #: (collection, index, the record, or the values of its reference fields)
        self.pending: list[tuple[str, int, Any]] = []

    def record(self, number: int, value: Any) -> bool:
        """Check the record of line ``number``; ``False`` when the file must be validated
        whole (anything else than a valid record)."""
        if not (isinstance(value, dict) and len(value) == 1):
            return False
        ((collection, data),) = value.items()
        cls = COLLECTIONS.get(collection)
        if cls is None or not self.validators[collection].is_valid(data):
            return False
        try:
            record: Record = structure_schema_checked(data, cls)
        except Exception:  # noqa: BLE001 - the whole validation explains it
            return False
        checker = self.checker
        record_id = record.id
        if record_id in checker.kind_of:
            return False  # a duplicate id: which one is "first" is the whole bundle's order
        checker.kind_of[record_id] = collection
        index = len(self.lines[collection])
        self.lines[collection].append(number)
        before = len(checker.issues)
        checker.foreign_id(collection, index, record_id)
        plan = self.plans[collection]
        checker.check_record(plan, index, record, references=False)
        if plan.nested:
            self.pending.append((collection, index, record))
        elif not checker.references_resolve(plan, record):
            self.pending.append((collection, index, tuple(
                getattr(record, field) for field in self.names[collection])))
        if has_errors(checker.issues[before:]):
            return False
        if self.accepted is not None:
            self.accepted(collection, record)
        return True

    def finish(self) -> list[Issue] | None:
        """Check the references left, now that every id is known."""
        checker = self.checker
        for collection, index, held in self.pending:
            # A meeting is kept whole (its speakers…); any other record as its references.
            record: Any = (SimpleNamespace(**dict(zip(self.names[collection], held, strict=True)))
                           if isinstance(held, tuple) else held)
            checker.references(collection, index, record)
        if has_errors(checker.issues):
            return None
        lines = Document(data=None, file=checker.file, lines=self.lines)
        return sort_issues(_with_lines(checker.issues, lines))


def _envelope(value: Any, file: str, context: CheckContext,
              accepted: Accepted | None) -> _Scan | None:
    # A bundle of a newer minor format whose records hold fields this pmae does not know
    # fails the records' schema below: the whole validation then says which it ignores.
    if (not isinstance(value, dict) or any(name in value for name in COLLECTIONS)
            or not validator("bundle").is_valid(value)):
        return None
    try:
        envelope = structure_schema_checked(value, Bundle)
    except Exception:  # noqa: BLE001 - the whole validation explains it
        return None
    return _Scan(envelope, context, file, accepted)


def scan_json_lines(path: str | os.PathLike[str], *, context: CheckContext | None = None,
                    progress: Progress | None = None,
                    accepted: Accepted | None = None) -> ScannedBundle | None:
    """Validate a JSON Lines bundle record by record (layers 1 to 3, without plugins' checks).

    :returns: the bundle's issues (warnings and notes) and indexes, or ``None`` when the file
        must be validated whole to say what is wrong with it (or to read it: collections
        inside the envelope).
    :param progress: called with the bytes read, as they are.
    :param accepted: called with each record that passed its own checks, as it is scanned
        (a publication writes it then): the scan may still end in ``None`` (an error further
        down, or a reference checked at the end), and the caller must then undo what it did.
    """
    file = os.fspath(path)
    context = attrs.evolve(context or CheckContext(), schema_checked=True)
    digest = hashlib.sha256()
    scan: _Scan | None = None
    try:
        handle = open(file, "rb")  # noqa: SIM115 - closed below, errors left to the whole path
    except OSError:
        return None
    with handle, _gc_paused():
        for number, raw in enumerate(handle, start=1):
            digest.update(raw)
            if progress is not None:
                progress(len(raw))
            if not raw.strip():
                continue
            try:
                value, clean = _parse(raw, file=file, line_base=number - 1)
            except DocumentError:
                return None
            if not clean and text_issues(value, file=file):
                return None  # an error (a control character…): the whole validation says where
            if scan is None:
                scan = _envelope(value, file, context, accepted)
                if scan is None:
                    return None
            elif not scan.record(number, value):
                return None
        if scan is None:
            return None
        issues = scan.finish()
    if issues is None:
        return None
    return ScannedBundle(file=file, issues=issues, envelope=scan.checker.bundle,
                         kinds=scan.checker.kind_of, sha256=digest.hexdigest(),
                         counts={name: len(lines) for name, lines in scan.lines.items()})


def read_json_lines(scanned: ScannedBundle, *, progress: Progress | None = None
                    ) -> Iterator[tuple[str, dict[str, Any]]]:
    """The records of a scanned bundle again, one at a time, in the file's order: the
    collection and the record as JSON-ready data (what writing the bundle would write).

    :raises FileChangedError: (once read to the end) the file is not the one scanned.
    """
    digest = hashlib.sha256()
    first = True
    with open(scanned.file, "rb") as handle:
        for raw in handle:
            digest.update(raw)
            if progress is not None:
                progress(len(raw))
            if not raw.strip():
                continue
            if first:
                first = False
                continue
            try:
                value = orjson.loads(raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw)
                ((collection, data),) = value.items()
                record = structure_schema_checked(data, COLLECTIONS[collection])
            except Exception as error:
                raise FileChangedError(_changed(scanned.file)) from error
            yield collection, unstructure(record)
    if digest.hexdigest() != scanned.sha256:
        raise FileChangedError(_changed(scanned.file))


def _changed(file: str) -> str:
    return f"{file} changed while it was published; publish it again once it is written"
