"""Tests of the controlled vocabularies shipped in pmae.vocab."""

from __future__ import annotations

import importlib.resources
import itertools
import json
from pathlib import Path
from typing import Any

import attrs
import pytest
from jsonschema import Draft202012Validator, FormatChecker

from pmae.vocab import (
    NAMESPACED_CODE,
    PMAE_SIZE_BANDS,
    Term,
    Vocabulary,
    VocabularyError,
    core_vocabularies,
    load_vocabulary,
    size_band_for,
)

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "vocabulary.schema.json"

EXPECTED: dict[str, tuple[bool, bool, str]] = {
    # id: (open, ordered, codes)
    "stages": (False, True, "accueil information sensibilisation conseil formation appui suivi"),
    "actor_types": (
        True,
        False,
        "coordination_associative reseau_sectoriel dla_departemental dla_regional "
        "maison_des_associations point_appui financeur_solidaire cress organisation_employeurs "
        "opco groupement_employeurs collectivite service_etat centre_ressources prestataire autre",
    ),
    "themes": (
        True,
        False,
        "projet_emploi recrutement contrat_travail convention_collective paie_declarations "
        "formation_pro gepp organisation_management "
        "sante_prevoyance qvct dialogue_social fin_contrat "
        "aides_emploi modele_economique mutualisation "
        "gouvernance_employeur gouvernance_projet "
        "partenariats_territoire communication numerique benevolat",
    ),
    "size_bands": (False, True, "NN 00 01 02 03 11 12 21 22 31 32 41 42 51 52 53"),
    "sectors": (
        True,
        False,
        "sport culture loisirs_vie_sociale education_populaire_jeunesse enseignement_formation "
        "sante action_sociale_medico_sociale aide_domicile insertion_emploi environnement "
        "developpement_local_tourisme_social defense_droits_causes solidarite_internationale autre",
    ),
    "meeting_kinds": (True, False, "cofil rencontre_regionale atelier autre"),
    "meeting_statuses": (False, False, "prevue tenue annulee"),
    "visibility": (False, True, "public network restricted private"),
    "offer_formats": (False, False, "individuel collectif"),
    "delivery_modes": (False, False, "sur_site a_distance mixte"),
    "costs": (False, False, "gratuit payant sous_conditions"),
    "need_origins": (False, False, "diagnostic declare rencontre"),
    "need_statuses": (False, True, "ouvert oriente en_cours satisfait clos"),
    "referral_outcomes": (False, False, "propose accepte realise refuse sans_suite"),
    "production_kinds": (True, False, "fiche_thematique outil guide compte_rendu autre"),
    "production_statuses": (False, True, "prevue en_cours publiee"),
    "response_statuses": (False, True, "envisagee decidee en_cours realisee abandonnee"),
    "resource_kinds": (True, False, "guide outil fiche site formation modele_document autre"),
    "actor_labels": (
        True,
        False,
        "guid_asso_accueil guid_asso_information guid_asso_orientation porteur_dla "
        "point_appui_savara pava france_active autre",
    ),
}


def _shipped_files() -> list[tuple[str, dict[str, Any]]]:
    data = importlib.resources.files("pmae.vocab").joinpath("data")
    return sorted(
        (entry.name, json.loads(entry.read_text(encoding="utf-8")))
        for entry in data.iterdir()
        if entry.name.endswith(".json")
    )


def test_exactly_the_expected_vocabularies_are_shipped() -> None:
    assert sorted(core_vocabularies()) == sorted(EXPECTED)


@pytest.mark.parametrize("vocab_id", sorted(EXPECTED))
def test_codes_and_flags(vocab_id: str) -> None:
    open_, ordered, codes = EXPECTED[vocab_id]
    vocab = load_vocabulary(vocab_id)
    assert vocab.id == vocab_id
    assert vocab.open is open_
    assert vocab.ordered is ordered
    assert vocab.codes() == tuple(codes.split())
    assert vocab.title_fr and vocab.title_en and vocab.description_fr and vocab.description_en


@pytest.mark.parametrize("vocab_id", sorted(EXPECTED))
def test_every_term_has_french_and_english_labels(vocab_id: str) -> None:
    for term in load_vocabulary(vocab_id).terms:
        assert term.label_fr.strip(), term.code
        assert term.label_en.strip(), term.code
        assert term.description_fr.strip(), term.code
        assert term.description_en.strip(), term.code


def test_core_vocabularies_is_cached_and_read_only() -> None:
    vocabs = core_vocabularies()
    assert core_vocabularies() is vocabs
    with pytest.raises(TypeError):
        vocabs["stages"] = vocabs["themes"]  # type: ignore[index]


def test_load_equals_core() -> None:
    assert load_vocabulary("stages") == core_vocabularies()["stages"]


def test_unknown_vocabulary() -> None:
    with pytest.raises(VocabularyError, match="unknown vocabulary 'nope'"):
        load_vocabulary("nope")
    with pytest.raises(VocabularyError):
        load_vocabulary("../stages")


def test_schema_is_valid_draft_2020_12() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == "https://schemas.pmae.fr/v1/vocabulary.schema.json"


@pytest.mark.parametrize(("name", "document"), _shipped_files(), ids=lambda v: str(v)[:20])
def test_every_shipped_file_validates_against_the_schema(name: str, document: Any) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == []
    assert name == f"{document['id']}.json"


def test_schema_rejects_a_term_without_english_label() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    document = {
        "id": "x",
        "title_fr": "X",
        "title_en": "X",
        "open": True,
        "ordered": False,
        "terms": [{"code": "a", "label_fr": "A"}],
    }
    assert [e.message for e in validator.iter_errors(document)] == [
        "'label_en' is a required property"
    ]


def test_theme_groups() -> None:
    themes = core_vocabularies()["themes"]
    assert [(g.code, g.label_fr) for g in themes.groups] == [
        ("A", "Être employeur"),
        ("B", "Compétences"),
        ("C", "Qualité de l'emploi"),
        ("D", "Financer l'emploi"),
        ("E", "Gouvernance"),
        ("Z", "Hors fonction employeur"),
    ]
    by_group: dict[str | None, list[str]] = {}
    for term in themes.terms:
        by_group.setdefault(term.group, []).append(term.code)
    assert by_group == {
        "A": [
            "projet_emploi",
            "recrutement",
            "contrat_travail",
            "convention_collective",
            "paie_declarations",
        ],
        "B": ["formation_pro", "gepp", "organisation_management"],
        "C": ["sante_prevoyance", "qvct", "dialogue_social", "fin_contrat"],
        "D": ["aides_emploi", "modele_economique", "mutualisation"],
        "E": ["gouvernance_employeur", "gouvernance_projet"],
        "Z": ["partenariats_territoire", "communication", "numerique", "benevolat"],
    }


def test_stages_are_ordered() -> None:
    stages = core_vocabularies()["stages"]
    assert [stages.rank(c) for c in stages.codes()] == list(range(7))
    assert stages.rank("accueil") < stages.rank("conseil") < stages.rank("suivi")
    with pytest.raises(ValueError, match="unknown code 'orientation'"):
        stages.rank("orientation")


def test_rank_of_unordered_vocabulary() -> None:
    with pytest.raises(ValueError, match="'themes' is not ordered"):
        core_vocabularies()["themes"].rank("gepp")


def test_visibility_labels_from_most_open() -> None:
    vis = core_vocabularies()["visibility"]
    assert [vis.label(c) for c in vis.codes()] == ["Public", "Réseau", "Restreint", "Privé"]
    assert vis.rank("public") < vis.rank("private")


def test_contains_get_label() -> None:
    stages = core_vocabularies()["stages"]
    assert "accueil" in stages
    assert "orientation" not in stages
    assert 3 not in stages
    term = stages.get("accueil")
    assert term is not None and term.label_en == "Welcome"
    assert stages.get("nope") is None
    assert stages.label("conseil") == "Conseil"
    assert stages.label("conseil", "en") == "Advice"
    assert stages.label("occitanie:x") == "occitanie:x"
    with pytest.raises(ValueError):
        stages.label("conseil", "de")


def test_closed_vocabulary_cannot_be_extended() -> None:
    term = Term(code="occitanie:orientation", label_fr="Orientation", label_en="Referral")
    with pytest.raises(VocabularyError, match="'stages' is closed"):
        core_vocabularies()["stages"].extended([term], namespace="occitanie")


def test_open_vocabulary_extended_with_namespaced_codes() -> None:
    sectors = core_vocabularies()["sectors"]
    term = Term(code="occitanie:tiers_lieux", label_fr="Tiers-lieux", label_en="Third places")
    extended = sectors.extended([term], namespace="occitanie")
    assert extended.codes() == (*sectors.codes(), "occitanie:tiers_lieux")
    assert "occitanie:tiers_lieux" in extended
    assert extended.label("occitanie:tiers_lieux", "en") == "Third places"
    assert "occitanie:tiers_lieux" not in sectors  # the original is unchanged
    assert core_vocabularies()["sectors"] == sectors


@pytest.mark.parametrize(
    ("code", "namespace"),
    [
        ("tiers_lieux", "occitanie"),  # not namespaced
        ("bretagne:tiers_lieux", "occitanie"),  # another namespace
        ("Occitanie:tiers_lieux", "Occitanie"),  # not lowercase
        ("occitanie:tiers-lieux", "occitanie"),  # '-' not allowed in the local part
        ("occitanie:", "occitanie"),
    ],
)
def test_open_vocabulary_rejects_bad_codes(code: str, namespace: str) -> None:
    term = Term(code=code, label_fr="X", label_en="X")
    with pytest.raises(VocabularyError, match="must be written"):
        core_vocabularies()["sectors"].extended([term], namespace=namespace)


def test_open_vocabulary_rejects_duplicates() -> None:
    sectors = core_vocabularies()["sectors"]
    term = Term(code="occitanie:tiers_lieux", label_fr="Tiers-lieux", label_en="Third places")
    with pytest.raises(VocabularyError, match="already in vocabulary 'sectors'"):
        sectors.extended([term, term], namespace="occitanie")
    once = sectors.extended([term], namespace="occitanie")
    with pytest.raises(VocabularyError, match="already"):
        once.extended([term], namespace="occitanie")


def test_namespaced_code_pattern() -> None:
    assert NAMESPACED_CODE.match("occitanie:tiers_lieux")
    assert NAMESPACED_CODE.match("lma-ra:x1")
    assert not NAMESPACED_CODE.match("tiers_lieux")
    assert not NAMESPACED_CODE.match("1x:y")


def test_vocabulary_equality_ignores_private_index() -> None:
    a = Vocabulary(id="x", title_fr="X", title_en="X", open=True, ordered=False, terms=())
    assert attrs.evolve(a) == a
    assert "_by_code" not in repr(a)


@pytest.mark.parametrize(
    ("headcount", "band"),
    [
        (0, "00"),
        (1, "01"),
        (2, "01"),
        (3, "02"),
        (5, "02"),
        (6, "03"),
        (9, "03"),
        (10, "11"),
        (19, "11"),
        (20, "12"),
        (249, "31"),
        (250, "32"),
        (1999, "42"),
        (10_000, "53"),
        (1_000_000, "53"),
    ],
)
def test_size_band_for(headcount: int, band: str) -> None:
    assert size_band_for(headcount) == band


def test_size_band_for_negative() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        size_band_for(-1)


def test_size_band_bounds() -> None:
    bands = core_vocabularies()["size_bands"]
    nn = bands.get("NN")
    assert nn is not None and (nn.minimum, nn.maximum) == (None, None)
    bounded = [(t.code, t.minimum, t.maximum) for t in bands.terms[1:]]
    assert bounded[:5] == [("00", 0, 0), ("01", 1, 2), ("02", 3, 5), ("03", 6, 9), ("11", 10, 19)]
    assert bounded[-1] == ("53", 10_000, None)
    # Contiguous: each band starts right after the previous one ends.
    for (_, _, high), (_, low, _) in itertools.pairwise(bounded):
        assert high is not None and low == high + 1


def test_pmae_size_bands() -> None:
    assert PMAE_SIZE_BANDS == ("01", "02", "03")
    assert {size_band_for(n) for n in range(1, 10)} == set(PMAE_SIZE_BANDS)
