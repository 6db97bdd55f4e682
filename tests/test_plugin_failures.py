"""One behaviour when a plugin fails, whatever the hook (issue 13, plugins point 1).

A real plugin distribution, ``pmae-hostile`` 0.1.0 (a module and its ``*.dist-info``, see
``conftest.write_distribution``), registers an exporter, an importer, a diagnostic tool with
its own scoring, and a check; ``PMAE_HOSTILE=<where>:<how>`` says which of them breaks and how
(raises, calls ``sys.exit``, raises ``KeyboardInterrupt``, returns or yields what pmae cannot
use). Each failure must be one line naming ``pmae-hostile 0.1.0`` and exit 1, with the traceback
under ``PMAE_DEBUG=1``; a check's failure is a ``check-failed`` warning (an error with
``PMAE_STRICT_PLUGINS=1``) and can never make an invalid bundle pass.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import valid_document, write_distribution

from pmae.cli import cli
from pmae.plugins.calls import PluginFailure, PluginResultError
from pmae.sessions import reset_default_session

HOSTILE = """
import json
import os
import sys

from pmae.diagnostics import evaluate
from pmae.issues import Issue
from pmae.plugins import Check, DiagnosticTool, Exporter, Importer, ImportResult, hookimpl
from pmae.plugins import make_plugin_manager


def fail(where):
    how = os.environ.get("PMAE_HOSTILE", "")
    if how == where + ":raise":
        raise ValueError(where + " is broken")
    if how == where + ":exit":
        sys.exit(0)
    if how == where + ":interrupt":
        raise KeyboardInterrupt
    return how.partition(":")[2] if how.startswith(where + ":") else ""


def export(bundle, stream, context):
    fail("export")
    stream.write(b"ok\\n")


def read(path, options):
    if fail("import") == "wrong":
        return {"document": "not an ImportResult"}
    return ImportResult(document=json.loads(path.read_text(encoding="utf-8")))


def score(questionnaire, answers):
    if fail("score") == "wrong":
        return {"A1": 100}
    return evaluate(questionnaire, answers)


def check(bundle, context):
    how = fail("check")
    yield Issue(code="hostile:seen", severity="info", message="the check ran")
    if how == "object":
        yield "not an issue"
    if how == "severity":
        yield Issue(code="hostile:odd", severity="fatal", message="an odd severity")


QUESTIONNAIRE = dict(make_plugin_manager(entry_points=False)
                     .diagnostic("diagnostic-partage").questionnaire, id="hostile-diag")


@hookimpl
def pmae_register_exporters(register):
    register(Exporter(name="hostile-text", title="Hostile", export=export, suffix=".txt"))


@hookimpl
def pmae_register_importers(register):
    register(Importer(name="hostile-json", title="Hostile", read=read))


@hookimpl
def pmae_register_diagnostics(register):
    register(DiagnosticTool(name="hostile-diag", title="Hostile", version="1.0",
                            questionnaire=QUESTIONNAIRE, score=score))


@hookimpl
def pmae_register_checks(register):
    register(Check(name="hostile-check", title="Hostile", check=check,
                   codes=("hostile:seen", "hostile:odd")))
"""

WHO = "of plugin pmae-hostile 0.1.0"
TAIL = ("This is a bug of the plugin, not of your data: report it to its authors (PMAE_DEBUG=1 "
        "shows the traceback)")


@pytest.fixture(scope="module")
def hostile_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``pmae-hostile`` distribution, written once for the module."""
    return write_distribution(tmp_path_factory.mktemp("site"), "pmae-hostile", HOSTILE)


@pytest.fixture
def hostile(hostile_folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``pmae-hostile`` installed (in-process) and the only plugin loaded."""
    monkeypatch.syspath_prepend(str(hostile_folder))
    importlib.invalidate_caches()
    monkeypatch.setenv("PMAE_LOAD_PLUGINS", "pmae-hostile")
    reset_default_session()
    yield hostile_folder
    sys.modules.pop("pmae_hostile", None)
    reset_default_session()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """A valid bundle, an invalid one, and answers to the hostile tool."""
    valid = tmp_path / "valid.json"
    valid.write_text(json.dumps(valid_document()), encoding="utf-8")
    broken = valid_document()
    broken["offers"][0]["themes"] = ["paie"]  # an unknown theme: an error
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps(broken), encoding="utf-8")
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"A1.1": 2}), encoding="utf-8")
    return {"valid": valid, "invalid": invalid, "answers": answers, "out": tmp_path / "out"}


def run(how: str, *args: str, **env: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"PMAE_HOSTILE": how, **env})


COMMANDS: dict[str, Callable[[dict[str, Path]], list[str]]] = {
    "export": lambda f: ["export", str(f["valid"]), "--to", "hostile-text", "-o",
                         str(f["out"])],
    "import": lambda f: ["import", "hostile-json", str(f["valid"]), "-o", str(f["out"])],
    "score": lambda f: ["diagnose", "hostile-diag", "--answers", str(f["answers"])],
}
KINDS = {"export": "the exporter 'hostile-text'", "import": "the importer 'hostile-json'",
         "score": "the scoring function of diagnostic tool 'hostile-diag'"}
OUTCOMES = {"export": "; nothing was written", "import": "; nothing was imported", "score": ""}


@pytest.mark.parametrize("where", list(COMMANDS))
@pytest.mark.parametrize(("how", "problem"), [
    ("raise", "ValueError: {where} is broken"),
    ("exit", "it called sys.exit(0)"),
])
def test_a_failing_hook_is_one_line_naming_the_plugin_and_exit_1(
    hostile: Path, files: dict[str, Path], where: str, how: str, problem: str,
) -> None:
    result = run(f"{where}:{how}", *COMMANDS[where](files))
    assert result.exit_code == 1, result.output
    assert result.stderr == (f"pmae: error: {KINDS[where]} {WHO} failed: "
                             f"{problem.format(where=where)}{OUTCOMES[where]}. {TAIL}\n")
    assert not files["out"].exists()


@pytest.mark.parametrize("where", list(COMMANDS))
def test_pmae_debug_shows_the_traceback(hostile: Path, files: dict[str, Path],
                                        where: str) -> None:
    result = run(f"{where}:raise", *COMMANDS[where](files), PMAE_DEBUG="1")
    assert isinstance(result.exception, PluginFailure)
    assert isinstance(result.exception.__cause__, ValueError)  # the plugin's own, chained
    assert f"{KINDS[where]} {WHO} failed" in str(result.exception)


@pytest.mark.parametrize(("where", "problem"), [
    ("import", "it returned a dict, not a pmae.plugins.ImportResult"),
    ("score", "it returned a dict, not a pmae.diagnostics.Evaluation"),
])
def test_a_result_pmae_cannot_use_is_the_plugins_failure(
    hostile: Path, files: dict[str, Path], where: str, problem: str,
) -> None:
    result = run(f"{where}:wrong", *COMMANDS[where](files), PMAE_DEBUG="1")
    assert isinstance(result.exception, PluginResultError)
    assert isinstance(result.exception, TypeError)
    assert str(result.exception) == f"{KINDS[where]} {WHO} failed: {problem}{OUTCOMES[where]}"


def test_the_hooks_work_when_nothing_fails(hostile: Path, files: dict[str, Path]) -> None:
    for where, command in COMMANDS.items():
        out = files["out"].with_suffix(f".{where}.json")
        args = command(files)
        result = run("", *[str(out) if a == str(files["out"]) else a for a in args])
        assert result.exit_code == 0, (where, result.output)


CHECK_FAILED = "warning [check-failed] check pmae-hostile:hostile-check {who} failed: {problem}"


@pytest.mark.parametrize(("how", "problem"), [
    ("raise", "ValueError: check is broken"),
    ("exit", "it called sys.exit(0)"),
    ("object", "it yielded a str, not a pmae.issues.Issue"),
    ("severity", "it yielded an issue of unknown severity 'fatal' (use error, warning, info)"),
])
def test_a_failing_check_is_a_warning_and_cannot_pass_an_invalid_bundle(
    hostile: Path, files: dict[str, Path], how: str, problem: str,
) -> None:
    expected = CHECK_FAILED.format(who=WHO, problem=problem)
    result = run(f"check:{how}", "validate", str(files["valid"]))
    assert result.exit_code == 0, result.output
    assert expected in result.stdout
    result = run(f"check:{how}", "validate", str(files["invalid"]))
    assert result.exit_code == 1, result.output
    assert "error [unknown-code]" in result.stdout and expected in result.stdout
    # Strict: the check's failure is an error on its own.
    result = run(f"check:{how}", "validate", str(files["valid"]), PMAE_STRICT_PLUGINS="1")
    assert result.exit_code == 1, result.output
    assert expected.replace("warning", "error", 1) in result.stdout


def test_a_failing_check_does_not_break_later_exports(hostile: Path,
                                                       files: dict[str, Path]) -> None:
    out = files["out"].with_suffix(".txt")
    result = run("check:severity", "export", str(files["valid"]), "--to", "hostile-text",
                 "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == b"ok\n"


def _cli(hostile_folder: Path, how: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``pmae`` in a subprocess (its own signal handlers), with ``pmae-hostile`` installed."""
    env = {**os.environ, "PMAE_HOSTILE": how, "PMAE_LOAD_PLUGINS": "pmae-hostile",
           "PYTHONPATH": os.pathsep.join([str(hostile_folder), *sys.path])}
    return subprocess.run([sys.executable, "-m", "pmae.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_a_keyboard_interrupt_no_signal_sent_is_the_plugins_failure(
    hostile_folder: Path, files: dict[str, Path],
) -> None:
    done = _cli(hostile_folder, "check:interrupt", "validate", str(files["invalid"]))
    assert done.returncode == 1, done.stderr
    assert CHECK_FAILED.format(who=WHO, problem="KeyboardInterrupt") in done.stdout
    assert "error [unknown-code]" in done.stdout
    out = files["out"].with_suffix(".txt")
    done = _cli(hostile_folder, "export:interrupt", "export", str(files["valid"]), "--to",
                "hostile-text", "-o", str(out))
    assert (done.returncode, done.stderr) == (
        1, f"pmae: error: {KINDS['export']} {WHO} failed: KeyboardInterrupt; nothing was "
           f"written. {TAIL}\n")
    assert not out.exists()


def test_without_pmaes_handlers_a_keyboard_interrupt_stops_the_run(
    hostile: Path, files: dict[str, Path],
) -> None:
    # A program using the library cannot tell a plugin's KeyboardInterrupt from Ctrl-C: it
    # stops, as the user may have asked.
    import signal

    import pmae

    # As in such a program: Python's own SIGINT handler (an earlier test in this process may
    # have run pmae's main(), which installs pmae's).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    os.environ["PMAE_HOSTILE"] = "check:interrupt"
    try:
        with pytest.raises(KeyboardInterrupt):
            pmae.validate_file(files["valid"])
    finally:
        del os.environ["PMAE_HOSTILE"]
        signal.signal(signal.SIGINT, previous)


def test_check_failed_issue_without_plugin_version_keeps_its_form() -> None:
    from pmae.io.checks import CheckContext
    from pmae.plugins import Check
    from pmae.plugins.calls import isolated_check
    from pmae.plugins.registry import Registered

    def exits(bundle: Any, context: CheckContext) -> list[Any]:
        raise SystemExit(3)

    run_check = isolated_check(Registered(plugin="mine", item=Check(
        name="exits", title="Exits", check=exits)), plugin="mine", strict=True)
    [issue] = run_check(None, CheckContext())
    assert (issue.code, issue.severity, issue.message) == (
        "check-failed", "error", "check mine:exits failed: it called sys.exit(3)")
