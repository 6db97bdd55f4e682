"""The data·inclusion exporter, checked with the real ``data-inclusion-schema`` package.

Every exported record is validated by data·inclusion's own pydantic models, with warnings
turned into errors; the mapping tables are checked against both vocabularies.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from data_inclusion.schema import v1
from pmae.exchange import export_bundle
from pmae.io.audience import filter_bundle
from pmae.model import Actor, Bundle, Offer, Source
from pmae.plugins import make_plugin_manager
from pmae.sample import load_sample
from pmae.territories import core_territories
from pmae.vocab import core_vocabularies

import pmae_datainclusion
from pmae_datainclusion import mapping, pmae_id, to_datainclusion, zone_eligibilite

PARIS = dt.timezone(dt.timedelta(hours=2))
ARA_DEPARTEMENTS = ["01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"]
README = Path(__file__).resolve().parents[1] / "README.md"


def make_bundle(**changes: Any) -> Bundle:
    """A small bundle that exercises every rule of the mapping once."""
    actors = (
        Actor(id="lma-ra:region", name="Région Auvergne-Rhône-Alpes, direction de la vie "
              "associative.", actor_type="collectivite", territories=("reg:84",),
              commune="com:69123", address="1 esplanade François Mitterrand\n69002 Lyon",
              siret="13003013300016", website="https://www.region.example.org/",
              email="vie-associative@region.example.org", phone="04 26 73 40 00",
              description="Aide les associations employeuses de la région."),
        Actor(id="lma-ra:ra-active", name="Rhône-Alpes Active", actor_type="financeur_solidaire",
              labels=("france_active", "pava"), territories=("reg:82",),
              description="Ok."),
        Actor(id="lma-ra:ab", name="AB", actor_type="autre"),
        Actor(id="lma-ra:cachee", name="Structure cachée", actor_type="autre",
              visibility="restricted", recipients=("lma-ra",)),
    )
    offers = (
        Offer(id="lma-ra:offre-1", actor="lma-ra:region", title="Premier emploi associatif.",
              description="Un conseil puis une formation collective pour créer et "
                          "pérenniser un premier emploi.",
              themes=("projet_emploi", "recrutement", "formation_pro", "aides_emploi"),
              stages=("formation", "conseil"), territories=("reg:84", "dep:69", "com:69123"),
              size_bands=("01", "02"), sectors=("sport", "culture"), formats=("collectif",),
              delivery="mixte", cost="sous_conditions", url="https://www.region.example.org/pe"),
        Offer(id="lma-ra:offre-2", actor="lma-ra:ra-active", title="Garanties France Active",
              stages=("appui",), themes=("modele_economique", "gouvernance_projet"),
              formats=("collectif",), territories=("fr", "dep:69"), delivery="sur_site",
              cost="gratuit"),
        Offer(id="lma-ra:offre-3", actor="lma-ra:ra-active", title="Offre terminée",
              valid_until=dt.date(2025, 5, 31)),
        Offer(id="lma-ra:offre-4", actor="lma-ra:ra-active", title="Offre réservée",
              visibility="restricted", recipients=("lma-ra",), territories=("epci:200046977",)),
        Offer(id="lma-ra:offre-5", actor="lma-ra:ab", title="Offre d'un acteur au nom court"),
        Offer(id="lma-ra:offre-6", actor="lma-ra:cachee", title="Offre d'un acteur caché"),
    )
    values: dict[str, Any] = {
        "source": Source(slug="lma-ra", name="Le Mouvement associatif Rhône-Alpes"),
        "generated_at": dt.datetime(2025, 6, 2, 10, 0, tzinfo=PARIS),
        "actors": actors, "offers": offers,
    }
    values.update(changes)
    return Bundle(**values)


def plugin_manager() -> Any:
    """A fresh manager with only the built-ins and this plugin (not the installed copy)."""
    return make_plugin_manager(entry_points=False, plugins=[pmae_datainclusion])


def export(bundle: Bundle, tmp_path: Path, audience: str = "public",
           **options: str) -> dict[str, Any]:
    target = tmp_path / f"di-{audience}.json"
    export_bundle(bundle, "datainclusion", target, audience=audience, options=options,
                  manager=plugin_manager())
    document: dict[str, Any] = json.loads(target.read_bytes())
    return document


def assert_valid(document: dict[str, Any]) -> None:
    """Every record passes data·inclusion's models, warnings included, with no unknown key."""
    assert list(document) == ["structures", "services"]
    for record in document["structures"]:
        assert set(record) <= set(v1.Structure.model_fields)
        v1.Structure.model_validate(record, context={"ignore_warnings": False})
    for record in document["services"]:
        assert set(record) <= set(v1.Service.model_fields)
        v1.Service.model_validate(record, context={"ignore_warnings": False})
    structure_ids = [r["id"] for r in document["structures"]]
    service_ids = [r["id"] for r in document["services"]]
    assert len(set(structure_ids)) == len(structure_ids)
    assert len(set(service_ids)) == len(service_ids)
    assert {r["structure_id"] for r in document["services"]} <= set(structure_ids)
    for record in document["structures"] + document["services"]:
        assert record["id"] == f"{record['source']}--{pmae_id(record)}"
        assert re.fullmatch(r"[a-z0-9-]+:[A-Za-z0-9._~-]+", pmae_id(record))
    departements = {code.removeprefix("dep:") for code in core_territories().departements("fr")}
    for record in document["services"]:
        for code in record["zone_eligibilite"] or ():
            assert ":" not in code
            assert (code == "france" or code in departements
                    or re.fullmatch(r"(?:[0-9]{2}|2[AB])[0-9]{3}|[0-9]{9}", code)), code


# -- the exact records ---------------------------------------------------------------------


def test_public_export_gives_exact_records(tmp_path: Path) -> None:
    document = export(make_bundle(), tmp_path)
    assert document == {
        "structures": [
            {
                "source": "lma-ra",
                "id": "lma-ra--lma-ra:region",
                "nom": "Région Auvergne-Rhône-Alpes, direction de la vie associative",
                "date_maj": "2025-06-02",
                "description": "Aide les associations employeuses de la région.",
                "siret": "13003013300016",
                "commune": "Lyon",  # the COG's name, shipped with pmae
                "code_insee": "69123",
                "adresse": "1 esplanade François Mitterrand 69002 Lyon",
                "telephone": None,  # the public audience has no phone numbers
                "courriel": None,
                "site_web": "https://www.region.example.org/",
                "reseaux_porteurs": ["regions"],
            },
            {
                "source": "lma-ra",
                "id": "lma-ra--lma-ra:ra-active",
                "nom": "Rhône-Alpes Active",
                "date_maj": "2025-06-02",
                "description": None,  # "Ok." is under data·inclusion's 5 characters
                "siret": None,
                "commune": None,
                "code_insee": None,
                "adresse": None,
                "telephone": None,
                "courriel": None,
                "site_web": None,
                "reseaux_porteurs": ["france-active"],
            },
        ],
        "services": [
            {
                "source": "lma-ra",
                "structure_id": "lma-ra--lma-ra:region",
                "id": "lma-ra--lma-ra:offre-1",
                "nom": "Premier emploi associatif",
                "description": "Un conseil puis une formation collective pour créer et "
                               "pérenniser un premier emploi.",
                "lien_source": "https://www.region.example.org/pe",
                "date_maj": "2025-06-02",
                "type": "formation",
                "thematiques": ["creer-une-entreprise--developper-son-entreprise",
                                "se-former--monter-son-dossier-de-formation"],
                "frais": "gratuit",
                "frais_precisions": "L'offre est gratuite ou prise en charge si l'association "
                                    "remplit certaines conditions (adhésion, taille, "
                                    "territoire…).",
                "publics": None,
                "publics_precisions": "Associations (effectif salarié : 1 ou 2 salariés, 3 à 5 "
                                      "salariés ; secteurs : Sport, Culture).",
                "modes_accueil": ["en-presentiel", "a-distance"],
                "zone_eligibilite": [*ARA_DEPARTEMENTS, "69123"],
            },
            {
                "source": "lma-ra",
                "structure_id": "lma-ra--lma-ra:ra-active",
                "id": "lma-ra--lma-ra:offre-2",
                "nom": "Garanties France Active",
                "description": "Garanties France Active. Offre de Rhône-Alpes Active. Thèmes : "
                               "Modèle économique, Gouvernance et projet associatif. Étapes : "
                               "Appui / accompagnement.",
                "lien_source": None,
                "date_maj": "2025-06-02",
                "type": "atelier",
                "thematiques": ["creer-une-entreprise--developper-son-entreprise"],
                "frais": "gratuit",
                "frais_precisions": None,
                "publics": None,
                "publics_precisions": "Associations.",
                "modes_accueil": ["en-presentiel"],
                "zone_eligibilite": ["france"],
            },
        ],
    }
    assert_valid(document)


def test_network_export_keeps_contacts_and_restricted_stays_out(tmp_path: Path) -> None:
    document = export(make_bundle(), tmp_path, audience="network")
    assert_valid(document)
    region = document["structures"][0]
    assert (region["telephone"], region["courriel"]) == (
        "+33426734000", "vie-associative@region.example.org")
    assert [r["id"] for r in document["services"]] == [
        "lma-ra--lma-ra:offre-1", "lma-ra--lma-ra:offre-2"]


def test_recipient_export_has_the_restricted_offer(tmp_path: Path) -> None:
    document = export(make_bundle(), tmp_path, audience="recipient:lma-ra")
    assert_valid(document)
    assert [r["id"] for r in document["structures"]] == [
        "lma-ra--lma-ra:region", "lma-ra--lma-ra:ra-active", "lma-ra--lma-ra:cachee"]
    assert [(r["id"], r["zone_eligibilite"]) for r in document["services"]] == [
        ("lma-ra--lma-ra:offre-1", [*ARA_DEPARTEMENTS, "69123"]),
        ("lma-ra--lma-ra:offre-2", ["france"]),
        ("lma-ra--lma-ra:offre-4", ["200046977"]),
        ("lma-ra--lma-ra:offre-6", None),
    ]


def test_restricted_records_never_reach_a_public_export(tmp_path: Path) -> None:
    bundle = make_bundle()
    hidden = {r.id for _, r in bundle.records() if r.visibility != "public"}
    assert hidden == {"lma-ra:cachee", "lma-ra:offre-4"}
    raw = tmp_path / "di-public.json"
    document = export(bundle, tmp_path)
    exported = {pmae_id(r) for r in document["structures"] + document["services"]}
    assert exported == {"lma-ra:region", "lma-ra:ra-active", "lma-ra:offre-1", "lma-ra:offre-2"}
    text = raw.read_text(encoding="utf-8")
    assert "offre-4" not in text and "cachee" not in text and "Offre réservée" not in text


def test_source_option_sets_source_and_ids(tmp_path: Path) -> None:
    document = export(make_bundle(), tmp_path, source="pmae-aura")
    assert_valid(document)
    assert [r["id"] for r in document["services"]] == [
        "pmae-aura--lma-ra:offre-1", "pmae-aura--lma-ra:offre-2"]
    assert {r["source"] for r in document["structures"] + document["services"]} == {"pmae-aura"}
    assert document["services"][0]["structure_id"] == "pmae-aura--lma-ra:region"


def test_bad_source_option_is_refused() -> None:
    with pytest.raises(ValueError, match="must be lower-case letters, digits and dashes"):
        to_datainclusion(make_bundle(), source="PMAE RA")


@pytest.mark.parametrize("when", [dt.datetime(1999, 12, 31, 12, tzinfo=PARIS),
                                  dt.datetime.now(PARIS) + dt.timedelta(days=2)])
def test_dates_data_inclusion_refuses_are_refused(when: dt.datetime) -> None:
    with pytest.raises(ValueError, match="between 2000-01-01 and today"):
        to_datainclusion(make_bundle(generated_at=when))


def test_names_and_descriptions_follow_data_inclusion_lengths() -> None:
    long_title = "Accompagnement " + "très " * 60 + "complet."
    bundle = make_bundle(offers=(
        Offer(id="lma-ra:long", actor="lma-ra:region", title=long_title,
              description="x" * 12_000),
        Offer(id="lma-ra:etc", actor="lma-ra:region", title="Paie, contrats, etc."),
    ))
    long, etc = to_datainclusion(filter_bundle(bundle, "public"))["services"]
    assert len(long["nom"]) <= 150 and long["nom"].endswith("très…")
    assert len(long["description"]) == 10_000 and long["description"].endswith("…")
    assert etc["nom"] == "Paie, contrats, etc."
    for record in (long, etc):
        v1.Service.model_validate(record, context={"ignore_warnings": False})


# -- territories ----------------------------------------------------------------------------


def test_regions_become_their_departements() -> None:
    territories = core_territories()
    assert zone_eligibilite(["reg:84"], territories) == ARA_DEPARTEMENTS
    assert zone_eligibilite(["reg:82", "reg:83"], territories) == [
        "01", "07", "26", "38", "42", "69", "73", "74", "03", "15", "43", "63"]
    assert zone_eligibilite(["dep:2A", "com:2B033", "epci:200046977"], territories) == [
        "2A", "2B033", "200046977"]
    assert zone_eligibilite(["dep:69", "fr"], territories) == ["france"]
    assert zone_eligibilite(["bv:69123"], territories) is None
    assert zone_eligibilite([], territories) is None


# -- the embedded sample --------------------------------------------------------------------


@pytest.mark.parametrize("audience", ["public", "network", "all"])
def test_sample_exports_valid_records(tmp_path: Path, audience: str) -> None:
    sample = load_sample()
    document = export(sample, tmp_path, audience=audience)
    assert_valid(document)
    visible = filter_bundle(sample, audience)
    assert [pmae_id(r) for r in document["structures"]] == [a.id for a in visible.actors]
    current = [o.id for o in visible.offers
               if o.valid_until is None or o.valid_until >= sample.generated_at.date()]
    assert [pmae_id(r) for r in document["services"]] == current
    if audience == "public":
        hidden = {o.id for o in sample.offers if o.visibility != "public"}
        assert hidden and not hidden & {pmae_id(r) for r in document["services"]}


# -- the mapping tables -----------------------------------------------------------------------


def codes(enum: Any) -> set[str]:
    return {member.value for member in enum}


def test_mapping_tables_cover_pmae_vocabularies_exactly() -> None:
    vocabularies = core_vocabularies()
    assert set(mapping.THEMES) == set(vocabularies["themes"].codes())
    assert set(mapping.STAGE_TYPES) == set(vocabularies["stages"].codes())
    assert vocabularies["stages"].codes() == mapping.STAGE_ORDER
    assert set(mapping.OFFER_FORMATS) == set(vocabularies["offer_formats"].codes())
    assert set(mapping.DELIVERY_MODES) == set(vocabularies["delivery_modes"].codes())
    assert set(mapping.COSTS) == set(vocabularies["costs"].codes())
    assert set(mapping.COSTS) >= mapping.COSTS_WITH_DETAILS
    assert set(mapping.ACTOR_TYPES) == set(vocabularies["actor_types"].codes())
    assert set(mapping.LABELS) == set(vocabularies["actor_labels"].codes())
    assert {t for t, _ in mapping.TERRITORIAL_ACTOR_TYPES} <= set(mapping.ACTOR_TYPES)
    assert {level for _, level in mapping.TERRITORIAL_ACTOR_TYPES} <= {"reg", "dep", "epci", "com"}


def test_mapping_tables_use_only_data_inclusion_codes() -> None:
    assert {c for cs in mapping.THEMES.values() for c in cs} <= codes(v1.Thematique)
    assert set(mapping.STAGE_TYPES.values()) | set(mapping.COLLECTIVE_TYPES.values()) <= codes(
        v1.TypeService)
    assert set(mapping.COLLECTIVE_TYPES) <= codes(v1.TypeService)
    assert {c for cs in mapping.DELIVERY_MODES.values() for c in cs} <= codes(v1.ModeAccueil)
    assert set(mapping.COSTS.values()) <= codes(v1.Frais)
    assert set(mapping.PUBLICS) <= codes(v1.Public)
    networks = ({c for cs in mapping.ACTOR_TYPES.values() for c in cs}
                | {c for cs in mapping.LABELS.values() for c in cs}
                | set(mapping.TERRITORIAL_ACTOR_TYPES.values()))
    assert networks <= codes(v1.ReseauPorteur)


def test_readme_theme_table_is_the_code_table() -> None:
    rows = re.findall(r"^\| `([a-z_]+)` \| ([^|]+) \|", README.read_text(encoding="utf-8"),
                      flags=re.MULTILINE)
    themes = {code: tuple(re.findall(r"`([a-z-]+)`", cell)) for code, cell in rows
              if code in mapping.THEMES}
    assert themes == dict(mapping.THEMES)


# -- the installed distribution ---------------------------------------------------------------


def test_installed_plugin_registers_the_exporter_and_the_importer() -> None:
    manager = make_plugin_manager(load=["pmae-datainclusion"], strict=True)
    info = manager.infos["pmae-datainclusion"]
    assert (info.distribution, info.version, info.status) == (
        "pmae-datainclusion", "0.1.0", "loaded")
    assert info.items == (("exporter", "datainclusion"), ("importer", "datainclusion"))
    assert [r.qualified_name for r in manager.exporters()
            if r.name == "datainclusion"] == ["pmae-datainclusion:datainclusion"]
    assert manager.exporter("datainclusion").suffix == ".json"


@pytest.mark.filterwarnings("ignore::pmae.plugins.PluginWarning")  # other installed plugins
def test_default_manager_lists_the_exporter() -> None:
    names = {r.name for r in make_plugin_manager().exporters()}
    assert "datainclusion" in names
