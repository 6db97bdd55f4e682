"""Territories: INSEE codes written with their level, and containment between them.

Codes carry their level so nothing is ambiguous (``84`` is a région and also the Vaucluse
département): ``fr``, ``reg:84``, ``dep:69``, ``dep:2A``, ``dep:971``, ``com:69123``,
``epci:200046977``. Plugins may add levels (``bv:69123``) through
:meth:`Territories.with_referential`.

The package ships the régions and départements of the INSEE *Code officiel géographique*
(Licence Ouverte 2.0), plus the former régions 82 (Rhône-Alpes) and 83 (Auvergne), merged into
84 Auvergne-Rhône-Alpes in 2016, and the communes and EPCI of Etalab's *Découpage administratif*
(``data/``, read on first need). Containment is computed, never copied into the data: an offer
on ``reg:84`` covers every commune of the region.
"""

from __future__ import annotations

import functools
import importlib.resources

from pmae.territories.codes import (
    LEVELS,
    TERRITORY_PATTERN,
    Territory,
    TerritoryError,
    TerritoryErrorCode,
)
from pmae.territories.communes import shipped_folder
from pmae.territories.loading import read_territories
from pmae.territories.referential import Territories

__all__ = [
    "LEVELS",
    "TERRITORY_PATTERN",
    "Territories",
    "Territory",
    "TerritoryError",
    "TerritoryErrorCode",
    "core_territories",
    "read_territories",
]


@functools.cache
def core_territories() -> Territories:
    """The shipped referential, read once: régions, départements, former régions 82 and 83, and
    the communes and EPCI (those read the first time a commune or an EPCI is looked up)."""
    return read_territories(importlib.resources.files("pmae").joinpath("data", "geo.json"),
                            shipped_folder())
