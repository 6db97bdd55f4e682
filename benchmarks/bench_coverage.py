"""Coverage benchmark: the coverage grid of a national bundle against the naive nested loop.

Generates a synthetic national bundle with ``pmae.synth`` (150,000 associations: 10,000 actors,
100,000 offers, 1,000,000 needs), structures it into the model (the data is valid by
construction, so the schema-checked fast path is used), then times:

(a) ``coverage(bundle)``: the whole grid, 101 départements × 22 themes × 7 stages, medians of
    ``--repeat`` runs; the same at the région level;
(b) ``complementarity_of(grid)``: the actors' graph built from the grid's cells;
(c) the naive computation: for a random sample of cells, every offer × that cell with
    ``Territories.contains``, and every need × that cell; its time per cell, extrapolated to
    the whole grid. The sampled cells must agree with (a): offers, actors and needs.

    python benchmarks/bench_coverage.py                        # national scale
    python benchmarks/bench_coverage.py --associations 15000 --sample 10

With ``--store PATH`` (a store, such as the national one published from ``pmae generate``), it
times instead what ``pmae coverage --db`` does in process, in CPU seconds: the light rows of the
actors and offers, the needs counted by territory (540,000 rows nationally) and counted with
the territories (a département's communes together: schema version 8), and the grid from
each; the two grids must be the same.

    python benchmarks/bench_coverage.py --store nat.db

A script that prints figures, not a timed test.
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from pmae.analysis.complementarity import complementarity_of
from pmae.analysis.coverage import Coverage, CoverageCell, coverage, in_force
from pmae.io.converter import structure_schema_checked
from pmae.model import Bundle
from pmae.synth import generate
from pmae.territories import core_territories


def _timed(function: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall seconds of ``repeat`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def naive_cell(bundle: Bundle, grid: Coverage, territory: str, theme: str,
               stage: str) -> tuple[tuple[str, ...], tuple[str, ...], int]:
    """Offers, actors and needs of one cell, by looking at every offer and every need."""
    territories = core_territories()
    offers, actors, needs = set(), set(), 0
    for offer in bundle.offers:
        if (in_force(offer, grid.as_of) and theme in offer.themes and stage in offer.stages
                and any(territories.contains(t, territory) or territories.contains(territory, t)
                        for t in offer.territories)):
            offers.add(offer.id)
            actors.add(offer.actor)
    for need in bundle.needs:
        if (need.theme == theme and need.stage == stage and need.territory is not None
                and territories.contains(territory, need.territory)):
            needs += 1
    return tuple(sorted(offers)), tuple(sorted(actors)), needs


def _cpu(function: Callable[[], Any]) -> tuple[float, Any]:
    """CPU seconds (user and system) of one call, and its result."""
    start = time.process_time()
    result = function()
    return time.process_time() - start, result


def from_store(path: str) -> int:
    """Time coverage from the store at ``path`` as ``pmae coverage --db`` reads it."""
    from pmae.sessions import session
    from pmae.store import open_store

    territories = session().territories
    with open_store(path) as store:
        offers_time, light = _cpu(lambda: store.light_bundle(("actors", "offers")))
        counted_time, counted = _cpu(lambda: store.light_bundle(["need_counts"]).need_counts)
        grouped_time, grouped = _cpu(lambda: store.light_bundle(
            ["need_counts"], territories=territories).need_counts)
    grid_time, grid = _cpu(lambda: coverage(light, need_counts=grouped))
    slow_time, slow = _cpu(lambda: coverage(light, need_counts=counted))
    same = grid.to_json() == slow.to_json()
    print(f"pmae coverage from the store {path}: {len(light.actors)} actors, "
          f"{len(light.offers)} offers, {grid.counts['needs']} needs; "
          f"Python {platform.python_version()}")
    print(f"{'measurement (CPU)':<52} {'seconds':>10}")
    print(f"{'actors and offers, light rows':<52} {offers_time:>10.2f}")
    print(f"{'needs counted by territory':<52} {counted_time:>10.2f}   ({len(counted)} rows)")
    print(f"{'needs counted, a département' + chr(39) + 's communes together':<52} "
          f"{grouped_time:>10.2f}   ({len(grouped)} rows)")
    print(f"{'grid from the rows by territory':<52} {slow_time:>10.2f}")
    print(f"{'grid from the rows grouped':<52} {grid_time:>10.2f}")
    print(f"the two grids are the same: {same}")
    return 0 if same else 1


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--associations", type=int, default=150_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the fast computation")
    parser.add_argument("--sample", type=int, default=12, help="cells the naive loop measures")
    parser.add_argument("--store", help="time coverage from this store instead")
    args = parser.parse_args(argv)
    if args.store:
        return from_store(args.store)

    start = time.perf_counter()
    document = generate(associations=args.associations, seed=args.seed)
    bundle = structure_schema_checked(document, Bundle)
    del document
    built = time.perf_counter() - start
    print(f"pmae coverage benchmark: {len(bundle.actors)} actors, {len(bundle.offers)} offers, "
          f"{len(bundle.needs)} needs (synth seed {args.seed}, built in {built:.1f} s); "
          f"Python {platform.python_version()}")

    gc.collect()
    gc.freeze()  # the bundle is immutable: the cyclic GC would only walk it again and again
    fast, grid = _timed(lambda: coverage(bundle), args.repeat)
    fast_reg, grid_reg = _timed(lambda: coverage(bundle, level="reg"), args.repeat)
    graph_time, graph = _timed(lambda: complementarity_of(grid, bundle), 1)
    totals = grid.totals()
    print(f"grid: {len(grid.territories)} départements × {len(grid.themes)} themes × "
          f"{len(grid.stages)} stages = {totals['cells']} cells; {totals['links']} offer-cell "
          f"links; {totals['zones_blanches']} zones blanches "
          f"({totals['zones_blanches_with_needs']} with needs), {totals['redondant']} redundant; "
          f"{totals['offers_in_force']} offers in force, {totals['needs_in_cells']} needs placed")

    rng = random.Random(args.seed)
    sample: list[CoverageCell] = rng.sample(list(grid.cells.values()), args.sample)
    start = time.perf_counter()
    agree = all(naive_cell(bundle, grid, c.territory, c.theme, c.stage)
                == (c.offers, c.actors, c.needs) for c in sample)
    per_cell = (time.perf_counter() - start) / len(sample)
    naive = per_cell * len(grid.cells)

    print(f"{'measurement':<46} {'seconds':>10}")
    print(f"{'coverage(bundle), level dep (median)':<46} {fast:>10.2f}")
    print(f"{'coverage(bundle, level=reg) (median)':<46} {fast_reg:>10.2f}"
          f"   ({len(grid_reg.cells)} cells)")
    print(f"{'complementarity_of(grid)':<46} {graph_time:>10.2f}"
          f"   ({len(graph.actors)} actors, {len(graph.edges)} edges)")
    print(f"{f'naive loop, per cell ({len(sample)} cells measured)':<46} {per_cell:>10.3f}")
    print(f"{'naive loop, whole grid (extrapolated)':<46} {naive:>10.0f}"
          f"   ({naive / 3600:.1f} h; {naive / fast:,.0f}× the indexed computation)")
    print(f"sampled cells agree with the naive loop: {agree}")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
