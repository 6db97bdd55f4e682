"""The cooperation analyses and their outputs honour the session they are given, and the
default session when they are given none (never pmae's core vocabularies alone)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

import pmae
import pmae.sessions
from pmae.analysis.attendance import attendance
from pmae.analysis.programme import check_programme, default_year, parse_rules
from pmae.analysis.summary import summarize
from pmae.model import Actor, Bundle, Meeting, Registration
from pmae.plugins import VocabularyExtension, hookimpl
from pmae.render.attendance import attendance_text
from pmae.render.programme import describe_programme, programme_text
from pmae.render.report import build_report
from pmae.render.sheets import build_sheet
from pmae.render.summary import summary_text
from pmae.sample import load_sample
from pmae.sessions import Session
from pmae.vocab import Term

FORUM = "savoie:forum"
TIERS_LIEU = "savoie:tiers_lieu"


class Savoie:
    """A region's plugin: a meeting kind and an actor type of its own."""

    @hookimpl
    def pmae_register_vocabularies(self, register: Callable[[VocabularyExtension], None],
                                   ) -> None:
        register(VocabularyExtension(vocabulary="meeting_kinds", namespace="savoie", terms=(
            Term(code=FORUM, label_fr="Forum savoyard", label_en="Savoy forum"),)))
        register(VocabularyExtension(vocabulary="actor_types", namespace="savoie", terms=(
            Term(code=TIERS_LIEU, label_fr="Tiers-lieu savoyard",
                 label_en="Savoy third place"),)))


@pytest.fixture(scope="module")
def savoie() -> Session:
    return pmae.make_session(load=[], plugins=[Savoie()])


@pytest.fixture(scope="module")
def bundle() -> Bundle:
    """The sample, with a Savoy forum in 2025 attended by a Savoy third place."""
    sample = load_sample()
    first = sample.meetings[0]
    forum = Meeting(id="pmae-ra:forum-2025", kind=FORUM, title="Forum des tiers-lieux",
                    start=dt.datetime(2025, 10, 2, 9, tzinfo=first.start.tzinfo),
                    end=dt.datetime(2025, 10, 2, 12, tzinfo=first.start.tzinfo),
                    status="tenue",
                    registrations=(Registration(actor="pmae-ra:tl-chambery", attended=True),))
    place = Actor(id="pmae-ra:tl-chambery", name="Tiers-lieu de Chambéry",
                  actor_type=TIERS_LIEU, commune="com:73065")
    return attrs.evolve(sample, actors=(*sample.actors, place),
                        meetings=(*sample.meetings, forum))


RULES, _ = parse_rules({"defaults": False, "rules": [{
    "code": "savoie-forum", "check": "meeting-count", "meeting_kind": FORUM, "min": 1,
    "label_fr": "Un forum savoyard", "label_en": "A Savoy forum"}]})


def test_the_session_is_valid_with_the_plugin(savoie: Session, bundle: Bundle) -> None:
    # The test bundle is one a region with the plugin publishes: valid for its session only.
    assert savoie.validate_bundle(bundle).ok
    assert not pmae.make_session(load=[]).validate_bundle(bundle).ok


def test_programme_text_labels_the_plugin_meeting_kind(savoie: Session, bundle: Bundle) -> None:
    assert RULES is not None
    check = check_programme(bundle, 2025, RULES, today=dt.date(2026, 1, 15))
    assert [(o.rule.code, o.met, o.counted) for o in check.outcomes] == [
        ("savoie-forum", True, ("pmae-ra:forum-2025",))]
    text = programme_text(describe_programme(check, session=savoie))
    assert "    réunions de type « Forum savoyard » comptées en 2025 : 1\n" in text
    # The session's language is the default language.
    english = programme_text(describe_programme(check, session=savoie.evolve(lang="en")))
    assert "    meetings of kind “Savoy forum” counted in 2025: 1\n" in english
    # Without the plugin the code is shown as it is.
    core = programme_text(describe_programme(check, session=pmae.make_session(load=[])))
    assert "« savoie:forum »" in core


def test_the_session_reference_date(bundle: Bundle) -> None:
    empty = attrs.evolve(bundle, meetings=(), programmes=())
    assert default_year(empty, session=pmae.make_session(load=[], as_of="2031-05-01")) == 2031
    planned = attrs.evolve(bundle, meetings=tuple(
        attrs.evolve(m, status="prevue") if m.kind == FORUM else m for m in bundle.meetings))
    assert RULES is not None
    during = pmae.make_session(load=[], as_of="2025-12-31")
    after = pmae.make_session(load=[], as_of="2026-01-15")
    assert check_programme(planned, 2025, RULES, session=during).met is True
    assert check_programme(planned, 2025, RULES, session=after).met is False


def test_attendance_and_summary_text_label_the_plugin_actor_type(
    savoie: Session, bundle: Bundle,
) -> None:
    figures = attendance(bundle, years=[2025], session=savoie)
    assert figures.actors["pmae-ra:tl-chambery"].departement == "dep:73"
    text = attendance_text(figures, session=savoie)
    assert "Tiers-lieu savoyard" in text
    assert "Savoy third place" in attendance_text(figures, session=savoie.evolve(lang="en"))
    assert TIERS_LIEU in attendance_text(figures, session=pmae.make_session(load=[]))
    summary = summary_text(summarize(bundle, session=savoie), session=savoie)
    assert "Forum savoyard" in summary and "Tiers-lieu savoyard" in summary


def _report(bundle: Bundle, folder: Path, session: Session | None) -> str:
    # The sample's date: the meetings page lists the meetings of the reference year.
    result = build_report(bundle, folder, session=session, today=dt.date(2025, 12, 1))
    pages = ("rencontres.html", "annuaire.html")
    return "".join((result.path / page).read_text(encoding="utf-8") for page in pages)


def test_the_report_labels_the_plugin_codes(savoie: Session, bundle: Bundle,
                                            tmp_path: Path) -> None:
    pages = _report(bundle, tmp_path / "savoie", savoie)
    assert "<td>Forum savoyard</td>" in pages
    assert "Tiers-lieu savoyard" in pages
    core = _report(bundle, tmp_path / "core", pmae.make_session(load=[]))
    assert "<td>savoie:forum</td>" in core and "Forum savoyard" not in core


def test_without_session_the_default_session_is_used(
    savoie: Session, bundle: Bundle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The default session is the process's; here it is the one with the plugin, in English.
    monkeypatch.setattr(pmae.sessions, "_default", lambda: savoie.evolve(lang="en"))
    assert pmae.session().lang == "en"
    assert RULES is not None
    check = check_programme(bundle, 2025, RULES, today=dt.date(2026, 1, 15))
    assert "meetings of kind “Savoy forum” counted in 2025: 1" in programme_text(
        describe_programme(check))
    figures = attendance(bundle, years=[2025])
    assert figures.actors["pmae-ra:tl-chambery"].departement == "dep:73"
    assert "Savoy third place" in attendance_text(figures)
    assert "Savoy third place" in summary_text(summarize(bundle))
    pages = _report(bundle, tmp_path / "default", None)
    assert "<td>Savoy forum</td>" in pages and 'lang="en"' in pages
    sheet = build_sheet(bundle, "formation_pro", today=dt.date(2025, 12, 1))
    assert (sheet.lang, sheet.title) == ("en", "Les ESSentiels — Vocational training")


def test_the_summary_writes_the_meetings_dates_the_language_s_way() -> None:
    summary = summarize(load_sample())
    french = summary_text(summary, lang="fr")
    english = summary_text(summary, lang="en")
    assert "  6 février 2025 — COFIL n° 1 : bilan 2024 et programme 2025\n" in french
    assert "  6 February 2025 — COFIL n° 1 : bilan 2024 et programme 2025\n" in english
    assert "2025-02-06" not in french + english
