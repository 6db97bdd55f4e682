"""Tests of pmae.territories: parsing, existence and containment of territory codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pmae.territories import (
    LEVELS,
    TERRITORY_PATTERN,
    Territories,
    Territory,
    TerritoryError,
    core_territories,
)

T = core_territories()
GEO = json.loads(
    (Path(__file__).resolve().parents[1] / "src" / "pmae" / "data" / "geo.json").read_text(
        encoding="utf-8"
    )
)
REGION_OF = {f"dep:{d['code']}": f"reg:{d['region']}" for d in GEO["departements"]}
FORMER_OF = {
    f"dep:{d}": f"reg:{r['code']}" for r in GEO["former_regions"] for d in r["departements"]
}
METROPOLE = "epci:200046977"  # Métropole de Lyon
ARA = ("01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74")


def _error_code(code: str) -> str:
    with pytest.raises(TerritoryError) as info:
        T.parse(code)
    assert info.value.territory == code
    return info.value.code


def test_counts() -> None:
    assert len(T.regions()) == 18
    assert len(T.departements("fr")) == 101
    assert T.regions(include_former=True)[-2:] == ("reg:82", "reg:83")
    assert LEVELS == ("fr", "reg", "dep", "epci", "com")


def test_auvergne_rhone_alpes() -> None:
    assert T.departements("reg:84") == tuple(f"dep:{d}" for d in ARA)
    assert T.name("reg:84") == "Auvergne-Rhône-Alpes"


def test_former_regions_make_up_84() -> None:
    assert T.departements("reg:82") == tuple(
        f"dep:{d}" for d in ("01", "07", "26", "38", "42", "69", "73", "74")
    )
    assert T.departements("reg:83") == ("dep:03", "dep:15", "dep:43", "dep:63")
    assert set(T.departements("reg:82")) | set(T.departements("reg:83")) == set(
        T.departements("reg:84")
    )
    assert set(T.departements("reg:82")) & set(T.departements("reg:83")) == set()
    assert T.name("reg:82") == "Rhône-Alpes"
    assert T.name("reg:83") == "Auvergne"


def test_lyon() -> None:
    assert T.parse("com:69123") == Territory(
        code="com:69123", level="com", local="69123", name="Lyon"
    )
    assert T.parents("com:69123") == ("dep:69", METROPOLE)
    assert T.ancestors("com:69123") == frozenset({"dep:69", METROPOLE, "reg:84", "reg:82", "fr"})
    for outer in ("com:69123", METROPOLE, "dep:69", "reg:84", "reg:82", "fr"):
        assert T.contains(outer, "com:69123"), outer
    for outer in ("reg:83", "dep:01", "reg:11", "com:69124"):
        assert not T.contains(outer, "com:69123"), outer
    assert T.departements("com:69123") == ("dep:69",)


def test_hierarchy() -> None:
    assert T.parents("dep:69") == ("reg:84", "reg:82")
    assert T.parents("dep:75") == ("reg:11",)
    assert T.parents("reg:82") == ("reg:84",)
    assert T.parents("reg:84") == ("fr",)
    assert T.parents("fr") == ()
    assert T.ancestors("fr") == frozenset()
    assert T.ancestors("reg:82") == frozenset({"reg:84", "fr"})
    assert T.contains("reg:84", "reg:82")
    assert T.contains("fr", "reg:82")
    assert not T.contains("reg:82", "reg:84")
    assert not T.contains("reg:82", "dep:03")
    assert T.contains("reg:83", "dep:03")
    assert T.departements("dep:69") == ("dep:69",)


def test_corsica_and_overseas() -> None:
    # Ajaccio is in the CA du Pays Ajaccien, Saint-Denis in the CINOR.
    assert T.ancestors("com:2A004") == frozenset({"dep:2A", "epci:242010056", "reg:94", "fr"})
    assert T.contains("dep:2A", "com:2A004")
    assert T.contains("reg:94", "com:2A004")
    assert not T.contains("dep:2B", "com:2A004")
    assert T.ancestors("com:97411") == frozenset({"dep:974", "epci:249740119", "reg:04", "fr"})
    assert T.contains("dep:974", "com:97411")
    assert T.name("dep:974") == "La Réunion"
    assert T.exists("com:97611")  # Mayotte
    assert not T.exists("com:97511")  # Saint-Pierre-et-Miquelon is not a département
    assert T.parse("dep:2B").name == "Haute-Corse"


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("84", "ambiguous-territory"),
        ("69", "ambiguous-territory"),
        ("69123", "ambiguous-territory"),
        ("974", "ambiguous-territory"),
        ("200046977", "ambiguous-territory"),
        ("2A", "ambiguous-territory"),
        ("reg:8", "malformed-territory"),
        ("reg:084", "malformed-territory"),
        ("dep:2a", "malformed-territory"),
        ("dep:6", "malformed-territory"),
        ("com:6912", "malformed-territory"),
        ("epci:20004697", "malformed-territory"),
        ("FR", "malformed-territory"),
        ("", "malformed-territory"),
        ("reg 84", "malformed-territory"),
        ("1234", "malformed-territory"),
        ("Lyon", "malformed-territory"),
        ("dep:99", "unknown-territory"),
        ("dep:20", "unknown-territory"),
        ("reg:12", "unknown-territory"),
        ("com:99001", "unknown-territory"),
        ("epci:200000000", "unknown-territory"),  # well formed, but no such EPCI
        ("com:69999", "unknown-commune"),  # département 69 exists, this commune does not
        ("bv:69123", "unknown-territory"),  # no such level in the core
    ],
)
def test_parse_errors(code: str, error: str) -> None:
    assert _error_code(code) == error
    assert not T.exists(code)


def test_ambiguous_message_says_how_to_write_it() -> None:
    with pytest.raises(TerritoryError) as info:
        T.parse("84")
    assert str(info.value) == (
        "'84' has no level; territory codes carry their level, write 'reg:84' or 'dep:84'"
    )
    with pytest.raises(TerritoryError, match=r"write 'com:69123'$"):
        T.parse("69123")


def test_errors_from_hierarchy_methods() -> None:
    for method in (T.parents, T.ancestors, T.name, T.departements):
        with pytest.raises(TerritoryError):
            method("dep:99")
    with pytest.raises(TerritoryError):
        T.contains("fr", "84")
    assert not T.contains("dep:99", "com:69123")


@pytest.mark.parametrize(
    "code",
    [
        "fr",
        "reg:84",
        "dep:69",
        "dep:2A",
        "dep:971",
        "com:69123",
        "com:2A004",
        "com:97411",
        "epci:200046977",
        "bv:69123",
        "x_1:aZ9",
    ],
)
def test_pattern_matches_well_formed_codes(code: str) -> None:
    assert re.match(TERRITORY_PATTERN, code)


@pytest.mark.parametrize("code", ["84", "FR", "fr:", "reg:", ":84", "Reg:84", "reg:8-4", "reg:84 "])
def test_pattern_rejects_malformed_codes(code: str) -> None:
    assert not re.match(TERRITORY_PATTERN, code)


DEPARTEMENTS = T.departements("fr")
ALL_REGIONS = T.regions(include_former=True)


@given(st.sampled_from(DEPARTEMENTS), st.sampled_from(ALL_REGIONS))
def test_region_contains_departement_iff_it_is_its_region(dep: str, region: str) -> None:
    expected = REGION_OF[dep] == region or FORMER_OF.get(dep) == region
    assert T.contains(region, dep) is expected
    assert (dep in T.departements(region)) is expected


@given(st.sampled_from(DEPARTEMENTS).flatmap(
    lambda dep: st.tuples(st.just(dep), st.sampled_from(T.communes(dep)))))
def test_every_commune_is_in_its_departement_and_region(dep_and_commune: tuple[str, str]
                                                        ) -> None:
    dep, commune = dep_and_commune
    assert T.exists(commune)
    assert T.contains(dep, commune)
    assert T.contains(REGION_OF[dep], commune)
    assert T.contains("fr", commune)


def _with_lyon_metropole() -> Territories:
    return T.with_referential(
        level="epci", entries=[("epci:200046977", "Métropole de Lyon", ["dep:69"])]
    ).with_referential(
        level="com",
        entries=[
            ("com:69123", "Lyon", ["epci:200046977"]),
            ("com:69266", "Villeurbanne", ["epci:200046977"]),
        ],
    )


def test_epci_referential() -> None:
    t = _with_lyon_metropole()
    assert t.contains("epci:200046977", "com:69123")
    assert t.contains("epci:200046977", "com:69266")
    assert not t.contains("epci:200046977", "com:69001")
    assert t.contains("dep:69", "epci:200046977")
    assert t.contains("reg:82", "epci:200046977")
    assert t.parents("com:69123") == ("dep:69", "epci:200046977")
    assert t.ancestors("com:69123") == frozenset(
        {"epci:200046977", "dep:69", "reg:84", "reg:82", "fr"}
    )
    assert t.name("com:69123") == "Lyon"
    assert t.name("epci:200046977") == "Métropole de Lyon"
    assert t.exists("epci:200046977")
    assert t.departements("epci:200046977") == ("dep:69",)
    # The core referential is unchanged by a referential with an EPCI it does not know.
    assert core_territories() is T
    fictional = T.with_referential(
        level="epci", entries=[("epci:200000009", "EPCI fictif", ["dep:69"])]
    ).with_referential(level="com", entries=[("com:69123", None, ["epci:200000009"])])
    assert fictional.contains("epci:200000009", "com:69123")
    assert fictional.name("com:69123") == "Lyon"  # no name given: the COG's stays
    assert not T.exists("epci:200000009")
    assert T.ancestors("com:69123") == frozenset({"dep:69", METROPOLE, "reg:84", "reg:82", "fr"})


def test_epci_without_parents_gets_departements_from_its_communes() -> None:
    t = T.with_referential(level="epci", entries=[("epci:200000001", None, [])]).with_referential(
        level="com",
        entries=[("com:01001", None, ["epci:200000001"]), ("com:69001", None, ["epci:200000001"])],
    )
    assert t.departements("epci:200000001") == ("dep:01", "dep:69")
    assert t.ancestors("epci:200000001") == frozenset({"fr"})
    assert t.contains("epci:200000001", "com:01001")
    assert (
        T.with_referential(level="epci", entries=[("epci:200000002", None, [])]).departements(
            "epci:200000002"
        )
        == ()
    )


def test_plugin_level() -> None:
    t = T.with_referential(level="bv", entries=[("bv:69123", "Lyon", ["dep:69"])])
    assert t.exists("bv:69123")
    assert t.contains("reg:84", "bv:69123")
    assert t.parse("bv:69123") == Territory(code="bv:69123", level="bv", local="69123", name="Lyon")
    assert t.departements("bv:69123") == ("dep:69",)
    assert not T.exists("bv:69123")
    assert _error_code("bv:69124") == "unknown-territory"


def test_referential_errors() -> None:
    with pytest.raises(TerritoryError) as info:
        T.with_referential(level="epci", entries=[("epci:200046977", "X", ["dep:99"])])
    assert info.value.code == "unknown-territory"
    with pytest.raises(TerritoryError) as info:
        T.with_referential(level="com", entries=[("com:69123", "Lyon", ["epci:200000009"])])
    assert info.value.code == "unknown-territory"
    with pytest.raises(TerritoryError) as info:
        T.with_referential(level="epci", entries=[("bv:1", None, [])])
    assert info.value.code == "malformed-territory"
    with pytest.raises(TerritoryError) as info:
        T.with_referential(level="com", entries=[("com:99001", None, [])])
    assert info.value.code == "unknown-territory"
    with pytest.raises(ValueError, match="built in"):
        T.with_referential(level="reg", entries=[])


def test_referential_entry_given_twice_merges_parents() -> None:
    t = T.with_referential(
        level="zone",
        entries=[("zone:a", "A", ["dep:69"]), ("zone:b", "B", []), ("zone:a", None, ["zone:b"])],
    )
    assert t.parents("zone:a") == ("dep:69", "zone:b")
    assert t.name("zone:a") == "A"
    assert t.ancestors("zone:a") == frozenset({"dep:69", "reg:84", "reg:82", "zone:b", "fr"})
    with pytest.raises(TerritoryError, match="cycle"):
        t.with_referential(level="zone", entries=[("zone:b", None, ["zone:a"])])


def test_geo_data_source_note() -> None:
    assert "INSEE" in GEO["source"] and "Licence Ouverte" in GEO["source"]
    assert [r["code"] for r in GEO["former_regions"]] == ["82", "83"]
