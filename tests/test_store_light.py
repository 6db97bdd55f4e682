"""The light rows (:mod:`pmae.store.light`) carry, attribute by attribute, the values of the
model's records: what coverage and the shared diagnosis read of them, on both backends."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from strategies import bundles

from pmae.cli import cli
from pmae.model import Bundle
from pmae.sample import sample_bytes
from pmae.sessions import make_session
from pmae.store import open_store
from pmae.store.light import LIGHT_COLLECTIONS, LightActor, LightNeed, LightOffer, NeedCount

CORE = make_session(load=[])

ROWS: dict[str, type[LightActor] | type[LightOffer] | type[LightNeed]] = {
    "actors": LightActor, "offers": LightOffer, "needs": LightNeed}


def _projected(bundle: Bundle, collection: str) -> list[tuple[Any, ...]]:
    """The records of ``collection`` as the model has them, on the light row's attributes."""
    fields = ROWS[collection]._fields
    return [tuple(getattr(record, field) for field in fields)
            for record in getattr(bundle, collection)]


def _check(db: str) -> Bundle:
    """Every light row of the store at ``db`` against its record in the store's bundle, and
    the needs counted against the bundle's needs counted one by one."""
    with open_store(db, session=CORE) as store:
        whole = store.bundle()
        light = store.light_bundle()
        counted = store.light_bundle(["need_counts"])
    assert light.generated_at == whole.generated_at == counted.generated_at
    for collection in LIGHT_COLLECTIONS:
        rows = getattr(light, collection)
        assert all(type(row) is ROWS[collection] for row in rows)
        assert [tuple(row) for row in rows] == _projected(whole, collection), collection
    assert light.need_counts is None and not counted.needs
    assert counted.need_counts is not None
    assert all(type(row) is NeedCount for row in counted.need_counts)
    groups = [row[:3] for row in counted.need_counts]
    assert len(set(groups)) == len(groups)  # each (territory, theme, stage) once
    assert {row[:3]: row.needs for row in counted.need_counts} == Counter(
        (n.territory, n.theme, n.stage) for n in whole.needs)
    return whole


def _varied() -> dict[str, Any]:
    """The sample, with what a light read could lose: a need without visibility (the model's
    default is not the column's), intensities, a need without territory, stage or size band,
    an offer's territories out of code order, an expired offer and one not started."""
    document = orjson.loads(sample_bytes())
    needs = document["needs"]
    needs[0].pop("visibility", None)
    needs[1]["visibility"] = "private"
    needs[2]["intensity"] = 2.5
    needs[3]["intensity"] = 3
    for field in ("territory", "stage", "size_band", "sector"):
        needs[4].pop(field, None)
    offer = document["offers"][0]
    offer["territories"] = ["dep:74", "reg:84", "dep:01"]
    offer["stages"] = list(reversed(offer["stages"]))
    document["offers"][1] |= {"valid_from": "2020-01-01", "valid_until": "2020-12-31"}
    document["offers"][2] |= {"valid_from": "2099-01-01"}
    document["offers"][2].pop("valid_until", None)
    return document


def test_light_rows_are_the_records_attributes(store_at: str, tmp_path: Path) -> None:
    path = tmp_path / "varied.json"
    document = _varied()
    path.write_bytes(orjson.dumps(document))
    with open_store(store_at, create=True, session=CORE) as store:
        store.publish(path)
    whole = _check(store_at)
    # The variations reached the store (else the test would prove nothing).
    needs = {need.id: need for need in whole.needs}
    first = document["needs"][0]["id"]
    assert "visibility" not in document["needs"][0] and needs[first].visibility == "restricted"
    assert {n.intensity for n in whole.needs} >= {2.5, 3}
    assert any(o.valid_until and o.valid_until.year == 2020 for o in whole.offers)


def _counting(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with what counting needs by (territory, theme, stage) could get wrong:
    several needs in one group, needs of one commune in several groups, a need outside the
    grid (Paris), one wider than a département (a région), one without stage, one without
    territory, restricted, private and public ones."""
    needs = document["needs"]
    base = needs[5]
    extra = [base | {"id": f"{base['id']}-bis{i}"} for i in range(3)]
    extra += [base | {"id": f"{base['id']}-paris{i}", "territory": "com:75056"}
              for i in range(2)]
    extra.append(base | {"id": f"{base['id']}-region", "territory": "reg:84"})
    extra.append(base | {"id": f"{base['id']}-open", "visibility": "public"})
    unstaged = {k: v for k, v in base.items() if k != "stage"}
    extra += [unstaged | {"id": f"{base['id']}-unstaged{i}"} for i in range(2)]
    nowhere = {k: v for k, v in base.items() if k != "territory"}
    extra.append(nowhere | {"id": f"{base['id']}-nowhere", "visibility": "private"})
    needs.extend(extra)
    return document


#: Coverage's options whose JSON output is compared, from the store and from the file:
#: grids of départements and régions, other themes and stages left out, another date.
COVERAGE_OPTIONS = [
    [], ["--level", "reg"], ["--region", "fr"], ["--region", "dep:69"],
    ["--theme", "gepp", "--theme", "contrat_travail", "--stage", "appui"],
    ["--date", "2020-06-01", "--level", "reg", "--redundant-at", "1"],
]


def test_coverage_from_counted_needs_is_coverage_from_the_needs(
        store_at: str, tmp_path: Path) -> None:
    """``pmae coverage --db`` reads the needs counted by the store, and answers byte for byte
    what counting the bundle's needs one by one answers."""
    path = tmp_path / "counting.json"
    document = _counting(_varied())
    path.write_bytes(orjson.dumps(document))
    with open_store(store_at, create=True, session=CORE) as store:
        store.publish(path)
    whole = _check(store_at)
    # The variations reached the store (else the test would prove nothing).
    assert {None, "com:75056", "reg:84"} <= {n.territory for n in whole.needs}
    assert None in {n.stage for n in whole.needs}
    assert {n.visibility for n in whole.needs} >= {"restricted", "private", "public"}
    for options in COVERAGE_OPTIONS:
        outputs = [CliRunner().invoke(cli, ["coverage", "--format", "json", *options, *where],
                                      obj=CORE, prog_name="pmae")
                   for where in (["--db", store_at], [str(path)])]
        assert outputs[0].exit_code == 0, outputs[0].output
        assert outputs[0].stdout == outputs[1].stdout, options
        totals = orjson.loads(outputs[0].stdout)["totals"]
        assert totals["needs"] == len(document["needs"])
        if not options:
            assert totals["needs_outside"] >= 4 and totals["needs_without_stage"] >= 2
        if "--theme" in options:
            assert totals["needs_other_theme"] and totals["needs_other_stage"]


def test_an_unknown_collection_has_no_light_rows(store_at: str, tmp_path: Path) -> None:
    path = tmp_path / "sample.json"
    path.write_bytes(sample_bytes())
    with open_store(store_at, create=True, session=CORE) as store:
        store.publish(path)
        with pytest.raises(ValueError, match="no light rows for meetings"):
            store.light_bundle(["needs", "meetings"])
        only = store.light_bundle(["needs"])
    assert only.needs and not only.offers and not only.actors


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bundle=bundles(max_records=3))
def test_light_rows_of_random_bundles(
        new_store_at: Callable[[], AbstractContextManager[str]], bundle: Bundle) -> None:
    with new_store_at() as db:
        with open_store(db, create=True, session=CORE) as store:
            store.publish(copy.deepcopy(bundle))
        _check(db)
