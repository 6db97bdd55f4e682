"""The questionnaire format and the scoring engine (docs/diagnostics.md).

The hand-made questionnaire ``tests/data/questionnaires/mini.json`` (scale 0–3, levels fragile
< 40 ≤ à consolider < 70 ≤ solide, completeness 0.6, min_intensity 3, top 3):

- D1 Emploi (themes projet_emploi, organisation_management; stage formation):
  D1.1 weight 2; D1.2 weight 1, theme recrutement; D1.3 weight 3, critical.
- D2 Trésorerie (theme modele_economique): D2.1 number (months, 0–120, critical, weight 3:
  < 1 → 0, < 3 → 1, ≤ 6 → 2, else 3); D2.2 choice oui → 0 / non → 3 (weight 2, stage
  information); D2.3 weight 1.
- D3 Gouvernance (theme gouvernance_employeur): D3.1 … D3.5, weight 1.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given, note
from hypothesis import strategies as st

import pmae
from pmae.diagnostics import (
    DerivedNeed,
    Evaluation,
    LocalText,
    Questionnaire,
    QuestionnaireError,
    evaluate,
    load_questionnaire,
    parse_questionnaire,
    read_answers,
    to_records,
)
from pmae.io.bundles import bundle_to_data
from pmae.io.schemas import validator
from pmae.issues import ISSUE_TYPES, Issue
from pmae.model import Association, Diagnosis, Need
from pmae.plugins.items import DiagnosticTool, InvalidItemError, validate_item
from pmae.vocab import Term, core_vocabularies

DATA = Path(__file__).resolve().parent / "data" / "questionnaires"


def mini_data() -> dict[str, Any]:
    """A fresh copy of the hand-made questionnaire document, free to break."""
    return json.loads((DATA / "mini.json").read_text(encoding="utf-8"))


MINI = load_questionnaire(mini_data(), file="mini.json")

#: The answers worked through by hand in test_scores_levels_alerts_and_needs_by_hand.
ANSWERS: dict[str, object] = {
    "D1.1": 1, "D1.2": 2, "D1.3": 0,
    "D2.1": 2, "D2.2": "oui", "D2.3": None,
    "D3.1": 3, "D3.2": None, "D3.3": 2,
}


def codes_and_paths(issues: list[Issue] | tuple[Issue, ...]) -> list[tuple[str, str]]:
    return [(issue.code, issue.path) for issue in issues]


# --- the format --------------------------------------------------------------------------------


def test_the_test_questionnaires_are_valid_and_build() -> None:
    for path in sorted(DATA.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert validator("questionnaire").is_valid(data), path
        questionnaire, issues = parse_questionnaire(data, file=path.name)
        assert issues == [], path
        assert isinstance(questionnaire, Questionnaire)


def test_the_questionnaire_is_built_with_its_defaults() -> None:
    assert MINI.id == "mini"
    assert MINI.version == "1.0"
    assert MINI.best == 3
    assert MINI.title == LocalText(fr="Mini-diagnostic", en="Mini diagnosis")
    assert MINI.description is not None
    assert MINI.description.get("en") == "Un questionnaire de test, court."  # no English: French
    assert [level.code for level in MINI.levels] == ["fragile", "a_consolider", "solide"]
    assert (MINI.completeness, MINI.min_intensity, MINI.top) == (0.6, 3, 3)
    assert (MINI.stage, MINI.alert_stage, MINI.orient_to) == ("conseil", "appui",
                                                              ("dla_departemental",))
    assert [q.id for _, q in MINI.questions()] == [
        "D1.1", "D1.2", "D1.3", "D2.1", "D2.2", "D2.3", "D3.1", "D3.2", "D3.3", "D3.4", "D3.5"]
    d1, d2 = MINI.dimensions[0], MINI.dimensions[1]
    assert MINI.question("D1.1").kind == "scale" and MINI.question("D1.1").weight == 2
    assert MINI.themes_of(MINI.question("D1.1"), d1) == ("projet_emploi",
                                                         "organisation_management")
    assert MINI.themes_of(MINI.question("D1.2"), d1) == ("recrutement",)
    assert MINI.stage_of(MINI.question("D1.1"), d1) == "formation"
    assert MINI.stage_of(MINI.question("D2.1"), d2) == "conseil"
    assert MINI.stage_of(MINI.question("D2.2"), d2) == "information"
    assert MINI.worst(MINI.question("D2.1")) == 0
    with pytest.raises(KeyError):
        MINI.question("Z9")


def test_defaults_of_optional_sections() -> None:
    data = mini_data()
    for key in ("needs", "alerts", "unknown_label", "description", "authors", "licence",
                "respondents"):
        del data[key]
    del data["scoring"]["completeness"]
    for dimension in data["dimensions"]:
        for question in dimension["questions"]:
            question.pop("respondent", None)
    questionnaire = load_questionnaire(data)
    assert (questionnaire.completeness, questionnaire.min_intensity, questionnaire.top,
            questionnaire.stage, questionnaire.alert_stage) == (0.6, 3, 5, "conseil", "appui")
    assert questionnaire.unknown_label == LocalText(fr="Ne sait pas", en="Don't know")


def _broken(change: Any) -> list[tuple[str, str]]:
    data = mini_data()
    change(data)
    questionnaire, issues = parse_questionnaire(data)
    assert questionnaire is None
    return codes_and_paths(issues)


def _set(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


D2_1 = ("dimensions", 1, "questions", 0)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(lambda d: _set(d, ("dimensions", 1, "questions", 2, "id"), "D1.2"),
                     [("duplicate-id", "$.dimensions[1].questions[2].id")],
                     id="duplicate-question"),
        pytest.param(lambda d: _set(d, ("dimensions", 2, "id"), "D1"),
                     [("duplicate-id", "$.dimensions[2].id")], id="duplicate-dimension"),
        pytest.param(lambda d: _set(d, ("dimensions", 0, "themes"), ["paie", "recrutement"]),
                     [("unknown-code", "$.dimensions[0].themes[0]")], id="unknown-theme"),
        pytest.param(lambda d: _set(d, ("dimensions", 0, "questions", 1, "themes"), ["x:y"]),
                     [("unknown-code", "$.dimensions[0].questions[1].themes[0]")],
                     id="unknown-namespaced-theme"),
        pytest.param(lambda d: _set(d, ("alerts", "orient_to"), ["dla"]),
                     [("unknown-code", "$.alerts.orient_to[0]")], id="unknown-actor-type"),
        pytest.param(lambda d: _set(d, (*D2_1, "bands", 2, "upto"), 2),
                     [("invalid-bands", "$.dimensions[1].questions[0].bands[2].upto")],
                     id="bands-out-of-order"),
        pytest.param(lambda d: _set(d, (*D2_1, "bands", 1),
                                    {"upto": 1, "inclusive": False, "score": 1}),
                     [("invalid-bands", "$.dimensions[1].questions[0].bands[1].upto")],
                     id="band-that-never-applies"),
        pytest.param(lambda d: _set(d, (*D2_1, "bands", 1, "score"), 4),
                     [("out-of-range", "$.dimensions[1].questions[0].bands[1].score")],
                     id="band-score-above-best"),
        pytest.param(lambda d: _set(d, ("dimensions", 1, "questions", 1, "choices", 1, "score"), 5),
                     [("out-of-range", "$.dimensions[1].questions[1].choices[1].score")],
                     id="choice-score-above-best"),
        pytest.param(lambda d: _set(d, ("dimensions", 1, "questions", 1, "choices", 1, "value"),
                                    "oui"),
                     [("duplicate-id", "$.dimensions[1].questions[1].choices[1].value")],
                     id="duplicate-choice"),
        pytest.param(lambda d: _set(d, (*D2_1, "bands", 3, "upto"), 12),
                     [("invalid-bands", "$.dimensions[1].questions[0].bands")],
                     id="missing-final-band"),
        pytest.param(lambda d: _set(d, (*D2_1, "bands", 1), {"score": 1}),
                     [("invalid-bands", "$.dimensions[1].questions[0].bands[1]")],
                     id="open-band-not-last"),
        pytest.param(lambda d: _set(d, ("scoring", "levels", 2, "below"), 100),
                     [("invalid-levels", "$.scoring.levels")], id="missing-final-level"),
        pytest.param(lambda d: _set(d, ("scoring", "levels", 1, "below"), 40),
                     [("invalid-levels", "$.scoring.levels[1].below")], id="levels-out-of-order"),
        pytest.param(lambda d: _set(d, ("scoring", "levels", 0, "code"), "non_evalue"),
                     [("invalid-value", "$.scoring.levels[0].code")], id="reserved-level"),
        pytest.param(lambda d: _set(d, (*D2_1, "minimum"), 200),
                     [("invalid-value", "$.dimensions[1].questions[0].maximum")],
                     id="minimum-above-maximum"),
        pytest.param(lambda d: _set(d, ("dimensions", 0, "questions", 0, "bands"), [{"score": 1}]),
                     [("field-of-other-kind", "$.dimensions[0].questions[0].bands")],
                     id="bands-on-a-scale-question"),
        pytest.param(lambda d: _set(d, ("dimensions", 0, "questions", 2, "respondent"), "salarie"),
                     [("unknown-code", "$.dimensions[0].questions[2].respondent")],
                     id="unknown-respondent"),
        pytest.param(lambda d: _set(d, ("scale", 2, "value"), 3),
                     [("duplicate-id", "$.scale[3].value")], id="duplicate-scale-value"),
        # Layer 1, the JSON Schema:
        pytest.param(lambda d: d["dimensions"][1]["questions"][0].pop("bands"),
                     [("missing-field", "$.dimensions[1].questions[0].bands")],
                     id="number-without-bands"),
        pytest.param(lambda d: _set(d, ("dimensions", 0, "questions", 0, "weight"), 4),
                     [("out-of-range", "$.dimensions[0].questions[0].weight")], id="weight-4"),
        pytest.param(lambda d: _set(d, ("dimensions", 0, "questions", 0, "poids"), 2),
                     [("unknown-field", "$.dimensions[0].questions[0].poids")],
                     id="unknown-field"),
        pytest.param(lambda d: _set(d, ("dimensions", 0, "stage"), "orientation"),
                     [("unknown-code", "$.dimensions[0].stage")], id="unknown-stage"),
        pytest.param(lambda d: d.pop("scoring"), [("missing-field", "$.scoring")],
                     id="no-scoring"),
        pytest.param(lambda d: _set(d, ("dimensions", 2, "questions"), []),
                     [("too-short", "$.dimensions[2].questions")], id="empty-dimension"),
    ],
)
def test_bad_questionnaires_are_refused_with_exact_issues(
    change: Any, expected: list[tuple[str, str]]
) -> None:
    assert _broken(change) == expected


def test_every_issue_code_of_the_engine_is_catalogued() -> None:
    for code in ("invalid-bands", "invalid-levels", "field-of-other-kind", "unknown-question",
                 "invalid-answer", "duplicate-answer", "invalid-csv", "out-of-range",
                 "duplicate-id", "unknown-code", "invalid-value"):
        assert code in ISSUE_TYPES


def test_load_questionnaire_raises_with_every_issue_and_names_the_file() -> None:
    data = mini_data()
    data["dimensions"][0]["themes"] = ["recrutment"]
    data["scoring"]["levels"][2]["below"] = 100
    with pytest.raises(QuestionnaireError) as raised:
        load_questionnaire(data, file="outil.json")
    assert codes_and_paths(raised.value.issues) == [
        ("invalid-levels", "$.scoring.levels"), ("unknown-code", "$.dimensions[0].themes[0]")]
    assert raised.value.issues[1].file == "outil.json"
    assert raised.value.issues[1].hint == "did you mean 'recrutement'? see `pmae vocab themes`"
    assert "outil.json:$.scoring.levels: error [invalid-levels]" in str(raised.value)


def test_plugin_vocabularies_make_their_codes_known() -> None:
    data = mini_data()
    data["dimensions"][0]["themes"] = ["occitanie:tiers_lieux"]
    vocabularies = dict(core_vocabularies())
    vocabularies["themes"] = vocabularies["themes"].extended(
        [Term(code="occitanie:tiers_lieux", label_fr="Tiers-lieux", label_en="Third places")],
        namespace="occitanie")
    assert parse_questionnaire(data)[0] is None
    questionnaire, issues = parse_questionnaire(data, vocabularies=vocabularies)
    assert issues == [] and questionnaire is not None


# --- scoring by hand ---------------------------------------------------------------------------


def test_scores_levels_alerts_and_needs_by_hand() -> None:
    evaluation = evaluate(MINI, ANSWERS)
    assert evaluation.issues == ()
    assert (evaluation.tool, evaluation.version) == ("mini", "1.0")
    # D1: 1 + 2 + 0 = 3 of 3 × 3 = 9 → 33.3 (fragile).
    # D2: D2.1 = 2 months (< 3) → 1, D2.2 "oui" → 0, D2.3 "ne sait pas": 1 of 3 × 2 → 16.7.
    #     2 of 3 answered = 0.67 ≥ 0.6: assessed (fragile).
    # D3: D3.1 and D3.3 answered, D3.2 null, D3.4 and D3.5 missing: 2 / 5 = 0.4 < 0.6.
    assert evaluation.scores == {"D1": 100 * 3 / 9, "D2": 100 * 1 / 6}
    assert evaluation.levels == {"D1": "fragile", "D2": "fragile", "D3": "non_evalue"}
    # 7 answered (nulls and missing ones are not) of 11 questions.
    assert evaluation.completeness == 7 / 11
    # D1.3 is critical and at 0, its worst; D2.1 is critical but at 1.
    assert evaluation.alerts == ("D1.3",)
    # weight × (3 − score) on each theme of each answered question:
    # D1.1 2×2 = 4 and D1.3 3×3 = 9 on projet_emploi and organisation_management (13 each),
    # D1.2 1×1 on recrutement, D2.1 3×2 = 6 and D2.2 2×3 = 6 on modele_economique (12),
    # D3.1 1×0 and D3.3 1×1 on gouvernance_employeur.
    assert evaluation.intensities == {
        "projet_emploi": 13, "organisation_management": 13, "recrutement": 1,
        "modele_economique": 12, "gouvernance_employeur": 1}
    assert evaluation.needs == (
        # The alert on D1.3 (main theme of D1, fragile too): priority 1 at the alert stage.
        DerivedNeed(theme="projet_emploi", stage="appui", priority=1, intensity=13,
                    reasons=("alerte:D1.3", "dimension:D1 fragile", "D1.1", "D1.3")),
        # 13 ≥ 2 × 3: priority 2; stage of D1.3 (9, the most), i.e. its dimension's.
        DerivedNeed(theme="organisation_management", stage="formation", priority=2,
                    intensity=13, reasons=("D1.1", "D1.3")),
        # D2 fragile, and 12 ≥ 6; D2.1 and D2.2 weigh 6 each: the first, D2.1, gives the
        # stage (the tool's, conseil), not D2.2's information.
        DerivedNeed(theme="modele_economique", stage="conseil", priority=2, intensity=12,
                    reasons=("dimension:D2 fragile", "D2.1", "D2.2")),
    )
    # recrutement (1) and gouvernance_employeur (1) are under min_intensity 3.
    assert evaluation.answers == ANSWERS


def test_top_cut_and_tie_break_by_theme_code() -> None:
    answers = dict(ANSWERS, **{"D1.3": 1})
    evaluation = evaluate(load_questionnaire(mini_data()), answers)
    # D1: 1 + 2 + 1 = 4 / 9 → 44.4, à consolider; no alert. projet_emploi and
    # organisation_management: 2×2 + 3×2 = 10 each, priority 2 (≥ 6), a tie on intensity.
    assert evaluation.levels["D1"] == "a_consolider"
    assert evaluation.alerts == ()
    assert [(n.theme, n.priority, n.intensity) for n in evaluation.needs] == [
        ("modele_economique", 2, 12), ("organisation_management", 2, 10),
        ("projet_emploi", 2, 10)]
    data = mini_data()
    data["needs"]["top"] = 2
    cut = evaluate(load_questionnaire(data), answers)
    # Same priority and intensity: the theme code decides, organisation_management first.
    assert [n.theme for n in cut.needs] == ["modele_economique", "organisation_management"]


def test_priority_three_between_min_intensity_and_twice_it() -> None:
    data = mini_data()
    data["needs"]["min_intensity"] = 7
    evaluation = evaluate(load_questionnaire(data), dict(ANSWERS, **{"D1.3": 1}))
    # 12 ≥ 2 × 7 is false: modele_economique is priority 2 only as D2 is fragile;
    # 10 ≥ 7 but < 14: priority 3.
    assert [(n.theme, n.priority) for n in evaluation.needs] == [
        ("modele_economique", 2), ("organisation_management", 3), ("projet_emploi", 3)]


def test_a_fragile_dimension_makes_its_main_theme_a_need() -> None:
    data = mini_data()
    data["needs"]["min_intensity"] = 100  # no theme reaches it
    # D3's questions all on another theme: its main theme gets no intensity at all.
    for question in data["dimensions"][2]["questions"]:
        question["themes"] = ["dialogue_social"]
    data["dimensions"][2]["stage"] = "sensibilisation"
    evaluation = evaluate(load_questionnaire(data),
                          {"D3.1": 0, "D3.2": 1, "D3.3": 0, "D3.4": None})
    # D3: 1 of 3 × 3 → 11.1, fragile; 3 of 5 answered (0.6 reaches 0.6).
    assert evaluation.levels == {"D1": "non_evalue", "D2": "non_evalue", "D3": "fragile"}
    assert evaluation.needs == (
        DerivedNeed(theme="gouvernance_employeur", stage="sensibilisation", priority=2,
                    intensity=0.0, reasons=("dimension:D3 fragile",)),
    )


def test_a_critical_item_at_worst_raises_an_alert_and_a_priority_one_need() -> None:
    # D2.1 at 0.5 month (< 1 → 0, its worst): an alert, and a need at the alert stage although
    # modele_economique's intensity, 3 × 3 = 9, says priority 2.
    evaluation = evaluate(MINI, {"D2.1": 0.5})
    assert evaluation.alerts == ("D2.1",)
    assert evaluation.needs == (
        DerivedNeed(theme="modele_economique", stage="appui", priority=1, intensity=9,
                    reasons=("alerte:D2.1", "D2.1")),
    )
    assert evaluation.levels["D2"] == "non_evalue"  # 1 of 3 answered


@pytest.mark.parametrize(
    ("months", "score"),
    [(0, 0), (0.99, 0), (1, 1), (2.5, 1), (3, 2), (6, 2), (6.01, 3), (120, 3)],
)
def test_number_bands_with_exclusive_and_inclusive_edges(months: float, score: int) -> None:
    # < 1 → 0, < 3 → 1, ≤ 6 → 2, else 3: 1 and 3 open the next band, 6 stays in its own.
    evaluation = evaluate(MINI, {"D2.1": months, "D2.2": "non"})
    # D2: (score + 3) / 6.
    assert evaluation.scores["D2"] == 100 * (score + 3) / 6
    assert evaluation.answers == {"D2.1": months, "D2.2": "non"}


def test_choice_questions() -> None:
    assert evaluate(MINI, {"D2.1": 12, "D2.2": "non"}).scores == {"D2": 100.0}
    assert evaluate(MINI, {"D2.1": 12, "D2.2": "oui"}).scores == {"D2": 50.0}


def test_null_and_missing_answers_are_left_out_of_score_and_completeness() -> None:
    # D3: 3, 3, 3 answered and two nulls: 3 of 5 = 0.6 is enough, the score is 100.
    answered = evaluate(MINI, {"D3.1": 3, "D3.2": 3, "D3.3": 3, "D3.4": None, "D3.5": None})
    assert answered.scores == {"D3": 100.0}
    assert answered.levels["D3"] == "solide"
    assert answered.completeness == 3 / 11
    # Two answered of five: under 60 %, whatever the answers say.
    short = evaluate(MINI, {"D3.1": 0, "D3.2": 0, "D3.3": None})
    assert short.scores == {}
    assert short.levels == {"D1": "non_evalue", "D2": "non_evalue", "D3": "non_evalue"}
    assert short.completeness == 2 / 11
    # The nulls are kept as answers ("ne sait pas" is an answer), the missing ones are not.
    assert short.answers == {"D3.1": 0, "D3.2": 0, "D3.3": None}
    empty = evaluate(MINI, {})
    assert (empty.scores, empty.completeness, empty.alerts, empty.needs, empty.intensities) == (
        {}, 0.0, (), (), {})


def test_level_edges_are_decided_on_the_recorded_score() -> None:
    data = mini_data()
    data["scoring"]["levels"][0]["below"] = 66.7
    data["dimensions"][2]["questions"] = data["dimensions"][2]["questions"][:3]
    # 2 + 2 + 2 of 9 = 66.666…, recorded as 66.7: not under 66.7.
    evaluation = evaluate(load_questionnaire(data), {"D3.1": 2, "D3.2": 2, "D3.3": 2})
    assert evaluation.levels["D3"] == "a_consolider"
    diagnosis, _ = to_records(evaluation, diagnosis_id="lma-ra:diag-1",
                              association=ASSOCIATION, date=dt.date(2025, 3, 14))
    assert diagnosis.scores == {"D3": 66.7}
    # 2 + 2 + 1 + 1 + 0 = 6 of 15 = 40 exactly: not under 40, so à consolider.
    edge = evaluate(MINI, {"D3.1": 2, "D3.2": 2, "D3.3": 1, "D3.4": 1, "D3.5": 0})
    assert (edge.scores["D3"], edge.levels["D3"]) == (40.0, "a_consolider")
    below = evaluate(MINI, {"D3.1": 2, "D3.2": 1, "D3.3": 1, "D3.4": 1, "D3.5": 0})
    assert (below.scores["D3"], below.levels["D3"]) == (100 * 5 / 15, "fragile")


# --- bad answers -------------------------------------------------------------------------------


def test_bad_answers_are_issues_and_the_rest_is_scored() -> None:
    answers: dict[str, object] = {
        "D1.1": 4,            # off the 0–3 scale
        "D1.2": True,         # a boolean is not an answer
        "D1.3": "2",          # a string on a scale question
        "D2.1": "abc",        # not a number
        "D2.2": "peut-etre",  # not a choice
        "D2.3": 2,
        "D3.1": 3.0,          # 3.0 is 3
        "D3.2": [1],          # not a JSON scalar
        "Z9": 1,              # no such question
        "D3.3": float("nan"),
    }
    evaluation = evaluate(MINI, answers)
    assert [(i.code, i.path, i.message) for i in evaluation.issues] == [
        ("invalid-answer", "$.answers['D1.1']", "4 is not a step of the scale"),
        ("invalid-answer", "$.answers['D1.2']", "True is not a step of the scale"),
        ("invalid-answer", "$.answers['D1.3']", "'2' is not a step of the scale"),
        ("invalid-answer", "$.answers['D2.1']", "'abc' is not a number"),
        ("invalid-answer", "$.answers['D2.2']", "'peut-etre' is not one of the choices"),
        ("invalid-answer", "$.answers['D3.2']", "[1] is not a step of the scale"),
        ("unknown-question", "$.answers.Z9", "'Z9' is not a question of 'mini'"),
        ("invalid-answer", "$.answers['D3.3']", "nan is not a step of the scale"),
    ]
    assert evaluation.answers == {"D2.3": 2, "D3.1": 3}
    assert evaluation.completeness == 2 / 11


@pytest.mark.parametrize(("value", "message"), [
    (-1, "-1 is out of range: must be between 0 and 120"),
    (120.5, "120.5 is out of range: must be between 0 and 120"),
    (float("inf"), None),
])
def test_numbers_out_of_range(value: float, message: str | None) -> None:
    [issue] = evaluate(MINI, {"D2.1": value}).issues
    if message is None:
        assert (issue.code, issue.message) == ("invalid-answer", "inf is not a number")
    else:
        assert (issue.code, issue.path, issue.message) == ("out-of-range", "$.answers['D2.1']",
                                                           message)
    assert evaluate(MINI, {"D2.1": 0}).issues == ()
    assert evaluate(MINI, {"D2.1": 120}).issues == ()


def test_a_number_for_a_choice_whose_value_is_that_number() -> None:
    data = mini_data()
    data["dimensions"][1]["questions"][1]["choices"][1]["value"] = "1"
    evaluation = evaluate(load_questionnaire(data), {"D2.2": 1, "D2.1": 12})
    assert evaluation.issues == ()
    assert evaluation.answers == {"D2.1": 12, "D2.2": "1"}


# --- properties --------------------------------------------------------------------------------

THEMES = ("projet_emploi", "recrutement", "gouvernance_employeur", "modele_economique",
          "numerique")


@st.composite
def questionnaires(draw: st.DrawFn) -> dict[str, Any]:
    """A random valid questionnaire document, with representative answers for each question.

    Each question carries ``x-answers``, a list of ``(answer, score)`` (removed before
    parsing): the answers tests draw from, and the score each gives.
    """
    best = draw(st.integers(1, 5))
    scale = [{"value": v, "label": {"fr": f"niveau {v}"}} for v in range(best + 1)]
    cuts = sorted(draw(st.sets(st.integers(1, 99), max_size=3)))
    levels = [{"code": f"n{i}", "label": {"fr": f"N{i}"}, "below": c} for i, c in enumerate(cuts)]
    levels.append({"code": "haut", "label": {"fr": "Haut"}})
    dimensions = []
    counter = 0
    for d in range(draw(st.integers(1, 3))):
        questions = []
        for _ in range(draw(st.integers(1, 4))):
            counter += 1
            question: dict[str, Any] = {
                "id": f"Q{counter}", "text": {"fr": f"Question {counter}"},
                "weight": draw(st.integers(1, 3)), "critical": draw(st.booleans()),
            }
            if draw(st.booleans()):
                question["themes"] = draw(st.lists(st.sampled_from(THEMES), min_size=1,
                                                   max_size=2, unique=True))
            kind = draw(st.sampled_from(["scale", "number", "choice"]))
            if kind == "scale":
                question["x-answers"] = [(v, v) for v in range(best + 1)]
            elif kind == "number":
                uptos = sorted(draw(st.sets(st.integers(-50, 50), min_size=0, max_size=4)))
                scores = draw(st.lists(st.integers(0, best), min_size=len(uptos) + 1,
                                       max_size=len(uptos) + 1))
                bands: list[dict[str, Any]] = [
                    {"upto": u, "inclusive": draw(st.booleans()), "score": s}
                    for u, s in zip(uptos, scores, strict=False)]
                bands.append({"score": scores[-1]})
                question.update(kind="number", bands=bands, minimum=-100, maximum=100)
                # u - 0.5 is in band i whether it is inclusive or not; past the last, u + 1.
                points = [u - 0.5 for u in uptos] + [(uptos[-1] + 1) if uptos else 0]
                question["x-answers"] = list(zip(points, scores, strict=True))
            else:
                scores = draw(st.lists(st.integers(0, best), min_size=1, max_size=4))
                question.update(kind="choice", choices=[
                    {"value": f"c{i}", "score": s, "label": {"fr": f"Choix {i}"}}
                    for i, s in enumerate(scores)])
                question["x-answers"] = [(f"c{i}", s) for i, s in enumerate(scores)]
            questions.append(question)
        dimensions.append({"id": f"D{d}", "title": {"fr": f"Dimension {d}"},
                           "themes": draw(st.lists(st.sampled_from(THEMES), min_size=1,
                                                   max_size=2, unique=True)),
                           "questions": questions})
    return {
        "id": "hasard", "version": "0.1", "title": {"fr": "Au hasard"}, "scale": scale,
        "scoring": {"completeness": draw(st.sampled_from([0, 0.3, 0.6, 1])), "levels": levels},
        "needs": {"min_intensity": draw(st.sampled_from([0, 1, 3, 10])),
                  "top": draw(st.integers(1, 6))},
        "dimensions": dimensions,
    }


def _split(document: dict[str, Any]) -> tuple[Questionnaire, dict[str, list[tuple[Any, int]]]]:
    document = copy.deepcopy(document)
    representatives = {}
    for dimension in document["dimensions"]:
        for question in dimension["questions"]:
            representatives[question["id"]] = question.pop("x-answers")
    questionnaire, issues = parse_questionnaire(document)
    assert issues == [] and questionnaire is not None
    return questionnaire, representatives


ANY_ANSWER = st.one_of(st.none(), st.booleans(), st.integers(-5, 200),
                       st.floats(allow_nan=True), st.text(max_size=4),
                       st.sampled_from(["c0", "c1", "c3"]), st.lists(st.integers(), max_size=1))


@given(questionnaires(), st.data())
def test_random_answers_give_scores_in_range_and_never_raise(
    document: dict[str, Any], data: st.DataObject
) -> None:
    questionnaire, representatives = _split(document)
    answers: dict[str, object] = {}
    for qid, candidates in representatives.items():
        choice = data.draw(st.sampled_from(["good", "any", "null", "missing"]))
        if choice == "good":
            answers[qid] = data.draw(st.sampled_from(candidates))[0]
        elif choice == "any":
            answers[qid] = data.draw(ANY_ANSWER)
        elif choice == "null":
            answers[qid] = None
    answers.update(data.draw(st.dictionaries(st.text(max_size=3), ANY_ANSWER, max_size=2)))
    evaluation = evaluate(questionnaire, answers)
    assert all(0 <= score <= 100 for score in evaluation.scores.values())
    assert 0 <= evaluation.completeness <= 1
    assert set(evaluation.levels) == {d.id for d in questionnaire.dimensions}
    assert set(evaluation.scores) <= set(evaluation.levels)
    assert all(v >= 0 for v in evaluation.intensities.values())
    assert len(evaluation.needs) <= questionnaire.top
    assert all(n.priority in (1, 2, 3) for n in evaluation.needs)
    assert evaluate(questionnaire, answers) == evaluation  # deterministic
    # Scoring the kept answers again finds no issue and the same results.
    again = evaluate(questionnaire, evaluation.answers)
    assert again.issues == ()
    assert attrs_without_issues(again) == attrs_without_issues(evaluation)


def attrs_without_issues(evaluation: Evaluation) -> tuple[Any, ...]:
    return (evaluation.answers, evaluation.scores, evaluation.levels, evaluation.completeness,
            evaluation.alerts, evaluation.intensities, evaluation.needs)


@given(questionnaires(), st.data())
def test_a_better_answer_never_lowers_a_score_nor_raises_an_intensity(
    document: dict[str, Any], data: st.DataObject
) -> None:
    questionnaire, representatives = _split(document)
    answers = {qid: data.draw(st.sampled_from(candidates))[0]
               for qid, candidates in representatives.items()
               if data.draw(st.booleans())}
    improvable = [
        (qid, answer) for qid, answer in answers.items()
        if any(score > dict(representatives[qid])[answer] for _, score in representatives[qid])
    ]
    event("improvable" if improvable else "nothing to improve")
    if not improvable:
        return
    qid, answer = data.draw(st.sampled_from(improvable))
    current = dict(representatives[qid])[answer]
    better = data.draw(st.sampled_from([a for a, s in representatives[qid] if s > current]))
    note(f"{qid}: {answer!r} → {better!r}")
    before = evaluate(questionnaire, answers)
    after = evaluate(questionnaire, dict(answers, **{qid: better}))
    dimension = questionnaire.dimension_of(qid).id
    assert (dimension in after.scores) == (dimension in before.scores)
    if dimension in before.scores:
        assert after.scores[dimension] >= before.scores[dimension]
    for theme, intensity in after.intensities.items():
        assert intensity <= before.intensities[theme]
    assert set(after.alerts) <= set(before.alerts)


# --- records -----------------------------------------------------------------------------------

ASSOCIATION = Association(
    id="lma-ra:asso-1", name="Les Amis du quartier", siren="732829320", headcount=3,
    size_band="02", commune="com:69123", sector="culture", recipients=("lma-ra",))


def test_to_records_gives_a_diagnosis_and_needs_that_validate_in_a_bundle() -> None:
    evaluation = evaluate(MINI, ANSWERS)
    diagnosis, needs = to_records(evaluation, diagnosis_id="lma-ra:diag-1",
                                  association=ASSOCIATION, date=dt.date(2025, 3, 14),
                                  advisor="lma-ra:dla69")
    assert diagnosis == Diagnosis(
        id="lma-ra:diag-1", association="lma-ra:asso-1", tool="mini", tool_version="1.0",
        date=dt.date(2025, 3, 14), answers=ANSWERS, scores={"D1": 33.3, "D2": 16.7},
        levels={"D1": "fragile", "D2": "fragile", "D3": "non_evalue"}, completeness=0.636,
        alerts=("D1.3",), advisor="lma-ra:dla69",
        needs=("lma-ra:diag-1-besoin-1", "lma-ra:diag-1-besoin-2", "lma-ra:diag-1-besoin-3"),
        visibility="restricted", recipients=("lma-ra",))
    common = {"origin": "diagnostic", "date": dt.date(2025, 3, 14),
              "association": "lma-ra:asso-1", "diagnosis": "lma-ra:diag-1",
              "territory": "com:69123", "size_band": "02", "sector": "culture",
              "visibility": "restricted", "recipients": ("lma-ra",)}
    assert needs == (
        Need(id="lma-ra:diag-1-besoin-1", theme="projet_emploi", stage="appui", priority=1,
             intensity=13, **common),
        Need(id="lma-ra:diag-1-besoin-2", theme="organisation_management", stage="formation",
             priority=2, intensity=13, **common),
        Need(id="lma-ra:diag-1-besoin-3", theme="modele_economique", stage="conseil",
             priority=2, intensity=12, **common),
    )
    bundle = pmae.Bundle(
        format_version=pmae.FORMAT_VERSION,
        source=pmae.Source(slug="lma-ra", name="Le Mouvement associatif Rhône-Alpes"),
        generated_at=dt.datetime(2025, 3, 14, 9, tzinfo=dt.UTC),
        actors=(pmae.Actor(id="lma-ra:dla69", name="DLA du Rhône",
                           actor_type="dla_departemental"),),
        associations=(ASSOCIATION,), diagnoses=(diagnosis,), needs=needs)
    report = pmae.validate_document(bundle_to_data(bundle))
    assert report.issues == []
    assert report.bundle == bundle


# --- answers files -----------------------------------------------------------------------------


def test_read_answers_from_json_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "reponses.json"
    path.write_text('{\n  "D1.1": 2,\n  "D2.1": 4.5,\n  "D2.2": "oui",\n  "D2.3": null,\n'
                    '  "D3.1": true,\n  "D3.2": [1],\n  "D1.1": 3\n}\n', encoding="utf-8")
    answers, issues = read_answers(path)
    assert answers == {"D1.1": 2, "D2.1": 4.5, "D2.2": "oui", "D2.3": None}
    assert [(i.code, i.path, i.file, i.line, i.message) for i in issues] == [
        ("invalid-answer", "$['D3.1']", str(path), 6, "true or false is not an answer"),
        ("invalid-answer", "$['D3.2']", str(path), 7, "an array is not an answer"),
        ("duplicate-answer", "$['D1.1']", str(path), 8,
         "question 'D1.1' is answered twice (first at line 2)"),
    ]


def test_read_answers_reports_bad_json_and_missing_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"D1.1": 2,\n "D1.2": NaN}', encoding="utf-8")
    answers, issues = read_answers(bad)
    assert answers == {}
    assert [(i.code, i.file, i.line) for i in issues] == [("invalid-json", str(bad), 2)]
    array = tmp_path / "array.json"
    array.write_text("[1, 2]", encoding="utf-8")
    assert [(i.code, i.line) for i in read_answers(array)[1]] == [("wrong-type", 1)]
    missing = tmp_path / "absent.json"
    assert [(i.code, i.file) for i in read_answers(missing)[1]] == [
        ("file-not-found", str(missing))]


def test_read_answers_from_csv_typed_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "reponses.csv"
    path.write_text('\ufeffquestion;answer\nD1.1;2\nD2.1;4,5\nD2.2;oui\nD2.3;\n'
                    ';3\nD1.1;1\nD3.1;1;2\n"D3.2";" 0 "\n\n', encoding="utf-8")
    answers, issues = read_answers(path)
    assert answers == {"D1.1": 2, "D2.1": 4.5, "D2.2": "oui", "D2.3": None, "D3.2": 0}
    assert [(i.code, i.file, i.line, i.column) for i in issues] == [
        ("missing-field", str(path), 6, "question"),
        ("duplicate-answer", str(path), 7, "question"),
        ("unknown-field", str(path), 8, None),
    ]
    comma = tmp_path / "virgule.csv"
    comma.write_text("question,answer\nD2.1,\"2,5\"\nD2.1b,1.25\nD1.1,nan\n", encoding="utf-8")
    assert read_answers(comma) == ({"D2.1": 2.5, "D2.1b": 1.25, "D1.1": "nan"}, [])


def test_read_answers_csv_header_and_quoting(tmp_path: Path) -> None:
    path = tmp_path / "sans-entete.csv"
    path.write_text("D1.1,2\n", encoding="utf-8")
    assert [(i.code, i.line) for i in read_answers(path)[1]] == [("missing-field", 1)]
    broken = tmp_path / "guillemets.csv"
    broken.write_text('question,answer\nD1.1,"2\n', encoding="utf-8")
    assert [(i.code, i.file) for i in read_answers(broken)[1]] == [("invalid-csv", str(broken))]
    latin = tmp_path / "latin.csv"
    latin.write_bytes("question,answer\nD2.2,réponse\n".encode("latin-1"))
    assert [(i.code, i.line) for i in read_answers(latin)[1]] == [("invalid-encoding", 2)]


def test_answers_read_then_evaluated(tmp_path: Path) -> None:
    path = tmp_path / "reponses.csv"
    path.write_text("question,answer\n" + "".join(
        f"{key},{'' if value is None else value}\n" for key, value in ANSWERS.items()),
        encoding="utf-8")
    answers, issues = read_answers(path)
    assert issues == []
    assert evaluate(MINI, answers) == evaluate(MINI, ANSWERS)


# --- the plugin item ---------------------------------------------------------------------------


def _tool(**changes: Any) -> DiagnosticTool:
    fields: dict[str, Any] = {"name": "mini", "title": "Mini", "version": "1.0",
                              "questionnaire": mini_data()}
    fields.update(changes)
    return DiagnosticTool(**fields)


def test_a_diagnostic_tool_is_checked_when_registered() -> None:
    validate_item(_tool(), (DiagnosticTool,))
    with pytest.raises(InvalidItemError, match=r"its name must be its questionnaire's id 'mini'"):
        validate_item(_tool(name="autre"), (DiagnosticTool,))
    with pytest.raises(InvalidItemError, match=r"version '2.0' is not its questionnaire's "
                                               r"version '1.0'"):
        validate_item(_tool(version="2.0"), (DiagnosticTool,))
    broken = mini_data()
    broken["dimensions"][0]["themes"] = ["paie"]
    with pytest.raises(InvalidItemError) as raised:
        validate_item(_tool(questionnaire=broken), (DiagnosticTool,))
    assert str(raised.value) == (
        "DiagnosticTool 'mini': invalid questionnaire: $.dimensions[0].themes[0]: "
        "[unknown-code] 'paie' is not a code of the vocabulary 'themes'")


def test_a_tool_may_use_a_plugin_theme_at_registration() -> None:
    data = mini_data()
    data["dimensions"][0]["themes"] = ["occitanie:tiers_lieux"]
    validate_item(_tool(questionnaire=data), (DiagnosticTool,))
    data["dimensions"][0]["themes"] = ["tiers_lieux"]
    with pytest.raises(InvalidItemError, match="tiers_lieux"):
        validate_item(_tool(questionnaire=data), (DiagnosticTool,))


def test_finite_results_for_every_answer_kind() -> None:
    evaluation = evaluate(MINI, {"D2.1": 1e300})
    assert [i.code for i in evaluation.issues] == ["out-of-range"]
    assert all(math.isfinite(v) for v in evaluate(MINI, ANSWERS).scores.values())
