"""``pmae offers``, ``pmae actors``, ``pmae associations``, ``pmae needs-list``: the store's
records with combined filters, as a table, JSON or CSV.

The four commands are made by one function from :data:`LISTINGS` (their filters, their
columns), since they differ only there; the filtering is :meth:`pmae.Session.offers` and its
siblings, on the store (:mod:`pmae.store.listing`). The shared diagnosis keeps ``pmae needs``:
the listing of the needs themselves is ``pmae needs-list`` (a ``list`` subcommand of ``needs``
would make ``pmae needs list`` ambiguous with a bundle file called ``list``).

Exit codes: 0 ok (an empty listing too), 2 usage error (an unknown code or territory, a store
that cannot be used).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any, Final

import click

from pmae.cli.common import check_audience_option, echo_json, session_of
from pmae.cli.db import DB_OPTION, opened_store, shown
from pmae.i18n import N_
from pmae.i18n import gettext as _
from pmae.io.converter import unstructure
from pmae.io.csv_writer import safe_writer
from pmae.render.text import text_table

__all__ = ["LISTINGS", "actors", "associations", "needs_list", "offers"]

#: filter -> (option help, vocabulary its values belong to, or None).
_FILTERS: Final[dict[str, tuple[str, str | None]]] = {
    "theme": (N_("A theme code (repeat for any of several)."), "themes"),
    "stage": (N_("A stage code (repeat for any of several)."), "stages"),
    "territory": (N_("A territory code: dep:38, reg:84, com:38185 (repeat for any of "
                     "several)."), None),
    "type": (N_("An actor type code (repeat for any of several)."), "actor_types"),
    "text": (N_("Words to find (accents and case folded; repeat for any of several)."), None),
    "association": (N_("An association id (repeat for any of several)."), None),
    "status": (N_("A need status code (repeat for any of several)."), "need_statuses"),
    "date": (N_("Only the offers in force on this day, YYYY-MM-DD."), None),
}

#: The collections listed, in words (the code is the msgid).
_COLLECTIONS: Final[dict[str, str]] = {
    "offers": N_("offers"), "actors": N_("actors"), "associations": N_("associations"),
    "needs": N_("needs"),
}

#: command -> (collection, filters, columns, docstring).
LISTINGS: Final[dict[str, tuple[str, tuple[str, ...], tuple[str, ...], str]]] = {
    "offers": ("offers", ("theme", "stage", "territory", "type", "text", "date"),
               ("id", "title", "actor", "themes", "stages", "territories", "valid_until"),
               N_("""The offers of the store, filtered: theme, stage, territory, actor type, text.

    --territory finds the offers for that territory or a territory containing it (an offer
    for reg:84 is found from dep:38 and from its communes), as orientation does; --type is
    the type of the offer's actor; --text searches titles and descriptions; --date keeps the
    offers in force that day.""")),
    "actors": ("actors", ("theme", "stage", "territory", "type", "text"),
               ("id", "name", "actor_type", "territories"),
               N_("""The actors of the store, filtered: theme, stage, territory, type, text.

    --theme and --stage find the actors with an offer of that theme or stage; --territory
    the actors acting for that territory or one containing it; --text searches names and
    descriptions.""")),
    "associations": ("associations", ("theme", "stage", "territory", "text"),
                     ("id", "name", "commune", "sector", "size_band"),
                     N_("""The associations of the store, filtered: needs, territory, name.

    --theme and --stage find the associations with a need of that theme or stage;
    --territory those whose commune lies in that territory; --text searches names.""")),
    "needs-list": ("needs", ("theme", "stage", "territory", "association", "status"),
                   ("id", "association", "theme", "stage", "territory", "status", "date"),
                   N_("""The needs of the store, one by one: theme, stage, territory, status.

    --territory finds the needs located in that territory (their own territory, else their
    association's commune). `pmae needs` is the shared diagnosis of the needs, with
    statistical secrecy; this lists the records themselves, for the audience given.""")),
}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "|".join(map(str, value))
    return str(value)


def _check_codes(option: str, values: Sequence[str], vocabulary: str | None) -> None:
    if vocabulary is None or not values:
        return
    known = session_of().vocabularies.get(vocabulary)
    unknown = [v for v in values if known is not None and v not in known]
    if unknown:
        raise click.BadParameter(
            _("unknown code {codes}: `pmae vocab {vocabulary}` lists them").format(
                codes=", ".join(map(repr, unknown)), vocabulary=vocabulary), param_hint=option)


def _render(records: Sequence[dict[str, Any]], columns: Sequence[str],
            output_format: str) -> str:
    if output_format == "json":
        return ""
    table = [[_cell(record.get(column)) for column in columns] for record in records]
    if output_format == "csv":
        buffer = io.StringIO()
        writer = safe_writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(table)
        return buffer.getvalue()
    return "\n".join(text_table(columns, table, left=range(len(columns)))) + "\n"


def _make(name: str) -> click.Command:
    collection, filters, columns, doc = LISTINGS[name]

    def run(db_path: str, audience: str, limit: int | None, output_format: str,
            **chosen: Any) -> None:
        check_audience_option(audience)
        if chosen.get("date") is not None:
            chosen["date"] = chosen["date"].date().isoformat()
        for option, values in chosen.items():
            if option != "date":
                _check_codes(f"--{option}", values, _FILTERS[option][1])
        from pmae.store import ListingError

        session = session_of()
        with opened_store(db_path, session=session) as store:
            try:
                found = getattr(session.evolve(store=store), collection)(
                    audience=audience, limit=limit, **chosen)
            except ListingError as error:
                raise click.UsageError(str(error)) from None
        records = [unstructure(record) for record in found]
        if output_format == "json":
            echo_json(records)
        else:
            click.echo(_render(records, columns, output_format), nl=False)
        click.echo(_("{n} {collection} from {db}").format(
            n=len(records), collection=_(_COLLECTIONS[collection]), db=shown(db_path)), err=True)

    run.__doc__ = doc
    command: Callable[..., Any] = run
    for option in reversed(filters):
        command = (click.option("--date", "date", type=click.DateTime(["%Y-%m-%d"]),
                                default=None, help=_FILTERS[option][0])
                   if option == "date" else
                   click.option(f"--{option}", option, multiple=True,
                                help=_FILTERS[option][0]))(command)
    command = click.option("--format", "output_format",
                           type=click.Choice(["table", "json", "csv"]), default="table",
                           show_default=True, help="How to print the records.")(command)
    command = click.option("--limit", type=click.IntRange(min=1), default=None,
                           help="At most this many records (the first that entered the "
                                "store).")(command)
    command = click.option("--audience", default="all", show_default=True,
                           help="Only what this audience may see: public, network, "
                                "recipient:<network-or-actor-id>, or all.")(command)
    return click.command(name)(DB_OPTION(command))


offers = _make("offers")
actors = _make("actors")
associations = _make("associations")
needs_list = _make("needs-list")
