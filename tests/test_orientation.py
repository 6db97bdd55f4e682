"""Orientation: golden rankings on a hand-made bundle, the traps, the sample's gap, properties,
and the ``pmae orient`` command."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import pmae.sessions
from pmae.analysis.offer_index import OfferIndex, OrientationError, Query, orient_to_by_tool
from pmae.analysis.orientation import (
    Reason,
    next_referral_prefix,
    orient,
    pathway,
    record_referrals,
    referrals_for,
)
from pmae.cli.orient import orient as orient_command
from pmae.default_plugins.reference_diagnostics import reference_questionnaire
from pmae.io.bundles import write_bundle
from pmae.model import Actor, Association, Bundle, Diagnosis, Need, Offer, Source
from pmae.plugins import hookimpl
from pmae.plugins.items import DiagnosticTool, VocabularyExtension
from pmae.render.orientation import (
    render_pathway,
    render_reason,
    render_suggestions,
    suggestion_to_json,
)
from pmae.sample import load_sample
from pmae.sessions import Session, make_session
from pmae.vocab import Term

TODAY = dt.date(2025, 9, 1)
LYON, MARSEILLE = "com:69123", "com:13055"
BANDS = ("01", "02", "03")


def _offer(number: int, actor: str, stages: tuple[str, ...], territory: str, *,
           cost: str = "gratuit", **fields: object) -> Offer:
    return Offer(id=f"test:offre-{number:02d}", actor=f"test:{actor}",
                 title=f"Offre {number:02d}", themes=("recrutement",), stages=stages,
                 territories=(territory,), cost=cost, **fields)  # type: ignore[arg-type]


ACTORS = (
    Actor(id="test:mda", name="Maison des associations de Lyon",
          actor_type="maison_des_associations", territories=(LYON,)),
    Actor(id="test:dla69", name="DLA du Rhône", actor_type="dla_departemental",
          territories=("dep:69",)),
    Actor(id="test:lma", name="Le Mouvement associatif", actor_type="coordination_associative",
          territories=("reg:82",)),
    Actor(id="test:cress", name="CRESS", actor_type="cress", territories=("reg:84",)),
    Actor(id="test:fin", name="Active", actor_type="financeur_solidaire",
          territories=("reg:84",)),
    Actor(id="test:dla13", name="DLA des Bouches-du-Rhône", actor_type="dla_departemental",
          territories=("dep:13",)),
    Actor(id="test:big", name="Grand réseau", actor_type="reseau_sectoriel",
          territories=("dep:69",)),
)
OFFERS = (
    _offer(1, "mda", ("accueil", "information"), LYON),
    _offer(2, "dla69", ("conseil",), "dep:69", size_bands=BANDS),
    _offer(3, "lma", ("information",), "reg:82"),
    _offer(4, "cress", ("conseil",), "reg:84", cost="payant"),
    _offer(5, "fin", ("appui",), "reg:84", cost="sous_conditions"),
    _offer(6, "dla13", ("conseil",), "dep:13"),  # outside Lyon
    _offer(7, "dla69", ("conseil",), "dep:69", valid_until=dt.date(2024, 12, 31)),  # expired
    _offer(8, "cress", ("formation",), "reg:84", size_bands=("11",)),  # 10-19 employees only
    _offer(9, "dla69", ("conseil",), "dep:69", sectors=("sport",)),
    *(_offer(n, "big", ("conseil",), "dep:69") for n in (10, 11, 12, 13)),
    _offer(14, "dla69", ("appui",), "dep:69", valid_from=dt.date(2026, 1, 1)),  # not yet
)
BUNDLE = Bundle(
    source=Source(slug="test", name="Test"),
    generated_at=dt.datetime(2025, 9, 1, tzinfo=dt.UTC),
    actors=ACTORS, offers=OFFERS,
    associations=(
        Association(id="test:a1", name="Culture à Lyon", sector="culture", size_band="01",
                    commune=LYON, recipients=("test",)),
        Association(id="test:a13", name="Marseille", size_band="01", commune=MARSEILLE,
                    recipients=("test",)),
    ),
    needs=(Need(id="test:besoin-1", theme="recrutement", origin="declare",
                date=dt.date(2025, 6, 1), association="test:a1", stage="conseil",
                recipients=("test",)),),
)
CONSEIL = Query(commune=LYON, theme="recrutement", stage="conseil", size_band="01",
                sector="culture")


def ids(suggestions: tuple[object, ...]) -> list[str]:
    return [s.offer.id for s in suggestions]  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def index() -> OfferIndex:
    return OfferIndex.build(BUNDLE, today=TODAY)


# --- golden cases -----------------------------------------------------------------------------


def test_golden_wished_stage(index: OfferIndex) -> None:
    found = orient(index, CONSEIL)
    assert ids(found) == ["test:offre-02", "test:offre-10", "test:offre-11", "test:offre-04",
                          "test:offre-01"]
    assert [s.score for s in found] == [2031.0, 2031.0, 2031.0, 2010.0, 51.0]
    assert render_suggestions(CONSEIL, found) == """\
Orientation : Lyon (com:69123) · thème Recrutement · étape souhaitée Conseil
 1. Offre 02 — DLA du Rhône (DLA départemental) [test:offre-02]
    - territoire : Rhône (dep:69), son département
    - thème : Recrutement
    - étape : Conseil, l'étape souhaitée
    - éligibilité : taille 1 ou 2 salariés
    - coût : Gratuit
 2. Offre 10 — Grand réseau (Réseau ou fédération sectorielle) [test:offre-10]
    - territoire : Rhône (dep:69), son département
    - thème : Recrutement
    - étape : Conseil, l'étape souhaitée
    - coût : Gratuit
 3. Offre 11 — Grand réseau (Réseau ou fédération sectorielle) [test:offre-11]
    - territoire : Rhône (dep:69), son département
    - thème : Recrutement
    - étape : Conseil, l'étape souhaitée
    - coût : Gratuit
 4. Offre 04 — CRESS (CRESS) [test:offre-04]
    - territoire : Auvergne-Rhône-Alpes (reg:84), sa région
    - thème : Recrutement
    - étape : Conseil, l'étape souhaitée
    - coût : Payant
 5. Offre 01 — Maison des associations de Lyon (Maison des associations) [test:offre-01]
    - territoire : Lyon (com:69123), la commune même
    - thème : Recrutement
    - étape : Information, plus éloignée de l'étape « Conseil » (l'étape souhaitée)
    - coût : Gratuit
"""


def test_golden_reasons_in_english(index: OfferIndex) -> None:
    first = orient(index, CONSEIL, limit=1)[0]
    assert [render_reason(r, lang="en") for r in first.reasons] == [
        "territory: Rhône (dep:69), its département", "theme: Recruitment",
        "stage: Advice, the wished stage", "eligibility: size 1 or 2 employees", "cost: Free"]
    assert first.reasons[0] == Reason(code="territoire",
                                      params={"niveau": "dep", "territoire": "dep:69"})


def test_first_contact_goes_to_accueil_nearest_first(index: OfferIndex) -> None:
    association = index.association("test:a1")
    assert index.query_for(association) == Query(
        commune=LYON, size_band="01", sector="culture", first_contact=True)
    found = orient(index, association, limit=3)
    assert ids(found) == ["test:offre-01", "test:offre-03", "test:offre-02"]
    assert [render_reason(r) for r in found[1].reasons] == [
        "territoire : Rhône-Alpes (reg:82), son ancienne région",
        "étape : Information, pour un premier contact", "coût : Gratuit"]


def test_alert_goes_to_appui_and_the_tools_actor_types() -> None:
    diagnosis = Diagnosis(id="test:diag-1", association="test:a1", tool="vigilance-economique",
                          tool_version="1.0.0", date=dt.date(2025, 5, 1), alerts=("q1",))
    bundle = attrs.evolve(BUNDLE, diagnoses=(diagnosis,))
    index = OfferIndex.build(bundle, today=TODAY)
    query = index.query_for(index.association("test:a1"))
    assert query.alert and query.actor_types == ("financeur_solidaire", "dla_departemental")
    first = orient(index, index.association("test:a1"))[0]
    assert first.offer.id == "test:offre-05"
    assert [render_reason(r) for r in first.reasons] == [
        "territoire : Auvergne-Rhône-Alpes (reg:84), sa région",
        "étape : Appui / accompagnement, après une alerte du diagnostic",
        "acteur : Financeur solidaire, conseillé après une alerte",
        "coût : Gratuit sous conditions"]
    # A newer diagnosis with the same tool and no alert ends the alert.
    calm = attrs.evolve(diagnosis, id="test:diag-2", date=dt.date(2025, 8, 1), alerts=())
    later = OfferIndex.build(attrs.evolve(bundle, diagnoses=(diagnosis, calm)), today=TODAY)
    assert not later.query_for(later.association("test:a1")).alert


def test_need_and_pathway(index: OfferIndex) -> None:
    need = index.need("test:besoin-1")
    assert ids(orient(index, need, limit=2)) == ["test:offre-02", "test:offre-10"]
    steps = pathway(index, need)
    assert [(stage, ids(found)) for stage, found in steps] == [
        ("accueil", ["test:offre-01"]), ("information", ["test:offre-01", "test:offre-03"]),
        ("sensibilisation", []), ("conseil", ["test:offre-02", "test:offre-10",
                                              "test:offre-04"]),
        ("formation", []), ("appui", ["test:offre-05"]), ("suivi", [])]
    text = render_pathway(index.query_for(need), steps)
    assert text.splitlines()[:3] == [
        "Parcours : Lyon (com:69123) · thème Recrutement", "Accueil",
        "    1. Offre 01 — Maison des associations de Lyon (Maison des associations) "
        "[test:offre-01]"]
    assert "Sensibilisation\n    aucune offre sur ce territoire\n" in text


# --- the traps --------------------------------------------------------------------------------


def test_a_region_wide_offer_reaches_its_communes_only(index: OfferIndex) -> None:
    lyon = {o.id for o in index.candidates(Query(commune=LYON, theme="recrutement"))}
    marseille = {o.id for o in index.candidates(Query(commune=MARSEILLE,
                                                      theme="recrutement"))}
    assert "test:offre-04" in lyon and "test:offre-04" not in marseille
    assert marseille == {"test:offre-06"}
    assert ids(orient(index, index.association("test:a13"))) == ["test:offre-06"]


def test_expired_and_outside_offers_never_appear(index: OfferIndex) -> None:
    everything = orient(index, Query(commune=LYON), limit=100, per_actor=100)
    assert sorted(ids(everything)) == [f"test:offre-{n:02d}" for n in
                                       (1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13)]
    ineligible = orient(index, CONSEIL, limit=100, per_actor=100)
    assert "test:offre-08" not in ids(ineligible) and "test:offre-09" not in ids(ineligible)
    with pytest.raises(OrientationError):
        orient(index, CONSEIL, today=dt.date(2024, 1, 1))
    assert "test:offre-07" in ids(orient(BUNDLE, CONSEIL, today=dt.date(2024, 6, 1), limit=20,
                                         per_actor=20))


def test_diversity_cap(index: OfferIndex) -> None:
    for per_actor in (1, 2, 3):
        found = orient(index, CONSEIL, limit=10, per_actor=per_actor)
        assert sum(s.offer.actor == "test:big" for s in found) == per_actor
    assert [s.rank for s in orient(index, CONSEIL, per_actor=1)] == [1, 2, 3, 4, 5]


def test_bad_targets(index: OfferIndex) -> None:
    with pytest.raises(OrientationError, match="no association 'test:zz'"):
        index.association("test:zz")
    with pytest.raises(OrientationError, match="has no commune"):
        orient(index, Association(id="test:x", name="X"))
    with pytest.raises(ValueError, match="not a well-formed 'com' code"):
        orient(index, Query(commune="com:6912"))


# --- the sample: its deliberate gap -----------------------------------------------------------


def test_sample_ardeche_dialogue_social_has_no_conseil_offer() -> None:
    sample = load_sample()
    index = OfferIndex.build(sample, today=TODAY)
    need = Need(id="pmae-ra:x", theme="dialogue_social", origin="declare", date=TODAY,
                association="pmae-ra:asso-028", stage="conseil")
    found = orient(index, need)
    assert ids(found) == ["pmae-ra:offre-055", "pmae-ra:offre-072"]
    assert not any("conseil" in s.offer.stages for s in found)
    text = render_suggestions(index.query_for(need), found)
    assert text.endswith("Aucune offre à l'étape souhaitée (Conseil) sur ce territoire pour ce "
                         "thème : un manque de l'offre territoriale.\n")
    assert dict(pathway(index, need))["conseil"] == ()
    # In the Rhône the DLA has one.
    lyon = attrs.evolve(need, association="pmae-ra:asso-004")
    assert orient(index, lyon)[0].offer.id == "pmae-ra:offre-018"
    # The expired offer of the Isère département is never proposed.
    isere = Query(commune="com:38185", theme="aides_emploi", stage="appui")
    assert "pmae-ra:offre-065" not in ids(orient(index, isere, limit=50, per_actor=50))


# --- referrals --------------------------------------------------------------------------------


def test_referrals_are_recorded(index: OfferIndex) -> None:
    need = index.need("test:besoin-1")
    found = orient(index, need, limit=2)
    prefix = next_referral_prefix(BUNDLE)
    assert prefix == "test:orientation-1"
    referrals = referrals_for(found, need=need, by="test:dla69", date=TODAY, id_prefix=prefix)
    assert [(r.id, r.offer, r.outcome, r.recipients) for r in referrals] == [
        ("test:orientation-1-1", "test:offre-02", "propose", ("test",)),
        ("test:orientation-1-2", "test:offre-10", "propose", ("test",))]
    recorded = record_referrals(BUNDLE, referrals)
    assert recorded.referrals == referrals and recorded.needs[0].status == "oriente"
    assert next_referral_prefix(recorded) == "test:orientation-2"
    with pytest.raises(ValueError, match="already used"):
        record_referrals(recorded, referrals)


# --- properties -------------------------------------------------------------------------------

OUTSIDE_LYON = ("dep:13", "dep:38", "reg:93", "reg:83", MARSEILLE, "com:69266")
STAGES = ("accueil", "information", "sensibilisation", "conseil", "formation", "appui", "suivi")
outside_offers = st.builds(
    Offer, id=st.from_regex(r"test:zz-[a-z0-9]{1,6}", fullmatch=True),
    actor=st.sampled_from([a.id for a in ACTORS]), title=st.just("Ailleurs"),
    themes=st.lists(st.sampled_from(["recrutement", "qvct"]), min_size=1, max_size=2,
                    unique=True).map(tuple),
    stages=st.lists(st.sampled_from(STAGES), min_size=1, max_size=3, unique=True).map(tuple),
    territories=st.lists(st.sampled_from(OUTSIDE_LYON), min_size=1, max_size=3,
                         unique=True).map(tuple),
    cost=st.sampled_from([None, "gratuit", "payant"]))
queries = st.builds(Query, commune=st.just(LYON),
                    theme=st.sampled_from([None, "recrutement"]),
                    stage=st.sampled_from([None, *STAGES]),
                    size_band=st.sampled_from([None, "01", "11"]),
                    first_contact=st.booleans(), alert=st.booleans())


@given(extra=st.lists(outside_offers, max_size=5), query=queries)
def test_an_offer_outside_the_territory_changes_nothing(extra: list[Offer],
                                                        query: Query) -> None:
    before = orient(OfferIndex.build(BUNDLE, today=TODAY), query, limit=8)
    bigger = attrs.evolve(BUNDLE, offers=(*extra, *BUNDLE.offers))
    assert orient(OfferIndex.build(bigger, today=TODAY), query, limit=8) == before


@given(order=st.permutations(OFFERS), query=queries, per_actor=st.integers(1, 3))
def test_rankings_are_deterministic(order: list[Offer], query: Query, per_actor: int) -> None:
    expected = orient(OfferIndex.build(BUNDLE, today=TODAY), query, per_actor=per_actor)
    shuffled = OfferIndex.build(attrs.evolve(BUNDLE, offers=tuple(order)), today=TODAY)
    found = orient(shuffled, query, per_actor=per_actor)
    assert found == expected == orient(shuffled, query, per_actor=per_actor)
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)


# --- the command ------------------------------------------------------------------------------


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(orient_command, list(args))
    return result.exit_code, result.stdout


@pytest.fixture()
def bundle_file(tmp_path: Path) -> str:
    path = tmp_path / "bundle.json"
    write_bundle(BUNDLE, path)
    return str(path)


def test_cli_text_and_json(bundle_file: str) -> None:
    code, out = _run(bundle_file, "--theme", "recrutement", "--commune", LYON, "--stage",
                     "conseil", "--limit", "2", "--today", "2025-09-01", "--lang", "fr")
    assert code == 0
    assert out.splitlines()[:3] == [
        "Orientation : Lyon (com:69123) · thème Recrutement · étape souhaitée Conseil",
        " 1. Offre 02 — DLA du Rhône (DLA départemental) [test:offre-02]",
        "    - territoire : Rhône (dep:69), son département"]
    code, out = _run(bundle_file, "--association", "test:a13", "--format", "json", "--lang",
                     "en", "--today", "2025-09-01")
    data = json.loads(out)
    assert code == 0 and [s["offer"] for s in data["suggestions"]] == ["test:offre-06"]
    assert data["suggestions"][0]["reasons"][0] == {
        "code": "territoire", "params": {"niveau": "dep", "territoire": "dep:13"},
        "text": "territory: Bouches-du-Rhône (dep:13), its département"}
    code, out = _run(bundle_file, "--need", "test:besoin-1", "--pathway", "--today",
                     "2025-09-01", "--lang", "fr")
    assert code == 0 and "Conseil\n    1. Offre 02" in out


def test_cli_record(bundle_file: str, tmp_path: Path) -> None:
    out_file = tmp_path / "out.json"
    code, _ = _run(bundle_file, "--need", "test:besoin-1", "--limit", "2", "--record", "--by",
                   "test:dla69", "-o", str(out_file), "--today", "2025-09-01")
    assert code == 0
    data = json.loads(out_file.read_text(encoding="utf-8"))
    assert [(r["id"], r["offer"]) for r in data["referrals"]] == [
        ("test:orientation-1-1", "test:offre-02"), ("test:orientation-1-2", "test:offre-10")]
    assert data["needs"][0]["status"] == "oriente"


def test_cli_errors(bundle_file: str, tmp_path: Path) -> None:
    assert _run(bundle_file, "--association", "test:zz")[0] == 2
    assert _run(bundle_file, "--theme", "recrutement", "--commune", "com:6912")[0] == 2
    assert _run(bundle_file, "--theme", "recrutement")[0] == 2
    assert _run(bundle_file, "--association", "test:a1", "--record", "--by", "test:mda")[0] == 2
    broken = tmp_path / "broken.json"
    broken.write_text(Path(bundle_file).read_text(encoding="utf-8").replace(
        '"dep:69"', '"dep:6"', 1), encoding="utf-8")
    assert _run(str(broken), "--association", "test:a1")[0] == 1


# --- the session ------------------------------------------------------------------------------


class TiersLieuxPlugin:
    """An in-test plugin: the theme ``test:tiers_lieux``, and a diagnostic tool whose alerts
    orient to the CRESS."""

    @hookimpl
    def pmae_register_vocabularies(self, register: Callable[[object], None]) -> None:
        register(VocabularyExtension(vocabulary="themes", namespace="test", terms=(
            Term(code="test:tiers_lieux", label_fr="Tiers-lieux", label_en="Third places"),)))

    @hookimpl
    def pmae_register_diagnostics(self, register: Callable[[object], None]) -> None:
        questionnaire = {**reference_questionnaire("vigilance-economique"), "id": "test-vigie",
                         "alerts": {"orient_to": ["cress"]}}
        register(DiagnosticTool(name="test-vigie", title="Vigie", version="1.0",
                                questionnaire=questionnaire))


#: An association of Lyon that a ``test-vigie`` diagnosis alerted, its need of a tiers-lieu, and
#: two offers at the alert's stage: the CRESS's for the région, the DLA's for the département.
TIERS_LIEUX = attrs.evolve(
    BUNDLE,
    offers=tuple(attrs.evolve(_offer(number, actor, ("appui",), territory),
                              themes=("test:tiers_lieux",))
                 for number, actor, territory in ((21, "cress", "reg:84"),
                                                  (22, "dla69", "dep:69"))),
    needs=(Need(id="test:besoin-tl", theme="test:tiers_lieux", origin="declare", date=TODAY,
                association="test:a1", recipients=("test",)),),
    diagnoses=(Diagnosis(id="test:diag-tl", association="test:a1", tool="test-vigie",
                         tool_version="1.0", date=dt.date(2025, 5, 1), alerts=("q1",)),))


@pytest.fixture(scope="module")
def tiers_lieux_session() -> Session:
    return make_session(load=[], plugins=[TiersLieuxPlugin()])


def _oriented(session: Session | None) -> tuple[list[str], str]:
    """The offers proposed for the tiers-lieu need, and their text, with ``session``."""
    need = TIERS_LIEUX.needs[0]
    found = orient(TIERS_LIEUX, need, today=TODAY, session=session)
    query = OfferIndex.build(TIERS_LIEUX, today=TODAY, session=session).query_for(need)
    return ids(found), render_suggestions(query, found, session=session)


def test_the_sessions_plugin_theme_and_tool_are_honoured(tiers_lieux_session: Session) -> None:
    assert orient_to_by_tool(tiers_lieux_session)["test-vigie"] == ("cress",)
    found, text = _oriented(tiers_lieux_session)
    # The plugin's tool orients its alerts to the CRESS: its offer comes first.
    assert found == ["test:offre-21", "test:offre-22"]
    assert text.splitlines()[:6] == [
        "Orientation : Lyon (com:69123) · thème Tiers-lieux · alerte",
        " 1. Offre 21 — CRESS (CRESS) [test:offre-21]",
        "    - territoire : Auvergne-Rhône-Alpes (reg:84), sa région",
        "    - thème : Tiers-lieux",
        "    - étape : Appui / accompagnement, après une alerte du diagnostic",
        "    - acteur : CRESS, conseillé après une alerte"]
    english = tiers_lieux_session.evolve(lang="en")
    first = orient(TIERS_LIEUX, TIERS_LIEUX.needs[0], today=TODAY, session=english)[0]
    assert render_reason(first.reasons[1], session=english) == "theme: Third places"
    assert suggestion_to_json(first, session=english)["reasons"][1]["text"] == \
        "theme: Third places"
    # The core alone knows neither the theme's label nor the tool: the DLA comes first.
    core, core_text = _oriented(make_session(load=[]))
    assert core == ["test:offre-22", "test:offre-21"]
    assert "    - thème : test:tiers_lieux" in core_text.splitlines()


def test_without_session_the_default_session_is_used(
    tiers_lieux_session: Session, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pmae.sessions, "_default", lambda: tiers_lieux_session)
    assert _oriented(None) == _oriented(tiers_lieux_session)
    assert "thème Tiers-lieux" in _oriented(None)[1]
    steps = pathway(TIERS_LIEUX, TIERS_LIEUX.needs[0], today=TODAY)
    assert dict(steps)["appui"][0].offer.id == "test:offre-21"
    assert render_pathway(OfferIndex.build(TIERS_LIEUX, today=TODAY).query_for(
        TIERS_LIEUX.needs[0]), steps).startswith(
            "Parcours : Lyon (com:69123) · thème Tiers-lieux\n")
    assert render_reason(steps[5][1][0].reasons[1]) == "thème : Tiers-lieux"
