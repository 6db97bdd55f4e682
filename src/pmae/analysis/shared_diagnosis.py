"""The shared diagnosis: needs aggregated by theme, territory, size band, sector and year, with
statistical secrecy.

Each cell counts the distinct associations that have at least one need in it (a need without an
association is a contributor of its own, keyed by the need's id), the needs, and their summed
intensity (``intensity``, or 1 when absent). Only what secrecy allows is published:

1. **roll-up** (territory at the département level): in each row, the départements that would be
   primary-suppressed are merged, within their région, into one cell "autres départements de
   <région>" (code ``reg:84*``), when there are at least two of them;
2. **primary secrecy**: a cell with fewer than ``min_contributors`` associations is
   ``secret_primaire``; one where a single association weighs more than ``dominance`` of the
   summed intensity is ``secret_dominance``;
3. **secondary secrecy**: margins (every total over one or more dimensions, down to the grand
   total) are computed from the cells as they stand after the roll-up and are themselves subject
   to primary secrecy. In every *line* of this extended table (the entries that share all
   coordinates but one, plus their total), the number of suppressed entries is 0 or at least 2,
   so that no hidden value is the difference between a published total and published cells.
   When a line has exactly one, the published cell of the line with the smallest count is
   suppressed (``secret_secondaire``), and so on until nothing changes.

By département, the extended table also holds **région subtotals** (territory ``reg:84``: the
région's départements and roll-up cell), with their lines: a région's départements and roll-up
with its subtotal, and the régions and ``fr`` with the total. The table by région is read off the
protected table by département (its région subtotals become the cells), so that the two publish
the same values and no hidden département is their difference.

The figures are computed here and rendered separately (text, JSON, CSV); every rendering goes
through :meth:`SharedDiagnosis.published`, so the values of suppressed cells never leave this
module.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Literal, TextIO

import attrs

from pmae.model import Need
from pmae.territories import Territories, TerritoryError, core_territories
from pmae.vocab import Vocabulary, core_vocabularies

__all__ = [
    "DIMENSIONS",
    "TOTAL",
    "UNSPECIFIED",
    "UNSPECIFIED_TERRITORY",
    "Cell",
    "NeedAggregator",
    "SecrecyRules",
    "SharedDiagnosis",
    "Trend",
    "aggregate",
    "parse_dimensions",
    "trends",
]

#: The dimensions needs can be aggregated by, in their canonical order.
DIMENSIONS: Final = ("theme", "territory", "size_band", "sector", "year")
#: The value of a dimension summed over in a margin's key.
TOTAL: Final = "*"
#: The territory key of needs with no territory, or one that does not fit in a single
#: département (or région) of the chosen level: ``fr``, "non précisé". Such needs stay in the
#: table (and in every total) rather than only in the grand total, so that every total is the
#: sum of its cells and secondary secrecy can reason about it.
UNSPECIFIED_TERRITORY: Final = "fr"
#: The key of needs without a size band or a sector ("non précisé").
UNSPECIFIED: Final = "nd"
#: Suffix of a roll-up cell's territory: ``reg:84*`` is "autres départements de reg:84".
ROLLUP_SUFFIX: Final = "*"

Status = Literal["publie", "secret_primaire", "secret_dominance", "secret_secondaire"]
Level = Literal["dep", "reg"]
Key = tuple[str, ...]
# contributor (association id, or "besoin:<need id>") -> the intensities of its needs
_Pool = dict[str, list[float]]


@attrs.define(kw_only=True, frozen=True)
class SecrecyRules:
    """The thresholds of statistical secrecy; settings, not facts."""

    #: A cell needs at least this many distinct associations to be published.
    min_contributors: int = 3
    #: A cell is hidden when one association contributes more than this share of its intensity.
    dominance: float = 0.85
    #: Apply secondary secrecy (hidden cells cannot be recomputed from totals).
    secondary: bool = True
    #: Merge départements that would be hidden into "autres départements de <région>".
    rollup: bool = True

    def to_dict(self) -> dict[str, Any]:
        """The rules as plain data."""
        return attrs.asdict(self)


@attrs.define(kw_only=True, frozen=True)
class Cell:
    """One cell (or margin) of the shared diagnosis.

    The measures are ``None`` only in what :meth:`SharedDiagnosis.published` returns, for
    suppressed cells.
    """

    #: Distinct associations with at least one need in the cell.
    associations: int | None
    #: Needs in the cell.
    needs: int | None
    #: Summed intensity of the needs (1 for a need without intensity).
    intensity: float | None
    status: Status
    #: For a roll-up cell (``reg:84*``), the départements merged into it.
    rolled_up_from: tuple[str, ...] = ()

    @property
    def suppressed(self) -> bool:
        """Whether secrecy hides the cell's values."""
        return self.status != "publie"


@attrs.define(kw_only=True, frozen=True)
class Trend:
    """The year-over-year change of one published key (cell or margin) of a diagnosis."""

    #: The key without its year (may hold :data:`TOTAL` for a margin).
    key: Key
    year: int
    previous_year: int
    needs: int
    previous_needs: int
    associations: int
    previous_associations: int

    @property
    def change(self) -> int:
        """Change in the number of needs."""
        return self.needs - self.previous_needs

    @property
    def relative_change(self) -> float:
        """Change in the number of needs, relative to the previous year (published cells are
        never empty, so the previous count is positive)."""
        return self.change / self.previous_needs


@attrs.define(kw_only=True, frozen=True)
class SharedDiagnosis:
    """The needs aggregated by :attr:`dimensions`, with each cell's secrecy status.

    ``cells`` and ``margins`` hold the true values, for the library's own checks; publish only
    through :meth:`published`, :meth:`published_margins`, :meth:`to_json`, :meth:`to_csv` or
    :meth:`render_text`, which never show a suppressed value.
    """

    dimensions: tuple[str, ...]
    #: The level of the territory dimension: ``dep`` or ``reg``.
    territory_level: Level
    rules: SecrecyRules
    #: Key (one value per dimension) -> cell, in key order.
    cells: Mapping[Key, Cell]
    #: Totals: keys with :data:`TOTAL` for each dimension summed over; ``(TOTAL,) * n`` is the
    #: grand total. A total is the sum of the cells as published, so needs rolled up into
    #: "autres départements" count in the roll-up's column, not in their département's.
    margins: Mapping[Key, Cell]
    #: Needs aggregated.
    source_needs: int
    #: Distinct contributors among them (associations, plus needs without an association).
    source_associations: int

    @property
    def grand_total(self) -> Key:
        """The key of the grand total in :attr:`margins`."""
        return (TOTAL,) * len(self.dimensions)

    def published(self) -> dict[Key, Cell]:
        """The cells as they may be published: suppressed ones have ``None`` values."""
        return {key: _hide(cell) for key, cell in self.cells.items()}

    def published_margins(self) -> dict[Key, Cell]:
        """The margins as they may be published: suppressed ones have ``None`` values."""
        return {key: _hide(cell) for key, cell in self.margins.items()}

    def status_counts(self) -> dict[str, int]:
        """How many cells have each status (every status listed, in a fixed order)."""
        counts: dict[str, int] = dict.fromkeys(_STATUSES, 0)
        for cell in self.cells.values():
            counts[cell.status] += 1
        return counts

    def _source(self) -> dict[str, int | None]:
        # The source counts are the grand total's: hidden with it.
        total = self.published_margins()[self.grand_total]
        return {"needs": total.needs, "associations": total.associations}

    def to_json(self) -> dict[str, Any]:
        """Plain data for JSON: dimensions, rules, statuses, cells and margins as flat rows."""
        return {
            "dimensions": list(self.dimensions),
            "territory_level": self.territory_level,
            "rules": self.rules.to_dict(),
            "source": self._source(),
            "statuses": self.status_counts(),
            "cells": [self._row(key, cell) for key, cell in self.published().items()],
            "margins": [self._row(key, cell) for key, cell in self.published_margins().items()],
        }

    def _row(self, key: Key, cell: Cell) -> dict[str, Any]:
        row: dict[str, Any] = dict(zip(self.dimensions, key, strict=True))
        row.update(associations=cell.associations, needs=cell.needs, intensity=cell.intensity,
                   status=cell.status, rolled_up_from=list(cell.rolled_up_from))
        return row

    def to_csv(self, stream: TextIO) -> None:
        """Write one row per cell, then one per margin (``*`` in the summed dimensions).

        Suppressed values are written ``s``. RFC 4180: ``,`` and CRLF line ends.
        """
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow([*self.dimensions, "associations", "needs", "intensity", "status",
                         "rolled_up_from"])
        for rows in (self.published(), self.published_margins()):
            for key, cell in rows.items():
                values = [_csv_value(v) for v in (cell.associations, cell.needs, cell.intensity)]
                writer.writerow([*key, *values, cell.status, " ".join(cell.rolled_up_from)])

    def render_text(
        self, lang: str = "fr", *, vocabularies: Mapping[str, Vocabulary] | None = None,
        territories: Territories | None = None,
    ) -> str:
        """A readable table for a terminal (French by default, ``lang="en"`` for English)."""
        if lang not in _TEXT:
            raise ValueError(f"unknown language {lang!r}: expected 'fr' or 'en'")
        labeller = _Labeller(lang, vocabularies or core_vocabularies(),
                             territories or core_territories(), self.territory_level)
        text = _TEXT[lang]
        names = [labeller.dimension(d) for d in self.dimensions]
        source = self._source()
        lines = [f"{text['title']} — {' × '.join(names)}"]
        if source["needs"] is not None:
            lines.append(text["source"].format(**source))
        rules = self.rules
        lines.append(text["rules"].format(
            min=rules.min_contributors, dominance=_percent(rules.dominance, lang),
            secondary=text["yes" if rules.secondary else "no"],
            rollup=text["yes" if rules.rollup else "no"]))
        counts = self.status_counts()
        lines.append(text["statuses"] + ", ".join(
            f"{counts[s]} {text['status'][s]}" for s in _STATUSES))
        lines.append(text["legend"])
        header = [*names, *text["measures"], text["status_column"]]
        for title, rows in ((text["cells"], self.published()),
                            (text["margins"], self.published_margins())):
            table = [[*(labeller.value(d, v) for d, v in zip(self.dimensions, key, strict=True)),
                      *(_csv_value(v) for v in (cell.associations, cell.needs, cell.intensity)),
                      "" if cell.status == "publie" else text["status"][cell.status]]
                     for key, cell in rows.items()]
            lines += ["", title, *_table(header, table, numeric=len(self.dimensions))]
        return "\n".join(lines) + "\n"


_STATUSES: Final[tuple[Status, ...]] = (
    "publie", "secret_primaire", "secret_dominance", "secret_secondaire")


def _hide(cell: Cell) -> Cell:
    if not cell.suppressed:
        return cell
    return attrs.evolve(cell, associations=None, needs=None, intensity=None)


def _number(value: float) -> str:
    # Intensities are mostly whole numbers: show them without a decimal part.
    return str(int(value)) if value.is_integer() else f"{value:.2f}"


def _csv_value(value: float | None) -> str:
    return "s" if value is None else _number(float(value))


def _percent(share: float, lang: str) -> str:
    number = f"{share * 100:g}"
    return f"{number.replace('.', ',')} %" if lang == "fr" else f"{number}%"


def _table(header: list[str], rows: list[list[str]], *, numeric: int) -> list[str]:
    """Columns padded to their width; measure columns (after ``numeric``) right-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        cells = [value.rjust(width) if numeric <= i < len(row) - 1 else value.ljust(width)
                 for i, (value, width) in enumerate(zip(row, widths, strict=True))]
        return "  " + "  ".join(cells).rstrip()

    return [line(header), *(line(row) for row in rows)]


_TEXT: Final[dict[str, dict[str, Any]]] = {
    "fr": {
        "title": "Diagnostic partagé des besoins",
        "source": "{needs} besoins de {associations} contributeurs (associations, et besoins "
                  "exprimés sans association)",
        "rules": "Secret statistique : au moins {min} associations par case ; aucune association "
                 "au-delà de {dominance} de l'intensité ; secret secondaire : {secondary} ; "
                 "regroupement des départements : {rollup}",
        "yes": "oui", "no": "non",
        "statuses": "Cases : ",
        "status": {"publie": "publiées", "secret_primaire": "secret primaire",
                   "secret_dominance": "secret de dominance",
                   "secret_secondaire": "secret secondaire"},
        "legend": "s = valeur couverte par le secret statistique",
        "cells": "Cases", "margins": "Totaux (* = ensemble)",
        "measures": ["associations", "besoins", "intensité"], "status_column": "secret",
        "dimensions": {"theme": "thème", "dep": "département", "reg": "région",
                       "size_band": "tranche d'effectif", "sector": "secteur", "year": "année"},
        "unspecified": "non précisé", "total": "*", "others": "autres départements {of}",
    },
    "en": {
        "title": "Shared diagnosis of needs",
        "source": "{needs} needs from {associations} contributors (associations, and needs "
                  "heard without an association)",
        "rules": "Statistical secrecy: at least {min} associations a cell; no association above "
                 "{dominance} of the intensity; secondary secrecy: {secondary}; "
                 "départements rolled up: {rollup}",
        "yes": "yes", "no": "no",
        "statuses": "Cells: ",
        "status": {"publie": "published", "secret_primaire": "primary secrecy",
                   "secret_dominance": "dominance secrecy",
                   "secret_secondaire": "secondary secrecy"},
        "legend": "s = value withheld by statistical secrecy",
        "cells": "Cells", "margins": "Totals (* = all)",
        "measures": ["associations", "needs", "intensity"], "status_column": "secrecy",
        "dimensions": {"theme": "theme", "dep": "département", "reg": "région",
                       "size_band": "size band", "sector": "sector", "year": "year"},
        "unspecified": "not specified", "total": "*", "others": "other départements of {name}",
    },
}


class _Labeller:
    """Labels of dimensions and values, for the text rendering."""

    def __init__(self, lang: str, vocabularies: Mapping[str, Vocabulary],
                 territories: Territories, level: Level) -> None:
        self.lang, self.text = lang, _TEXT[lang]
        self.vocabularies, self.territories, self.level = vocabularies, territories, level

    def dimension(self, dimension: str) -> str:
        name = self.level if dimension == "territory" else dimension
        return str(self.text["dimensions"][name])

    def value(self, dimension: str, value: str) -> str:
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


# --- aggregation ---------------------------------------------------------------------------


def parse_dimensions(text: str | Iterable[str]) -> tuple[tuple[str, ...], Level]:
    """Dimensions and territory level from ``"theme,dep"`` (or an iterable of names).

    ``dep`` and ``reg`` stand for the territory at that level; ``territory`` means ``dep``.

    :raises ValueError: for an unknown or repeated dimension, two territory levels, or none.
    """
    names = [n.strip() for n in (text.split(",") if isinstance(text, str) else text)]
    dimensions: list[str] = []
    level: Level = "dep"
    levels: set[str] = set()
    for name in names:
        if name in ("dep", "reg", "territory"):
            level = "reg" if name == "reg" else "dep"
            levels.add(level)
            name = "territory"
        elif name not in DIMENSIONS:
            raise ValueError(f"unknown dimension {name!r}: expected some of theme, dep, reg, "
                             "size_band, sector, year")
        if name in dimensions:
            raise ValueError("dep and reg are two levels of one dimension: choose one"
                             if len(levels) > 1 else f"dimension {name!r} is given twice")
        dimensions.append(name)
    if not dimensions:
        raise ValueError("give at least one dimension")
    return tuple(dimensions), level


def _check_dimensions(
    by: str | Sequence[str], level: Level | None,
) -> tuple[tuple[str, ...], Level]:
    """Dimensions and level from ``by`` and ``level``; ``by`` may name the level itself."""
    names = by.split(",") if isinstance(by, str) else list(by)
    dimensions, named = parse_dimensions(names)
    if level is None:
        return dimensions, named
    if level not in ("dep", "reg"):
        raise ValueError(f"unknown territory level {level!r}: expected 'dep' or 'reg'")
    if any(name.strip() in ("dep", "reg") for name in names) and named != level:
        raise ValueError(f"by names the level {named!r} but level is {level!r}")
    return dimensions, level


class _Keyer:
    """The cell key of a need; territory codes are mapped to the level once each."""

    def __init__(self, dimensions: tuple[str, ...], level: Level,
                 territories: Territories) -> None:
        self.dimensions, self.level, self.territories = dimensions, level, territories
        self._territory: dict[str | None, str] = {}

    def key(self, need: Need) -> Key:
        return tuple(self._value(d, need) for d in self.dimensions)

    def _value(self, dimension: str, need: Need) -> str:
        if dimension == "theme":
            return need.theme
        if dimension == "year":
            return str(need.date.year)
        if dimension == "size_band":
            return need.size_band or UNSPECIFIED
        if dimension == "sector":
            return need.sector or UNSPECIFIED
        found = self._territory.get(need.territory)
        if found is None:
            found = self._territory[need.territory] = self._map(need.territory)
        return found

    def _map(self, code: str | None) -> str:
        if code is None:
            return UNSPECIFIED_TERRITORY
        try:
            departements = self.territories.departements(code)
        except TerritoryError:
            return UNSPECIFIED_TERRITORY
        if self.level == "dep":
            places = set(departements)
        else:
            places = {self.territories.parents(d)[0] for d in departements}
        return places.pop() if len(places) == 1 else UNSPECIFIED_TERRITORY


def _contributor(need: Need) -> str:
    # A need without association is one contributor; its id cannot clash with an association's
    # because ids are unique across every record of merged bundles.
    return need.association if need.association is not None else need.id


def _intensity(need: Need) -> float:
    return 1.0 if need.intensity is None else float(need.intensity)


def shareable_needs(needs: Iterable[Need]) -> list[Need]:
    """The needs a shared diagnosis may count: every one but the ``private`` ones.

    Restricted needs count: the shared diagnosis publishes them only through cells that pass
    the secrecy rules. Private needs belong to the organisation that recorded them alone.
    """
    return [need for need in needs if need.visibility != "private"]


def aggregate(
    needs: Iterable[Need], *, by: str | Sequence[str] = ("theme", "territory"),
    level: Level | None = None,
    rules: SecrecyRules | None = None, territories: Territories | None = None,
) -> SharedDiagnosis:
    """Aggregate ``needs`` by the dimensions ``by`` and apply statistical secrecy.

    :param by: names from :data:`DIMENSIONS` (a sequence, or one string ``"theme,dep"``);
        ``dep`` or ``reg`` may stand for ``territory`` at that level.
    :param level: the territory level, ``dep`` or ``reg``; by default the one ``by`` names,
        else ``dep``.
    :raises ValueError: for unknown dimensions or level.
    """
    dimensions, level = _check_dimensions(by, level)
    # Keyed by département: a table by région is derived from the table by département.
    keyer = _Keyer(dimensions, "dep", territories or core_territories())
    pools: dict[Key, _Pool] = {}
    for need in needs:
        pools.setdefault(keyer.key(need), {}).setdefault(_contributor(need), []).append(
            _intensity(need))
    return _diagnose(pools, dimensions, level, rules or SecrecyRules(), keyer.territories)


class NeedAggregator:
    """Needs added and removed one batch at a time; :meth:`result` equals :func:`aggregate`
    on the needs currently held.

    The per-cell tallies are kept up to date; secrecy is global (one cell can hide another
    anywhere in a line), so :meth:`result` applies it anew from the tallies.
    """

    def __init__(
        self, *, by: str | Sequence[str] = ("theme", "territory"), level: Level | None = None,
        rules: SecrecyRules | None = None, territories: Territories | None = None,
    ) -> None:
        """Start empty; the arguments are those of :func:`aggregate`."""
        self.dimensions, self.level = _check_dimensions(by, level)
        self.rules = rules or SecrecyRules()
        self._keyer = _Keyer(self.dimensions, "dep", territories or core_territories())
        self._where: dict[str, tuple[Key, str]] = {}
        # cell -> contributor -> need id -> intensity: a removal finds its need at once.
        self._cells: dict[Key, dict[str, dict[str, float]]] = {}

    def __len__(self) -> int:
        """The number of needs held."""
        return len(self._where)

    def add(self, needs: Iterable[Need]) -> None:
        """Add needs.

        :raises ValueError: if a need's id is already held (ids are how needs are removed);
            nothing is added then.
        """
        batch = list(needs)
        ids = [need.id for need in batch]
        clash = next((i for i in ids if i in self._where), None)
        if clash is None and len(set(ids)) < len(ids):
            clash = next(i for i in ids if ids.count(i) > 1)
        if clash is not None:
            raise ValueError(f"need {clash!r} is already held")
        for need in batch:
            key, contributor = self._keyer.key(need), _contributor(need)
            self._where[need.id] = (key, contributor)
            self._cells.setdefault(key, {}).setdefault(contributor, {})[need.id] = \
                _intensity(need)

    def remove(self, need_ids: Iterable[str]) -> None:
        """Remove needs by id.

        :raises KeyError: if an id is not held; nothing is removed then.
        """
        ids = list(dict.fromkeys(need_ids))
        missing = [i for i in ids if i not in self._where]
        if missing:
            raise KeyError(missing[0])
        for need_id in ids:
            key, contributor = self._where.pop(need_id)
            cell = self._cells[key]
            del cell[contributor][need_id]
            if not cell[contributor]:
                del cell[contributor]
                if not cell:
                    del self._cells[key]

    def result(self) -> SharedDiagnosis:
        """The shared diagnosis of the needs held."""
        pools = {key: {c: list(n.values()) for c, n in cell.items()}
                 for key, cell in self._cells.items()}
        return _diagnose(pools, self.dimensions, self.level, self.rules,
                         self._keyer.territories)


# --- secrecy -------------------------------------------------------------------------------


@attrs.define(frozen=True)
class _Stats:
    associations: int
    needs: int
    intensity: float
    top: float  # the largest contributor's summed intensity


def _stats(pool: _Pool) -> _Stats:
    # math.fsum is correctly rounded, hence independent of the order needs came in: the
    # incremental aggregator and a recomputation give the very same floats.
    return _Stats(
        associations=len(pool), needs=sum(len(v) for v in pool.values()),
        intensity=math.fsum(x for v in pool.values() for x in v),
        top=max((math.fsum(v) for v in pool.values()), default=0.0))


def _primary(stats: _Stats, rules: SecrecyRules) -> Status:
    if stats.associations < rules.min_contributors:
        return "secret_primaire"
    # With no intensity at all nobody dominates (the share is undefined).
    if stats.intensity > 0 and stats.top > rules.dominance * stats.intensity:
        return "secret_dominance"
    return "publie"


def _merge(pools: Iterable[_Pool]) -> _Pool:
    merged: _Pool = {}
    for pool in pools:
        for contributor, values in pool.items():
            merged.setdefault(contributor, []).extend(values)
    return merged


def _roll_up(pools: dict[Key, _Pool], dimensions: tuple[str, ...], rules: SecrecyRules,
             territories: Territories) -> dict[Key, tuple[_Pool, tuple[str, ...]]]:
    """Cells after merging, row by row, the départements that would be hidden in a région."""
    cells: dict[Key, tuple[_Pool, tuple[str, ...]]] = {
        key: (pool, ()) for key, pool in pools.items()}
    t = dimensions.index("territory")
    failing: dict[tuple[Key, str], list[Key]] = {}
    for key, pool in pools.items():
        if key[t].startswith("dep:") and _primary(_stats(pool), rules) != "publie":
            region = territories.parents(key[t])[0]
            failing.setdefault((key[:t] + key[t + 1:], region), []).append(key)
    for (_row, region), keys in sorted(failing.items()):
        # One hidden département alone would stay as hidden under another name: leave it.
        if len(keys) < 2:
            continue
        keys.sort()
        for key in keys:
            del cells[key]
        merged_key = (*keys[0][:t], region + ROLLUP_SUFFIX, *keys[0][t + 1:])
        cells[merged_key] = (_merge(pools[k] for k in keys), tuple(k[t] for k in keys))
    return cells


def _region_of(territory: str, territories: Territories) -> str | None:
    """The current région of a département or of a roll-up cell (``reg:84*``); ``None`` for
    :data:`UNSPECIFIED_TERRITORY`, which belongs to no région."""
    if territory.startswith("dep:"):
        return territories.parents(territory)[0]
    if territory.startswith("reg:") and territory.endswith(ROLLUP_SUFFIX):
        return territory.removesuffix(ROLLUP_SUFFIX)
    return None


def _is_region(territory: str) -> bool:
    """Whether a territory key of a table by département is a région subtotal."""
    return territory.startswith("reg:") and not territory.endswith(ROLLUP_SUFFIX)


def _diagnose(pools: dict[Key, _Pool], dimensions: tuple[str, ...], level: Level,
              rules: SecrecyRules, territories: Territories) -> SharedDiagnosis:
    """The diagnosis of ``pools``, keyed by département when the territory is a dimension."""
    if "territory" not in dimensions:
        return _diagnose_departements(pools, dimensions, level, rules, territories)
    by_dep = _diagnose_departements(pools, dimensions, "dep", rules, territories)
    return by_dep if level == "dep" else _regions(by_dep)


def _regions(by_dep: SharedDiagnosis) -> SharedDiagnosis:
    """The table by région read off the protected table by département: its région subtotals
    (and its cells and totals of unspecified territory) with their statuses, so that the two
    tables publish the same values and nothing hidden in one is recomputed from the other."""
    t = by_dep.dimensions.index("territory")
    cells: dict[Key, Cell] = {}
    margins: dict[Key, Cell] = {}
    for key, cell in [*by_dep.cells.items(), *by_dep.margins.items()]:
        territory = key[t]
        if not (_is_region(territory) or territory in (UNSPECIFIED_TERRITORY, TOTAL)):
            continue
        target = margins if TOTAL in key else cells
        target[key] = attrs.evolve(cell, rolled_up_from=())
    return attrs.evolve(by_dep, territory_level="reg", cells=dict(sorted(cells.items())),
                        margins=dict(sorted(margins.items())))


def _diagnose_departements(
    pools: dict[Key, _Pool], dimensions: tuple[str, ...], level: Level, rules: SecrecyRules,
    territories: Territories,
) -> SharedDiagnosis:
    t = dimensions.index("territory") if "territory" in dimensions else None
    if rules.rollup and t is not None:
        cells = _roll_up(pools, dimensions, rules, territories)
    else:
        cells = {key: (pool, ()) for key, pool in pools.items()}
    n = len(dimensions)
    # The extended table: every cell counts in each total obtained by summing over any subset
    # of the dimensions; the grand total sums over all of them. By département, the cells of
    # a région also count in its subtotals (territory = the région), over the same subsets of
    # the other dimensions.
    entries: dict[Key, _Pool] = {key: pool for key, (pool, _) in cells.items()}
    regions: dict[str, str] = {}
    for key, (pool, _) in cells.items():
        targets = [tuple(TOTAL if mask >> i & 1 else v for i, v in enumerate(key))
                   for mask in range(1, 2 ** n)]
        if t is not None:
            region = _region_of(key[t], territories)
            if region is not None:
                regions[key[t]] = region
                targets += [(*k[:t], region, *k[t + 1:]) for k in [key, *targets]
                            if k[t] != TOTAL]
        for margin in targets:
            target = entries.setdefault(margin, {})
            for contributor, values in pool.items():
                target.setdefault(contributor, []).extend(values)
    if not cells:
        entries[(TOTAL,) * n] = {}
    stats = {key: _stats(pool) for key, pool in entries.items()}
    status = {key: _primary(s, rules) for key, s in stats.items()}
    if rules.secondary:
        _suppress_secondary(stats, status, n,
                            None if t is None else (t, regions))
    grand = stats[(TOTAL,) * n]

    def cell(key: Key, rolled: tuple[str, ...] = ()) -> Cell:
        s = stats[key]
        return Cell(associations=s.associations, needs=s.needs, intensity=s.intensity,
                    status=status[key], rolled_up_from=rolled)

    return SharedDiagnosis(
        dimensions=dimensions, territory_level=level, rules=rules,
        cells={key: cell(key, cells[key][1]) for key in sorted(cells)},
        margins={key: cell(key) for key in sorted(k for k in entries if k not in cells)},
        source_needs=grand.needs, source_associations=grand.associations)


def _line_ids(key: Key, n: int,
              territory: tuple[int, Mapping[str, str]] | None) -> list[tuple[int, str, Key]]:
    """The lines ``key`` is in: ``(d, group, rest)``, ``group`` empty but along the territory
    of a table by département, where it tells the leaves (cells and their totals, ``""``), a
    région's line (its code) and the line of the régions (``"~"``) apart."""
    found = []
    for d in range(n):
        rest = key[:d] + key[d + 1:]
        if territory is None or d != territory[0]:
            found.append((d, "", rest))
            continue
        value, regions = key[d], territory[1]
        if _is_region(value):  # a région subtotal: the total of its line, a member of "~"
            found += [(d, value, rest), (d, "~", rest)]
        elif value == TOTAL:  # the total of the leaves and of the régions
            found += [(d, "", rest), (d, "~", rest)]
        elif value in regions:  # a département or a roll-up: a leaf, a member of its région
            found += [(d, "", rest), (d, regions[value], rest)]
        else:  # unspecified: a leaf, and a part of the total beside the régions
            found += [(d, "", rest), (d, "~", rest)]
    return found


def _line_total(line: tuple[int, str, Key], territory: tuple[int, Mapping[str, str]] | None,
                key: Key) -> bool:
    """Whether ``key`` is the total of ``line`` (one of its members)."""
    d, group = line[0], line[1]
    if territory is not None and d == territory[0] and group not in ("", "~"):
        return key[d] == group
    return key[d] == TOTAL


def _suppress_secondary(stats: Mapping[Key, _Stats], status: dict[Key, Status], n: int,
                        territory: tuple[int, Mapping[str, str]] | None = None) -> None:
    """Suppress cells until every line has 0 or at least 2 suppressed entries.

    A line is the entries sharing every coordinate but one, ``d``, with their total
    (``d`` = :data:`TOTAL`): the total is the sum of the others, so a lone unknown in a line is
    the difference of known values. With ``territory`` (its index, and the région of each
    département and roll-up cell of a table by département), the territory coordinate has three
    kinds of line: the leaves (départements, roll-ups, unspecified) with the total; each
    région's départements and roll-up with the région subtotal; the régions and unspecified
    with the total. Lines are visited in sorted order and the smallest cell is chosen with a
    total tie-break, so the result depends only on the data, not on the order the needs came in.
    """
    lines: dict[tuple[int, str, Key], list[Key]] = {}
    where: dict[Key, list[tuple[int, str, Key]]] = {}
    for key in stats:
        where[key] = _line_ids(key, n, territory)
        for line in where[key]:
            lines.setdefault(line, []).append(key)

    def size(key: Key) -> tuple[int, float, int, Key]:
        s = stats[key]
        return (s.needs, s.intensity, s.associations, key)

    dirty = set(lines)
    while dirty:
        todo, dirty = sorted(dirty), set()
        for line in todo:
            members = lines[line]
            if sum(1 for m in members if status[m] != "publie") != 1:
                continue
            published = [m for m in members if status[m] == "publie"]
            # Hide another cell of the line; the total itself only when the line has no other
            # cell (then the total equals the hidden cell).
            candidates = [m for m in published
                          if not _line_total(line, territory, m)] or published
            if not candidates:  # only in an empty table: the lone, empty grand total
                continue
            chosen = min(candidates, key=size)
            status[chosen] = "secret_secondaire"
            dirty.update(where[chosen])


# --- trends --------------------------------------------------------------------------------


def trends(shared_by_year: SharedDiagnosis) -> tuple[Trend, ...]:
    """Year-over-year changes, for every key published both one year and the year before.

    Cells and margins are compared alike (a margin's key holds :data:`TOTAL`); a key absent or
    suppressed either year gives no trend, so no hidden value can be derived from a change.

    :raises ValueError: if the diagnosis is not aggregated by ``year``.
    """
    if "year" not in shared_by_year.dimensions:
        raise ValueError("trends need a diagnosis aggregated by year")
    y = shared_by_year.dimensions.index("year")
    published: dict[tuple[Key, int], Cell] = {}
    for rows in (shared_by_year.published(), shared_by_year.published_margins()):
        for key, cell in rows.items():
            if key[y] != TOTAL and not cell.suppressed:
                published[(key[:y] + key[y + 1:], int(key[y]))] = cell
    found = []
    for (key, year), cell in sorted(published.items()):
        before = published.get((key, year - 1))
        if before is None:
            continue
        assert cell.needs is not None and before.needs is not None  # published cells
        assert cell.associations is not None and before.associations is not None
        found.append(Trend(key=key, year=year, previous_year=year - 1, needs=cell.needs,
                           previous_needs=before.needs, associations=cell.associations,
                           previous_associations=before.associations))
    return tuple(found)
