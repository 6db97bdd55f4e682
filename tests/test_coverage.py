"""Coverage of the territorial offer and complementarity: exact cells on hand-made bundles, the
sample's deliberate gaps, a brute-force agreement property on random bundles, and the command."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import pmae.sessions
from pmae.analysis.complementarity import Edge, complementarity
from pmae.analysis.coverage import CoverageCell, coverage, grid_territories, in_force
from pmae.cli.coverage import coverage_command
from pmae.model import Actor, Bundle, Need, Offer, Source
from pmae.plugins import hookimpl
from pmae.plugins.items import VocabularyExtension
from pmae.render.complementarity import render_complementarity
from pmae.render.coverage import render_coverage, write_coverage_csv
from pmae.sample import load_sample, sample_bytes
from pmae.sessions import Session, make_session
from pmae.territories import TerritoryError, core_territories
from pmae.vocab import Term

TERRITORIES = core_territories()
DEPS_84 = ("dep:01", "dep:03", "dep:07", "dep:15", "dep:26", "dep:38", "dep:42", "dep:43",
           "dep:63", "dep:69", "dep:73", "dep:74")
DAY = dt.date(2025, 6, 1)


def _bundle(offers: Sequence[Offer], needs: Sequence[Need] = (),
            actors: Sequence[Actor] = ()) -> Bundle:
    return Bundle(source=Source(slug="t", name="Test"),
                  generated_at=dt.datetime(2025, 6, 1, 9, tzinfo=dt.UTC),
                  offers=tuple(offers), needs=tuple(needs), actors=tuple(actors))


def _offer(local: str, actor: str, territories: tuple[str, ...], *,
           themes: tuple[str, ...] = ("dialogue_social",), stages: tuple[str, ...] = ("conseil",),
           valid_from: dt.date | None = None, valid_until: dt.date | None = None) -> Offer:
    return Offer(id=f"t:{local}", actor=f"t:{actor}", title=local, themes=themes, stages=stages,
                 territories=territories, valid_from=valid_from, valid_until=valid_until)


def _need(local: str, territory: str | None, *, theme: str = "dialogue_social",
          stage: str | None = "conseil") -> Need:
    return Need(id=f"t:{local}", theme=theme, origin="declaree", date=DAY, stage=stage,
                territory=territory)


# --- hand-made cases ----------------------------------------------------------------------------


def test_a_region_offer_covers_its_departements_and_no_other() -> None:
    bundle = _bundle([_offer("reg", "a", ("reg:84",)), _offer("idf", "b", ("dep:92",))])
    grid = coverage(bundle, themes=["dialogue_social"], stages=["conseil"])
    assert grid.territories == (*DEPS_84, "dep:75", "dep:77", "dep:78", "dep:91", "dep:92",
                                "dep:93", "dep:94", "dep:95")
    for dep in DEPS_84:
        assert grid.cell(dep, "dialogue_social", "conseil") == CoverageCell(
            territory=dep, theme="dialogue_social", stage="conseil", offers=("t:reg",),
            actors=("t:a",), needs=0, status="couvert")
    assert grid.cell("dep:93", "dialogue_social", "conseil").status == "zone_blanche"
    assert grid.cell("dep:93", "dialogue_social", "conseil").offers == ()
    assert grid.cell("dep:92", "dialogue_social", "conseil").offers == ("t:idf",)
    assert grid.totals()["links"] == 13


def test_expired_and_not_yet_open_offers_never_count() -> None:
    bundle = _bundle([
        _offer("old", "a", ("dep:69",), valid_until=dt.date(2025, 5, 31)),
        _offer("later", "b", ("dep:69",), valid_from=dt.date(2025, 6, 2)),
        _offer("now", "c", ("dep:69",), valid_from=DAY, valid_until=DAY),
    ])
    grid = coverage(bundle, region="dep:69", themes=["dialogue_social"], stages=["conseil"],
                    today=DAY)
    assert grid.cell("dep:69", "dialogue_social", "conseil").offers == ("t:now",)
    totals = grid.totals()
    assert (totals["offers_in_force"], totals["offers_expired"],
            totals["offers_not_started"]) == (1, 1, 1)
    later = coverage(bundle, region="dep:69", today=dt.date(2025, 7, 1))
    assert later.cell("dep:69", "dialogue_social", "conseil").offers == ("t:later",)
    assert not in_force(bundle.offers[0], DAY)


def test_redundancy_threshold_counts_actors_covering_the_whole_territory() -> None:
    offers = [_offer("1", "a", ("dep:69",)), _offer("2", "b", ("reg:84",)),
              _offer("3", "b", ("dep:69",)), _offer("4", "c", ("com:69123",))]
    grid = coverage(_bundle(offers), region="dep:69", themes=["dialogue_social"],
                    stages=["conseil"])
    cell = grid.cell("dep:69", "dialogue_social", "conseil")
    assert cell == CoverageCell(
        territory="dep:69", theme="dialogue_social", stage="conseil",
        offers=("t:1", "t:2", "t:3", "t:4"), actors=("t:a", "t:b", "t:c"), needs=0,
        status="couvert", partial=("t:4",))
    assert grid.redundant() == ()
    lower = coverage(_bundle(offers), region="dep:69", redundant_at=2)
    assert lower.cell("dep:69", "dialogue_social", "conseil").status == "redondant"
    more = coverage(_bundle([*offers, _offer("5", "d", ("fr",))]), region="dep:69")
    assert more.cell("dep:69", "dialogue_social", "conseil").status == "redondant"
    assert [c.territory for c in more.redundant()] == ["dep:69"]


def test_a_commune_offer_covers_its_departement_partly() -> None:
    grid = coverage(_bundle([_offer("mda", "m", ("com:69123",))]), region="reg:84",
                    themes=["dialogue_social"], stages=["conseil"])
    cell = grid.cell("dep:69", "dialogue_social", "conseil")
    assert (cell.offers, cell.partial, cell.status, cell.partial_only) == (
        ("t:mda",), ("t:mda",), "couvert", True)
    assert grid.cell("dep:01", "dialogue_social", "conseil").status == "zone_blanche"
    regions = coverage(_bundle([_offer("d", "a", ("dep:69",)), _offer("r", "b", ("reg:82",))]),
                       level="reg", themes=["dialogue_social"], stages=["conseil"])
    assert regions.territories == ("reg:84",)
    cell = regions.cell("reg:84", "dialogue_social", "conseil")
    assert (cell.offers, cell.partial) == (("t:d", "t:r"), ("t:d", "t:r"))


def test_needs_are_placed_in_the_grid_territory_that_contains_them() -> None:
    needs = [_need("1", "com:69123"), _need("2", "dep:69"), _need("3", "reg:84"),
             _need("4", None), _need("5", "com:69001", stage=None),
             _need("6", "dep:69", theme="gepp"), _need("7", "dep:75"),
             _need("8", "com:01053", stage="appui")]
    grid = coverage(_bundle([_offer("1", "a", ("dep:69",))], needs), region="reg:84",
                    themes=["dialogue_social"], stages=["conseil", "appui"])
    assert grid.cell("dep:69", "dialogue_social", "conseil").needs == 2
    assert grid.cell("dep:69", "dialogue_social", "conseil").indicator == 0.5
    assert grid.cell("dep:01", "dialogue_social", "appui").needs == 1
    assert grid.cell("dep:01", "dialogue_social", "appui").indicator == 0.0
    assert grid.cell("dep:07", "dialogue_social", "appui").indicator is None
    assert dict(grid.needs_without_stage) == {("dep:69", "dialogue_social"): 1}
    totals = grid.totals()
    assert {k: v for k, v in totals.items() if k.startswith("needs")} == {
        "needs": 8, "needs_in_cells": 3, "needs_without_stage": 1, "needs_outside": 3,
        "needs_other_theme": 1, "needs_other_stage": 0}
    assert [(g.territory, g.stage, g.needs) for g in grid.gaps()[:2]] == [
        ("dep:01", "appui", 1), ("dep:01", "conseil", 0)]
    assert len(grid.gaps()) == 2 * 12 - 1


def test_an_unknown_region_or_level_is_refused() -> None:
    with pytest.raises(ValueError, match="level"):
        coverage(_bundle([]), level="com")
    with pytest.raises(TerritoryError) as raised:
        coverage(_bundle([]), region="reg:99")
    assert raised.value.code == "unknown-territory"
    assert grid_territories(_bundle([])) == ()


# --- the sample ---------------------------------------------------------------------------------


def test_the_sample_deliberate_gaps_are_found() -> None:
    grid = coverage(load_sample(), today=dt.date(2025, 12, 1))
    gaps = {(g.territory, g.theme, g.stage) for g in grid.gaps()}
    assert {("dep:07", "dialogue_social", "conseil"),
            ("dep:26", "dialogue_social", "conseil")} <= gaps
    assert ("dep:69", "dialogue_social", "conseil") not in gaps
    for dep in ("dep:73", "dep:74"):
        assert {(dep, "sante_prevoyance", s) for s in grid.stages} <= gaps
    assert ("dep:69", "sante_prevoyance", "conseil") not in gaps
    # The fund closed in 2024 is expired; the spring 2025 cycles are over by December 2025.
    assert grid.counts["offers_expired"] == 7
    assert all("pmae-ra:offre-065" not in c.offers for c in grid.cells.values())
    first = grid.gaps()[0]
    assert (first.territory, first.theme, first.stage, first.needs) == (
        "dep:69", "recrutement", "conseil", 5)
    # gepp is thin: two offers in the whole région.
    assert {o for c in grid.cells.values() if c.theme == "gepp" for o in c.offers} == {
        "pmae-ra:offre-011", "pmae-ra:offre-058"}


# --- agreement with a brute-force computation ---------------------------------------------------

POOL = ("fr", "reg:84", "reg:82", "reg:11", "dep:01", "dep:69", "dep:63", "dep:75", "dep:93",
        "com:69123", "com:01053", "com:75056", "com:63113")
THEMES = ("dialogue_social", "gepp", "benevolat")
STAGES = ("information", "conseil", "appui")
DATES = (None, dt.date(2025, 1, 1), dt.date(2025, 12, 31))


@st.composite
def bundles(draw: st.DrawFn) -> Bundle:
    offers = [Offer(id=f"t:o{i}", actor=f"t:a{draw(st.integers(0, 4))}", title="o",
                    themes=tuple(draw(st.sets(st.sampled_from(THEMES), min_size=1))),
                    stages=tuple(draw(st.sets(st.sampled_from(STAGES), min_size=1))),
                    territories=tuple(draw(st.sets(st.sampled_from(POOL), min_size=1,
                                                   max_size=2))),
                    valid_until=draw(st.sampled_from(DATES)))
              for i in range(draw(st.integers(0, 8)))]
    needs = [Need(id=f"t:n{i}", theme=draw(st.sampled_from((*THEMES, "qvct"))),
                  origin="declaree", date=DAY,
                  stage=draw(st.sampled_from((None, *STAGES, "suivi"))),
                  territory=draw(st.sampled_from((None, *POOL))))
             for i in range(draw(st.integers(0, 12)))]
    return _bundle(offers, needs)


def _brute_grid(bundle: Bundle, level: str, region: str | None) -> tuple[str, ...]:
    if region is None:
        codes = [t for o in bundle.offers for t in o.territories]
        regions = [r for r in TERRITORIES.regions()
                   if any(TERRITORIES.contains(r, c) or TERRITORIES.contains(c, r)
                          for c in codes)]
    else:
        regions = [r for r in TERRITORIES.regions()
                   if TERRITORIES.contains(r, region) or TERRITORIES.contains(region, r)]
    if level == "reg":
        return tuple(regions)
    return tuple(d for d in TERRITORIES.departements("fr")
                 if any(TERRITORIES.contains(r, d) for r in regions)
                 and (region is None or TERRITORIES.contains(region, d)
                      or TERRITORIES.contains(d, region)))


@settings(max_examples=60)
@given(bundle=bundles(), level=st.sampled_from(("dep", "reg")),
       region=st.sampled_from((None, None, "reg:84", "reg:82", "dep:69")),
       redundant_at=st.integers(1, 3))
def test_cells_agree_with_a_brute_force_computation(bundle: Bundle, level: str,
                                                    region: str | None,
                                                    redundant_at: int) -> None:
    grid = coverage(bundle, level=level, region=region, themes=THEMES, stages=STAGES,
                    redundant_at=redundant_at, today=DAY)
    assert grid.territories == _brute_grid(bundle, level, region)
    live = [o for o in bundle.offers if o.valid_until is None or o.valid_until >= DAY]
    placed = 0
    for (territory, theme, stage), cell in grid.cells.items():
        covering = [o for o in live if theme in o.themes and stage in o.stages and any(
            TERRITORIES.contains(t, territory) or TERRITORIES.contains(territory, t)
            for t in o.territories)]
        whole = [o for o in covering
                 if any(TERRITORIES.contains(t, territory) for t in o.territories)]
        needs = sum(1 for n in bundle.needs if n.theme == theme and n.stage == stage
                    and n.territory is not None and TERRITORIES.contains(territory, n.territory))
        placed += needs
        status = ("zone_blanche" if not covering else "redondant"
                  if len({o.actor for o in whole}) >= redundant_at else "couvert")
        assert cell == CoverageCell(
            territory=territory, theme=theme, stage=stage,
            offers=tuple(sorted(o.id for o in covering)),
            actors=tuple(sorted({o.actor for o in covering})), needs=needs, status=status,
            partial=tuple(sorted(o.id for o in covering if o not in whole)))
    totals = grid.totals()
    assert totals["needs_in_cells"] == placed
    assert totals["links"] == sum(len(c.offers) for c in grid.cells.values())
    assert totals["zones_blanches"] + totals["couvert"] + totals["redondant"] == len(grid.cells)
    assert totals["needs"] == sum(totals[k] for k in (
        "needs_in_cells", "needs_without_stage", "needs_outside", "needs_other_theme",
        "needs_other_stage"))
    assert totals["offers"] == (totals["offers_in_force"] + totals["offers_expired"]
                                + totals["offers_not_started"])
    gaps = grid.gaps()
    assert len(gaps) == totals["zones_blanches"]
    assert [g.needs > 0 for g in gaps] == sorted((g.needs > 0 for g in gaps), reverse=True)


# --- complementarity ----------------------------------------------------------------------------


def test_overlap_and_complementary_edges() -> None:
    bundle = _bundle([
        _offer("a1", "a", ("dep:69",), stages=("conseil", "formation")),
        _offer("b1", "b", ("reg:84",)),
        _offer("c1", "c", ("dep:69",), stages=("appui",)),
        _offer("d1", "d", ("dep:01",), stages=("appui",)),
        _offer("e1", "e", ("dep:69",), themes=("gepp",), stages=("appui",)),
    ], actors=[Actor(id="t:a", name="Acteur A", actor_type="dla_departemental")])
    graph = complementarity(bundle, region="reg:84", themes=["dialogue_social", "gepp"])
    assert graph.actors == ("t:a", "t:b", "t:c", "t:d", "t:e")
    assert graph.edges == (
        Edge(a="t:a", b="t:c", kind="complementaire", themes=("dialogue_social",),
             stages=("conseil", "formation", "appui"), territories=("dep:69",)),
        Edge(a="t:b", b="t:c", kind="complementaire", themes=("dialogue_social",),
             stages=("conseil", "appui"), territories=("dep:69",)),
        Edge(a="t:b", b="t:d", kind="complementaire", themes=("dialogue_social",),
             stages=("conseil", "appui"), territories=("dep:01",)),
        Edge(a="t:a", b="t:b", kind="chevauchement", themes=("dialogue_social",),
             stages=("conseil",), territories=("dep:69",)),
    )
    data = graph.to_json()
    assert data["nodes"][:2] == [
        {"id": "t:a", "name": "Acteur A", "actor_type": "dla_departemental"},
        {"id": "t:b", "name": "t:b", "actor_type": None}]
    text = render_complementarity(graph, lang="en")
    assert "Complementarity of actors: 5 actors, 4 links (3 complementary, 1 overlapping)" in text
    assert "  Acteur A — t:b (1)" in text


# --- the session -------------------------------------------------------------------------------


class TiersLieuxPlugin:
    """An in-test plugin that adds the theme ``test:tiers_lieux``."""

    @hookimpl
    def pmae_register_vocabularies(self, register: Callable[[object], None]) -> None:
        register(VocabularyExtension(vocabulary="themes", namespace="test", terms=(
            Term(code="test:tiers_lieux", label_fr="Tiers-lieux", label_en="Third places"),)))


#: A tiers-lieux offer of two actors in the Rhône, and a need for one in Lyon.
TIERS_LIEUX = _bundle(
    [_offer("tl1", "a", ("dep:69",), themes=("test:tiers_lieux",)),
     _offer("tl2", "b", ("com:69123",), themes=("test:tiers_lieux", "gepp"))],
    [_need("tl", "com:69123", theme="test:tiers_lieux")])


@pytest.fixture(scope="module")
def tiers_lieux_session() -> Session:
    return make_session(load=[], plugins=[TiersLieuxPlugin()], as_of=DAY)


def _covered(session: Session | None) -> tuple[tuple[str, ...], str]:
    """The grid's themes and its text, with ``session``."""
    grid = coverage(TIERS_LIEUX, region="dep:69", stages=["conseil"], session=session)
    return grid.themes, render_coverage(grid, session=session)


def test_the_sessions_plugin_theme_is_covered_and_labelled(
    tiers_lieux_session: Session,
) -> None:
    grid = coverage(TIERS_LIEUX, region="dep:69", session=tiers_lieux_session)
    assert grid.themes[-1] == "test:tiers_lieux"
    cell = grid.cell("dep:69", "test:tiers_lieux", "conseil")
    assert (cell.offers, cell.partial, cell.needs, cell.status) == (
        ("t:tl1", "t:tl2"), ("t:tl2",), 1, "couvert")
    text = render_coverage(grid, session=tiers_lieux_session, gaps_only=True)
    assert "  Tiers-lieux · Information : 69" in text.splitlines()
    themes, table = _covered(tiers_lieux_session)
    assert "Tiers-lieux\n  département  Conseil\n  69 Rhône       2 (1)\n" in table
    english = render_coverage(grid, session=tiers_lieux_session.evolve(lang="en"))
    assert english.startswith("Coverage of the support offer on 1 June 2025:")
    assert "  Third places · Information: 69" in english.splitlines()
    buffer = io.StringIO()
    write_coverage_csv(grid, buffer, cells=[cell])
    assert buffer.getvalue().splitlines()[1] == (
        "dep:69,test:tiers_lieux,conseil,couvert,2,2,1,1,2,t:tl1 | t:tl2,t:a | t:b")
    graph = complementarity(TIERS_LIEUX, region="dep:69", session=tiers_lieux_session)
    assert "      thèmes : Tiers-lieux" in render_complementarity(
        graph, session=tiers_lieux_session).splitlines()
    # The core alone knows the code from the data only: a column without its label.
    core_themes, core_table = _covered(make_session(load=[]))
    assert core_themes == themes
    assert "test:tiers_lieux\n  département  Conseil\n" in core_table
    assert "Tiers-lieux" not in core_table


def test_without_session_the_default_session_is_used(
    tiers_lieux_session: Session, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pmae.sessions, "_default", lambda: tiers_lieux_session)
    assert _covered(None) == _covered(tiers_lieux_session)
    assert "Tiers-lieux\n  département  Conseil\n" in _covered(None)[1]
    assert grid_territories(TIERS_LIEUX) == DEPS_84
    graph = complementarity(TIERS_LIEUX, region="dep:69")
    assert "      thèmes : Tiers-lieux" in render_complementarity(graph).splitlines()


# --- the command --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("coverage") / "sample.json"
    path.write_bytes(sample_bytes())
    return path


def test_command_text(sample_file: Path) -> None:
    result = CliRunner().invoke(coverage_command, [
        str(sample_file), "--region", "reg:82", "--theme", "sante_prevoyance", "--gaps",
        "--date", "2025-12-01", "--lang", "fr"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == ("Couverture de l'offre d'accompagnement au 1er décembre 2025 : "
                        "8 départements, 1 thèmes, 7 étapes")
    assert "  Santé, prévoyance et prévention des risques · Conseil : 73, 74" in lines
    assert lines[lines.index("Zones blanches où des besoins ont été observés (4)") + 2] == (
        "        2  Santé, prévoyance et prévention des risques  Appui / accompagnement  "
        "42 Loire")
    table = CliRunner().invoke(coverage_command, [
        str(sample_file), "--region", "reg:82", "--theme", "dialogue_social", "--lang", "en",
        "--date", "2025-12-01"])
    assert "  07 Ardèche             ∅        2       2       ∅         ∅        ∅       ∅" in \
        table.output.splitlines()


def test_command_json_and_graph(sample_file: Path) -> None:
    result = CliRunner().invoke(coverage_command, [str(sample_file), "--format", "json",
                                                   "--date", "2025-12-01"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert (len(data["territories"]), len(data["cells"])) == (12, 12 * 21 * 7)
    assert data["totals"]["offers_in_force"] == 67
    # The JSON is read by scripts and compared between runs: its keys keep their order.
    assert list(data["totals"]) == [
        "cells", "zones_blanches", "zones_blanches_with_needs", "couvert", "redondant",
        "partial_only", "links", "offers", "offers_in_force", "offers_expired",
        "offers_not_started", "offers_outside", "needs", "needs_in_cells", "needs_without_stage",
        "needs_outside", "needs_other_theme", "needs_other_stage"]
    graph = CliRunner().invoke(coverage_command, [
        str(sample_file), "--graph", "--format", "json", "--theme", "gepp",
        "--date", "2025-12-01"])
    assert json.loads(graph.output)["edges"] == [{
        "a": "pmae-ra:dla-38", "b": "pmae-ra:uniformation-aura", "kind": "complementaire",
        "themes": ["gepp"], "stages": ["information", "sensibilisation", "formation", "appui"],
        "territories": ["dep:38"], "weight": 1}]


def test_command_csv_to_a_file(sample_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "gaps.csv"
    result = CliRunner().invoke(coverage_command, [
        str(sample_file), "--format", "csv", "--gaps", "--theme", "dialogue_social",
        "--stage", "conseil", "-o", str(out)])
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["territory"], r["needs"]) for r in rows] == [
        ("dep:26", "1"), ("dep:03", "0"), ("dep:07", "0"), ("dep:15", "0"), ("dep:43", "0"),
        ("dep:63", "0")]


def test_command_usage_errors(sample_file: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(coverage_command, [str(sample_file), "--gaps", "--graph"]).exit_code == 2
    assert runner.invoke(coverage_command, [str(sample_file), "--region", "84"]).exit_code == 2
    assert runner.invoke(coverage_command, [str(sample_file), "--theme", "zzz"]).exit_code == 2
