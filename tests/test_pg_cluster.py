"""The tests' throwaway PostgreSQL cluster (tests/pg_cluster.py) cleans up after a killed run:
a cluster whose owning process is gone is stopped and deleted by the next start."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pg_cluster

# A test run that starts a cluster, says where, and waits to be killed (so never stops it).
_KILLED_RUN = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, sys.argv[1])
    import pg_cluster
    cluster = pg_cluster.start()
    print(cluster.folder, flush=True)
    time.sleep(600)
""")


def _server_pid(folder: Path) -> int | None:
    try:
        return int((folder / "data" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _running(pid: int) -> bool:
    """Whether the process runs (an exited process that nobody reaped yet does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def test_a_killed_runs_cluster_is_stopped_and_deleted_by_the_next_start(postgres: Any) -> None:
    here = str(Path(__file__).resolve().parent)
    run = subprocess.Popen([sys.executable, "-c", _KILLED_RUN, here], stdout=subprocess.PIPE,
                           text=True)
    assert run.stdout is not None
    folder = Path(run.stdout.readline().strip())
    server = _server_pid(folder)
    assert server is not None and folder.is_dir()
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert _running(server)  # the server outlived its run: nothing stopped it

    assert folder in pg_cluster.sweep(postgres.bin_dir, postgres._as_postgres)

    assert not folder.exists()
    for _ in range(50):  # pg_ctl -m immediate returns once the postmaster is told
        if not _running(server):
            break
        time.sleep(0.1)
    assert not _running(server), f"the killed run's server {server} still runs"
    # The cluster of this run is alive and untouched.
    assert postgres.folder.is_dir() and postgres.folder not in pg_cluster.sweep(
        postgres.bin_dir, postgres._as_postgres)
