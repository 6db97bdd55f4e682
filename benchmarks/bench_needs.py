"""Shared diagnosis benchmark: the protected tables of a national bundle, and a 5-dimension
``--by``, against the previous implementation's timings (the "naive" column).

(a) the default table (theme × département) of a national bundle (``pmae generate
    --associations 150000``: about 1,000,000 needs), beyond loading: the protection (keys and
    perturbed atoms) then the table; goal <= 5 s (the previous implementation: about 19 s);
(b) ``--by theme,dep,size_band,sector,year`` on 45,000 associations: goal < 10 s and < 1 GB
    (the previous implementation: 52 s and 1.6 GB);
(c) the naive computation beside them: the previous implementation, kept in git history, is
    not importable any more, so the script recomputes what it did first, the distinct
    associations of every cell and total with Python sets, on the same needs (secondary
    suppression came on top of that).

    python benchmarks/bench_needs.py                          # both, national scale
    python benchmarks/bench_needs.py --associations 15000     # smaller, for a quick look

A script that prints figures, not a timed test. Peak memory is the process's maximum resident
size (``resource.getrusage``), so run (a) and (b) in separate processes for (b)'s figure:
``--only dims``.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import resource
import sys
import time
from collections.abc import Sequence

from pmae.analysis.shared_diagnosis import aggregate, protect, shareable_needs
from pmae.analysis.shared_diagnosis.dimensions import AtomKeyer, contributor
from pmae.io.converter import structure_schema_checked
from pmae.model import Bundle, Need
from pmae.synth import generate
from pmae.territories import core_territories


def _needs(associations: int) -> list[Need]:
    start = time.perf_counter()
    bundle = structure_schema_checked(generate(associations=associations, seed=1), Bundle)
    needs = shareable_needs(bundle.needs)
    print(f"  loaded {len(needs):,} needs of {associations:,} associations "
          f"in {time.perf_counter() - start:.1f} s (not counted)")
    return needs


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def naive(needs: Sequence[Need], by: Sequence[int]) -> int:
    """Distinct contributors of every cell and total, with sets: what the previous
    implementation computed before its secondary suppression. Returns the number of keys."""
    keyer = AtomKeyer(core_territories())
    entries: dict[tuple[str, ...], set[str]] = {}
    for need in needs:
        atom = keyer.atom(need)
        key = tuple(atom[i] for i in by)
        who = contributor(need)
        for mask in itertools.product((False, True), repeat=len(by)):
            entries.setdefault(tuple("*" if m else v for m, v in zip(mask, key, strict=True)),
                               set()).add(who)
    return len(entries)


def run(label: str, needs: list[Need], by: str, naive_by: Sequence[int]) -> None:
    gc.collect()
    start = time.perf_counter()
    protection = protect(needs, core_territories())
    protected = time.perf_counter()
    diagnosis = aggregate(needs, by=by, protection=protection)
    done = time.perf_counter()
    print(f"{label}: --by {by}")
    print(f"  protection {protected - start:.2f} s + table {done - protected:.2f} s = "
          f"{done - start:.2f} s; {len(diagnosis.cells):,} cells, "
          f"{len(diagnosis.published()):,} published; peak {_peak_mb():,.0f} MB")
    start = time.perf_counter()
    keys = naive(needs, naive_by)
    print(f"  naive (sets of contributors, no secrecy): {time.perf_counter() - start:.2f} s "
          f"for {keys:,} keys")


def main(argv: Sequence[str] | None = None) -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--associations", type=int, default=150_000)
    parser.add_argument("--dims-associations", type=int, default=45_000)
    parser.add_argument("--only", choices=["national", "dims"], default=None)
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]}")
    if args.only in (None, "national"):
        run("(a) national", _needs(args.associations), "theme,dep", (0, 1))
    if args.only in (None, "dims"):
        run("(b) five dimensions", _needs(args.dims_associations),
            "theme,dep,size_band,sector,year", (0, 1, 2, 3, 4))


if __name__ == "__main__":
    main()
