"""``pmae diagnose``: the questions asked one at a time on the terminal.

An answer, ``?`` for "ne sait pas", ``s`` to skip, ``b`` to go back, ``q`` to save the answers
given so far and quit (``--resume`` goes on). Answers are saved atomically; the diagnosis is
recorded in the bundle only when the advisor confirms.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import shlex
import sys

import click
import orjson

from pmae.analysis.diagnosing import locate_answer_issues
from pmae.cli.common import check_output, fail
from pmae.cli.diagnose_record import echo_recorded, open_target, record, run_checked
from pmae.diagnostics import Dimension, Question, Questionnaire, read_answers
from pmae.io.files import atomic_writer
from pmae.model.records import Answer
from pmae.plugins.items import DiagnosticTool
from pmae.render.diagnosing import render_answer_issue, render_evaluation
from pmae.sessions import Session

__all__ = ["interview"]

_SKIP, _BACK, _QUIT, _UNKNOWN = "s", "b", "q", "?"

_TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "position": "{id} — {n}/{total}",
        "help": "  ({help})",
        "unknown": "Ne sait pas",
        "number": "  Un nombre{unit}{range}",
        "at_least": ", au moins {low}",
        "at_most": ", au plus {high}",
        "between": ", de {low} à {high}",
        "current": "  Réponse actuelle : {answer} (Entrée pour la garder)",
        "commands": "  s passer · b question précédente · q quitter (pour reprendre plus tard)",
        "prompt": "Réponse : ",
        "not_step": "« {entry} » n'est pas une réponse : tapez {allowed}, s, b ou q.",
        "not_number": "« {entry} » n'est pas un nombre : tapez un nombre, ?, s, b ou q.",
        "out_of_range": "{entry} est hors limites : {range}.",
        "not_choice": "« {entry} » n'est pas un choix : tapez {allowed}, s, b ou q.",
        "empty": "Tapez une réponse, ou s pour passer.",
        "first": "C'est la première question.",
        "saved": "{count} réponse(s) sur {total} enregistrée(s) dans {file}.",
        "resume": "Pour reprendre : {command}",
        "interrupted": "Interrompu.",
        "confirm": "Enregistrer dans {bundle} ? [o/N] ",
        "not_recorded": "Rien n'a été enregistré dans {bundle}.",
        "record_later": "Pour l'enregistrer plus tard : {command}",
        "answers_kept": "Réponses enregistrées dans {file}.",
    },
    "en": {
        "position": "{id} — {n}/{total}",
        "help": "  ({help})",
        "unknown": "Don't know",
        "number": "  A number{unit}{range}",
        "at_least": ", at least {low}",
        "at_most": ", at most {high}",
        "between": ", from {low} to {high}",
        "current": "  Current answer: {answer} (Enter keeps it)",
        "commands": "  s skip · b previous question · q quit (to resume later)",
        "prompt": "Answer: ",
        "not_step": "'{entry}' is not an answer: type {allowed}, s, b or q.",
        "not_number": "'{entry}' is not a number: type a number, ?, s, b or q.",
        "out_of_range": "{entry} is out of range: {range}.",
        "not_choice": "'{entry}' is not a choice: type {allowed}, s, b or q.",
        "empty": "Type an answer, or s to skip.",
        "first": "This is the first question.",
        "saved": "{count} answer(s) out of {total} saved to {file}.",
        "resume": "To resume: {command}",
        "interrupted": "Interrupted.",
        "confirm": "Record in {bundle}? [y/N] ",
        "not_recorded": "Nothing was recorded in {bundle}.",
        "record_later": "To record it later: {command}",
        "answers_kept": "Answers saved to {file}.",
    },
}

_YES = frozenset({"o", "oui", "y", "yes"})
_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?$")


# --- the questions asked on the terminal ------------------------------------------------------


def _partial_name(tool: str, association_id: str | None) -> str:
    """``<association-id-sanitised>-<tool>.partial.json``, a name safe on every system."""
    stem = f"{association_id}-{tool}" if association_id else tool
    return re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-") + ".partial.json"


def interview(ctx: click.Context,
              session: Session, item: DiagnosticTool, questionnaire: Questionnaire, *,
               tool: str, bundle_file: str | None, association_id: str | None, date: dt.date,
               date_given: bool, advisor: str | None, output: str | None, save_file: str | None,
               resume_file: str | None, lang: str, force: bool = False) -> None:
    texts = _TEXTS[lang]
    save = save_file or resume_file or _partial_name(tool, association_id)
    # Saving over the file resumed from is the point of --resume; over another one, a
    # previous partial save would be lost.
    check_output(save, force=force or save == resume_file)
    target = None
    if bundle_file is not None and association_id is not None:
        target = open_target(ctx, bundle_file, output, association_id, advisor)
    answers: dict[str, Answer] = {}
    if resume_file is not None:
        answers = _read_partial(item, resume_file, session)
    questions = list(questionnaire.questions())
    start = next((n for n, (_, q) in enumerate(questions) if q.id not in answers),
                 len(questions))

    def command(*options: str) -> str:
        words = ["pmae", "diagnose", tool]
        if bundle_file is not None and association_id is not None:
            words += ["--bundle", bundle_file, "--association", association_id]
        if output is not None:
            words += ["-o", output]
        if date_given:
            words += ["--date", date.isoformat()]
        if advisor is not None:
            words += ["--advisor", advisor]
        words += list(options)
        if lang != "fr":
            words += ["--lang", lang]
        return shlex.join(words)

    def keep(answers: dict[str, Answer]) -> None:
        ordered = {q.id: answers[q.id] for _, q in questions if q.id in answers}
        with atomic_writer(save, "wb") as handle:
            handle.write(orjson.dumps(ordered, option=orjson.OPT_INDENT_2) + b"\n")

    try:
        finished = _ask(questionnaire, questions, answers, start, lang)
    except KeyboardInterrupt:
        keep(answers)
        click.echo(f"\n{texts['interrupted']} "
                   + texts["saved"].format(count=len(answers), total=len(questions), file=save))
        click.echo(texts["resume"].format(command=command("--resume", save)))
        sys.exit(130)
    if not finished:
        keep(answers)
        click.echo(texts["saved"].format(count=len(answers), total=len(questions), file=save))
        click.echo(texts["resume"].format(command=command("--resume", save)))
        return
    ordered = {q.id: answers[q.id] for _, q in questions if q.id in answers}
    evaluation = run_checked(item, ordered, session)
    association = (target.association.id, target.association.name) if target else None
    click.echo()
    click.echo(render_evaluation(evaluation, questionnaire, vocabularies=session.vocabularies,
                                 lang=lang, association=association), nl=False)
    if target is None:
        keep(answers)
        click.echo(texts["answers_kept"].format(file=save))
        return
    click.echo()
    click.echo(texts["confirm"].format(bundle=target.output), nl=False)
    try:
        reply = input("").strip().lower()
    except (EOFError, KeyboardInterrupt):
        reply = ""
        click.echo()
    if reply not in _YES:
        keep(answers)
        click.echo(texts["not_recorded"].format(bundle=target.output) + " "
                   + texts["answers_kept"].format(file=save))
        click.echo(texts["record_later"].format(command=command("--answers", save)))
        return
    echo_recorded(record(target, evaluation, date=date, advisor=advisor), lang, err=False)


def _read_partial(item: DiagnosticTool, path: str, session: Session) -> dict[str, Answer]:
    """The answers of a partial file, checked against the tool (exit 1 if they do not fit)."""
    answers, issues = read_answers(path)
    evaluation = run_checked(item, answers, session)
    issues = [*issues, *locate_answer_issues(evaluation.issues, path)]
    if any(issue.severity == "error" for issue in issues):
        fail(issues, f"{path}: these answers do not fit the tool {item.name!r}; fix the file "
                      "or start again without --resume", render=render_answer_issue)
    return dict(evaluation.answers)


def _ask(questionnaire: Questionnaire, questions: list[tuple[Dimension, Question]],
         answers: dict[str, Answer], index: int, lang: str) -> bool:
    """Ask from question ``index`` on, filling ``answers``; False when the advisor quits.

    Going forward goes to the next question without an answer: after going back to change an
    answer, or when resuming, the questions already answered are not asked again (``b`` shows
    them).
    """
    texts = _TEXTS[lang]

    def forward(index: int) -> int:
        return next((n for n in range(index + 1, len(questions))
                     if questions[n][1].id not in answers), len(questions))

    while index < len(questions):
        dimension, question = questions[index]
        click.echo()
        for line in _describe(questionnaire, dimension, question, index, len(questions), lang):
            click.echo(line)
        if question.id in answers:
            shown = _show_answer(questionnaire, question, answers[question.id], lang)
            click.echo(texts["current"].format(answer=shown))
        click.echo(texts["commands"])
        while True:
            click.echo(texts["prompt"], nl=False)
            try:
                entry = input("").strip()
            except EOFError:
                click.echo()
                entry = _QUIT
            except UnicodeDecodeError:
                # Bytes the terminal's encoding cannot read: asked again, like any bad entry.
                click.echo(texts["empty"])
                continue
            command = entry.lower()
            if command == _QUIT:
                return False
            if command == _SKIP:
                answers.pop(question.id, None)
                index = forward(index)
                break
            if command == _BACK:
                if index == 0:
                    click.echo(texts["first"])
                    continue
                index -= 1
                break
            if not entry:
                if question.id in answers:
                    index = forward(index)
                    break
                click.echo(texts["empty"])
                continue
            try:
                answers[question.id] = _parse_entry(questionnaire, question, entry, lang)
            except ValueError as error:
                click.echo(str(error))
                continue
            index = forward(index)
            break
    return True


def _number_text(value: float) -> str:
    return f"{value:g}"


def _range_text(question: Question, lang: str) -> str:
    texts = _TEXTS[lang]
    low, high = question.minimum, question.maximum
    if low is not None and high is not None:
        return texts["between"].format(low=_number_text(low), high=_number_text(high))
    if low is not None:
        return texts["at_least"].format(low=_number_text(low))
    if high is not None:
        return texts["at_most"].format(high=_number_text(high))
    return ""


def _describe(questionnaire: Questionnaire, dimension: Dimension, question: Question,
              index: int, total: int, lang: str) -> list[str]:
    """The lines that ask one question: its dimension, number, text and allowed answers."""
    texts = _TEXTS[lang]
    lines = [f"{dimension.id} — {dimension.title.get(lang)}",
             texts["position"].format(id=question.id, n=index + 1, total=total),
             question.text.get(lang)]
    if question.help is not None:
        lines.append(texts["help"].format(help=question.help.get(lang)))
    if question.kind == "number":
        unit = f" ({question.unit.get(lang)})" if question.unit is not None else ""
        lines.append(texts["number"].format(unit=unit, range=_range_text(question, lang)))
        width = 1
    elif question.kind == "choice":
        width = max(len(choice.value) for choice in question.choices)
        lines += [f"  {choice.value:<{width}}  {choice.label.get(lang)}"
                  for choice in question.choices]
    else:
        width = max(len(str(option.value)) for option in questionnaire.scale)
        lines += [f"  {option.value!s:<{width}}  {option.label.get(lang)}"
                  for option in questionnaire.scale]
    lines.append(f"  {_UNKNOWN:<{width}}  {questionnaire.unknown_label.get(lang)}")
    return lines


def _show_answer(questionnaire: Questionnaire, question: Question, answer: Answer,
                 lang: str) -> str:
    if answer is None:
        return f"{_UNKNOWN} ({questionnaire.unknown_label.get(lang)})"
    if question.kind == "choice":
        label = next((c.label.get(lang) for c in question.choices if c.value == answer), "")
        return f"{answer} ({label})"
    if question.kind == "number":
        unit = f" {question.unit.get(lang)}" if question.unit is not None else ""
        return f"{answer}{unit}"
    label = next((o.label.get(lang) for o in questionnaire.scale if o.value == answer), "")
    return f"{answer} ({label})"


def _parse_entry(questionnaire: Questionnaire, question: Question, entry: str,
                 lang: str) -> Answer:
    """What the advisor typed, as an answer to ``question``.

    :raises ValueError: with a short message to show, if it is not an answer the question takes.
    """
    texts = _TEXTS[lang]
    if entry == _UNKNOWN:
        return None
    if question.kind == "number":
        if not _NUMBER.match(entry):
            raise ValueError(texts["not_number"].format(entry=entry))
        value = float(entry.replace(",", "."))
        low, high = question.minimum, question.maximum
        if not math.isfinite(value) or (low is not None and value < low) or (
                high is not None and value > high):
            raise ValueError(texts["out_of_range"].format(
                entry=entry, range=_range_text(question, lang).lstrip(", ")))
        return int(value) if value.is_integer() else value
    if question.kind == "choice":
        for choice in question.choices:
            if entry.casefold() in (choice.value.casefold(), choice.label.get(lang).casefold()):
                return choice.value
        allowed = ", ".join([*(c.value for c in question.choices), _UNKNOWN])
        raise ValueError(texts["not_choice"].format(entry=entry, allowed=allowed))
    values = [option.value for option in questionnaire.scale]
    if re.fullmatch(r"[+-]?[0-9]+", entry) and int(entry) in values:
        return int(entry)
    allowed = ", ".join([*(str(v) for v in values), _UNKNOWN])
    raise ValueError(texts["not_step"].format(entry=entry, allowed=allowed))

