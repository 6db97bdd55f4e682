"""The store against the bundle file: publication, memory, and the questions of every day.

    python benchmarks/bench_store.py                            # national: 150,000 associations
    python benchmarks/bench_store.py --associations 5000        # a quick run
    python benchmarks/bench_store.py --out /tmp/pmae-bench --reuse
    python benchmarks/bench_store.py --bundle nat.jsonl --out /tmp/pmae-bench
    python benchmarks/bench_store.py --db sqlite:///tmp/a.db --db postgresql://…   # backends
    python benchmarks/bench_store.py --bundle nat.jsonl --publish-only   # validate, publish

Generates a JSON Lines bundle (``pmae generate --associations N --seed 1``), then, in the same
run, times each question two ways, each beside the other: from the file (``pmae <command>
BUNDLE``: the bundle read and validated whole, as before the store) and from each store
(``pmae <command> --db URL``). Every figure is one run of the command line in a fresh process
(wall and CPU time, and the process's peak memory for the publication and the validation), so
it includes Python's start (printed first, to subtract); orientation and the listing are also
timed in process, from an open store (CPU time, median of 5), which is what the goals are
about. On a shared machine wall times grow with its load; CPU times much less:

==========================  =======================  ====================================
question                    command                  goal at national scale (store)
==========================  =======================  ====================================
publish vs validate         publish / validate       publish ≤ 2 × validate, < 1 GB peak
orient one association      orient --association     ≤ 100 ms
coverage                    coverage                 ≤ 3 s
shared diagnosis            needs                    ≤ 5 s
listing with filters        offers --theme --terr…   ≤ 200 ms
==========================  =======================  ====================================

National figures of the store's commands (``pmae coverage --db`` / ``pmae needs --db`` on the
national store, ``/usr/bin/time``, load 10–20): coverage 21.2 s CPU and 2,004 MiB reading whole
records, 13.0 s CPU and 850 MiB with light rows (:mod:`pmae.store.light`), 4.8 s CPU and
274 MiB with the needs counted by the database (``need_counts``; 9.2 s and 784 MiB for the light
rows in the same run, load 5–6); needs 35.6 s CPU and 1,814 MiB, then 22.1 s CPU and 1,078 MiB;
the rest is the grid's and the protection's computation. From the file (the bundle validated
whole first), see ``docs/store.md``.

National publication (``--bundle nat.jsonl --publish-only``, 1,260,000 records, a shared 2-core
machine at load 4–5, main's code then this one in the same run): validate 27.4 s CPU
(2,310 MiB), publish 82.8 s CPU = 3.03 × (558 MiB); with the départements and labels
gathered while the rows are built and 16 KiB pages: validate 25.1 s, publish 73.6 s = 2.93 ×
(550 MiB). Earlier, at load 13–15: 31.9 s and 118.4 s = 3.72 × (552 MiB). Since then the
first publication into a new store is a bulk load validated and written in one pass, with a
rollback journal (``docs/store.md``): three runs at load 1–2, validate 28–29 s CPU, publish
53.0–57.2 s CPU = 1.90–1.96 × (1.92–1.98 × wall), 535 MiB.

Backends are given as ``--db`` URLs (default: an SQLite file in ``--out``); each is a column.
A backend whose URL the installed pmae cannot open fails that column, not the run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

#: (label, goal in seconds for the store or None, pmae arguments after the command's source).
QUESTIONS: tuple[tuple[str, float | None, str, tuple[str, ...]], ...] = (
    ("orient one association", 0.1, "orient", ("--association", "{association}")),
    ("coverage", 3.0, "coverage", ()),
    ("shared diagnosis (needs)", 5.0, "needs", ()),
    ("listing: offers theme gepp, dep:38", 0.2, "offers",
     ("--theme", "gepp", "--territory", "dep:38")),
)


#: The CPU seconds of the last command run (user + system): on a shared machine, wall times
#: grow with the load, CPU times much less.
LAST_CPU = [0.0]


def _pmae(*argv: str) -> tuple[float, float]:
    """Run ``pmae argv`` in a fresh process: (wall seconds, peak memory in MiB); its CPU
    seconds in :data:`LAST_CPU`."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "pmae.cli", *argv],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        raise RuntimeError(f"pmae {' '.join(argv)} failed: {errors.decode()[-2000:]}")
    LAST_CPU[0] = usage.ru_utime + usage.ru_stime
    return elapsed, usage.ru_maxrss / 1024  # KiB on Linux


def _timed(*argv: str) -> str:
    """``pmae argv`` run: its wall time, and its CPU time."""
    wall, _ = _pmae(*argv)
    return f"{_seconds(wall)} (cpu {_seconds(LAST_CPU[0])})"


def _in_process(db: str, association: str) -> dict[str, float]:
    """Median seconds of orienting one association and of the listing, from an open store."""
    import pmae
    from pmae.analysis.offer_index import OfferIndex
    from pmae.analysis.orientation import orient as orient_offers
    from pmae.store import open_store

    session = pmae.make_session(load=[])

    def median(run: Callable[[], object]) -> float:
        # CPU time of this process: the figure a quiet machine would show.
        times = []
        for _ in range(5):
            start = time.process_time()
            run()
            times.append(time.process_time() - start)
        return statistics.median(times)

    with open_store(db, session=session) as store:
        def orient() -> object:
            data = store.orientation_bundle(association=association)
            index = OfferIndex.build(data, today=data.generated_at.date(), session=session)
            return orient_offers(index, index.association(association))

        return {
            "orient one association": median(orient),
            "listing: offers theme gepp, dep:38": median(
                lambda: store.offers(theme="gepp", territory="dep:38")),
        }


def _first_association(bundle: Path) -> str:
    import orjson

    with bundle.open("rb") as handle:
        for line in handle:
            value = orjson.loads(line)
            if "associations" in value:
                return str(value["associations"]["id"])
    raise SystemExit(f"{bundle} holds no association")


def _row(label: str, *cells: str) -> None:
    print(f"{label:<50}" + "".join(f"{cell:>28}" for cell in cells), flush=True)


def _seconds(value: float) -> str:
    if value < 0.01:
        return f"{value * 1000:.1f} ms"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--associations", type=int, default=150_000)
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for the bundle and stores (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse the bundle and the stores already in --out (or given "
                             "by --db: an existing SQLite store is not published again)")
    parser.add_argument("--bundle", type=Path, default=None,
                        help="measure this JSON Lines bundle instead of generating one")
    parser.add_argument("--db", dest="backends", action="append", default=None,
                        help="a store URL to measure (repeatable; default: SQLite in --out)")
    parser.add_argument("--publish-only", action="store_true",
                        help="time the validation and the publication, not the questions")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as temporary:
        out = options.out or Path(temporary)
        out.mkdir(parents=True, exist_ok=True)
        bundle = options.bundle or out / f"bundle-{options.associations}.jsonl"
        if not options.bundle and not (options.reuse and bundle.exists()):
            print(f"generating {bundle} ({options.associations} associations)…", flush=True)
            _pmae("generate", "--associations", str(options.associations), "--seed", "1",
                  "-o", str(bundle))
        backends = options.backends or [f"sqlite:///{out / 'store.db'}"]
        _measure(bundle, backends, reuse=options.reuse, publish_only=options.publish_only)


def _measure(bundle: Path, backends: list[str], *, reuse: bool,
             publish_only: bool = False) -> None:
    association = _first_association(bundle)
    size = bundle.stat().st_size / 2**20
    print(f"bundle {bundle.name}: {size:,.0f} MiB; oriented association {association}")
    start, _ = _pmae("vocab", "stages")
    print(f"starting pmae (Python, imports, plugins): {_seconds(start)} in every figure below\n")
    for number, url in enumerate(backends, start=1):
        print(f"store {number}: {url}")
    _row("question", "file", *(f"store {n}" for n in range(1, len(backends) + 1)))
    validate, validate_memory = _pmae("validate", str(bundle))
    validate_cpu = LAST_CPU[0]
    publications, publication_cpu = [], []
    for url in backends:
        path = url.removeprefix("sqlite:///")
        if not reuse and path != url:
            for suffix in ("", "-wal", "-shm"):
                Path(path + suffix).unlink(missing_ok=True)
        if reuse and path != url and Path(path).exists():
            # A store published before: the questions alone (its publication is not timed).
            publications.append((float("nan"), float("nan")))
            publication_cpu.append(float("nan"))
            continue
        try:
            publications.append(_pmae("publish", str(bundle), "--db", url))
        except RuntimeError as error:
            print(f"  {url}: {error}", file=sys.stderr)
            publications.append((float("nan"), float("nan")))
        publication_cpu.append(LAST_CPU[0])
    _row("validate (file) / publish (store)", _seconds(validate),
         *(f"{_seconds(t)} ({t / validate:.2f}×)" for t, _ in publications))
    _row("  cpu", _seconds(validate_cpu),
         *(f"{_seconds(cpu)} ({cpu / validate_cpu:.2f}×)" for cpu in publication_cpu))
    _row("peak memory", f"{validate_memory:,.0f} MiB",
         *(f"{memory:,.0f} MiB" for _, memory in publications))
    if publish_only:
        return
    in_process = []
    for url in backends:
        try:
            in_process.append(_in_process(url, association))
        except Exception as error:  # noqa: BLE001 - one backend's failure, not the run's
            print(f"  {url}: {error}", file=sys.stderr)
            in_process.append({})
    for label, goal, command, extra in QUESTIONS:
        arguments = [part.format(association=association) for part in extra]
        file_cell = "—"
        if command != "offers":  # listings read the store only
            file_cell = _timed(command, str(bundle), *arguments)
        cells = []
        for url, timed in zip(backends, in_process, strict=True):
            try:
                cell = _timed(command, "--db", url, *arguments)
            except RuntimeError as error:
                print(f"  {url}: {error}", file=sys.stderr)
                cell = "failed"
            if label in timed:
                cell += f" / {_seconds(timed[label])}"
            cells.append(cell)
        _row(label + (f" (goal {_seconds(goal)})" if goal else ""), file_cell, *cells)
    print("\nstore cells: the command line (wall, cpu) / in process from an open store "
          "(orientation, listing: cpu, median of 5)")


if __name__ == "__main__":
    main()
