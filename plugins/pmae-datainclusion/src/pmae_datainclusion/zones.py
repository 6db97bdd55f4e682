"""``zone_eligibilite`` back to pmae territories: INSEE codes get their level again, and the
départements of a whole région become the région (the export's rule, reversed)."""

from __future__ import annotations

import re

from pmae.territories import Territories

_LEVELS = (
    (re.compile(r"^(?:[0-9]{2}|2[AB]|97[0-9])$"), "dep"),
    (re.compile(r"^(?:[0-9]{5}|2[AB][0-9]{3})$"), "com"),
    (re.compile(r"^[0-9]{9}$"), "epci"),
)


def territories_from_zone(zone: list[str],
                          territories: Territories) -> tuple[list[str], list[str]]:
    """The pmae territory codes of a ``zone_eligibilite``, and the codes that are none.

    ``france`` is ``fr``; a département, commune or EPCI gets its level (``69`` -> ``dep:69``)
    and must exist in ``territories``. The export writes a région as its départements, in the
    COG's order: such a run becomes the région again (current régions first, then former ones).
    Départements in another order stay départements, so that exporting again gives the same
    list, in the same order.
    """
    if "france" in zone:
        return ["fr"], [code for code in zone if code != "france"]
    found: list[str] = []
    unknown: list[str] = []
    for code in zone:
        level = next((name for pattern, name in _LEVELS if pattern.match(code)), None)
        territory = f"{level}:{code}" if level else None
        if territory is not None and territories.exists(territory):
            found.append(territory)
        else:
            unknown.append(code)
    for region in territories.regions(include_former=True):
        run = list(territories.departements(region))
        for start in range(len(found) - len(run) + 1):
            if run and found[start:start + len(run)] == run:
                found[start:start + len(run)] = [region]
                break
    return found, unknown
