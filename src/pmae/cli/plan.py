"""``pmae plan``: candidate responses to the gaps where needs are observed; ``--decide`` records
one as a response; ``pmae plan status`` follows the responses and measures their effect.

The work is in :mod:`pmae.analysis.plan` and :mod:`pmae.analysis.plan_status`, the wording in
:mod:`pmae.render.plan`; this module parses arguments, reads, records and prints. Exit codes: 0
ok (gaps are findings), 1 the bundle has errors or the decision would make it invalid, 2 usage
error.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import click
import orjson

from pmae.analysis.plan import Plan, decision, plan
from pmae.analysis.plan_status import follow
from pmae.cli.common import (
    RESULT_FILE_OPTION,
    check_output,
    echo_update,
    format_option,
    lang_option,
    open_update,
    prepare_update,
    session_of,
    write_result,
)
from pmae.cli.db import DataSource, data_option
from pmae.i18n import N_, ngettext
from pmae.i18n import gettext as _
from pmae.model import Bundle
from pmae.render.plan import render_plan, render_plan_status, response_title

__all__ = ["plan_command"]

_NEWER_HINT = N_("write the result to another file with -o")
_COLLECTIONS = ("actors", "offers", "needs", "meetings", "responses")


class _ProposeByDefault(click.Group):
    """A group whose first argument, when it is not a subcommand, is the ``propose`` command's:
    ``pmae plan BUNDLE`` proposes, ``pmae plan status BUNDLE`` follows."""

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] in self.commands:
            return super().resolve_command(ctx, args)
        return "propose", self.commands["propose"], args

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, "[BUNDLE] [OPTIONS] | status [BUNDLE] [OPTIONS]")


def _grid_options(function: Any) -> Any:
    for option in reversed((
        click.option("--level", type=click.Choice(["dep", "reg"]), default="dep",
                     show_default=True, help="Grid territories: départements or régions."),
        click.option("--region", default=None,
                     help="Territory whose départements make the grid (reg:84…); default: "
                          "every région the bundle's offers and actors touch."),
        click.option("--date", "today", type=click.DateTime(["%Y-%m-%d"]), default=None,
                     help="Reference date, YYYY-MM-DD (default: the bundle's date)."),
    )):
        function = option(function)
    return function


@click.group("plan", cls=_ProposeByDefault, invoke_without_command=False,
             context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def plan_command() -> None:
    """The action plan: responses to the gaps where needs are observed, and their effect."""


@plan_command.command("propose")
@data_option
@_grid_options
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True,
              help="How many candidates the text output shows.")
@click.option("--decide", type=click.IntRange(min=1), default=None, metavar="RANK",
              help="Record the candidate of this rank as a response decided (in BUNDLE).")
@click.option("--id", "response_id", default=None,
              help="The decided response's id (default: <source>:reponse-<n>).")
@click.option("--title", default=None, help="The decided response's title.")
@click.option("--actor", "actors", multiple=True,
              help="An actor that carries it (repeatable; default: the best-placed one).")
@click.option("--meeting", default=None, help="The meeting (COFIL) where it was decided.")
@click.option("--on", "decided_on", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The day it was decided (default: the reference date).")
@format_option("text", "json")
@lang_option(N_("Language of the text output."))
@RESULT_FILE_OPTION
@click.pass_context
def propose(ctx: click.Context, bundle: str | None, db_path: str | None, level: str,
            region: str | None, today: dt.datetime | None, top: int, decide: int | None,
            response_id: str | None, title: str | None, actors: tuple[str, ...],
            meeting: str | None, decided_on: dt.datetime | None, output_format: str,
            lang: str, output: str | None) -> None:
    """Candidate responses of BUNDLE: the gaps where needs are observed, and who could carry
    them.

    The zones blanches of the coverage where needs were observed, by territory and theme,
    ranked by the number of associations concerned as the shared diagnosis publishes it
    (protected), each with the actors best placed to carry a response: present at another
    stage or in a neighbouring territory, complementary, attending the meetings. --decide RANK
    records that candidate as a response decided, in BUNDLE itself (or -o FILE).

    Without BUNDLE it reads the store (--db PATH, else PMAE_DB, else pmae.db).
    """
    source = DataSource.of(ctx, bundle, db_path)
    if (decide is None and any(v is not None for v in (response_id, title, meeting, decided_on))) \
            or (decide is None and actors):
        raise click.UsageError(_("--id, --title, --actor, --meeting and --on describe a "
                                 "decision: give --decide RANK"))
    if decide is not None:
        source.refuse_writing("--decide")
    session = session_of(ctx).evolve(lang=lang)
    update = open_update(ctx, bundle, output, hint=_(_NEWER_HINT)) if decide and bundle else None
    if update is None:
        check_output(output, *source.paths)
    data = update.bundle if update is not None else source.load(
        ctx, output_format=output_format, collections=_COLLECTIONS)
    day = today.date() if today else None
    proposed = plan(data, level=level, region=region, today=day, session=session)
    if decide is None or update is None:
        write_result(_plan_output(proposed, output_format, top, session), output)
        return
    if decide > len(proposed.candidates):
        raise click.BadParameter(
            ngettext("there is {count} candidate", "there are {count} candidates",
                     len(proposed.candidates)).format(count=len(proposed.candidates)),
            param_hint="--decide")
    candidate = proposed.candidates[decide - 1]
    made: list[str] = []

    def change(current: Bundle) -> Bundle:
        new = decision(candidate, id=response_id or _next_id(current),
                       title=title or response_title(candidate, session=session),
                       actors=list(actors) or None, meeting=meeting,
                       decided_on=decided_on.date() if decided_on else proposed.as_of)
        made[:] = [new.id]
        return current.with_collections({"responses": (*current.responses, new)})

    result = prepare_update(update, change, what=_("this response"), hint=_(_NEWER_HINT)).write()
    echo_update(result, _("recorded in {path}: response {id} decided for {theme} in "
                          "{territory}").format(path=result.path, id=made[0],
                                                theme=candidate.theme,
                                                territory=candidate.territory), lang=lang)


def _next_id(bundle: Bundle) -> str:
    taken = {r.id for r in bundle.responses}
    number = len(bundle.responses) + 1
    while f"{bundle.source.slug}:reponse-{number}" in taken:
        number += 1
    return f"{bundle.source.slug}:reponse-{number}"


def _plan_output(proposed: Plan, output_format: str, top: int, session: Any) -> str:
    if output_format == "json":
        return orjson.dumps(proposed.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n"
    return render_plan(proposed, top=top, session=session)


@plan_command.command("status")
@data_option
@_grid_options
@format_option("text", "json")
@lang_option(N_("Language of the text output."))
@RESULT_FILE_OPTION
@click.pass_context
def status(ctx: click.Context, bundle: str | None, db_path: str | None, level: str,
           region: str | None, today: dt.datetime | None, output_format: str, lang: str,
           output: str | None) -> None:
    """The responses of BUNDLE, where they stand, and their effect measured from the data.

    For a response that created offers: the zones blanches of its themes × territories before
    it started (without those offers) and on the reference date, the cells it closed, and the
    needs observed since (shown when secrecy allows).

    Without BUNDLE it reads the store (--db PATH, else PMAE_DB, else pmae.db).
    """
    source = DataSource.of(ctx, bundle, db_path)
    check_output(output, *source.paths)
    session = session_of(ctx).evolve(lang=lang)
    data = source.load(ctx, output_format=output_format, collections=_COLLECTIONS)
    followed = follow(data, level=level, region=region,
                      today=today.date() if today else None, session=session)
    if output_format == "json":
        text = orjson.dumps([f.to_json() for f in followed],
                            option=orjson.OPT_INDENT_2).decode() + "\n"
    else:
        text = render_plan_status(followed, session=session)
    write_result(text, output)
