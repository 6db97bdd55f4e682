"""Running a diagnostic tool honours the session: a questionnaire whose themes a plugin adds is
accepted and its needs labelled with the session's vocabularies, not the core's alone."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

import pmae.sessions
from pmae.analysis.diagnosing import questionnaire_of, run_tool
from pmae.default_plugins.reference_diagnostics import reference_questionnaire
from pmae.diagnostics import QuestionnaireError
from pmae.plugins import hookimpl
from pmae.plugins.items import DiagnosticTool, VocabularyExtension
from pmae.render.diagnosing import blank_csv, render_evaluation
from pmae.sessions import Session, make_session
from pmae.vocab import Term


def _tiers_lieux_questionnaire() -> dict[str, Any]:
    """The economic early warning, its cash dimension about tiers-lieux."""
    data = copy.deepcopy(dict(reference_questionnaire("vigilance-economique")))
    data["id"] = "test-vigie"
    cash = data["dimensions"][0]
    cash["themes"] = ["test:tiers_lieux"]
    for question in cash["questions"]:
        question["themes"] = ["test:tiers_lieux"]
    return data


TOOL = DiagnosticTool(name="test-vigie", title="Vigie", version="1.0",
                      questionnaire=_tiers_lieux_questionnaire())


class TiersLieuxPlugin:
    """An in-test plugin that adds the theme ``test:tiers_lieux``."""

    @hookimpl
    def pmae_register_vocabularies(self, register: Callable[[object], None]) -> None:
        register(VocabularyExtension(vocabulary="themes", namespace="test", terms=(
            Term(code="test:tiers_lieux", label_fr="Tiers-lieux", label_en="Third places"),)))


@pytest.fixture(scope="module")
def tiers_lieux_session() -> Session:
    return make_session(load=[], plugins=[TiersLieuxPlugin()])


def _need_lines(text: str) -> list[str]:
    lines = text.splitlines()
    return lines[lines.index("Besoins" if "Besoins" in lines else "Needs") + 1:]


def test_the_sessions_theme_is_known_and_labelled(tiers_lieux_session: Session) -> None:
    questionnaire = questionnaire_of(TOOL, session=tiers_lieux_session)
    evaluation = run_tool(TOOL, {"C1.1": 0, "C1.2": "oui"}, session=tiers_lieux_session)
    assert [need.theme for need in evaluation.needs] == ["test:tiers_lieux"]
    text = render_evaluation(evaluation, questionnaire, session=tiers_lieux_session)
    assert _need_lines(text)[0].startswith("  1. Tiers-lieux — priorité ")
    english = tiers_lieux_session.evolve(lang="en")
    assert _need_lines(render_evaluation(evaluation, questionnaire, session=english))[0] \
        .startswith("  1. Third places — priority ")
    assert blank_csv(questionnaire, session=english).splitlines()[1] == (
        "C1.1,,How many months of expenses does the available cash cover?")
    # The core alone does not know the theme: the questionnaire is refused.
    with pytest.raises(QuestionnaireError, match="test:tiers_lieux"):
        questionnaire_of(TOOL, session=make_session(load=[]))


def test_without_session_the_default_session_is_used(
    tiers_lieux_session: Session, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pmae.sessions, "_default", lambda: tiers_lieux_session)
    questionnaire = questionnaire_of(TOOL)
    evaluation = run_tool(TOOL, {"C1.1": 0, "C1.2": "oui"})
    assert _need_lines(render_evaluation(evaluation, questionnaire))[0].startswith(
        "  1. Tiers-lieux — priorité ")
