"""Properties of the store: publishing bundles then dumping is ``pmae merge``, for any audience."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strategies import bundles

from pmae.io.audience import filter_bundle
from pmae.io.bundles import merge_bundles
from pmae.model import Bundle, Source
from pmae.sessions import make_session
from pmae.store import MergeConflictError, open_store

CORE = make_session(load=[])
SOURCE = Source(slug="fusion", name="Fusion")
NOW = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)

#: Every kind of audience, a recipient among the networks the bundles are drawn from or not.
audiences = st.sampled_from(["all", "network", "public"]) | st.builds(
    "recipient:{}".format, st.sampled_from(["autre", "reseau-1"]))


#: Where a new store goes, for a ``with`` block (conftest's ``new_store_at``: each backend).
NewStore = Callable[[], AbstractContextManager[str]]


def _dump(new_store_at: NewStore, bundles_: list[Bundle], audience: str, *,
          together: bool) -> Bundle:
    licence = bundles_[0].licence
    with new_store_at() as db, open_store(db, create=True, session=CORE) as store:
        if together:
            store.publish(*bundles_)
        else:
            for bundle in bundles_:
                store.publish(bundle)
        return store.dump(audience=audience, source=SOURCE, generated_at=NOW, licence=licence)


@settings(max_examples=25)
@given(a=bundles(), b=bundles(), audience=audiences)
def test_publishing_one_after_the_other_then_dumping_is_merging(
        new_store_at: NewStore, a: Bundle, b: Bundle, audience: str) -> None:
    """Bundles of different networks published one after the other: the dump is the merge."""
    assume(a.source.slug != b.source.slug)
    merged = merge_bundles([a, b], source=SOURCE, generated_at=NOW)
    assert not merged.conflicts
    assert _dump(new_store_at, [a, b], audience, together=False) == filter_bundle(
        merged.bundle, audience)


@settings(max_examples=25)
@given(a=bundles(), b=bundles(), audience=audiences)
def test_publishing_together_then_dumping_is_merging(new_store_at: NewStore, a: Bundle,
                                                     b: Bundle, audience: str) -> None:
    """Bundles published together (of the same network or not): the dump is the merge, and
    a conflict the merge finds writes nothing."""
    merged = merge_bundles([a, b], source=SOURCE, generated_at=NOW)
    if merged.conflicts:
        with pytest.raises(MergeConflictError):
            _dump(new_store_at, [a, b], audience, together=True)
        return
    assert _dump(new_store_at, [a, b], audience, together=True) == filter_bundle(
        merged.bundle, audience)


@settings(max_examples=15)
@given(a=bundles(), b=bundles())
def test_a_republication_replaces_its_sources_records_only(new_store_at: NewStore, a: Bundle,
                                                          b: Bundle) -> None:
    """Publishing a, b, then b again as a new version: a's records are what a published."""
    assume(a.source.slug != b.source.slug)
    emptied = b.with_collections({name: () for name in b.counts()})
    with new_store_at() as db, open_store(db, create=True, session=CORE) as store:
        store.publish(a)
        store.publish(b)
        result = store.publish(emptied)
        assert result.total.withdrawn == sum(b.counts().values())
        dumped = store.dump(source=SOURCE, generated_at=NOW, licence=a.licence)
    for collection in a.counts():
        assert getattr(dumped, collection) == getattr(a, collection)


def test_generated_networks_published_then_dumped_are_their_merge(tmp_path: Path,
                                                                 store_at: str) -> None:
    """Two networks of the generator, published in turn, dump as ``pmae merge`` of their
    files (file names in the provenance included), whole and for the public."""
    from pmae import synth

    files = []
    for slug, seed in (("reseau-a", 1), ("reseau-b", 2)):
        files.append(tmp_path / f"{slug}.jsonl")
        synth.write(files[-1], fmt="jsonl", associations=40, seed=seed, source=slug)
    bundles_ = [CORE.load_bundle(path) for path in files]
    merged = merge_bundles(bundles_, files=[str(p) for p in files], source=SOURCE,
                           generated_at=NOW).bundle
    with open_store(store_at, create=True, session=CORE) as store:
        for path in files:
            store.publish(str(path))
        for audience in ("all", "public"):
            assert store.dump(audience=audience, source=SOURCE, generated_at=NOW) == \
                filter_bundle(merged, audience)
