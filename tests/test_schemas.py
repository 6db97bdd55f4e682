"""The shipped JSON Schemas: well-formed, identified, resolvable, packaged, and checked as meant."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import jsonschema
import jsonschema_rs
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pmae.io.schemas import (
    SCHEMA_BASE,
    check_date,
    check_date_time,
    format_checker,
    load_schema,
    registry,
    schema_names,
    schema_uri,
    validator,
)
from pmae.vocab import core_vocabularies

REPO = Path(__file__).resolve().parents[1]
SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")

def _named(names: tuple[str, ...]) -> list[Any]:
    return [
        name
        for name in names
    ]


def _walk(node: Any, base: str, path: str = "#") -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every subschema-like object with the base URI it is read against and its pointer."""
    if isinstance(node, dict):
        if isinstance(node.get("$id"), str):
            base = urljoin(base, node["$id"])
        yield base, path, node
        for key, value in node.items():
            yield from _walk(value, base, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, base, f"{path}/{index}")


def test_the_schemas_shipped_are_the_files_in_schemas() -> None:
    assert sorted(schema_names()) == sorted(
        path.name.removesuffix(".schema.json") for path in (REPO / "schemas").glob("*.schema.json")
    )
    assert "bundle" in schema_names()


@pytest.mark.parametrize("name", schema_names())
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert jsonschema_rs.meta.is_valid(schema)


@pytest.mark.parametrize("name", _named(schema_names()))
def test_schema_id_is_stable_and_versioned(name: str) -> None:
    schema = load_schema(name)
    assert schema["$id"] == f"{SCHEMA_BASE}{name}.schema.json"
    assert schema_uri(name) == schema["$id"]
    assert SEMVER.match(schema["x-pmae-version"])


def test_every_schema_has_the_same_version() -> None:
    versions = {name: load_schema(name).get("x-pmae-version") for name in schema_names()}
    bundle_version = versions["bundle"]
    assert SEMVER.match(bundle_version)
    # The major version is the one in SCHEMA_BASE's path.
    assert SCHEMA_BASE.endswith(f"/v{bundle_version.split('.')[0]}/")
    assert {name for name, version in versions.items() if version != bundle_version} == set()


@pytest.mark.parametrize("name", schema_names())
def test_every_ref_resolves_in_the_registry(name: str) -> None:
    schema = load_schema(name)
    refs = [(base, path, node["$ref"]) for base, path, node in _walk(schema, schema["$id"])
            if isinstance(node.get("$ref"), str)]
    for base, path, ref in refs:
        resolved = registry().resolver(base_uri=base).lookup(ref)
        assert isinstance(resolved.contents, dict), f"{name} {path}: {ref}"
    # jsonschema-rs resolves every $ref when it builds the validator: this is its check.
    assert validator(name).fast is not None
    if name in ("bundle", "offer", "actor"):
        assert refs


@pytest.mark.parametrize("name", schema_names())
def test_every_pattern_compiles_on_both_paths(name: str) -> None:
    # Python's re lacks \p{...} and reads \d, \w as Unicode: the detailed path would crash or
    # disagree with the fast one (see KNOWN_FAILURES in test_json_schema_suite.py).
    for _, path, node in _walk(load_schema(name), schema_uri(name)):
        pattern = node.get("pattern")
        if isinstance(pattern, str) and path.rsplit("/", 1)[-1] != "properties":
            re.compile(pattern)
            assert not re.search(r"\\[pPdDwWsS]", pattern), f"{name} {path}: {pattern}"


def test_schemas_ship_inside_the_wheel(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("pmae-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = {
            name.removeprefix("pmae/schemas/"): archive.read(name)
            for name in archive.namelist()
            if name.startswith("pmae/schemas/")
        }
    assert "bundle.schema.json" in shipped
    assert shipped == {
        path.name: path.read_bytes() for path in (REPO / "schemas").glob("*.schema.json")
    }


# --- formats -------------------------------------------------------------------------------

BUNDLE: dict[str, Any] = {
    "format_version": "1.0.0",
    "source": {"slug": "lma-ra", "name": "Le Mouvement associatif Rhône-Alpes"},
    "generated_at": "2025-03-14T09:00:00+01:00",
    "actors": [
        {"id": "lma-ra:dla69", "name": "DLA du Rhône", "actor_type": "dla_departemental",
         "email": "contact@dla69.fr", "website": "https://www.dla69.fr/accompagnement"},
    ],
    "offers": [
        {"id": "lma-ra:offre-1", "actor": "lma-ra:dla69", "title": "Premier emploi",
         "valid_from": "2024-02-29"},
    ],
}


def _broken_bundle() -> dict[str, Any]:
    document = copy.deepcopy(BUNDLE)
    document["generated_at"] = "2025-03-14T25:00:00+01:00"
    document["actors"][0]["email"] = "contact@@dla69.fr"
    # Still matches the schema's ^https?:// pattern: only the uri format refuses it.
    document["actors"][0]["website"] = "https://www.dla69.fr/accompagnement des associations"
    document["offers"][0]["valid_from"] = "2024-02-30"
    return document


def test_a_bundle_with_valid_formats_is_accepted_by_both_paths() -> None:
    bundle = validator("bundle")
    assert bundle.is_valid(BUNDLE)
    assert list(bundle.iter_errors(BUNDLE)) == []


def test_bad_formats_are_refused_by_both_paths_one_error_each() -> None:
    bundle = validator("bundle")
    document = _broken_bundle()
    assert not bundle.is_valid(document)
    errors = sorted(
        (list(error.absolute_path), error.validator, error.validator_value)
        for error in bundle.iter_errors(document)
    )
    assert errors == [
        (["actors", 0, "email"], "format", "email"),
        (["actors", 0, "website"], "format", "uri"),
        (["generated_at"], "format", "date-time"),
        (["offers", 0, "valid_from"], "format", "date"),
    ]
    # One field at a time, so the fast path is seen to refuse each format, not only the lot.
    for path in (("generated_at",), ("actors", 0, "email"), ("actors", 0, "website"),
                 ("offers", 0, "valid_from")):
        single = copy.deepcopy(BUNDLE)
        target: Any = single
        source: Any = document
        for part in path[:-1]:
            target, source = target[part], source[part]
        target[path[-1]] = source[path[-1]]
        assert not bundle.is_valid(single), path
        assert [list(e.absolute_path) for e in bundle.iter_errors(single)] == [list(path)]


_RS_DATE = jsonschema_rs.validator_for({"format": "date"}, validate_formats=True)
_RS_DATE_TIME = jsonschema_rs.validator_for({"format": "date-time"}, validate_formats=True)
_DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=5)
_NEAR_DATE = st.builds(
    lambda y, m, d: f"{y}-{m}-{d}",
    st.one_of(st.integers(0, 9999).map("{:04d}".format), _DIGITS),
    st.one_of(st.integers(0, 13).map("{:02d}".format), _DIGITS),
    st.one_of(st.integers(0, 32).map("{:02d}".format), _DIGITS),
)
_NEAR_TIME = st.builds(
    lambda h, mi, s, frac, sep: f"{sep}{h}:{mi}:{s}{frac}",
    st.integers(0, 25).map("{:02d}".format),
    st.integers(0, 60).map("{:02d}".format),
    st.integers(0, 61).map("{:02d}".format),
    st.sampled_from(["", ".5", ".123456789", "."]),
    st.sampled_from(["T", "t", " ", "_"]),
)
_NEAR_OFFSET = st.one_of(
    st.sampled_from(["Z", "z", "", "+00:00", "-00:00", "Z\n", "+0100", "+01"]),
    st.builds(
        lambda sign, h, m: f"{sign}{h:02d}:{m:02d}",
        st.sampled_from("+-"), st.integers(0, 24), st.integers(0, 60),
    ),
)


@given(st.one_of(_NEAR_DATE, _NEAR_DATE.map(lambda d: d + "\n"), st.text(max_size=12)))
@example("0000-02-29")
@example("1900-02-29")
@example("2024-02-30")
@example("2024-02-29")
@example("2024-1-01")
@example("\uff12\uff10\uff12\uff14-01-01")  # full-width digits
def test_detailed_date_check_agrees_with_jsonschema_rs(value: str) -> None:
    assert check_date(value) == _RS_DATE.is_valid(value)
    assert format_checker().conforms(value, "date") == _RS_DATE.is_valid(value)


@given(st.one_of(st.builds(str.__add__, st.builds(str.__add__, _NEAR_DATE, _NEAR_TIME),
                           _NEAR_OFFSET),
                 st.text(max_size=30)))
@example("1998-12-31T23:59:60Z")
@example("1998-12-31T15:59:60.123-08:00")
@example("1998-12-31T23:59:60+23:59")
@example("1998-12-31T00:00:60+00:01")
@example("1998-12-31T22:59:60Z")
@example("0000-01-01T00:00:00Z")
@example("1985-04-12T23:20:50Z\n")
@example("1985-04-12T23:20:50.52z")
def test_detailed_date_time_check_agrees_with_jsonschema_rs(value: str) -> None:
    assert check_date_time(value) == _RS_DATE_TIME.is_valid(value)
    assert format_checker().conforms(value, "date-time") == _RS_DATE_TIME.is_valid(value)


@pytest.mark.parametrize(
    ("value", "format_name", "valid"),
    [
        ("contact@dla69.fr", "email", True),
        ("prenom.nom+pmae@mouvement-associatif.org", "email", True),
        ("contact@@dla69.fr", "email", False),
        ("a@b.fr\n", "email", False),
        ("https://www.dla69.fr/accompagnement", "uri", True),
        ("http://[::1]:8080/a", "uri", True),
        ("urn:isbn:0451450523", "uri", True),
        ("https://annuaire.fr/?filtre[type]=dla", "uri", False),  # RFC 3986: encode brackets
        ("http:/[::1]", "uri", False),
        ("https://exa mple.org/", "uri", False),
        ("https://x.fr/\n", "uri", False),
    ],
)
def test_email_and_uri_follow_jsonschema_rs_on_both_paths(
    value: str, format_name: str, valid: bool
) -> None:
    assert format_checker().conforms(value, format_name) is valid
    fast = jsonschema_rs.validator_for({"format": format_name}, validate_formats=True)
    assert fast.is_valid(value) is valid


# --- closed vocabularies -------------------------------------------------------------------


def _vocabulary_enums() -> list[tuple[str, str, str, Any]]:
    found = []
    for name in schema_names():
        for _, path, node in _walk(load_schema(name), schema_uri(name)):
            if "x-pmae-vocabulary" in node:
                found.append((name, path, node["x-pmae-vocabulary"], node.get("enum")))
    return found


def test_every_closed_vocabulary_is_an_enum_of_exactly_its_codes() -> None:
    found = _vocabulary_enums()
    vocabularies = core_vocabularies()
    mismatches = [
        (name, path, vocabulary_id, enum)
        for name, path, vocabulary_id, enum in found
        if vocabulary_id not in vocabularies or enum != list(vocabularies[vocabulary_id].codes())
    ]
    assert mismatches == []
    # Open vocabularies take plugin codes, so only closed ones may be enums; and each closed
    # one is enforced somewhere.
    assert {vocabulary_id for _, _, vocabulary_id, _ in found} == {
        vocabulary_id for vocabulary_id, vocabulary in vocabularies.items() if not vocabulary.open
    }
    assert {vocabulary_id for name, _, vocabulary_id, _ in found if name == "common"} == {
        "stages", "size_bands", "visibility"
    }


def test_detailed_format_checker_needs_no_optional_package() -> None:
    """Formats outside pmae's own checks are asked of jsonschema-rs, never of whatever
    optional package happens to be installed, so both paths always agree."""
    from pmae.io.schemas import format_checker

    checker = format_checker()
    assert checker.conforms("not-an-ip", "ipv4") is False
    assert checker.conforms("192.168.0.1", "ipv4") is True
    assert checker.conforms("/a~0b", "json-pointer") is True
    assert checker.conforms("a~2", "json-pointer") is False
