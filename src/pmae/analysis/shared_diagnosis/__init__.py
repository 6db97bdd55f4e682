"""The shared diagnosis: needs aggregated by theme, territory, size band, sector and year,
protected by statistical secrecy.

Each cell counts the distinct associations that have at least one need in it (a need without
an association is a contributor of its own), the needs, and their summed intensity
(``intensity``, or 1 when absent). The protection (:mod:`.protection`) is computed once for a set
of needs and read by every table, every total and every ``--by``: published figures are
perturbed (cell-key perturbation), a cell is published when its published counts reach
``min_contributors`` and no association dominates it, and a hidden cell is not listed at all.
``docs/shared-diagnosis.md`` says what this guarantees.

Modules: :mod:`.model` (the data), :mod:`.dimensions` (the keys), :mod:`.columns` (needs as
columns, atoms as integer codes), :mod:`.protection` (the noise), :mod:`.tables` (the tables).
The renderings are in :mod:`pmae.render.needs`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pmae.analysis.shared_diagnosis.columns import NeedColumns
from pmae.analysis.shared_diagnosis.dimensions import check_dimensions, parse_dimensions
from pmae.analysis.shared_diagnosis.model import (
    DIMENSIONS,
    MAX_NOISE,
    ROLLUP_SUFFIX,
    TOTAL,
    UNSPECIFIED,
    UNSPECIFIED_TERRITORY,
    Cell,
    Key,
    Level,
    SecrecyRules,
    SharedDiagnosis,
    Status,
    Trend,
)
from pmae.analysis.shared_diagnosis.protection import (
    SECRET_VARIABLE,
    Protection,
    protect,
    protect_columns,
)
from pmae.analysis.shared_diagnosis.tables import diagnose
from pmae.model import Need
from pmae.territories import Territories, core_territories

__all__ = [
    "DIMENSIONS",
    "MAX_NOISE",
    "ROLLUP_SUFFIX",
    "SECRET_VARIABLE",
    "TOTAL",
    "UNSPECIFIED",
    "UNSPECIFIED_TERRITORY",
    "Cell",
    "Key",
    "Level",
    "NeedAggregator",
    "NeedColumns",
    "Protection",
    "SecrecyRules",
    "SharedDiagnosis",
    "Status",
    "Trend",
    "aggregate",
    "parse_dimensions",
    "protect",
    "protect_columns",
    "shareable_needs",
    "trends",
]


def shareable_needs(needs: Iterable[Need]) -> list[Need]:
    """The needs a shared diagnosis may count: every one but the ``private`` ones.

    Restricted needs count: the shared diagnosis publishes them only through protected cells.
    Private needs belong to the organisation that recorded them alone.
    """
    return [need for need in needs if need.visibility != "private"]


def aggregate(
    needs: Iterable[Need], *, by: str | Sequence[str] = ("theme", "territory"),
    level: Level | None = None,
    rules: SecrecyRules | None = None, territories: Territories | None = None,
    protection: Protection | None = None, secret: str | bytes | None = None,
) -> SharedDiagnosis:
    """Aggregate ``needs`` by the dimensions ``by``, protected.

    :param by: names from :data:`DIMENSIONS` (a sequence, or one string ``"theme,dep"``);
        ``dep`` or ``reg`` may stand for ``territory`` at that level.
    :param level: the territory level, ``dep`` or ``reg``; by default the one ``by`` names,
        else ``dep``.
    :param protection: the protection of these very needs, from :func:`protect`, to compute it
        once for several tables (``needs`` is then not read).
    :param secret: the démarche's secret (see :func:`protect`).
    :raises ValueError: for unknown dimensions or level.
    """
    dimensions, level = check_dimensions(by, level)
    rules = rules or SecrecyRules()
    if protection is None:
        protection = protect(needs, territories or core_territories(),
                             perturb=rules.secondary, secret=secret)
    elif protection.perturbed != rules.secondary:
        raise ValueError("the protection given was computed with perturb="
                         f"{protection.perturbed} but rules.secondary is {rules.secondary}")
    return diagnose(protection, dimensions, level, rules)


class NeedAggregator:
    """Needs added and removed one batch at a time; :meth:`result` equals :func:`aggregate`
    on the needs currently held (the protection is a function of the needs held, whatever the
    order they came in)."""

    def __init__(
        self, *, by: str | Sequence[str] = ("theme", "territory"), level: Level | None = None,
        rules: SecrecyRules | None = None, territories: Territories | None = None,
        secret: str | bytes | None = None,
    ) -> None:
        """Start empty; the arguments are those of :func:`aggregate`."""
        self.dimensions, self.level = check_dimensions(by, level)
        self.rules = rules or SecrecyRules()
        self.territories = territories or core_territories()
        self.secret = secret
        self._held: dict[str, Need] = {}

    def __len__(self) -> int:
        """The number of needs held."""
        return len(self._held)

    def add(self, needs: Iterable[Need]) -> None:
        """Add needs.

        :raises ValueError: if a need's id is already held (ids are how needs are removed);
            nothing is added then.
        """
        batch = list(needs)
        seen: set[str] = set()
        for need in batch:
            if need.id in self._held or need.id in seen:
                raise ValueError(f"need {need.id!r} is already held")
            seen.add(need.id)
        self._held.update((need.id, need) for need in batch)

    def remove(self, need_ids: Iterable[str]) -> None:
        """Remove needs by id.

        :raises KeyError: if an id is not held; nothing is removed then.
        """
        ids = list(dict.fromkeys(need_ids))
        missing = [i for i in ids if i not in self._held]
        if missing:
            raise KeyError(missing[0])
        for need_id in ids:
            del self._held[need_id]

    def result(self) -> SharedDiagnosis:
        """The shared diagnosis of the needs held."""
        return aggregate(self._held.values(), by=self.dimensions, level=self.level,
                         rules=self.rules, territories=self.territories, secret=self.secret)


def trends(shared_by_year: SharedDiagnosis) -> tuple[Trend, ...]:
    """Year-over-year changes, for every key published both one year and the year before.

    Cells and margins are compared alike (a margin's key holds :data:`TOTAL`), with their
    published (protected) figures; a key not published either year gives no trend.

    :raises ValueError: if the diagnosis is not aggregated by ``year``.
    """
    if "year" not in shared_by_year.dimensions:
        raise ValueError("trends need a diagnosis aggregated by year")
    y = shared_by_year.dimensions.index("year")
    published: dict[tuple[Key, int], Cell] = {}
    for rows in (shared_by_year.published(), shared_by_year.published_margins()):
        for key, cell in rows.items():
            if key[y] != TOTAL:
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
