"""The dimensions of the shared diagnosis, and the finest cell ("atom") of each need.

Every table pmae publishes from a bundle is a sum of atoms: the needs counted by all five
dimensions, the territory at the département level. The protection is applied to the atoms
once (:mod:`.protection`), so that every table reads the same protected figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from pmae.analysis.shared_diagnosis.model import (
    DIMENSIONS,
    UNSPECIFIED,
    UNSPECIFIED_TERRITORY,
    Level,
)
from pmae.i18n import gettext as _
from pmae.model import Need
from pmae.territories import Territories, TerritoryError

__all__ = ["Atom", "AtomKeyer", "check_dimensions", "contributor", "parse_dimensions"]

_KEPT: Final = 4
_KEYERS: dict[int, AtomKeyer] = {}

#: theme, département (or ``fr``), size band, sector, year.
Atom = tuple[str, str, str, str, str]


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
            raise ValueError(_("unknown dimension {name!r}: expected some of theme, dep, reg, "
                               "size_band, sector, year").format(name=name))
        if name in dimensions:
            raise ValueError(_("dep and reg are two levels of one dimension: choose one")
                             if len(levels) > 1 else
                             _("dimension {name!r} is given twice").format(name=name))
        dimensions.append(name)
    if not dimensions:
        raise ValueError(_("give at least one dimension"))
    return tuple(dimensions), level


def check_dimensions(
    by: str | Sequence[str], level: Level | None,
) -> tuple[tuple[str, ...], Level]:
    """Dimensions and level from ``by`` and ``level``; ``by`` may name the level itself."""
    names = by.split(",") if isinstance(by, str) else list(by)
    dimensions, named = parse_dimensions(names)
    if level is None:
        return dimensions, named
    if level not in ("dep", "reg"):
        raise ValueError(_("unknown territory level {level!r}: expected 'dep' or "
                           "'reg'").format(level=level))
    if any(name.strip() in ("dep", "reg") for name in names) and named != level:
        raise ValueError(_("by names the level {named!r} but level is {level!r}").format(
            named=named, level=level))
    return dimensions, level


def contributor(need: Need) -> str:
    """Who a need counts for: its association, or the need itself when it has none (ids are
    unique across every record of merged bundles, so the two cannot clash)."""
    return need.association if need.association is not None else need.id


class AtomKeyer:
    """The atom of a need; territory codes are mapped to their département once each."""

    def __init__(self, territories: Territories) -> None:
        """Map territories with ``territories``."""
        self.territories = territories
        self._territory: dict[str | None, str] = {}

    @classmethod
    def shared(cls, territories: Territories) -> AtomKeyer:
        """The keyer of ``territories`` kept across calls (referentials are immutable), so
        that a territory code is mapped once per process, not once per diagnosis."""
        keyer = _KEYERS.get(id(territories))
        if keyer is None or keyer.territories is not territories:
            keyer = _KEYERS[id(territories)] = cls(territories)
            # The few most recent referentials (each keyer holds its own, so an id is not
            # reused while it is here).
            while len(_KEYERS) > _KEPT:
                del _KEYERS[next(iter(_KEYERS))]
        return keyer

    def department(self, code: str | None) -> str:
        """The département key of a territory code (``fr`` when none, or more than one)."""
        territory = self._territory.get(code)
        if territory is None:
            territory = self._territory[code] = self._map(code)
        return territory

    def atom(self, need: Need) -> Atom:
        """The finest cell of ``need``."""
        territory = self.department(need.territory)
        return (need.theme, territory, need.size_band or UNSPECIFIED,
                need.sector or UNSPECIFIED, str(need.date.year))

    def _map(self, code: str | None) -> str:
        # A territory that does not fit in one département goes to "non précisé": it stays in
        # every total rather than vanish from the tables.
        if code is None:
            return UNSPECIFIED_TERRITORY
        try:
            places = set(self.territories.departements(code))
        except TerritoryError:
            return UNSPECIFIED_TERRITORY
        return places.pop() if len(places) == 1 else UNSPECIFIED_TERRITORY

    def region(self, departement: str) -> str:
        """The région of a département key (``fr`` stays ``fr``)."""
        if departement == UNSPECIFIED_TERRITORY:
            return departement
        return self.territories.parents(departement)[0]
