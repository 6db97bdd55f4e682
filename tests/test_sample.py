"""The sample bundle shipped in pmae/data/sample.json and the script that builds it."""

from __future__ import annotations

import datetime as dt
import re
import runpy
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pmae.io.files import dumps_json, parse_json
from pmae.io.pipeline import validate_document
from pmae.model import Bundle
from pmae.sample import SAMPLE_FILE, load_sample, sample_bytes
from pmae.territories import core_territories
from pmae.vocab import size_band_for

BUILD_SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "build_sample.py"
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(scope="module")
def raw() -> Any:
    return parse_json(sample_bytes(), file=SAMPLE_FILE)


@pytest.fixture(scope="module")
def bundle() -> Bundle:
    return load_sample()


def _walk(value: Any, key: str | None = None) -> Iterator[tuple[str | None, Any]]:
    """Every (key, value) pair of a JSON document, at any depth."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, k)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, key)
    else:
        yield key, value


def test_sample_validates_with_zero_issues(raw: Any) -> None:
    report = validate_document(raw, file=SAMPLE_FILE)
    assert report.issues == []
    assert report.bundle is not None


def test_load_sample_counts(bundle: Bundle) -> None:
    assert bundle.source.slug == "pmae-ra"
    assert bundle.source.name == "Démarche PMAE Rhône-Alpes (exemple)"
    assert bundle.licence == "etalab-2.0"
    assert bundle.generated_at == dt.datetime.fromisoformat("2025-12-01T09:00:00+01:00")
    assert bundle.description is not None and "illustratives" in bundle.description
    assert bundle.counts() == {
        "actors": 36, "offers": 74, "associations": 200, "diagnoses": 10, "needs": 491,
        "referrals": 25, "meetings": 6, "productions": 1, "resources": 13, "programmes": 1,
        "responses": 3, "practices": 3,
    }


def test_every_id_belongs_to_the_source(bundle: Bundle) -> None:
    assert {record.id.split(":", 1)[0] for _, record in bundle.records()} == {"pmae-ra"}


DLA = {
    "DLA de l'Ain": "dep:01", "DLA de l'Ardèche": "dep:07", "DLA de la Drôme": "dep:26",
    "DLA de l'Isère": "dep:38", "DLA de la Loire": "dep:42", "DLA du Rhône": "dep:69",
    "DLA de la Savoie": "dep:73", "DLA de la Haute-Savoie": "dep:74",
}


def test_names_the_dla_of_each_departement_and_the_regional_one(bundle: Bundle) -> None:
    by_name = {actor.name: actor for actor in bundle.actors}
    for name, territory in DLA.items():
        actor = by_name[name]
        assert (actor.actor_type, actor.territories, actor.labels) == (
            "dla_departemental", (territory,), ("porteur_dla",))
    regional = by_name["DLA régional Auvergne-Rhône-Alpes"]
    assert (regional.actor_type, regional.territories, regional.labels) == (
        "dla_regional", ("reg:84",), ("porteur_dla",))
    departementaux = [a.name for a in bundle.actors if a.actor_type == "dla_departemental"]
    assert sorted(departementaux) == sorted(DLA)


@pytest.mark.parametrize(("name", "actor_type"), [
    ("Le Mouvement associatif Rhône-Alpes", "coordination_associative"),
    ("CRESS Auvergne-Rhône-Alpes", "cress"),
    ("Réseau national des maisons des associations — délégation Rhône-Alpes",
     "coordination_associative"),
    ("Rhône-Alpes Active", "financeur_solidaire"),
    ("UDES Auvergne-Rhône-Alpes", "organisation_employeurs"),
    ("Uniformation — délégation Auvergne-Rhône-Alpes", "opco"),
    ("ARAVIS", "centre_ressources"),
    ("Chorum", "autre"),
])
def test_names_the_structures_of_the_demarche(bundle: Bundle, name: str, actor_type: str) -> None:
    assert [a.actor_type for a in bundle.actors if a.name == name] == [actor_type]


def test_maisons_des_associations_belong_to_the_rnma(bundle: Bundle) -> None:
    maisons = [a for a in bundle.actors if a.actor_type == "maison_des_associations"]
    assert len(maisons) == 6
    assert {a.networks for a in maisons} == {("pmae-ra:rnma-ra",)}


def test_associations_are_restricted_and_consistent(bundle: Bundle) -> None:
    assert len(bundle.associations) == 200
    assert {(a.visibility, a.recipients) for a in bundle.associations} == {
        ("restricted", ("pmae-ra",))}
    for association in bundle.associations:
        assert association.headcount is not None
        assert association.size_band == size_band_for(association.headcount)
        assert association.commune is not None
        assert association.commune[4:6] in {"01", "07", "26", "38", "42", "69", "73", "74"}
    in_scope = [a for a in bundle.associations if a.size_band in ("01", "02", "03")]
    assert len(in_scope) / len(bundle.associations) > 0.9


def test_associations_spread_by_population(bundle: Bundle) -> None:
    per_dep: dict[str, int] = {}
    for association in bundle.associations:
        assert association.commune is not None
        dep = association.commune[4:6]
        per_dep[dep] = per_dep.get(dep, 0) + 1
    assert per_dep == {"69": 56, "38": 38, "74": 25, "42": 23, "01": 20, "26": 15, "73": 13,
                       "07": 10}


def test_meetings_of_2025(bundle: Bundle) -> None:
    cofils = [m for m in bundle.meetings if m.kind == "cofil"]
    rencontres = [m for m in bundle.meetings if m.kind == "rencontre_regionale"]
    assert (len(cofils), len(rencontres)) == (3, 3)
    for meeting in bundle.meetings:
        assert meeting.start.year == meeting.end.year == 2025
        # Offsets are those of Paris on that day (+01:00 in winter, +02:00 in summer).
        assert meeting.start.utcoffset() == meeting.start.astimezone(PARIS).utcoffset()
        assert meeting.end.utcoffset() == meeting.end.astimezone(PARIS).utcoffset()
    assert {m.end - m.start for m in cofils} == {dt.timedelta(hours=3, minutes=30)}
    for rencontre in rencontres:
        assert rencontre.start.date() == rencontre.end.date()
        assert rencontre.end - rencontre.start >= dt.timedelta(hours=7)
        assert [s.outside for s in rencontre.speakers].count(True) == 1
        assert len(rencontre.workshops) >= 1
        for workshop in rencontre.workshops:
            assert workshop.start is not None and workshop.end is not None
            assert rencontre.start <= workshop.start < workshop.end <= rencontre.end
            assert workshop.facilitators


def test_offsets_cover_both_seasons(bundle: Bundle) -> None:
    offsets = {m.start.utcoffset() for m in bundle.meetings}
    assert offsets == {dt.timedelta(hours=1), dt.timedelta(hours=2)}


def test_some_registered_actors_did_not_come(bundle: Bundle) -> None:
    registrations = [r for m in bundle.meetings for r in m.registrations]
    assert {r.attended for r in registrations} == {True, False}
    came = {r.actor for r in registrations if r.attended}
    registered = {r.actor for r in registrations}
    assert {"pmae-ra:departement-38", "pmae-ra:sdjes-26"} <= registered - came


def test_every_email_is_fictional(raw: Any) -> None:
    emails = [v for k, v in _walk(raw) if k in ("email", "contact_email")]
    assert len(emails) > 40
    assert [e for e in emails if not e.endswith("example.org")] == []


def test_every_phone_is_in_the_fiction_range(raw: Any) -> None:
    phones = [v for k, v in _walk(raw) if k == "phone"]
    assert len(phones) > 36
    assert [p for p in phones if not re.fullmatch(r"04 65 71 [0-9]{2} [0-9]{2}", p)] == []
    assert len(set(phones)) == len(phones)


def test_every_url_is_fictional(raw: Any) -> None:
    urls = [v for k, v in _walk(raw) if k in ("url", "website")]
    assert urls
    assert [u for u in urls if not re.match(r"https://[a-z0-9.-]+\.example\.org/", u)] == []


def _covering(bundle: Bundle, theme: str, stage: str | None, place: str) -> list[str]:
    territories = core_territories()
    return [
        o.id for o in bundle.offers
        if theme in o.themes and (stage is None or stage in o.stages)
        and any(territories.contains(t, place) for t in o.territories)
    ]


def test_deliberate_gaps(bundle: Bundle) -> None:
    # Privas (07) and Valence (26): no social-dialogue advice; elsewhere there is.
    assert _covering(bundle, "dialogue_social", "conseil", "com:07186") == []
    assert _covering(bundle, "dialogue_social", "conseil", "com:26362") == []
    assert len(_covering(bundle, "dialogue_social", "conseil", "com:69123")) == 1
    # Chambéry (73) and Annecy (74): nothing on health and provident cover; Lyon has some.
    assert _covering(bundle, "sante_prevoyance", None, "com:73065") == []
    assert _covering(bundle, "sante_prevoyance", None, "com:74010") == []
    assert len(_covering(bundle, "sante_prevoyance", None, "com:69123")) == 2
    # GEPP is thin everywhere.
    assert len([o for o in bundle.offers if "gepp" in o.themes]) == 2


def test_one_expired_offer_and_restricted_ones_have_recipients(bundle: Bundle) -> None:
    expired = [o for o in bundle.offers if o.valid_until and o.valid_until.year == 2024]
    assert [o.actor for o in expired] == ["pmae-ra:departement-38"]
    restricted = [o for o in bundle.offers if o.visibility == "restricted"]
    assert len(restricted) == 2
    assert all(o.recipients for o in restricted)
    assert len([o for o in bundle.offers if o.visibility == "network"]) == 3


def test_diagnoses_and_their_needs_point_to_each_other(bundle: Bundle) -> None:
    needs = {n.id: n for n in bundle.needs}
    listed = set()
    for diagnosis in bundle.diagnoses:
        assert (diagnosis.tool, diagnosis.tool_version) == ("diagnostic-partage", "1.0")
        assert diagnosis.needs
        for need_id in diagnosis.needs:
            need = needs[need_id]
            assert (need.diagnosis, need.origin, need.association) == (
                diagnosis.id, "diagnostic", diagnosis.association)
            listed.add(need_id)
    assert {n.id for n in bundle.needs if n.diagnosis is not None} == listed


def test_needs_copy_their_association(bundle: Bundle) -> None:
    associations = {a.id: a for a in bundle.associations}
    for need in bundle.needs:
        assert dt.date(2024, 1, 1) <= need.date <= dt.date(2025, 12, 1)
        if need.association is not None:
            association = associations[need.association]
            assert (need.territory, need.size_band, need.sector) == (
                association.commune, association.size_band, association.sector)


def test_referrals_point_to_offers_that_cover_the_need(bundle: Bundle) -> None:
    territories = core_territories()
    needs = {n.id: n for n in bundle.needs}
    offers = {o.id: o for o in bundle.offers}
    for referral in bundle.referrals:
        need, offer = needs[referral.need], offers[referral.offer]
        assert need.theme in offer.themes
        assert need.territory is not None
        assert any(territories.contains(t, need.territory) for t in offer.territories)
        assert referral.date >= need.date


def test_production_and_programme(bundle: Bundle) -> None:
    (production,) = bundle.productions
    assert (production.kind, production.title, production.themes, production.meeting) == (
        "fiche_thematique", "Les ESSentiels — Formation professionnelle", ("formation_pro",),
        "pmae-ra:rencontre-2025-1")
    meeting = next(m for m in bundle.meetings if m.id == production.meeting)
    assert meeting.productions == (production.id,)
    (programme,) = bundle.programmes
    assert programme.year == 2025
    assert programme.meetings == tuple(m.id for m in bundle.meetings)
    assert programme.productions == (production.id,)


@pytest.fixture(scope="module")
def build_script() -> dict[str, Any]:
    return runpy.run_path(str(BUILD_SCRIPT))


def test_build_script_is_deterministic_and_matches_the_shipped_file(
    build_script: dict[str, Any],
) -> None:
    data = build_script["build"]()
    assert dumps_json(data) == sample_bytes()


def test_build_script_gap_check_catches_a_filled_gap(build_script: dict[str, Any]) -> None:
    offer = {"id": "pmae-ra:x", "themes": ["dialogue_social"], "stages": ["conseil"],
             "territories": ["reg:84"]}
    assert build_script["check_gaps"]([offer]) == [
        "pmae-ra:x fills the gap dialogue_social/conseil in dep:07",
        "pmae-ra:x fills the gap dialogue_social/conseil in dep:26",
    ]
    assert build_script["check_gaps"](build_script["build"]()["offers"]) == []
