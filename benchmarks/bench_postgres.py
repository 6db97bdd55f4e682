"""The PostgreSQL store at national scale, as a network's role (row-level security on).

    python benchmarks/bench_postgres.py                          # 150,000 associations
    python benchmarks/bench_postgres.py --associations 5000      # a quick run
    python benchmarks/bench_postgres.py --url postgresql://admin@host/emptydb
    python benchmarks/bench_postgres.py --publish-only           # validate and publish only

Generates a JSON Lines bundle of one network (``pmae.synth``, seed 1, source
``reseau-bench``), then, in this process:

- **validate**: ``session.validate_file`` of the bundle (what ``pmae validate`` does);
- **publish**: by the administrator, the first publication into the empty database, which
  makes the store (``publish_into``: a bulk load, :mod:`pmae.store.pg_bulk`), then the network
  added as a role (``add_network``); or, with ``--publisher network``, the store made by the
  administrator (the schema), the network added, then the bundle published **as that role**
  (COPY through row-level security): its time against validate's (goal ≤ 2×);

then, still as the network's role, the questions of every day (medians of ``--repeat``):

- **orient one association**: what ``pmae orient --association`` reads from the store and ranks
  (goal ≤ 100 ms);
- **coverage**: what ``pmae coverage --db`` reads (actors and offers as light rows, the needs
  counted by the database per territory, theme and stage), and the grid (goal ≤ 3 s);
- **needs**: the needs this role reads, column by column, and the shared diagnosis protected
  as ``pmae needs --db`` computes it (goal ≤ 5 s); and the protected tables the
  administrator stored, read through ``pmae_shared_diagnosis`` (what a network's
  ``pmae needs --db`` prints).

With ``--network URL`` (and ``--url``, the administrator's) it times the questions alone on a
store already published (``--whole`` also reads whole records, as before the light rows).
Orientation, coverage's read and the needs' read also print their CPU seconds, this process's
and the server's (from ``/proc``), which a loaded machine changes much less than wall times.

National figures, the administrator's first publication (a bulk load, see
docs/deployment.md "Scale"): 50.7, 49.9 and 50.9 s wall against 30.0, 29.3 and 28.2 s for
``pmae validate`` in the same runs (1.69 ×, 1.70 ×, 1.80 ×; measured with
``benchmarks/bench_store.py --db postgresql://…``, each a command). As the network (``--publisher network``: ``nat.jsonl``: 150,000 associations,
1,260,000 records, published once as the network ``synth``; load 2 to 5): the publication 215.8 s wall (62.8 s of pmae's CPU, 60.3
s of the server's; validation 37.4 s wall, 24.6 s CPU) before the versions' check per
statement, 271.1 s wall after it under a heavier load (69.2 + 62.3 s CPU; validation 34.9 s
wall, 22.6 s CPU): 5.8 × validation in CPU, against the goal of 2 ×; 907.6 s wall before
this work, under a load of 16. Then ``--network``: orient one association 29 ms wall, 30 ms
CPU (20 + 10 ms server); coverage 3.7 s (the read of actors, offers and needs counted 2.1 s,
2.3 s CPU of which 1.6 s the server's; the grid 1.7 s), then, the needs counted by
département (as ``pmae coverage`` does) through schema 8's index, 7.1 s with the index on
the three columns (the read 6.45 s, 3.88 s CPU of which 3.60 s the server's: row-level
security visits each need's row) and 2.1 s with ``INCLUDE (visibility, source)`` (the read
1.41 s, 0.89 s CPU of which 0.63 s the server's; the grid 0.65 s), same run; the shared
diagnosis from the needs this role reads 5.6 s (the read by columns 2.3 s, the protection
3.3 s); the stored protected tables 0.013 s. Main's code on the same store in the same run:
coverage 3.9 s, the shared diagnosis 8.0 s (its protection 4.7 s: the load's noise, the
store's reads are the same).

At 15,000 associations (126,000 records, ``pmae generate --associations 15000``), main's code
then this one's, alternated in the same run: 27.0 and 27.6 s wall (6.6/6.7 s of pmae's CPU,
6.4/6.5 s of the server's) against 24.2 and 24.8 s (6.6/6.7 + 5.3/5.4 s): the server's CPU
down by a sixth (the label check in one scan per table, without JIT; the versions' check per
statement), pmae's unchanged. Sending the writes from a second thread while pmae prepares the
next batch was tried: 0.6 s more of pmae's CPU (the threads share the interpreter's lock), no
wall time gained on this machine's two busy cores; left out.

Without ``--url`` it starts a throwaway cluster with ``tests/pg_cluster.py`` (PostgreSQL's
programs needed) and deletes it at the end. Prints the database's size. A script that prints
figures, not a timed test; ``benchmarks/bench_store.py --db postgresql://…`` times the same
commands beside SQLite's, from the command line.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SOURCE = "reseau-bench"


def _timed(run: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _cpu(store: Any, run: Callable[[], Any], repeat: int = 1) -> tuple[float, float, Any]:
    """Mean CPU seconds of ``run``: this process's, and the server process's serving
    ``store`` (read in ``/proc``: a server on this machine; NaN otherwise), and its result.
    On a loaded machine the wall time is mostly waiting for a core; these are what a quiet
    one shows."""
    import os

    pid = store._connection.execute("SELECT pg_backend_pid()").fetchone()[0]

    def server() -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    before, start, result = server(), time.process_time(), None
    for _ in range(repeat):
        result = run()
    return (time.process_time() - start) / repeat, (server() - before) / repeat, result


def _cpu_line(label: str, client: float, server: float, goal: float | None = None) -> None:
    _line(f"{label}, CPU: this process + the server's", client + server, goal,
          f"  ({client:.3f} + {server:.3f} s)")


def _line(label: str, seconds: float, goal: float | None = None, extra: str = "") -> None:
    verdict = "" if goal is None else ("  ok" if seconds <= goal else "  OVER")
    goal_text = "" if goal is None else f" (goal ≤ {goal:g} s)"
    print(f"{label + goal_text:<58}{seconds:>10.3f} s{verdict}{extra}", flush=True)


def _cluster() -> tuple[Any, str]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    import pg_cluster
    import psycopg

    cluster = pg_cluster.start()
    with psycopg.connect(cluster.url(), autocommit=True) as connection:
        connection.execute("CREATE DATABASE pmae_bench")
    return cluster, str(cluster.url("pmae_bench"))


def measure(url: str, associations: int, folder: Path, repeat: int,
            publish_only: bool = False, publisher: str = "admin") -> None:
    """Generate, validate, publish (as the administrator or as a network), and time the
    questions (see the module)."""
    import pmae
    from pmae import synth
    from pmae.store import open_store, publish_into
    from pmae.store.networks import add_network, network_url

    session = pmae.make_session(load=[])
    bundle = folder / f"bundle-{associations}.jsonl"
    counts = synth.write(bundle, fmt="jsonl", associations=associations, seed=1, source=SOURCE)
    print(f"{sum(counts.values()):,} records ({bundle.stat().st_size / 2**20:,.0f} MiB): "
          + ", ".join(f"{name} {count:,}" for name, count in counts.items() if count))
    cpu = time.process_time()
    validate, report = _timed(lambda: session.validate_file(bundle))
    validate_cpu = time.process_time() - cpu
    assert report.ok, report.issues[:3]
    del report
    _line("validate (pmae validate, in process)", validate, extra=f"  cpu {validate_cpu:.1f} s")
    if publisher == "admin":
        # The administrator's first publication, which makes the store (docs/deployment.md):
        # a bulk load (pmae.store.pg_bulk).
        cpu = time.process_time()
        published, _ = _timed(lambda: publish_into(url, bundle, session=session))
        cpu = time.process_time() - cpu
        role = add_network(url, SOURCE, role="pmae_bench")[0].role
        network = network_url(url, role, None)
    else:
        with open_store(url, create=True, session=session):
            pass  # the administrator makes the schema
        role = add_network(url, SOURCE, role="pmae_bench")[0].role
        network = network_url(url, role, None)
        with open_store(network, session=session) as store:
            cpu = time.process_time()
            published, _ = _timed(lambda: store.publish(bundle))
            cpu = time.process_time() - cpu
    label = ("publish as the administrator (first, bulk load)" if publisher == "admin"
             else "publish as the network's role (RLS, COPY)")
    _line(label, published, 2 * validate,
          f"  = {published / validate:.2f} × validate; this process's cpu {cpu:.1f} s "
          f"= {cpu / validate_cpu:.2f} ×, the server's not counted")
    if publish_only:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory of this process (the validation included) {peak:,.0f} MiB")
        return
    questions(url, network, repeat)


def questions(url: str, network: str, repeat: int, *, whole: bool = False) -> None:
    """Time the questions of every day as the network's role (``network``) on the store the
    administrator (``url``) made; ``whole``: also read whole records, as before the light
    rows, to compare."""
    import datetime as dt

    import psycopg

    import pmae
    from pmae.analysis.coverage import coverage
    from pmae.analysis.offer_index import OfferIndex
    from pmae.analysis.orientation import orient
    from pmae.analysis.shared_diagnosis import NeedColumns, aggregate, protect_columns
    from pmae.store import open_store
    from pmae.store.networks import save_shared_diagnosis, shared_diagnosis

    session = pmae.make_session(load=[])
    with open_store(network, session=session) as store:
        association = store.associations(limit=1)[0].id

        def oriented() -> object:
            data = store.orientation_bundle(association=association)
            index = OfferIndex.build(data, today=data.generated_at.date(), session=session)
            return orient(index, index.association(association))

        _line(f"orient one association ({association})", _timed(oriented, repeat)[0], 0.1)
        _cpu_line("  orientation", *_cpu(store, oriented, repeat)[:2], 0.1)
        if whole:
            read, _ = _timed(lambda: store.bundle(collections=("actors", "offers", "needs")))
            _line("coverage: read actors, offers, needs (whole records)", read)
        # What `pmae coverage --db` reads: actors and offers as light rows, the needs counted
        # by the database per theme and stage, a département's communes together (the
        # territories given, as the command gives them).
        wanted = ("actors", "offers", "need_counts")

        def counted() -> Any:
            return store.light_bundle(wanted, territories=session.territories)

        client, server, light = _cpu(store, counted, repeat)
        read, light = _timed(counted, repeat)
        grid, _ = _timed(lambda: coverage(light, session=session,
                                          need_counts=light.need_counts), repeat)
        _line("coverage: read actors, offers (light rows), needs counted", read)
        _cpu_line("  the read", client, server)
        _line("coverage: the grid", grid)
        _line("coverage, both", read + grid, 3.0)
        light = None  # the memory back before the needs are read
        if whole:
            read, _ = _timed(lambda: store.bundle(collections=("needs",)))
            _line("needs: read the network's needs (whole records)", read)
        # What `pmae needs --db` computes where every need may be read (the administrator's
        # `pmae db share-needs`): the needs column by column, protected; as a network, the
        # needs this role reads.
        client, server, _ = _cpu(store, store.shareable_need_columns)
        read, columns = _timed(store.shareable_need_columns)
        _cpu_line("  the read of the needs (columns)", client, server)
        table, diagnosis = _timed(lambda: aggregate(
            (), by="theme,dep", protection=protect_columns(
                NeedColumns(**columns), session.territories, perturb=True)))
        _line("needs: read the needs this role reads (columns)", read)
        _line("needs: the shared diagnosis (theme, dep), protected", table)
        _line("needs, both", read + table, 5.0)
        columns = None
    now = dt.datetime.now(dt.UTC).isoformat()
    save_shared_diagnosis(url, "theme,dep", diagnosis.to_json(), computed_at=now)
    stored, _ = _timed(lambda: shared_diagnosis(network, "theme,dep"), repeat)
    _line("needs: the stored protected tables, as the network", stored, 5.0)
    with psycopg.connect(url) as connection:
        size = connection.execute("SELECT pg_database_size(current_database())").fetchone()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"database size {(size[0] if size else 0) / 2**20:,.0f} MiB; peak memory of this "
          f"process {peak:,.0f} MiB")


def main() -> None:
    """Parse the options and run (see the module)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--associations", type=int, default=150_000)
    parser.add_argument("--url", default=None,
                        help="an empty database, as its administrator (default: a "
                             "throwaway cluster)")
    parser.add_argument("--network", default=None,
                        help="the network's URL on a store --url already holds: time the "
                             "questions only (no generation, no publication)")
    parser.add_argument("--whole", action="store_true",
                        help="also read whole records, as before the light rows (slow)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--publish-only", action="store_true",
                        help="validate and publish, without the questions")
    parser.add_argument("--publisher", choices=("admin", "network"), default="admin",
                        help="who publishes the bundle: the administrator, into the empty "
                             "database (a bulk load; the default), or the network's role "
                             "into the store the administrator made")
    options = parser.parse_args()
    if options.network is not None:
        if options.url is None:
            parser.error("--network needs --url (the administrator's, to store the tables)")
        questions(options.url, options.network, options.repeat, whole=options.whole)
        return
    cluster = None
    url = options.url
    if url is None:
        cluster, url = _cluster()
    try:
        with tempfile.TemporaryDirectory() as folder:
            measure(url, options.associations, Path(folder), options.repeat,
                    options.publish_only, options.publisher)
    finally:
        if cluster is not None:
            cluster.close()


if __name__ == "__main__":
    main()
