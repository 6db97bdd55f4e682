"""Progress bars: on standard error when it is a terminal, nothing otherwise."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from pmae.io.files import dumps_json_lines
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
        f"reading {db} ": ("coverage", "--db", db),
    }
    for label, argv in runs.items():
        code, out, err = _run(folder, *argv, terminal=terminal)
        assert code == 0, err
        if terminal:
            assert label.strip() in err and "100%" in err, err
        else:
            assert label.strip() not in err and "%" not in err, err
        assert "%" not in out  # never on standard output
