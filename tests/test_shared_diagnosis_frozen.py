"""The shared diagnosis gives, for the same needs and the same secret, the very figures it gave
when ``tests/data/shared_diagnosis_frozen.json`` was written: a faster computation must not
move one published value, one hidden cell or one true tally (a reader comparing two releases
would otherwise see a change that is not in the needs).

Each case is a digest of every published cell and total, every true cell and total with its
status, and the trends where asked; the cases are the sample's tables, a generated bundle's
(five dimensions included) and 40 small random bundles with random ``--by``.

Regenerate (only when a change of the figures is intended, and say so in the commit):
``python tests/test_shared_diagnosis_frozen.py``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from functools import cache
from pathlib import Path
from typing import Any

import attrs
import pytest
from secrecy_attacker import every_by

from pmae.analysis.shared_diagnosis import (
    SecrecyRules,
    SharedDiagnosis,
    aggregate,
    protect,
    shareable_needs,
    trends,
)
from pmae.io.converter import structure_schema_checked
from pmae.model import Bundle, Need
from pmae.sample import load_sample
from pmae.synth import generate
from pmae.territories import core_territories

FROZEN = Path(__file__).parent / "data" / "shared_diagnosis_frozen.json"


def digest(diagnosis: SharedDiagnosis, *, with_trends: bool = False) -> str:
    """A digest of everything the diagnosis publishes and holds."""
    def cells(rows: Any) -> list[Any]:
        return [[list(key), attrs.asdict(cell)] for key, cell in rows.items()]

    data: dict[str, Any] = {
        "json": diagnosis.to_json(), "cells": cells(diagnosis.cells),
        "margins": cells(diagnosis.margins),
        "source": [diagnosis.source_needs, diagnosis.source_associations],
    }
    if with_trends:
        data["trends"] = [attrs.asdict(t) for t in trends(diagnosis)]
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@cache
def _sample() -> tuple[Need, ...]:
    return tuple(shareable_needs(load_sample().needs))


@cache
def _generated() -> tuple[Need, ...]:
    bundle = structure_schema_checked(generate(associations=300, seed=5), Bundle)
    return tuple(shareable_needs(bundle.needs))


def _random_needs(rng: random.Random) -> list[Need]:
    territories = rng.sample(("dep:01", "dep:07", "dep:69", "dep:75", "reg:84", "com:69123",
                              None), rng.randint(1, 4))
    return [Need(id=f"t:besoin-{i}", origin="declare",
                 theme=rng.choice(("recrutement", "qvct", "gepp")),
                 date=dt.date(rng.choice((2023, 2024, 2025)), rng.randint(1, 12), 1),
                 association=rng.choice(("a1", "a2", "a3", "a4", "a5", "a6", "a7", None)),
                 territory=rng.choice(territories),
                 intensity=rng.choice((None, 1.0, 2.0, 2.5, 40.0)),
                 size_band=rng.choice((None, "01", "02")),
                 sector=rng.choice((None, "9499Z", "sport")))
            for i in range(rng.randint(0, 60))]


def cases() -> dict[str, str]:
    """Every frozen case: name -> digest."""
    found: dict[str, str] = {}
    sample = list(_sample())
    for secret in ("", "clé de la démarche"):
        protection = protect(sample, core_territories(), secret=secret)
        for by in ("theme,dep", "theme,dep,year", "theme,reg", "reg", "dep,size_band",
                   "theme,dep,size_band,sector,year"):
            found[f"sample {by} secret={secret!r}"] = digest(
                aggregate(sample, by=by, protection=protection),
                with_trends="year" in by)
    found["sample theme,dep exact"] = digest(aggregate(
        sample, by="theme,dep", rules=SecrecyRules(secondary=False), secret=""))
    found["sample theme,dep no rollup"] = digest(aggregate(
        sample, by="theme,dep", rules=SecrecyRules(rollup=False), secret=""))
    generated = list(_generated())
    protection = protect(generated, core_territories(), secret="")
    for by in ("theme,dep", "theme,dep,year", "theme,reg", "reg,sector", "year",
               "theme,dep,size_band,sector,year", "size_band,sector"):
        found[f"generated {by}"] = digest(aggregate(generated, by=by, protection=protection),
                                          with_trends="year" in by)
    rng = random.Random(20261204)
    choices = every_by()
    for i in range(40):
        needs = _random_needs(rng)
        by = rng.choice(choices)
        found[f"random {i} {by}"] = digest(aggregate(needs, by=by, secret=""),
                                           with_trends="year" in by)
    return found


def test_the_figures_are_those_frozen() -> None:
    if not FROZEN.exists():
        pytest.fail(f"{FROZEN} is missing: run python {__file__}")
    frozen = json.loads(FROZEN.read_text(encoding="utf-8"))
    found = cases()
    assert found.keys() == frozen.keys()
    moved = [name for name in found if found[name] != frozen[name]]
    assert not moved, f"figures moved in {len(moved)} cases: {moved[:10]}"


if __name__ == "__main__":
    FROZEN.write_text(json.dumps(cases(), indent=1, ensure_ascii=False) + "\n",
                      encoding="utf-8")
    print(f"wrote {FROZEN}")
