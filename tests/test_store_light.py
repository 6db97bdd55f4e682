"""The light rows (:mod:`pmae.store.light`) carry, attribute by attribute, the values of the
model's records: what coverage and the shared diagnosis read of them, on both backends."""

from __future__ import annotations

import copy
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from strategies import bundles

from pmae.model import Bundle
from pmae.sample import sample_bytes
from pmae.sessions import make_session
from pmae.store import open_store
from pmae.store.light import LIGHT_COLLECTIONS, LightActor, LightNeed, LightOffer

CORE = make_session(load=[])

ROWS: dict[str, type[LightActor] | type[LightOffer] | type[LightNeed]] = {
    "actors": LightActor, "offers": LightOffer, "needs": LightNeed}


def _projected(bundle: Bundle, collection: str) -> list[tuple[Any, ...]]:
    """The records of ``collection`` as the model has them, on the light row's attributes."""
    fields = ROWS[collection]._fields
    return [tuple(getattr(record, field) for field in fields)
            for record in getattr(bundle, collection)]


def _check(db: str) -> Bundle:
    """Every light row of the store at ``db`` against its record in the store's bundle."""
    with open_store(db, session=CORE) as store:
        whole = store.bundle()
        light = store.light_bundle()
    assert light.generated_at == whole.generated_at
    for collection in LIGHT_COLLECTIONS:
        rows = getattr(light, collection)
        assert all(type(row) is ROWS[collection] for row in rows)
        assert [tuple(row) for row in rows] == _projected(whole, collection), collection
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
