"""The store's PostgreSQL connections compile no statement (JIT) and give groupings 64 MB
before they spill to disk, unless the server was given more."""

from __future__ import annotations

from contextlib import closing

from pmae.store.postgres import connect


def test_the_store_s_connections_compile_nothing_and_group_in_memory(pg_url: str) -> None:
    with closing(connect(pg_url, create=True)) as connection:
        settings = dict(connection.raw.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN ('jit', 'work_mem')").fetchall())
        assert settings == {"jit": "off", "work_mem": str(64 * 1024)}  # in kB
    # An administrator's larger work_mem (the role's, the database's, the URL's) stays.
    with closing(connect(pg_url + "&options=-c%20work_mem%3D256MB")) as connection:
        assert connection.raw.execute("SHOW work_mem").fetchone() == ("256MB",)
