"""Shared test set-up: hypothesis profiles, and the small documents several suites start from.

``PMAE_HYPOTHESIS_PROFILE=ci`` runs every property on 500 examples (the CI setting);
the default profile runs 100, to keep a local run fast.
"""

from __future__ import annotations

import copy
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# The strategies live beside the tests and are imported as a plain module.
sys.path.insert(0, str(Path(__file__).resolve().parent))

settings.register_profile(
    "default",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("PMAE_HYPOTHESIS_PROFILE", "default"))

#: A small bundle document, valid through every layer, that the catalogue breaks one way at a time.
VALID_DOCUMENT: dict[str, Any] = {
    "format_version": "1.0.0",
    "source": {"slug": "lma-ra", "name": "Le Mouvement associatif Rhône-Alpes"},
    "generated_at": "2025-03-14T09:00:00+01:00",
    "licence": "etalab-2.0",
    "actors": [
        {"id": "lma-ra:lma", "name": "Le Mouvement associatif",
         "actor_type": "coordination_associative",
         "territories": ["reg:84"], "commune": "com:69123", "siret": "73282932000074"},
        {"id": "lma-ra:dla69", "name": "DLA du Rhône", "actor_type": "dla_departemental",
         "territories": ["dep:69"]},
    ],
    "offers": [
        {"id": "lma-ra:offre-1", "actor": "lma-ra:dla69", "title": "Premier emploi",
         "themes": ["recrutement"], "stages": ["conseil"], "territories": ["dep:69"],
         "valid_from": "2025-01-01", "valid_until": "2025-12-31"},
    ],
    "associations": [
        {"id": "lma-ra:asso-1", "name": "Les Amis du quartier", "siren": "732829320",
         "siret": "73282932000074", "headcount": 3, "size_band": "02", "commune": "com:69123"},
    ],
    "needs": [
        {"id": "lma-ra:besoin-1", "theme": "recrutement", "origin": "declare",
         "date": "2025-02-01", "association": "lma-ra:asso-1", "territory": "dep:69"},
    ],
    "referrals": [
        {"id": "lma-ra:orientation-1", "need": "lma-ra:besoin-1", "offer": "lma-ra:offre-1",
         "by": "lma-ra:lma", "date": "2025-02-10"},
    ],
    "meetings": [
        {"id": "lma-ra:cofil-1", "kind": "cofil", "title": "COFIL de mars",
         "start": "2025-03-14T09:00:00+01:00", "end": "2025-03-14T12:30:00+01:00",
         "organisers": ["lma-ra:lma"]},
    ],
}


def valid_document() -> dict[str, Any]:
    """A fresh deep copy of :data:`VALID_DOCUMENT`, free to break."""
    return copy.deepcopy(VALID_DOCUMENT)


@pytest.fixture
def document() -> dict[str, Any]:
    """A valid bundle document, to break."""
    return valid_document()
