"""``pmae orient``: the offers to propose to an association or for a need, with the reasons.

It parses arguments, prints, and writes referrals; the ranking is in
:mod:`pmae.analysis.orientation`. Exit codes: 0 ok, 1 the bundle has errors (or would have
them with the referrals), 2 usage error (unknown association or need, malformed commune).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import click

from pmae.analysis.orientation import (
    OfferIndex,
    OrientationError,
    Query,
    Suggestion,
    excluded_by_date,
    next_referral_prefix,
    orient_needs,
    pathway,
    record_referrals,
    referrals_for,
)
from pmae.analysis.orientation import (
    orient as orient_offers,
)
from pmae.cli.common import (
    check_output,
    date_option,
    echo_json,
    echo_update,
    lang_option,
    open_update,
    prepare_update,
    reference_date,
    same_file,
    session_of,
)
from pmae.cli.db import DataSource, data_option, opened_store, shown
from pmae.cli.orient_sheet import check_sheet_path, parse_pick, picked, write_sheet
from pmae.i18n import N_
from pmae.i18n import gettext as _
from pmae.model import Association, Bundle, Need
from pmae.render.orientation import render_pathway, render_suggestions, suggestion_to_json
from pmae.render.orientation_needs import (
    excluded_to_json,
    needs_to_json,
    render_excluded,
    render_needs,
)
from pmae.territories import TerritoryError
from pmae.updates import BundleUpdate

#: What to do about a bundle of a newer format that --record would degrade.
_NEWER_HINT = N_("write the result to another file with -o")
_UNKNOWN = {"themes": N_("unknown theme {value!r}: `pmae vocab themes` lists them"),
            "stages": N_("unknown stage {value!r}: `pmae vocab stages` lists them")}

__all__ = ["orient"]


@click.command()
@data_option
@click.option("--association", "association_id", help="Id of the association to orient.")
@click.option("--need", "need_id", help="Id of the need to orient (its theme, stage, place).")
@click.option("--theme", help="Theme code, with --commune (orientation by hand).")
@click.option("--commune", help="Territory code, e.g. com:69123, with --theme.")
@click.option("--stage", help="Wished stage, with --theme and --commune.")
@click.option("--limit", type=click.IntRange(min=1), default=5, show_default=True,
              help="How many offers to propose.")
@click.option("--per-actor", type=click.IntRange(min=1), default=2, show_default=True,
              help="At most this many offers of one actor.")
@click.option("--pathway", "show_pathway", is_flag=True,
              help="Show the pathway: the offers at each stage of the support chain.")
@click.option("--record", is_flag=True,
              help="Record the proposed offers as referrals of --need in the bundle.")
@click.option("--pick", help="With --record: the ranks of the offers to record, e.g. 1,3 "
                            "(default: all those proposed).")
@click.option("--by", "by", help="With --record: actor id of who orients.")
@click.option("-o", "--output", default=None,
              help="With --record: write the bundle there instead of back to BUNDLE.")
@click.option("--sheet", type=click.Path(dir_okay=False),
              help="With --association: also write its orientation sheet (network audience) "
                   "to this .html or .pdf file.")
@click.option("--force", is_flag=True, help="Replace the -o or --sheet file if it exists.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="How to print the result.")
@lang_option(N_("Language of the reasons."))
@date_option(N_("Day the offers must be valid on, YYYY-MM-DD (default: today)."))
@click.pass_context
def orient(ctx: click.Context,
           bundle: str | None, db_path: str | None,
           association_id: str | None, need_id: str | None, theme: str | None,
           commune: str | None, stage: str | None, limit: int, per_actor: int,
           show_pathway: bool, record: bool, pick: str | None, by: str | None,
           output: str | None, sheet: str | None, force: bool,
           output_format: str, lang: str, today: dt.datetime | None) -> None:
    """Propose the offers of BUNDLE for an association, a need, or a theme and a commune.

    \b
    pmae orient BUNDLE --association ID [--sheet FICHE.html|FICHE.pdf]
    pmae orient BUNDLE --need ID [--record [--pick 1,3] --by ACTOR_ID [-o OUT]]
    pmae orient BUNDLE --theme T --commune com:NNNNN [--stage S]

    For an association, each of its needs still waiting (open or oriented) is oriented, the
    most urgent first, with its id (for --need). Offers are ranked by stage, actor type after
    an alert, nearness of their territory and cost; each comes with its reasons. An offer
    whose territory does not contain the commune, or that is not in force on the reference
    date (--date, default today; never the bundle's date), is never proposed; one that would
    have been, but has expired or not started yet, is named.

    Without BUNDLE it reads the store (--db PATH, else PMAE_DB, else pmae.db), only what
    orienting this target needs; --record needs a BUNDLE.
    """
    chosen = [name for name, value in (("--association", association_id), ("--need", need_id),
                                       ("--theme/--commune", theme or commune)) if value]
    if len(chosen) != 1:
        raise click.UsageError(_("give one of --association ID, --need ID, or --theme and "
                                 "--commune"))
    if (theme is None) != (commune is None):
        raise click.UsageError(_("--theme and --commune go together"))
    if stage is not None and theme is None:
        raise click.UsageError(_("--stage goes with --theme and --commune"))
    if record and (need_id is None or by is None):
        raise click.UsageError(_("--record writes referrals of a need: give --need and --by"))
    if not record and (by is not None or output is not None or pick is not None):
        raise click.UsageError(_("--by, --pick and -o are for --record"))
    if sheet is not None and (association_id is None or show_pathway):
        raise click.UsageError(_("--sheet writes the orientation sheet of an --association"))
    if record and show_pathway:
        raise click.UsageError(_("--record records the ranked offers, not a pathway"))
    source = DataSource.of(ctx, bundle, db_path)
    if record:
        source.refuse_writing("--record")
    # -o BUNDLE itself is the update in place, as without -o.
    check_output(output, force=force or same_file(output, bundle))
    check_output(sheet, *source.paths, force=force)
    if sheet is not None:
        check_sheet_path(sheet)
    ranks = parse_pick(pick)
    session = session_of(ctx).evolve(lang=lang)
    vocabularies, territories = session.vocabularies, session.territories
    # With --record the bundle is read once, as the update it will be (refusals come first).
    update = open_update(ctx, bundle, output, hint=_(_NEWER_HINT)) if record and bundle else None
    if update is not None:
        data = update.bundle
    elif source.store is not None:
        with opened_store(source.store, hint=_("; or give a BUNDLE file"),
                          session=session) as store:
            data = store.orientation_bundle(association=association_id, need=need_id,
                                            commune=commune, theme=theme)
        for option, value, found in (("--association", association_id, data.associations),
                                     ("--need", need_id, data.needs)):
            if value is not None and not found:
                raise click.UsageError(_("{option} {value!r}: no such record in the store "
                                         "{store}").format(option=option, value=value,
                                                           store=shown(source.store)))
    else:
        data = source.load(ctx)
    for code, value in (("themes", theme), ("stages", stage)):
        if value is not None and value not in vocabularies[code]:
            raise click.UsageError(_(_UNKNOWN[code]).format(value=value))
    day = reference_date(ctx, today)
    index = OfferIndex.build(data, today=day, session=session)
    target: Association | Need | Query
    try:
        if association_id is not None:
            target = index.association(association_id)
        elif need_id is not None:
            target = index.need(need_id)
        else:
            assert commune is not None
            territories.parse(commune)
            target = Query(commune=commune, theme=theme, stage=stage)
        query = index.query_for(target)
        if show_pathway:
            steps = pathway(index, target)
        else:
            suggestions = orient_offers(index, target, limit=limit, per_actor=per_actor)
            excluded = excluded_by_date(index, target, limit=limit, per_actor=per_actor)
            needs = (orient_needs(index, association_id, limit=limit, per_actor=per_actor)
                     if association_id is not None else ())
    except (OrientationError, TerritoryError) as error:
        raise click.UsageError(str(error)) from None
    def as_json(found: tuple[Suggestion, ...]) -> list[dict[str, Any]]:
        return [suggestion_to_json(s, session=session) for s in found]

    if show_pathway:
        if output_format == "json":
            echo_json({"query": attrs.asdict(query), "pathway": [
                {"stage": stage, "suggestions": as_json(found)} for stage, found in steps]})
        else:
            click.echo(render_pathway(query, steps, session=session), nl=False)
        return
    if output_format == "json":
        result = {"query": attrs.asdict(query), "date": day.isoformat(),
                  "suggestions": as_json(suggestions),
                  "excluded": excluded_to_json(excluded, day, session=session)}
        if isinstance(target, Association):
            result["needs"] = needs_to_json(target, needs, day, session=session)["needs"]
        echo_json(result)
    elif isinstance(target, Association):
        click.echo(render_needs(target, needs, day, session=session), nl=False)
        if not needs:
            click.echo(render_suggestions(query, suggestions, session=session), nl=False)
            click.echo(render_excluded(excluded, day, session=session), nl=False)
    else:
        click.echo(render_suggestions(query, suggestions, session=session), nl=False)
        click.echo(render_excluded(excluded, day, session=session), nl=False)
    if sheet is not None:
        assert isinstance(target, Association)
        write_sheet(sheet, data, target, day, limit=limit, per_actor=per_actor,
                    session=session)
    if update is not None:
        assert isinstance(target, Need) and by is not None
        _record(update, target, by, picked(suggestions, ranks), day)


def _record(update: BundleUpdate, need: Need, by: str, suggestions: tuple[Suggestion, ...],
            day: dt.date) -> None:
    """Add the referrals and write the bundle (validated whole, atomically)."""
    if by not in {actor.id for actor in update.bundle.actors}:
        raise click.UsageError(_("--by {by!r} is not an actor of {path}").format(
            by=by, path=update.path))
    if not suggestions:
        click.echo(_("nothing to record: no offer was proposed"), err=True)
        return
    proposed: list[int] = []

    def change(bundle: Bundle) -> Bundle:
        # Numbered after the bundle's own referrals: it may be read again before writing.
        referrals = referrals_for(suggestions, need=need, by=by, date=day,
                                  id_prefix=next_referral_prefix(bundle))
        proposed[:] = [len(referrals)]
        return record_referrals(bundle, referrals)

    prepared = prepare_update(update, change, what=_("these referrals"), hint=_(_NEWER_HINT))
    if not prepared.result.added.get("referrals"):
        click.echo(_("nothing to record: {need} is already referred to these offers").format(
            need=need.id), err=True)
        return
    result = prepared.write()
    added = result.added["referrals"]
    new = result.bundle.referrals[len(result.before.referrals):]
    said = _("recorded in {path}: {added} referral(s) {first} … {last}").format(
        path=result.path, added=added, first=new[0].id, last=new[-1].id)
    if added < proposed[0]:
        said += _(" ({n} already there)").format(n=proposed[0] - added)
    echo_update(result, said)
