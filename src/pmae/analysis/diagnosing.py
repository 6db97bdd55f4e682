"""Running a diagnostic tool for one association, and recording the result in a bundle.

The command line (``pmae diagnose``) only asks, prints and writes; the work is here:
:func:`run_tool` scores answers with a registered :class:`~pmae.plugins.DiagnosticTool` (its own
``score`` when it has one, else the standard engine) and :func:`record_diagnosis` adds the
resulting ``Diagnosis`` and its ``Need`` records to a bundle. The vocabularies a questionnaire's
themes belong to are the session's (``session=``; :func:`pmae.session` by default).
:mod:`pmae.render.diagnosing` writes the result the way an advisor reads it.
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
from typing import TYPE_CHECKING, Any

import attrs

from pmae.diagnostics import (
    Evaluation,
    Questionnaire,
    evaluate,
    load_questionnaire,
    to_records,
)
from pmae.i18n import gettext as _
from pmae.i18n import ngettext
from pmae.issues import Issue
from pmae.jsonpath import json_path, path_parts
from pmae.model import Association, Bundle
from pmae.plugins.calls import plugin_call, refuse_result
from pmae.sessions import session as current_session

if TYPE_CHECKING:
    from pmae.plugins.items import DiagnosticTool
    from pmae.sessions import Session
    from pmae.vocab import Vocabulary

__all__ = [
    "UnknownAssociationError",
    "answer_lines",
    "blank_answers",
    "evaluation_to_json",
    "find_association",
    "locate_answer_issues",
    "next_diagnosis_id",
    "questionnaire_of",
    "record_diagnosis",
    "run_tool",
]


class UnknownAssociationError(LookupError):
    """The association a diagnosis is for is not in the bundle; the message says so."""

    def __str__(self) -> str:
        # LookupError would show the message quoted, like a KeyError.
        return str(self.args[0]) if self.args else ""


def questionnaire_of(
    tool: DiagnosticTool, *, vocabularies: Mapping[str, Vocabulary] | None = None,
    session: Session | None = None,
) -> Questionnaire:
    """The checked questionnaire of a tool.

    :param vocabularies: the vocabularies its themes belong to; by default the session's
        (:func:`pmae.session`), so a plugin's namespaced themes are known.
    :raises pmae.diagnostics.QuestionnaireError: if the questionnaire is not valid.
    """
    if vocabularies is None:
        vocabularies = current_session(session).vocabularies
    return load_questionnaire(tool.questionnaire, vocabularies=vocabularies)


def run_tool(
    tool: DiagnosticTool,
    answers: Mapping[str, object],
    *,
    vocabularies: Mapping[str, Vocabulary] | None = None,
    session: Session | None = None,
) -> Evaluation:
    """Score ``answers`` (question id -> answer) with ``tool``; its questionnaire is checked
    against ``vocabularies`` (the session's by default, see :func:`questionnaire_of`).

    A tool with a ``score`` function is scored by it: it is called as
    ``score(questionnaire, answers)`` and must return an
    :class:`~pmae.diagnostics.Evaluation`, like :func:`~pmae.diagnostics.evaluate`, which
    scores every other tool.

    :raises ~pmae.plugins.calls.PluginFailure: the tool's ``score`` failed (the message names
        its plugin and version); a :class:`~pmae.plugins.calls.PluginResultError`, also a
        ``TypeError``, when it returned something else than an evaluation.
    """
    questionnaire = questionnaire_of(tool, vocabularies=vocabularies, session=session)
    if tool.score is None:
        return evaluate(questionnaire, answers)
    registry = current_session(session).plugins
    kind = "scoring function of diagnostic tool"
    with plugin_call(registry, tool, kind):
        result = tool.score(questionnaire, answers)
    if not isinstance(result, Evaluation):
        raise refuse_result(registry, tool, kind, f"it returned a {type(result).__name__}, "
                                                  "not a pmae.diagnostics.Evaluation")
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
        hint = (_("did you mean {names}?").format(
                    names=_(" or ").join(repr(c) for c in close)) if close
                else ngettext("the bundle has {count} association",
                              "the bundle has {count} associations",
                              len(associations)).format(count=len(associations)))
        raise UnknownAssociationError(
            _("no association {id!r} in the bundle of {slug!r}; {hint}").format(
                id=association_id, slug=bundle.source.slug, hint=hint))
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
        raise ValueError(_("id {id!r} is already used in the bundle: choose another "
                           "diagnosis id").format(id=used[0]))
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
