"""The action plan: candidate responses, decisions, following them and their effect."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from strategies import PLAN_STAGES, PLAN_THEMES, plan_bundles

from pmae.analysis.coverage import in_force
from pmae.analysis.plan import REASONS, plan
from pmae.analysis.plan_status import follow
from pmae.analysis.shared_diagnosis import SecrecyRules, aggregate
from pmae.cli import cli
from pmae.io.bundles import write_bundle
from pmae.model import (
    Actor,
    Association,
    Bundle,
    Meeting,
    Need,
    Offer,
    Registration,
    Response,
    Source,
)
from pmae.sessions import make_session
from pmae.territories import core_territories

TERRITORIES = core_territories()
# The sample as of its own date (the reference date defaults to today otherwise).
SESSION = make_session(load=[], as_of=dt.date(2025, 12, 1))
DAY = dt.date(2025, 6, 1)


def _brute_gaps(bundle: Bundle, places: tuple[str, ...]) -> set[tuple[str, str, str]]:
    """Every (territory, theme, stage) of the grid that no offer in force reaches, wholly or
    in part, and where at least one need of that theme and stage lies."""
    live = [o for o in bundle.offers if in_force(o, DAY)]
    found = set()
    for territory in places:
        for theme in PLAN_THEMES:
            for stage in PLAN_STAGES:
                covered = any(theme in o.themes and stage in o.stages and any(
                    TERRITORIES.contains(t, territory) or TERRITORIES.contains(territory, t)
                    for t in o.territories) for o in live)
                needed = any(n.theme == theme and n.stage == stage and n.territory is not None
                             and TERRITORIES.contains(territory, n.territory)
                             for n in bundle.needs)
                if needed and not covered:
                    found.add((territory, theme, stage))
    return found


@settings(max_examples=40, deadline=None)
@given(bundle=plan_bundles())
def test_candidates_are_exactly_the_gaps_with_observed_needs(bundle: Bundle) -> None:
    from pmae.analysis.coverage import coverage

    grid = coverage(bundle, themes=PLAN_THEMES, stages=PLAN_STAGES, session=SESSION)
    proposed = plan(bundle, session=SESSION)
    cells = {(c.territory, c.theme, s) for c in proposed.candidates for s in c.stages}
    assert {c for c in cells if c[1] in PLAN_THEMES and c[2] in PLAN_STAGES} == _brute_gaps(
        bundle, grid.territories)
    # One candidate per territory × theme, its stages in chain order.
    pairs = [(c.territory, c.theme) for c in proposed.candidates]
    assert len(pairs) == len(set(pairs))
    # Ranked by the associations the protected table publishes; hidden cells last.
    published = aggregate([n for n in bundle.needs], by=("theme", "territory"),
                          territories=TERRITORIES).published()
    for c in proposed.candidates:
        cell = published.get((c.theme, c.territory))
        assert c.associations == (cell.associations if cell else None)
    ranks = [(c.associations is None, -(c.associations or 0)) for c in proposed.candidates]
    assert ranks == sorted(ranks)
    # Carriers are present nearby, with their reasons, best first.
    for c in proposed.candidates:
        assert all({"autre_etape", "territoire_voisin"} & set(k.reasons) for k in c.carriers)
        scores = [k.score for k in c.carriers]
        assert scores == sorted(scores, reverse=True)
        assert all(k.score == sum(REASONS[r] for r in k.reasons) for k in c.carriers)
        # The live responses that answer it are named.
        for r in bundle.responses:
            answers = bool(c.theme in r.themes and r.status != "abandonnee"
                       and (not r.stages or set(r.stages) & set(c.stages))
                       and any(TERRITORIES.contains(t, c.territory)
                               or TERRITORIES.contains(c.territory, t) for t in r.territories))
            assert (r.id in c.responses) == answers


def _ardeche(*, offers: tuple[Offer, ...] = (), responses: tuple[Response, ...] = ()) -> Bundle:
    actors = (Actor(id="t:udes", name="UDES", actor_type="organisation_employeurs"),
              Actor(id="t:dla-26", name="DLA de la Drôme", actor_type="dla_departemental"),
              Actor(id="t:loin", name="Loin", actor_type="autre"))
    base = (
        # UDES informs on social dialogue in Ardèche; the DLA advises on it in Drôme.
        Offer(id="t:o-info", actor="t:udes", title="Information", themes=("dialogue_social",),
              stages=("information",), territories=("dep:07",)),
        Offer(id="t:o-26", actor="t:dla-26", title="Conseil", themes=("dialogue_social",),
              stages=("conseil",), territories=("dep:26",)),
        Offer(id="t:o-loin", actor="t:loin", title="Ailleurs", themes=("dialogue_social",),
              stages=("conseil",), territories=("dep:75",)),
    )
    needs = tuple(Need(id=f"t:n{i}", theme="dialogue_social", stage="conseil",
                       origin="declare", date=dt.date(2025, 1 + i, 1),
                       association=f"t:as{i}", territory="dep:07") for i in range(8))
    start = dt.datetime(2025, 2, 1, 9, tzinfo=dt.UTC)
    meeting = Meeting(id="t:cofil", kind="cofil", title="COFIL", start=start,
                      end=start + dt.timedelta(hours=3),
                      registrations=(Registration(actor="t:udes", attended=True),))
    associations = tuple(Association(id=f"t:as{i}", name=f"Association {i}") for i in range(8))
    return Bundle(source=Source(slug="t", name="T"),
                  generated_at=dt.datetime(2025, 12, 1, 9, tzinfo=dt.UTC), actors=actors,
                  offers=base + offers, associations=associations, needs=needs,
                  meetings=(meeting,), responses=responses)


def test_the_ardeche_gap_gets_its_carriers() -> None:
    proposed = plan(_ardeche(), region="reg:84", session=SESSION,
                    rules=SecrecyRules(secondary=False))
    (first,) = [c for c in proposed.candidates if c.theme == "dialogue_social"]
    assert (first.territory, first.stages, first.associations) == ("dep:07", ("conseil",), 8)
    assert [(k.actor, k.reasons) for k in first.carriers] == [
        ("t:udes", ("autre_etape", "rencontres")),
        ("t:dla-26", ("territoire_voisin",)),
    ]


def test_the_effect_of_a_response_is_computed_from_the_offers_and_needs() -> None:
    created = Offer(id="t:o-new", actor="t:udes", title="Conseil dialogue social",
                    themes=("dialogue_social",), stages=("conseil",), territories=("dep:07",),
                    valid_from=dt.date(2025, 6, 1))
    response = Response(id="t:r1", title="Conseil en Ardèche", themes=("dialogue_social",),
                        stages=("conseil",), territories=("dep:07",), actors=("t:udes",),
                        decided_on=dt.date(2025, 2, 1), started_on=dt.date(2025, 4, 1),
                        status="realisee", offers=("t:o-new",))
    bundle = _ardeche(offers=(created,), responses=(response,))
    (followed,) = follow(bundle, region="reg:84", session=SESSION)
    effect = followed.effect
    assert effect is not None
    assert (effect.before_on, effect.after_on) == (dt.date(2025, 3, 31), dt.date(2025, 12, 1))
    assert (effect.cells, effect.gaps_before, effect.gaps_after) == (1, 1, 0)
    assert effect.closed == (("dep:07", "dialogue_social", "conseil"),)
    assert effect.needs_since == 5  # April to August: five associations, published
    # The same response that names an offer not yet open on the day: no effect yet.
    later = attrs.evolve(created, valid_from=dt.date(2026, 1, 1))
    (pending,) = follow(_ardeche(offers=(later,), responses=(response,)), region="reg:84",
                        session=SESSION)
    assert pending.effect is not None and pending.effect.closed == ()
    # Too few associations since: secrecy.
    early = attrs.evolve(response, started_on=dt.date(2025, 7, 1))
    (hidden,) = follow(_ardeche(offers=(created,), responses=(early,)), region="reg:84",
                       session=SESSION)
    assert hidden.effect is not None and hidden.effect.needs_since is None


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), obj=make_session(load=[]))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.stdout, result.stderr


def test_plan_decide_then_status(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    write_bundle(_ardeche(), path)
    code, out, _ = _invoke("plan", str(path), "--region", "reg:84", "--lang", "en")
    assert code == 0
    assert out.splitlines()[2].startswith("1. Social dialogue · Advice · 07 Ardèche — ")
    assert "   - UDES [t:udes] (present at another stage, attends the meetings)" in out
    code, _, err = _invoke("plan", str(path), "--region", "reg:84", "--decide", "1",
                           "--meeting", "t:cofil", "--on", "2025-02-01", "--lang", "fr")
    assert code == 0 and err.startswith(
        f"enregistré dans {path} : réponse t:reponse-1 décidée")
    data = json.loads(path.read_text("utf-8"))
    assert data["format_version"] == "1.1.0"
    assert data["responses"] == [{
        "id": "t:reponse-1", "title": "Dialogue social (Conseil) — 07 Ardèche",
        "themes": ["dialogue_social"], "stages": ["conseil"], "territories": ["dep:07"],
        "actors": ["t:udes"], "meeting": "t:cofil", "decided_on": "2025-02-01",
        "status": "decidee", "visibility": "public"}]
    code, out, _ = _invoke("plan", "status", str(path), "--region", "reg:84", "--lang", "fr")
    assert code == 0
    assert out.splitlines()[2:4] == [
        "[Décidée] Dialogue social (Conseil) — 07 Ardèche (t:reponse-1)",
        "   Dialogue social · Conseil · 07 Ardèche"]
    code, out, _ = _invoke("plan", str(path), "--region", "reg:84", "--format", "json")
    assert json.loads(out)["candidates"][0]["responses"] == ["t:reponse-1"]


def test_plan_options_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    write_bundle(_ardeche(), path)
    code, _, err = _invoke("plan", str(path), "--title", "x")
    assert code == 2 and "give --decide RANK" in err
    code, _, err = _invoke("plan", str(path), "--region", "reg:84", "--decide", "9")
    assert code == 2 and "there is 1 candidate" in err
    code, _, err = _invoke("plan", "--db", str(tmp_path / "s.db"), "--decide", "1")
    assert code == 2 and "--decide writes into a BUNDLE file" in err


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_plan_on_the_sample_proposes_its_deliberate_gap(lang: str) -> None:
    from pmae.sample import load_sample

    proposed = plan(load_sample(), session=SESSION)
    pairs = {(c.territory, c.theme): c for c in proposed.candidates}
    drome = pairs[("dep:26", "dialogue_social")]
    assert "conseil" in drome.stages and drome.carriers


def test_a_region_may_require_a_response_decided_each_year() -> None:
    from pmae.analysis.programme import check_programme, parse_rules
    from pmae.render.programme import describe_programme

    rules, issues = parse_rules({"rules": [
        {"code": "reponse-count", "check": "response-count", "min": 1,
         "label_fr": "Réponses collectives décidées", "label_en": "Collective responses decided"},
    ]})
    assert issues == [] and rules is not None
    decided = Response(id="t:r1", title="r", themes=("dialogue_social",),
                       decided_on=dt.date(2025, 11, 20), status="abandonnee")
    considered = Response(id="t:r2", title="r", decided_on=dt.date(2025, 3, 1))
    last_year = Response(id="t:r3", title="r", decided_on=dt.date(2024, 3, 1), status="decidee")

    def outcome(*responses: Response) -> tuple[bool, str, str]:
        check = check_programme(_ardeche(responses=responses), 2025, rules,
                                today=dt.date(2026, 1, 5))
        (result,) = [r for r in describe_programme(check, lang="fr", session=SESSION).results
                     if r.code == "reponse-count"]
        return result.met, result.found, result.message

    # Decided in 2025, then abandoned: it was decided that year.
    assert outcome(decided, considered, last_year) == (
        True, "1", "réponses collectives décidées en 2025 : 1 (t:r1)")
    assert outcome(considered, last_year) == (
        False, "0", "réponses collectives décidées en 2025 : 0")
    bad, found = parse_rules({"rules": [{"code": "x", "check": "response-count", "min": 1,
                                         "meeting_kind": "cofil", "label_fr": "x",
                                         "label_en": "x"}]})
    assert bad is None and [i.code for i in found] == ["rule-parameter-not-used"]


def test_the_report_has_an_action_plan_and_a_practices_page(tmp_path: Path) -> None:
    from pmae.render.report import build_report
    from pmae.sample import load_sample

    sample = load_sample()
    hidden = attrs.evolve(sample.practices[0], id="pmae-ra:pratique-privee", title="Secrète",
                          visibility="private")
    bundle = sample.with_collections({"practices": (*sample.practices, hidden)})
    result = build_report(bundle, tmp_path / "site", session=SESSION)
    assert {"plan.html", "pratiques.html"} <= set(result.pages)
    plan_page = (tmp_path / "site" / "plan.html").read_text("utf-8")
    assert '<a href="plan.html" aria-current="page">Plan d&#39;action</a>' in plan_page
    assert "<h2>Réalisée (1)</h2>" in plan_page
    assert ("<li>effet : zones blanches 1 → 0 sur 2 cases (avant le 31 décembre 2024, au "
            "1er décembre 2025)</li><li>comblées : Mutualisation · Formation · 26 Drôme</li>"
            in plan_page)
    practices = (tmp_path / "site" / "pratiques.html").read_text("utf-8")
    assert '<h2 id="theme-dialogue_social">Dialogue social</h2>' in practices
    assert "Secrète" not in practices  # the public report leaves the private practice out
    index = (tmp_path / "site" / "index.html").read_text("utf-8")
    assert '<a href="pratiques.html">Pratiques</a>' in index


def test_plan_reads_a_store_as_it_reads_the_bundle(tmp_path: Path) -> None:
    from pmae.sample import sample_bytes
    from pmae.store import open_store

    path = tmp_path / "sample.json"
    path.write_bytes(sample_bytes())
    db = tmp_path / "s.db"
    with open_store(db, create=True, session=SESSION) as store:
        store.publish(path)
    for command in (["plan", "--top", "20", "--lang", "fr"], ["plan", "status", "--lang", "fr"]):
        from_bundle = _invoke(*command, str(path))
        from_store = _invoke(*command, "--db", str(db))
        assert from_bundle[:2] == from_store[:2] and from_bundle[0] == 0
    assert "comblées : Mutualisation · Formation · 26 Drôme" in from_store[1]
