"""pmae's validator setup on the official JSON Schema test suite (draft 2020-12), offline.

Every case of the suite runs through both of pmae's paths, built exactly as pmae builds them
(:func:`pmae.io.schemas.fast_validator`, :func:`pmae.io.schemas.detailed_validator`, the same
registries, the same format checks). A case *fails* when a path's verdict differs from the
suite's ``valid``; every failure is listed in :data:`KNOWN_FAILURES` with each path's outcome and
the reason, and the test fails on an unlisted failure as on a listed case that now passes. The
outcomes listed also say where the two paths disagree with each other.

The suite is looked for next to the repository (``../shared/external/json-schema-test-suite``)
or at ``$PMAE_JSON_SCHEMA_SUITE``; without it, this module is skipped.
"""

from __future__ import annotations

import functools
import json
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import jsonschema_rs
import pytest
import referencing.exceptions

from pmae.io.schemas import (
    OfflineRetrievalError,
    Registries,
    detailed_validator,
    fast_validator,
    make_registries,
)

SUITE = Path(
    os.environ.get("PMAE_JSON_SCHEMA_SUITE")
    or Path(__file__).parents[2] / "shared" / "external" / "json-schema-test-suite"
)
if not (SUITE / "tests" / "draft2020-12").is_dir():
    pytest.skip(
        f"the official JSON Schema test suite is not at {SUITE} "
        "(set PMAE_JSON_SCHEMA_SUITE to its checkout)",
        allow_module_level=True,
    )

TESTS = SUITE / "tests"
#: The formats pmae's schemas use: their optional suite files run too.
PMAE_FORMATS = ("date", "date-time", "email", "uri")
SUITE_FILES = sorted((TESTS / "draft2020-12").glob("*.json")) + [
    TESTS / "draft2020-12" / "optional" / "format" / f"{name}.json" for name in PMAE_FORMATS
]
#: The suite serves ``remotes/`` from this base; pmae preloads them instead.
REMOTES_BASE = "http://localhost:1234/"


class Known(NamedTuple):
    """The outcome of each path on a case that does not give the suite's verdict, and why."""

    fast: str
    detailed: str
    reason: str


# --- the known failures --------------------------------------------------------------------

FORMATS_ASSERTED = (
    "pmae asserts formats on purpose (validate_formats=True on the fast path, a FormatChecker "
    "on the detailed one): an invalid date or e-mail is a data error; the suite's default for "
    "2020-12 is format as annotation only"
)
NO_UNICODE_PROPERTY_ESCAPES = (
    "Python's re has no \\p{...} classes, so the detailed path cannot compile the pattern and "
    "raises re.error; jsonschema-rs follows ECMA-262 and matches. pmae's schemas use no \\p "
    "(tests/test_schemas.py compiles every pattern with re)"
)
NO_VOCABULARY_SUPPORT = (
    "Python jsonschema does not implement $vocabulary: pmae's detailed path is a "
    "Draft202012Validator whatever the metaschema says, so it still applies the validation "
    "vocabulary; jsonschema-rs honours $vocabulary"
)
_FORMAT = "draft2020-12/format.json"
_EMAIL = "draft2020-12/optional/format/email.json"
_EMAILS = "validation of e-mail addresses"
_PATTERN_P = "pattern with Unicode property escape requires unicode mode"
_PROPERTIES_P = "patternProperties with Unicode property escape"

#: (suite file, group description, test description) -> outcomes and reason.
KNOWN_FAILURES: dict[tuple[str, str, str], Known] = {
    **{
        (_FORMAT, f"{name} format", f"invalid {name} string is only an annotation by default"):
            Known("invalid", "invalid", FORMATS_ASSERTED)
        for name in (
            "email", "idn-email", "regex", "ipv4", "ipv6", "idn-hostname", "hostname", "date",
            "date-time", "time", "json-pointer", "relative-json-pointer", "iri",
            "iri-reference", "uri", "uri-reference", "uri-template", "uuid", "duration",
        )
    },
    ("draft2020-12/pattern.json", _PATTERN_P, "ASCII letters match"):
        Known("valid", "error: error", NO_UNICODE_PROPERTY_ESCAPES),
    ("draft2020-12/pattern.json", _PATTERN_P, "Non-ASCII letters match"):
        Known("valid", "error: error", NO_UNICODE_PROPERTY_ESCAPES),
    ("draft2020-12/pattern.json", _PATTERN_P, "Digits do not match"):
        Known("invalid", "error: error", NO_UNICODE_PROPERTY_ESCAPES),
    ("draft2020-12/patternProperties.json", _PROPERTIES_P, "Unicode letter property name matches"):
        Known("valid", "error: error", NO_UNICODE_PROPERTY_ESCAPES),
    (
        "draft2020-12/patternProperties.json", _PROPERTIES_P,
        "Non-letter property name does not match pattern",
    ): Known("valid", "error: error", NO_UNICODE_PROPERTY_ESCAPES),
    (
        "draft2020-12/vocabulary.json",
        "schema that uses custom metaschema with with no validation vocabulary",
        "no validation: invalid number, but it still validates",
    ): Known("valid", "invalid", NO_VOCABULARY_SUPPORT),
}


# --- running the suite ---------------------------------------------------------------------


class NetworkAccessError(RuntimeError):
    """Something tried to open a connection while the suite ran."""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Refuse every connection from Python, and record the attempts.

    Attempts are recorded as well as refused because a library may swallow the exception (a
    retriever's error becomes "unresolvable"). jsonschema-rs opens its sockets in Rust, out of
    this guard's reach: its offline behaviour is proven by its retriever, pmae's ``_refuse``,
    whose error surfaces in :func:`test_unknown_remote_ref_is_refused_offline_on_both_paths`.
    """
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise NetworkAccessError(f"network access during the suite run: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    yield attempts
    assert attempts == []


def _remotes() -> dict[str, dict[str, Any]]:
    remotes: dict[str, dict[str, Any]] = {}
    for path in sorted((SUITE / "remotes").rglob("*.json")):
        relative = path.relative_to(SUITE / "remotes")
        # ``v1/`` belongs to the next, unreleased dialect (``$schema: https://json-schema.org/v1``)
        # that neither library knows; no draft 2020-12 case refers to it.
        if relative.parts[0] == "v1":
            continue
        remotes[REMOTES_BASE + relative.as_posix()] = json.loads(path.read_text("utf-8"))
    return remotes


@functools.cache
def _registries() -> Registries:
    return make_registries(_remotes())


def _outcome(decide: Callable[[], bool]) -> str:
    try:
        return "valid" if decide() else "invalid"
    except Exception as error:  # an exception is an outcome to compare, too
        return f"error: {type(error).__name__}"


def _raises(error: Exception) -> Callable[[Any], bool]:
    def decide(instance: Any) -> bool:
        raise error

    return decide


class CaseResult(NamedTuple):
    key: tuple[str, str, str]
    expected: str
    fast: str
    detailed: str


@functools.cache
def _run_file(relative: str) -> tuple[CaseResult, ...]:
    results: list[CaseResult] = []
    for group in json.loads((TESTS / relative).read_text("utf-8")):
        # A path whose validator cannot be built fails every case of the group.
        try:
            fast = fast_validator(group["schema"], registries=_registries()).is_valid
        except Exception as error:
            fast = _raises(error)
        try:
            detailed_errors = detailed_validator(group["schema"], registries=_registries())
        except Exception as error:
            detailed = _raises(error)
        else:
            def detailed(instance: Any, errors: Any = detailed_errors) -> bool:
                return next(iter(errors.iter_errors(instance)), None) is None
        for case in group["tests"]:
            data = case["data"]
            results.append(
                CaseResult(
                    key=(relative, group["description"], case["description"]),
                    expected="valid" if case["valid"] else "invalid",
                    fast=_outcome(lambda: fast(data)),  # noqa: B023 - called at once
                    detailed=_outcome(lambda: detailed(data)),  # noqa: B023
                )
            )
    return tuple(results)


def _relative(path: Path) -> str:
    return path.relative_to(TESTS).as_posix()


# --- tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("relative", [_relative(path) for path in SUITE_FILES])
def test_suite_file(relative: str, no_network: list[object]) -> None:
    results = _run_file(relative)
    assert results, f"{relative} holds no case"
    failures = {
        result.key: (result.fast, result.detailed)
        for result in results
        if result.expected != result.fast or result.expected != result.detailed
    }
    disagreements = sorted(result.key for result in results if result.fast != result.detailed)
    known = {
        key: (entry.fast, entry.detailed)
        for key, entry in KNOWN_FAILURES.items()
        if key[0] == relative
    }
    unexpected = {key: outcome for key, outcome in failures.items() if known.get(key) != outcome}
    stale = sorted(key for key in known if key not in failures)
    assert (unexpected, stale) == ({}, []), (
        f"{relative}: {len(results)} cases; (fast, detailed) outcomes not in KNOWN_FAILURES: "
        f"{unexpected}; listed but passing: {stale}; paths disagree on: {disagreements}"
    )


def test_suite_totals(no_network: list[object]) -> None:
    """The whole run in figures; these change only with the suite's commit or pmae's checks."""
    results = [result for path in SUITE_FILES for result in _run_file(_relative(path))]
    required = [result for result in results if "/optional/" not in result.key[0]]

    def failed(result: CaseResult) -> bool:
        return result.expected != result.fast or result.expected != result.detailed

    summary = {
        "files": len(SUITE_FILES),
        "cases": len(results),
        "required cases": len(required),
        "passed": sum(not failed(result) for result in results),
        "known failures": sum(failed(result) for result in results),
        "disagreements": sum(result.fast != result.detailed for result in results),
    }
    print(summary)
    assert summary == {
        "files": 50,
        "cases": 1486,
        "required cases": 1299,
        "passed": 1461,
        "known failures": 25,
        "disagreements": 6,
    }
    assert len(KNOWN_FAILURES) == 25


def test_no_network_guard_refuses_connections(no_network: list[object]) -> None:
    # Without this, a guard that patched the wrong names would make the suite run prove nothing.
    with pytest.raises(NetworkAccessError):
        socket.create_connection(("127.0.0.1", 9))
    with pytest.raises(NetworkAccessError):
        socket.socket().connect(("127.0.0.1", 9))
    assert len(no_network) == 2
    no_network.clear()


@pytest.mark.parametrize(
    "uri",
    [
        "http://example.com/unknown.schema.json",
        REMOTES_BASE + "draft2020-12/not-in-remotes.json",
        "https://schemas.pmae.fr/v1/unknown.schema.json",
    ],
)
def test_unknown_remote_ref_is_refused_offline_on_both_paths(
    uri: str, no_network: list[object]
) -> None:
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": uri}
    refusal = f"{uri} is not among the schemas pmae ships"

    with pytest.raises(jsonschema_rs.ValidationError) as fast_error:
        fast_validator(schema, registries=_registries())
    assert f"OfflineRetrievalError: {refusal}" in str(fast_error.value)

    # The detailed path resolves the reference when validation reaches it.
    detailed = detailed_validator(schema, registries=_registries())
    with pytest.raises(referencing.exceptions.Unresolvable) as detailed_error:
        list(detailed.iter_errors(1))
    causes: list[BaseException] = []
    cause: BaseException | None = detailed_error.value
    while cause is not None:
        causes.append(cause)
        cause = cause.__cause__
    offline = [error for error in causes if isinstance(error, OfflineRetrievalError)]
    assert [str(error) for error in offline] == [
        f"{refusal}; pmae never fetches schemas from the network"
    ]


def test_remotes_resolve_from_the_local_registry(no_network: list[object]) -> None:
    schema = {"$ref": REMOTES_BASE + "draft2020-12/integer.json"}
    fast = fast_validator(schema, registries=_registries())
    detailed = detailed_validator(schema, registries=_registries())
    assert [fast.is_valid(1), fast.is_valid("a")] == [True, False]
    assert [[e.message for e in detailed.iter_errors(x)] for x in (1, "a")] == [
        [], ["'a' is not of type 'integer'"]
    ]


def test_extra_resources_cannot_replace_shipped_schemas() -> None:
    uri = "https://schemas.pmae.fr/v1/common.schema.json"
    with pytest.raises(ValueError, match="may not replace shipped schemas: " + uri):
        make_registries({uri: {"type": "string"}})
