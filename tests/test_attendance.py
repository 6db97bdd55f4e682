"""Attendance and interconnaissance: exact figures by hand, on the sample, against brute force."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from pmae.analysis.attendance import (
    UNKNOWN,
    ActorAttendance,
    Group,
    LapsedActor,
    YearAttendance,
    attendance,
)
from pmae.analysis.complementarity import complementarity
from pmae.analysis.summary import actor_departement
from pmae.cli.attendance import attendance_command
from pmae.io.bundles import write_bundle
from pmae.model import Actor, Bundle, Meeting, Offer, Registration, Source, Speaker
from pmae.render.attendance import attendance_csv, attendance_text
from pmae.sample import load_sample
from pmae.territories import core_territories

TERRITORIES = core_territories()


def _at(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime(year, month, day, 9, tzinfo=dt.UTC)


def _meeting(local: str, start: dt.datetime, registrations: Sequence[Registration], *,
             status: str = "tenue", speakers: Sequence[Speaker] = ()) -> Meeting:
    return Meeting(id=f"t:{local}", kind="cofil", title=f"Réunion {local}", start=start,
                   end=start + dt.timedelta(hours=3), status=status,
                   registrations=tuple(registrations), speakers=tuple(speakers))


def _reg(actor: str, attended: bool | None, participants: int = 1) -> Registration:
    return Registration(actor=f"t:{actor}", attended=attended, participants=participants)


def _offer(local: str, actor: str, stage: str, territory: str) -> Offer:
    return Offer(id=f"t:{local}", actor=f"t:{actor}", title=local, themes=("recrutement",),
                 stages=(stage,), territories=(territory,))


def hand_bundle() -> Bundle:
    """Five actors, two years, a cancelled meeting, a double registration, three offers."""
    actors = (
        Actor(id="t:a", name="A", actor_type="coordination_associative", territories=("reg:84",)),
        Actor(id="t:b", name="B", actor_type="dla_departemental", territories=("dep:69",)),
        Actor(id="t:c", name="C", actor_type="maison_des_associations", commune="com:38185"),
        Actor(id="t:d", name="D", actor_type="service_etat", territories=("dep:69",)),
        Actor(id="t:e", name="E", actor_type="dla_departemental", territories=("dep:69",)),
    )
    meetings = (
        _meeting("m4", _at(2025, 9, 1), [_reg("a", True), _reg("c", True, 2),
                                         _reg("c", False), _reg("b", True)]),
        _meeting("m1", _at(2024, 3, 1), [_reg("a", True, 2), _reg("b", False), _reg("e", True)]),
        _meeting("m2", _at(2025, 2, 1), [_reg("a", True), _reg("b", True, 3), _reg("c", None),
                                         _reg("d", False)],
                 speakers=(Speaker(actor="t:c", organisation="C"),)),
        _meeting("m3", _at(2025, 5, 1), [_reg("a", True), _reg("b", True)], status="annulee"),
    )
    offers = (_offer("o1", "a", "information", "reg:84"), _offer("o2", "b", "conseil", "dep:69"),
              _offer("o3", "d", "formation", "dep:69"))
    return Bundle(source=Source(slug="t", name="Test"), generated_at=_at(2025, 12, 1),
                  actors=actors, offers=offers, meetings=meetings)


# --- exact figures by hand -------------------------------------------------------------------


def test_hand_made_figures_over_every_year() -> None:
    figures = attendance(hand_bundle())
    assert figures.years == (2024, 2025)
    assert figures.latest_year == 2025
    assert figures.cancelled == 1
    assert [m.meeting for m in figures.meetings] == ["t:m1", "t:m2", "t:m4"]
    assert figures.actors["t:a"] == ActorAttendance(
        actor="t:a", name="A", actor_type="coordination_associative", departement="*",
        registered=3, attended=3, participants=4, first_attended=dt.date(2024, 3, 1),
        last_attended=dt.date(2025, 9, 1))
    assert figures.actors["t:b"] == ActorAttendance(
        actor="t:b", name="B", actor_type="dla_departemental", departement="dep:69",
        registered=3, attended=2, no_shows=1, participants=4,
        first_attended=dt.date(2025, 2, 1), last_attended=dt.date(2025, 9, 1))
    # Registered twice to m4 (present, then absent): present once, participants summed.
    assert figures.actors["t:c"] == ActorAttendance(
        actor="t:c", name="C", actor_type="maison_des_associations", departement="dep:38",
        registered=2, attended=1, unknown=1, participants=3, spoke=1,
        first_attended=dt.date(2025, 9, 1), last_attended=dt.date(2025, 9, 1))
    assert figures.actors["t:d"] == ActorAttendance(
        actor="t:d", name="D", actor_type="service_etat", departement="dep:69",
        registered=1, no_shows=1)
    assert list(figures.actors) == ["t:a", "t:b", "t:c", "t:d", "t:e"]
    assert figures.by_type["dla_departemental"] == Group(
        actors=2, present=2, registered=4, attended=3, no_shows=1, participants=5)
    assert figures.by_departement == {
        "*": Group(actors=1, present=1, registered=3, attended=3, participants=4),
        "dep:38": Group(actors=1, present=1, registered=2, attended=1, unknown=1,
                        participants=3),
        "dep:69": Group(actors=3, present=2, registered=5, attended=3, no_shows=2,
                        participants=5),
    }
    assert figures.by_year == {
        2024: YearAttendance(year=2024, meetings=1, present=2, registered=3, attended=2,
                             no_shows=1, participants=3),
        2025: YearAttendance(year=2025, meetings=2, present=3, registered=7, attended=5,
                             no_shows=1, unknown=1, participants=9),
    }
    assert figures.totals() == {"meetings": 3, "cancelled": 1, "registered": 10, "attended": 7,
                                "no_shows": 2, "unknown": 1, "participants": 12}
    assert [a.actor for a in figures.absent()] == ["t:d"]
    assert figures.lapsed() == (
        LapsedActor(actor="t:e", name="E", last_attended=dt.date(2024, 3, 1)),)
    assert figures.co_attendance() == {("t:a", "t:b"): 2, ("t:a", "t:c"): 1, ("t:a", "t:e"): 1,
                                       ("t:b", "t:c"): 1}
    assert [(e.a, e.b) for e in figures.complementary] == [
        ("t:a", "t:b"), ("t:a", "t:d"), ("t:b", "t:d")]
    assert [(e.a, e.b) for e in figures.never_met_complementary()] == [
        ("t:a", "t:d"), ("t:b", "t:d")]


def test_hand_made_diversity() -> None:
    m1, m2, m4 = attendance(hand_bundle()).meetings
    assert (m2.registered, m2.present, m2.no_shows, m2.unknown, m2.participants) == (
        4, ("t:a", "t:b"), 1, 1, 4)
    assert m4.types == {"coordination_associative": 1, "dla_departemental": 1,
                        "maison_des_associations": 1}
    assert m4.departements == {"*": 1, "dep:38": 1, "dep:69": 1}
    assert (m4.type_count, m4.departement_count) == (3, 2)
    assert m4.shannon == pytest.approx(math.log(3))
    assert m1.types == {"coordination_associative": 1, "dla_departemental": 1}
    assert m1.shannon == pytest.approx(math.log(2))
    single = attendance(hand_bundle(), years=[2025]).meetings[0]
    assert single.shannon == pytest.approx(math.log(2))


def test_one_year_keeps_earlier_years_for_lapsed() -> None:
    figures = attendance(hand_bundle(), years=[2025])
    assert figures.years == (2025,)
    assert [a.actor for a in figures.absent()] == ["t:d", "t:e"]
    assert [r.actor for r in figures.lapsed()] == ["t:e"]
    assert figures.co_attendance() == {("t:a", "t:b"): 2, ("t:a", "t:c"): 1, ("t:b", "t:c"): 1}
    assert attendance(hand_bundle(), years=[2024]).lapsed() == ()
    empty = attendance(hand_bundle(), years=[2030])
    assert (empty.meetings, empty.latest_year, len(empty.absent())) == ((), 2030, 5)
    with pytest.raises(ValueError, match="at least one year"):
        attendance(hand_bundle(), years=[])


def test_renderings_of_the_hand_bundle() -> None:
    figures = attendance(hand_bundle())
    text = attendance_text(figures, graph=True)
    assert "10 inscriptions : 7 présences, 2 absences, 1 présence inconnue ; 12 personnes" in text
    assert "  D — Service de l'État, 69 Rhône : inscrit à 1 réunion, jamais venu" in text
    assert "  E — dernière présence le 1er mars 2024" in text
    assert "  A — B : 2 réunions en commun" in text
    assert "Acteurs complémentaires qui ne se sont jamais rencontrés (2)" in text
    english = attendance_text(figures, "en", graph=True)
    assert "  D — State service, 69 Rhône: registered to 1 meeting, never came" in english
    assert "en commun" not in attendance_text(figures)
    with pytest.raises(ValueError, match="unknown language"):
        attendance_text(figures, "de")
    data = figures.to_json()
    assert data["absent"] == ["t:d"]
    assert data["lapsed"] == [{"actor": "t:e", "name": "E", "last_attended": "2024-03-01"}]
    assert data["meetings"][2]["shannon"] == round(math.log(3), 4)
    buffer = io.StringIO()
    attendance_csv(figures, buffer)
    assert buffer.getvalue().splitlines()[:2] == [
        "actor,name,actor_type,departement,registered,attended,no_shows,unknown,participants,"
        "spoke,first_attended,last_attended",
        "t:a,A,coordination_associative,*,3,3,0,0,4,0,2024-03-01,2025-09-01"]


# --- the sample ------------------------------------------------------------------------------


def test_the_sample() -> None:
    figures = attendance(load_sample())
    assert figures.years == (2025,)
    assert figures.totals() == {"meetings": 6, "cancelled": 0, "registered": 114,
                                "attended": 94, "no_shows": 20, "unknown": 0,
                                "participants": 147}
    assert [a.actor for a in figures.absent()] == [
        "pmae-ra:departement-38", "pmae-ra:pa-bresse", "pmae-ra:pa-drome-provencale",
        "pmae-ra:sdjes-26"]
    assert figures.actors["pmae-ra:departement-38"].no_shows == 3
    assert figures.actors["pmae-ra:pa-bresse"].registered == 0
    assert figures.lapsed() == ()
    never = {(e.a, e.b) for e in figures.never_met_complementary()}
    assert ("pmae-ra:drajes-aura", "pmae-ra:sdjes-69") in never
    assert all(pair not in figures.co_attendance() for pair in never)


# --- against brute force ---------------------------------------------------------------------

_TYPES = ("dla_departemental", "maison_des_associations", "service_etat")
_PLACES = (("dep:69",), ("dep:38",), ("reg:84",), ("dep:69", "dep:38"), ())
_IDS = tuple(f"t:{c}" for c in "abcde")


@st.composite
def random_bundles(draw: st.DrawFn) -> Bundle:
    count = draw(st.integers(1, len(_IDS)))
    actors = tuple(Actor(id=_IDS[i], name=f"Acteur {i}", actor_type=draw(st.sampled_from(_TYPES)),
                         territories=draw(st.sampled_from(_PLACES)),
                         commune=draw(st.sampled_from((None, "com:69123"))))
                   for i in range(count))
    # Registrations may name an actor the bundle does not hold ("t:e" when count < 5).
    registration = st.builds(Registration, actor=st.sampled_from(_IDS),
                             participants=st.integers(1, 4),
                             attended=st.sampled_from((True, False, None)))
    meetings = tuple(
        _meeting(f"m{i}", _at(draw(st.integers(2023, 2025)), draw(st.integers(1, 12)), 1),
                 draw(st.lists(registration, max_size=6)),
                 status=draw(st.sampled_from(("tenue", "tenue", "prevue", "annulee"))),
                 speakers=tuple(Speaker(actor=a) for a in draw(st.lists(
                     st.sampled_from(_IDS), max_size=2))))
        for i in range(draw(st.integers(0, 5))))
    offers = tuple(
        Offer(id=f"t:o{i}", actor=draw(st.sampled_from(_IDS[:count])), title="offre",
              themes=(draw(st.sampled_from(("recrutement", "recrutement", "paie_declarations"))),),
              stages=tuple(draw(st.sets(st.sampled_from(("information", "conseil", "formation")),
                                        min_size=1))),
              territories=draw(st.sampled_from(_PLACES[:4])))
        for i in range(draw(st.integers(0, 5))))
    return Bundle(source=Source(slug="t", name="Test"), generated_at=_at(2025, 12, 1),
                  actors=actors, offers=offers, meetings=meetings)


def _state(meeting: Meeting, actor: str) -> str | None:
    """'present', 'absent', 'unknown', or None when not registered (brute force)."""
    answers = [r.attended for r in meeting.registrations if r.actor == actor]
    if not answers:
        return None
    if True in answers:
        return "present"
    return "absent" if False in answers else "unknown"


@given(bundle=random_bundles(), years=st.one_of(
    st.none(), st.sets(st.integers(2022, 2025), min_size=1).map(sorted)))
def test_figures_agree_with_a_brute_force_count(bundle: Bundle, years: list[int] | None) -> None:
    figures = attendance(bundle, years=years, territories=TERRITORIES)
    held = [m for m in bundle.meetings if m.status != "annulee"]
    chosen = set(years) if years is not None else {m.start.year for m in held}
    period = [m for m in held if m.start.year in chosen]
    known = {a.id: a for a in bundle.actors}
    ids = set(known) | {r.actor for m in period for r in m.registrations} | {
        s.actor for m in period for s in m.speakers if s.actor}
    assert set(figures.actors) == ids
    expected_rows = {}
    for actor in ids:
        states = [(m, _state(m, actor)) for m in period]
        present = [m for m, s in states if s == "present"]
        days = [m.start.date() for m in present]
        expected_rows[actor] = {
            "registered": sum(1 for _, s in states if s is not None),
            "attended": len(present),
            "no_shows": sum(1 for _, s in states if s == "absent"),
            "unknown": sum(1 for _, s in states if s == "unknown"),
            "participants": sum(r.participants for m in present for r in m.registrations
                                if r.actor == actor),
            "spoke": sum(1 for m in period if any(s.actor == actor for s in m.speakers)),
            "first_attended": min(days, default=None), "last_attended": max(days, default=None),
        }
        row = figures.actors[actor]
        assert {k: getattr(row, k) for k in expected_rows[actor]} == expected_rows[actor]
    type_of = {a: known[a].actor_type if a in known else UNKNOWN for a in ids}
    dep_of = {a: actor_departement(known[a], TERRITORIES) if a in known else UNKNOWN for a in ids}
    measures = ("registered", "attended", "no_shows", "unknown", "participants")
    for key_of, groups in ((type_of, figures.by_type), (dep_of, figures.by_departement)):
        assert set(groups) == set(key_of.values())
        for key, group in groups.items():
            members = [a for a in ids if key_of[a] == key]
            assert group.actors == len(members)
            assert group.present == sum(1 for a in members if expected_rows[a]["attended"])
            for name in measures:
                assert getattr(group, name) == sum(expected_rows[a][name] for a in members)
    for year, row in figures.by_year.items():
        of_year = [m for m in period if m.start.year == year]
        assert row.meetings == len(of_year)
        assert row.present == len({r.actor for m in of_year for r in m.registrations
                                   if _state(m, r.actor) == "present"})
        assert row.attended == sum(len({r.actor for r in m.registrations
                                        if _state(m, r.actor) == "present"}) for m in of_year)
    assert sorted(figures.by_year) == sorted(chosen)
    # Who met whom.
    pairs = {}
    for a in sorted(ids):
        for b in sorted(ids):
            if a < b:
                n = sum(1 for m in period if _state(m, a) == _state(m, b) == "present")
                if n:
                    pairs[(a, b)] = n
    assert dict(figures.co_attendance()) == pairs
    edges = complementarity(bundle, territories=TERRITORIES).of_kind("complementaire")
    assert [(e.a, e.b) for e in figures.never_met_complementary()] == [
        (e.a, e.b) for e in edges if (e.a, e.b) not in pairs]
    # Absent and lapsed.
    assert {a.actor for a in figures.absent()} == {
        a for a in known if not expected_rows[a]["attended"]}
    latest = max(chosen, default=None)
    lapsed = {}
    for actor in {r.actor for m in held for r in m.registrations}:
        before = [m.start.date() for m in held if latest is not None
                  and m.start.year < latest and _state(m, actor) == "present"]
        now = [m for m in held if m.start.year == latest and _state(m, actor) == "present"]
        if before and not now:
            lapsed[actor] = max(before)
    assert {r.actor: r.last_attended for r in figures.lapsed()} == lapsed
    # Diversity.
    for meeting, row in zip(sorted(period, key=lambda m: (m.start, m.id)), figures.meetings,
                            strict=True):
        present = sorted({r.actor for r in meeting.registrations
                          if _state(meeting, r.actor) == "present"})
        assert row.present == tuple(present)
        shares = [sum(1 for a in present if type_of[a] == t) / len(present)
                  for t in {type_of[a] for a in present}]
        assert row.type_count == len(shares)
        assert row.shannon == pytest.approx(-sum(p * math.log(p) for p in shares))
        assert row.departement_count == len({dep_of[a] for a in present} - {"*", UNKNOWN})


# --- the command -----------------------------------------------------------------------------


@pytest.fixture
def hand_file(tmp_path: Path) -> Path:
    path = tmp_path / "bundle.json"
    write_bundle(hand_bundle(), path)
    return path


def test_command_text(hand_file: Path) -> None:
    result = CliRunner().invoke(attendance_command, [str(hand_file), "--graph", "--lang", "fr"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Participation aux réunions — 2024, 2025\n")
    assert "  A — B : 2 réunions en commun" in result.output
    english = CliRunner().invoke(attendance_command, [str(hand_file), "--lang", "en",
                                                      "--year", "2025"])
    assert english.output.startswith("Attendance at meetings — 2025\n")
    assert "Never present (2)" in english.output


def test_command_json(hand_file: Path) -> None:
    result = CliRunner().invoke(attendance_command, [str(hand_file), "--format", "json",
                                                     "--year", "2025", "--year", "2024"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["years"] == [2024, 2025]
    assert data["totals"]["attended"] == 7
    assert data["co_attendance"][0] == {"a": "t:a", "b": "t:b", "meetings": 2}
    assert [(p["a"], p["b"]) for p in data["never_met_complementary"]] == [
        ("t:a", "t:d"), ("t:b", "t:d")]


def test_command_csv(hand_file: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(attendance_command, [str(hand_file), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "t:e,E,dla_departemental,dep:69,1,1,0,0,1,0," \
                                             "2024-03-01,2024-03-01"
    out = tmp_path / "pairs.csv"
    result = CliRunner().invoke(attendance_command, [str(hand_file), "--format", "csv",
                                                     "--graph", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == (
        b"a,b,a_name,b_name,meetings,complementary\r\n"
        b"t:a,t:b,A,B,2,true\r\nt:a,t:c,A,C,1,false\r\nt:a,t:e,A,E,1,false\r\n"
        b"t:b,t:c,B,C,1,false\r\nt:a,t:d,A,D,0,true\r\nt:b,t:d,B,D,0,true\r\n")


def test_command_errors(hand_file: Path, tmp_path: Path) -> None:
    assert CliRunner().invoke(attendance_command, [str(hand_file), "--year", "x"]).exit_code == 2
    broken = tmp_path / "broken.json"
    broken.write_text('{"format_version": "1.0.0"}', encoding="utf-8")
    assert CliRunner().invoke(attendance_command, [str(broken)]).exit_code == 1
