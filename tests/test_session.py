"""pmae.Session: the library's front door gives the command line's answers.

The front-door test installs a real small plugin distribution (a module and its
``*.dist-info`` with an entry point of the group ``pmae``) that adds the theme
``test:tiers_lieux``, and checks that ``pmae.validate_document``/``pmae.validate_file`` (the
default session) and ``pmae validate`` (a subprocess) accept a bundle using it and give the
same issues; without the plugin, both report ``unknown-code``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import pmae
from pmae.io.bundles import bundle_to_data
from pmae.io.pipeline import InvalidBundleError
from pmae.model import Bundle
from pmae.plugins import PluginManager, get_plugin_manager
from pmae.sessions import Session, make_session, reset_default_session, session, use_session
from pmae.testing import RegisterHelper, small_bundle

THEME = "test:tiers_lieux"


def _document(theme: str = "recrutement") -> dict[str, Any]:
    document: dict[str, Any] = bundle_to_data(small_bundle())
    document["offers"][0]["themes"] = [theme]
    return document


def _issues(report: Any) -> list[tuple[str, str, str | None]]:
    return [(i.code, i.severity, i.path) for i in report.issues]


# -- the session's own behaviour ------------------------------------------------------------


def test_as_of_and_lang_are_converted_and_checked() -> None:
    built = make_session(load=[], as_of="2025-06-30", lang="en")
    assert (built.as_of, built.lang) == (dt.date(2025, 6, 30), "en")
    assert make_session(load=[], as_of=dt.datetime(2025, 6, 30, 12)).as_of == dt.date(2025, 6, 30)
    assert make_session(load=[]).as_of == dt.date.today()
    with pytest.raises(ValueError,
                       match=r"^as_of: '30/06/2025' is not an ISO date \(YYYY-MM-DD\)$"):
        make_session(load=[], as_of="30/06/2025")
    with pytest.raises(TypeError, match=r"^as_of: expected a date or an ISO string, got int$"):
        make_session(load=[], as_of=20250630)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^lang: 'de' is not one of fr, en$"):
        make_session(load=[], lang="de")
    with pytest.raises(ValueError, match="lang: 'es'"):
        built.evolve(lang="es")


def test_evolve_shares_what_was_loaded() -> None:
    base = make_session(load=[], as_of="2025-01-01")
    vocabularies = base.vocabularies
    english = base.evolve(lang="en", as_of="2025-06-30")
    assert (english.lang, english.as_of, base.lang) == ("en", dt.date(2025, 6, 30), "fr")
    assert english.plugins is base.plugins
    assert english.vocabularies is vocabularies
    other = make_session(load=[])
    assert base.evolve(plugins=other.plugins).plugins is other.plugins


def test_validate_bundle_in_memory() -> None:
    quiet = make_session(load=[])
    bundle = small_bundle()
    assert quiet.validate_bundle(bundle).issues == []
    broken = Bundle(source=bundle.source, generated_at=bundle.generated_at,
                    offers=(bundle.offers[0],))  # its actor is not in the bundle
    report = quiet.validate_bundle(broken, file="memory.json")
    assert not report.ok
    assert {i.file for i in report.issues} == {"memory.json"}
    assert [i.path for i in report.issues if i.severity == "error"] == ["$.offers[0].actor"]
    assert _issues(pmae.validate_bundle(broken, session=quiet)) == _issues(report)


def test_load_bundle_raises_invalid_bundle_error(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps(_document("paie")), encoding="utf-8")
    with pytest.raises(InvalidBundleError) as raised:
        make_session(load=[]).load_bundle(path)
    assert [(i.code, i.path) for i in raised.value.issues] == [
        ("unknown-code", "$.offers[0].themes[0]")]
    assert "1 error(s) in the bundle" in str(raised.value)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_document()), encoding="utf-8")
    assert pmae.load_bundle(good).offers[0].themes == ("recrutement",)


def test_the_default_session_is_cached_and_follows_the_plugin_manager() -> None:
    first = session()
    assert session() is first
    assert session(first) is first
    assert first.plugins is get_plugin_manager()
    get_plugin_manager.cache_clear()  # what older tests do after changing the environment
    assert session() is not first
    reset_default_session()
    assert session().plugins is get_plugin_manager()


def test_use_session_overrides_the_default_and_nests() -> None:
    outer, inner = make_session(load=[]), make_session(load=[], lang="en")
    default = session()
    with use_session(outer):
        assert session() is outer
        with use_session(inner):
            assert session() is inner
            assert pmae.session() is inner
        assert session() is outer
    assert session() is default


def test_a_plugin_registered_later_is_seen_by_the_session(
    pmae_session: Session, pmae_register: RegisterHelper, pmae_plugin_manager: PluginManager,
) -> None:
    """pmae.testing's pmae_session: the cache follows the manager, and it is the default."""
    assert THEME not in pmae_session.vocabularies["themes"].codes()
    assert _issues(pmae.validate_document(_document(THEME))) == [
        ("unknown-code", "error", "$.offers[0].themes[0]")]

    from pmae.plugins import Term, VocabularyExtension, hookimpl

    class Test:
        @hookimpl
        def pmae_register_vocabularies(self, register: Callable[[object], None]) -> None:
            register(VocabularyExtension(vocabulary="themes", namespace="test", terms=(
                Term(code=THEME, label_fr="Tiers-lieux", label_en="Third places"),)))

    assert pmae_register(Test).status == "loaded"
    assert THEME in pmae_session.vocabularies["themes"].codes()
    assert pmae.validate_document(_document(THEME)).issues == []


# -- which plugins pmae's tests see ----------------------------------------------------------


@pytest.fixture(scope="module")
def allow_list_for_module_fixtures() -> str | None:
    return os.environ.get("PMAE_LOAD_PLUGINS")


def test_pmaes_tests_see_the_builtins_only(allow_list_for_module_fixtures: str | None) -> None:
    """Even a module-scoped fixture runs with the empty allow-list (tests/conftest.py)."""
    assert (allow_list_for_module_fixtures, os.environ["PMAE_LOAD_PLUGINS"]) == ("", "")
    infos = session().plugins.infos.values()
    assert {i.status for i in infos if not i.builtin} <= {"blocked"}
    assert {i.status for i in infos if i.builtin} == {"loaded"}


@pytest.mark.pmae_plugins("pmae-datainclusion")
def test_a_test_names_the_installed_plugins_it_needs() -> None:
    assert os.environ["PMAE_LOAD_PLUGINS"] == "pmae-datainclusion"
    assert session().exporter("datainclusion").suffix == ".json"
    assert session().plugins.infos["pmae-datainclusion"].status == "loaded"


# -- the front door: a real installed plugin, from Python and from the command line -----------


def _cli_validate(path: Path, env: dict[str, str]) -> tuple[int, list[tuple[str, str, str]]]:
    command = [sys.executable, "-c", "from pmae.cli import main; main()", "validate",
               "--format", "json", str(path)]
    run = subprocess.run(command, env=env, capture_output=True, text=True, check=False,
                         timeout=120)
    assert run.returncode in (0, 1), run.stderr
    data = json.loads(run.stdout) if run.stdout.strip() else []
    return run.returncode, [(i["code"], i["severity"], i["path"]) for i in data]


def _env(**changes: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMAE_")}
    env.update({k: v for k, v in changes.items() if v is not None})
    return env


def test_the_same_answer_from_python_and_the_command_line(
    plugin_distribution: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "bundle.json"
    document = _document(THEME)
    document["actors"][1]["territories"] = ["84"]  # one more issue, to compare a real list
    path.write_text(json.dumps(document), encoding="utf-8")

    # Without the plugin: unknown-code, both ways.
    without = [("ambiguous-territory", "error", "$.actors[1].territories[0]"),
               ("unknown-code", "error", "$.offers[0].themes[0]")]
    assert _issues(pmae.validate_file(path)) == without
    assert _cli_validate(path, _env(PMAE_LOAD_PLUGINS="")) == (1, without)

    # Installed: the default session (every installed plugin, as `pmae` runs) accepts it.
    folder = plugin_distribution(name="pmae-test-theme", namespace="test", code="tiers_lieux")
    monkeypatch.setenv("PMAE_LOAD_PLUGINS", "pmae-test-theme")
    reset_default_session()
    assert pmae.session().plugins.infos["pmae-test-theme"].status == "loaded"
    expected = [("ambiguous-territory", "error", "$.actors[1].territories[0]")]
    assert _issues(pmae.validate_file(path)) == expected
    assert _issues(pmae.validate_document(document)) == expected
    pythonpath = os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))
    assert _cli_validate(path, _env(PYTHONPATH=pythonpath,
                                    PMAE_LOAD_PLUGINS="pmae-test-theme")) == (1, expected)

    # The environment controls are the same both ways.
    monkeypatch.setenv("PMAE_DISABLE_PLUGINS", "pmae-test-theme")
    reset_default_session()
    assert _issues(pmae.validate_file(path)) == without
    assert _cli_validate(path, _env(PYTHONPATH=pythonpath, PMAE_LOAD_PLUGINS="pmae-test-theme",
                                    PMAE_DISABLE_PLUGINS="pmae-test-theme")) == (1, without)


# -- pmae's own tests stand alone: an unrelated installed plugin changes nothing ----------------

#: CLI tests whose outcome an installed plugin with a warning check would change.
SENSITIVE = ["tests/test_cli.py::test_validate_valid_file",
             "tests/test_cli.py::test_validate_reports_issues_in_text_and_json",
             "tests/test_cli.py::test_schema_and_vocab",
             "tests/test_session.py::test_load_bundle_raises_invalid_bundle_error"]


def test_an_unrelated_installed_plugin_does_not_change_pmaes_tests(
    plugin_distribution: Callable[..., Path], tmp_path: Path,
) -> None:
    folder = plugin_distribution(name="pmae-unrelated", namespace="extra", check=True)
    pythonpath = os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))
    env = _env(PYTHONPATH=pythonpath)
    path = tmp_path / "b.json"
    path.write_text(json.dumps(_document()), encoding="utf-8")
    # Outside the tests' fixtures, the plugin is installed and does change the answer...
    assert _cli_validate(path, env) == (0, [("extra:always", "warning", "$")])
    # ...but pmae's tests, run with it installed, still pass.
    root = Path(__file__).resolve().parents[1]
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          *SENSITIVE], cwd=root, env=env, capture_output=True, text=True,
                         check=False, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:]
    assert f"{len(SENSITIVE)} passed" in run.stdout
