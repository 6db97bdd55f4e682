"""A reviewer's attack on the administrator's first publication into an empty PostgreSQL store
(the bulk load of :mod:`pmae.store.pg_bulk` and :mod:`pmae.store.one_pass`).

Each test compares the bulk load with the ordinary path (the bundle scanned, then written:
:func:`pmae.store.streaming.publish_scanned`), or checks what an invalid bundle, an error or
an interruption leaves behind.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import drop_database, new_database

from pmae import synth
from pmae.io.pipeline import InvalidBundleError
from pmae.sessions import make_session
from pmae.store import StoreError, open_store, publish_into
from pmae.store.postgres import connect, transaction
from pmae.store.streaming import Prepared, scan, write_publication

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def session() -> Any:
    return make_session(load=[])


@pytest.fixture
def two_urls(postgres: Any) -> Any:
    urls = [new_database(postgres), new_database(postgres)]
    yield urls
    for url in urls:
        drop_database(postgres, url)


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _bundle(tmp_path: Path, associations: int = 12, seed: int = 3) -> Path:
    path = tmp_path / "b.jsonl"
    synth.write(path, fmt="jsonl", associations=associations, seed=seed)
    return path


def _ordinary(url: str, path: Path, session: Any) -> Any:
    """The bundle published by the ordinary path: scanned, then written (two passes)."""
    connection = connect(url, create=True)
    try:
        scanned = scan([str(path)], session)
        assert scanned is not None
        with transaction(connection):
            return write_publication(connection, Prepared(scanned=scanned), session=session,
                                     now=NOW)
    finally:
        connection.close()


def _state(url: str) -> dict[str, Any]:
    """Every row of every table of the store (but the time it was made), its indexes and the
    state of its triggers."""
    state: dict[str, Any] = {}
    with psycopg.connect(url, autocommit=True) as raw:
        tables = [name for (name,) in raw.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
        for table in tables:
            rows = raw.execute(f'SELECT * FROM public."{table}"').fetchall()
            if table == "store_meta":
                rows = [row for row in rows if row[0] != "created_at"]
            if table == "versions":  # their numbers order each record's versions only
                rows = [row[1:] for row in rows]
            state[table] = sorted(rows, key=repr)
        state["indexes"] = raw.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
            "ORDER BY 1, 2").fetchall()
        state["triggers"] = raw.execute(
            "SELECT c.relname, t.tgname, t.tgenabled FROM pg_trigger AS t JOIN pg_class AS c "
            "ON c.oid = t.tgrelid WHERE NOT t.tgisinternal ORDER BY 1, 2").fetchall()
    return state


def _tables(url: str) -> list[str]:
    with psycopg.connect(url, autocommit=True) as raw:
        return [name for (name,) in raw.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]


def _compare(path: Path, urls: list[str], session: Any, *, made: bool = False) -> None:
    """``made``: the store exists (empty) before the bulk load."""
    bulk, ordinary = urls
    if made:
        with open_store(bulk, create=True, session=session):
            pass
    result = publish_into(bulk, path, session=session, now=NOW)
    assert result == _ordinary(ordinary, path, session)
    found, expected = _state(bulk), _state(ordinary)
    assert found.keys() == expected.keys()
    assert [key for key in expected if found[key] != expected[key]] == []


def test_the_bulk_load_leaves_what_the_ordinary_path_leaves(tmp_path: Path, two_urls: list[str],
                                                            session: Any) -> None:
    _compare(_bundle(tmp_path), two_urls, session)


def test_text_that_copy_escapes_and_a_departement_covered_twice(tmp_path: Path, two_urls: list[str],
                                                        session: Any) -> None:
    path = _bundle(tmp_path, associations=4)
    lines = _lines(path)
    out = [lines[0]]
    for line in lines[1:]:
        value = json.loads(line)
        (collection, record), = value.items()
        if collection == "associations":
            record["name"] = "Tab\there \\N back\\slash\nnew line\r\u00e9t\u00e9 \U0001f600 \\."
        if collection == "offers":  # two territories of one departement
            record["territories"] = ["com:10037", "com:10387", "dep:10"]
        out.append(json.dumps(value, ensure_ascii=False))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    _compare(path, two_urls, session)


def test_interleaved_collections(tmp_path: Path, two_urls: list[str], session: Any) -> None:
    path = _bundle(tmp_path, associations=30)
    lines = _lines(path)
    # Records of each collection in turns: the bundle moves on, then comes back.
    records = lines[1:]
    path.write_text("\n".join([lines[0], *records[::2], *records[1::2]]) + "\n",
                    encoding="utf-8")
    _compare(path, two_urls, session)


@pytest.mark.parametrize("made", [False, True])
def test_a_bundle_without_records(tmp_path: Path, two_urls: list[str], session: Any,
                                  made: bool) -> None:
    path = _bundle(tmp_path, associations=1)
    path.write_text(_lines(path)[0] + "\n", encoding="utf-8")
    _compare(path, two_urls, session, made=made)


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 40 records: a small bundle is copied in many batches."""
    from pmae.store import streaming

    monkeypatch.setattr(streaming, "PG_BATCH", 40)


@pytest.mark.parametrize("made", [False, True])
def test_many_batches_interleaved(tmp_path: Path, two_urls: list[str], session: Any,
                                  small_batches: None, made: bool) -> None:
    path = _bundle(tmp_path, associations=60)
    lines = _lines(path)
    records = lines[1:]
    path.write_text("\n".join([lines[0], *records[::3], *records[1::3], *records[2::3]]) + "\n",
                    encoding="utf-8")
    _compare(path, two_urls, session, made=made)


def _broken(path: Path, where: str) -> None:
    """Break the bundle at ``path``: its first record (``early``), its last (``late``), or a
    reference of its last record, found broken at the end only (``reference``)."""
    lines = _lines(path)
    at = 1 if where == "early" else len(lines) - 1
    value = json.loads(lines[at])
    (collection, record), = value.items()
    if where == "reference":
        assert collection == "needs", collection
        record["association"] = "synth:asso-nowhere"
    else:
        record["visibility"] = "everybody"
    lines[at] = json.dumps(value, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("where", ["early", "late", "reference"])
def test_an_invalid_bundle_leaves_a_new_database_empty(tmp_path: Path, pg_url: str, session: Any,
                                                       small_batches: None, where: str) -> None:
    path = _bundle(tmp_path, associations=60)
    _broken(path, where)
    with pytest.raises(InvalidBundleError) as raised:
        publish_into(pg_url, path, session=session, now=NOW)
    report = session.validate_file(path)
    assert not report.ok
    assert [issue.render() for issue in raised.value.issues] == [
        issue.render() for issue in report.issues]
    assert _tables(pg_url) == []


@pytest.mark.parametrize("where", ["early", "late", "reference"])
def test_an_invalid_bundle_leaves_an_empty_store_as_it_was(tmp_path: Path, pg_url: str,
                                                           session: Any, small_batches: None,
                                                           where: str) -> None:
    with open_store(pg_url, create=True, session=session):
        pass
    before = _state(pg_url)
    path = _bundle(tmp_path, associations=60)
    _broken(path, where)
    with open_store(pg_url, session=session) as store, pytest.raises(InvalidBundleError):
        store.publish(path, now=NOW)
    assert _state(pg_url) == before


def _copy_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "pmae-copy"]


def test_ctrl_c_while_the_copy_thread_runs(tmp_path: Path, pg_url: str, session: Any,
                                            small_batches: None) -> None:
    import sys

    path = _bundle(tmp_path, associations=60)
    size = path.stat().st_size
    read = 0
    interval = sys.getswitchinterval()

    def interrupt(count: int) -> None:  # Ctrl-C halfway through the bundle
        nonlocal read
        read += count
        if read > size:  # (the bar counts each byte twice)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        publish_into(pg_url, path, session=session, now=NOW, progress=interrupt)
    assert _copy_threads() == []
    assert sys.getswitchinterval() == interval
    assert _tables(pg_url) == []
    publish_into(pg_url, path, session=session, now=NOW)
    with open_store(pg_url, session=session) as store:
        assert sum(store.counts().values()) == len(_lines(path)) - 1


def _terminated_when_copying(url: str, stop: threading.Event) -> None:
    """End the server's side of the connection that copies into the database of ``url``,
    once it has copied (as a server restart would)."""
    name = url.partition("@/")[2].partition("?")[0]
    with psycopg.connect(url, autocommit=True) as raw:
        while not stop.is_set():
            if raw.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                           "datname = %s AND query LIKE 'COPY %%' AND pid <> "
                           "pg_backend_pid()", (name,)).fetchall():
                return


def test_an_error_of_the_copy_thread_is_a_store_error(tmp_path: Path, pg_url: str,
                                                       session: Any,
                                                       small_batches: None) -> None:
    path = _bundle(tmp_path, associations=200)
    stop = threading.Event()
    killer = threading.Thread(target=_terminated_when_copying, args=(pg_url, stop))
    killer.start()
    try:
        with pytest.raises(StoreError) as raised:
            publish_into(pg_url, path, session=session, now=NOW)
    finally:
        stop.set()
        killer.join()
    assert "terminat" in str(raised.value)
    assert _copy_threads() == []
    assert _tables(pg_url) == []


def _reads_while(url: str, publishing: threading.Thread, session: Any, *,
                 timeout: float) -> list[str]:
    """What readers of the store at ``url`` saw while ``publishing`` ran: each read's counts,
    or its error."""
    from pmae.store import StoreNotFoundError

    seen = []
    while publishing.is_alive():
        try:
            with open_store(url, session=session, timeout=timeout) as store:
                # (a dump reads one snapshot; counts() reads each collection in turn)
                seen.append(repr(sum(store.dump().counts().values())))
        except StoreNotFoundError:
            seen.append("none")
        except StoreError as error:
            seen.append(f"error: {error}")
    return seen


@pytest.mark.parametrize("made", [False, True])
def test_a_reader_during_the_first_load(tmp_path: Path, pg_url: str, session: Any,
                                        small_batches: None, made: bool) -> None:
    """A reader of an empty store sees it empty, then whole; of a new database, no store."""
    if made:
        with open_store(pg_url, create=True, session=session):
            pass
    path = _bundle(tmp_path, associations=600)
    total = len(_lines(path)) - 1
    failed: list[BaseException] = []

    def publish() -> None:
        try:
            publish_into(pg_url, path, session=session, now=NOW, timeout=60)
        except BaseException as error:
            failed.append(error)

    publishing = threading.Thread(target=publish)
    publishing.start()
    seen = _reads_while(pg_url, publishing, session, timeout=0.2)
    publishing.join()
    assert failed == []
    assert set(seen) <= {"0" if made else "none", repr(total)}


def _in_threads(*calls: Any) -> list[BaseException]:
    """Run each call in its own thread, all at once; the errors they raised."""
    failed: list[BaseException] = []

    def run(call: Any) -> None:
        try:
            call()
        except BaseException as error:
            failed.append(error)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failed


def test_two_bulk_loads_at_once_in_one_process(tmp_path: Path, two_urls: list[str],
                                               session: Any, small_batches: None) -> None:
    """The first load ends first: the second's end must not leave the short interval."""
    import sys
    import time

    from pmae.store.pg_connection import SWITCH_INTERVAL

    interval = sys.getswitchinterval()
    for url in two_urls:  # (made first: each load is of an empty store)
        with open_store(url, create=True, session=session):
            pass
    small, large = tmp_path / "small", tmp_path / "large"
    small.mkdir()
    large.mkdir()
    paths = [_bundle(small, associations=300), _bundle(large, associations=900)]
    failed: list[BaseException] = []

    def load(url: str, path: Path) -> None:
        try:
            publish_into(url, path, session=session, now=NOW)
        except BaseException as error:
            failed.append(error)

    first = threading.Thread(target=load, args=(two_urls[0], paths[0]))
    first.start()
    while sys.getswitchinterval() > 2 * SWITCH_INTERVAL and first.is_alive():
        time.sleep(0.001)
    second = threading.Thread(target=load, args=(two_urls[1], paths[1]))
    second.start()
    first.join()
    second.join()
    assert failed == []
    assert sys.getswitchinterval() == interval


def test_two_first_publications_into_one_new_database(tmp_path: Path, pg_url: str,
                                                      session: Any,
                                                      small_batches: None) -> None:
    path = _bundle(tmp_path, associations=300)
    assert _in_threads(*(lambda: publish_into(pg_url, path, session=session, timeout=60)
                         for _ in range(2))) == []
    with open_store(pg_url, session=session) as store:
        log = store.log()
        # The second one changed nothing: not logged.
        assert [(p.changes.added, p.changes.unchanged) for p in log] == [
            (len(_lines(path)) - 1, 0)]
        assert sum(store.counts().values()) == len(_lines(path)) - 1


def test_a_network_publishes_while_the_admin_loads(tmp_path: Path, pg_url: str,
                                                   session: Any, small_batches: None) -> None:
    from pmae.store.networks import add_network, network_url

    with open_store(pg_url, create=True, session=session):
        pass
    network = network_url(pg_url, add_network(pg_url, "reseau", role="pmae_bulk_review",
                                              session=session)[0].role, None)
    admin_bundle = _bundle(tmp_path, associations=300)
    mine = tmp_path / "reseau.jsonl"
    synth.write(mine, fmt="jsonl", associations=5, seed=4, source="reseau")
    assert _in_threads(
        lambda: publish_into(pg_url, admin_bundle, session=session, timeout=60),
        lambda: publish_into(network, mine, session=session, timeout=60)) == []
    # The network's next publication (one record more) gets rowids after every row.
    synth.write(mine, fmt="jsonl", associations=6, seed=4, source="reseau")
    publish_into(network, mine, session=session, timeout=60)
    with psycopg.connect(pg_url, autocommit=True) as raw:
        for collection, last in raw.execute("SELECT collection, last FROM store_rowids"):
            assert raw.execute(f'SELECT max(rowid) FROM "{collection}"').fetchone()[0] == last
    with open_store(pg_url, session=session) as store:
        assert sum(store.counts().values()) == (
            len(_lines(admin_bundle)) - 1 + len(_lines(mine)) - 1)


def _copying_seen(url: str, process: Any, deadline: float) -> bool:
    """Wait until the server copies into the database of ``url`` (the load's copy thread)."""
    import time

    name = url.partition("@/")[2].partition("?")[0]
    with psycopg.connect(url, autocommit=True) as raw:
        while time.monotonic() < deadline and process.poll() is None:
            if raw.execute("SELECT 1 FROM pg_stat_activity WHERE datname = %s AND query LIKE "
                           "'COPY %%' AND pid <> pg_backend_pid()", (name,)).fetchone():
                return True
            time.sleep(0.002)
    return False


def _pmae_publish(path: Path, url: str) -> Any:
    import os
    import signal
    import subprocess
    import sys

    return subprocess.Popen(
        [sys.executable, "-m", "pmae.cli", "publish", str(path), "--db", url],
        env={**os.environ, "PMAE_LOAD_PLUGINS": ""}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


@pytest.mark.parametrize("signal_name", ["SIGKILL", "SIGINT"])
def test_a_first_load_killed_or_interrupted_while_copying(tmp_path: Path, postgres: Any,
                                                          signal_name: str) -> None:
    import random
    import signal
    import time

    path = tmp_path / "b.jsonl"
    synth.write(path, fmt="jsonl", associations=3000, seed=5)
    rng = random.Random(7)
    interrupted = 0
    for made in (False, True):
        url = new_database(postgres)
        try:
            if made:
                with open_store(url, create=True, session=make_session(load=[])):
                    pass
            before = _state(url) if made else None
            process = _pmae_publish(path, url)
            if _copying_seen(url, process, time.monotonic() + 60):
                time.sleep(rng.uniform(0, 0.5))
            process.send_signal(getattr(signal, signal_name))
            _, error = process.communicate(timeout=60)
            if process.returncode == 0:
                continue  # published before the signal
            interrupted += 1
            if signal_name == "SIGINT":
                assert process.returncode == 130, error
                assert "Traceback" not in error
            if made:
                assert _state(url) == before
            else:
                assert _tables(url) == []
            # The next publication is not kept waiting.
            publish_into(url, path, session=make_session(load=[]), timeout=30)
        finally:
            drop_database(postgres, url)
    assert interrupted


@pytest.fixture
def fresh_urls(postgres: Any) -> Any:
    """Two new databases of a cluster of their own, as before its first store: without the
    role of the public, which the session's cluster's stores share (started for the test,
    then deleted)."""
    import pg_cluster

    cluster = pg_cluster.start()
    try:
        yield [new_database(cluster), new_database(cluster)]
    finally:
        cluster.close()


def test_another_store_of_the_cluster_is_made_while_a_first_load_runs(
        tmp_path: Path, fresh_urls: list[str], session: Any, small_batches: None) -> None:
    """The store's role for the public (cluster-wide) was made in the load's transaction: a
    store made meanwhile in another database of the cluster waited for the whole load on it,
    then failed (its lock timeout, or the role made by the load)."""
    import subprocess
    import sys
    import time

    loading, other = fresh_urls
    path = _bundle(tmp_path, associations=1200)
    process = subprocess.Popen(
        [sys.executable, "-m", "pmae.cli", "publish", str(path), "--db", loading],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert _copying_seen(loading, process, time.monotonic() + 60)
        with open_store(other, create=True, session=session, timeout=1):
            pass
    finally:
        _, error = process.communicate(timeout=120)
    assert process.returncode == 0, error


def test_a_merged_bundle_of_two_sources(tmp_path: Path, two_urls: list[str],
                                        session: Any) -> None:
    import subprocess
    import sys

    inputs = []
    for slug, seed in (("nord", 1), ("sud", 2)):
        inputs.append(tmp_path / f"{slug}.jsonl")
        synth.write(inputs[-1], fmt="jsonl", associations=8, seed=seed, source=slug)
    merged = tmp_path / "merged.jsonl"
    subprocess.run([sys.executable, "-m", "pmae.cli", "merge", *map(str, inputs), "-o",
                    str(merged)], check=True, capture_output=True)
    _compare(merged, two_urls, session)


def test_two_stores_made_at_once_in_one_cluster(tmp_path: Path, fresh_urls: list[str],
                                                session: Any) -> None:
    """Both make the role of the public, which the cluster's stores share: one made it."""
    path = _bundle(tmp_path, associations=20)
    assert _in_threads(*(lambda url=url: publish_into(url, path, session=session, timeout=30)
                         for url in fresh_urls)) == []
