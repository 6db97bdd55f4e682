"""pmae-diag-numerique: a digital-maturity self-diagnosis for small employer associations.

Registers the diagnostic tool ``maturite-numerique`` (written by the *Point d'appui au
numérique associatif d'Occitanie*): 19 questions in four dimensions — N1 tools and equipment,
N2 data and security (GDPR, backups), N3 the team's digital skills, N4 online presence and
relations with members. The questionnaire is the data file ``numerique.json``, in pmae's
questionnaire format (docs/diagnostics.md).

Scoring is pmae's standard engine (:func:`pmae.diagnostics.evaluate`) plus two rules the
declarative format cannot say, applied by :func:`score`:

- **Security gate.** When the backups question (N2.1, critical) is at its worst answer or the
  GDPR record question (N2.2) is at 0, the "données et sécurité" dimension is capped at
  :data:`SECURITY_CAP` (39.9, so its level is ``fragile``) whatever its other answers, and the
  need on ``numerique`` is forced to priority 1 at stage ``appui``. An association that would
  lose its members' file in a burglary is not "solide" on data because its passwords are good.
- **Training stage.** When the team-skills dimension (N3) is fragile, the need on
  ``formation_pro`` asks for stage ``formation`` rather than the dimension's ``sensibilisation``:
  a fragile team needs a training course, a merely uneven one an awareness session.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from importlib.resources import files
from typing import Final

import attrs
from pmae.diagnostics import (
    DerivedNeed,
    Evaluation,
    Question,
    Questionnaire,
    evaluate,
)
from pmae.model import Answer
from pmae.plugins import DiagnosticTool, hookimpl
from pmae.plugins.types import QuestionnaireData

__all__ = [
    "BACKUP",
    "FORCED_STAGE",
    "GDPR_RECORD",
    "SECURITY",
    "SECURITY_CAP",
    "SECURITY_THEME",
    "SKILLS",
    "TOOL",
    "TRAINING_STAGE",
    "TRAINING_THEME",
    "adjust",
    "pmae_register_diagnostics",
    "questionnaire_data",
    "score",
    "security_triggers",
]

__version__: Final = "0.1.0"

#: The tool's name: its questionnaire's id.
TOOL: Final = "maturite-numerique"
#: The "données et sécurité" dimension, and the two questions that close its gate.
SECURITY: Final = "N2"
BACKUP: Final = "N2.1"
GDPR_RECORD: Final = "N2.2"
#: The highest score the security dimension may have when the gate is closed: under the
#: ``fragile`` level's ``below`` of 40, as recorded with one decimal.
SECURITY_CAP: Final = 39.9
#: The need the gate forces, and its stage (priority 1).
SECURITY_THEME: Final = "numerique"
FORCED_STAGE: Final = "appui"
#: The team-skills dimension, and the stage its main theme's need takes when it is fragile.
SKILLS: Final = "N3"
TRAINING_THEME: Final = "formation_pro"
TRAINING_STAGE: Final = "formation"


def questionnaire_data() -> QuestionnaireData:
    """The questionnaire document, as read from ``numerique.json`` (a fresh copy each call)."""
    # Read through the package, so this works from a wheel or a zip as well as a checkout.
    text = (files(__name__) / "numerique.json").read_text(encoding="utf-8")
    data: QuestionnaireData = json.loads(text)
    return data


def _answer_score(question: Question, answer: Answer) -> int | None:
    """The score of an answer as an :class:`Evaluation` keeps it (already checked valid)."""
    if answer is None:
        return None
    if question.kind == "choice":
        return next(c.score for c in question.choices if c.value == answer)
    if question.kind == "number":
        assert isinstance(answer, int | float)
        return next(b.score for b in question.bands if b.holds(answer))
    assert isinstance(answer, int)
    return answer


def _level(questionnaire: Questionnaire, value: float) -> str:
    """The level of a score, decided on the score as recorded (one decimal), as pmae does."""
    shown = round(value, 1)
    for level in questionnaire.levels:
        if level.below is None or shown < level.below:
            return level.code
    raise AssertionError("the last level of a parsed questionnaire has no below")


def security_triggers(questionnaire: Questionnaire, evaluation: Evaluation) -> tuple[str, ...]:
    """The questions that close the security gate, in the questionnaire's order (may be none).

    The backups question closes it at its worst answer, the GDPR record question at 0; a
    question not answered, or answered "ne sait pas", does not.
    """
    triggers = []
    backup = questionnaire.question(BACKUP)
    if _answer_score(backup, evaluation.answers.get(BACKUP)) == questionnaire.worst(backup):
        triggers.append(BACKUP)
    if _answer_score(questionnaire.question(GDPR_RECORD),
                     evaluation.answers.get(GDPR_RECORD)) == 0:
        triggers.append(GDPR_RECORD)
    return tuple(triggers)


def _forced_need(questionnaire: Questionnaire, evaluation: Evaluation, levels: Mapping[str, str],
                 triggers: tuple[str, ...]) -> DerivedNeed:
    """The need on :data:`SECURITY_THEME` the gate forces, with the engine's reasons and more.

    Reasons, in this order: ``alerte:<question>`` for each alert on the theme,
    ``securite:<question>`` for each question that closed the gate, ``dimension:<id> fragile``
    for each fragile dimension whose main theme it is (the capped one included), then the
    questions that added to the theme's intensity, in the questionnaire's order.
    """
    lowest = questionnaire.levels[0].code
    alerts = [f"alerte:{qid}" for qid in evaluation.alerts
              if questionnaire.themes_of(questionnaire.question(qid),
                                         questionnaire.dimension_of(qid))[0] == SECURITY_THEME]
    dimensions = [f"dimension:{d.id} {lowest}" for d in questionnaire.dimensions
                  if d.themes[0] == SECURITY_THEME and levels[d.id] == lowest]
    added = []
    for dimension, question in questionnaire.questions():
        value = _answer_score(question, evaluation.answers.get(question.id))
        # Every weight is at least 1: an answer adds to the intensity when it is not the best.
        if (value is not None and value < questionnaire.best
                and SECURITY_THEME in questionnaire.themes_of(question, dimension)):
            added.append(question.id)
    return DerivedNeed(
        theme=SECURITY_THEME, stage=FORCED_STAGE, priority=1,
        intensity=evaluation.intensities.get(SECURITY_THEME, 0.0),
        reasons=(*alerts, *(f"securite:{qid}" for qid in triggers), *dimensions, *added))


def adjust(questionnaire: Questionnaire, evaluation: Evaluation) -> Evaluation:
    """Apply the security gate and the training stage to a standard evaluation.

    Scores, levels and needs stay consistent: the capped dimension's level follows its capped
    score, the needs are sorted as pmae sorts them (priority, then intensity descending, then
    theme) and cut to the questionnaire's ``top``. A security dimension with too few answers to
    be assessed stays ``non_evalue`` (there is no score to cap), but the gate still forces its
    need: the answer that closed it is known. Nothing changes when neither rule applies.
    """
    scores = dict(evaluation.scores)
    levels = dict(evaluation.levels)
    needs = list(evaluation.needs)
    triggers = security_triggers(questionnaire, evaluation)
    if triggers:
        if SECURITY in scores and scores[SECURITY] > SECURITY_CAP:
            scores[SECURITY] = SECURITY_CAP
            levels[SECURITY] = _level(questionnaire, SECURITY_CAP)
        # Raising one need never brings back a need the engine cut: it can only push others out.
        needs = [n for n in needs if n.theme != SECURITY_THEME]
        needs.append(_forced_need(questionnaire, evaluation, levels, triggers))
    if levels[SKILLS] == questionnaire.levels[0].code:
        needs = [attrs.evolve(n, stage=TRAINING_STAGE) if n.theme == TRAINING_THEME else n
                 for n in needs]
    needs.sort(key=lambda n: (n.priority, -n.intensity, n.theme))
    return attrs.evolve(evaluation, scores=scores, levels=levels,
                        needs=tuple(needs[: questionnaire.top]))


def score(questionnaire: Questionnaire, answers: Mapping[str, object]) -> Evaluation:
    """Score ``answers``: pmae's standard evaluation, then the two rules of :func:`adjust`.

    Like :func:`pmae.diagnostics.evaluate`, it never raises on bad answers: they are issues.
    """
    return adjust(questionnaire, evaluate(questionnaire, answers))


@hookimpl
def pmae_register_diagnostics(register: Callable[[DiagnosticTool], None]) -> None:
    """``maturite-numerique``, scored by :func:`score`."""
    data = questionnaire_data()
    register(DiagnosticTool(
        name=data["id"],
        title=data["title"]["fr"],
        version=data["version"],
        questionnaire=data,
        score=score,
        description=data["description"]["fr"],
    ))
