"""The data·inclusion importer: the export's tables reversed, losses reported, round trips.

The round trip is a hypothesis property: any bundle exported to data·inclusion, imported back
and exported again gives the same data·inclusion document (the import keeps everything the
export's mapping keeps), and the fields the mapping carries whole come back equal.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from data_inclusion.schema import v1
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pmae.exchange import import_file
from pmae.model import Actor, Bundle, Offer, Source
from pmae.plugins import ImportContext, OptionError, make_plugin_manager
from pmae.sessions import Session, make_session
from pmae.vocab import core_vocabularies

import pmae_datainclusion
from pmae_datainclusion import mapping, to_datainclusion
from pmae_datainclusion.importer import pmae_id_of
from pmae_datainclusion.reading import SERVICE_FIELDS, STRUCTURE_FIELDS, Located

DATA = Path(__file__).parent / "data"
# The importer hook gives no session: reading uses the default one, with every installed
# plugin, and pmae-broken warns there.
pytestmark = pytest.mark.filterwarnings("ignore::pmae.plugins.PluginWarning")
PARIS = dt.timezone(dt.timedelta(hours=2))
VOCABULARIES = core_vocabularies()


@pytest.fixture(scope="module")
def session() -> Session:
    return make_session(load=[], plugins=[pmae_datainclusion])


def warnings_of(path: Path, session: Session, **options: str) -> list[tuple[str, str]]:
    """What the importer reports it could not carry: (message, ``<file>:<JSON path>``)."""
    context = ImportContext(session=session, options=options)
    pmae_datainclusion.read_datainclusion(path, options, context)
    return [(message, str(where)) for message, where in context.notes.entries]


def import_document(document: dict[str, Any], session: Session, tmp_path: Path,
                    **options: str) -> tuple[Bundle | None, list[Any]]:
    path = tmp_path / "di.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    report = import_file("datainclusion", path, options=options, session=session)
    return report.bundle, report.issues


# -- a producer's own records ---------------------------------------------------------------


def test_a_producers_records_are_imported_with_every_loss_reported(session: Session) -> None:
    report = import_file("datainclusion", DATA / "dora.json", session=session)
    assert report.ok and report.bundle is not None
    bundle = report.bundle
    assert bundle.source.slug == "dora"
    assert bundle.generated_at == dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    centre, departement = bundle.actors
    assert centre.id == "dora:AidantsConnect~3A2024-47BXY"
    assert (centre.actor_type, centre.labels, centre.commune) == (
        "autre", ("france_active",), "com:69123")
    assert centre.address == "1 rue de la République, Bâtiment B"
    assert (departement.actor_type, departement.territories) == ("collectivite", ("dep:69",))
    assert departement.siret is None  # bad check digit
    (offer,) = bundle.offers
    assert (offer.themes, offer.stages, offer.formats) == (
        ("formation_pro",), ("appui",), ("collectif",))
    assert offer.territories == ("reg:84", "com:75056")
    assert (offer.delivery, offer.cost) == ("mixte", "payant")
    found = {(i.code, i.severity, i.path) for i in report.issues}
    file = str(DATA / "dora.json")
    assert all(i.file == file for i in report.issues)
    assert ("datainclusion:skipped", "warning", "$.services[1].structure_id") in found
    # Losses go to pmae's warning channel, each with where it is in the source.
    assert "datainclusion:lost" not in {i.code for i in report.issues}
    warnings = warnings_of(DATA / "dora.json", session)
    assert {where.removeprefix(f"{file}:") for _, where in warnings} >= {
        "$.structures[0].reseaux_porteurs", "$.structures[1].siret",
        "$.structures[0].code_postal", "$.services[0].thematiques",
        "$.services[0].zone_eligibilite", "$.services[0].publics",
        "$.services[0].frais_precisions", "$.services[0].contact_nom_prenom"}
    assert any(message.startswith("siret: ") and message.endswith("; not imported")
               and where == f"{file}:$.structures[1].siret" for message, where in warnings)
    # A person's name is never carried anywhere.
    assert "Jeanne" not in json.dumps([i.to_dict() for i in report.issues])
    assert "Jeanne" not in json.dumps(warnings)


def test_a_folder_release_and_an_api_page_are_read(session: Session, tmp_path: Path) -> None:
    document = json.loads((DATA / "dora.json").read_text(encoding="utf-8"))
    (tmp_path / "structures.json").write_text(json.dumps(document["structures"]))
    (tmp_path / "services.json").write_text(json.dumps({"items": document["services"]}))
    report = import_file("datainclusion", tmp_path, session=session)
    assert report.ok and report.bundle is not None
    assert report.bundle.counts()["offers"] == 1


@pytest.mark.parametrize(("content", "code", "path"), [
    (b"{not json", "invalid-json", "$"),
    (b'{"structures": {"id": 1}}', "wrong-type", "$.structures"),
    (b'{"structures": [{"source": "dora", "id": "dora--1", "date_maj": "2025-01-01"}]}',
     "missing-field", "$.structures[0].nom"),
    (b'{"structures": [{"source": "Dora Inc", "id": "x", "nom": "abc"}]}',
     "invalid-format", "$.structures[0].source"),
    (b'{"hello": 1}', "datainclusion:not-records", "$"),
])
def test_bad_input_is_a_located_error(session: Session, tmp_path: Path, content: bytes,
                                      code: str, path: str) -> None:
    file = tmp_path / "bad.json"
    file.write_bytes(content)
    report = import_file("datainclusion", file, session=session)
    assert not report.ok and report.bundle is None
    assert [(i.code, i.path, i.file) for i in report.issues if i.severity == "error"] == [
        (code, path, str(file))]


def test_several_sources_need_the_source_option(session: Session, tmp_path: Path) -> None:
    records = [{"source": source, "id": f"{source}--1", "nom": "Une structure",
                "date_maj": "2025-01-01"} for source in ("dora", "soliguide")]
    bundle, issues = import_document({"structures": records}, session, tmp_path)
    assert bundle is None and [i.code for i in issues] == ["datainclusion:no-source"]
    bundle, issues = import_document({"structures": records}, session, tmp_path,
                                     source="pmae-ra")
    assert bundle is not None
    assert [p.source.slug for p in bundle.provenance] == ["dora", "soliguide"]


def test_ids_that_are_not_pmae_ids_are_escaped() -> None:
    assert pmae_id_of("pmae-ra", "pmae-ra--lma-ra:offre-12") == "lma-ra:offre-12"
    assert pmae_id_of("dora", "dora--a b/é") == "dora:a~20b~2F~C3~A9"
    assert pmae_id_of("dora", "dora--_x") == "dora:id_x"


def test_the_reverse_tables_invert_the_export_tables() -> None:
    for code, theme in mapping.THEMES_FROM.items():
        assert code in mapping.THEMES[theme]
    exported = {c for codes in mapping.THEMES.values() for c in codes}
    assert exported == set(mapping.THEMES_FROM)
    for kind, (stages, formats) in mapping.TYPES_FROM.items():
        base = mapping.STAGE_TYPES[stages[-1]]
        assert (mapping.COLLECTIVE_TYPES.get(base, base) if formats == ("collectif",)
                else base) == kind
    for modes, delivery in mapping.DELIVERY_MODES_FROM.items():
        assert frozenset(mapping.DELIVERY_MODES[delivery]) == modes
    for frais, cost in mapping.COSTS_FROM.items():
        assert mapping.COSTS[cost] == frais


# -- the round trip, as a property ----------------------------------------------------------

COMMUNES = ("com:69123", "com:01053", "com:75056", "com:63113")
ZONES = ("fr", "reg:84", "reg:82", "reg:11", "dep:69", "dep:01", "dep:2A", "com:69123",
         "com:75056")
SIRETS = ("13003013300016", "35600000000048", "78467169500087")


def codes_of(vocabulary: str) -> tuple[str, ...]:
    return VOCABULARIES[vocabulary].codes()


def subsets(values: tuple[str, ...], size: int = 4) -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(st.sampled_from(values), max_size=size, unique=True).map(tuple)


names = st.text(st.sampled_from("abcdéèAZ -'.0"), min_size=0, max_size=30)


@st.composite
def actors(draw: st.DrawFn, index: int) -> Actor:
    actor_type = draw(st.sampled_from(codes_of("actor_types")))
    commune = draw(st.none() | st.sampled_from(COMMUNES))
    territories = draw(subsets(ZONES, 3))
    if actor_type in ("collectivite", "service_etat"):
        # An authority sits in the territory it governs (what the import reads back).
        commune = draw(st.sampled_from(COMMUNES[:2]))
        level = draw(st.sampled_from(("reg", "dep", "com", "mixed")))
        seat = {"reg": "reg:84", "dep": f"dep:{commune[4:6]}", "com": commune}
        territories = (seat[level],) if level in seat else ("reg:84", commune)
    return Actor(
        id=f"lma-ra:acteur-{index}", name=draw(names), actor_type=actor_type,
        description=draw(st.none() | names), labels=draw(subsets(codes_of("actor_labels"))),
        territories=territories, commune=commune, siret=draw(st.none() | st.sampled_from(SIRETS)),
        website=draw(st.none() | st.just("https://www.example.org/a")),
        email=draw(st.none() | st.just("contact@example.org")),
        phone=draw(st.none() | st.sampled_from(("04 72 00 00 00", "+33 4 72 00 00 00"))),
        address=draw(st.none() | st.just("1  rue\nde la Paix")))


@st.composite
def offers(draw: st.DrawFn, index: int, actor_count: int) -> Offer:
    return Offer(
        id=f"lma-ra:offre-{index}", actor=f"lma-ra:acteur-{draw(st.integers(0, actor_count - 1))}",
        title=draw(names), description=draw(st.none() | names),
        themes=draw(subsets(codes_of("themes"), 5)), stages=draw(subsets(codes_of("stages"))),
        territories=draw(subsets(ZONES)), size_bands=draw(subsets(codes_of("size_bands"))),
        sectors=draw(subsets(codes_of("sectors"))),
        formats=draw(subsets(codes_of("offer_formats"))),
        delivery=draw(st.none() | st.sampled_from(codes_of("delivery_modes"))),
        cost=draw(st.none() | st.sampled_from(codes_of("costs"))),
        url=draw(st.none() | st.just("https://www.example.org/offre")))


@st.composite
def bundles(draw: st.DrawFn) -> Bundle:
    actor_count = draw(st.integers(1, 4))
    offer_count = draw(st.integers(0, 6))
    return Bundle(
        source=Source(slug="lma-ra", name="Le Mouvement associatif"),
        generated_at=dt.datetime(2025, 6, 2, 10, 0, tzinfo=PARIS),
        actors=tuple(draw(actors(i)) for i in range(actor_count)),
        offers=tuple(draw(offers(i, actor_count)) for i in range(offer_count)))


def reimport(document: dict[str, Any], session: Session) -> Bundle:
    structures = [Located(record=r, file="di.json", path=f"$.structures[{i}]")
                  for i, r in enumerate(document["structures"])]
    services = [Located(record=r, file="di.json", path=f"$.services[{i}]")
                for i, r in enumerate(document["services"])]
    result = pmae_datainclusion.from_datainclusion(structures, services, source="lma-ra",
                                                  session=session)
    assert result.document is not None, [i.render() for i in result.issues]
    report = session.validate_document(result.document)
    assert report.ok and report.bundle is not None, [i.render() for i in report.issues]
    return report.bundle


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bundles())
def test_round_trip_keeps_what_the_mapping_keeps(bundle: Bundle) -> None:
    session = make_session(load=[], plugins=[pmae_datainclusion], entry_points=False)
    first = to_datainclusion(bundle)
    back = reimport(first, session)
    assert to_datainclusion(back, source="lma-ra") == first
    originals: dict[str, Actor | Offer] = {a.id: a for a in bundle.actors}
    originals.update((o.id, o) for o in bundle.offers)
    for actor in back.actors:
        original = originals[actor.id]
        assert isinstance(original, Actor)
        assert (actor.siret, actor.commune, actor.website, actor.email) == (
            original.siret, original.commune, original.website, original.email)
        assert ("france_active" in actor.labels) == ("france_active" in original.labels)
    for offer in back.offers:
        original = originals[offer.id]
        assert isinstance(original, Offer)
        assert (offer.actor, offer.url, offer.delivery, offer.cost) == (
            original.actor, original.url, original.delivery, original.cost)
        assert (offer.size_bands, offer.sectors) == (original.size_bands, original.sectors)
        if original.description is None or len(original.description.strip()) < 5:
            # The export's generated description carries every theme and stage.
            assert (offer.themes, offer.stages) == (original.themes, original.stages)
            assert offer.description is None


def test_the_installed_importer_is_listed() -> None:
    manager = make_plugin_manager(entry_points=False, plugins=[pmae_datainclusion])
    assert manager.importer("datainclusion").read is pmae_datainclusion.read_datainclusion


def test_every_v1_field_is_known_and_others_are_reported(session: Session,
                                                         tmp_path: Path) -> None:
    assert set(v1.Structure.model_fields) == STRUCTURE_FIELDS
    assert set(v1.Service.model_fields) == SERVICE_FIELDS
    record = {"source": "dora", "id": "dora--1", "nom": "Une structure",
              "date_maj": "2025-01-01", "typologie": "ASSO"}
    bundle, issues = import_document({"structures": [record]}, session, tmp_path)
    assert bundle is not None
    assert issues == []
    path = tmp_path / "di.json"  # written by import_document
    assert [where for _, where in warnings_of(path, session)] == [
        f"{path}:$.structures[0].typologie"]


def test_unknown_options_are_errors(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGUAGE", "en")  # the core's part of a message follows the locale
    # Declared options: pmae checks them before the importer runs.
    with pytest.raises(OptionError, match="unknown option sources for the importer "
                                          "'datainclusion'; its options: source"):
        import_file("datainclusion", DATA / "dora.json", options={"sources": "x"},
                    session=session)
