"""Synthetic bundles at any scale, seeded: for benchmarks, demos and tests.

:func:`generate` builds a JSON-ready bundle document (plain dicts, what
:func:`pmae.io.converter.unstructure` would write, defaults included) with actors, offers,
associations and needs whose distributions look like the French employer associations: mostly
1 to 9 employees, sectors weighted like the employer associations of France, départements
weighted by population, themes of the employer function. National scale (DESIGN §6) is
``generate(associations=150_000)``: 10,000 actors, 100,000 offers and about a million needs.

:func:`write` streams the same document to a file, record by record, atomically, so a national
bundle is never held in memory as both a document and its serialisation.

With ``invalid_fraction`` a deterministic share of the records is corrupted the way real data
goes wrong (a wrong type, an unknown field, a bad code, an impossible date);
:func:`corrupted_positions` says which, so a benchmark or a test can check the report.

Every collection draws from its own random generator, seeded from ``seed`` and its name, so the
output depends only on the arguments, not on the order records are consumed in.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, Literal

import orjson

from pmae.io.files import atomic_writer
from pmae.synth.corrupt import corrupt, pick_corrupted
from pmae.synth.plan import Plan
from pmae.synth.tables import (
    ACTORS_PER_ASSOCIATION,
    GENERATED,
    NEEDS_PER_ASSOCIATION,
    OFFERS_PER_ASSOCIATION,
)

__all__ = [
    "ACTORS_PER_ASSOCIATION",
    "NEEDS_PER_ASSOCIATION",
    "OFFERS_PER_ASSOCIATION",
    "corrupted_positions",
    "generate",
    "iter_json",
    "iter_json_lines",
    "planned_counts",
    "write",
]


def _plan(
    *,
    associations: int,
    seed: int = 1,
    needs_per_association: float = NEEDS_PER_ASSOCIATION,
    actors: int | None = None,
    offers: int | None = None,
    source: str = "synth",
    invalid_fraction: float = 0.0,
) -> tuple[Plan, float]:
    plan = Plan(associations=associations, seed=seed,
                needs_per_association=needs_per_association, actors=actors, offers=offers,
                source=source)
    pick_corrupted(plan.counts, seed, invalid_fraction)  # refuse a bad fraction before any output
    return plan, invalid_fraction


def _iter_collections(
    plan: Plan, fraction: float
) -> Iterator[tuple[str, Iterator[dict[str, Any]]]]:
    positions = pick_corrupted(plan.counts, plan.seed, fraction)

    def records(collection: str) -> Iterator[dict[str, Any]]:
        targets = positions[collection]
        if not targets:
            yield from plan.records(collection)
            return
        wanted = set(targets)
        turn = 0
        for index, record in enumerate(plan.records(collection)):
            if index in wanted:
                corrupt(collection, record, turn)
                turn += 1
            yield record

    for collection in GENERATED:
        yield collection, records(collection)


# -- public API -------------------------------------------------------------------------------


def generate(
    *,
    associations: int,
    seed: int = 1,
    needs_per_association: float = NEEDS_PER_ASSOCIATION,
    actors: int | None = None,
    offers: int | None = None,
    source: str = "synth",
    invalid_fraction: float = 0.0,
) -> dict[str, Any]:
    """A synthetic bundle document (JSON-ready plain data).

    :param associations: how many associations; the other counts follow it unless given.
    :param seed: the same seed gives the same document, byte for byte once serialised.
    :param needs_per_association: mean number of needs per association (about 6.7 by default:
        a million needs for 150,000 associations); needs pick their association at random.
    :param actors: how many actors (default: one for 15 associations, at least one).
    :param offers: how many offers (default: two for 3 associations).
    :param source: the network slug, prefix of every id.
    :param invalid_fraction: share of the records of each collection to corrupt (see
        :func:`corrupted_positions`).
    """
    plan, fraction = _plan(associations=associations, seed=seed,
                           needs_per_association=needs_per_association, actors=actors,
                           offers=offers, source=source, invalid_fraction=invalid_fraction)
    document = plan.envelope()
    for collection, records in _iter_collections(plan, fraction):
        document[collection] = list(records)
    return document


def corrupted_positions(
    *,
    associations: int,
    seed: int = 1,
    needs_per_association: float = NEEDS_PER_ASSOCIATION,
    actors: int | None = None,
    offers: int | None = None,
    source: str = "synth",
    invalid_fraction: float = 0.0,
) -> dict[str, list[int]]:
    """The index of every record :func:`generate` corrupts with these arguments, by collection."""
    plan, _ = _plan(associations=associations, seed=seed,
                    needs_per_association=needs_per_association, actors=actors, offers=offers,
                    source=source)
    return pick_corrupted(plan.counts, seed, invalid_fraction)


def planned_counts(**kwargs: Any) -> dict[str, int]:
    """How many records of each collection :func:`generate` makes with these keyword arguments."""
    plan, _ = _plan(**kwargs)
    return {collection: plan.counts[collection] for collection in GENERATED}


def iter_json_lines(**kwargs: Any) -> Iterator[bytes]:
    """The document of :func:`generate` (same keyword arguments) as JSON Lines, line by line.

    Line 1 is the envelope, then one ``{"<collection>": {record}}`` a line, the form
    :func:`pmae.io.files.read_document` reads.
    """
    plan, fraction = _plan(**kwargs)
    yield orjson.dumps(plan.envelope(), option=orjson.OPT_APPEND_NEWLINE)
    for collection, records in _iter_collections(plan, fraction):
        prefix = b'{"' + collection.encode() + b'":'
        for record in records:
            yield prefix + orjson.dumps(record) + b"}\n"


def iter_json(**kwargs: Any) -> Iterator[bytes]:
    """The document of :func:`generate` (same keyword arguments) as compact JSON, in pieces.

    One record a line inside each array, so the file stays readable with line tools; parsing it
    gives exactly :func:`generate`'s document.
    """
    plan, fraction = _plan(**kwargs)
    envelope = orjson.dumps(plan.envelope())
    yield envelope[:-1]
    for collection, records in _iter_collections(plan, fraction):
        separator = b',\n"' + collection.encode() + b'":[\n'
        for record in records:
            yield separator + orjson.dumps(record)
            separator = b",\n"
        yield (b'' if separator == b",\n" else separator) + b"]"
    yield b"}\n"


def write(
    path: str | os.PathLike[str], *, fmt: Literal["json", "jsonl"] = "json", **kwargs: Any
) -> dict[str, int]:
    """Write the document of :func:`generate` (same keyword arguments) to ``path`` atomically.

    Records are serialised as they are made, so memory stays small at any scale.

    :param fmt: ``"json"`` (one document) or ``"jsonl"`` (JSON Lines).
    :returns: how many records each collection got.
    """
    if fmt == "json":
        pieces = iter_json(**kwargs)
    elif fmt == "jsonl":
        pieces = iter_json_lines(**kwargs)
    else:
        raise ValueError(f"fmt must be 'json' or 'jsonl', not {fmt!r}")
    with atomic_writer(path) as handle:
        buffer: list[bytes] = []
        size = 0
        for piece in pieces:
            buffer.append(piece)
            size += len(piece)
            if size >= 1 << 20:  # write in 1 MiB chunks: fewer system calls
                handle.write(b"".join(buffer))
                buffer.clear()
                size = 0
        handle.write(b"".join(buffer))
    return planned_counts(**kwargs)

