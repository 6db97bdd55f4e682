"""The validation is strict and offline, and the pmae profile is what HSDS profiles are:
JSON Merge Patches of Open Referral's schemas (kept unchanged), with its taxonomies."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import referencing.exceptions
from hsds_support import DATA, OFFICIAL, export, small_bundle
from jsonschema import Draft202012Validator
from pmae.vocab import core_vocabularies

from pmae_hsds import taxonomies
from pmae_hsds.ids import PROFILE_URI, territory_code, territory_uri
from pmae_hsds.schemas import (
    hsds_schemas,
    merge_patch,
    profile_patches,
    profile_schemas,
    registry,
    schema_uri,
)
from pmae_hsds.validation import validate_dataset


# -- the validation is strict, offline, and sees cross-file references -------------------------
def test_validation_refuses_what_the_profile_or_hsds_refuse(tmp_path: Path) -> None:
    folder = export(small_bundle(), tmp_path / "v")
    services = json.loads((folder / "services.json").read_text(encoding="utf-8"))
    organizations = json.loads((folder / "organizations.json").read_text(encoding="utf-8"))
    del services[0]["description"]
    services[1]["service_areas"] = []
    services[2]["colour"] = "red"
    services[2]["organization_id"] = str(uuid.uuid4())
    organizations[1]["organization_identifiers"] = []
    (folder / "services.json").write_text(json.dumps(services), encoding="utf-8")
    (folder / "organizations.json").write_text(json.dumps(organizations), encoding="utf-8")
    problems = validate_dataset(folder)
    text = "\n".join(problems)
    assert "services.json:$[0]: pmae profile: 'description' is a required property" in text
    assert "services.json:$[1].service_areas: pmae profile:" in text
    assert "services.json:$[2]: HSDS 3.0: Additional properties are not allowed ('colour'" in text
    assert "organizations.json:$[1].organization_identifiers: pmae profile:" in text
    assert "points to no organization" in text
    assert not [p for p in problems if "$[0]" in p and "HSDS 3.0" in p]  # core HSDS allows it


def test_schemas_never_fetch_anything() -> None:
    validator = Draft202012Validator({"$ref": "https://example.org/elsewhere.json"},
                                     registry=registry())
    with pytest.raises(referencing.exceptions.Unresolvable):
        validator.validate({})


def test_the_schemas_are_openreferrals_unchanged() -> None:
    if OFFICIAL is None:
        pytest.skip("the official HSDS copy is not beside this repository")
    for name in hsds_schemas():
        assert (DATA / "schema" / f"{name}.json").read_bytes() == (
            OFFICIAL / "schema" / f"{name}.json").read_bytes()
    assert (DATA / "datapackage.json").read_bytes() == (OFFICIAL / "datapackage.json").read_bytes()


def test_profile_is_merge_patches_that_give_valid_schemas() -> None:
    assert merge_patch({"a": 1, "b": {"c": 2}}, {"a": None, "b": {"d": 3}}) == {
        "b": {"c": 2, "d": 3}}
    for name in profile_patches():
        assert name in hsds_schemas(), f"profile/{name}.json patches no HSDS schema"
        Draft202012Validator.check_schema(profile_schemas()[name])
    assert "fees" not in profile_schemas()["service"]["properties"]
    assert schema_uri("service", profile=True) == f"{PROFILE_URI}schema/service.json"


def test_profile_taxonomies_are_pmaes_vocabularies() -> None:
    expected = taxonomies.published(core_vocabularies())
    for name in ("taxonomy", "taxonomy_term"):
        data = json.loads((DATA / "profile" / "data" / f"{name}.json").read_text(
            encoding="utf-8"))
        assert data == expected[name], "run python -m pmae_hsds.regenerate"
        validator = Draft202012Validator({"$ref": schema_uri(name, profile=True)},
                                         registry=registry(profile=True))
        for item in data:
            validator.validate(item)


def test_territory_uris_round_trip() -> None:
    for code in ("fr", "reg:84", "dep:2A", "com:69123", "epci:200046977", "bv:69123"):
        assert territory_code(territory_uri(code)) == code
    assert territory_code("https://example.org/area") is None
