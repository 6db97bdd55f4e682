"""The four reference diagnostic tools: their shape, their codes, and golden evaluations.

The golden expectations below were computed from docs/diagnostics.md alone (a small separate
calculation, then checked by hand: see the worked examples in the comments), never copied from
the engine's output. A score is written ``(Σ score, answered)``: the dimension's score is
``100 × Σ / (3 × answered)``; completeness is ``(answered, questions)``; a need is
``(theme, stage, priority, intensity)`` with ``intensity = Σ weight × (3 − score)``.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from pmae.default_plugins import reference_diagnostics
from pmae.diagnostics.engine import evaluate
from pmae.diagnostics.questionnaire import Questionnaire, load_questionnaire, parse_questionnaire
from pmae.plugins import make_plugin_manager
from pmae.plugins.manager import BUILTIN_PLUGINS
from pmae.vocab import core_vocabularies

ANSWERS = Path(__file__).parent / "data" / "answers"
SAMPLE = Path(__file__).resolve().parents[1] / "src" / "pmae" / "data" / "sample.json"

#: tool id -> number of questions per dimension, in order.
SHAPES: dict[str, dict[str, int]] = {
    "diagnostic-partage": {"A1": 5, "A2": 5, "A3": 5, "A4": 5, "A5": 5, "A6": 5},
    "gouvernance": {"B1": 5, "B2": 5, "B3": 5, "B4": 5, "B5": 5},
    "vigilance-economique": {"C1": 4, "C2": 4, "C3": 4, "C4": 5, "C5": 4, "C6": 4},
    "fonction-employeur": {"D1": 6, "D2": 5, "D3": 5, "D4": 5, "D5": 5, "D6": 5, "D7": 5},
}
TOTALS = {"diagnostic-partage": 30, "gouvernance": 25, "vigilance-economique": 25,
          "fonction-employeur": 36}
CRITICAL = {
    "diagnostic-partage": ["A3.2"],
    "gouvernance": ["B2.2"],
    "vigilance-economique": ["C1.1", "C1.3", "C2.1"],
    "fonction-employeur": ["D1.2", "D5.1"],
}
ORIENT_TO = {
    "diagnostic-partage": ["dla_departemental"],
    "gouvernance": ["coordination_associative", "dla_departemental"],
    "vigilance-economique": ["financeur_solidaire", "dla_departemental"],
    "fonction-employeur": ["organisation_employeurs", "dla_departemental"],
}
TOOLS = list(SHAPES)


def document(tool: str) -> dict[str, Any]:
    path = files("pmae") / "diagnostics" / "tools" / f"{tool}.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def questionnaire(tool: str) -> Questionnaire:
    return load_questionnaire(document(tool), file=f"{tool}.json")


def questions(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [q for d in data["dimensions"] for q in d["questions"]]


# --- the files --------------------------------------------------------------------------------


@pytest.mark.parametrize("tool", TOOLS)
def test_tool_parses_without_any_issue(tool: str) -> None:
    parsed, issues = parse_questionnaire(document(tool), file=f"{tool}.json")
    assert [issue.render() for issue in issues] == []
    assert parsed is not None and parsed.id == tool


@pytest.mark.parametrize("tool", TOOLS)
def test_tool_shape(tool: str) -> None:
    parsed = questionnaire(tool)
    assert {d.id: len(d.questions) for d in parsed.dimensions} == SHAPES[tool]
    assert sum(1 for _ in parsed.questions()) == TOTALS[tool]
    # Question ids are <dimension>.<n>, numbered from 1 in order.
    for dimension in parsed.dimensions:
        assert [q.id for q in dimension.questions] == [
            f"{dimension.id}.{n}" for n in range(1, len(dimension.questions) + 1)]
    assert [q.id for _, q in parsed.questions() if q.critical] == CRITICAL[tool]


@pytest.mark.parametrize("tool", TOOLS)
def test_tool_metadata_and_common_scoring(tool: str) -> None:
    data = document(tool)
    assert (data["id"], data["version"], data["licence"], data["authors"]) == (
        tool, "1.0", "etalab-2.0", ["pmae"])
    assert [(o["value"], o["label"]["fr"]) for o in data["scale"]] == [
        (0, "Non / jamais"), (1, "Partiellement"), (2, "Plutôt oui"),
        (3, "Oui, formalisé et à jour")]
    assert data["unknown_label"]["fr"] == "Ne sait pas"
    assert data["scoring"]["completeness"] == 0.6
    assert [(lv["code"], lv.get("below")) for lv in data["scoring"]["levels"]] == [
        ("fragile", 40), ("a_consolider", 70), ("solide", None)]
    assert data["needs"]["alert_stage"] == "appui"
    assert data["alerts"]["orient_to"] == ORIENT_TO[tool]
    for q in questions(data):
        assert 1 <= q["weight"] <= 3
        assert q["themes"], q["id"]


@pytest.mark.parametrize("tool", TOOLS)
def test_every_code_is_known(tool: str) -> None:
    vocab = core_vocabularies()
    data = document(tool)
    for dimension in data["dimensions"]:
        assert set(dimension["themes"]) <= set(vocab["themes"].codes())
        assert dimension.get("stage", "conseil") in vocab["stages"].codes()
    for q in questions(data):
        assert set(q["themes"]) <= set(vocab["themes"].codes()), q["id"]
        assert q.get("stage", "conseil") in vocab["stages"].codes(), q["id"]
        assert q.get("respondent", data["respondents"][0]) in data["respondents"], q["id"]
    assert {data["needs"]["stage"], data["needs"]["alert_stage"]} <= set(vocab["stages"].codes())
    assert set(data["alerts"]["orient_to"]) <= set(vocab["actor_types"].codes())


def test_texts_are_bilingual_and_never_repeated() -> None:
    seen: dict[tuple[str, str], str] = {}
    for tool in TOOLS:
        data = document(tool)
        for item in [data, *data["dimensions"]]:
            label = item.get("title")
            assert label["fr"].strip() and label["en"].strip()
        for q in questions(data):
            for lang in ("fr", "en"):
                text = q["text"][lang].strip()
                assert text and text.endswith("?"), (q["id"], lang)
                key = (lang, text.casefold())
                assert key not in seen, (q["id"], seen.get(key))
                seen[key] = f"{tool}:{q['id']}"
            for choice in q.get("choices", ()):
                assert choice["label"]["fr"] and choice["label"]["en"]


def test_employer_function_respondents() -> None:
    data = document("fonction-employeur")
    assert data["respondents"] == ["dirigeants", "salarie"]
    by = {q["id"]: q["respondent"] for q in questions(data)}
    assert sorted(k for k, v in by.items() if v == "salarie") == [
        "D2.4", "D3.3", "D4.2", "D5.4", "D5.5", "D6.1"]
    # Without the employee, every dimension can still be assessed (≥ 60 % of its questions).
    for dimension in data["dimensions"]:
        leaders = [q for q in dimension["questions"] if q["respondent"] == "dirigeants"]
        assert len(leaders) >= 0.6 * len(dimension["questions"])


# --- the bands of the economic early warning, from the outline ---------------------------------


def band_score(tool: Questionnaire, question_id: str, value: object) -> int:
    """The score one answer gives, read back from the intensity it adds (weight × (3 − s))."""
    question = tool.question(question_id)
    evaluation = evaluate(tool, {question_id: value})
    assert evaluation.issues == ()
    theme = question.themes[0]
    return 3 - int(evaluation.intensities[theme] / question.weight)


@pytest.mark.parametrize(("question_id", "cases"), [
    # months of cash: < 1 → 0, [1;3[ → 1, [3;6[ → 2, ≥ 6 → 3
    ("C1.1", [(0, 0), (0.99, 0), (1, 1), (2.99, 1), (3, 2), (5.99, 2), (6, 3), (36, 3)]),
    ("C1.2", [("oui", 0), ("non", 3)]),
    ("C1.3", [("oui", 0), ("non", 3)]),
    # notified subsidies not received, in months of expenses: > 3 → 0
    ("C1.4", [(0, 3), (1, 3), (1.5, 2), (2, 2), (3, 1), (3.01, 0)]),
    ("C2.1", [("oui", 3), ("non", 0)]),
    # deficit years out of the last three: 0 → 3, 1 → 2, 2 → 1, 3 → 0
    ("C2.2", [(0, 3), (1, 2), (2, 1), (3, 0)]),
    ("C2.3", [(-2, 0), (0.5, 0), (1, 1), (2, 2), (3, 3), (12, 3)]),
    # largest funder: > 70 → 0, ]50;70] → 1, ]30;50] → 2, ≤ 30 → 3
    ("C3.1", [(0, 3), (30, 3), (30.5, 2), (50, 2), (50.5, 1), (70, 1), (70.5, 0), (100, 0)]),
    ("C3.3", [(0, 3), (1, 0), (2, 1), (3, 2), (4, 3)]),
    ("C3.4", [("oui", 1), ("non", 3)]),
    ("C5.1", [("oui", 0), ("non", 3)]),
    ("C6.2", [("oui", 0), ("non", 3)]),
])
def test_economic_bands(question_id: str, cases: list[tuple[object, int]]) -> None:
    tool = questionnaire("vigilance-economique")
    assert [(value, band_score(tool, question_id, value)) for value, _ in cases] == cases


# --- golden evaluations ----------------------------------------------------------------------

GOLDEN: dict[str, dict[str, Any]] = {
    # Everything in place but a single funder above half of the resources (A4.3 = 1, weight 2).
    "diagnostic-partage-solide": {
        "scores": {"A1": (15, 5), "A2": (14, 5), "A3": (14, 5), "A4": (13, 5), "A5": (14, 5),
                   "A6": (14, 5)},
        "levels": dict.fromkeys(SHAPES["diagnostic-partage"], "solide"),
        "completeness": (30, 30),
        "alerts": [],
        "needs": [("modele_economique", "conseil", 3, 4)],
    },
    # By hand, A4 = 2 + 1 + 1 + 1 + 1 = 6 over 5 answers: 100 × 6 / 15 = 40.0, exactly the
    # bound, so "à consolider" (fragile is *under* 40). modele_economique's intensity:
    # A3.4 3×(3−0) = 9, A4.1 2×1 = 2, A4.2 3×2 = 6, A4.3 2×2 = 4, A4.4 2×2 = 4, A4.5 1×2 = 2,
    # A5.5 2×2 = 4 → 31 ≥ 2 × 3, priority 2. A5.3 is "ne sait pas": A5 = 5 / (3 × 4).
    "diagnostic-partage-fragile": {
        "scores": {"A1": (5, 5), "A2": (4, 5), "A3": (3, 5), "A4": (6, 5), "A5": (5, 4),
                   "A6": (5, 5)},
        "levels": {"A1": "fragile", "A2": "fragile", "A3": "fragile", "A4": "a_consolider",
                   "A5": "a_consolider", "A6": "fragile"},
        "completeness": (29, 30),
        "alerts": [],
        "needs": [("modele_economique", "conseil", 2, 31),
                  ("gouvernance_employeur", "conseil", 2, 23),
                  ("projet_emploi", "conseil", 2, 19),
                  ("gouvernance_projet", "conseil", 2, 18),
                  ("partenariats_territoire", "information", 2, 11)],
    },
    # A3.2 (collective agreement, critical) at 0: alert, and convention_collective first at
    # priority 1 and stage "appui" though its intensity (3 × 3 = 9) is lower than others'.
    # A5 has 2 answers out of 5 (< 60 %): not assessed; A4 has exactly 3 of 5: assessed.
    # A6.4 is left out of the file, A6.5 is "ne sait pas": both unanswered.
    "diagnostic-partage-alerte": {
        "scores": {"A1": (11, 5), "A2": (9, 4), "A3": (5, 4), "A4": (2, 3), "A6": (5, 3)},
        "levels": {"A1": "solide", "A2": "solide", "A3": "a_consolider", "A4": "fragile",
                   "A5": "non_evalue", "A6": "a_consolider"},
        "completeness": (21, 30),
        "alerts": ["A3.2"],
        "needs": [("convention_collective", "appui", 1, 9),
                  ("modele_economique", "conseil", 2, 27),
                  ("gouvernance_employeur", "conseil", 2, 10),
                  ("projet_emploi", "conseil", 2, 10),
                  ("gouvernance_projet", "conseil", 2, 6)],
    },
    "gouvernance-solide": {
        "scores": {"B1": (15, 5), "B2": (15, 5), "B3": (12, 5), "B4": (14, 5), "B5": (14, 5)},
        "levels": dict.fromkeys(SHAPES["gouvernance"], "solide"),
        "completeness": (25, 25),
        "alerts": [],
        # B3.2 1×2 + B5.3 2×1 on benevolat; B3.2 1×2 + B3.4 1×1 + B4.1 1×1 on the project.
        "needs": [("benevolat", "conseil", 3, 4), ("gouvernance_projet", "conseil", 3, 4)],
    },
    # benevolat's strongest gap is B3.5 (2 × 3 = 6, stage "formation"): the need asks training.
    "gouvernance-fragile": {
        "scores": {"B1": (6, 5), "B2": (5, 5), "B3": (2, 5), "B4": (5, 5), "B5": (3, 5)},
        "levels": {"B1": "a_consolider", "B2": "fragile", "B3": "fragile", "B4": "fragile",
                   "B5": "fragile"},
        "completeness": (25, 25),
        "alerts": [],
        "needs": [("gouvernance_projet", "conseil", 2, 60),
                  ("gouvernance_employeur", "conseil", 2, 41),
                  ("benevolat", "formation", 2, 14),
                  ("modele_economique", "conseil", 2, 6),
                  ("recrutement", "conseil", 2, 6)],
    },
    # By hand, B2 = B2.1 1 + B2.2 0 + B2.3 3 + B2.4 1 (B2.5 "ne sait pas") = 5 over 4 answers:
    # 100 × 5 / 12 = 41.7, "à consolider"; B2.2 (critical) at 0 raises the alert on its first
    # theme, gouvernance_projet, whose intensity is B1 (1 + 2 + 0 + 2) + B2 (2 + 9 + 0 + 2)
    # + B3.3 3×2 + B4.1 1×1 + B5.2 2×2 = 29. B3 has 2 answers of 5: not assessed.
    "gouvernance-alerte": {
        "scores": {"B1": (9, 4), "B2": (5, 4), "B4": (11, 5), "B5": (4, 4)},
        "levels": {"B1": "solide", "B2": "a_consolider", "B3": "non_evalue", "B4": "solide",
                   "B5": "fragile"},
        "completeness": (19, 25),
        "alerts": ["B2.2"],
        "needs": [("gouvernance_projet", "appui", 1, 29),
                  ("gouvernance_employeur", "conseil", 2, 34),
                  ("recrutement", "conseil", 2, 6),
                  ("benevolat", "conseil", 3, 4)],
    },
    # C3.1 = 30 % is inside "≤ 30" (3), C1.1 = 7 months ≥ 6 (3), C3.3 = 4 sources (3).
    "vigilance-economique-solide": {
        "scores": {"C1": (12, 4), "C2": (12, 4), "C3": (12, 4), "C4": (12, 5), "C5": (10, 4),
                   "C6": (10, 4)},
        "levels": dict.fromkeys(SHAPES["vigilance-economique"], "solide"),
        "completeness": (25, 25),
        "alerts": [],
        "needs": [("modele_economique", "conseil", 2, 8)],
    },
    # By hand, C3: C3.1 = 70 % is in ]50;70] → 1, C3.2 = 80 % > 75 → 0, C3.3 = 1 source → 0,
    # C3.4 "oui" (agreement ends within 12 months) → 1: 100 × 2 / 12 = 16.7, fragile.
    # Band edges elsewhere: C1.1 = 1 month → 1, C1.4 = 3 months → 1, C2.2 = 2 deficits → 1,
    # C2.3 = 1 month of equity → 1. No critical item at 0 (C1.3 and C2.1 fine): no alert.
    "vigilance-economique-fragile": {
        "scores": {"C1": (5, 4), "C2": (5, 4), "C3": (2, 4), "C4": (4, 5), "C5": (4, 4),
                   "C6": (5, 4)},
        "levels": {"C1": "a_consolider", "C2": "a_consolider", "C3": "fragile", "C4": "fragile",
                   "C5": "fragile", "C6": "a_consolider"},
        "completeness": (25, 25),
        "alerts": [],
        "needs": [("modele_economique", "conseil", 2, 92),
                  ("organisation_management", "conseil", 2, 12),
                  ("gouvernance_employeur", "conseil", 2, 6),
                  ("gouvernance_projet", "formation", 2, 6),
                  ("qvct", "conseil", 2, 6)],
    },
    # Half a month of cash (0), wages paid late ("oui" → 0) and negative equity ("non" → 0):
    # three alerts, one priority-1 need on modele_economique at "appui". C3 (2 of 4 answered)
    # and C5 (all "ne sait pas") are not assessed.
    "vigilance-economique-alerte": {
        "scores": {"C1": (0, 3), "C2": (0, 3), "C4": (6, 4), "C6": (4, 3)},
        "levels": {"C1": "fragile", "C2": "fragile", "C3": "non_evalue", "C4": "a_consolider",
                   "C5": "non_evalue", "C6": "a_consolider"},
        "completeness": (15, 25),
        "alerts": ["C1.1", "C1.3", "C2.1"],
        "needs": [("modele_economique", "appui", 1, 72),
                  ("paie_declarations", "conseil", 2, 9),
                  ("gouvernance_projet", "formation", 3, 4)],
    },
    # Leaders not trained for the employer role (D4.5 = 1, weight 2, stage "formation").
    "fonction-employeur-solide": {
        "scores": {"D1": (17, 6), "D2": (14, 5), "D3": (13, 5), "D4": (11, 5), "D5": (15, 5),
                   "D6": (14, 5), "D7": (13, 5)},
        "levels": dict.fromkeys(SHAPES["fonction-employeur"], "solide"),
        "completeness": (36, 36),
        "alerts": [],
        "needs": [("formation_pro", "formation", 2, 6),
                  ("gouvernance_employeur", "formation", 2, 6)],
    },
    "fonction-employeur-fragile": {
        "scores": {"D1": (6, 6), "D2": (3, 5), "D3": (3, 5), "D4": (1, 5), "D5": (3, 5),
                   "D6": (5, 5), "D7": (2, 5)},
        "levels": dict.fromkeys(SHAPES["fonction-employeur"], "fragile"),
        "completeness": (36, 36),
        "alerts": [],
        "needs": [("gouvernance_employeur", "conseil", 2, 26),
                  ("modele_economique", "conseil", 2, 22),
                  ("recrutement", "conseil", 2, 19),
                  ("sante_prevoyance", "conseil", 2, 16),
                  ("formation_pro", "conseil", 2, 15)],
    },
    # The leaders answered alone: the six employee questions are left out. By hand, D5 =
    # D5.1 0 + D5.2 2 + D5.3 2 over 3 answers of 5 (= 60 %, assessed): 100 × 4 / 9 = 44.4;
    # D5.1 (risk assessment, critical) at 0 → alert; sante_prevoyance's intensity is
    # 3×3 + 2×1 + 2×1 = 13. D6.5 "oui" (a dispute under way) scores 1.
    "fonction-employeur-alerte": {
        "scores": {"D1": (9, 5), "D2": (7, 4), "D3": (6, 4), "D4": (4, 4), "D5": (4, 3),
                   "D6": (3, 3), "D7": (3, 4)},
        "levels": {"D1": "a_consolider", "D2": "a_consolider", "D3": "a_consolider",
                   "D4": "fragile", "D5": "a_consolider", "D6": "fragile", "D7": "fragile"},
        "completeness": (27, 36),
        "alerts": ["D1.2", "D5.1"],
        "needs": [("sante_prevoyance", "appui", 1, 13),
                  ("convention_collective", "appui", 1, 9),
                  ("modele_economique", "conseil", 2, 17),
                  ("gouvernance_employeur", "formation", 2, 15),
                  ("formation_pro", "formation", 2, 11)],
    },
}


def test_every_answers_file_has_a_golden_expectation() -> None:
    assert sorted(p.stem for p in ANSWERS.glob("*.json")) == sorted(GOLDEN)


@pytest.mark.parametrize("case", sorted(GOLDEN))
def test_golden_evaluation(case: str) -> None:
    tool = case.rsplit("-", 1)[0]
    expected = GOLDEN[case]
    answers = json.loads((ANSWERS / f"{case}.json").read_text(encoding="utf-8"))
    evaluation = evaluate(questionnaire(tool), answers)

    assert evaluation.issues == ()
    assert evaluation.scores == pytest.approx(
        {d: 100 * total / (3 * answered) for d, (total, answered) in expected["scores"].items()})
    assert evaluation.levels == expected["levels"]
    answered, count = expected["completeness"]
    assert evaluation.completeness == pytest.approx(answered / count)
    assert list(evaluation.alerts) == expected["alerts"]
    assert [(n.theme, n.stage, n.priority, n.intensity) for n in evaluation.needs] == \
        expected["needs"]


# --- the plugin and the sample ---------------------------------------------------------------


def test_plugin_registers_the_four_tools() -> None:
    registered: list[Any] = []
    reference_diagnostics.pmae_register_diagnostics(registered.append)
    assert [(t.name, t.version) for t in registered] == [(tool, "1.0") for tool in TOOLS]
    assert [t.title for t in registered] == [
        "Diagnostic partagé PMAE", "Gouvernance associative", "Vigilance économique",
        "Fonction employeur"]
    for item in registered:
        assert item.questionnaire == document(item.name)
        assert item.description


def test_plugin_manager_offers_the_tools() -> None:
    module = "pmae.default_plugins.reference_diagnostics"
    extra = () if module in BUILTIN_PLUGINS else (reference_diagnostics,)
    manager = make_plugin_manager(entry_points=False, plugins=extra)
    for tool in TOOLS:
        assert manager.diagnostic(tool).questionnaire["id"] == tool


def test_sample_diagnoses_match_the_shared_diagnosis_tool() -> None:
    """The sample's diagnoses use ``diagnostic-partage`` 1.0: same questions, same results."""
    tool = questionnaire("diagnostic-partage")
    diagnoses = json.loads(SAMPLE.read_text(encoding="utf-8"))["diagnoses"]
    assert diagnoses
    ids = {q.id for _, q in tool.questions()}
    for diagnosis in diagnoses:
        assert (diagnosis["tool"], diagnosis["tool_version"]) == ("diagnostic-partage", "1.0")
        assert set(diagnosis["answers"]) <= ids, diagnosis["id"]
        evaluation = evaluate(tool, diagnosis["answers"])
        assert evaluation.issues == ()
        assert {k: round(v, 1) for k, v in evaluation.scores.items()} == diagnosis["scores"]
        assert evaluation.levels == diagnosis["levels"]
        assert round(evaluation.completeness, 2) == diagnosis["completeness"]
