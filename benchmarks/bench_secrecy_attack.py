"""The shared diagnosis against the attacker of the test suite: published and hidden cells, and
the narrowest interval a linear-programming solver (HiGHS through scipy) obtains.

For the sample and a generated bundle (``pmae generate --associations 3000 --seed 1``), the
reader publishes the default table (theme × département, the report's), and the tables a reader
would combine with it: by région, by year, and their margins. The attacker
(``tests/secrecy_attacker.py``) writes every published needs value as a sum of unknown finest
cells, each within ``MAX_NOISE`` of its perturbed value, and bounds every hidden cell of the
default table, of the table by région and of the table by département and year (``--sample``
draws that many hidden cells at random to bound the time; 0 attacks all).

    python benchmarks/bench_secrecy_attack.py                    # the sample and 3,000
    python benchmarks/bench_secrecy_attack.py --associations 300 --sample 50

Needs scipy (the ``test`` extra). A script that prints figures, not a timed test.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from secrecy_attacker import attack

from pmae.analysis.shared_diagnosis import (
    MAX_NOISE,
    SecrecyRules,
    aggregate,
    protect,
    shareable_needs,
)
from pmae.io.converter import structure_schema_checked
from pmae.model import Bundle, Need
from pmae.sample import load_sample
from pmae.synth import generate
from pmae.territories import core_territories

#: The tables published: the default one first, then those a reader combines with it.
TABLES = ("theme,dep", "theme,reg", "theme,dep,year", "theme,year", "dep,year", "theme", "dep",
          "year")
#: The tables whose hidden cells are attacked.
TARGETS = ("theme,dep", "theme,reg", "theme,dep,year")


def figures(label: str, needs: Sequence[Need], sample: int | None) -> None:
    """Print the published and hidden cells of each table, then the attack's result."""
    protection = protect(needs, core_territories())
    tables = {by: aggregate(needs, by=by, protection=protection) for by in TABLES}
    print(f"{label}: {len(needs):,} needs")
    for by, table in tables.items():
        counts = table.status_counts()
        margins = len(table.shown_margins), len(table.margins) - len(table.shown_margins)
        print(f"  --by {by:<16} cells: {counts['publie']:>5,} published, "
              f"{counts['secret']:>5,} hidden; totals: {margins[0]:>4,} published, "
              f"{margins[1]:>4,} hidden", flush=True)
    threshold = SecrecyRules().min_contributors
    # Table by table, so that a long run prints the default table's figures first.
    for target in TARGETS:
        start = time.perf_counter()
        found = attack(needs, tables.__getitem__, TABLES, noise=MAX_NOISE, targets=[target],
                       sample=sample)
        narrowest = min(found, key=lambda h: h.width, default=None)
        print(f"  attacked {len(found):,} hidden cells and totals of --by {target} from every "
              f"published value of the {len(TABLES)} tables "
              f"({time.perf_counter() - start:.0f} s): recomputed exactly "
              f"{sum(h.exact for h in found)}, bounded below {threshold} "
              f"{sum(h.high < threshold for h in found)}, narrower than {MAX_NOISE} "
              f"{sum(h.width < MAX_NOISE for h in found)}", flush=True)
        if narrowest is not None:
            print(f"    narrowest interval: {narrowest.width} ({narrowest.low} to "
                  f"{narrowest.high}, true {narrowest.true}) for {', '.join(narrowest.key)}",
                  flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--associations", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sample", type=int, default=0,
                        help="attack this many hidden cells of each table, drawn at random "
                             "(0: all)")
    parser.add_argument("--only", choices=["sample", "generated"], default=None)
    args = parser.parse_args(argv)
    sample = args.sample or None
    if args.only in (None, "sample"):
        figures("the sample", shareable_needs(load_sample().needs), sample)
    if args.only in (None, "generated"):
        bundle = structure_schema_checked(
            generate(associations=args.associations, seed=args.seed), Bundle)
        figures(f"generated, {args.associations:,} associations, seed {args.seed}",
                shareable_needs(bundle.needs), sample)


if __name__ == "__main__":
    main()
