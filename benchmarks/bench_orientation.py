"""Orientation benchmark: orient every association of a national bundle, index against naive.

Generates a synthetic bundle with pmae.synth (national scale by default: 150,000 associations,
100,000 offers; needs left out, orientation does not read them), structures it, then times:

- **index**: ``OfferIndex.build`` (offers filed by territory code and theme);
- **orient all**: ``orient(index, association)`` for every association (limit 5, 2 per actor);
- **naive**: for a sample of ``--sample`` associations, every offer checked with
  ``Territories.contains`` and eligibility, then scored and sorted — the nested loop an index
  avoids — extrapolated to every association. Its top 5 are checked to be the index's.

Also prints the peak memory (``ru_maxrss``) of the run.

    python benchmarks/bench_orientation.py                       # national scale
    python benchmarks/bench_orientation.py --associations 15000 --sample 200

A script that prints figures, not a timed test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import resource
import sys
import time

from pmae.analysis.offer_index import (
    ACTOR_WEIGHT,
    FREE_WEIGHT,
    NEARNESS_WEIGHT,
    STAGE_WEIGHT,
    OfferIndex,
    nearness,
)
from pmae.analysis.orientation import orient
from pmae.io.converter import structure_schema_checked
from pmae.model import Association, Bundle, Offer
from pmae.synth import generate
from pmae.territories import core_territories

TODAY = dt.date(2025, 9, 1)


def naive(index: OfferIndex, association: Association, limit: int = 5,
          per_actor: int = 2) -> list[str]:
    """The same ranking by a nested loop: every offer, ``contains`` for each of its territories."""
    territories = index.territories
    former = frozenset(territories.regions(include_former=True)) - frozenset(
        territories.regions())
    query = index.query_for(association)
    preferred, _ = query.preferred_stages()
    stages = index.vocabularies["stages"]
    adjacent = {stages.codes()[r] for s in preferred for r in (stages.rank(s) - 1,
                                                               stages.rank(s) + 1)
                if 0 <= r < len(stages.codes())} - set(preferred)
    scored: list[tuple[float, str, Offer]] = []
    commune = association.commune
    assert commune is not None
    for offer in index.offers:
        covering = [code for code in offer.territories if territories.contains(code, commune)]
        if not covering:
            continue
        if offer.size_bands and query.size_band not in offer.size_bands:
            continue
        if offer.sectors and query.sector not in offer.sectors:
            continue
        fit = 2 if set(offer.stages) & set(preferred) else 1 if set(offer.stages) & adjacent \
            else 0
        near = max(nearness(code, former)[1] for code in covering)
        actor = index.actors[offer.actor].actor_type in query.preferred_actor_types()
        score = (fit * STAGE_WEIGHT + actor * ACTOR_WEIGHT + near * NEARNESS_WEIGHT
                 + (offer.cost == "gratuit") * FREE_WEIGHT)
        scored.append((-score, offer.id, offer))
    scored.sort(key=lambda item: item[:2])
    chosen: list[str] = []
    counts: dict[str, int] = {}
    for _, _, offer in scored:
        if counts.get(offer.actor, 0) < per_actor:
            counts[offer.actor] = counts.get(offer.actor, 0) + 1
            chosen.append(offer.id)
            if len(chosen) == limit:
                break
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--associations", type=int, default=150_000)
    parser.add_argument("--sample", type=int, default=300,
                        help="associations oriented by the naive loop (then extrapolated)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    started = time.perf_counter()
    document = generate(associations=args.associations, seed=args.seed,
                        needs_per_association=0)
    # synth writes schema-valid data: the fast structuring path is what a load uses
    bundle = structure_schema_checked(document, Bundle)
    del document
    gc.collect()
    prepared = time.perf_counter() - started
    print(f"pmae orientation benchmark: {len(bundle.associations)} associations, "
          f"{len(bundle.offers)} offers, {len(bundle.actors)} actors; Python "
          f"{sys.version.split()[0]}, {os.cpu_count()} CPUs; bundle generated and structured "
          f"in {prepared:.1f} s")
    core_territories()  # loaded once, outside every measurement

    gc.disable()  # the runs allocate many small objects and free none: the GC only costs here
    t0 = time.perf_counter()
    index = OfferIndex.build(bundle, today=TODAY)
    t1 = time.perf_counter()
    results = [orient(index, association) for association in bundle.associations]
    t2 = time.perf_counter()
    gc.enable()
    build, orient_all = t1 - t0, t2 - t1
    total = build + orient_all
    proposed = sum(len(r) for r in results)
    print(f"index build                 {build:8.2f} s   ({len(index.offers)} offers valid on "
          f"{TODAY})")
    print(f"orient every association    {orient_all:8.2f} s   "
          f"({orient_all / len(results) * 1e6:.0f} µs each, {proposed} suggestions)")
    print(f"index: build + orient all   {total:8.2f} s   goal ≤ 10 s: "
          f"{'met' if total <= 10 else 'NOT met'}")

    sample = bundle.associations[:: max(1, len(bundle.associations) // args.sample)][
        : args.sample]
    t3 = time.perf_counter()
    naive_results = [naive(index, association) for association in sample]
    t4 = time.perf_counter()
    per_association = (t4 - t3) / len(sample)
    extrapolated = per_association * len(bundle.associations)
    by_id = {a.id: r for a, r in zip(bundle.associations, results, strict=True)}
    same = all([s.offer.id for s in by_id[a.id]] == n
               for a, n in zip(sample, naive_results, strict=True))
    print(f"naive nested loop           {t4 - t3:8.2f} s   on {len(sample)} associations "
          f"({per_association * 1e3:.1f} ms each), extrapolated to all: {extrapolated:.0f} s")
    print(f"speed-up of the index       {extrapolated / total:8.0f} ×   "
          f"same top 5 as the naive loop on the sample: {same}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (ru_maxrss)     {peak:8.0f} MiB (whole run, bundle included)")


if __name__ == "__main__":
    main()
