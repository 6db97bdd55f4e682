"""``pmae attendance``: who comes to the démarche's meetings, and who has met whom.

It parses arguments and prints; the analysis is in :mod:`pmae.analysis.attendance`, the text
and CSV in :mod:`pmae.render.attendance`. Exit codes:
0 ok (absent actors are findings, not errors), 1 the bundle has errors, 2 usage error.
"""

from __future__ import annotations

import io

import click
import orjson

from pmae.analysis.attendance import attendance
from pmae.cli.common import (
    FORCE_OPTION,
    RESULT_FILE_OPTION,
    check_output,
    format_option,
    lang_option,
    session_of,
    write_result,
)
from pmae.cli.db import DataSource, data_option
from pmae.i18n import ngettext
from pmae.render.attendance import attendance_csv, attendance_pairs_csv, attendance_text

__all__ = ["attendance_command"]


@click.command("attendance")
@data_option
@click.option("--year", "years", multiple=True, type=click.IntRange(1900, 2200),
              help="Only the meetings of this year (repeatable; default: every year of the "
                   "bundle's meetings).")
@click.option("--graph", is_flag=True,
              help="Add who met whom and the complementary actors that never met (text); "
                   "one row per pair instead of per actor (csv).")
@format_option("text", "json", "csv")
@lang_option("Language of the text output.")
@RESULT_FILE_OPTION
@FORCE_OPTION
@click.pass_context
def attendance_command(ctx: click.Context,
                       bundle: str | None, db_path: str | None,
                       years: tuple[int, ...], graph: bool, output_format: str,
                       lang: str, output: str | None, force: bool) -> None:
    """Attendance at the meetings of BUNDLE: per actor, actor type, département and year.

    Counts registrations, attendances (attended: true), no-shows (false) and unknown attendance;
    lists the actors never present and those no longer present in the latest year; the
    diversity of each meeting. Cancelled meetings are left out. --graph adds who met whom and
    the actors with complementary offers that never attended the same meeting.

    Without BUNDLE it reads the store (--db PATH, else PMAE_DB, else pmae.db).
    """
    source = DataSource.of(ctx, bundle, db_path)
    check_output(output, *source.paths, force=force)
    session = session_of(ctx)
    data = source.load(ctx, output_format=output_format,
                       collections=("actors", "offers", "needs", "meetings"))
    figures = attendance(data, years=years or None, session=session)
    if output_format == "json":
        text = orjson.dumps(figures.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n"
    elif output_format == "csv":
        buffer = io.StringIO()
        if graph:
            attendance_pairs_csv(figures, buffer)
        else:
            attendance_csv(figures, buffer)
        text = buffer.getvalue()
    else:
        text = attendance_text(figures, lang, graph=graph, session=session)
    write_result(text, output, ngettext(": {count} meeting", ": {count} meetings",
                                        len(figures.meetings)).format(count=len(figures.meetings)))
