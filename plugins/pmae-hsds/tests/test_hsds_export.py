"""The HSDS exporter: the sample through the real command line, the exact mapping, and the
round trip pmae -> HSDS -> pmae, each output validated against HSDS 3.0 and the pmae profile."""

from __future__ import annotations

import importlib
import json
import sys
import uuid
from pathlib import Path
from typing import Any

import attrs
import pytest
from hsds_support import FORMS, REPO, back, export, run, session, small_bundle, strip
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pmae.exchange import export_bundle
from pmae.io.audience import filter_bundle
from pmae.io.bundles import bundle_to_data
from pmae.model import Bundle, Offer
from pmae.sessions import make_session
from pmae.vocab import core_vocabularies

from pmae_hsds import forms
from pmae_hsds.ids import NAMESPACE, PROFILE_URI
from pmae_hsds.validation import validate_dataset


# -- the sample, through the real command line ---------------------------------------------
@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sample")
    result = run("sample", "-o", "sample.json", cwd=folder)
    assert result.returncode == 0, result.stderr
    for form in FORMS:
        result = run("export", "sample.json", "--to", "hsds", "-o", form,
                     "--option", f"form={form}", cwd=folder)
        assert result.returncode == 0, result.stderr
    return folder


@pytest.mark.parametrize("form", FORMS)
def test_cli_export_of_the_sample_validates_against_hsds_and_the_profile(
        sample: Path, form: str) -> None:
    assert validate_dataset(sample / form, profile=True) == []


def test_sample_counts(sample: Path) -> None:
    _, tables, _ = forms.read(sample / "tabular")
    counts = {name: len(tables.get(name, ())) for name in (
        "organization", "service", "service_area", "attribute", "taxonomy", "taxonomy_term",
        "organization_identifier", "location", "schedule", "cost_option")}
    print("\nHSDS counts on the sample (public audience):", counts)
    assert counts["organization"] == 36
    assert counts["service"] == 69  # the 5 non-public offers are filtered by pmae's core
    assert counts["service_area"] >= counts["service"]
    _, json_tables, _ = forms.read(sample / "json")
    assert {k: len(v) for k, v in json_tables.items()} == {
        k: len(v) for k, v in tables.items() if v}


@pytest.mark.parametrize("form", FORMS)
def test_cli_import_gives_the_sample_back(sample: Path, form: str) -> None:
    result = run("import", "hsds", form, "-o", f"back-{form}.json", cwd=sample)
    assert result.returncode == 0, result.stderr + result.stdout
    public = bundle_to_data(filter_bundle(
        make_session(load=[]).load_bundle(sample / "sample.json"), "public"))
    again = json.loads((sample / f"back-{form}.json").read_text(encoding="utf-8"))
    assert strip(again["actors"]) == strip(public["actors"])
    assert strip(again["offers"]) == strip(public["offers"])
    # What the import could not carry: on pmae's warning channel, named after the plugin.
    assert "importer 'hsds': 1 warning:\n  - HSDS has no visibility" in result.stderr


# -- the exact mapping -----------------------------------------------------------------------
def test_ids_are_uuid5_of_the_pmae_ids_and_exports_are_identical(tmp_path: Path) -> None:
    first = export(small_bundle(), tmp_path / "a", form="tabular")
    second = export(small_bundle(), tmp_path / "b", form="tabular")
    for file in sorted(p.name for p in first.iterdir()):
        assert (first / file).read_bytes() == (second / file).read_bytes(), file
    services = json.loads((export(small_bundle(), tmp_path / "c") / "services.json")
                          .read_text(encoding="utf-8"))
    assert services[0]["id"] == str(uuid.uuid5(NAMESPACE, "service\x1flma-ra:offre-1"))
    assert services[0]["organization_id"] == str(
        uuid.uuid5(NAMESPACE, "organization\x1flma-ra:region"))
    assert uuid.uuid5(uuid.NAMESPACE_URL, PROFILE_URI) == NAMESPACE


def test_organization_and_service_records(tmp_path: Path) -> None:
    folder = export(small_bundle(), tmp_path / "x")
    organizations = json.loads((folder / "organizations.json").read_text(encoding="utf-8"))
    services = json.loads((folder / "services.json").read_text(encoding="utf-8"))
    region = organizations[0]
    assert [(i.get("identifier_scheme"), i["identifier_type"], i["identifier"])
            for i in region["organization_identifiers"]] == [
        (None, "pmae", "lma-ra:region"), ("FR-SIRET", "SIRET", "23690001500017")]
    location = region["locations"][0]
    assert (location["external_identifier"], location["external_identifier_type"]) == (
        "69123", "INSEE COG commune")
    assert {k: location["addresses"][0][k] for k in ("city", "state_province", "postal_code",
                                                     "country")} == {
        "city": "Lyon", "state_province": "Rhône", "postal_code": "69002", "country": "FR"}
    assert organizations[1]["locations"][0]["description"] == "Quelque part"
    first, expired, inherited = services
    assert [a["uri"] for a in first["service_areas"]] == [
        "http://id.insee.fr/geo/region/84", "http://id.insee.fr/geo/departement/69",
        "http://id.insee.fr/geo/commune/69123"]
    assert first["schedules"][0]["valid_from"] == "2025-01-01"
    assert first["cost_options"][0]["option"] == "Gratuit sous conditions"
    assert (first["status"], expired["status"], inherited["status"]) == (
        "active", "defunct", "active")
    assert expired["cost_options"][0]["amount"] == 0
    assert expired["description"].startswith("Sans description. Offre de Région")
    assert [(a["link_type"], a.get("value")) for a in expired["attributes"]][-3:] == [
        ("cost", None), ("generated", "description"), ("generated", "service_areas")]
    assert [a["uri"] for a in expired["service_areas"]] == ["http://id.insee.fr/geo/region/84"]
    links = {(a["link_type"], a.get("value")) for a in first["attributes"]}
    assert {("id", "lma-ra:offre-1"), ("themes", None), ("delivery", None)} <= links


def test_labels_follow_the_language(tmp_path: Path) -> None:
    export_bundle(small_bundle(), "hsds", tmp_path / "en", audience="all", lang="en",
                  session=session())
    terms = json.loads((tmp_path / "en" / "taxonomy_terms.json").read_text(encoding="utf-8"))
    assert {t["language"] for t in terms} == {"en"}
    stage = next(t for t in terms if t["code"] == "conseil")
    assert stage["name"] == core_vocabularies()["stages"].label("conseil", "en")


def test_public_audience_is_filtered_by_the_core(tmp_path: Path) -> None:
    hidden = attrs.evolve(small_bundle().offers[0], id="lma-ra:cache", visibility="restricted",
                          recipients=("lma-ra",))
    bundle = attrs.evolve(small_bundle(), offers=(*small_bundle().offers, hidden))
    folder = export(bundle, tmp_path / "p", audience="public")
    text = "".join(p.read_text(encoding="utf-8") for p in folder.iterdir())
    assert "lma-ra:cache" not in text
    assert "a.guillot" not in text and "04 26 73" not in text  # personal data, phones


def test_bad_options_and_impossible_offers_are_export_errors(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGUAGE", "en")  # the core's part of a message follows the locale
    # Declared options: pmae checks them before the exporter runs (OptionError, a ValueError).
    with pytest.raises(ValueError, match="option form: 'xml' is not one of json, services"):
        export(small_bundle(), tmp_path / "a", form="xml")
    with pytest.raises(ValueError, match="unknown option colour for the exporter 'hsds'"):
        export(small_bundle(), tmp_path / "b", colour="red")
    lonely = attrs.evolve(small_bundle(), offers=(attrs.evolve(
        small_bundle().offers[2], territories=()),))
    with pytest.raises(ValueError, match="lma-ra:offre-3 has no territory"):
        export(lonely, tmp_path / "c")
    elsewhere = attrs.evolve(small_bundle(), offers=(attrs.evolve(
        small_bundle().offers[0], actor="autre-reseau:acteur"),))
    with pytest.raises(ValueError, match="its actor autre-reseau:acteur is not in the bundle"):
        export(elsewhere, tmp_path / "d")


@pytest.mark.parametrize("form", FORMS)
def test_small_bundle_round_trip_and_validation(tmp_path: Path, form: str) -> None:
    bundle = small_bundle()
    folder = export(bundle, tmp_path / form, form=form)
    assert validate_dataset(folder) == []
    report = back(folder)
    assert report.ok, report.issues
    assert report.bundle is not None
    assert strip(bundle_to_data(report.bundle)["actors"]) == strip(
        bundle_to_data(bundle)["actors"])
    assert strip(bundle_to_data(report.bundle)["offers"]) == strip(
        bundle_to_data(bundle)["offers"])


# -- the round trip on any valid bundle -----------------------------------------------------
def _repo_bundles() -> Any:
    """The repository's bundle strategy (tests/strategies.py), or ``None`` outside the repo."""
    if not (REPO / "tests" / "strategies.py").is_file():
        return None
    if str(REPO / "tests") not in sys.path:
        sys.path.insert(0, str(REPO / "tests"))
    # The repository's tests folder is not a package: import its module by name.
    return importlib.import_module("strategies").bundles(max_records=3)


def _with_areas(bundle: Bundle) -> Bundle:
    """Give ``fr`` to the offers with no territory whose actor has none either (see the README:
    the profile needs a service area, and the export refuses to invent one)."""
    actors = {a.id: a for a in bundle.actors}

    def fixed(offer: Offer) -> Offer:
        actor = actors.get(offer.actor)
        if offer.territories or (actor and (actor.territories or actor.commune)):
            return offer
        return attrs.evolve(offer, territories=("fr",))

    return attrs.evolve(bundle, offers=tuple(fixed(o) for o in bundle.offers))


_BUNDLES = _repo_bundles()


@pytest.mark.skipif(_BUNDLES is None, reason="needs the pmae repository's tests/strategies.py")
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bundle=_BUNDLES if _BUNDLES is not None else st.nothing(), form=st.sampled_from(FORMS))
def test_round_trip_keeps_actors_and_offers(tmp_path_factory: pytest.TempPathFactory,
                                            bundle: Bundle, form: str) -> None:
    bundle = _with_areas(bundle)
    folder = export(bundle, tmp_path_factory.mktemp("rt") / form, form=form)
    assert validate_dataset(folder) == []
    report = back(folder)
    assert report.ok, [i.render() for i in report.issues if i.severity == "error"]
    assert report.bundle is not None
    expected = bundle_to_data(filter_bundle(bundle, "all"))
    again = bundle_to_data(report.bundle)
    assert strip(again.get("actors", [])) == strip(expected.get("actors", []))
    assert strip(again.get("offers", [])) == strip(expected.get("offers", []))


def test_pmae_plugins_lists_the_installed_plugin(tmp_path: Path) -> None:
    result = run("plugins", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (plugin,) = [p for p in json.loads(result.stdout) if p["name"] == "pmae-hsds"]
    assert (plugin["status"], [{k: i[k] for k in ("kind", "name")} for i in plugin["items"]]) == (
        "loaded", [{"kind": "exporter", "name": "hsds"}, {"kind": "importer", "name": "hsds"}])
    # The options each declares, for the user to read before running it.
    assert [[o["name"] for o in i["options"]] for i in plugin["items"]] == [
        ["form", "as_of"], ["source", "name", "visibility"]]
