"""A diagnosis as people read it: the scores, alerts and needs of an evaluation, the issues
about an answers file, and the fillable CSV answers template.

What is rendered is computed by :mod:`pmae.analysis.diagnosing` and :mod:`pmae.diagnostics`. The
labels of themes and stages and the language come from the session (``session=``;
:func:`pmae.session` by default); ``lang=`` and ``vocabularies=`` override its.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import TYPE_CHECKING

from pmae.diagnostics import NOT_ASSESSED
from pmae.io.csv_writer import safe_writer
from pmae.sessions import session as current_session

if TYPE_CHECKING:
    from pmae.diagnostics import Evaluation, Questionnaire
    from pmae.issues import Issue
    from pmae.sessions import Session
    from pmae.vocab import Vocabulary

__all__ = ["blank_csv", "render_answer_issue", "render_evaluation"]


_TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "association": "Association : {name} ({id})",
        "answers": "Réponses : {answered}/{total}{unknown} — complétude {completeness} %",
        "unknown": ", {count} « ne sait pas »",
        "dimensions": "Dimensions",
        "not_assessed": "Non évalué",
        "alerts": "Alertes",
        "needs": "Besoins",
        "none": "  aucune",
        "no_need": "  aucun",
        "need": "  {n}. {theme} — priorité {priority}, {stage}, intensité {intensity}",
    },
    "en": {
        "association": "Association: {name} ({id})",
        "answers": "Answers: {answered}/{total}{unknown} — completeness {completeness} %",
        "unknown": ", {count} \"don't know\"",
        "dimensions": "Dimensions",
        "not_assessed": "Not assessed",
        "alerts": "Alerts",
        "needs": "Needs",
        "none": "  none",
        "no_need": "  none",
        "need": "  {n}. {theme} — priority {priority}, {stage}, intensity {intensity}",
    },
}


def _decimal(value: float, lang: str, digits: int = 1) -> str:
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "fr" else text


def _amount(value: float, lang: str) -> str:
    text = f"{value:g}"
    return text.replace(".", ",") if lang == "fr" else text


def render_evaluation(
    evaluation: Evaluation,
    questionnaire: Questionnaire,
    *,
    vocabularies: Mapping[str, Vocabulary] | None = None,
    lang: str | None = None,
    association: tuple[str, str] | None = None,
    session: Session | None = None,
) -> str:
    """The result as an advisor reads it: scores and levels per dimension, alerts, needs.

    :param vocabularies: where the labels of themes and stages come from (the session's by
        default).
    :param lang: ``fr`` or ``en``; the session's language by default.
    :param association: ``(id, name)`` of the association, named in the heading.
    :param session: :func:`pmae.session` by default.
    :returns: lines of text, each ending with a newline.
    """
    context = current_session(session)
    lang = lang or context.lang
    texts = _TEXTS[lang]
    labels = context.vocabularies if vocabularies is None else vocabularies
    lines = [f"{questionnaire.title.get(lang)} — {questionnaire.id} {questionnaire.version}"]
    if association is not None:
        lines.append(texts["association"].format(id=association[0], name=association[1]))
    total = sum(1 for _ in questionnaire.questions())
    unknown = sum(1 for answer in evaluation.answers.values() if answer is None)
    answered = len(evaluation.answers) - unknown
    lines.append(texts["answers"].format(
        answered=answered, total=total,
        unknown=texts["unknown"].format(count=unknown) if unknown else "",
        completeness=_decimal(100 * evaluation.completeness, lang)))

    lines += ["", texts["dimensions"]]
    level_labels = {level.code: level.label.get(lang) for level in questionnaire.levels}
    level_labels[NOT_ASSESSED] = texts["not_assessed"]
    width = max(len(d.title.get(lang)) for d in questionnaire.dimensions)
    id_width = max(len(d.id) for d in questionnaire.dimensions)
    for dimension in questionnaire.dimensions:
        level = evaluation.levels.get(dimension.id, NOT_ASSESSED)
        score = evaluation.scores.get(dimension.id)
        shown = "—" if score is None else _decimal(round(score, 1), lang)
        lines.append(f"  {dimension.id:<{id_width}}  {dimension.title.get(lang):<{width}}  "
                     f"{shown:>5}  {level_labels.get(level, level)}")

    lines += ["", texts["alerts"]]
    for question_id in evaluation.alerts:
        text = questionnaire.question(question_id).text.get(lang)
        lines.append(f"  ! {question_id} — {text}")
    if not evaluation.alerts:
        lines.append(texts["none"])

    lines += ["", texts["needs"]]
    themes, stages = labels.get("themes"), labels.get("stages")
    for n, need in enumerate(evaluation.needs, start=1):
        lines.append(texts["need"].format(
            n=n, priority=need.priority, intensity=_amount(need.intensity, lang),
            theme=themes.label(need.theme, lang) if themes else need.theme,
            stage=stages.label(need.stage, lang) if stages else need.stage))
    if not evaluation.needs:
        lines.append(texts["no_need"])
    return "".join(f"{line}\n" for line in lines)


def render_answer_issue(issue: Issue) -> str:
    """An issue about an answers file, compiler style: ``answers.csv:4: error [code] message``.

    The line says where the answer is; without one, this is :meth:`Issue.render`.
    """
    if issue.file is None or issue.line is None:
        return issue.render()
    # Issue.render puts the JSON path after the line: in an answers file the line is enough.
    text = f"{issue.file}:{issue.line}: {issue.severity} [{issue.code}] {issue.message}"
    hint = issue.to_dict()["hint"]  # the code's usual hint when the issue has none
    return f"{text} — {hint}" if hint else text


def blank_csv(questionnaire: Questionnaire, lang: str | None = None, *,
              session: Session | None = None) -> str:
    """A fillable CSV answers template: ``question,answer,text``, one row a question.

    The ``text`` column shows the question, in the session's language unless ``lang`` is
    given, to whoever fills the file in; :func:`~pmae.diagnostics.read_answers` reads past it.
    """
    lang = lang or current_session(session).lang
    buffer = io.StringIO()
    writer = safe_writer(buffer, lineterminator="\n")
    writer.writerow(["question", "answer", "text"])
    for _, question in questionnaire.questions():
        writer.writerow([question.id, "", question.text.get(lang)])
    return buffer.getvalue()
