"""The JSON Schemas pmae ships, and validators that never touch the network.

Schemas live in ``schemas/`` at the top of the repository (the contract, for non-Python users
too) and are shipped inside the wheel as ``pmae/schemas``. Every ``$ref`` resolves through a
preloaded registry; a reference to anything else is an error, not a download.

Two validators share each schema:

- the *fast* one (jsonschema-rs) answers "valid or not" for every record;
- the *detailed* one (Python ``jsonschema``) explains what is wrong, and runs only on what the
  fast one refused, so a large valid bundle costs little and an invalid record gets every error.

Both assert the same ``format`` keywords and give the same verdict: the fast path uses
jsonschema-rs's native checks; the detailed path asks jsonschema-rs for every format, except
``date`` and ``date-time``, checked by Python functions that follow it exactly (they run for
every date the detailed path sees, so a call into Rust per date was not worth it). The official JSON
Schema test suite runs through both paths in ``tests/test_json_schema_suite.py``.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final, NoReturn

import attrs
import jsonschema
import jsonschema_rs
import referencing
import referencing.exceptions
from referencing.jsonschema import DRAFT202012

#: Where the schemas' ``$id``s live. The path carries the major version of the format.
SCHEMA_BASE: Final = "https://schemas.pmae.fr/v1/"


class OfflineRetrievalError(LookupError):
    """A schema asked for a resource that is not in the preloaded registry."""


def _schemas_dir() -> Path:
    packaged = importlib.resources.files("pmae") / "schemas"
    if packaged.is_dir():
        return Path(str(packaged))
    # An editable install or a source checkout: the top-level schemas/ folder.
    return Path(__file__).resolve().parents[3] / "schemas"


@functools.cache
def _all_schemas() -> Mapping[str, dict[str, Any]]:
    schemas: dict[str, dict[str, Any]] = {}
    for path in sorted(_schemas_dir().glob("*.schema.json")):
        schemas[path.name.removesuffix(".schema.json")] = json.loads(path.read_text("utf-8"))
    return schemas


def schema_names() -> tuple[str, ...]:
    """The names of the shipped schemas (``bundle``, ``offer``, ``common``…)."""
    return tuple(_all_schemas())


def load_schema(name: str) -> dict[str, Any]:
    """One shipped schema by name (a copy: change it freely)."""
    try:
        return json.loads(json.dumps(_all_schemas()[name]))  # type: ignore[no-any-return]
    except KeyError:
        raise KeyError(f"no schema named {name!r}; known: {', '.join(schema_names())}") from None


def schema_uri(name: str) -> str:
    """The ``$id`` of a shipped schema."""
    return str(_all_schemas()[name]["$id"])


def _refuse(uri: str) -> NoReturn:
    # The retriever of both registries: what is not preloaded is an error, never a download.
    raise OfflineRetrievalError(
        f"{uri} is not among the schemas pmae ships; pmae never fetches schemas from the network"
    )


def resources() -> dict[str, dict[str, Any]]:
    """Every shipped schema by its ``$id``."""
    return {schema["$id"]: schema for schema in _all_schemas().values()}


@attrs.define(kw_only=True, frozen=True)
class Registries:
    """The same preloaded resources, once for each validator library."""

    #: For the detailed path (Python ``jsonschema``, through ``referencing``).
    detailed: referencing.Registry[Any]
    #: For the fast path (jsonschema-rs).
    fast: jsonschema_rs.Registry


def make_registries(extra: Mapping[str, dict[str, Any]] | None = None) -> Registries:
    """Registries holding every shipped schema plus ``extra`` (URI -> schema); nothing is fetched.

    ``extra`` serves tests and tools that validate against schemas of their own (the official
    JSON Schema test suite's remotes, say) with exactly the machinery pmae validates with.
    An ``extra`` resource that declares its own ``$schema`` keeps that dialect; the others are
    read as Draft 2020-12, like pmae's schemas.
    """
    shipped = resources()
    added = dict(extra or {})
    clashes = sorted(set(shipped) & set(added))
    if clashes:
        raise ValueError(f"extra resources may not replace shipped schemas: {', '.join(clashes)}")
    detailed: referencing.Registry[Any] = referencing.Registry(retrieve=_refuse)  # type: ignore[call-arg]
    detailed = detailed.with_resources(
        [(uri, DRAFT202012.create_resource(schema)) for uri, schema in shipped.items()]
        + [
            (uri, referencing.Resource.from_contents(schema, default_specification=DRAFT202012))
            for uri, schema in added.items()
        ]
    ).crawl()
    fast = jsonschema_rs.Registry([*shipped.items(), *added.items()], retriever=_refuse)
    return Registries(detailed=detailed, fast=fast)


@functools.cache
def _default_registries() -> Registries:
    return make_registries()


def registry() -> referencing.Registry[Any]:
    """A registry preloaded with every shipped schema; anything else is refused, not fetched."""
    return _default_registries().detailed


# --- formats -------------------------------------------------------------------------------

_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATE_TIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]+)?"
    r"(?:[Zz]|([+-])([0-9]{2}):([0-9]{2}))"
)
_DAYS_IN_MONTH: Final = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _is_calendar_date(year: int, month: int, day: int) -> bool:
    # Not calendar.monthrange: it refuses year 0, which RFC 3339 (and jsonschema-rs) allow.
    if not 1 <= month <= 12:
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return 1 <= day <= _DAYS_IN_MONTH[month - 1] + (month == 2 and leap)


def check_date(value: object) -> bool:
    """An RFC 3339 ``full-date``, ``YYYY-MM-DD``, a day of the proleptic Gregorian calendar."""
    if not isinstance(value, str):
        return True
    match = _DATE.fullmatch(value)
    return bool(match) and _is_calendar_date(*map(int, match.groups()))  # type: ignore[union-attr]


def check_date_time(value: object) -> bool:
    """An RFC 3339 ``date-time`` with its offset; a leap second only at 23:59:60 UTC."""
    if not isinstance(value, str):
        return True
    match = _DATE_TIME.fullmatch(value)
    if not match:
        return False
    year, month, day, hour, minute, second = map(int, match.groups()[:6])
    sign, offset_hour, offset_minute = match.groups()[6:]
    if not _is_calendar_date(year, month, day) or hour > 23 or minute > 59 or second > 60:
        return False
    if offset_hour is not None and (int(offset_hour) > 23 or int(offset_minute) > 59):
        return False
    if second == 60:
        offset = 0 if sign is None else int(offset_hour) * 60 + int(offset_minute)
        utc_minute = (hour * 60 + minute - (offset if sign == "+" else -offset)) % 1440
        return utc_minute == 23 * 60 + 59
    return True


#: Formats the detailed validator checks with pmae's functions rather than ``jsonschema``'s,
#: which disagree with jsonschema-rs (the fast path) on leap seconds, the year 0000 and a
#: trailing newline. These follow jsonschema-rs exactly (the tests compare them on generated
#: strings), so the fast path keeps its native, faster checks and both give the same verdict.
DETAILED_FORMATS: Final = {"date": check_date, "date-time": check_date_time}


#: Every other format jsonschema-rs checks: the detailed path asks jsonschema-rs itself, so
#: the two paths can never disagree on a format, whatever optional packages are installed, and
#: the fast path never calls back into Python (a callback per URL and e-mail address cost 45 %
#: of the schema layer at national scale).
DELEGATED_FORMATS: Final = (
    "email", "uri", "time", "duration", "idn-email", "hostname", "idn-hostname", "ipv4", "ipv6",
    "uri-reference", "iri", "iri-reference", "uuid", "uri-template", "json-pointer",
    "relative-json-pointer", "regex",
)


def _delegated(name: str) -> Any:
    checker = jsonschema_rs.validator_for({"format": name}, validate_formats=True)

    def check(value: object) -> bool:
        return not isinstance(value, str) or bool(checker.is_valid(value))

    check.__name__ = f"check_{name.replace('-', '_')}"
    return check


@functools.cache
def format_checker() -> jsonschema.FormatChecker:
    """The format checker of the detailed path: pmae's own checks, and jsonschema-rs's."""
    checker = jsonschema.FormatChecker(formats=())
    for name, function in DETAILED_FORMATS.items():
        checker.checks(name)(function)
    for name in DELEGATED_FORMATS:
        checker.checks(name)(_delegated(name))
    return checker


# --- validators ----------------------------------------------------------------------------


def fast_validator(
    schema: Mapping[str, Any] | bool, *, registries: Registries | None = None
) -> jsonschema_rs.Validator:
    """The jsonschema-rs validator of ``schema``, configured as pmae validates.

    A ``$ref`` that is not in ``registries`` fails here, when the validator is built.

    :param registries: where ``$ref``s resolve; by default, the shipped schemas only.
    """
    return jsonschema_rs.validator_for(
        # A boolean is a schema too (``true`` accepts everything, ``false`` nothing).
        dict(schema) if isinstance(schema, Mapping) else schema,
        registry=(registries or _default_registries()).fast,
        retriever=_refuse,
        validate_formats=True,
    )


def detailed_validator(
    schema: Mapping[str, Any] | bool, *, registries: Registries | None = None
) -> jsonschema.Draft202012Validator:
    """The Python ``jsonschema`` validator of ``schema``, configured as pmae validates.

    ``jsonschema`` resolves a ``$ref`` when validation reaches it: one that is not in
    ``registries`` fails then, with a ``referencing`` error caused by
    :class:`OfflineRetrievalError`.

    :param registries: where ``$ref``s resolve; by default, the shipped schemas only.
    """
    return jsonschema.Draft202012Validator(
        schema,
        registry=(registries or _default_registries()).detailed,
        format_checker=format_checker(),
    )


class SchemaValidator:
    """The fast and the detailed validator of one schema."""

    def __init__(
        self, schema: Mapping[str, Any] | bool, *, registries: Registries | None = None
    ) -> None:
        """Build both validators of ``schema``.

        :param registries: where ``$ref``s resolve; by default, the shipped schemas only
            (:func:`make_registries` adds others).
        """
        self.schema = schema
        self.fast = fast_validator(schema, registries=registries)
        self.detailed = detailed_validator(schema, registries=registries)

    def is_valid(self, instance: Any) -> bool:
        """Valid or not, as fast as can be (jsonschema-rs)."""
        return bool(self.fast.is_valid(instance))

    def iter_errors(self, instance: Any) -> Iterator[jsonschema.ValidationError]:
        """Every error, explained (Python jsonschema)."""
        return self.detailed.iter_errors(instance)


@functools.cache
def validator(name: str) -> SchemaValidator:
    """The validators of a shipped schema, built once."""
    return SchemaValidator(_all_schemas()[name])
