"""The fast structuring of schema-checked data, and the strictness that stays around it.

``structure_schema_checked`` copies values without re-checking them, because the JSON Schema
layer has already checked them. These tests prove the two halves of that bargain: the schemas
guarantee every type the fast path relies on (model and schemas agree field by field), and bad
data is still refused everywhere a caller can reach (``structure``, ``structure_bundle``,
``validate_document``).
"""

from __future__ import annotations

import collections.abc
import datetime as dt
import types
import typing
from typing import Any

import attrs
import cattrs
import pytest
from referencing._core import Resolver

from pmae import synth
from pmae.io.converter import MODEL_CLASSES, structure, structure_schema_checked
from pmae.io.pipeline import structure_bundle, validate_document
from pmae.io.schemas import registry, schema_uri
from pmae.model import Association, Bundle, Need
from pmae.model.records import Answer, Registration

JSON_TYPE = {str: "string", int: "integer", bool: "boolean", float: "number"}


def _resolve(schema: dict[str, Any], resolver: Resolver[Any]) -> tuple[dict[str, Any], Any]:
    while "$ref" in schema:
        resolved = resolver.lookup(schema["$ref"])
        schema, resolver = resolved.contents, resolved.resolver
    return schema, resolver


def _types(schema: dict[str, Any]) -> set[str]:
    kind = schema["type"]
    return {kind} if isinstance(kind, str) else set(kind)


def _agree(annotation: Any, schema: dict[str, Any], resolver: Resolver[Any], where: str,
           seen: set[str]) -> None:
    schema, resolver = _resolve(schema, resolver)
    if annotation is Answer:
        assert _types(schema) <= {"integer", "number", "string", "null"}, where
        return
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in arguments if a is not type(None)]
        assert len(inner) == 1 and type(None) in arguments, where
        # Optional in the model: the schema may allow null or not, the fast path copies either.
        if "type" in schema and "null" in _types(schema):
            schema = {**schema, "type": sorted(_types(schema) - {"null"})}
        _agree(inner[0], schema, resolver, where, seen)
        return
    if annotation in JSON_TYPE:
        # A value the schema allows must be one the fast path can copy: null only if Optional.
        allowed = {"number", "integer"} if annotation is float else {JSON_TYPE[annotation]}
        assert _types(schema) and _types(schema) <= allowed, where
        return
    if annotation is dt.date:
        assert (schema["type"], schema["format"]) == ("string", "date"), where
        return
    if annotation is dt.datetime:
        assert (schema["type"], schema["format"]) == ("string", "date-time"), where
        return
    if origin is tuple:
        assert schema["type"] == "array", where
        _agree(arguments[0], schema["items"], resolver, where + "[]", seen)
        return
    if origin in (dict, collections.abc.Mapping):  # a record's mappings are read-only ones
        assert schema["type"] == "object", where
        _agree(arguments[1], schema["additionalProperties"], resolver, where + "{}", seen)
        return
    assert attrs.has(annotation), where
    seen.add(annotation.__name__)
    assert schema["type"] == "object", where
    assert schema["additionalProperties"] is False, where
    fields = attrs.fields(annotation)
    assert set(schema["properties"]) == {f.alias for f in fields}, where
    required = {f.alias for f in fields if f.default is attrs.NOTHING}
    assert set(schema.get("required", ())) >= required, where
    hints = typing.get_type_hints(annotation)
    for field in fields:
        _agree(hints[field.name], schema["properties"][field.alias], resolver,
               f"{where}.{field.alias}", seen)


def test_schemas_guarantee_what_the_fast_path_trusts() -> None:
    resolver = registry().resolver(base_uri=schema_uri("bundle"))
    seen: set[str] = set()
    _agree(Bundle, {"$ref": schema_uri("bundle")}, resolver, "$", seen)
    assert seen == {cls.__name__ for cls in MODEL_CLASSES}


def test_fast_and_strict_structuring_agree() -> None:
    document = synth.generate(associations=120, seed=11)
    assert structure_schema_checked(document, Bundle) == structure(document, Bundle)


def test_fast_structuring_converts_what_the_model_needs() -> None:
    need = structure_schema_checked(
        {"id": "a:b", "theme": "recrutement", "origin": "declare", "date": "2024-02-29",
         "intensity": 3}, Need)
    assert need == Need(id="a:b", theme="recrutement", origin="declare",
                        date=dt.date(2024, 2, 29), intensity=3.0)
    assert type(need.intensity) is float
    assert structure_schema_checked({"actor": "a:b", "attended": None}, Registration) == \
        Registration(actor="a:b", attended=None)


ASSOCIATION = {"id": "a:asso-1", "name": "Club"}


@pytest.mark.parametrize(("field", "value"), [
    ("headcount", "3"),     # no "3" -> 3
    ("headcount", True),    # no bool for an int
    ("fte", "1.5"),
    ("name", 3),            # no 3 -> "3"
    ("founded", 20240101),
    ("unknown", 1),         # unknown keys refused
])
def test_structure_stays_strict(field: str, value: object) -> None:
    with pytest.raises(cattrs.BaseValidationError):
        structure({**ASSOCIATION, field: value}, Association)


def test_structure_refuses_false_for_true() -> None:
    with pytest.raises(cattrs.BaseValidationError):
        structure({"actor": "a:b", "attended": "false"}, Registration)


def test_structure_bundle_stays_strict() -> None:
    data = {"format_version": "1.0.0", "source": {"slug": "a", "name": "A"},
            "generated_at": "2025-01-01T00:00:00+01:00",
            "associations": [{**ASSOCIATION, "headcount": "3"}]}
    bundle, issues = structure_bundle(data)
    assert bundle is None
    assert [(i.code, i.path) for i in issues] == [
        ("structure-error", "$.associations[0].headcount")]


def test_validate_document_refuses_what_the_fast_path_would_copy() -> None:
    data = {"format_version": "1.0.0", "source": {"slug": "a", "name": "A"},
            "generated_at": "2025-01-01T00:00:00+01:00",
            "associations": [{**ASSOCIATION, "headcount": "3"},
                             {**ASSOCIATION, "id": "a:asso-2", "effectif": 3}],
            "meetings": [{"id": "a:m", "kind": "cofil", "title": "COFIL",
                          "start": "2025-01-01T09:00:00+01:00", "end": "2025-01-01T12:00:00+01:00",
                          "registrations": [{"actor": "a:asso-1", "attended": "false"}]}]}
    report = validate_document(data)
    assert [(i.code, i.path) for i in report.issues] == [
        ("wrong-type", "$.associations[0].headcount"),
        ("unknown-field", "$.associations[1].effectif"),
        ("wrong-type", "$.meetings[0].registrations[0].attended"),
    ]
    assert report.bundle is not None
    assert report.bundle.associations == () and report.bundle.meetings == ()


def test_integer_written_with_a_zero_fraction_is_that_integer() -> None:
    # JSON Schema calls 3.0 an integer, and so does the model (issue 13: they disagreed, and a
    # schema-valid bundle failed as structure-error); the fast path must not copy the float.
    data = {"format_version": "1.0.0", "source": {"slug": "a", "name": "A"},
            "generated_at": "2025-01-01T00:00:00+01:00",
            "associations": [{**ASSOCIATION, "headcount": 3.0}]}
    report = validate_document(data)
    assert [i for i in report.issues if i.severity == "error"] == []
    assert report.bundle is not None
    headcount = report.bundle.associations[0].headcount
    assert headcount == 3 and type(headcount) is int
    # The strict converter (the fallback path) agrees.
    assert type(structure_bundle(data)[0].associations[0].headcount) is int  # type: ignore[union-attr]


def test_integer_with_a_fraction_is_refused_by_the_schema() -> None:
    data = {"format_version": "1.0.0", "source": {"slug": "a", "name": "A"},
            "generated_at": "2025-01-01T00:00:00+01:00",
            "associations": [{**ASSOCIATION, "headcount": 3.5}]}
    report = validate_document(data)
    assert [(i.code, i.path) for i in report.issues] == [
        ("wrong-type", "$.associations[0].headcount")]
