"""pmae-diag-numerique, tested for real: the questionnaire through pmae's parser, golden cases of
the custom scoring against pmae's standard engine, and the tool found through the entry point by
pmae's plugin manager and command line.

Needs the distribution installed (``pip install -e plugins/pmae-diag-numerique[test]``): the entry
point is what makes pmae find the plugin.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pmae import Association
from pmae.cli import cli
from pmae.diagnostics import (
    NOT_ASSESSED,
    DerivedNeed,
    Evaluation,
    Questionnaire,
    evaluate,
    parse_questionnaire,
    to_records,
)
from pmae.plugins import make_plugin_manager
from pmae.plugins.manager import get_plugin_manager

import pmae_diag_numerique
from pmae_diag_numerique import score

# -- the questionnaire ---------------------------------------------------------------------------


def parsed(**needs: Any) -> Questionnaire:
    """The plugin's questionnaire, parsed; ``needs`` overrides its ``needs`` settings."""
    data = pmae_diag_numerique.questionnaire_data()
    data["needs"].update(needs)
    questionnaire, issues = parse_questionnaire(data)
    assert issues == []
    assert questionnaire is not None
    return questionnaire


TOOL = parsed()


def best(**changes: object) -> dict[str, object]:
    """Every question at its best answer, then ``changes``."""
    answers: dict[str, object] = {}
    for _, question in TOOL.questions():
        if question.kind == "choice":
            answers[question.id] = "automatique"
        elif question.kind == "number":
            answers[question.id] = 80
        else:
            answers[question.id] = 3
    answers.update(changes)
    return answers


def attrs_except(evaluation: Evaluation, *names: str) -> dict[str, object]:
    """The fields of an evaluation, but ``names``."""
    return {k: v for k, v in attrs.asdict(evaluation, recurse=False).items() if k not in names}


def test_the_questionnaire_parses_without_issues() -> None:
    questionnaire, issues = parse_questionnaire(pmae_diag_numerique.questionnaire_data())
    assert issues == []
    assert questionnaire is not None
    assert (questionnaire.id, questionnaire.version) == ("maturite-numerique", "1.0")
    assert [(d.id, d.themes, len(d.questions)) for d in questionnaire.dimensions] == [
        ("N1", ("numerique",), 5),
        ("N2", ("numerique",), 5),
        ("N3", ("formation_pro", "numerique"), 5),
        ("N4", ("communication", "numerique"), 4),
    ]
    assert [q.id for _, q in questionnaire.questions() if q.critical] == ["N2.1"]
    themes = {t for d, q in questionnaire.questions() for t in questionnaire.themes_of(q, d)}
    assert themes == {"numerique", "formation_pro", "communication", "organisation_management"}


# -- golden cases ---------------------------------------------------------------------------------


def test_all_best_is_plain_evaluate() -> None:
    answers = best()
    result = score(TOOL, answers)
    assert result == evaluate(TOOL, answers)
    assert result.scores == {"N1": 100.0, "N2": 100.0, "N3": 100.0, "N4": 100.0}
    assert result.needs == ()


def test_without_the_gate_the_result_is_plain_evaluate() -> None:
    # Mediocre everywhere, backups monthly, the GDPR record partly kept, N3 not fragile.
    answers = {qid: 1 for qid in best()} | {"N2.1": "mensuelle", "N2.2": 1, "N3.5": 30,
                                            "N3.1": 2, "N3.3": 2}
    expected = evaluate(TOOL, answers)
    # N2 at 6 / 15 = 40.0 is not under 40.
    assert expected.levels == {"N1": "fragile", "N2": "a_consolider", "N3": "a_consolider",
                               "N4": "fragile"}
    assert score(TOOL, answers) == expected


def test_the_gdpr_record_at_0_caps_the_security_dimension() -> None:
    answers = best(**{"N2.2": 0})
    plain = evaluate(TOOL, answers)
    assert (plain.scores["N2"], plain.levels["N2"]) == (80.0, "solide")
    assert plain.needs == (DerivedNeed(theme="numerique", stage="conseil", priority=2,
                                       intensity=6.0, reasons=("N2.2",)),)
    result = score(TOOL, answers)
    assert result.scores == {"N1": 100.0, "N2": 39.9, "N3": 100.0, "N4": 100.0}
    assert result.levels == {"N1": "solide", "N2": "fragile", "N3": "solide", "N4": "solide"}
    assert result.alerts == ()
    assert result.needs == (DerivedNeed(
        theme="numerique", stage="appui", priority=1, intensity=6.0,
        reasons=("securite:N2.2", "dimension:N2 fragile", "N2.2")),)
    # Nothing else moves.
    assert attrs_except(result, "scores", "levels", "needs") == attrs_except(
        plain, "scores", "levels", "needs")


def test_no_backup_caps_the_security_dimension() -> None:
    answers = best(**{"N2.1": "jamais"})
    plain = evaluate(TOOL, answers)
    assert (plain.scores["N2"], plain.levels["N2"], plain.alerts) == (80.0, "solide", ("N2.1",))
    assert plain.needs == (DerivedNeed(theme="numerique", stage="appui", priority=1,
                                       intensity=9.0, reasons=("alerte:N2.1", "N2.1")),)
    result = score(TOOL, answers)
    assert (result.scores["N2"], result.levels["N2"], result.alerts) == (39.9, "fragile",
                                                                         ("N2.1",))
    assert result.needs == (DerivedNeed(
        theme="numerique", stage="appui", priority=1, intensity=9.0,
        reasons=("alerte:N2.1", "securite:N2.1", "dimension:N2 fragile", "N2.1")),)


def test_both_triggers_and_a_score_already_under_the_cap() -> None:
    answers = best(**{"N2.1": "jamais", "N2.2": 0, "N2.3": 0, "N2.4": 1, "N2.5": 2})
    plain = evaluate(TOOL, answers)
    assert plain.needs == (DerivedNeed(
        theme="numerique", stage="appui", priority=1, intensity=23.0,
        reasons=("alerte:N2.1", "dimension:N2 fragile", "N2.1", "N2.2", "N2.3", "N2.4",
                 "N2.5")),)
    result = score(TOOL, answers)
    # 3 / 15 = 20.0: already under the cap, kept as it is.
    assert result.scores == {"N1": 100.0, "N2": 20.0, "N3": 100.0, "N4": 100.0}
    assert result.levels == plain.levels
    assert result.needs == (DerivedNeed(
        theme="numerique", stage="appui", priority=1, intensity=23.0,
        reasons=("alerte:N2.1", "securite:N2.1", "securite:N2.2", "dimension:N2 fragile",
                 "N2.1", "N2.2", "N2.3", "N2.4", "N2.5")),)


def test_a_dont_know_does_not_close_the_gate() -> None:
    answers = best(**{"N2.1": None, "N2.2": None})
    assert score(TOOL, answers) == evaluate(TOOL, answers)


def test_the_gate_on_an_unassessed_dimension_forces_the_need_only() -> None:
    # One answer of five: N2 is not assessed, so there is no score to cap.
    answers = {"N2.2": 0}
    result = score(TOOL, answers)
    assert result.scores == {}
    assert result.levels == {"N1": NOT_ASSESSED, "N2": NOT_ASSESSED, "N3": NOT_ASSESSED,
                             "N4": NOT_ASSESSED}
    assert evaluate(TOOL, answers).needs == (DerivedNeed(
        theme="numerique", stage="conseil", priority=2, intensity=6.0, reasons=("N2.2",)),)
    assert result.needs == (DerivedNeed(
        theme="numerique", stage="appui", priority=1, intensity=6.0,
        reasons=("securite:N2.2", "N2.2")),)


FRAGILE_TEAM = {"N3.1": 0, "N3.2": 1, "N3.3": 0, "N3.4": 1, "N3.5": 5}


def test_a_fragile_team_asks_for_training() -> None:
    answers = best(**FRAGILE_TEAM)
    plain = evaluate(TOOL, answers)
    # 2 / 15 = 13.3 %.
    assert (round(plain.scores["N3"], 1), plain.levels["N3"]) == (13.3, "fragile")
    assert plain.needs == (
        DerivedNeed(theme="formation_pro", stage="sensibilisation", priority=2, intensity=19.0,
                    reasons=("dimension:N3 fragile", "N3.1", "N3.2", "N3.3", "N3.4", "N3.5")),
        DerivedNeed(theme="numerique", stage="sensibilisation", priority=2, intensity=11.0,
                    reasons=("N3.1", "N3.2", "N3.5")),
    )
    result = score(TOOL, answers)
    assert result.needs == (
        DerivedNeed(theme="formation_pro", stage="formation", priority=2, intensity=19.0,
                    reasons=("dimension:N3 fragile", "N3.1", "N3.2", "N3.3", "N3.4", "N3.5")),
        plain.needs[1],
    )
    assert attrs_except(result, "needs") == attrs_except(plain, "needs")


def test_an_uneven_team_keeps_the_awareness_stage() -> None:
    answers = best(**{"N3.1": 1, "N3.3": 1, "N3.5": 30})
    result = score(TOOL, answers)
    assert result.levels["N3"] == "a_consolider"
    assert [(n.theme, n.stage) for n in result.needs] == [("formation_pro", "sensibilisation"),
                                                          ("numerique", "sensibilisation")]
    assert result == evaluate(TOOL, answers)


def test_both_rules_and_the_top_cut() -> None:
    answers = best(**FRAGILE_TEAM, **{"N2.2": 0})
    assert [(n.theme, n.stage, n.priority) for n in score(TOOL, answers).needs] == [
        ("numerique", "appui", 1), ("formation_pro", "formation", 2)]
    # With top 1, the forced need pushes the training need out.
    result = score(parsed(top=1), answers)
    assert [(n.theme, n.stage, n.priority, n.intensity) for n in result.needs] == [
        ("numerique", "appui", 1, 17.0)]
    assert (result.scores["N2"], result.levels["N2"]) == (39.9, "fragile")


def test_bad_answers_are_issues_never_a_crash() -> None:
    answers = best(**{"N2.1": "parfois", "N2.2": 7, "N9": 1})
    result = score(TOOL, answers)
    assert [(i.code, i.path) for i in result.issues] == [
        ("invalid-answer", "$.answers['N2.1']"),
        ("invalid-answer", "$.answers['N2.2']"),
        ("unknown-question", "$.answers.N9"),
    ]
    assert result == evaluate(TOOL, answers)


def test_records_carry_the_capped_score() -> None:
    association = Association(id="pana-oc:asso-1", name="La Ludothèque du Lauragais",
                              commune="com:31555", size_band="02", recipients=("pana-oc",))
    diagnosis, needs = to_records(score(TOOL, best(**{"N2.2": 0})), diagnosis_id="pana-oc:diag-1",
                                  association=association, date=dt.date(2025, 5, 6))
    assert (diagnosis.tool, diagnosis.tool_version) == ("maturite-numerique", "1.0")
    assert diagnosis.scores == {"N1": 100.0, "N2": 39.9, "N3": 100.0, "N4": 100.0}
    assert diagnosis.levels["N2"] == "fragile"
    assert [(n.id, n.theme, n.stage, n.priority) for n in needs] == [
        ("pana-oc:diag-1-besoin-1", "numerique", "appui", 1)]


# -- properties -----------------------------------------------------------------------------------


def answer_for(question: Any) -> st.SearchStrategy[object]:
    """A valid answer, or "ne sait pas", for one question."""
    if question.kind == "choice":
        valid: st.SearchStrategy[object] = st.sampled_from([c.value for c in question.choices])
    elif question.kind == "number":
        valid = st.floats(min_value=0, max_value=100) | st.integers(0, 100)
    else:
        valid = st.integers(0, 3)
    return st.none() | valid


ANSWERS = st.fixed_dictionaries(
    {}, optional={q.id: answer_for(q) for _, q in TOOL.questions()})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=ANSWERS, top=st.integers(1, 5))
def test_scores_and_needs_stay_consistent(answers: dict[str, object], top: int) -> None:
    questionnaire = TOOL if top == 5 else parsed(top=top)
    plain = evaluate(questionnaire, answers)
    result = score(questionnaire, answers)
    assert result.issues == ()
    assert all(0 <= value <= 100 for value in result.scores.values())
    assert result.scores.keys() == plain.scores.keys()
    for dimension, value in result.scores.items():
        expected = ("fragile" if round(value, 1) < 40
                    else "a_consolider" if round(value, 1) < 70 else "solide")
        assert result.levels[dimension] == expected
    assert len(result.needs) <= top
    assert list(result.needs) == sorted(result.needs,
                                        key=lambda n: (n.priority, -n.intensity, n.theme))
    assert len({n.theme for n in result.needs}) == len(result.needs)
    triggers = pmae_diag_numerique.security_triggers(questionnaire, plain)
    if triggers:
        assert result.scores.get("N2", 0) <= 39.9
        assert result.needs[0].theme == "numerique"
        assert (result.needs[0].priority, result.needs[0].stage) == (1, "appui")
        # The forced need's reasons are the engine's, plus the gate's own.
        engine = [n for n in plain.needs if n.theme == "numerique"]
        if engine:
            newly_fragile = "dimension:N2 fragile" if plain.levels["N2"] != "fragile" else None
            kept = tuple(r for r in result.needs[0].reasons
                         if not r.startswith("securite:") and r != newly_fragile)
            assert (kept, result.needs[0].intensity) == (engine[0].reasons, engine[0].intensity)
    elif result.levels["N3"] != "fragile":
        assert result == plain


# -- through pmae's plugin manager and command line -----------------------------------------------


def test_entry_point_registers_the_tool() -> None:
    plugins = make_plugin_manager(load=["pmae-diag-numerique"], strict=True)
    tool = plugins.diagnostic("maturite-numerique")
    assert (tool.name, tool.version, tool.title) == (
        "maturite-numerique", "1.0", "Maturité numérique des associations employeuses")
    assert tool.score is pmae_diag_numerique.score
    assert tool.questionnaire == pmae_diag_numerique.questionnaire_data()
    info = plugins.infos["pmae-diag-numerique"]
    assert (info.distribution, info.version, info.status, info.builtin) == (
        "pmae-diag-numerique", "0.1.0", "loaded", False)
    assert info.items == (("diagnostic", "maturite-numerique"),)


def test_registers_on_a_fresh_manager(pmae_register: Any) -> None:
    info = pmae_register(pmae_diag_numerique, name="pmae-diag-numerique")
    assert (info.status, info.items) == ("loaded", (("diagnostic", "maturite-numerique"),))


def test_pmae_diagnose_scores_with_the_plugins_rule(pmae_register: Any,
                                                    pmae_diagnose: Any) -> None:
    """pmae.testing's kit scores through the registered tool, its own score function included."""
    pmae_register(pmae_diag_numerique, name="pmae-diag-numerique")
    answers = best(**{"N2.2": 0})
    result = pmae_diagnose("maturite-numerique", answers)
    assert result == score(TOOL, answers)
    assert result.scores["N2"] == 39.9  # capped: the plugin's rule, not plain evaluate


@pytest.fixture
def only_this_plugin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PMAE_LOAD_PLUGINS", "pmae-diag-numerique")
    monkeypatch.delenv("PMAE_DISABLE_PLUGINS", raising=False)
    monkeypatch.delenv("PMAE_STRICT_PLUGINS", raising=False)
    get_plugin_manager.cache_clear()
    yield
    get_plugin_manager.cache_clear()


def test_cli_plugins_lists_the_tool(only_this_plugin: None) -> None:
    result = CliRunner().invoke(cli, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    listed = {entry["name"]: entry for entry in json.loads(result.stdout)}
    assert listed["pmae-diag-numerique"] == {
        "name": "pmae-diag-numerique", "distribution": "pmae-diag-numerique",
        "version": "0.1.0", "builtin": False, "status": "loaded", "reason": None,
        "hooks": ["pmae_register_diagnostics"],
        "items": [{"kind": "diagnostic", "name": "maturite-numerique"}],
    }
