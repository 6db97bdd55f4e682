"""Names of plugin items: the core's names cannot be shadowed, diagnostic tools may be
namespaced, misspelled plugin names in the environment are warned about, and a name nothing
provides says which plugin is not loaded (issue 13, point 3)."""

from __future__ import annotations

import copy
import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pmae.cli import cli
from pmae.io.pipeline import validate_file
from pmae.model import Bundle
from pmae.plugins import (
    DiagnosticTool,
    ExportContext,
    Exporter,
    Importer,
    ImportResult,
    PluginManager,
    PluginWarning,
    hookimpl,
    make_plugin_manager,
)
from pmae.plugins.names import not_loaded_hint, unknown_plugin_names
from pmae.plugins.registry import PluginInfo
from pmae.testing import RegisterHelper

ANSWERS = Path(__file__).resolve().parent / "data" / "answers" / "diagnostic-partage-fragile.json"


def _write_shadow(bundle: Bundle, stream: Any, context: ExportContext) -> None:
    stream.write(b"shadow")


def _read_nothing(path: Path, options: Any) -> ImportResult:
    return ImportResult(document=None)


def _reference_questionnaire(manager: PluginManager, **changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(dict(manager.diagnostic("diagnostic-partage").questionnaire))
    data.update(changes)
    return data


class Shadow:
    """Registers pmae's own names: the exporter ``json``, the importer ``csv`` and the
    reference tool ``diagnostic-partage``."""

    @hookimpl
    def pmae_register_exporters(self, register: Any) -> None:
        register(Exporter(name="json", title="Not pmae's JSON", export=_write_shadow))

    @hookimpl
    def pmae_register_importers(self, register: Any) -> None:
        register(Importer(name="csv", title="Not pmae's CSV", read=_read_nothing))

    @hookimpl
    def pmae_register_diagnostics(self, register: Any) -> None:
        core = make_plugin_manager(entry_points=False)
        data = _reference_questionnaire(core)
        register(DiagnosticTool(name="diagnostic-partage", title="Autre", version=data["version"],
                                questionnaire=data))


def _shadowing_manager() -> tuple[PluginManager, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        manager = make_plugin_manager(entry_points=False, plugins=[Shadow()])
    return manager, [str(w.message) for w in caught if issubclass(w.category, PluginWarning)]


def test_a_plugin_cannot_shadow_a_core_name() -> None:
    manager, messages = _shadowing_manager()
    core = make_plugin_manager(entry_points=False)

    assert manager.infos["Shadow"].status == "loaded"
    # The bare names stay pmae's own, the plugin's are reachable as <plugin>:<name>.
    assert manager.exporter("json") == core.exporter("json")
    assert manager.exporter("Shadow:json").title == "Not pmae's JSON"
    assert manager.importer("csv") == core.importer("csv")
    assert manager.importer("Shadow:csv").title == "Not pmae's CSV"
    assert manager.diagnostic("diagnostic-partage") == core.diagnostic("diagnostic-partage")
    assert manager.diagnostic("Shadow:diagnostic-partage").title == "Autre"
    assert messages == [
        "exporter 'json' of Shadow has the name of pmae's own exporter (json_bundle): 'json' "
        "stays pmae's; address this one as 'Shadow:json'",
        "importer 'csv' of Shadow has the name of pmae's own importer (csv_tables): 'csv' "
        "stays pmae's; address this one as 'Shadow:csv'",
        "diagnostic 'diagnostic-partage' of Shadow has the name of pmae's own diagnostic "
        "(reference_diagnostics): 'diagnostic-partage' stays pmae's; address this one as "
        "'Shadow:diagnostic-partage'",
    ]


def test_pmae_plugins_says_how_to_reach_a_shadowed_item() -> None:
    manager, _ = _shadowing_manager()
    runner = CliRunner()

    result = runner.invoke(cli, ["plugins", "--json"], obj=manager)
    assert result.exit_code == 0, result.output
    shadow = {info["name"]: info for info in json.loads(result.output)}["Shadow"]
    assert shadow["items"] == [
        {"kind": "exporter", "name": "json", "address": "Shadow:json",
         "bare_name": "json_bundle"},
        {"kind": "importer", "name": "csv", "address": "Shadow:csv", "bare_name": "csv_tables"},
        {"kind": "diagnostic", "name": "diagnostic-partage",
         "address": "Shadow:diagnostic-partage", "bare_name": "reference_diagnostics"},
    ]
    core = {info["name"]: info for info in json.loads(result.output)}["json_bundle"]
    assert {"kind": "exporter", "name": "json"} in core["items"]  # reached by its bare name

    text = runner.invoke(cli, ["plugins"], obj=manager).output.splitlines()
    start = text.index("Shadow (local) — loaded")
    assert text[start + 1:start + 4] == [
        "    exporter     json  → Shadow:json ('json' is pmae's own (json_bundle))",
        "    importer     csv  → Shadow:csv ('csv' is pmae's own (csv_tables))",
        "    diagnostic   diagnostic-partage  → Shadow:diagnostic-partage "
        "('diagnostic-partage' is pmae's own (reference_diagnostics))",
    ]


def test_two_outside_plugins_with_one_name_are_both_qualified(
        pmae_register: RegisterHelper, pmae_plugin_manager: PluginManager) -> None:
    def odt(self: object, register: Any) -> None:
        register(Exporter(name="odt", title="ODT", export=_write_shadow))

    pmae_register(type("A", (), {"pmae_register_exporters": hookimpl(odt)}), name="a")
    with pytest.warns(PluginWarning, match="is registered by a and b"):
        pmae_register(type("B", (), {"pmae_register_exporters": hookimpl(odt)}), name="b")
    [b_info] = [i for i in pmae_plugin_manager.listing() if i["name"] == "b"]
    assert b_info["items"] == [{"kind": "exporter", "name": "odt", "address": "b:odt",
                                "bare_name": None}]


# -- namespaced diagnostic tools ----------------------------------------------------------------


class Occitanie:
    """A diagnostic tool whose name is namespaced, as the diagnosis schema allows."""

    @hookimpl
    def pmae_register_diagnostics(self, register: Any) -> None:
        data = _reference_questionnaire(make_plugin_manager(entry_points=False),
                                        id="occitanie:gestion-benevoles")
        register(DiagnosticTool(name="occitanie:gestion-benevoles", title="Gestion des bénévoles",
                                version=data["version"], questionnaire=data))


def test_a_namespaced_diagnostic_tool_is_found_and_recorded(tmp_path: Path) -> None:
    manager = make_plugin_manager(entry_points=False, plugins=[Occitanie()])
    assert manager.infos["Occitanie"].status == "loaded"
    tool = manager.diagnostic("occitanie:gestion-benevoles")
    assert manager.diagnostic("Occitanie:occitanie:gestion-benevoles") is tool

    runner = CliRunner()
    listed = json.loads(runner.invoke(cli, ["diagnose", "--list", "--format", "json"],
                                      obj=manager).output)
    assert "occitanie:gestion-benevoles" in [row["name"] for row in listed]
    bundle = tmp_path / "sample.json"
    assert runner.invoke(cli, ["sample", "-o", str(bundle)]).exit_code == 0
    result = runner.invoke(cli, [
        "diagnose", "occitanie:gestion-benevoles", "--answers", str(ANSWERS), "--bundle",
        str(bundle), "--association", "pmae-ra:asso-001", "--date", "2025-06-02"], obj=manager)
    assert result.exit_code == 0, result.output
    report = validate_file(bundle)
    assert [i for i in report.issues if i.severity == "error"] == []
    assert report.bundle is not None
    assert report.bundle.diagnoses[-1].tool == "occitanie:gestion-benevoles"


def test_a_tool_name_must_still_be_well_formed() -> None:
    with pytest.raises(ValueError, match="optionally namespaced"):
        DiagnosticTool(name="Occitanie:Gestion", title="x", version="1", questionnaire={})


# -- plugins that are not loaded ----------------------------------------------------------------


def _info(name: str, status: Any, reason: str | None) -> PluginInfo:
    return PluginInfo(name=name, distribution=name, version="1.0", builtin=False, status=status,
                      reason=reason)


def test_a_missing_item_names_the_disabled_plugin_that_provides_it() -> None:
    manager = make_plugin_manager(entry_points=False)
    manager.block("pmae-hsds", "in PMAE_DISABLE_PLUGINS", distribution="pmae-hsds")
    with pytest.raises(KeyError) as raised:
        manager.exporter("hsds")
    assert raised.value.args[0] == (
        "no exporter named 'hsds'; known: csv, csv-zip, json, jsonl, sqlite, xlsx; the plugin "
        "pmae-hsds, which is not loaded, probably provides it: remove pmae-hsds from "
        "PMAE_DISABLE_PLUGINS to load it")
    with pytest.raises(KeyError) as raised:
        manager.exporter("pmae-hsds:hsds")
    assert raised.value.args[0].endswith(
        "; the plugin pmae-hsds is not loaded: remove pmae-hsds from PMAE_DISABLE_PLUGINS to "
        "load it")


def test_the_hint_for_each_reason_a_plugin_is_not_loaded() -> None:
    allowed = _info("pmae-ical", "blocked", "not in PMAE_LOAD_PLUGINS")
    failed = _info("pmae-ical", "failed", "cannot be imported: ImportError: x")
    assert not_loaded_hint("ical", [allowed]) == (
        "; the plugin pmae-ical, which is not loaded, probably provides it: add pmae-ical to "
        "PMAE_LOAD_PLUGINS to load it")
    assert not_loaded_hint("ical", [failed]) == (
        "; the plugin pmae-ical, which is not loaded, probably provides it: it failed to load "
        "(cannot be imported: ImportError: x); see `pmae plugins`")
    # Not a likely provider: every plugin that is not loaded is listed.
    assert not_loaded_hint("ods", [allowed]) == (
        "; plugins not loaded, which may provide it: pmae-ical (not in PMAE_LOAD_PLUGINS)")
    assert not_loaded_hint("ods", [_info("x", "loaded", None)]) == ""


def test_a_misspelled_plugin_name_in_the_environment_is_warned_about() -> None:
    installed = {"pmae-hsds", "pmae-ical"}
    assert unknown_plugin_names("PMAE_DISABLE_PLUGINS", ["pmae-hdsd", "pmae-ical"], installed,
                                {"json_bundle"}) == [
        "PMAE_DISABLE_PLUGINS names 'pmae-hdsd', which is not an installed plugin: did you mean "
        "'pmae-hsds'? (installed plugins: pmae-hsds, pmae-ical)"]
    assert unknown_plugin_names("PMAE_LOAD_PLUGINS", ["zzz"], installed, set()) == [
        "PMAE_LOAD_PLUGINS names 'zzz', which is not an installed plugin: (installed plugins: "
        "pmae-hsds, pmae-ical)"]
    assert unknown_plugin_names("PMAE_DISABLE_PLUGINS", ["json_bundle"], installed,
                                {"json_bundle"}) == [
        "PMAE_DISABLE_PLUGINS names 'json_bundle', one of pmae's built-in plugins: they are "
        "always loaded"]


def test_the_environment_lists_are_checked_against_installed_plugins(
        plugin_distribution: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    plugin_distribution(name="pmae-extra")
    monkeypatch.setenv("PMAE_LOAD_PLUGINS", "pmae-extra,pmae-exta")
    monkeypatch.setenv("PMAE_DISABLE_PLUGINS", "pmae-extra")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        manager = make_plugin_manager()
    messages = [str(w.message) for w in caught if issubclass(w.category, PluginWarning)]
    assert len(messages) == 1
    assert messages[0].startswith("PMAE_LOAD_PLUGINS names 'pmae-exta', which is not an "
                                  "installed plugin: did you mean 'pmae-extra'? (installed "
                                  "plugins: ")
    assert manager.infos["pmae-extra"].reason == "in PMAE_DISABLE_PLUGINS"


def test_the_arguments_are_named_for_what_they_are(plugin_distribution: Any) -> None:
    plugin_distribution(name="pmae-extra")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make_plugin_manager(load=["pmae-extra"], disable=["pmae-extr"])
    [message] = [str(w.message) for w in caught if issubclass(w.category, PluginWarning)]
    assert message.startswith("disable= names 'pmae-extr', which is not an installed plugin: "
                              "did you mean 'pmae-extra'?")
