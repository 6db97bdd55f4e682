"""``pmae needs``: the shared diagnosis of a bundle's needs, with statistical secrecy.

It parses arguments and prints; the aggregation and the secrecy are in
:mod:`pmae.analysis.shared_diagnosis`. Exit codes: 0 ok, 1 the bundle has errors, 2 usage error.
"""

from __future__ import annotations

import io

import click
import orjson

from pmae.analysis.shared_diagnosis import (
    TOTAL,
    SecrecyRules,
    SharedDiagnosis,
    aggregate,
    parse_dimensions,
    shareable_needs,
)
from pmae.analysis.shared_diagnosis import (
    trends as trends_of,
)
from pmae.cli.common import (
    RESULT_FILE_OPTION,
    check_output,
    format_option,
    lang_option,
    session_of,
    write_result,
)
from pmae.cli.db import DataSource, data_option

__all__ = ["needs"]


def _dimensions(ctx: click.Context, param: click.Parameter, value: str) -> str:
    # Checked before the bundle is read, so a typo costs nothing.
    try:
        parse_dimensions(value)
    except ValueError as error:
        raise click.BadParameter(str(error), ctx=ctx, param=param) from None
    return value


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
              help="Skip secondary secrecy (hidden cells may then be recomputed from totals).")
@click.option("--no-rollup", is_flag=True,
              help="Do not merge hidden départements into 'autres départements de <région>'.")
@lang_option("Language of the text table.")
@click.option("--trends", is_flag=True,
              help="Year-over-year change of the published cells (--by must include year).")
@RESULT_FILE_OPTION
@click.pass_context
def needs(ctx: click.Context,
          bundle: str | None, db_path: str | None,
          by: str, output_format: str, min_contributors: int, dominance: float,
          no_secondary: bool, no_rollup: bool, lang: str, trends: bool,
          output: str | None) -> None:
    """The shared diagnosis of the needs in BUNDLE, with statistical secrecy.

    Counts associations, needs and summed intensity per cell, and hides what could identify an
    association: cells from fewer than --min-contributors associations, cells one association
    dominates, and the cells that would let a reader recompute them from the totals.

    Without BUNDLE it reads the store (--db PATH, else PMAE_DB, else pmae.db). To list the
    needs themselves, one by one: pmae needs-list.
    """
    if trends and "year" not in parse_dimensions(by)[0]:
        raise click.UsageError("--trends compares years: add year to --by (e.g. theme,year)")
    source = DataSource.of(ctx, bundle, db_path)
    check_output(output, *source.paths)
    session = session_of(ctx)
    data = source.load(ctx, output_format=output_format, collections=("needs",))
    rules = SecrecyRules(min_contributors=min_contributors, dominance=dominance,
                         secondary=not no_secondary, rollup=not no_rollup)
    diagnosis = aggregate(shareable_needs(data.needs), by=by, rules=rules,
                          territories=session.territories)
    if trends:
        text = _render_trends(diagnosis, output_format, lang)
    elif output_format == "json":
        text = orjson.dumps(diagnosis.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n"
    elif output_format == "csv":
        buffer = io.StringIO()
        diagnosis.to_csv(buffer)
        text = buffer.getvalue()
    else:
        text = diagnosis.render_text(lang, vocabularies=session.vocabularies,
                                     territories=session.territories)
    write_result(text, output, f": {len(diagnosis.cells)} cells")


def _render_trends(diagnosis: SharedDiagnosis, output_format: str, lang: str) -> str:
    """The year-over-year changes of published keys, as text, JSON or CSV."""
    rows = trends_of(diagnosis)
    names = [d for d in diagnosis.dimensions if d != "year"]
    records = [
        {**{name: (None if value == TOTAL else value) for name, value in zip(names, t.key,
                                                                            strict=True)},
         "year": t.year, "previous_year": t.previous_year, "needs": t.needs,
         "previous_needs": t.previous_needs, "change": t.change}
        for t in rows]
    if output_format == "json":
        return orjson.dumps(records, option=orjson.OPT_INDENT_2).decode() + "\n"
    buffer = io.StringIO()
    if output_format == "csv":
        import csv

        writer = csv.DictWriter(buffer, fieldnames=[*names, "year", "previous_year", "needs",
                                                    "previous_needs", "change"])
        writer.writeheader()
        writer.writerows(records)
        return buffer.getvalue()
    heading = ("Évolution d'une année sur l'autre (cases publiées les deux années)" if lang == "fr"
               else "Change from one year to the next (cells published both years)")
    lines = [heading]
    for record in records:
        key = " × ".join(str(record[n]) if record[n] is not None else "*" for n in names)
        lines.append(f"  {key:<40} {record['previous_year']}→{record['year']}  "
                     f"{record['previous_needs']:>5} → {record['needs']:<5} "
                     f"({record['change']:+d})")
    if not records:
        lines.append("  —")
    return "\n".join(lines) + "\n"
