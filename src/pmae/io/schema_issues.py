"""Layer 1 of validation: JSON Schema, every error at once, rewritten for people.

The fast validator decides which records are valid; only the invalid ones (and the small bundle
envelope) go through the detailed validator. :func:`schema_issues` with ``fast=False`` runs the
detailed validator over the whole document instead; the tests prove both give the same issues.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import jsonschema
import jsonschema_rs
import referencing
from referencing.jsonschema import DRAFT202012

from pmae.i18n import N_
from pmae.i18n import gettext as _
from pmae.io.schemas import format_checker, load_schema, resources, validator
from pmae.issues import Issue, suggest
from pmae.jsonpath import json_path, path_parts
from pmae.model.bundle import COLLECTIONS
from pmae.territories import Territories, TerritoryError, core_territories

#: Collection name -> schema name of its records.
RECORD_SCHEMA: dict[str, str] = {
    name: schema
    for name, schema in zip(
        COLLECTIONS,
        ("actor", "offer", "association", "diagnosis", "need", "referral", "meeting",
         "production", "resource", "programme", "response", "practice"),
        strict=True,
    )
}

# The words of the messages are marked for the catalogue and said in the run's language.
_KIND_NAMES = {
    "actor": N_("an actor"), "offer": N_("an offer"), "association": N_("an association"),
    "diagnosis": N_("a diagnosis"), "need": N_("a need"), "referral": N_("a referral"),
    "meeting": N_("a meeting"), "production": N_("a production"),
    "resource": N_("a resource"), "programme": N_("a programme"),
}

_JSON_TYPES = {
    dict: N_("an object"), list: N_("an array"), str: N_("a string"), bool: N_("a boolean"),
    int: N_("an integer"), float: N_("a number"), type(None): "null",
}

# Letters (a name such as "Saint-Étienne"), not a code with a level: looked up among the communes.
_COMMUNE_NAME = re.compile(r"[^\W\d_](?:[^\W\d_]|[' ’-])+[^\W\d_]")
_BARE_TERRITORY = re.compile(r"^(?:[0-9]{2,9}|2[AB][0-9]{0,3}|97[1-8][0-9]{0,2})$")


def territory_candidates(value: str) -> list[str]:
    """Existing territory codes a user may have meant by ``value`` (``69``, ``dep:6``, ``Dep:2a``).

    Only codes that exist are offered: ``69`` is a département, never a région.
    """
    territories = core_territories()
    level, sep, local = value.partition(":")
    if not sep:
        level, local = "", value
    local = local.strip().upper()
    levels = [level.strip().lower()] if level else ["reg", "dep", "com", "epci"]
    found = []
    for candidate_level in levels:
        padded = local.zfill(2) if candidate_level in ("reg", "dep") and local.isdigit() else local
        for local_code in dict.fromkeys((local, padded)):
            code = f"{candidate_level}:{local_code}"
            if code != value and _exists(territories, code):
                found.append(code)
    return list(dict.fromkeys(found))


def commune_name_hint(value: str) -> str | None:
    """``did you mean com:69123 (Lyon)?`` when ``value`` is a commune's name, not its code."""
    found = _communes_named(value)
    return (_("did you mean {names}?").format(names=core_territories().describe(found))
            if found else None)


@functools.lru_cache(maxsize=1024)
def _communes_named(value: str) -> tuple[str, ...]:
    # Cached without the wording: the hint is said in the language of each run.
    if value.strip().lower() == "fr" or not _COMMUNE_NAME.fullmatch(value.strip()):
        return ()
    return tuple(core_territories().communes_named(value))


def _exists(territories: Territories, code: str) -> bool:
    try:
        return territories.exists(code) and bool(territories.parse(code))
    except TerritoryError:
        return False


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _type_name(value: Any) -> str:
    return _(_JSON_TYPES.get(type(value), type(value).__name__))


def _expected_types(expected: Any) -> str:
    names = {
        "object": N_("an object"), "array": N_("an array"), "string": N_("a string"),
        "integer": N_("an integer"), "number": N_("a number"), "boolean": N_("true or false"),
        "null": "null",
    }
    if isinstance(expected, str):
        return _(names.get(expected, expected))
    return _(" or ").join(_(names.get(t, t)) for t in expected)


def _record_kind(schema: Mapping[str, Any]) -> str | None:
    title = schema.get("title")
    kind = _KIND_NAMES.get(str(title).lower()) if title else None
    return _(kind) if kind else None


def _issues_from_error(
    error: jsonschema.ValidationError, prefix: Sequence[str | int], file: str | None
) -> Iterator[Issue]:
    parts = [*prefix, *error.absolute_path]
    path = json_path(parts)
    keyword = error.validator
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    instance = error.instance
    code = schema.get("x-pmae-code")
    hint: str | None = None

    if keyword == "required":
        match = re.match(r"^'(.+)' is a required property$", error.message)
        field = match.group(1) if match else str(error.validator_value)
        kind = _record_kind(schema)
        message = (_("'{field}' is required in {kind}").format(field=field, kind=kind) if kind
                   else _("'{field}' is required").format(field=field))
        yield Issue(code="missing-field", path=json_path([*parts, field]), message=message,
                    file=file)
        return
    if keyword == "additionalProperties" and isinstance(instance, dict):
        known = list(schema.get("properties", {}))
        kind = _record_kind(schema)
        for field in sorted(set(instance) - set(known)):
            close = [c for c in (suggest(field, known),) if c]
            hint = (_("did you mean '{close}'?").format(close=close[0]) if close
                    else _("remove it; known fields: {fields}").format(fields=", ".join(known)))
            yield Issue(
                code="unknown-field", path=json_path([*parts, field]),
                message=_("'{field}' is not a field of {kind}").format(
                    field=field, kind=kind or _("this object")),
                hint=hint, file=file,
            )
        return
    if keyword == "type":
        code = "wrong-type"
        message = _("expected {expected}, got {got} {value}").format(
            expected=_expected_types(error.validator_value), got=_type_name(instance),
            value=_show(instance))
    elif keyword == "enum":
        code = code or "invalid-value"
        vocabulary = schema.get("x-pmae-vocabulary")
        # The keyword's value: error.validator_value, which the stubs type as possibly unset.
        values = [str(v) for v in schema.get("enum", ())]
        allowed = ", ".join(values)
        message = (_("{value} is not a code of the closed vocabulary '{vocabulary}'").format(
                       value=_show(instance), vocabulary=vocabulary) if vocabulary
                   else _("{value} is not one of the allowed values").format(
                       value=_show(instance)))
        close = [c for c in (suggest(str(instance), values),) if c]
        hint = (_("did you mean '{close}'? allowed: {allowed}").format(close=close[0],
                                                                       allowed=allowed)
                if close else _("allowed: {allowed}").format(allowed=allowed))
    elif keyword in ("pattern", "format"):
        code = code or "invalid-format"
        if (code == "malformed-territory" and isinstance(instance, str)
                and _BARE_TERRITORY.match(instance.upper())):
            code = "ambiguous-territory"
            message = _("{value} does not say its level: is it a région, a département, a "
                        "commune?").format(value=_show(instance))
            candidates = territory_candidates(instance)
            hint = (_("write it with its level: {codes}").format(codes=_(" or ").join(candidates))
                    if candidates else _("write it with its level: reg:NN, dep:NN, com:NNNNN or "
                                         "epci:NNNNNNNNN"))
        elif code == "malformed-territory" and isinstance(instance, str):
            message = _("{value} is not a territory code").format(value=_show(instance))
            candidates = territory_candidates(instance)
            if candidates:
                hint = _("did you mean {names}?").format(names=_(" or ").join(candidates))
            elif ":" not in instance:
                hint = commune_name_hint(instance)
        elif code == "invalid-date":
            message = _("{value} is not a valid date").format(value=_show(instance))
        elif code == "invalid-datetime":
            message = _("{value} is not a valid date and time with a time zone").format(
                value=_show(instance))
        elif code == "malformed-territory":
            message = _("{value} is not a territory code").format(value=_show(instance))
        elif code == "invalid-id":
            message = _("{value} is not a valid id").format(value=_show(instance))
        elif code == "unknown-format":
            message = _("bundle format {value} is not supported").format(value=_show(instance))
        elif code == "unknown-code":
            message = _("{value} is not a well-formed vocabulary code").format(
                value=_show(instance))
            hint = _("codes are lower-case letters, digits and _, namespaced as ns:code")
            if isinstance(instance, str) and re.fullmatch(r"[a-z0-9_]+", instance.lower()):
                hint = _("codes are lower-case: '{code}'?").format(code=instance.lower())
        elif keyword == "format":
            message = _("{value} is not a valid {format}").format(
                value=_show(instance), format=error.validator_value)
        else:
            description = schema.get("description")
            message = _("{value} is badly formed").format(value=_show(instance))
            hint = (_("expected: {description}").format(description=description) if description
                    else _("must match {pattern}").format(pattern=error.validator_value))
    elif keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        code = "out-of-range"
        bound = {"minimum": N_("at least"), "maximum": N_("at most"),
                 "exclusiveMinimum": N_("more than"), "exclusiveMaximum": N_("less than")}[keyword]
        message = _("{value} is out of range: must be {bound} {limit}").format(
            value=_show(instance), bound=_(bound), limit=error.validator_value)
    elif keyword in ("maxLength", "maxItems", "maxProperties"):
        code = "too-long"
        unit = {"maxLength": N_("characters"), "maxItems": N_("items"),
                "maxProperties": N_("entries")}[keyword]
        message = _("too long: at most {count} {unit} allowed").format(
            count=error.validator_value, unit=_(unit))
    elif keyword in ("minLength", "minItems", "minProperties"):
        code = "too-short"
        message = (_("must not be empty") if error.validator_value == 1
                   else _("too short: at least {count} required").format(
                       count=error.validator_value))
    elif keyword == "uniqueItems":
        code = "invalid-value"
        message = _("the list holds the same item twice")
        hint = _("remove the repeated item")
    else:
        code = "schema-violation"
        message = error.message
    yield Issue(code=code, path=path, message=message, hint=hint, file=file)


@functools.cache
def _pattern_judge(pattern: str) -> Any:
    return jsonschema_rs.validator_for({"type": "string", "pattern": pattern})


def _pattern(
    validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]
) -> Iterator[jsonschema.ValidationError]:
    # Python's re and the ECMA 262 regexes of JSON Schema (which jsonschema-rs follows) differ:
    # in Python "$" also matches before a final newline, so "lma-ra:x\n" passed the id pattern
    # on the detailed path and failed it on the fast one, and the fast path then dropped the
    # record without any issue. The fast engine is the judge of every pattern on both paths;
    # the detailed path only explains.
    if isinstance(instance, str) and not _pattern_judge(pattern).is_valid(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


# types-jsonschema leaves extend() unannotated.
_Explainer = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    jsonschema.Draft202012Validator, validators={"pattern": _pattern}
)


def _without_dialect(schema: Mapping[str, Any]) -> dict[str, Any]:
    # jsonschema picks the validator class of a referenced schema from its "$schema": with it,
    # a $ref would leave _Explainer for the stock Draft 2020-12 class and its Python patterns.
    # Every shipped schema is Draft 2020-12, so leaving "$schema" out changes nothing else.
    return {key: value for key, value in schema.items() if key != "$schema"}


@functools.cache
def _explainer_registry() -> referencing.Registry[Any]:
    # Only the shipped schemas, preloaded: anything else is unresolvable, never fetched.
    return referencing.Registry().with_resources(
        (uri, DRAFT202012.create_resource(_without_dialect(schema)))
        for uri, schema in resources().items()
    ).crawl()


@functools.cache
def _explainer(name: str) -> Any:
    """The detailed validator of a shipped schema, with the fast path's pattern semantics."""
    validator(name)  # raises a clear KeyError for an unknown schema name
    return _Explainer(
        _without_dialect(load_schema(name)),
        registry=_explainer_registry(),
        format_checker=format_checker(),
    )


def document_issues(name: str, instance: Any, *, file: str | None = None) -> list[Issue]:
    """Validate one document against the shipped schema ``name`` (a questionnaire, a rules
    file…): no issue when the fast validator accepts it, else every error explained."""
    if validator(name).is_valid(instance):
        return []
    return _detailed(name, instance, (), file)


def _detailed(
    name: str, instance: Any, prefix: Sequence[str | int], file: str | None
) -> list[Issue]:
    issues: list[Issue] = []
    for error in _explainer(name).iter_errors(instance):
        issues.extend(_issues_from_error(error, prefix, file))
    return issues


def schema_issues(
    document: Any, *, file: str | None = None, fast: bool = True
) -> tuple[list[Issue], set[tuple[str, int]]]:
    """Validate a bundle document against ``bundle.schema.json``.

    :returns: the issues, and the ``(collection, index)`` of every record that is invalid.
    """
    invalid: set[tuple[str, int]]
    if not fast:
        issues = _detailed("bundle", document, (), file)
        invalid = {
            (str(p[0]), int(p[1])) for p in (path_parts(i.path) for i in issues)
            if len(p) >= 2 and p[0] in COLLECTIONS and isinstance(p[1], int)
        }
        return issues, invalid
    if validator("bundle").is_valid(document):
        return [], set()
    if not isinstance(document, dict):
        return _detailed("bundle", document, (), file), set()
    envelope = {
        key: ([] if key in COLLECTIONS and isinstance(value, list) else value)
        for key, value in document.items()
    }
    issues = _detailed("bundle", envelope, (), file)
    invalid = set()
    for collection, schema_name in RECORD_SCHEMA.items():
        records = document.get(collection)
        if not isinstance(records, list):
            continue
        record_validator = validator(schema_name)
        for index, record in enumerate(records):
            if not record_validator.is_valid(record):
                invalid.add((collection, index))
                issues.extend(_detailed(schema_name, record, (collection, index), file))
    return issues, invalid
