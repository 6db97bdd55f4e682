"""The scoring engine: answers to scores, levels, alerts and needs (docs/diagnostics.md).

:func:`evaluate` is pure and deterministic, and never raises on bad answers: each one becomes an
:class:`~pmae.issues.Issue` and is left out, and the rest is scored. :func:`to_records` turns an
evaluation into the model's ``Diagnosis`` and ``Need`` records.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Final

import attrs

from pmae.diagnostics.questionnaire import NOT_ASSESSED, Dimension, Question, Questionnaire
from pmae.i18n import N_
from pmae.i18n import gettext as _
from pmae.issues import Issue
from pmae.jsonpath import json_path
from pmae.model.records import Answer, Association, Diagnosis, Need

__all__ = ["DerivedNeed", "Evaluation", "evaluate", "to_records"]


@attrs.define(kw_only=True, frozen=True)
class DerivedNeed:
    """A need the answers show, before it becomes a :class:`~pmae.model.Need` record.

    ``reasons`` says why, in this order: ``alerte:<question>`` for each alert,
    ``dimension:<id> fragile`` for each dimension at the lowest level whose main theme it is,
    then the ids of the questions that added to the theme's intensity.
    """

    theme: str
    stage: str
    priority: int
    intensity: float
    reasons: tuple[str, ...]


@attrs.define(kw_only=True, frozen=True)
class Evaluation:
    """What a questionnaire's answers give: scores, levels, alerts, needs and the issues found."""

    tool: str
    version: str
    #: The valid answers only (``None`` for "ne sait pas"), in the questionnaire's order.
    answers: dict[str, Answer]
    #: Dimension id -> score 0..100, for the assessed dimensions only.
    scores: dict[str, float]
    #: Dimension id -> level code, or ``non_evalue``, for every dimension.
    levels: dict[str, str]
    #: Answered questions / questions, over the whole tool.
    completeness: float
    #: Ids of the critical questions at their worst score, in the questionnaire's order.
    alerts: tuple[str, ...]
    #: Theme -> intensity, for the themes of the answered questions.
    intensities: dict[str, float]
    #: The needs kept (at most ``top``), by priority, then intensity, then theme.
    needs: tuple[DerivedNeed, ...]
    issues: tuple[Issue, ...]


def _issue(code: str, question_id: object, message: str, hint: str | None = None) -> Issue:
    key = question_id if isinstance(question_id, str) else repr(question_id)
    return Issue(code=code, path=json_path(["answers", key]), message=message, hint=hint)


#: The hint of an answer that is none of the allowed values (translated when it is used).
_ONE_OF: Final = N_("answer with one of {values}, or null for \"ne sait pas\"")


def _number(answer: object) -> int | float | None:
    """``answer`` as a finite number, or ``None`` (JSON's true/false is not a number here)."""
    if isinstance(answer, bool) or not isinstance(answer, int | float):
        return None
    return answer if math.isfinite(answer) else None


def _score(questionnaire: Questionnaire, question: Question,
           answer: object) -> tuple[Answer, int | None, Issue | None]:
    """``(answer as kept, its score or None for "ne sait pas", issue)``; an issue means refused."""
    if answer is None:
        return None, None, None
    qid = question.id
    number = _number(answer)
    if question.kind == "scale":
        values = [option.value for option in questionnaire.scale]
        # 2.0 is 2: some tools write every number as a float.
        if number is not None and number == int(number) and int(number) in values:
            return int(number), int(number), None
        return None, None, _issue(
            "invalid-answer", qid, _("{answer} is not a step of the scale").format(
                answer=repr(answer)),
            hint=_(_ONE_OF).format(values=", ".join(str(v) for v in values)))
    if question.kind == "number":
        if number is None:
            return None, None, _issue(
                "invalid-answer", qid, _("{answer} is not a number").format(
                    answer=repr(answer)),
                hint=_("answer with a number, or null for \"ne sait pas\""))
        low, high = question.minimum, question.maximum
        if (low is not None and number < low) or (high is not None and number > high):
            bounds = (_("{answer} is out of range: must be between {low} and {high}")
                      if low is not None and high is not None
                      else _("{answer} is out of range: must be at least {low}")
                      if low is not None else
                      _("{answer} is out of range: must be at most {high}"))
            return None, None, _issue("out-of-range", qid, bounds.format(
                answer=repr(answer), low=f"{low:g}" if low is not None else "",
                high=f"{high:g}" if high is not None else ""))
        for band in question.bands:
            if band.holds(number):
                return number, band.score, None
        raise AssertionError("the last band has no upto")  # a parsed questionnaire ensures it
    # A CSV cell "1" reaches us as the number 1: a choice whose value is "1" takes it.
    text = str(number) if isinstance(number, int) else answer
    for choice in question.choices:
        if text == choice.value:
            return choice.value, choice.score, None
    return None, None, _issue(
        "invalid-answer", qid, _("{answer} is not one of the choices").format(
            answer=repr(answer)),
        hint=_(_ONE_OF).format(values=", ".join(c.value for c in question.choices)))


def evaluate(questionnaire: Questionnaire, answers: Mapping[str, object]) -> Evaluation:
    """Score ``answers`` (question id -> answer) with the standard rules of docs/diagnostics.md.

    Bad answers are reported in ``issues`` and left out; this never raises on them.
    """
    issues: list[Issue] = []
    scored: dict[str, int] = {}
    kept: dict[str, Answer] = {}
    for key, answer in answers.items():
        try:
            question = questionnaire.question(key) if isinstance(key, str) else None
        except KeyError:
            question = None
        if question is None:
            issues.append(_issue("unknown-question", key,
                                 _("{key} is not a question of '{questionnaire}'").format(
                                     key=repr(key), questionnaire=questionnaire.id),
                                 hint=_("check the question id against the questionnaire")))
            continue
        value, score, issue = _score(questionnaire, question, answer)
        if issue is not None:
            issues.append(issue)
            continue
        kept[key] = value
        if score is not None:
            scored[key] = score

    best = questionnaire.best
    scores: dict[str, float] = {}
    levels: dict[str, str] = {}
    lowest: list[Dimension] = []
    for dimension in questionnaire.dimensions:
        answered = [scored[q.id] for q in dimension.questions if q.id in scored]
        count = len(dimension.questions)
        # A dimension without any answer is never assessed, whatever the threshold.
        if not answered or len(answered) < questionnaire.completeness * count:
            levels[dimension.id] = NOT_ASSESSED
            continue
        percent = 100 * sum(answered) / (best * len(answered))
        scores[dimension.id] = percent
        level = _level(questionnaire, percent)
        levels[dimension.id] = level
        if level == questionnaire.levels[0].code:
            lowest.append(dimension)

    total = sum(len(d.questions) for d in questionnaire.dimensions)
    intensities: dict[str, float] = {}
    contributions: dict[str, list[tuple[int, Question, Dimension]]] = {}
    alerts: list[str] = []
    for dimension, question in questionnaire.questions():
        if question.id not in scored:
            continue
        score = scored[question.id]
        gap = question.weight * (best - score)
        for theme in questionnaire.themes_of(question, dimension):
            intensities[theme] = intensities.get(theme, 0.0) + gap
            if gap > 0:
                contributions.setdefault(theme, []).append((gap, question, dimension))
        if question.critical and score == questionnaire.worst(question):
            alerts.append(question.id)

    needs = _needs(questionnaire, intensities, contributions, alerts, lowest)
    return Evaluation(
        tool=questionnaire.id,
        version=questionnaire.version,
        answers={q.id: kept[q.id] for _, q in questionnaire.questions() if q.id in kept},
        scores=scores,
        levels=levels,
        completeness=len(scored) / total,
        alerts=tuple(alerts),
        intensities=intensities,
        needs=needs,
        issues=tuple(issues),
    )


def _level(questionnaire: Questionnaire, score: float) -> str:
    # Decided on the score as recorded (one decimal), so a diagnosis never shows 40.0 "fragile"
    # next to a rule that says fragile is under 40.
    shown = round(score, 1)
    for level in questionnaire.levels:
        if level.below is None or shown < level.below:
            return level.code
    raise AssertionError("the last level has no below")  # a parsed questionnaire ensures it


def _needs(
    questionnaire: Questionnaire,
    intensities: Mapping[str, float],
    contributions: Mapping[str, list[tuple[int, Question, Dimension]]],
    alerts: list[str],
    lowest: list[Dimension],
) -> tuple[DerivedNeed, ...]:
    threshold = questionnaire.min_intensity
    lowest_code = questionnaire.levels[0].code
    priority: dict[str, int] = {}
    reasons: dict[str, list[str]] = {}
    fallback_stage: dict[str, str] = {}
    for qid in alerts:
        dimension = questionnaire.dimension_of(qid)
        theme = questionnaire.themes_of(questionnaire.question(qid), dimension)[0]
        priority[theme] = 1
        reasons.setdefault(theme, []).append(f"alerte:{qid}")
    for dimension in lowest:
        theme = dimension.themes[0]
        priority[theme] = min(priority.get(theme, 2), 2)
        reasons.setdefault(theme, []).append(f"dimension:{dimension.id} {lowest_code}")
        fallback_stage.setdefault(theme, dimension.stage or questionnaire.stage)
    for theme, intensity in intensities.items():
        # A theme at intensity 0 (every answer at best) is no need, even with min_intensity 0.
        if intensity > 0 and intensity >= threshold:
            rank = 2 if intensity >= 2 * threshold else 3
            priority[theme] = min(priority.get(theme, rank), rank)
    derived = []
    for theme, rank in priority.items():
        given = contributions.get(theme, [])
        if rank == 1:
            stage = questionnaire.alert_stage
        elif given:
            # The stage asked by the question that weighs most on the theme (the first on a tie).
            _, question, dimension = max(given, key=lambda c: c[0])
            stage = questionnaire.stage_of(question, dimension)
        else:
            # The main theme of a fragile dimension that none of its answers weighed on.
            stage = fallback_stage[theme]
        why = reasons.get(theme, []) + [question.id for _, question, _ in given]
        derived.append(DerivedNeed(theme=theme, stage=stage, priority=rank,
                                   intensity=intensities.get(theme, 0.0),
                                   reasons=tuple(why)))
    derived.sort(key=lambda n: (n.priority, -n.intensity, n.theme))
    return tuple(derived[: questionnaire.top])


def to_records(
    evaluation: Evaluation,
    *,
    diagnosis_id: str,
    association: Association,
    date: dt.date,
    advisor: str | None = None,
) -> tuple[Diagnosis, tuple[Need, ...]]:
    """The ``Diagnosis`` and ``Need`` records of an evaluation, for one association.

    Needs are numbered ``<diagnosis id>-besoin-1``… in the evaluation's order; they carry the
    association's commune, size band and sector (what the shared diagnosis aggregates on) and,
    like the diagnosis, are ``restricted`` to the association's recipients.
    """
    needs = tuple(
        Need(
            id=f"{diagnosis_id}-besoin-{n}",
            theme=need.theme,
            origin="diagnostic",
            date=date,
            association=association.id,
            diagnosis=diagnosis_id,
            stage=need.stage,
            priority=need.priority,
            intensity=need.intensity,
            territory=association.commune,
            size_band=association.size_band,
            sector=association.sector,
            visibility="restricted",
            recipients=association.recipients,
        )
        for n, need in enumerate(evaluation.needs, start=1)
    )
    diagnosis = Diagnosis(
        id=diagnosis_id,
        association=association.id,
        tool=evaluation.tool,
        tool_version=evaluation.version,
        date=date,
        answers=dict(evaluation.answers),
        scores={key: round(score, 1) for key, score in evaluation.scores.items()},
        levels=dict(evaluation.levels),
        completeness=round(evaluation.completeness, 3),
        alerts=evaluation.alerts,
        needs=tuple(need.id for need in needs),
        advisor=advisor,
        visibility="restricted",
        recipients=association.recipients,
    )
    return diagnosis, needs
