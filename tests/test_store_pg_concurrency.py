"""A shared PostgreSQL store under concurrent publications and killed publishers.

- 4 networks publish at the same time, each from its own process and as its own role, 10
  rounds each: every publication lands (40 in the log) and each network ends with its last
  round's records: no update is lost;
- a reader reading during those publications always sees, for each network, the records of
  one whole round (counts that belong together), never a mix.

A ``pmae publish`` killed (SIGKILL) at 20 random moments: tests/test_store_kill.py, on both
backends.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import drop_database, new_database

from pmae import synth
from pmae.sessions import make_session
from pmae.store import open_store
from pmae.store.networks import add_network, network_url

NETWORKS = 4
ROUNDS = 10

#: A publisher: every file given, in turn, into the store, waiting as long as it takes.
PUBLISHER = """
import sys
from pmae.sessions import make_session
from pmae.store import open_store
url, *files = sys.argv[1:]
session = make_session(load=[])
for path in files:
    with open_store(url, session=session, timeout=300) as store:
        store.publish(path)
"""


@pytest.fixture
def admin(postgres: Any) -> Any:
    url = new_database(postgres)
    yield url
    drop_database(postgres, url)


def _environment() -> dict[str, str]:
    return {**os.environ, "PMAE_LOAD_PLUGINS": ""}


def test_four_networks_publish_at_once_and_a_reader_never_sees_a_mix(
        admin: str, tmp_path: Path) -> None:
    slugs = [f"reseau-{n}" for n in range(NETWORKS)]
    files: dict[str, list[Path]] = {}
    # Round r of a network has 3 + r associations: the counts of a round go together.
    sizes: dict[int, dict[str, int]] = {}
    for slug in slugs:
        files[slug] = []
        for round_ in range(ROUNDS):
            path = tmp_path / f"{slug}-{round_}.json"
            counts = synth.write(path, associations=3 + round_, seed=round_, source=slug)
            sizes[3 + round_] = counts
            files[slug].append(path)
    with open_store(admin, create=True, session=make_session(load=[])):
        pass
    urls = {slug: network_url(admin, add_network(admin, slug, role=f"pmae_c_{n}")[0].role,
                              None) for n, slug in enumerate(slugs)}
    mixes: list[str] = []
    reads = 0
    done = threading.Event()

    def read() -> None:
        nonlocal reads
        with open_store(admin) as store:
            while not done.is_set():
                counts: dict[str, Counter[str]] = {}
                for collection, record in store.dump().records():
                    counts.setdefault(record.id.partition(":")[0], Counter())[collection] += 1
                for slug, found in counts.items():
                    whole = sizes.get(found["associations"])
                    if whole is None or dict(found) != {k: v for k, v in whole.items() if v}:
                        mixes.append(f"{slug}: {dict(found)}")
                reads += 1

    reader = threading.Thread(target=read)
    reader.start()
    try:
        publishers = [subprocess.Popen(
            [sys.executable, "-c", PUBLISHER, urls[slug], *map(str, files[slug])],
            env=_environment(), stderr=subprocess.PIPE) for slug in slugs]
        outcomes = [(p.wait(), p.stderr.read().decode() if p.stderr else "")
                    for p in publishers]
    finally:
        done.set()
        reader.join()
    assert [code for code, _ in outcomes] == [0] * NETWORKS, outcomes
    assert not mixes and reads > 0
    with open_store(admin) as store:
        log = store.log()
        assert len(log) == NETWORKS * ROUNDS
        assert Counter(entry.bundles[0].source for entry in log) == dict.fromkeys(slugs, ROUNDS)
        dumped = Counter(r.id.partition(":")[0] for _, r in store.dump().records())
    last = sum(sizes[3 + ROUNDS - 1].values())
    assert dumped == dict.fromkeys(slugs, last)



def test_a_server_restarted_during_a_publication_leaves_the_previous_state_whole(
        tmp_path: Path) -> None:
    """The server stopped as a crash would (``pg_ctl -m immediate``) in the middle of a
    publication, then started: the store holds the previous publication whole. Its own
    cluster, so no other test sees the restart."""
    import random

    import pg_cluster

    cluster = pg_cluster.start()
    try:
        url = new_database(cluster)
        files = [tmp_path / f"{name}.json" for name in ("a", "b")]
        for seed, path in enumerate(files, start=1):
            synth.write(path, associations=300, seed=seed)
        with open_store(url, create=True, session=make_session(load=[])) as store:
            store.publish(files[0])
            before = store.dump(), len(store.log())
        rng = random.Random(5)
        for _ in range(3):
            process = subprocess.Popen(
                [sys.executable, "-m", "pmae.cli", "publish", str(files[1]), "--db", url],
                env=_environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            threading.Event().wait(rng.uniform(1.0, 3.0))  # while it validates or writes
            cluster.stop("immediate")
            process.wait()
            cluster.start()
            with open_store(url) as store:
                after = store.dump(), len(store.log())
            if after != before:  # it had committed before the crash: the new state, whole
                assert after[1] == before[1] + 1
                with open_store(url) as store:
                    assert {r.id for _, r in store.dump().records()} == {
                        r.id for _, r in make_session(load=[]).load_bundle(files[1]).records()}
                break
    finally:
        cluster.close()
