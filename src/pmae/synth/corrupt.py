"""Deterministic corruption of synthetic records, the way real data goes wrong."""

from __future__ import annotations

import random
from typing import Any, Final

from pmae.synth.tables import GENERATED

#: Per collection, the ways a record goes wrong, used in turn. None of them touches an id or a
# reference, so exactly the corrupted records get issues (a record that fails the schema keeps
# its id known to the later layers).
CORRUPTIONS: Final[dict[str, tuple[tuple[str, str, Any], ...]]] = {
    # (kind, field, value): kind "set" replaces or adds a field.
    "actors": (("set", "territories", "dep:69"),        # wrong type: a string, not an array
               ("set", "commentaire", "à revoir"),      # unknown field
               ("set", "actor_type", "Réseau"),         # bad code
               ("set", "commune", "com:6912")),         # bad territory
    "offers": (("set", "themes", "recrutement"),         # wrong type
               ("set", "public", "tous"),               # unknown field
               ("set", "stages", ["diagnostic"]),       # bad code (closed vocabulary)
               ("set", "valid_from", "2024-02-30")),    # bad date
    "associations": (("set", "headcount", "3"),          # wrong type
                     ("set", "effectif", 3),            # unknown field
                     ("set", "size_band", "04"),        # bad code (closed vocabulary)
                     ("set", "founded", "2019-13-01")),  # bad date
    "needs": (("set", "priority", "2"),                   # wrong type
              ("set", "commentaire", "urgent"),          # unknown field
              ("set", "theme", "recrutment"),            # bad code (open vocabulary: layer 3)
              ("set", "date", "2023-02-30")),            # bad date
}


def pick_corrupted(counts: dict[str, int], seed: int, fraction: float) -> dict[str, list[int]]:
    """The positions of the records to corrupt, per collection (deterministic in ``seed``)."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"invalid_fraction must be within [0, 1], not {fraction}")
    positions: dict[str, list[int]] = {}
    for collection in GENERATED:
        total = counts[collection]
        chosen = round(total * fraction)
        rng = random.Random(f"pmae-synth:{seed}:{collection}:corrupt")
        positions[collection] = sorted(rng.sample(range(total), chosen)) if chosen else []
    return positions


def corrupt(collection: str, record: dict[str, Any], turn: int) -> None:
    """Corrupt ``record`` in place, the ``turn``-th way of its collection."""
    corruptions = CORRUPTIONS[collection]
    _, field, value = corruptions[turn % len(corruptions)]
    record[field] = value
