"""The validation pipeline: both schema paths agree, reports, ordering, grouping, rendering.

The issue asked: "whatever you choose, the detailed error report must be the same on both
paths, and a test must prove it". :func:`test_fast_and_detailed_paths_agree_on_mutated_bundles`
is that proof: it breaks generated valid bundles at random places in random ways and compares
the full issue lists of the fast path (jsonschema-rs picks the records to explain) and the
detailed path (Python ``jsonschema`` over the whole document).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
import strategies as S
from conftest import valid_document
from hypothesis import given
from hypothesis import strategies as st

from pmae.io.converter import unstructure
from pmae.io.files import dumps_json
from pmae.io.pipeline import InvalidBundleError, load_bundle, validate_document
from pmae.issues import ISSUE_TYPES, Issue, IssueGroup, group_issues, sort_issues
from pmae.model import Bundle

# --- the two paths agree ----------------------------------------------------------------------

#: Values that are wrong somewhere: other JSON types, bad codes, dates, territories and ids.
BAD_VALUES: tuple[Any, ...] = (
    None, True, False, "false", 0, -1, 3, "3", 1.5, 10**30, 1e300, "", " ", "x" * 301,
    [], ["x"], {}, {"a": 1},
    "2024-02-30", "2024-13-01", "0000-01-01", "2025-03-14T09:00:00", "2016-12-31T23:59:60Z",
    "2025-03-14t09:00:00z", "84", "2A", "dep:99", "dep:2a", "com:20123", "epci:200046977",
    "lma-ra:x\n", "lma-ra:", "LMA:x", "not an id", "conseill", "recrutment",
    "occitanie:tiers_lieux", "Rhône", "NN", "zz", "https://exemple.fr/\n", "mailto:x@y.fr",
    "x@y", "\x00", "\u202e",
)


def _places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every value inside ``value`` (not the root itself)."""
    places = []
    if isinstance(value, dict):
        for key, item in value.items():
            places.append((*path, key))
            places.extend(_places(item, (*path, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            places.append((*path, index))
            places.extend(_places(item, (*path, index)))
    return places


def _containers(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every object inside ``value``, the root included."""
    found = [path] if isinstance(value, dict) else []
    if isinstance(value, dict | list):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            found.extend(_containers(item, (*path, key)))
    return found


def _at(document: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        document = document[part]
    return document


@st.composite
def mutated_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A generated valid bundle, broken in one to three places."""
    document = orjson.loads(dumps_json(unstructure(draw(S.bundles()))))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        kind = draw(st.sampled_from(["drop", "add", "replace", "replace"]))
        if kind == "add":
            target = _at(document, draw(st.sampled_from(_containers(document))))
            target[draw(st.sampled_from(["colour", "titel", "id", "themes", "x-y"]))] = draw(
                st.sampled_from(BAD_VALUES)
            )
            continue
        places = _places(document)
        *parent, last = draw(st.sampled_from(places))
        container = _at(document, tuple(parent))
        if kind == "drop":
            if isinstance(container, dict):
                del container[last]
            else:
                container.pop(last)
        else:
            container[last] = draw(st.sampled_from(BAD_VALUES))
    return document


@given(mutated_documents())
def test_fast_and_detailed_paths_agree_on_mutated_bundles(document: dict[str, Any]) -> None:
    fast = validate_document(document, file="b.json", fast=True)
    detailed = validate_document(document, file="b.json", fast=False)
    assert fast.issues == detailed.issues
    assert fast.bundle == detailed.bundle
    assert {issue.code for issue in fast.issues} <= set(ISSUE_TYPES)
    assert fast.issues == sort_issues(fast.issues)


# --- load_bundle and the report -------------------------------------------------------------


def _write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "bundle.json"
    path.write_bytes(dumps_json(document))
    return path


def test_load_bundle_returns_the_bundle(tmp_path: Path) -> None:
    bundle = load_bundle(_write(tmp_path, valid_document()))
    assert isinstance(bundle, Bundle)
    assert bundle.counts() == {
        "actors": 2, "offers": 1, "associations": 1, "diagnoses": 0, "needs": 1,
        "referrals": 1, "meetings": 1, "productions": 0, "resources": 0, "programmes": 0,
        "responses": 0, "practices": 0,
    }


def test_invalid_bundle_error_lists_the_issues(tmp_path: Path) -> None:
    document = valid_document()
    document["offers"][0]["themes"] = ["recrutment"]
    document["offers"][0]["territories"] = ["84"]
    path = _write(tmp_path, document)
    with pytest.raises(InvalidBundleError) as caught:
        load_bundle(path)
    assert [(i.code, i.path, i.file) for i in caught.value.issues] == [
        ("ambiguous-territory", "$.offers[0].territories[0]", str(path)),
    ]
    assert str(caught.value) == "1 error(s) in the bundle:\n" + caught.value.issues[0].render()


def test_invalid_bundle_error_shows_five_errors_and_counts_the_rest(tmp_path: Path) -> None:
    document = valid_document()
    document["offers"][0]["territories"] = ["dep:99", "dep:96", "dep:97", "dep:98", "dep:00"]
    document["offers"][0]["themes"] = ["recrutment", "paie"]
    path = _write(tmp_path, document)
    with pytest.raises(InvalidBundleError) as caught:
        load_bundle(path)
    assert [(i.code, i.path) for i in caught.value.issues] == [
        ("unknown-territory", "$.offers[0].territories[0]"),
        ("unknown-territory", "$.offers[0].territories[1]"),
        ("unknown-territory", "$.offers[0].territories[2]"),
        ("unknown-territory", "$.offers[0].territories[3]"),
        ("unknown-territory", "$.offers[0].territories[4]"),
        ("unknown-code", "$.offers[0].themes[0]"),
        ("unknown-code", "$.offers[0].themes[1]"),
    ]
    rendered = str(caught.value).splitlines()
    assert rendered[0] == "7 error(s) in the bundle:"
    assert rendered[1:6] == [i.render() for i in caught.value.issues[:5]]
    assert rendered[6] == "… and 2 more errors"


def test_report_ok_allows_warnings_but_not_errors() -> None:
    document = valid_document()
    document["associations"][0]["size_band"] = "11"  # a warning
    report = validate_document(document)
    assert [(i.code, i.severity) for i in report.issues] == [("size-band-mismatch", "warning")]
    assert report.ok
    assert report.bundle is not None

    document["associations"][0]["siren"] = "732829321"  # an error
    report = validate_document(document)
    assert [(i.code, i.severity) for i in report.issues] == [
        ("bad-check-digit", "error"), ("siret-siren-mismatch", "error"),
        ("size-band-mismatch", "warning"),
    ]
    assert not report.ok


def test_load_bundle_accepts_warnings(tmp_path: Path) -> None:
    document = valid_document()
    document["associations"][0]["size_band"] = "11"
    assert load_bundle(_write(tmp_path, document)).associations[0].size_band == "11"


# --- order, groups, rendering ---------------------------------------------------------------


def test_issues_are_sorted_by_path_with_numeric_indices() -> None:
    document = valid_document()
    offer = document["offers"][0]
    document["offers"] = [
        {**offer, "id": f"lma-ra:offre-{n}", "territories": ["dep:99"]} for n in range(12)
    ]
    document["referrals"] = []
    paths = [i.path for i in validate_document(document).issues]
    assert paths == [f"$.offers[{n}].territories[0]" for n in range(12)]
    assert paths.index("$.offers[10].territories[0]") > paths.index("$.offers[9].territories[0]")


def test_sort_issues_orders_by_file_line_path_then_code() -> None:
    def issue(path: str, code: str = "wrong-type", **where: Any) -> Issue:
        return Issue(code=code, path=path, message="m", **where)

    issues = [
        issue("$.offers[10]"), issue("$.offers[9].title"), issue("$.offers[9]"),
        issue("$.actors[2]", file="b.json"), issue("$.actors[1]", file="a.json", line=3),
        issue("$.actors[1]", file="a.json", line=2), issue("$.offers[9]", code="invalid-id"),
    ]
    assert [(i.file, i.line, i.path, i.code) for i in sort_issues(issues)] == [
        (None, None, "$.offers[9]", "invalid-id"),
        (None, None, "$.offers[9]", "wrong-type"),
        (None, None, "$.offers[9].title", "wrong-type"),
        (None, None, "$.offers[10]", "wrong-type"),
        ("a.json", 2, "$.actors[1]", "wrong-type"),
        ("a.json", 3, "$.actors[1]", "wrong-type"),
        ("b.json", None, "$.actors[2]", "wrong-type"),
    ]


def test_group_issues_groups_identical_issues_with_their_places() -> None:
    document = valid_document()
    offer = document["offers"][0]
    document["offers"] = [
        {**offer, "id": f"lma-ra:offre-{n}", "territories": ["dep:99"], "themes": ["paie"]}
        for n in range(3)
    ]
    document["offers"][1]["territories"] = ["dep:98"]
    document["referrals"] = []
    groups = group_issues(validate_document(document, file="b.json").issues)
    assert groups == [
        IssueGroup(
            code="unknown-code", severity="error",
            message="'paie' is not a code of the vocabulary 'themes'",
            places=("b.json:$.offers[0].themes[0]", "b.json:$.offers[1].themes[0]",
                    "b.json:$.offers[2].themes[0]"),
        ),
        IssueGroup(
            code="unknown-territory", severity="error",
            message="'dep:99' is not a known territory",
            places=("b.json:$.offers[0].territories[0]", "b.json:$.offers[2].territories[0]"),
        ),
        IssueGroup(
            code="unknown-territory", severity="error",
            message="'dep:98' is not a known territory",
            places=("b.json:$.offers[1].territories[0]",),
        ),
    ]
    assert [g.count for g in groups] == [3, 2, 1]


def test_rendering_is_compiler_style_with_the_hint() -> None:
    document = valid_document()
    document["offers"][0]["titel"] = "Premier emploi"
    (issue,) = validate_document(document, file="bundle.json").issues
    assert issue.render() == (
        "bundle.json:$.offers[0].titel: error [unknown-field] 'titel' is not a field of an "
        "offer — did you mean 'title'?"
    )
    (missing,) = [i for i in validate_document(
        {**valid_document(), "generated_at": "hier"}, file="bundle.json").issues]
    assert missing.render() == (
        "bundle.json:$.generated_at: error [invalid-datetime] 'hier' is not a valid date and "
        "time with a time zone — write YYYY-MM-DDTHH:MM:SS with a time zone, "
        "e.g. 2025-03-14T09:00:00+01:00"
    )


def test_issue_types_are_complete_and_well_formed() -> None:
    for code, issue_type in ISSUE_TYPES.items():
        assert code == issue_type.code
        assert code == code.lower() and " " not in code
        assert issue_type.title and issue_type.hint
