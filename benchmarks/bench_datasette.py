"""Datasette on a generated store: how long its facets and search take, and at national scale.

    python benchmarks/bench_datasette.py                      # 5,000 associations
    python benchmarks/bench_datasette.py --associations 20000 --out /tmp/pmae-ds --reuse

Generates a bundle with ``pmae generate``, publishes it into a store, then asks Datasette 0.65
(in process, immutable, with ``pmae db metadata``'s metadata) for each page below, several
times. It prints, per page, the median wall time of the whole request (with ``pmae serve``'s
settings) and the best and median time of its facets' SQL, summed over the page's facets
(Datasette's ``facet_time_limit_ms`` is 200 ms a facet: over it, the facet is dropped as "timed
out"), and the national estimate: a facet scans a covering index, so its time grows with the
rows; the estimate scales the measured time by 150,000 divided by
the associations generated.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NATIONAL = 150_000

#: (label, table, facet columns, query string) of the pages measured.
PAGES = (
    ("offers × themes, facet code", "offers_themes", ("code",), "_facet=code"),
    ("offers × stages, facet code", "offers_stages", ("code",), "_facet=code"),
    ("offers × départements, facet code", "offers_departements", ("code",), "_facet=code"),
    ("needs, facets theme, stage, status…", "needs",
     ("theme", "origin", "stage", "size_band", "sector", "status"), ""),
    ("needs × départements, facet code", "needs_departements", ("code",), "_facet=code"),
    ("associations × départements, facet code", "associations_departements", ("code",),
     "_facet=code"),
    ("offers, full-text search", "offers", (), "_search=emploi"),
    ("offers, page with actors' names", "offers", (), "_labels=on"),
    ("needs, page with associations' names", "needs",
     ("theme", "origin", "stage", "size_band", "sector", "status"), "_labels=on"),
)

#: The SQL Datasette 0.65 runs for a column facet (datasette/facets.py), under its time limit.
FACET_SQL = ("select {column} as value, count(*) as count from (select * from {table}) "
             "where {column} is not null group by {column} order by count desc, value limit 31")


def _run(*argv: str) -> None:
    subprocess.run([sys.executable, "-m", "pmae.cli", *argv], check=True,
                   stdout=subprocess.DEVNULL)


async def _measure(db: Path, repeat: int) -> list[tuple[str, float, float, int, list[str]]]:
    from datasette.app import Datasette

    import pmae
    from pmae.store.datasette import SETTINGS, metadata

    session = pmae.make_session(load=[])
    ds = Datasette([], immutables=[str(db)], settings=SETTINGS,
                   metadata=metadata(db.stem, vocabularies=session.vocabularies))
    await ds.invoke_startup()
    database = ds.get_database(db.stem)
    results = []
    for label, table, columns, query in PAGES:
        walls, facets = [], []
        rows, timed_out = 0, []
        for _ in range(repeat):
            started = time.perf_counter()
            response = await ds.client.get(f"/{db.stem}/{table}.json?_size=20&{query}")
            walls.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"{table}: HTTP {response.status_code}: {response.text[:300]}")
            data = response.json()
            rows = data.get("filtered_table_rows_count") or 0
            timed_out = list(data.get("facets_timed_out", []))
            started = time.perf_counter()
            for column in columns:
                await database.execute(FACET_SQL.format(column=column, table=table))
            facets.append(time.perf_counter() - started)
        results.append((label, statistics.median(walls) * 1000, min(facets) * 1000,
                        statistics.median(facets) * 1000, rows, timed_out))
    return results


def main() -> None:
    """Parse the arguments, build the store, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--associations", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None, help="keep the files here")
    parser.add_argument("--reuse", action="store_true", help="reuse the store in --out")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = options.out or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        db = folder / f"g{options.associations}.db"
        if not (options.reuse and db.exists()):
            db.unlink(missing_ok=True)
            bundle = folder / f"g{options.associations}.jsonl"
            _run("generate", "--associations", str(options.associations), "-o", str(bundle))
            _run("publish", str(bundle), "--db", str(db))
        scale = NATIONAL / options.associations
        print(f"{options.associations} associations ({db.stat().st_size / 2**20:.1f} MiB), "
              f"median of {options.repeat}; national estimate ×{scale:.0f}")
        print(f"{'page':40} {'rows':>7} {'request':>8} {'facets best/median':>19} "
              f"{'national best/median':>21}  (ms)")
        for label, wall, best, median, rows, timed_out in asyncio.run(
                _measure(db, options.repeat)):
            note = f"  timed out: {', '.join(timed_out)}" if timed_out else ""
            print(f"{label:40} {rows:7} {wall:8.1f} {best:9.1f} /{median:8.1f} "
                  f"{best * scale:10.0f} /{median * scale:9.0f}{note}")


if __name__ == "__main__":
    main()
