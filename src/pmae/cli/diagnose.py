"""``pmae diagnose``: run a diagnostic tool for an association and record it in a bundle.

It parses arguments, asks the questions and prints; scoring and recording are in
:mod:`pmae.analysis.diagnosing`. Exit codes: 0 ok (also when the advisor quits the questions,
which saves them to resume later), 1 data problems (invalid answers or bundle), 2 usage error.

Modes: ``--list`` (the tools), ``TOOL --blank`` (an answers template), ``TOOL --answers FILE``
(score a file, and record it with ``--bundle`` and ``--association``), and ``TOOL`` with a
terminal on stdin (ask the questions one at a time: :mod:`pmae.cli.diagnose_terminal`). The
bundle is opened and recorded into by :mod:`pmae.cli.diagnose_record`, with
:func:`pmae.update_bundle`'s guarantees.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
import orjson

from pmae.analysis.diagnosing import (
    blank_answers,
    evaluation_to_json,
    locate_answer_issues,
    questionnaire_of,
)
from pmae.cli.common import (
    check_output,
    echo_json,
    fail,
    lang_option,
    reference_date,
    same_file,
    session_of,
    write_result,
)
from pmae.cli.diagnose_record import echo_recorded, open_target, record, run_checked
from pmae.diagnostics import Questionnaire, QuestionnaireError, read_answers
from pmae.i18n import N_
from pmae.i18n import gettext as _
from pmae.plugins.items import DiagnosticTool
from pmae.render.diagnosing import blank_csv, render_answer_issue, render_evaluation
from pmae.sessions import Session

__all__ = ["diagnose"]

#: Issues of an answers file that mean it could not be read at all (nothing to score).
_UNREADABLE = frozenset({"file-not-found", "invalid-json", "invalid-encoding", "wrong-type"})


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
@click.option("--force", is_flag=True,
              help="Replace the -o file (or the --save file) if it exists.")
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
@lang_option(N_("Language of the questions and of the result."))
@click.pass_context
def diagnose(ctx: click.Context,
             tool: str | None, list_tools: bool, blank: bool, answers_file: str | None,
             bundle_file: str | None, association_id: str | None, when: dt.datetime | None,
             advisor: str | None, output: str | None, force: bool,
             output_format: str | None,
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
             "--resume": resume_file, "--force": force}
    if list_tools:
        extra = [name for name, value in given.items() if value]
        if tool is not None or extra:
            raise click.UsageError(_("--list takes no TOOL and no other option than --format "
                                     "and --lang"))
        if output_format == "csv":
            raise click.UsageError(_("--list prints text or json"))
        _list(session_of(ctx), output_format or "text", lang)
        return
    if tool is None:
        raise click.UsageError(_("give a TOOL (`pmae diagnose --list` lists them), or --list"))
    session = session_of(ctx)
    try:
        item = session.diagnostic(tool)
    except LookupError as error:
        raise click.UsageError(str(error.args[0])) from None
    try:
        questionnaire = questionnaire_of(item, vocabularies=session.vocabularies)
    except QuestionnaireError as error:
        raise click.ClickException(_("diagnostic tool {tool!r}: {error}").format(
            tool=tool, error=error)) from None
    if blank:
        others = [name for name, value in given.items()
                  if value and name not in ("--blank", "-o", "--force")]
        if others:
            raise click.UsageError(_("--blank takes no {options}").format(
                options=", ".join(others)))
        _blank(questionnaire, output_format or "json", output, lang, force=force)
        return
    if output_format == "csv":
        raise click.UsageError(
            _("--format csv is for --blank; the result prints as text or json"))
    if (bundle_file is None) != (association_id is None):
        raise click.UsageError(_("--bundle and --association go together: the bundle to "
                                 "record in, and the id of the association diagnosed in it"))
    if bundle_file is None:
        for name in ("--date", "--advisor", "-o"):
            if given[name]:
                raise click.UsageError(_("{option} is for recording: give --bundle and "
                                         "--association too").format(option=name))
    if output is not None:
        check_output(output, force=force or same_file(output, bundle_file))
        for other in (answers_file, resume_file):
            if other is not None and Path(output).resolve() == Path(other).resolve():
                raise click.UsageError(_("{output} is the answers file: write the bundle "
                                         "elsewhere").format(output=output))
    date = reference_date(ctx, when)
    if answers_file is not None:
        if resume_file is not None or save_file is not None:
            raise click.UsageError(_("--resume and --save are for the questions asked on the "
                                     "terminal, not for --answers"))
        _score_file(ctx, session, item, questionnaire, answers_file, bundle_file=bundle_file,
                    association_id=association_id, date=date, advisor=advisor, output=output,
                    output_format=output_format or "text", accept_partial=accept_partial,
                    lang=lang)
        return
    if output_format == "json":
        raise click.UsageError(_("the questions asked on the terminal print their result as "
                                 "text; --format json is for --answers"))
    if not sys.stdin.isatty():
        raise click.UsageError(_("standard input is not a terminal, so the questions cannot be "
                                 "asked: pass the answers with --answers FILE (a template: "
                                 "pmae diagnose {tool} --blank)").format(tool=tool))
    from pmae.cli.diagnose_terminal import interview

    interview(ctx, session, item, questionnaire, tool=tool, bundle_file=bundle_file,
               association_id=association_id, date=date, date_given=when is not None,
               advisor=advisor, output=output, save_file=save_file, resume_file=resume_file,
               lang=lang, force=force)


def _list(session: Session, output_format: str, lang: str) -> None:
    rows = []
    for registered in session.plugins.diagnostics():
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
        click.echo(_("{name}  {version}  {questions:>3} questions  {title}  [{plugin}]").format(
            name=f"{row['name']:<{name_width}}", version=f"{row['version']:<{version_width}}",
            questions=row["questions"], title=row["title"], plugin=row["plugin"]))


def _blank(questionnaire: Questionnaire, output_format: str, output: str | None,
           lang: str, *, force: bool) -> None:
    if output_format not in ("json", "csv"):
        raise click.UsageError(_("--blank writes json or csv"))
    if output_format == "json":
        text = orjson.dumps(blank_answers(questionnaire),
                            option=orjson.OPT_INDENT_2).decode() + "\n"
    else:
        text = blank_csv(questionnaire, lang)
    check_output(output, force=force)
    write_result(text, output)


def _score_file(ctx: click.Context,
                session: Session, item: DiagnosticTool, questionnaire: Questionnaire,
                answers_file: str, *, bundle_file: str | None, association_id: str | None,
                date: dt.date, advisor: str | None, output: str | None, output_format: str,
                accept_partial: bool, lang: str) -> None:
    target = None
    if bundle_file is not None and association_id is not None:
        target = open_target(ctx, bundle_file, output, association_id, advisor)
    answers, read_issues = read_answers(answers_file)
    if any(i.code in _UNREADABLE or (i.code == "missing-field" and i.column is None)
           for i in read_issues):
        fail(read_issues, _("{file}: cannot read the answers; nothing was written").format(
            file=answers_file),
              render=render_answer_issue)
    evaluation = run_checked(item, answers, session)
    issues = [*read_issues, *locate_answer_issues(evaluation.issues, answers_file)]
    invalid = any(issue.severity == "error" for issue in issues)
    refused = invalid and not accept_partial
    if output_format == "json":
        data = evaluation_to_json(evaluation)
        data["issues"] = [issue.to_dict() for issue in issues]
        data["diagnosis"] = None
        if target is not None and not refused:
            recorded = record(target, evaluation, date=date, advisor=advisor)
            echo_recorded(recorded, lang)
            data["diagnosis"] = recorded.bundle.diagnoses[-1].id
        echo_json(data)
        sys.exit(1 if refused else 0)
    for issue in issues:
        click.echo(render_answer_issue(issue), err=True)
    if refused:
        said = (_("{file}: nothing was written: fix the answers, or pass --accept-partial to "
                  "score the valid ones only") if target is not None else
                _("{file}: fix the answers, or pass --accept-partial to score the valid ones "
                  "only"))
        click.echo(said.format(file=answers_file), err=True)
        sys.exit(1)
    association = (target.association.id, target.association.name) if target else None
    click.echo(render_evaluation(evaluation, questionnaire, vocabularies=session.vocabularies,
                                 lang=lang, association=association), nl=False)
    if target is not None:
        echo_recorded(record(target, evaluation, date=date, advisor=advisor), lang)


if __name__ == "__main__":  # pragma: no cover - the pty tests run it this way
    diagnose(prog_name="pmae diagnose")
