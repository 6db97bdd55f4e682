"""Running a diagnostic tool for one association, and recording the result in a bundle.

The command line (``pmae diagnose``) only asks, prints and writes; the work is here:
:func:`run_tool` scores answers with a registered :class:`~pmae.plugins.DiagnosticTool` (its own
``score`` when it has one, else the standard engine), :func:`record_diagnosis` adds the
resulting ``Diagnosis`` and its ``Need`` records to a bundle, and :func:`render_evaluation`
writes the result the way an advisor reads it.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import json
import os
import re
from collections.abc import Mapping
from typing import Any

import attrs

from pmae.diagnostics import (
    NOT_ASSESSED,
    Evaluation,
    Questionnaire,
    evaluate,
    load_questionnaire,
    to_records,
)
from pmae.io.schema_issues import json_path, path_parts
from pmae.issues import Issue
from pmae.model import Association, Bundle
from pmae.plugins.items import DiagnosticTool
from pmae.vocab import Vocabulary, core_vocabularies

__all__ = [
    "UnknownAssociationError",
    "answer_lines",
    "blank_answers",
    "blank_csv",
    "evaluation_to_json",
    "find_association",
    "locate_answer_issues",
    "next_diagnosis_id",
    "questionnaire_of",
    "record_diagnosis",
    "render_answer_issue",
    "render_evaluation",
    "run_tool",
]


class UnknownAssociationError(LookupError):
    """The association a diagnosis is for is not in the bundle; the message says so."""

    def __str__(self) -> str:
        # LookupError would show the message quoted, like a KeyError.
        return str(self.args[0]) if self.args else ""


def questionnaire_of(
    tool: DiagnosticTool, *, vocabularies: Mapping[str, Vocabulary] | None = None
) -> Questionnaire:
    """The checked questionnaire of a tool.

    :param vocabularies: the vocabularies its themes belong to (pass a plugin manager's, so a
        plugin's namespaced themes are known); pmae's core vocabularies by default.
    :raises pmae.diagnostics.QuestionnaireError: if the questionnaire is not valid.
    """
    return load_questionnaire(tool.questionnaire, vocabularies=vocabularies)


def run_tool(
    tool: DiagnosticTool,
    answers: Mapping[str, object],
    *,
    vocabularies: Mapping[str, Vocabulary] | None = None,
) -> Evaluation:
    """Score ``answers`` (question id -> answer) with ``tool``.

    A tool with a ``score`` function is scored by it: it is called as
    ``score(questionnaire, answers)`` and must return an
    :class:`~pmae.diagnostics.Evaluation`, like :func:`~pmae.diagnostics.evaluate`, which
    scores every other tool.

    :raises TypeError: if the tool's ``score`` returns something else than an evaluation.
    """
    questionnaire = questionnaire_of(tool, vocabularies=vocabularies)
    if tool.score is None:
        return evaluate(questionnaire, answers)
    result = tool.score(questionnaire, answers)
    if not isinstance(result, Evaluation):
        raise TypeError(f"the score function of diagnostic tool {tool.name!r} returned a "
                        f"{type(result).__name__}, not a pmae.diagnostics.Evaluation")
    return result


# --- recording ---------------------------------------------------------------------------------


def next_diagnosis_id(bundle: Bundle) -> str:
    """A new diagnosis id for ``bundle``: ``<source slug>:diag-<n>``, n past every one used.

    Taking the number after the highest one (rather than the first free one) never gives a
    removed diagnosis's id to another, whose needs could still be referred to elsewhere.
    """
    slug = bundle.source.slug
    pattern = re.compile(rf"^{re.escape(slug)}:diag-(\d+)(?:-|$)")
    taken = bundle.index()
    numbers = [int(match[1]) for key in taken if (match := pattern.match(key))]
    number = max(numbers, default=0) + 1
    return f"{slug}:diag-{number}"


def find_association(bundle: Bundle, association_id: str) -> Association:
    """The association ``association_id`` of ``bundle``.

    :raises UnknownAssociationError: if the bundle has none with that id; the message offers
        the closest ids.
    """
    associations = {association.id: association for association in bundle.associations}
    association = associations.get(association_id)
    if association is None:
        close = difflib.get_close_matches(association_id, list(associations), n=3)
        hint = (f"; did you mean {' or '.join(repr(c) for c in close)}?" if close
                else f"; the bundle has {len(associations)} association(s)")
        raise UnknownAssociationError(
            f"no association {association_id!r} in the bundle of {bundle.source.slug!r}{hint}")
    return association


def record_diagnosis(
    bundle: Bundle,
    evaluation: Evaluation,
    *,
    association_id: str,
    date: dt.date,
    advisor: str | None = None,
    diagnosis_id: str | None = None,
    generated_at: dt.datetime | None = None,
) -> Bundle:
    """A new bundle: ``bundle`` with the evaluation's ``Diagnosis`` and ``Need`` records added.

    :param diagnosis_id: the diagnosis's id; :func:`next_diagnosis_id` by default. Its needs
        are ``<diagnosis id>-besoin-<n>`` (see :func:`~pmae.diagnostics.to_records`).
    :param generated_at: the new bundle's ``generated_at``; the bundle's own by default.
    :raises UnknownAssociationError: if ``association_id`` is not an association of the bundle.
    :raises ValueError: if a given ``diagnosis_id`` (or one of its needs' ids) is already used.
    """
    association = find_association(bundle, association_id)
    if diagnosis_id is None:
        diagnosis_id = next_diagnosis_id(bundle)
    diagnosis, needs = to_records(evaluation, diagnosis_id=diagnosis_id, association=association,
                                  date=date, advisor=advisor)
    taken = bundle.index()
    used = [key for key in (diagnosis.id, *(need.id for need in needs)) if key in taken]
    if used:
        raise ValueError(f"id {used[0]!r} is already used in the bundle: choose another "
                         "diagnosis id")
    recorded = bundle.with_collections({
        "diagnoses": (*bundle.diagnoses, diagnosis),
        "needs": (*bundle.needs, *needs),
    })
    if generated_at is not None:
        recorded = attrs.evolve(recorded, generated_at=generated_at)
    return recorded


# --- answers files ----------------------------------------------------------------------------


def blank_answers(questionnaire: Questionnaire) -> dict[str, None]:
    """A fillable answers template: every question id -> ``None``, in the questionnaire's order.

    Read back as is, every question is answered "ne sait pas".
    """
    return {question.id: None for _, question in questionnaire.questions()}


def blank_csv(questionnaire: Questionnaire, lang: str = "fr") -> str:
    """A fillable CSV answers template: ``question,answer,text``, one row a question.

    The ``text`` column shows the question to whoever fills the file in;
    :func:`~pmae.diagnostics.read_answers` reads past it.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["question", "answer", "text"])
    for _, question in questionnaire.questions():
        writer.writerow([question.id, "", question.text.get(lang)])
    return buffer.getvalue()


def answer_lines(path: str | os.PathLike[str]) -> dict[str, int]:
    """The line where each question is first answered in an answers file (JSON or CSV).

    Best effort, for pointing at answers the engine refuses: a file that cannot be read gives
    ``{}`` (:func:`~pmae.diagnostics.read_answers` reports why).
    """
    name = os.fspath(path)
    try:
        with open(name, encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
        return _csv_lines(text) if name.lower().endswith(".csv") else _json_lines(text)
    except (OSError, UnicodeDecodeError, ValueError, csv.Error, IndexError):
        return {}


def _csv_lines(text: str) -> dict[str, int]:
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    next(reader, None)
    lines: dict[str, int] = {}
    for row in reader:
        if row and row[0].strip():
            lines.setdefault(row[0].strip(), reader.line_num)
    return lines


def _json_lines(text: str) -> dict[str, int]:
    """Line of each key of a top-level JSON object (the text is known to parse)."""
    decoder = json.JSONDecoder()
    space = re.compile(r"\s*")

    def skip(position: int) -> int:
        match = space.match(text, position)
        return match.end() if match else position

    lines: dict[str, int] = {}
    position = skip(skip(0) + 1)  # past "{"
    while position < len(text) and text[position] != "}":
        key, end = decoder.raw_decode(text, position)
        if isinstance(key, str):
            lines.setdefault(key, text.count("\n", 0, position) + 1)
        position = skip(skip(end) + 1)  # past ":"
        _, position = decoder.raw_decode(text, position)
        position = skip(position)
        if position < len(text) and text[position] == ",":
            position = skip(position + 1)
    return lines


def locate_answer_issues(
    issues: tuple[Issue, ...] | list[Issue], path: str | os.PathLike[str]
) -> list[Issue]:
    """The engine's issues about answers, pointing into the answers file they came from.

    An issue at ``$.answers['A1.1']`` gets the file, the line of ``A1.1`` in it, the path of
    the answer in the file (``$['A1.1']``), and the question id before its message. Issues
    that already name a file (from reading it) are kept as they are.
    """
    name = os.fspath(path)
    lines: dict[str, int] | None = None
    located = []
    for issue in issues:
        parts = path_parts(issue.path) if issue.file is None else []
        if len(parts) != 2 or parts[0] != "answers":
            located.append(issue if issue.file is not None else attrs.evolve(issue, file=name))
            continue
        if lines is None:
            lines = answer_lines(name)
        question = str(parts[1])
        located.append(attrs.evolve(
            issue, file=name, line=lines.get(question), path=json_path([question]),
            message=f"{question}: {issue.message}"))
    return located


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


# --- showing the result -----------------------------------------------------------------------


def evaluation_to_json(evaluation: Evaluation) -> dict[str, Any]:
    """An evaluation as JSON-ready data, with scores and completeness rounded as recorded."""
    return {
        "tool": evaluation.tool,
        "version": evaluation.version,
        "answers": dict(evaluation.answers),
        "scores": {key: round(score, 1) for key, score in evaluation.scores.items()},
        "levels": dict(evaluation.levels),
        "completeness": round(evaluation.completeness, 3),
        "alerts": list(evaluation.alerts),
        "intensities": dict(evaluation.intensities),
        "needs": [
            {"theme": need.theme, "stage": need.stage, "priority": need.priority,
             "intensity": need.intensity, "reasons": list(need.reasons)}
            for need in evaluation.needs
        ],
        "issues": [issue.to_dict() for issue in evaluation.issues],
    }


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
    lang: str = "fr",
    association: tuple[str, str] | None = None,
) -> str:
    """The result as an advisor reads it: scores and levels per dimension, alerts, needs.

    :param vocabularies: where the labels of themes and stages come from (core by default).
    :param association: ``(id, name)`` of the association, named in the heading.
    :returns: lines of text, each ending with a newline.
    """
    texts = _TEXTS[lang]
    labels = vocabularies or core_vocabularies()
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
