"""Scope and dependencies of plugin items (issue 13, point 5): a region's themes add no zone
blanche to another region's coverage, and a questionnaire using a code no plugin defines is
refused when the plugins load."""

from __future__ import annotations

import copy
import warnings
from typing import Any

import pytest

from pmae.analysis.coverage import coverage
from pmae.plugins import (
    DiagnosticTool,
    PluginError,
    PluginManager,
    PluginWarning,
    Term,
    VocabularyExtension,
    hookimpl,
    make_plugin_manager,
)
from pmae.sample import load_sample
from pmae.sessions import Session

#: Two themes of an Occitanie-like network: 2 themes × 7 stages × 12 départements of the
#: Rhône-Alpes sample are the 168 zones blanches an unscoped plugin adds there.
OCCITANIE_THEMES = (
    Term(code="occitanie:tiers_lieux", label_fr="Tiers-lieux", label_en="Third places"),
    Term(code="occitanie:viticulture", label_fr="Associations viticoles",
         label_en="Wine-growing associations"),
)


def _occitanie(territories: tuple[str, ...]) -> type:
    def themes(self: object, register: Any) -> None:
        register(VocabularyExtension(vocabulary="themes", namespace="occitanie",
                                     terms=OCCITANIE_THEMES, territories=territories))

    return type("Occitanie", (), {"pmae_register_vocabularies": hookimpl(themes)})


def _gaps(plugins: list[object], **options: Any) -> int:
    session = Session(plugins=make_plugin_manager(entry_points=False, plugins=plugins))
    return len(coverage(load_sample(), session=session, **options).gaps())


def test_a_regions_themes_add_no_gap_to_another_regions_coverage() -> None:
    core = _gaps([])
    assert _gaps([_occitanie(())]) - core == 168  # unscoped: zones blanches everywhere
    assert _gaps([_occitanie(("reg:76",))]) - core == 0  # the sample is Auvergne-Rhône-Alpes
    # On Occitanie's own grid the themes are there, and nothing offers them yet.
    scoped = Session(plugins=make_plugin_manager(
        entry_points=False, plugins=[_occitanie(("reg:76",))]))
    grid = coverage(load_sample(), region="reg:76", session=scoped)
    assert {"occitanie:tiers_lieux", "occitanie:viticulture"} <= set(grid.themes)
    # A département of the region is in scope too, and themes asked for are kept.
    assert _gaps([_occitanie(("dep:31",))], region="reg:76") > _gaps([], region="reg:76")
    assert "occitanie:tiers_lieux" in coverage(
        load_sample(), session=scoped, themes=["occitanie:tiers_lieux"]).themes


def test_the_scope_is_on_the_terms_and_must_be_known() -> None:
    manager = make_plugin_manager(entry_points=False, plugins=[_occitanie(("reg:76",))])
    term = manager.vocabularies()["themes"].get("occitanie:tiers_lieux")
    assert term is not None and term.territories == ("reg:76",)
    with pytest.raises(ValueError, match="territory 'Occitanie' must be a territory code"):
        VocabularyExtension(vocabulary="themes", namespace="occitanie", terms=(),
                            territories=["Occitanie"])
    with pytest.warns(PluginWarning) as caught:
        manager = make_plugin_manager(entry_points=False, plugins=[_occitanie(("reg:99",))])
    assert manager.infos["Occitanie"].status == "failed"
    assert [str(w.message) for w in caught] == [
        "pmae plugin Occitanie was skipped: vocabulary extension themes+occitanie applies to "
        "'reg:99', which is not a known territory"]


# -- a questionnaire's codes must be defined by a loaded plugin -----------------------------------


def _questionnaire_plugin(theme: str) -> type:
    def tools(self: object, register: Any) -> None:
        core = make_plugin_manager(entry_points=False)
        data = copy.deepcopy(dict(core.diagnostic("diagnostic-partage").questionnaire))
        data["id"] = "benevolat-occitanie"
        data["dimensions"][0]["themes"] = [theme]
        register(DiagnosticTool(name="benevolat-occitanie", title="Bénévolat",
                                version=data["version"], questionnaire=data))

    return type("DiagOccitanie", (), {"pmae_register_diagnostics": hookimpl(tools)})


REASON = ("diagnostic tool 'benevolat-occitanie': its questionnaire uses a code no loaded plugin "
          "defines: $.dimensions[0].themes[0]: 'occitanie:tiers_lieu' is not a code of the "
          "vocabulary 'themes'")


def _load(plugins: list[object], strict: bool = False) -> tuple[PluginManager, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        manager = make_plugin_manager(entry_points=False, plugins=plugins, strict=strict)
    return manager, [str(w.message) for w in caught if issubclass(w.category, PluginWarning)]


def test_a_questionnaire_using_an_undefined_code_is_refused_at_load() -> None:
    manager, messages = _load([_questionnaire_plugin("occitanie:tiers_lieu"),
                               _occitanie(("reg:76",))])
    assert (manager.infos["DiagOccitanie"].status, manager.infos["DiagOccitanie"].reason) == (
        "failed", REASON)
    assert messages == [f"pmae plugin DiagOccitanie was skipped: {REASON}"]
    assert manager.infos["Occitanie"].status == "loaded"
    with pytest.raises(PluginError, match="its questionnaire uses a code no loaded plugin"):
        _load([_questionnaire_plugin("occitanie:tiers_lieu")], strict=True)


def test_a_questionnaire_using_another_plugins_code_loads_in_any_order() -> None:
    for plugins in ([_questionnaire_plugin("occitanie:tiers_lieux"), _occitanie(())],
                    [_occitanie(()), _questionnaire_plugin("occitanie:tiers_lieux")]):
        manager, messages = _load(plugins)
        assert messages == []
        assert manager.diagnostic("benevolat-occitanie").name == "benevolat-occitanie"
    # Without the plugin that defines the code, the questionnaire's plugin is refused.
    manager, _ = _load([_questionnaire_plugin("occitanie:tiers_lieux")])
    assert manager.infos["DiagOccitanie"].status == "failed"
    # A plugin registered later (as pmae.testing's pmae_register does) is checked at once.
    manager = make_plugin_manager(entry_points=False)
    with pytest.warns(PluginWarning, match="its questionnaire uses a code no loaded plugin"):
        info = manager.register(_questionnaire_plugin("occitanie:tiers_lieux"))
    assert info.status == "failed"
