"""Round trips and agreement between the model, the converter and the JSON Schemas.

- ``structure(unstructure(x), cls) == x`` for every model class;
- JSON -> model -> JSON is byte-stable after the first pass;
- every generated record validates against its record schema, and every generated bundle
  against ``bundle.schema.json``, on the fast and on the detailed path;
- structuring is strict: wrong scalar types, unknown keys and naive datetimes are refused,
  with exact paths through :func:`pmae.io.pipeline.structure_bundle`.
"""

from __future__ import annotations

import datetime as dt
import typing
from typing import Any

import attrs
import cattrs
import orjson
import pytest
import strategies as S
from hypothesis import given
from hypothesis import strategies as st

from pmae.io.converter import MODEL_CLASSES, structure, unstructure
from pmae.io.files import dumps_json
from pmae.io.pipeline import structure_bundle, structure_issues, validate_document
from pmae.io.schema_issues import RECORD_SCHEMA
from pmae.io.schemas import validator
from pmae.issues import ISSUE_TYPES, Issue
from pmae.model import COLLECTIONS, Bundle, Diagnosis, Meeting, Offer

ENVELOPE: dict[str, Any] = {
    "format_version": "1.0.0",
    "source": {"slug": "lma-ra", "name": "LMA"},
    "generated_at": "2025-03-14T09:00:00+01:00",
}


def test_every_model_class_has_a_strategy() -> None:
    assert set(S.STRATEGIES) == set(MODEL_CLASSES)


# --- round trips ----------------------------------------------------------------------------


def _shuffled(raw: Any, data: st.DataObject) -> Any:
    """The same document with every object's keys in another order."""
    if isinstance(raw, dict):
        keys = data.draw(st.permutations(list(raw)))
        return {key: _shuffled(raw[key], data) for key in keys}
    if isinstance(raw, list):
        return [_shuffled(item, data) for item in raw]
    return raw


def _without_defaults(cls: type, raw: dict[str, Any]) -> dict[str, Any]:
    """Leave out the text fields that hold their default: a reader must fill them in."""
    defaults = {f.name: f.default for f in attrs.fields(cls) if isinstance(f.default, str)}
    return {k: v for k, v in raw.items() if not (k in defaults and v == defaults[k])}


def _check_round_trips(cls: type, value: Any, data: st.DataObject) -> None:
    raw = unstructure(value)
    assert structure(raw, cls) == value
    # Equality of aware datetimes ignores the offset: compare the written form too.
    assert unstructure(structure(raw, cls)) == raw

    # JSON -> model -> JSON, from a document as someone else may write it (keys in any order,
    # defaults left out): the first pass normalises, every later pass gives the same bytes.
    written = dumps_json(_shuffled(_without_defaults(cls, raw), data))
    first = dumps_json(unstructure(structure(orjson.loads(written), cls)))
    second = dumps_json(unstructure(structure(orjson.loads(first), cls)))
    assert second == first
    assert structure(orjson.loads(first), cls) == value


PARTS = [cls for cls in MODEL_CLASSES if cls is not Bundle]


@pytest.mark.parametrize("cls", PARTS, ids=lambda c: c.__name__)
@given(data=st.data())
def test_round_trips(cls: type, data: st.DataObject) -> None:
    _check_round_trips(cls, data.draw(S.STRATEGIES[cls]), data)


def test_first_pass_writes_defaults_and_drops_empty_fields() -> None:
    raw = {"title": "Premier emploi", "themes": [], "id": "lma-ra:o1", "actor": "lma-ra:a1",
           "description": None}
    assert dumps_json(unstructure(structure(raw, Offer))) == (
        b'{\n  "id": "lma-ra:o1",\n  "actor": "lma-ra:a1",\n  "title": "Premier emploi",\n'
        b'  "visibility": "public"\n}\n'
    )


# --- model <-> schema -----------------------------------------------------------------------


@pytest.mark.parametrize("collection", list(COLLECTIONS))
@given(data=st.data())
def test_every_generated_record_validates_on_both_paths(
    collection: str, data: st.DataObject
) -> None:
    raw = unstructure(data.draw(S.RECORD_STRATEGIES[collection]))
    schema = validator(RECORD_SCHEMA[collection])
    assert [e.message for e in schema.iter_errors(raw)] == []
    assert schema.is_valid(raw)


# Drawing a whole bundle is the costly part: one test checks every bundle property on it.
@given(S.bundles(), st.data())
def test_bundles_round_trip_and_validate_on_both_paths(
    bundle: Bundle, data: st.DataObject
) -> None:
    _check_round_trips(Bundle, bundle, data)
    raw = unstructure(bundle)
    schema = validator("bundle")
    assert [e.message for e in schema.iter_errors(raw)] == []
    assert schema.is_valid(raw)
    # And through every layer of the pipeline, from a JSON file's bytes, as a reader gets it.
    raw = orjson.loads(dumps_json(raw))
    for fast in (True, False):
        report = validate_document(raw, fast=fast)
        assert report.issues == []
        assert report.bundle == bundle


# --- strictness -----------------------------------------------------------------------------

#: A value of the wrong JSON type for each kind of field, and the message the converter gives.
WRONG_VALUES: dict[Any, tuple[Any, str]] = {
    str: (1, "expected a string, got int 1"),
    int: ("3", "expected an integer, got str '3'"),
    bool: ("false", "expected true or false, got str 'false'"),
    float: ("1.5", "expected a number, got str '1.5'"),
    dt.date: (20240101, "expected a date YYYY-MM-DD, got int 20240101"),
    dt.datetime: ("2025-03-14T09:00:00",
                  "date and time without a time zone: '2025-03-14T09:00:00'"),
}


def _scalar_fields(cls: type) -> list[tuple[str, Any]]:
    """(field, scalar type) for every field of ``cls`` that holds one scalar, optional or not."""
    fields = []
    for name, hint in typing.get_type_hints(cls).items():
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        scalar = args[0] if len(args) == 1 else hint
        if scalar in WRONG_VALUES:
            fields.append((name, scalar))
    return fields


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=lambda c: c.__name__)
@given(data=st.data())
def test_wrong_types_and_unknown_keys_are_refused(cls: type, data: st.DataObject) -> None:
    # The envelope is what can go wrong in a Bundle itself: its records are tested above.
    strategy = S.bundles(max_records=0) if cls is Bundle else S.STRATEGIES[cls]
    raw = unstructure(data.draw(strategy))
    field, scalar = data.draw(st.sampled_from(_scalar_fields(cls)))
    bad, message = WRONG_VALUES[scalar]
    with pytest.raises(cattrs.BaseValidationError) as caught:
        structure({**raw, field: bad}, cls)
    assert structure_issues(caught.value, file=None) == [
        Issue(code="structure-error", path=f"$.{field}", message=message)
    ]

    with pytest.raises(cattrs.BaseValidationError) as caught:
        structure({**raw, "colour": "bleu"}, cls)
    assert structure_issues(caught.value, file=None) == [
        Issue(code="structure-error", path="$", message="unknown fields colour")
    ]


@given(S.meetings, st.datetimes())
def test_a_naive_datetime_is_refused(meeting: Meeting, naive: dt.datetime) -> None:
    raw = unstructure(meeting)
    raw["start"] = naive.isoformat()
    with pytest.raises(cattrs.BaseValidationError) as caught:
        structure(raw, Meeting)
    assert structure_issues(caught.value, file=None) == [
        Issue(code="structure-error", path="$.start",
              message=f"date and time without a time zone: {naive.isoformat()!r}")
    ]


def _structure_issues(**collections: Any) -> list[tuple[str, str, str]]:
    bundle, issues = structure_bundle({**ENVELOPE, **collections}, file="b.json")
    assert bundle is None
    assert all(i.code in ISSUE_TYPES and i.file == "b.json" for i in issues)
    return [(i.code, i.path, i.message) for i in issues]


def test_structure_bundle_reports_exact_paths() -> None:
    meeting = {"id": "lma-ra:m1", "kind": "cofil", "title": "COFIL",
               "start": "2025-03-14T09:00:00+01:00", "end": "2025-03-14T12:00:00+01:00"}
    assert _structure_issues(
        meetings=[
            meeting,
            {**meeting, "speakers": [{"organisation": "CRESS", "outside": "false"}],
             "registrations": [{"actor": "lma-ra:a", "participants": "3"}]},
        ],
        offers=[{"id": "lma-ra:o1", "actor": "lma-ra:a", "title": 1},
                {"id": "lma-ra:o2", "actor": "lma-ra:a", "title": "t", "zz": 1, "colour": 2},
                {"id": "lma-ra:o3", "title": "t"}],
        needs=[{"id": "lma-ra:n1", "theme": "gepp", "origin": "declare",
                "date": "2025-01-01", "priority": "3"}],
    ) == [
        ("structure-error", "$.offers[0].title", "expected a string, got int 1"),
        ("structure-error", "$.offers[1]", "unknown fields colour, zz"),
        ("structure-error", "$.offers[2].actor", "required field missing"),
        ("structure-error", "$.needs[0].priority", "expected an integer, got str '3'"),
        ("structure-error", "$.meetings[1].speakers[0].outside",
         "expected true or false, got str 'false'"),
        ("structure-error", "$.meetings[1].registrations[0].participants",
         "expected an integer, got str '3'"),
    ]


def test_structure_bundle_refuses_a_naive_generation_time() -> None:
    bundle, issues = structure_bundle({**ENVELOPE, "generated_at": "2025-03-14T09:00:00"})
    assert bundle is None
    assert issues == [Issue(code="structure-error", path="$.generated_at",
                            message="date and time without a time zone: '2025-03-14T09:00:00'")]


def test_a_string_for_a_list_is_refused() -> None:
    with pytest.raises(cattrs.BaseValidationError):
        structure({"id": "lma-ra:o1", "actor": "lma-ra:a", "title": "t", "themes": "gepp"},
                  Offer)


def test_a_boolean_answer_is_refused() -> None:
    raw = {"id": "lma-ra:d1", "association": "lma-ra:a", "tool": "t", "tool_version": "1",
           "date": "2025-01-01", "answers": {"q1": True}}
    with pytest.raises(cattrs.BaseValidationError):
        structure(raw, Diagnosis)


def test_lower_case_rfc3339_separators_are_read() -> None:
    from pmae.io.pipeline import validate_document

    document = {"format_version": "1.0.0", "source": {"slug": "lma-ra", "name": "LMA"},
                "generated_at": "2025-03-14t09:00:00z"}
    report = validate_document(document)
    assert report.issues == []
    assert report.bundle is not None
    assert report.bundle.generated_at == dt.datetime(2025, 3, 14, 9, tzinfo=dt.UTC)
