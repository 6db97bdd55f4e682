"""Building a :class:`~pmae.territories.Territories` from the COG's files.

pmae reads its own files this way (:func:`~pmae.territories.core_territories`); a plugin that
ships a newer vintage of the COG reads its files with :func:`read_territories` and registers
the result as the ``base`` of a :class:`~pmae.plugins.TerritoryReferential`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from importlib.resources.abc import Traversable
from typing import Any

from pmae.territories.codes import LEVELS
from pmae.territories.communes import CommuneTable, read_commune_table
from pmae.territories.referential import Territories


def from_geo(data: dict[str, Any],
             communes: Callable[[tuple[str, ...]], CommuneTable] | None = None) -> Territories:
    """Territories from the parsed ``geo.json`` (régions, départements, former régions).

    ``communes`` reads the commune table, given the départements in COG order; it is only
    called the first time a commune or an EPCI is looked up.
    """
    names: dict[str, str | None] = {"fr": "France"}
    parents: dict[str, tuple[str, ...]] = {"fr": ()}
    current = tuple(f"reg:{r['code']}" for r in data["regions"])
    for region, entry in zip(current, data["regions"], strict=True):
        names[region] = entry["name"]
        parents[region] = ("fr",)
    former_of: dict[str, str] = {}
    former: list[str] = []
    for entry in data["former_regions"]:
        region = f"reg:{entry['code']}"
        former.append(region)
        names[region] = entry["name"]
        parents[region] = (f"reg:{entry['current_region']}",)
        for dep in entry["departements"]:
            former_of[f"dep:{dep}"] = region
    deps: list[str] = []
    for entry in data["departements"]:
        dep = f"dep:{entry['code']}"
        deps.append(dep)
        names[dep] = entry["name"]
        region = f"reg:{entry['region']}"
        parents[dep] = (region, former_of[dep]) if dep in former_of else (region,)
    departements = tuple(deps)
    return Territories(
        names=names,
        parents=parents,
        current_regions=current,
        former_regions=tuple(former),
        departements=departements,
        levels=frozenset(LEVELS),
        communes=None if communes is None else functools.partial(communes, departements),
    )


def read_territories(geo: Traversable, communes: Traversable | None = None) -> Territories:
    """Territories from a ``geo.json`` file and, if given, a folder of commune files.

    ``communes`` holds ``communes.tsv.gz``, ``epci.tsv.gz`` and ``cog.json`` as
    ``tools/extract_communes.py`` writes them; they are read the first time a commune or an
    EPCI is looked up, then kept. Without it, no commune list is known: a commune code exists
    when its département does, and EPCI come only from referentials. ``pathlib.Path`` objects
    work for both arguments.
    """
    data: dict[str, Any] = json.loads(geo.read_text(encoding="utf-8"))
    if communes is None:
        return from_geo(data)
    folder = communes

    @functools.cache
    def load(departements: tuple[str, ...]) -> CommuneTable:
        return read_commune_table(folder, departements)

    return from_geo(data, load)
