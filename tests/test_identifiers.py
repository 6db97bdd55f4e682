"""pmae.identifiers and pmae.jsonpath: the one place SIREN/SIRET/RNA and JSON paths live."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pmae.identifiers import RNA_PATTERN, luhn_check_digit, luhn_ok, rna_ok, siren_ok, siret_ok
from pmae.jsonpath import json_path, path_parts, record_position, sort_key

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"


@given(st.text(alphabet="0123456789", min_size=1, max_size=14))
def test_the_check_digit_makes_the_luhn_check_pass(digits: str) -> None:
    assert luhn_ok(digits + luhn_check_digit(digits))
    wrong = str((int(luhn_check_digit(digits)) + 1) % 10)
    assert not luhn_ok(digits + wrong)


def test_known_numbers() -> None:
    assert siren_ok("732829320") and not siren_ok("732829321")
    assert siret_ok("73282932000074") and not siret_ok("73282932000075")
    assert siret_ok("35600000000048")  # La Poste's head office follows Luhn
    assert siret_ok("35600000012345") == (sum(map(int, "35600000012345")) % 5 == 0)


def test_rna_is_the_schema_pattern() -> None:
    schema = json.loads((SCHEMAS / "common.schema.json").read_text(encoding="utf-8"))
    assert RNA_PATTERN.pattern == schema["$defs"]["rna"]["pattern"]
    assert rna_ok("W691012345") and rna_ok("W2A1012345")
    assert not rna_ok("W69101234") and not rna_ok("W691012345\n")


@pytest.mark.parametrize(("parts", "path"), [
    ([], "$"),
    (["offers", 3, "themes"], "$.offers[3].themes"),
    (["answers", "q-1"], "$.answers['q-1']"),
    (["answers", "it's"], "$.answers[\"it's\"]"),
])
def test_json_paths_are_built_and_read_back(parts: list[str | int], path: str) -> None:
    assert json_path(parts) == path
    if "'" not in str(parts):
        assert path_parts(path) == parts


def test_record_position_and_order() -> None:
    assert record_position("$.offers[3].themes[0]") == ("offers", 3)
    assert record_position("$.source.slug") is None
    assert record_position("$") is None
    paths = ["$.offers[10]", "$.offers[9].themes", "$.actors[2]", "$"]
    assert sorted(paths, key=sort_key) == ["$", "$.actors[2]", "$.offers[9].themes",
                                           "$.offers[10]"]
