"""The shared diagnosis for readers: a text table (French or English), CSV, and the
year-over-year changes. Only published cells are shown, with their protected figures.

The words say, without technical vocabulary, what readers must know: figures are slightly
blurred on purpose, a cell not shown is empty or too small to be shown (the two cannot be told
apart), and a total is blurred on its own, so it may differ from the sum of its cells.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import orjson

from pmae.analysis.shared_diagnosis import (
    MAX_NOISE,
    ROLLUP_SUFFIX,
    TOTAL,
    UNSPECIFIED,
    UNSPECIFIED_TERRITORY,
    SharedDiagnosis,
    trends,
)
from pmae.io.csv_writer import safe_writer
from pmae.render.text import percent, text_table
from pmae.territories import Territories, TerritoryError, core_territories
from pmae.vocab import core_vocabularies

if TYPE_CHECKING:
    from pmae.vocab import Vocabulary

__all__ = ["TEXT", "Labeller", "protection_notice", "render_text", "render_trends", "to_csv"]

TEXT: Final[dict[str, dict[str, Any]]] = {
    "fr": {
        "title": "Diagnostic partagé des besoins",
        "source": "Environ {needs} besoins de {associations} associations (et besoins "
                  "exprimés sans association)",
        "rules": "Une case n'est montrée que si elle compte au moins {min} associations et "
                 "qu'aucune ne pèse plus de {dominance} de l'intensité.",
        "notice": "Pour qu'aucune association ne puisse être reconnue, chaque chiffre est "
                  "légèrement brouillé (de quelques unités, toujours de la même façon pour les "
                  "mêmes besoins, dans tous les tableaux) : un total est brouillé à part et "
                  "peut différer de la somme de ses cases. Une case absente est vide ou trop "
                  "petite pour être montrée : on ne peut pas savoir laquelle des deux, ni "
                  "recalculer son contenu à partir des autres tableaux.",
        "exact": "Chiffres exacts (usage interne : ne pas publier).",
        "published": "{count} cases publiées",
        "cells": "Cases", "margins": "Totaux (* = ensemble)",
        "measures": ["associations", "besoins", "intensité"],
        "dimensions": {"theme": "thème", "dep": "département", "reg": "région",
                       "size_band": "tranche d'effectif", "sector": "secteur", "year": "année"},
        "unspecified": "non précisé", "total": "*", "others": "autres départements {of}",
        "trends": "Évolution d'une année sur l'autre (cases publiées les deux années)",
    },
    "en": {
        "title": "Shared diagnosis of needs",
        "source": "About {needs} needs from {associations} associations (and needs heard "
                  "without an association)",
        "rules": "A cell is shown only when it counts at least {min} associations and none "
                 "weighs more than {dominance} of its intensity.",
        "notice": "So that no association can be recognised, every figure is slightly blurred "
                  "(by a few units, always the same way for the same needs, in every table): a "
                  "total is blurred on its own and may differ from the sum of its cells. A "
                  "missing cell is empty or too small to be shown: nobody can tell which, nor "
                  "work out what it holds from the other tables.",
        "exact": "Exact figures (internal use: do not publish).",
        "published": "{count} cells published",
        "cells": "Cells", "margins": "Totals (* = all)",
        "measures": ["associations", "needs", "intensity"],
        "dimensions": {"theme": "theme", "dep": "département", "reg": "région",
                       "size_band": "size band", "sector": "sector", "year": "year"},
        "unspecified": "not specified", "total": "*", "others": "other départements of {name}",
        "trends": "Change from one year to the next (cells published both years)",
    },
}


def protection_notice(diagnosis: SharedDiagnosis, lang: str) -> list[str]:
    """The sentences that tell a reader what is shown and why (the rules, the blurring)."""
    text = TEXT[lang]
    rules = diagnosis.rules
    return [text["rules"].format(min=rules.min_contributors,
                                 dominance=percent(rules.dominance, lang)),
            text["notice"] if rules.secondary else text["exact"]]


class Labeller:
    """Labels of dimensions and values, in one language."""

    def __init__(self, lang: str, vocabularies: Mapping[str, Vocabulary],
                 territories: Territories, level: str) -> None:
        """Label in ``lang`` with these vocabularies and territories; ``level`` names the
        territory dimension (``dep`` or ``reg``)."""
        self.lang, self.text = lang, TEXT[lang]
        self.vocabularies, self.territories, self.level = vocabularies, territories, level

    def dimension(self, dimension: str) -> str:
        """The name of a dimension."""
        name = self.level if dimension == "territory" else dimension
        return str(self.text["dimensions"][name])

    def value(self, dimension: str, value: str) -> str:
        """The label of a value of a dimension."""
        if value == TOTAL:
            return str(self.text["total"])
        if (dimension, value) in (("territory", UNSPECIFIED_TERRITORY),
                                  ("size_band", UNSPECIFIED), ("sector", UNSPECIFIED)):
            return str(self.text["unspecified"])
        vocabulary = {"theme": "themes", "size_band": "size_bands", "sector": "sectors"}.get(
            dimension)
        if vocabulary is not None and vocabulary in self.vocabularies:
            return self.vocabularies[vocabulary].label(value, self.lang)
        if dimension != "territory":
            return value
        if value.endswith(ROLLUP_SUFFIX):
            name = self._name(value.removesuffix(ROLLUP_SUFFIX))
            of = f"d'{name}" if name[:1].upper() in "AEIOUÉÎ" else f"de {name}"
            return str(self.text["others"]).format(of=of, name=name)
        name = self._name(value)
        return f"{value.removeprefix('dep:')} {name}" if value.startswith("dep:") else name

    def _name(self, code: str) -> str:
        try:
            return self.territories.name(code) or code
        except TerritoryError:
            return code


def _number(value: float | None) -> str:
    if value is None:
        return ""
    # Intensities are mostly whole numbers: show them without a decimal part.
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def render_text(
    diagnosis: SharedDiagnosis, lang: str = "fr", *,
    vocabularies: Mapping[str, Vocabulary] | None = None,
    territories: Territories | None = None,
) -> str:
    """A readable table for a terminal (French by default, ``lang="en"`` for English)."""
    if lang not in TEXT:
        raise ValueError(f"unknown language {lang!r}: expected 'fr' or 'en'")
    labeller = Labeller(lang, vocabularies or core_vocabularies(),
                        territories or core_territories(), diagnosis.territory_level)
    text = TEXT[lang]
    names = [labeller.dimension(d) for d in diagnosis.dimensions]
    lines = [f"{text['title']} — {' × '.join(names)}"]
    source = diagnosis.source()
    if source["needs"] is not None:
        lines.append(text["source"].format(**source))
    lines += protection_notice(diagnosis, lang)
    lines.append(text["published"].format(count=len(diagnosis.shown_cells)))
    header = [*names, *text["measures"]]
    for title, rows in ((text["cells"], diagnosis.published()),
                        (text["margins"], diagnosis.published_margins())):
        table = [[*(labeller.value(d, v) for d, v in zip(diagnosis.dimensions, key,
                                                          strict=True)),
                  *(_number(v) for v in (cell.associations, cell.needs, cell.intensity))]
                 for key, cell in rows.items()]
        lines += ["", title, *text_table(header, table, left=range(len(names)))]
    return "\n".join(lines) + "\n"


def to_csv(diagnosis: SharedDiagnosis) -> str:
    """One row per published cell, then one per published total (``*`` in the summed
    dimensions). RFC 4180: ``,`` and CRLF line ends."""
    buffer = io.StringIO()
    writer = safe_writer(buffer)
    # The status and roll-up columns stay for the readers of earlier files: every row listed
    # is published, and a roll-up no longer names its départements.
    writer.writerow([*diagnosis.dimensions, "associations", "needs", "intensity", "status",
                     "rolled_up_from"])
    for rows in (diagnosis.published(), diagnosis.published_margins()):
        for key, cell in rows.items():
            writer.writerow([*key, *(_number(v) for v in (cell.associations, cell.needs,
                                                           cell.intensity)), cell.status, ""])
    return buffer.getvalue()


def render_trends(
    diagnosis: SharedDiagnosis, output_format: str, lang: str, *,
    vocabularies: Mapping[str, Vocabulary] | None = None,
    territories: Territories | None = None,
) -> str:
    """The year-over-year changes of published keys, as text, JSON or CSV. The text says
    labels (themes, territories by name); JSON and CSV keep the codes."""
    rows = trends(diagnosis)
    names = [d for d in diagnosis.dimensions if d != "year"]
    records = [
        {**{name: (None if value == TOTAL else value)
            for name, value in zip(names, t.key, strict=True)},
         "year": t.year, "previous_year": t.previous_year, "needs": t.needs,
         "previous_needs": t.previous_needs, "change": t.change}
        for t in rows]
    if output_format == "json":
        return orjson.dumps(records, option=orjson.OPT_INDENT_2).decode() + "\n"
    buffer = io.StringIO()
    if output_format == "csv":
        fields = [*names, "year", "previous_year", "needs", "previous_needs", "change"]
        writer = safe_writer(buffer)
        writer.writerow(fields)
        writer.writerows([record[f] for f in fields] for record in records)
        return buffer.getvalue()
    labeller = Labeller(lang, vocabularies or core_vocabularies(),
                        territories or core_territories(), diagnosis.territory_level)
    lines = [TEXT[lang]["trends"], protection_notice(diagnosis, lang)[1]]
    for record in records:
        key = " × ".join(labeller.value(n, str(record[n])) if record[n] is not None else "*"
                         for n in names)
        lines.append(f"  {key:<40} {record['previous_year']}→{record['year']}  "
                     f"{record['previous_needs']:>5} → {record['needs']:<5} "
                     f"({record['change']:+d})")
    if not records:
        lines.append("  —")
    return "\n".join(lines) + "\n"


assert MAX_NOISE > 0  # the notice speaks of "a few units"
