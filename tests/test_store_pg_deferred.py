"""The store's PostgreSQL connections. A publication's writes are sent by a second thread while
pmae prepares the next records (:meth:`pmae.store.pg_connection.PgConnection.deferring`): they
run in order, what reads waits for them, an error is raised where pmae next reads, and nothing
still waiting runs once the transaction is abandoned. No statement is compiled (JIT), and
groupings get 64 MB before they spill to disk."""

from __future__ import annotations

import time
from contextlib import closing

import pytest

from pmae.store.connection import StoreError
from pmae.store.postgres import connect, transaction


def _scratch(url: str) -> None:
    with closing(connect(url, create=True)) as connection:
        connection.raw.execute("CREATE TABLE scratch (n BIGINT PRIMARY KEY, seen BIGINT)")


def _numbers(url: str) -> list[int]:
    with closing(connect(url)) as connection:
        return [n for (n,) in connection.raw.execute("SELECT n FROM scratch ORDER BY n")]


def test_writes_return_at_once_and_run_in_order_before_a_read(pg_url: str) -> None:
    _scratch(pg_url)
    with closing(connect(pg_url)) as connection, transaction(connection) as held, \
            held.deferring():
        start = time.perf_counter()
        held.execute("INSERT INTO scratch (n) SELECT 1 FROM pg_sleep(1)")
        held.executemany("INSERT INTO scratch (n) VALUES (?)", [(2,), (3,)])
        # Each sees what the one before it wrote: they run in the order they were sent.
        held.execute("INSERT INTO scratch (n, seen) SELECT 4, count(*) FROM scratch")
        sent = time.perf_counter() - start
        assert sent < 0.5  # pmae went on while the server slept
        assert held.execute("SELECT n, seen FROM scratch ORDER BY n").fetchall() == [
            (1, None), (2, None), (3, None), (4, 3)]
        assert time.perf_counter() - start >= 1  # the read waited for the writes
    assert _numbers(pg_url) == [1, 2, 3, 4]


def test_a_failed_write_is_raised_at_the_next_read_and_nothing_after_it_runs(
        pg_url: str) -> None:
    _scratch(pg_url)
    with closing(connect(pg_url)) as connection:
        with pytest.raises(StoreError, match="duplicate key"), \
                transaction(connection) as held, held.deferring():
            held.executemany("INSERT INTO scratch (n) VALUES (?)", [(1,), (1,)])
            held.execute("INSERT INTO scratch (n) SELECT 2 FROM pg_sleep(0.2)")
            held.execute("SELECT count(*) FROM scratch")
            pytest.fail("the read must raise the failed write's error")
        # The connection serves again, and the transaction left nothing.
        assert connection.raw.execute("SELECT count(*) FROM scratch").fetchone() == (0,)


def test_writes_still_waiting_when_the_block_fails_never_run(pg_url: str) -> None:
    _scratch(pg_url)
    with closing(connect(pg_url)) as connection:
        with pytest.raises(KeyboardInterrupt), \
                transaction(connection) as held, held.deferring():
            held.execute("INSERT INTO scratch (n) SELECT 1 FROM pg_sleep(0.5)")
            for n in range(2, 50):
                held.execute("INSERT INTO scratch (n) VALUES (?)", (n,))
            raise KeyboardInterrupt  # a Ctrl-C while the server still writes
        time.sleep(0.7)  # had any run after the rollback, in autocommit, it would be there
        assert connection.raw.execute("SELECT count(*) FROM scratch").fetchone() == (0,)
    assert _numbers(pg_url) == []


def test_the_store_s_connections_compile_nothing_and_group_in_memory(pg_url: str) -> None:
    with closing(connect(pg_url, create=True)) as connection:
        settings = dict(connection.raw.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN ('jit', 'work_mem')").fetchall())
        assert settings == {"jit": "off", "work_mem": str(64 * 1024)}  # in kB
    # An administrator's larger work_mem (the role's, the database's, the URL's) stays.
    with closing(connect(pg_url + "&options=-c%20work_mem%3D256MB")) as connection:
        assert connection.raw.execute("SHOW work_mem").fetchone() == ("256MB",)
