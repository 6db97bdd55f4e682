"""A catalogue of bad documents, each with the exact issues it must produce.

Every entry starts from the valid document of ``conftest.py`` and breaks it in one way.
Each entry is also run through both schema paths (jsonschema-rs deciding which records to
explain, and Python ``jsonschema`` over the whole document), which must give the same issues.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from conftest import VALID_DOCUMENT, valid_document

from pmae.io.files import dumps_json, dumps_json_lines
from pmae.io.pipeline import Report, validate_document, validate_file
from pmae.issues import ISSUE_TYPES, Issue

Mutation = Callable[[dict[str, Any]], None]


def put(path: str, value: Any) -> Mutation:
    """Set the value at a dotted path (``offers.0.title``)."""
    *head, last = _parts(path)

    def mutate(document: dict[str, Any]) -> None:
        target: Any = document
        for part in head:
            target = target[part]
        target[last] = copy.deepcopy(value)

    return mutate


def drop(path: str) -> Mutation:
    """Remove the key at a dotted path."""
    *head, last = _parts(path)

    def mutate(document: dict[str, Any]) -> None:
        target: Any = document
        for part in head:
            target = target[part]
        del target[last]

    return mutate


def append(collection: str, record: dict[str, Any]) -> Mutation:
    """Add a record at the end of a collection."""
    return lambda document: document[collection].append(copy.deepcopy(record))


def _parts(path: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in path.split(".")]


@attrs.define(frozen=True)
class Entry:
    """One bad document: how it is made from the valid one, and the issues it must give."""

    name: str
    mutations: tuple[Mutation, ...]
    expected: list[tuple[str, str]]


CATALOGUE: list[Entry] = [
    Entry("wrong type", (put("offers.0.title", 12),),
          [("wrong-type", "$.offers[0].title")]),
    Entry("string for a list", (put("offers.0.themes", "recrutement"),),
          [("wrong-type", "$.offers[0].themes")]),
    Entry("string for a boolean", (put("meetings.0.registrations",
                                       [{"actor": "lma-ra:lma", "attended": "false"}]),),
          [("wrong-type", "$.meetings[0].registrations[0].attended")]),
    Entry("string for an integer", (put("associations.0.headcount", "3"),),
          [("wrong-type", "$.associations[0].headcount")]),
    Entry("missing required field", (drop("offers.0.actor"),),
          [("missing-field", "$.offers[0].actor")]),
    Entry("missing envelope field", (drop("source"),),
          [("missing-field", "$.source")]),
    Entry("unknown field", (put("offers.0.titel", "Premier emploi"),),
          [("unknown-field", "$.offers[0].titel")]),
    Entry("unknown code of an open vocabulary", (put("offers.0.themes", ["recrutment"]),),
          [("unknown-code", "$.offers[0].themes[0]")]),
    Entry("unknown code of a closed vocabulary",
          (put("offers.0.stages", ["conseil", "orientation"]),),
          [("unknown-code", "$.offers[0].stages[1]")]),
    Entry("malformed code", (put("needs.0.theme", "Recrutement"),),
          [("unknown-code", "$.needs[0].theme")]),
    Entry("ambiguous territory", (put("offers.0.territories", ["84"]),),
          [("ambiguous-territory", "$.offers[0].territories[0]")]),
    Entry("malformed territory", (put("needs.0.territory", "Rhône"),),
          [("malformed-territory", "$.needs[0].territory")]),
    Entry("non-existent département", (put("offers.0.territories", ["dep:69", "dep:99"]),),
          [("unknown-territory", "$.offers[0].territories[1]")]),
    Entry("commune of a non-existent département", (put("actors.0.commune", "com:20123"),),
          [("unknown-territory", "$.actors[0].commune")]),
    Entry("dangling reference", (put("offers.0.actor", "lma-ra:nobody"),),
          [("dangling-reference", "$.offers[0].actor")]),
    Entry("reference to the wrong kind of record", (put("referrals.0.by", "lma-ra:asso-1"),),
          [("wrong-reference", "$.referrals[0].by")]),
    Entry("duplicate id", (append("actors", {"id": "lma-ra:lma", "name": "Doublon",
                                             "actor_type": "autre"}),),
          [("duplicate-id", "$.actors[2].id")]),
    Entry("meeting ends before it starts", (put("meetings.0.end", "2025-03-14T08:00:00+01:00"),),
          [("dates-out-of-order", "$.meetings[0].end")]),
    Entry("offer valid until before valid from", (put("offers.0.valid_until", "2024-12-31"),),
          [("dates-out-of-order", "$.offers[0].valid_until")]),
    Entry("invalid date", (put("needs.0.date", "2024-02-30"),),
          [("invalid-date", "$.needs[0].date")]),
    Entry("datetime without a time zone", (put("meetings.0.start", "2025-03-14T09:00:00"),),
          [("invalid-datetime", "$.meetings[0].start")]),
    Entry("bad SIREN check digit", (put("associations.0.siren", "732829321"),
                                    drop("associations.0.siret")),
          [("bad-check-digit", "$.associations[0].siren")]),
    Entry("bad SIRET check digit", (put("actors.0.siret", "73282932000075"),),
          [("bad-check-digit", "$.actors[0].siret")]),
    Entry("SIRET not starting with the SIREN", (put("associations.0.siret", "44306184100047"),),
          [("siret-siren-mismatch", "$.associations[0].siret")]),
    Entry("huge headcount", (put("associations.0.headcount", 10**30),),
          [("out-of-range", "$.associations[0].headcount")]),
    Entry("format version 2", (put("format_version", "2.0.0"),),
          [("unknown-format", "$.format_version")]),
    Entry("id of another source", (put("resources", [{"id": "cress:guide-1", "title": "Guide",
                                                      "kind": "guide"}]),),
          [("foreign-id", "$.resources[0].id")]),
    Entry("badly formed id", (put("meetings.0.id", "cofil 1"),),
          [("invalid-id", "$.meetings[0].id")]),
    Entry("badly formed id of a record referred to", (put("needs.0.id", "besoin 1"),),
          [("invalid-id", "$.needs[0].id"), ("dangling-reference", "$.referrals[0].need")]),
    Entry("id with a trailing newline", (put("meetings.0.id", "lma-ra:cofil-1\n"),),
          [("invalid-id", "$.meetings[0].id")]),
    Entry("size band that does not match the headcount", (put("associations.0.size_band", "11"),),
          [("size-band-mismatch", "$.associations[0].size_band")]),
    # A record that fails the schema is left out of the later layers: dep:99 is not reported.
    Entry("several errors, every one reported, sorted by path",
          (put("offers.0.title", ""), put("actors.1.territories", ["dep:99", "69"]),
           put("offers.0.cost", "gratis"), drop("meetings.0.title")),
          [("ambiguous-territory", "$.actors[1].territories[1]"),
           ("missing-field", "$.meetings[0].title"),
           ("unknown-code", "$.offers[0].cost"),
           ("too-short", "$.offers[0].title")]),
]


def _document(entry: Entry) -> dict[str, Any]:
    document = valid_document()
    for mutation in entry.mutations:
        mutation(document)
    return document


def test_the_starting_document_is_valid() -> None:
    report = validate_document(valid_document())
    assert report.issues == []
    assert report.ok


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda e: e.name)
def test_catalogue(entry: Entry) -> None:
    document = _document(entry)
    fast = validate_document(document, file="bundle.json", fast=True)
    detailed = validate_document(document, file="bundle.json", fast=False)
    assert [(i.code, i.path) for i in fast.issues] == entry.expected
    assert fast.issues == detailed.issues
    assert {i.file for i in fast.issues} == {"bundle.json"}
    assert {i.code for i in fast.issues} <= set(ISSUE_TYPES)
    # The caller's document is read, never changed.
    assert document == _document(entry)


def _one(document: dict[str, Any]) -> Issue:
    (issue,) = validate_document(document).issues
    return issue


def test_unknown_field_says_what_was_meant() -> None:
    issue = _one(_document(CATALOGUE[6]))
    assert (issue.message, issue.hint) == (
        "'titel' is not a field of an offer", "did you mean 'title'?"
    )


def test_unknown_field_without_a_close_match_lists_the_fields() -> None:
    document = valid_document()
    document["needs"][0]["zzz"] = 1
    assert _one(document).hint == (
        "remove it; known fields: id, theme, origin, date, association, diagnosis, stage, "
        "priority, intensity, territory, size_band, sector, status, visibility, recipients"
    )


def test_unknown_codes_open_and_closed() -> None:
    document = valid_document()
    document["offers"][0]["themes"] = ["recrutment"]
    open_issue = _one(document)
    assert (open_issue.message, open_issue.hint) == (
        "'recrutment' is not a code of the vocabulary 'themes'",
        "did you mean 'recrutement'? see `pmae vocab themes`",
    )
    document = valid_document()
    document["offers"][0]["stages"] = ["conseill"]
    closed_issue = _one(document)
    assert (closed_issue.message, closed_issue.hint) == (
        "'conseill' is not a code of the closed vocabulary 'stages'",
        "did you mean 'conseil'? allowed: accueil, information, sensibilisation, conseil, "
        "formation, appui, suivi",
    )


def test_ambiguous_territory_message() -> None:
    document = valid_document()
    document["offers"][0]["territories"] = ["84"]
    issue = _one(document)
    assert (issue.message, issue.hint) == (
        "'84' does not say its level: is it a région, a département, a commune?",
        "write it with its level: reg:84 or dep:84",
    )
    # Only codes that exist are offered: 69 is a département, never a région.
    document["offers"][0]["territories"] = ["69"]
    assert _one(document).hint == "write it with its level: dep:69"
    document["offers"][0]["territories"] = ["dep:6"]
    issue = _one(document)
    assert (issue.code, issue.hint) == ("malformed-territory", "did you mean dep:06?")


# --- file-level entries ---------------------------------------------------------------------

GOOD = dumps_json(VALID_DOCUMENT)
HEADCOUNT = b'"headcount": 3'


def _replace(old: bytes, new: bytes) -> bytes:
    assert GOOD.count(old) == 1
    return GOOD.replace(old, new)


def _line_of(needle: bytes, content: bytes = GOOD) -> int:
    return content[: content.index(needle)].count(b"\n") + 1


def _column_of(needle: bytes, content: bytes = GOOD) -> int:
    offset = content.index(needle)
    return offset - (content.rfind(b"\n", 0, offset) + 1) + 1


DEEP = GOOD[:-2] + b',\n"x": ' + b"[" * 2000 + b"]" * 2000 + b"}\n"
TRUNCATED = GOOD[: GOOD.index(HEADCOUNT)]
BAD_BYTE = _replace("du Rhône".encode(), b"du Rh\xf4ne")
TRUNCATED_COLUMN = len(TRUNCATED) - TRUNCATED.rindex(b"\n")
BAD_LINE, BAD_COLUMN = _line_of(b"\xf4", BAD_BYTE), _column_of(b"\xf4", BAD_BYTE)


#: name -> (file content, expected (code, path, line) list, expected message of the first).
FILES: dict[str, tuple[bytes, list[tuple[str, str, int | None]], str | None]] = {
    "NaN": (_replace(HEADCOUNT, b'"headcount": NaN'),
            [("invalid-json", "$", _line_of(HEADCOUNT))], None),
    "Infinity": (_replace(HEADCOUNT, b'"headcount": Infinity'),
                 [("invalid-json", "$", _line_of(HEADCOUNT))], None),
    "1e400": (_replace(HEADCOUNT, b'"headcount": 1e400'),
              [("invalid-json", "$", _line_of(HEADCOUNT))],
              "number is infinity when parsed as double at column 20"),
    "10**30": (_replace(HEADCOUNT, b'"headcount": ' + str(10**30).encode()),
               [("out-of-range", "$.associations[0].headcount", None)], None),
    "deep nesting": (DEEP, [("too-deep", "$", _line_of(b"[[[", DEEP))], None),
    "truncated": (TRUNCATED, [("invalid-json", "$", _line_of(HEADCOUNT))],
                  "unexpected end of data at "
                  f"column {TRUNCATED_COLUMN}"),
    "invalid UTF-8": (BAD_BYTE, [("invalid-encoding", "$", BAD_LINE)],
                      f"byte 0xf4 at column {BAD_COLUMN} is not UTF-8"),
    "empty file": (b"", [("invalid-json", "$", 1)], "the file is empty"),
    "blank file": (b" \n\t\n", [("invalid-json", "$", 1)], "the file is empty"),
    "array instead of an object": (b"[" + GOOD + b"]", [("wrong-type", "$", None)], None),
    "format version 2": (_replace(b'"1.0.0"', b'"2.0.0"'),
                         [("unknown-format", "$.format_version", None)],
                         "bundle format '2.0.0' is not supported"),
}


def _both_paths(path: Path) -> Report:
    fast = validate_file(path, fast=True)
    detailed = validate_file(path, fast=False)
    assert fast.issues == detailed.issues
    assert {i.code for i in fast.issues} <= set(ISSUE_TYPES)
    return fast


@pytest.mark.parametrize("name", list(FILES))
def test_file_catalogue(name: str, tmp_path: Path) -> None:
    content, expected, message = FILES[name]
    path = tmp_path / "bundle.json"
    path.write_bytes(content)
    report = _both_paths(path)
    assert [(i.code, i.path, i.line) for i in report.issues] == expected
    assert {i.file for i in report.issues} == {str(path)}
    assert not report.ok
    if message is not None:
        assert report.issues[0].message == message
    if expected[0][0] in ("invalid-json", "invalid-encoding"):
        assert report.bundle is None


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"
    report = _both_paths(path)
    assert report.issues == [
        Issue(code="file-not-found", path="$", file=str(path), message="no such file")
    ]
    assert report.bundle is None


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    report = _both_paths(tmp_path)
    assert [(i.code, i.message) for i in report.issues] == [
        ("file-not-found", "this is a folder, not a file")
    ]


def _json_lines() -> list[bytes]:
    return b"".join(dumps_json_lines(VALID_DOCUMENT)).splitlines(keepends=True)


def test_json_lines_reports_the_line_of_the_record(tmp_path: Path) -> None:
    lines = _json_lines()
    assert lines[3].startswith(b'{"offers":')  # line 4: the first offer
    lines[3] = lines[3].replace(b'"actor":"lma-ra:dla69"', b'"actor":"lma-ra:nobody"')
    lines[3] = lines[3].replace(b'"title":"Premier emploi"', b'"title":12')
    path = tmp_path / "bundle.jsonl"
    path.write_bytes(b"".join(lines))
    report = _both_paths(path)
    assert [(i.code, i.path, i.line) for i in report.issues] == [
        ("wrong-type", "$.offers[0].title", 4),
    ]
    assert report.issues[0].render() == (
        f"{path}:4:$.offers[0].title: error [wrong-type] expected a string, got an integer 12"
        " — give a value of the type the schema expects"
    )


def test_json_lines_semantic_issue_has_its_line(tmp_path: Path) -> None:
    lines = _json_lines()
    lines[3] = lines[3].replace(b'"actor":"lma-ra:dla69"', b'"actor":"lma-ra:nobody"')
    path = tmp_path / "bundle.jsonl"
    path.write_bytes(b"".join(lines))
    report = _both_paths(path)
    assert [(i.code, i.path, i.line) for i in report.issues] == [
        ("dangling-reference", "$.offers[0].actor", 4),
    ]


def test_json_lines_broken_line(tmp_path: Path) -> None:
    lines = _json_lines()
    lines[3] = lines[3][:20] + b"\n"
    path = tmp_path / "bundle.jsonl"
    path.write_bytes(b"".join(lines))
    report = _both_paths(path)
    assert [(i.code, i.path, i.line) for i in report.issues] == [("invalid-json", "$", 4)]


def test_a_valid_json_lines_file_gives_the_same_bundle(tmp_path: Path) -> None:
    lines_path = tmp_path / "bundle.jsonl"
    lines_path.write_bytes(b"".join(_json_lines()))
    json_path = tmp_path / "bundle.json"
    json_path.write_bytes(GOOD)
    from_lines, from_json = _both_paths(lines_path), _both_paths(json_path)
    assert from_lines.issues == from_json.issues == []
    assert from_lines.bundle == from_json.bundle
    assert from_lines.bundle is not None
