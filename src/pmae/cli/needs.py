"""``pmae needs``: the shared diagnosis of a bundle's needs, with statistical secrecy.

It parses arguments and prints; the aggregation and the secrecy are in
:mod:`pmae.analysis.shared_diagnosis`, the wording in :mod:`pmae.render.needs`. Exit codes:
0 ok, 1 the bundle has errors, 2 usage error.
"""

from __future__ import annotations

import click
import orjson

from pmae.analysis.shared_diagnosis import (
    NeedColumns,
    SecrecyRules,
    SharedDiagnosis,
    aggregate,
    parse_dimensions,
    protect_columns,
    shareable_needs,
)
from pmae.cli.common import (
    FORCE_OPTION,
    RESULT_FILE_OPTION,
    check_output,
    format_option,
    lang_option,
    session_of,
    write_result,
)
from pmae.cli.db import DataSource, data_option, opened_store
from pmae.cli.needs_network import network_tables
from pmae.i18n import gettext as _
from pmae.i18n import ngettext
from pmae.render.needs import render_text, render_trends, to_csv
from pmae.territories import Territories

__all__ = ["needs"]


def _dimensions(ctx: click.Context, param: click.Parameter, value: str) -> str:
    # Checked before the bundle is read, so a typo costs nothing.
    try:
        parse_dimensions(value)
    except ValueError as error:
        raise click.BadParameter(str(error), ctx=ctx, param=param) from None
    return value


def _diagnosis(ctx: click.Context, source: DataSource, output_format: str, by: str,
               rules: SecrecyRules, territories: Territories) -> SharedDiagnosis:
    """The diagnosis of the bundle's shareable needs, or of the store's, read column by
    column: the same needs with the same values, without an object per need."""
    if source.bundle is not None:
        needs = source.load(ctx, output_format=output_format).needs
        return aggregate(shareable_needs(needs), by=by, rules=rules, territories=territories)
    with opened_store(str(source.store), hint=_("; or give a BUNDLE file")) as store:
        columns = NeedColumns(**store.shareable_need_columns())
    protection = protect_columns(columns, territories, perturb=rules.secondary)
    return aggregate((), by=by, rules=rules, protection=protection)


@click.command()
@data_option
@click.option("--by", default="theme,dep", show_default=True, callback=_dimensions,
              help="Dimensions, comma-separated: theme, dep or reg (territory at that level), "
                   "size_band, sector, year.")
@format_option("text", "json", "csv")
@click.option("--min-contributors", type=click.IntRange(min=1), default=3, show_default=True,
              help="Fewest associations a published cell may come from.")
@click.option("--dominance", type=click.FloatRange(0.0, 1.0), default=0.85, show_default=True,
              help="Largest share of a cell's intensity one association may weigh.")
@click.option("--no-secondary", is_flag=True,
              help="Publish exact figures, without the perturbation that keeps hidden cells "
                   "from being recomputed (internal use only).")
@click.option("--no-rollup", is_flag=True,
              help="Do not show 'autres départements de <région>' (the départements whose "
                   "own cell is not shown).")
@lang_option("Language of the text table.")
@click.option("--trends", is_flag=True,
              help="Year-over-year change of the published cells (--by must include year).")
@RESULT_FILE_OPTION
@FORCE_OPTION
@click.pass_context
def needs(ctx: click.Context,
          bundle: str | None, db_path: str | None,
          by: str, output_format: str, min_contributors: int, dominance: float,
          no_secondary: bool, no_rollup: bool, lang: str, trends: bool,
          output: str | None, force: bool) -> None:
    """The shared diagnosis of the needs in BUNDLE, with statistical secrecy.

    Counts associations, needs and summed intensity per cell. Figures are slightly perturbed
    (the same needs always the same way, in every table), and a cell is shown only when it
    counts at least --min-contributors associations and no association dominates it; hidden
    cells are not listed. Set PMAE_SECRECY_KEY to the démarche's secret to key the noise.

    Without BUNDLE it reads the store (--db PATH, else PMAE_DB, else pmae.db). Connected to
    a PostgreSQL store as a network, it prints the tables the administrator computed from
    every network's needs (pmae db share-needs), with the default rules. To list the needs
    themselves, one by one: pmae needs-list.
    """
    if trends and "year" not in parse_dimensions(by)[0]:
        raise click.UsageError(
            _("--trends compares years: add year to --by (e.g. theme,year)"))
    source = DataSource.of(ctx, bundle, db_path)
    check_output(output, *source.paths, force=force)
    session = session_of(ctx)
    # A network's role on PostgreSQL reads the tables the administrator stored.
    diagnosis = network_tables(ctx, source, by)
    if diagnosis is None:
        rules = SecrecyRules(min_contributors=min_contributors, dominance=dominance,
                             secondary=not no_secondary, rollup=not no_rollup)
        diagnosis = _diagnosis(ctx, source, output_format, by, rules, session.territories)
    if trends:
        text = render_trends(diagnosis, output_format, lang, vocabularies=session.vocabularies,
                             territories=session.territories)
    elif output_format == "json":
        text = orjson.dumps(diagnosis.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n"
    elif output_format == "csv":
        text = to_csv(diagnosis)
    else:
        text = render_text(diagnosis, lang, vocabularies=session.vocabularies,
                           territories=session.territories)
    published = len(diagnosis.published())
    write_result(text, output, ngettext(": {count} published cell", ": {count} published cells",
                                        published).format(count=published))

