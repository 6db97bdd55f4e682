"""Progress bars: on standard error when it is a terminal, nothing otherwise.

One helper draws both shapes (:mod:`pmae.render.progress`): counted steps (publish, dump, the
store's reads) and named steps (report, sheets; their own tests are in test_report_cofil.py).
"""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from pmae.io.files import dumps_json_lines
from pmae.render.progress import TerminalProgress, progress_bar, shows_progress
from pmae.sample import sample_bytes

# The labels are checked in English, the language the suite runs in (tests/conftest.py).
ENVIRONMENT = {**os.environ, "PMAE_LOAD_PLUGINS": "", "COLUMNS": "100", "LANGUAGE": "en"}


def _run(folder: Path, *argv: str, terminal: bool) -> tuple[int, str, str]:
    """``pmae argv``: (exit code, stdout, stderr), stderr a pseudo-terminal or a pipe."""
    command = [sys.executable, "-m", "pmae.cli", *argv]
    if not terminal:
        done = subprocess.run(command, cwd=folder, env=ENVIRONMENT, capture_output=True,
                              check=False)
        return done.returncode, done.stdout.decode(), done.stderr.decode()
    main, secondary = pty.openpty()
    with subprocess.Popen(command, cwd=folder, env=ENVIRONMENT, stdout=subprocess.PIPE,
                          stderr=secondary) as process:
        os.close(secondary)
        seen = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            seen += chunk
        assert process.stdout is not None
        out = process.stdout.read().decode()
    os.close(main)
    return process.returncode, out, seen.decode(errors="replace")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the sample as JSON Lines."""
    path = tmp_path_factory.mktemp("progress")
    (path / "ra.jsonl").write_bytes(b"".join(dumps_json_lines(orjson.loads(sample_bytes()))))
    return path


@pytest.mark.parametrize("terminal", [True, False])
def test_publish_dump_and_analyses_show_progress_on_a_terminal_only(folder: Path,
                                                                   terminal: bool) -> None:
    db = f"{'t' if terminal else 'p'}.db"
    runs = {
        "publishing ra.jsonl": ("publish", "ra.jsonl", "--db", db),
        f"reading {db}": ("dump", "--db", db, "-o", f"dump-{db}.json"),
        # An analysis that reads whole records (coverage and the shared diagnosis read light
        # rows and counts, a few seconds at national scale).
        f"reading {db} ": ("plan", "--db", db),
    }
    for label, argv in runs.items():
        code, out, err = _run(folder, *argv, terminal=terminal)
        assert code == 0, err
        if terminal:
            assert label.strip() in err and "100%" in err, err
        else:
            assert label.strip() not in err and "%" not in err, err
        assert "%" not in out  # never on standard output


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Closed(io.StringIO):
    def isatty(self) -> bool:
        raise ValueError("I/O operation on closed file")


def test_counted_steps_show_the_share_done_then_clear_their_line() -> None:
    stream = _Terminal()
    with progress_bar("publishing ra.jsonl", 200, stream=stream) as advance:
        assert advance is not None
        for _ in range(4):
            advance(50)
        advance(10)  # more than announced: the bar stops at its end
    drawn = stream.getvalue()
    # A step under way says the share done and the time left at the pace so far.
    assert drawn.startswith("\rpublishing ra.jsonl [######..................]  25% 0:00:")
    assert "\rpublishing ra.jsonl [########################] 100%" in drawn
    assert "100% 0:" not in drawn  # no time left at the end
    assert drawn.rsplit("\r", 2)[-2].strip() == ""  # the line is cleared at the end


def test_counted_steps_redraw_at_most_every_interval() -> None:
    stream = _Terminal()
    with TerminalProgress("reading x.db", stream=stream, total=1000, every=3600) as progress:
        for _ in range(1000):
            progress.advance(1)
    lines = [line for line in stream.getvalue().split("\r") if line.strip()]
    # The first step draws, then only the last one (within the hour).
    assert [line.split("]")[1].split()[0] for line in lines] == ["0%", "100%"]


def test_no_bar_off_a_terminal_or_with_nothing_to_count() -> None:
    for stream, total in ((io.StringIO(), 10), (_Terminal(), 0), (_Closed(), 10)):
        with progress_bar("x", total, stream=stream) as advance:
            assert advance is None
        assert stream.getvalue() == ""
    assert not shows_progress(io.StringIO()) and not shows_progress(_Closed())
    assert shows_progress(_Terminal())
    quiet = io.StringIO()
    with TerminalProgress("x", stream=quiet, total=3) as progress:
        progress.advance(3)
        progress("a", 1, 1)
    assert quiet.getvalue() == ""
