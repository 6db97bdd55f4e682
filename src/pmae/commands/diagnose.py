"""``pmae diagnose``: run a diagnostic tool for an association and record it in a bundle.

It parses arguments, asks the questions and prints; scoring and recording are in
:mod:`pmae.analysis.diagnosing`. Exit codes: 0 ok (also when the advisor quits the questions,
which saves them to resume later), 1 data problems (invalid answers or bundle), 2 usage error.

Modes: ``--list`` (the tools), ``TOOL --blank`` (an answers template), ``TOOL --answers FILE``
(score a file, and record it with ``--bundle`` and ``--association``), and ``TOOL`` with a
terminal on stdin (ask the questions one at a time).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import attrs
import click
import orjson

from pmae.analysis.diagnosing import (
    UnknownAssociationError,
    blank_answers,
    evaluation_to_json,
    find_association,
    locate_answer_issues,
    questionnaire_of,
    record_diagnosis,
    run_tool,
)
from pmae.commands import check_output, echo_json, plugin_manager
from pmae.diagnostics import (
    Dimension,
    Evaluation,
    Question,
    Questionnaire,
    QuestionnaireError,
    read_answers,
)
from pmae.io.bundles import dumps_bundle, write_bundle
from pmae.io.files import atomic_writer, parse_json
from pmae.io.pipeline import validate_document, validate_file
from pmae.issues import Issue
from pmae.model import Association, Bundle
from pmae.model.records import Answer
from pmae.plugins.items import DiagnosticTool
from pmae.plugins.manager import PluginManager
from pmae.render.diagnosing import blank_csv, render_answer_issue, render_evaluation

__all__ = ["diagnose"]

#: Issues of an answers file that mean it could not be read at all (nothing to score).
_UNREADABLE = frozenset({"file-not-found", "invalid-json", "invalid-encoding", "wrong-type"})

#: Commands typed instead of an answer in the interactive mode.
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
        "recorded": "Enregistré dans {bundle} : diagnostic {id}, {needs} besoin(s).",
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
        "recorded": "Recorded in {bundle}: diagnosis {id}, {needs} need(s).",
    },
}

_YES = frozenset({"o", "oui", "y", "yes"})
_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?$")


def _same_file(one: str, other: str | None) -> bool:
    return other is not None and Path(one).resolve() == Path(other).resolve()


def _fail(issues: Sequence[Issue], why: str, *, render: Any = Issue.render) -> NoReturn:
    for issue in issues:
        click.echo(render(issue), err=True)
    click.echo(why, err=True)
    sys.exit(1)


# --- the bundle a diagnosis goes into ---------------------------------------------------------


@attrs.define(kw_only=True)
class _Target:
    """The bundle read, where the result goes, and how to know the file did not change since."""

    path: str
    output: str
    bundle: Bundle
    association: Association
    stamp: tuple[int, int, int]


def _stamp(path: str) -> tuple[int, int, int]:
    # The inode too: an atomic replace by another program gives the file a new one.
    status = os.stat(path)
    return status.st_ino, status.st_mtime_ns, status.st_size


def _load_target(manager: PluginManager, path: str, output: str, association_id: str,
                 advisor: str | None) -> _Target:
    """Validate the bundle and find the association (and the advisor) in it."""
    stamp = _stamp(path)
    report = validate_file(path, context=manager.check_context(),
                           extra_checks=manager.check_functions())
    if not report.ok or report.bundle is None:
        _fail(report.issues, f"{path}: the bundle has errors; fix them first (nothing was "
                             "written)")
    newer = [i for i in report.issues if i.code == "newer-field"]
    if newer and _same_file(output, path):
        _fail(newer, f"{path} holds fields of a newer bundle format that this pmae would drop "
                     "by writing it again: write the result to another file with -o")
    try:
        association = find_association(report.bundle, association_id)
    except UnknownAssociationError as error:
        raise click.UsageError(str(error)) from None
    if advisor is not None and advisor not in {actor.id for actor in report.bundle.actors}:
        raise click.UsageError(f"--advisor {advisor!r} is not an actor of {path}")
    return _Target(path=path, output=output, bundle=report.bundle, association=association,
                   stamp=stamp)


def _record(manager: PluginManager, target: _Target, evaluation: Evaluation, *,
            date: dt.date, advisor: str | None) -> Bundle:
    """Add the diagnosis to the bundle, validate the whole result, then write it atomically."""
    if _stamp(target.path) != target.stamp:
        # Changed on disk while the questions were asked: record into what is there now.
        target = _load_target(manager, target.path, target.output, target.association.id,
                              advisor)
    recorded = record_diagnosis(
        target.bundle, evaluation, association_id=target.association.id, date=date,
        advisor=advisor, generated_at=dt.datetime.now(dt.UTC).replace(microsecond=0))
    # Validate exactly what is written, so a bundle that would not load again never replaces
    # the one the user has.
    report = validate_document(parse_json(dumps_bundle(recorded), file=target.output),
                               file=target.output, context=manager.check_context(),
                               extra_checks=manager.check_functions())
    if not report.ok:
        _fail(report.issues, f"nothing was written: {target.output} would not be valid with "
                             "this diagnosis")
    write_bundle(recorded, target.output)
    return recorded


def _recorded_message(recorded: Bundle, target: _Target, lang: str) -> str:
    diagnosis = recorded.diagnoses[-1]
    return _TEXTS[lang]["recorded"].format(bundle=target.output, id=diagnosis.id,
                                           needs=len(diagnosis.needs))


# --- the command ------------------------------------------------------------------------------


@click.command()
@click.argument("tool", required=False)
@click.option("--list", "list_tools", is_flag=True, help="List the diagnostic tools.")
@click.option("--blank", is_flag=True,
              help="Print a fillable answers template of TOOL (--format json or csv).")
@click.option("--answers", "answers_file",
              type=click.Path(exists=True, dir_okay=False, readable=True),
              help="Answers file to score (JSON, or CSV with question,answer rows).")
@click.option("--bundle", "bundle_file",
              type=click.Path(exists=True, dir_okay=False, readable=True),
              help="Record the diagnosis and its needs in this bundle (rewritten atomically).")
@click.option("--association", "association_id",
              help="Id of the association diagnosed (it must be in --bundle).")
@click.option("--date", "when", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Date of the diagnosis, YYYY-MM-DD (default: today).")
@click.option("--advisor", help="Actor id of the advisor who ran the diagnosis.")
@click.option("-o", "--output", default=None,
              help="Write the bundle there instead of back to --bundle; with --blank, the "
                   "template.")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "csv"]),
              default=None, help="text or json (default text); json or csv with --blank.")
@click.option("--accept-partial", is_flag=True,
              help="Record even when some answers are invalid (they are left out).")
@click.option("--save", "save_file", default=None,
              help="Where q saves the answers given so far (default: "
                   "<association>-<tool>.partial.json).")
@click.option("--resume", "resume_file",
              type=click.Path(exists=True, dir_okay=False, readable=True),
              help="Resume from a partial answers file, at the first unanswered question.")
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True,
              help="Language of the questions and of the result.")
def diagnose(tool: str | None, list_tools: bool, blank: bool, answers_file: str | None,
             bundle_file: str | None, association_id: str | None, when: dt.datetime | None,
             advisor: str | None, output: str | None, output_format: str | None,
             accept_partial: bool, save_file: str | None, resume_file: str | None,
             lang: str) -> None:
    """Run the diagnostic tool TOOL for an association, and record it in a bundle.

    \b
    pmae diagnose --list
    pmae diagnose TOOL --blank [--format json|csv] [-o FILE]
    pmae diagnose TOOL --answers FILE [--bundle B --association ID] [-o OUT]
    pmae diagnose TOOL --bundle B --association ID     (asks the questions)

    Without --answers, the questions are asked one at a time on the terminal: type an answer,
    ? for "ne sait pas", s to skip, b to go back, q to save and quit (--resume goes on).
    The bundle is validated whole with the new diagnosis before it is written, atomically.
    """
    given = {"--blank": blank, "--answers": answers_file, "--bundle": bundle_file,
             "--association": association_id, "--date": when, "--advisor": advisor,
             "-o": output, "--accept-partial": accept_partial, "--save": save_file,
             "--resume": resume_file}
    if list_tools:
        extra = [name for name, value in given.items() if value]
        if tool is not None or extra:
            raise click.UsageError("--list takes no TOOL and no other option than --format "
                                   "and --lang")
        if output_format == "csv":
            raise click.UsageError("--list prints text or json")
        _list(plugin_manager(), output_format or "text", lang)
        return
    if tool is None:
        raise click.UsageError("give a TOOL (`pmae diagnose --list` lists them), or --list")
    manager = plugin_manager()
    try:
        item = manager.diagnostic(tool)
    except LookupError as error:
        raise click.UsageError(str(error.args[0])) from None
    try:
        questionnaire = questionnaire_of(item, vocabularies=manager.vocabularies())
    except QuestionnaireError as error:
        raise click.ClickException(f"diagnostic tool {tool!r}: {error}") from None
    if blank:
        others = [name for name, value in given.items() if value and name not in ("--blank", "-o")]
        if others:
            raise click.UsageError(f"--blank takes no {', '.join(others)}")
        _blank(questionnaire, output_format or "json", output, lang)
        return
    if output_format == "csv":
        raise click.UsageError("--format csv is for --blank; the result prints as text or json")
    if (bundle_file is None) != (association_id is None):
        raise click.UsageError("--bundle and --association go together: the bundle to record "
                               "in, and the id of the association diagnosed in it")
    if bundle_file is None:
        for name in ("--date", "--advisor", "-o"):
            if given[name]:
                raise click.UsageError(f"{name} is for recording: give --bundle and "
                                       "--association too")
    if output is not None:
        check_output(output)
        for other in (answers_file, resume_file):
            if _same_file(output, other):
                raise click.UsageError(f"{output} is the answers file: write the bundle "
                                       "elsewhere")
    date = when.date() if when is not None else dt.date.today()
    if answers_file is not None:
        if resume_file is not None or save_file is not None:
            raise click.UsageError("--resume and --save are for the questions asked on the "
                                   "terminal, not for --answers")
        _score_file(manager, item, questionnaire, answers_file, bundle_file=bundle_file,
                    association_id=association_id, date=date, advisor=advisor, output=output,
                    output_format=output_format or "text", accept_partial=accept_partial,
                    lang=lang)
        return
    if output_format == "json":
        raise click.UsageError("the questions asked on the terminal print their result as text; "
                               "--format json is for --answers")
    if not sys.stdin.isatty():
        raise click.UsageError("standard input is not a terminal, so the questions cannot be "
                               "asked: pass the answers with --answers FILE (a template: "
                               f"pmae diagnose {tool} --blank)")
    _interview(manager, item, questionnaire, tool=tool, bundle_file=bundle_file,
               association_id=association_id, date=date, date_given=when is not None,
               advisor=advisor, output=output, save_file=save_file, resume_file=resume_file,
               lang=lang)


def _list(manager: PluginManager, output_format: str, lang: str) -> None:
    rows = []
    for registered in manager.diagnostics():
        tool = registered.item
        data = tool.questionnaire
        title = data.get("title", {}).get(lang) or tool.title
        questions = sum(len(dimension["questions"]) for dimension in data["dimensions"])
        rows.append({"name": tool.name, "version": tool.version, "title": title,
                     "plugin": registered.plugin, "questions": questions})
    if output_format == "json":
        echo_json(rows)
        return
    name_width = max((len(str(row["name"])) for row in rows), default=0)
    version_width = max((len(str(row["version"])) for row in rows), default=0)
    for row in rows:
        click.echo(f"{row['name']:<{name_width}}  {row['version']:<{version_width}}  "
                   f"{row['questions']:>3} questions  {row['title']}  [{row['plugin']}]")


def _blank(questionnaire: Questionnaire, output_format: str, output: str | None,
           lang: str) -> None:
    if output_format not in ("json", "csv"):
        raise click.UsageError("--blank writes json or csv")
    if output_format == "json":
        text = orjson.dumps(blank_answers(questionnaire),
                            option=orjson.OPT_INDENT_2).decode() + "\n"
    else:
        text = blank_csv(questionnaire, lang)
    if output is None:
        click.echo(text, nl=False)
        return
    check_output(output)
    with atomic_writer(output, "w") as handle:
        handle.write(text)
    click.echo(f"wrote {output}", err=True)


def _score_file(manager: PluginManager, item: DiagnosticTool, questionnaire: Questionnaire,
                answers_file: str, *, bundle_file: str | None, association_id: str | None,
                date: dt.date, advisor: str | None, output: str | None, output_format: str,
                accept_partial: bool, lang: str) -> None:
    target = None
    if bundle_file is not None and association_id is not None:
        target = _load_target(manager, bundle_file, output or bundle_file, association_id,
                              advisor)
    answers, read_issues = read_answers(answers_file)
    if any(i.code in _UNREADABLE or (i.code == "missing-field" and i.column is None)
           for i in read_issues):
        _fail(read_issues, f"{answers_file}: cannot read the answers; nothing was written",
              render=render_answer_issue)
    evaluation = _run(item, answers, manager)
    issues = [*read_issues, *locate_answer_issues(evaluation.issues, answers_file)]
    invalid = any(issue.severity == "error" for issue in issues)
    refused = invalid and not accept_partial
    if output_format == "json":
        data = evaluation_to_json(evaluation)
        data["issues"] = [issue.to_dict() for issue in issues]
        recorded = None
        if target is not None and not refused:
            recorded = _record(manager, target, evaluation, date=date, advisor=advisor)
            click.echo(_recorded_message(recorded, target, lang), err=True)
        data["diagnosis"] = recorded.diagnoses[-1].id if recorded is not None else None
        echo_json(data)
        sys.exit(1 if refused else 0)
    for issue in issues:
        click.echo(render_answer_issue(issue), err=True)
    if refused:
        what = "nothing was written: fix" if target is not None else "fix"
        click.echo(f"{answers_file}: {what} the answers, or pass --accept-partial to score the "
                   "valid ones only", err=True)
        sys.exit(1)
    association = (target.association.id, target.association.name) if target else None
    click.echo(render_evaluation(evaluation, questionnaire, vocabularies=manager.vocabularies(),
                                 lang=lang, association=association), nl=False)
    if target is not None:
        recorded = _record(manager, target, evaluation, date=date, advisor=advisor)
        click.echo(_recorded_message(recorded, target, lang), err=True)


def _run(item: DiagnosticTool, answers: Mapping[str, object],
         manager: PluginManager) -> Evaluation:
    try:
        return run_tool(item, answers, vocabularies=manager.vocabularies())
    except TypeError as error:
        raise click.ClickException(f"{error} (a bug of its plugin; `pmae plugins` names it)"
                                   ) from None


# --- the questions asked on the terminal ------------------------------------------------------


def _partial_name(tool: str, association_id: str | None) -> str:
    """``<association-id-sanitised>-<tool>.partial.json``, a name safe on every system."""
    stem = f"{association_id}-{tool}" if association_id else tool
    return re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-") + ".partial.json"


def _interview(manager: PluginManager, item: DiagnosticTool, questionnaire: Questionnaire, *,
               tool: str, bundle_file: str | None, association_id: str | None, date: dt.date,
               date_given: bool, advisor: str | None, output: str | None, save_file: str | None,
               resume_file: str | None, lang: str) -> None:
    texts = _TEXTS[lang]
    save = save_file or resume_file or _partial_name(tool, association_id)
    check_output(save)
    target = None
    if bundle_file is not None and association_id is not None:
        target = _load_target(manager, bundle_file, output or bundle_file, association_id,
                              advisor)
    answers: dict[str, Answer] = {}
    if resume_file is not None:
        answers = _read_partial(item, resume_file, manager)
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
    evaluation = _run(item, ordered, manager)
    association = (target.association.id, target.association.name) if target else None
    click.echo()
    click.echo(render_evaluation(evaluation, questionnaire, vocabularies=manager.vocabularies(),
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
    recorded = _record(manager, target, evaluation, date=date, advisor=advisor)
    click.echo(_recorded_message(recorded, target, lang))


def _read_partial(item: DiagnosticTool, path: str, manager: PluginManager) -> dict[str, Answer]:
    """The answers of a partial file, checked against the tool (exit 1 if they do not fit)."""
    answers, issues = read_answers(path)
    evaluation = _run(item, answers, manager)
    issues = [*issues, *locate_answer_issues(evaluation.issues, path)]
    if any(issue.severity == "error" for issue in issues):
        _fail(issues, f"{path}: these answers do not fit the tool {item.name!r}; fix the file "
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


if __name__ == "__main__":  # pragma: no cover - the pty tests run it this way
    diagnose(prog_name="pmae diagnose")
