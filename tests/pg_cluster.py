"""A throwaway PostgreSQL cluster for the tests: initdb and pg_ctl in a temporary folder.

The cluster listens only on a Unix socket in its own folder, on a random free port, and is
stopped and deleted at the end; a cluster whose test run was killed (so never stopped) is
stopped and deleted by the next start. As root (CI containers) initdb and pg_ctl run as the
``postgres`` system user (initdb refuses root); otherwise as the current user.

Run by hand, it starts a cluster, prints its URL and runs a command with ``PMAE_TEST_PG`` set to
it, then stops it: a developer's one-line way to try the PostgreSQL store::

    .venv/bin/python tests/pg_cluster.py -- .venv/bin/pmae publish ra.json --db '$PMAE_TEST_PG'
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["Cluster", "binaries", "start", "sweep"]


def binaries() -> Path | None:
    """The folder of PostgreSQL's server programs (initdb, pg_ctl, pg_dump), or None."""
    found = shutil.which("pg_ctl")
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    if found:
        # Debian's /usr/bin wrappers need a cluster configured; take the real programs.
        real = Path(os.path.realpath(found)).parent
        candidates.insert(0, str(real))
    for folder in candidates:
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """A running throwaway cluster; :meth:`url` names one of its databases."""

    def __init__(self, folder: Path, port: int, bin_dir: Path, as_postgres: bool) -> None:
        self.folder = folder
        self.port = port
        self.bin_dir = bin_dir
        self._as_postgres = as_postgres
        self.user = "postgres" if as_postgres else _current_user()

    def run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run one of PostgreSQL's programs, as the cluster's owner."""
        command = [str(self.bin_dir / program), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True)

    @property
    def data(self) -> Path:
        """The cluster's data folder."""
        return self.folder / "data"

    def url(self, database: str = "postgres", user: str | None = None) -> str:
        """The URL of ``database`` through the socket, as ``user`` (the owner by default)."""
        return (f"postgresql://{user or self.user}@/{database}?host={self.folder}"
                f"&port={self.port}")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"), "-w", "-t",
                 "60", "-o", f"-k {self.folder} -p {self.port} -c listen_addresses='' "
                 "-c fsync=off -c max_connections=60", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``immediate``: as a crash would)."""
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def close(self) -> None:
        """Stop the server and delete its folder."""
        self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


def _current_user() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


_OWNER = "owner.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep(bin_dir: Path, as_postgres: bool) -> list[Path]:
    """Stop and delete the clusters of test runs that were killed (their owner process is
    gone); returns their folders."""
    swept = []
    for folder in Path(tempfile.gettempdir()).glob("pmae-pg-*"):
        try:
            owner = int((folder / _OWNER).read_text())
        except (OSError, ValueError):
            continue  # not one of ours, or being made right now
        if _alive(owner):
            continue
        Cluster(folder, 0, bin_dir, as_postgres).close()
        swept.append(folder)
    return swept


def start(bin_dir: Path | None = None) -> Cluster:
    """Make and start a cluster in a new temporary folder (after sweeping those of killed runs).

    :raises RuntimeError: no PostgreSQL programs, or the cluster did not start (with its log).
    """
    bin_dir = bin_dir or binaries()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL's initdb and pg_ctl were not found")
    as_postgres = os.geteuid() == 0
    sweep(bin_dir, as_postgres)
    folder = Path(tempfile.mkdtemp(prefix="pmae-pg-"))
    (folder / _OWNER).write_text(str(os.getpid()))
    if as_postgres:
        shutil.chown(folder, "postgres", "postgres")
    cluster = Cluster(folder, _free_port(), bin_dir, as_postgres)
    try:
        cluster.run("initdb", "-D", str(cluster.data), "-A", "trust", "-U", cluster.user,
                    "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        cluster.start()
    except subprocess.CalledProcessError as error:
        log = folder / "log"
        detail = log.read_text() if log.exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"the PostgreSQL cluster did not start: {error.stderr}{detail}") \
            from error
    return cluster


def main(argv: list[str]) -> int:
    """Start a cluster, run ``argv`` (after ``--``) with ``PMAE_TEST_PG`` set, stop it."""
    command = argv[argv.index("--") + 1:] if "--" in argv else argv
    cluster = start()
    try:
        url = cluster.url()
        print(url, flush=True)
        if not command:
            return 0
        expanded = [part.replace("$PMAE_TEST_PG", url) for part in command]
        return subprocess.call(expanded, env={**os.environ, "PMAE_TEST_PG": url})
    finally:
        cluster.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
