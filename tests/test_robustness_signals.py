"""Issue 13, robustness of runs that are stopped: Ctrl-C and SIGTERM, killed runs' temporary
files, and folders replaced in one step."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from pmae.io import atomic
from pmae.io.atomic import atomic_folder, atomic_writer, clean_stale_temporaries

# A command that starts writing a file, says so, then waits to be stopped.
_SLOW_COMMAND = textwrap.dedent("""
    import sys, time, click
    from pmae.cli import cli, main
    from pmae.io.files import atomic_writer

    @cli.command("slow")
    def slow():
        with atomic_writer(sys.argv[1]) as handle:
            handle.write(b"half")
            print("ready", flush=True)
            time.sleep(60)

    main(["slow"])
""")


def _as_from_a_terminal() -> None:
    """Ctrl-C acts as it does for a command started from a shell: a test runner's worker
    (pytest-xdist) ignores SIGINT, and an ignored signal stays ignored across exec."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize(("signum", "code", "said"), [
    (signal.SIGINT, 130, "pmae: interrupted (Ctrl-C); no file was left half-written"),
    (signal.SIGTERM, 143, "pmae: terminated (SIGTERM); no file was left half-written"),
])
def test_a_signal_ends_with_its_exit_code_and_one_line(tmp_path: Path, signum: int, code: int,
                                                       said: str) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"previous")
    process = subprocess.Popen(
        [sys.executable, "-c", _SLOW_COMMAND, str(target)], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env={**os.environ, "PMAE_DISABLE_PLUGINS": "pmae-broken"},
        preexec_fn=_as_from_a_terminal)
    assert process.stdout is not None
    assert process.stdout.readline() == b"ready\n"
    process.send_signal(signum)
    _, err = process.communicate(timeout=30)
    assert process.returncode == code
    lines = [line for line in err.decode().splitlines() if "warning" not in line]
    assert lines == [said]
    assert target.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_temporary_files_of_a_killed_run_are_cleaned_at_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "bundle.json"
    dead, alive = _dead_pid(), os.getppid()
    stale_file = tmp_path / f".bundle.json.pmae-{dead}.x1y2.tmp"
    stale_folder = tmp_path / f".bundle.json.pmae-{dead}.a1b2"
    running = tmp_path / f".bundle.json.pmae-{alive}.c3d4.tmp"
    someone_elses = tmp_path / ".bundle.json.swp"
    other_target = tmp_path / f".other.json.pmae-{dead}.e5f6.tmp"
    for path in (stale_file, running, someone_elses, other_target):
        path.write_text("x")
    stale_folder.mkdir()
    (stale_folder / "actors.csv").write_text("x")
    with atomic_writer(target) as handle:
        handle.write(b"{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["bundle.json", running.name, someone_elses.name, other_target.name])
    assert clean_stale_temporaries(tmp_path / "other.json") == [other_target]


def test_a_folder_export_cleans_a_killed_run_too(tmp_path: Path) -> None:
    stale = tmp_path / f".site.pmae-{_dead_pid()}.zz"
    stale.mkdir()
    atomic_folder(tmp_path / "site", lambda folder: (folder / "index.html").write_text("new"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def _replace_while_watching(target: Path, rounds: int) -> list[str]:
    """Replace ``target`` ``rounds`` times while another thread checks it is always there."""
    seen_missing: list[str] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            if not (target / "index.html").exists():
                seen_missing.append("missing")

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for number in range(rounds):
            atomic_folder(target, lambda folder, n=number: (  # type: ignore[misc]
                folder / "index.html").write_text(str(n)))
    finally:
        stop.set()
        watcher.join()
    return seen_missing


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
def test_replacing_a_folder_never_leaves_the_path_empty(tmp_path: Path) -> None:
    target = tmp_path / "site"
    atomic_folder(target, lambda folder: (folder / "index.html").write_text("first"))
    assert _replace_while_watching(target, 200) == []
    assert (target / "index.html").read_text() == "199"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_replacing_a_folder_where_the_system_cannot_exchange(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(atomic, "_exchange", lambda first, second: False)
    target = tmp_path / "site"
    atomic_folder(target, lambda folder: (folder / "index.html").write_text("old"))
    atomic_folder(target, lambda folder: (folder / "index.html").write_text("new"))
    assert (target / "index.html").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_failed_fill_leaves_the_old_folder(tmp_path: Path) -> None:
    target = tmp_path / "site"
    atomic_folder(target, lambda folder: (folder / "index.html").write_text("old"))

    def fail(folder: Path) -> None:
        (folder / "index.html").write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_folder(target, fail)
    assert (target / "index.html").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
