"""``pmae programme``: check a year against the programme rules, prepare its meetings.

Subcommands: ``check`` (each rule met or not), ``invitations`` (who to invite to a meeting, as
text or CSV for a mail merge) and ``calendar`` (the year's meetings as an ``.ics`` file, through
the pmae-ical plugin). The work is in :mod:`pmae.analysis.programme` and
:mod:`pmae.analysis.invitations`, the wording in :mod:`pmae.render.programme` and
:mod:`pmae.render.invitations`; this module parses arguments, reads and prints.

Exit codes: 0 ok (``check``: every rule met), 1 data problems (``check``: a rule not met, or the
bundle has errors), 2 usage error (bad options, a bad rules file, no iCalendar exporter).

The session is the run's (:func:`pmae.cli.common.session_of`): a caller may hand a
:class:`~pmae.Session` or a plugin manager in as click's context object (tests pass a fresh one).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import sys

import click
import orjson

from pmae.analysis.invitations import invitation_list
from pmae.analysis.programme import ProgrammeRules, check_programme, default_year, parse_rules
from pmae.cli.common import (
    FORCE_OPTION,
    check_output,
    date_option,
    fail,
    reference_date,
    session_of,
    write_result,
)
from pmae.cli.db import DataSource, data_option
from pmae.i18n import N_, ngettext
from pmae.i18n import gettext as _
from pmae.io.audience import UnknownAudienceError, check_audience
from pmae.io.files import DocumentError, read_document
from pmae.issues import Issue, suggest
from pmae.render.invitations import (
    NoCalendarExporterError,
    invitations_csv,
    invitations_text,
    write_calendar,
)
from pmae.render.programme import describe_programme, programme_text
from pmae.territories import TerritoryError

__all__ = ["programme"]

_YEAR = click.option("--year", type=click.IntRange(1900, 2999), default=None,
                     help="The year (default: the bundle's latest programme, else its latest "
                          "meeting).")
_LANG = click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True,
                     help="Language of the output.")


def load_rules(path: str | os.PathLike[str]) -> tuple[ProgrammeRules | None, list[Issue]]:
    """Read a region's rules file and apply it to pmae's defaults; see
    :func:`pmae.analysis.programme.parse_rules`."""
    try:
        document = read_document(path)
    except DocumentError as error:
        return None, [error.issue]
    return parse_rules(document.data, file=os.fspath(path))


def _audience(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        return check_audience(value)
    except UnknownAudienceError as error:
        raise click.BadParameter(str(error), ctx=ctx, param=param) from None


@click.group()
def programme() -> None:
    """The annual programme: check a year against its rules, prepare its meetings."""


@programme.command()
@data_option
@_YEAR
@click.option("--rules", "rules_file", type=click.Path(dir_okay=False), default=None,
              help="A region's rules file (JSON), applied to pmae's default rules.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="How to print the result.")
@date_option(N_("Check as on this day, YYYY-MM-DD: it decides whether the year is over "
                 "(default: today)."))
@_LANG
@click.pass_context
def check(ctx: click.Context, bundle: str | None, db_path: str | None,
          year: int | None, rules_file: str | None,
          output_format: str, today: dt.datetime | None, lang: str) -> None:
    """Check the meetings and productions of a year of BUNDLE against the programme rules.

    Each rule is reported met (✔) or not (✘), with the meetings concerned. Exit code 0 when
    every rule is met, 1 when one is not (or the bundle has errors), 2 for a bad rules file.

    Without BUNDLE it reads the store (--db PATH, else PMAE_DB, else pmae.db).
    """
    rules = None
    if rules_file is not None:
        rules, issues = load_rules(rules_file)
        if rules is None:
            fail(issues, _("{file}: the rules file has errors").format(file=rules_file),
                 output_format=output_format, code=2)
    session = session_of(ctx)
    data = DataSource.of(ctx, bundle, db_path).load(ctx, output_format=output_format)
    day = reference_date(ctx, today)
    result = describe_programme(check_programme(
        data, year if year is not None else default_year(data, day), rules, today=day),
        lang=lang, session=session)
    if output_format == "json":
        click.echo(orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(programme_text(result), nl=False)
        for issue in result.issues:
            click.echo(issue.render(), err=True)
    sys.exit(0 if result.met else 1)


@programme.command()
@data_option
@click.option("--meeting", "meeting_id", required=True, help="The meeting's id.")
@click.option("--type", "actor_types", multiple=True,
              help="Only actors of this type (repeat for several).")
@click.option("--territory", "territories", multiple=True,
              help="Only actors within this territory: dep:69 takes com:69123 (repeatable).")
@click.option("--audience", default="network", show_default=True, callback=_audience,
              help="Who reads the list: public (no contact data), network, "
                   "recipient:<network-or-actor-id>, or all.")
@click.option("--format", "output_format", type=click.Choice(["text", "csv"]), default="text",
              show_default=True, help="Text, or CSV for a mail merge.")
@click.option("-o", "--output", default=None, help="Write the list to this file (atomically).")
@FORCE_OPTION
@_LANG
@click.pass_context
def invitations(ctx: click.Context, bundle: str | None, db_path: str | None,
                meeting_id: str, actor_types: tuple[str, ...],
                territories: tuple[str, ...], audience: str, output_format: str,
                output: str | None, lang: str, force: bool) -> None:
    """The actors to invite to a meeting of BUNDLE, by type and territory.

    Without BUNDLE it reads the store (--db PATH, else PMAE_DB, else pmae.db).
    """
    session = session_of(ctx)
    known_types = session.vocabularies.get("actor_types")
    for actor_type in actor_types:
        if known_types is not None and actor_type not in known_types:
            close = suggest(actor_type, known_types.codes())
            raise click.BadParameter(
                (_("unknown actor type {type!r}; did you mean {close!r}?") if close
                 else _("unknown actor type {type!r}; see `pmae vocab actor_types`")).format(
                    type=actor_type, close=close),
                param_hint="--type")
    source = DataSource.of(ctx, bundle, db_path)
    check_output(output, *source.paths, force=force)
    data = source.load(ctx)
    try:
        invitees = invitation_list(data, meeting_id, actor_types=actor_types,
                                   territories=territories, audience=audience,
                                   referential=session.territories)
    except TerritoryError as error:
        raise click.BadParameter(str(error), param_hint="--territory") from None
    except KeyError as error:
        raise click.BadParameter(str(error.args[0]), param_hint="--meeting") from None
    buffer = io.StringIO()
    if output_format == "csv":
        invitations_csv(invitees, buffer)
    else:
        meeting = next(m for m in data.meetings if m.id == meeting_id)
        buffer.write(invitations_text(meeting.title, meeting.start, invitees, audience, lang,
                                      session=session))
    write_result(buffer.getvalue(), output, ngettext(": {count} actor", ": {count} actors",
                                                     len(invitees)).format(count=len(invitees)))


@programme.command()
@data_option
@_YEAR
@click.option("-o", "--output", required=True, help="The .ics file to write.")
@FORCE_OPTION
@click.option("--audience", default="public", show_default=True, callback=_audience,
              help="Whose meetings: public, network, recipient:<network-or-actor-id>, or all.")
@_LANG
@click.pass_context
def calendar(ctx: click.Context, bundle: str | None, db_path: str | None,
             year: int | None, output: str, audience: str,
             lang: str, force: bool) -> None:
    """Write the meetings of a year of BUNDLE as an iCalendar file (pmae-ical plugin).

    Without BUNDLE it reads the store (--db PATH, else PMAE_DB, else pmae.db).
    """
    session = session_of(ctx)
    try:
        session.exporter("ical")
    except KeyError:
        raise click.UsageError(
            _("no iCalendar exporter is installed: pip install ./plugins/pmae-ical (from a "
              "pmae source checkout), then try again")) from None
    except LookupError as error:  # several plugins register one: name it <plugin>:ical
        raise click.UsageError(str(error)) from None
    source = DataSource.of(ctx, bundle, db_path)
    check_output(output, *source.paths, force=force)
    data = source.load(ctx)
    chosen = year if year is not None else default_year(data, session=session)
    try:
        written = write_calendar(data, chosen, output, audience=audience, lang=lang,
                                 session=session)
    except NoCalendarExporterError as error:  # pragma: no cover - checked above
        raise click.UsageError(str(error)) from None
    click.echo(_("wrote {output}: {n} meeting(s) of {year}").format(
        output=output, n=len(written.meetings), year=chosen), err=True)
