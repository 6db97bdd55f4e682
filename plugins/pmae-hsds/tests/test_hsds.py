"""The HSDS exporter and importer, checked against the official HSDS 3.0 schemas and the profile.

Validation is offline and strict (:func:`pmae_hsds.validation.validate_dataset`): closed
objects, formats, every ``$ref`` resolved from the plugin's copy of the schemas, references
between objects and files resolved.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import attrs
import pytest
import referencing.exceptions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from pmae.exchange import export_bundle, import_file
from pmae.io.audience import filter_bundle
from pmae.io.bundles import bundle_to_data
from pmae.model import Actor, Bundle, Offer, Person, Source
from pmae.sessions import make_session
from pmae.vocab import core_vocabularies

import pmae_hsds
from pmae_hsds import forms, taxonomies
from pmae_hsds.ids import NAMESPACE, PROFILE_URI, territory_code, territory_uri
from pmae_hsds.schemas import (
    hsds_schemas,
    merge_patch,
    profile_patches,
    profile_schemas,
    registry,
    schema_uri,
)
from pmae_hsds.validation import validate_dataset

PMAE = [sys.executable, "-m", "pmae.cli"]
DATA = Path(pmae_hsds.__file__).parent / "hsds"
REPO = Path(__file__).resolve().parents[3]
#: Open Referral's files, where the pmae workspace keeps them (beside the repository).
OFFICIAL = next((p / "shared" / "external" / "hsds" / "3.0" for p in REPO.parents
                 if (p / "shared" / "external" / "hsds" / "3.0").is_dir()), None)
PARIS = dt.timezone(dt.timedelta(hours=1))
FORMS = ("json", "services", "tabular")


def session() -> Any:
    """A session with the built-ins and this plugin (not the installed copy's entry point)."""
    return make_session(load=[], plugins=[pmae_hsds])


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PMAE_DISABLE_PLUGINS": "pmae-broken"}
    return subprocess.run([*PMAE, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          check=False)


def small_bundle() -> Bundle:
    """Every rule once: generated description and area, SIRET, address, contacts, dates."""
    actors = (
        Actor(id="lma-ra:region", name="Région Auvergne-Rhône-Alpes", actor_type="collectivite",
              territories=("reg:84",), commune="com:69123", siret="23690001500017",
              address="1 esplanade François Mitterrand\n69002 Lyon",
              website="https://www.region.example.org/", email="va@region.example.org",
              phone="04 26 73 40 00", labels=("autre",), networks=("lma-ra:cress",),
              contacts=(Person(name="Agnès Guillot", role="Chargée de mission",
                               email="a.guillot@region.example.org", phone="04 00 00 00 00"),)),
        Actor(id="lma-ra:cress", name="CRESS", actor_type="cress", address="Quelque part"),
    )
    offers = (
        Offer(id="lma-ra:offre-1", actor="lma-ra:region", title="Premier emploi",
              description="Un conseil puis une formation.", themes=("projet_emploi",
                                                                    "recrutement"),
              stages=("conseil", "formation"), territories=("reg:84", "dep:69", "com:69123"),
              size_bands=("01", "02"), sectors=("sport",), formats=("collectif",),
              delivery="mixte", cost="sous_conditions", valid_from=dt.date(2025, 1, 1),
              valid_until=dt.date(2025, 12, 31), url="https://www.region.example.org/pe"),
        Offer(id="lma-ra:offre-2", actor="lma-ra:region", title="Sans description",
              cost="gratuit", valid_until=dt.date(2024, 12, 31)),
        Offer(id="lma-ra:offre-3", actor="lma-ra:cress", title="Sur rendez-vous",
              territories=("fr",), cost="payant"),
    )
    return Bundle(source=Source(slug="lma-ra", name="Le Mouvement associatif Rhône-Alpes"),
                  generated_at=dt.datetime(2025, 6, 2, 10, 0, tzinfo=PARIS),
                  actors=actors, offers=offers)


def export(bundle: Bundle, folder: Path, audience: str = "all", **options: str) -> Path:
    export_bundle(bundle, "hsds", folder, audience=audience, options=options,
                  session=session())
    return folder


def back(folder: Path, **options: str) -> Any:
    return import_file("hsds", folder, options=options, session=session())


def strip(records: Any) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k not in ("visibility", "recipients")}
            for r in records]


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
    assert "HSDS has no visibility" in result.stdout


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


def test_bad_options_and_impossible_offers_are_export_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="form='xml'"):
        export(small_bundle(), tmp_path / "a", form="xml")
    with pytest.raises(ValueError, match="unknown option"):
        export(small_bundle(), tmp_path / "b", colour="red")
    lonely = attrs.evolve(small_bundle(), offers=(attrs.evolve(
        small_bundle().offers[2], territories=()),))
    with pytest.raises(ValueError, match="lma-ra:offre-3 has no territory"):
        export(lonely, tmp_path / "c")


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
    from strategies import bundles

    return bundles(max_records=3)


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
        assert data == expected[name], f"regenerate profile/data/{name}.json"
        validator = Draft202012Validator({"$ref": schema_uri(name, profile=True)},
                                         registry=registry(profile=True))
        for item in data:
            validator.validate(item)


def test_territory_uris_round_trip() -> None:
    for code in ("fr", "reg:84", "dep:2A", "com:69123", "epci:200046977", "bv:69123"):
        assert territory_code(territory_uri(code)) == code
    assert territory_code("https://example.org/area") is None


# -- import of someone else's HSDS, with its losses ----------------------------------------------
def test_import_of_a_foreign_dataset_reports_every_loss(tmp_path: Path) -> None:
    org = "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"
    organizations = [{
        "id": org, "name": "Example Org", "description": "Help", "year_incorporated": 2011,
        "organization_identifiers": [{"id": str(uuid.uuid4()), "identifier_scheme": "GB-COH",
                                      "identifier_type": "Company number",
                                      "identifier": "1234567"}],
        "phones": [{"id": str(uuid.uuid4()), "number": "04 72 00 00 01"},
                   {"id": str(uuid.uuid4()), "number": "04 72 00 00 02"}]}]
    services = [{
        "id": "ac148810-d857-441c-9679-408f346de14b", "organization_id": org,
        "name": "Counselling", "status": "active", "eligibility_description": "Adults",
        "service_areas": [{"id": str(uuid.uuid4()), "name": "MyCity"},
                          {"id": str(uuid.uuid4()), "name": "Lyon",
                           "uri": "http://id.insee.fr/geo/commune/69123"}],
        "cost_options": [{"id": str(uuid.uuid4()), "amount": 35, "currency": "GBP"}],
        "languages": [{"id": str(uuid.uuid4()), "name": "Urdu"}]}]
    (tmp_path / "organizations.json").write_text(json.dumps(organizations), encoding="utf-8")
    (tmp_path / "services.json").write_text(json.dumps(services), encoding="utf-8")
    report = back(tmp_path, source="ailleurs")
    assert report.ok, report.issues
    assert report.bundle is not None
    (actor,) = report.bundle.actors
    (offer,) = report.bundle.offers
    assert (actor.id, actor.actor_type, actor.phone) == (f"ailleurs:hsds-{org}", "autre",
                                                      "04 72 00 00 01")
    assert (offer.territories, offer.cost) == (("com:69123",), "payant")
    lost = {(i.path, i.message) for i in report.issues if i.code == "hsds:not-imported"}
    assert lost >= {
        ("$.organization.year_incorporated",
         "not imported: organization year_incorporated (pmae has no field for it) (1×)"),
        ("$.organization_identifiers", "not imported: identifiers other than SIRET (1×)"),
        ("$.organizations", "not imported: no actor type (pmae's 'autre' is given) (1×)"),
        ("$.organizations.phones", "not imported: phones but the first (1×)"),
        ("$.service.eligibility_description",
         "not imported: service eligibility_description (pmae has no field for it) (1×)"),
        ("$.service_areas", "not imported: areas without a COG or pmae URI (1×)"),
        ("$.cost_options.amount",
         "not imported: amounts (pmae says 'payant', not how much) (1×)"),
        ("$.language objects", "not imported: every language (pmae has no place for it) (1×)"),
    }


def test_import_of_something_else_is_a_clear_error(tmp_path: Path) -> None:
    report = back(tmp_path)
    assert [i.code for i in report.issues] == ["hsds:not-hsds"]
    assert "is it an HSDS dataset?" in report.issues[0].message
    report = back(tmp_path, visibility="everyone")
    assert [i.code for i in report.issues] == ["hsds:bad-option"]
