"""The plugin system: every hook, isolation of broken plugins, control, clashes, real entry points.

In-test plugins are plain classes registered on a fresh manager per test (``pmae_register``,
from :mod:`pmae.testing`); the installed distribution ``plugins/pmae-broken`` is exercised for
real through the ``pmae`` command, in subprocesses, so environment variables are read fresh.
"""

from __future__ import annotations

import copy
import importlib.metadata
import inspect
import json
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from pmae.exchange import export_bundle
from pmae.io.bundles import bundle_to_data
from pmae.io.checks import CheckContext
from pmae.io.pipeline import validate_document
from pmae.issues import ISSUE_TYPES, Issue
from pmae.model import Bundle
from pmae.plugins import (
    AmbiguousNameError,
    Check,
    DiagnosticTool,
    ExportContext,
    Exporter,
    Importer,
    ImportResult,
    InvalidItemError,
    PluginError,
    PluginManager,
    PluginWarning,
    TerritoryReferential,
    VocabularyExtension,
    hookimpl,
    hookspecs,
    make_plugin_manager,
)
from pmae.plugins.hookspecs import HOOKS as HOOK_TABLE
from pmae.testing import RegisterHelper
from pmae.vocab import Term

HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("pmae_"))
KNOWN_HOOKS = ("pmae_register_exporters, pmae_register_importers, pmae_register_diagnostics, "
               "pmae_register_vocabularies, pmae_register_territories, pmae_register_checks")


def test_plugin_hooks_have_tests() -> None:
    """Every hook has a ``test_hook_<name>`` here (datasette's rule): a new hook needs a test."""
    assert HOOKS == [
        "pmae_register_checks", "pmae_register_diagnostics", "pmae_register_exporters",
        "pmae_register_importers", "pmae_register_territories", "pmae_register_vocabularies",
    ]
    tested = {name.removeprefix("test_hook_") for name, value in globals().items()
              if name.startswith("test_hook_") and callable(value)}
    assert sorted(set(HOOKS) - tested) == []


def test_the_table_of_hooks_is_read_from_their_signatures() -> None:
    from pmae.vocab import Vocabulary

    assert {name: (hook.types, hook.kind) for name, hook in HOOK_TABLE.items()} == {
        "pmae_register_exporters": ((Exporter,), "exporter"),
        "pmae_register_importers": ((Importer,), "importer"),
        "pmae_register_diagnostics": ((DiagnosticTool,), "diagnostic"),
        "pmae_register_vocabularies": ((Vocabulary, VocabularyExtension), "vocabulary"),
        "pmae_register_territories": ((TerritoryReferential,), "territories"),
        "pmae_register_checks": ((Check,), "check"),
    }
    assert list(HOOK_TABLE) == KNOWN_HOOKS.split(", ")


@pytest.mark.parametrize(("build", "message"), [
    (lambda: _exporter("Bad Name!"),
     "Exporter name 'Bad Name!' must be lower-case letters, digits, - or _"),
    (lambda: Exporter(name="x", title="", export=_write_ids), "Exporter 'x': needs a title"),
    (lambda: Exporter(name="x", title="X", export=_write_ids, target="folder"),  # type: ignore[arg-type]
     "Exporter 'x': target must be 'file' or 'directory'"),
    (lambda: Exporter(name="x", title="X", export=_write_ids, suffix="ics"),
     "Exporter 'x': suffix must look like '.ics'"),
    (lambda: DiagnosticTool(name="auto-diag", title="A", version="2.0", questionnaire=AUTO_DIAG),
     "DiagnosticTool 'auto-diag': version '2.0' is not its questionnaire's version '1.0'"),
    (lambda: DiagnosticTool(name="auto-diag", title="A", version="1.0", questionnaire=AUTO_DIAG,
                            score="not callable"),  # type: ignore[arg-type]
     "DiagnosticTool 'auto-diag': score must be callable"),
    (lambda: TerritoryReferential(name="t", title="T", level="epci", entries=(
        ("com:1", "Un", ()),)),
     "TerritoryReferential 't': each entry is (code, name, parents) with a code 'epci:…'; "
     "got ('com:1', 'Un', ())"),
    (lambda: VocabularyExtension(vocabulary="themes", namespace="Bad", terms=()),
     "vocabulary extension: bad namespace 'Bad'"),
])
def test_items_check_themselves_when_built(build: Callable[[], object], message: str) -> None:
    with pytest.raises(InvalidItemError) as raised:
        build()
    assert str(raised.value) == message


def _warnings_of(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, PluginWarning)]


@pytest.fixture
def plugin_warnings() -> Iterator[list[warnings.WarningMessage]]:
    """Every warning emitted in the test, each one recorded (no de-duplication)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


def _write_ids(bundle: Bundle, stream: IO[bytes], context: ExportContext) -> None:
    """A deterministic exporter: the ids, one a line."""
    for _, record in bundle.records():
        stream.write(f"{record.id}\n".encode())


def _exporter(name: str) -> Exporter:
    return Exporter(name=name, title=f"Exporter {name}", export=_write_ids, suffix=".txt")


def _hook_test(register_helper: RegisterHelper, manager: PluginManager,
               plugin_warnings: list[warnings.WarningMessage], hook: str,
               valid: object, invalid: Callable[[], object], reason: str) -> None:
    """Register ``valid`` then ``invalid()`` through ``hook`` from two in-test plugins.

    Items check themselves when built, so the invalid one is built inside the plugin's hook:
    the error is the plugin's, as when a real plugin builds a bad item.
    """

    def plugin_class(name: str, item: object) -> type:
        def implementation(self: object, register: Callable[[object], None]) -> None:
            register(item() if callable(item) else item)

        return type(name, (), {hook: hookimpl(implementation)})

    info = register_helper(plugin_class("GoodPlugin", valid))
    assert (info.status, info.reason, info.hooks) == ("loaded", None, (hook,))
    mine = [r for r in manager.registered(hook) if r.plugin == "GoodPlugin"]
    assert [r.item for r in mine] == [valid]
    assert mine[0].qualified_name == f"GoodPlugin:{mine[0].name}"
    assert info.items == ((HOOK_TABLE[hook].kind, mine[0].name),)

    before = manager.registered(hook)
    info = register_helper(plugin_class("BadPlugin", invalid))
    assert (info.status, info.reason, info.items) == (
        "failed", f"{hook} failed: InvalidItemError: {reason}", ())
    assert manager.registered(hook) == before
    assert _warnings_of(plugin_warnings) == [
        f"pmae plugin BadPlugin was skipped: {hook} failed: InvalidItemError: {reason}"]


def test_hook_pmae_register_exporters(
    pmae_register: RegisterHelper, pmae_plugin_manager: PluginManager,
    plugin_warnings: list[warnings.WarningMessage],
) -> None:
    valid = _exporter("ids")
    _hook_test(pmae_register, pmae_plugin_manager, plugin_warnings, "pmae_register_exporters",
               valid, lambda: _exporter("Bad Name!"),
               "Exporter name 'Bad Name!' must be lower-case letters, digits, - or _")
    assert pmae_plugin_manager.exporter("ids") is valid
    assert pmae_plugin_manager.exporter("GoodPlugin:ids") is valid
    assert pmae_plugin_manager.infos["GoodPlugin"].items == (("exporter", "ids"),)


def _read_nothing(path: Path, options: Any) -> ImportResult:
    return ImportResult(document=None)


def test_hook_pmae_register_importers(
    pmae_register: RegisterHelper, pmae_plugin_manager: PluginManager,
    plugin_warnings: list[warnings.WarningMessage],
) -> None:
    valid = Importer(name="tsv", title="Tab-separated", read=_read_nothing)
    def invalid() -> Importer:
        return Importer(name="tsv", title="Tab-separated", read="not a function")  # type: ignore[arg-type]

    _hook_test(pmae_register, pmae_plugin_manager, plugin_warnings, "pmae_register_importers",
               valid, invalid, "Importer 'tsv': read must be callable")
    assert pmae_plugin_manager.importer("GoodPlugin:tsv") is valid
    assert pmae_plugin_manager.infos["GoodPlugin"].items == (("importer", "tsv"),)


#: The smallest valid questionnaire: a scale, levels, one dimension of one question.
AUTO_DIAG = {
    "id": "auto-diag", "version": "1.0",
    "title": {"fr": "Auto-diagnostic", "en": "Self-diagnosis"},
    "scale": [{"value": 0, "label": {"fr": "Non"}}, {"value": 3, "label": {"fr": "Oui"}}],
    "scoring": {"levels": [{"code": "fragile", "label": {"fr": "Fragile"}, "below": 50},
                           {"code": "solide", "label": {"fr": "Solide"}}]},
    "dimensions": [{"id": "E1", "title": {"fr": "Emploi"}, "themes": ["projet_emploi"],
                    "questions": [{"id": "E1.1", "text": {"fr": "Le poste est-il financé ?"}}]}],
}


def test_hook_pmae_register_diagnostics(
    pmae_register: RegisterHelper, pmae_plugin_manager: PluginManager,
    plugin_warnings: list[warnings.WarningMessage],
) -> None:
    valid = DiagnosticTool(name="auto-diag", title="Auto-diagnostic", version="1.0",
                           questionnaire=AUTO_DIAG)
    def invalid() -> DiagnosticTool:
        return DiagnosticTool(name="auto-diag", title="Auto-diagnostic", version="1.0",
                              questionnaire=["not", "a", "mapping"])  # type: ignore[arg-type]

    _hook_test(pmae_register, pmae_plugin_manager, plugin_warnings, "pmae_register_diagnostics",
               valid, invalid, "DiagnosticTool 'auto-diag': questionnaire must be a mapping")
    assert pmae_plugin_manager.diagnostic("auto-diag") is valid
    assert pmae_plugin_manager.infos["GoodPlugin"].items == (("diagnostic", "auto-diag"),)


TIERS_LIEUX = Term(code="occitanie:tiers_lieux", label_fr="Tiers-lieux", label_en="Third places")


def test_hook_pmae_register_vocabularies(
    pmae_register: RegisterHelper, pmae_plugin_manager: PluginManager,
    plugin_warnings: list[warnings.WarningMessage],
) -> None:
    valid = VocabularyExtension(vocabulary="themes", namespace="occitanie", terms=(TIERS_LIEUX,))
    def invalid() -> VocabularyExtension:
        return VocabularyExtension(vocabulary="themes", namespace="occitanie", terms=(
            Term(code="tiers_lieux", label_fr="Tiers-lieux", label_en="Third places"),))

    _hook_test(pmae_register, pmae_plugin_manager, plugin_warnings, "pmae_register_vocabularies",
               valid, invalid,
               "vocabulary extension: code 'tiers_lieux' must be namespaced as "
               "'occitanie:<code>'")
    assert pmae_plugin_manager.infos["GoodPlugin"].items == (("vocabulary", "themes+occitanie"),)
    themes = pmae_plugin_manager.vocabularies()["themes"]
    assert themes.codes()[-1] == "occitanie:tiers_lieux"
    assert themes.label("occitanie:tiers_lieux", "en") == "Third places"


# A fictional EPCI: the real ones (epci:200046977, the Métropole de Lyon) are core territories.
LYON = "epci:200000009"
METROPOLE = TerritoryReferential(name="epci-rhone", title="EPCI du Rhône", level="epci",
                                 entries=((LYON, "EPCI fictif du Rhône", ("dep:69",)),))
COMMUNES = TerritoryReferential(name="communes-epci", title="Communes et EPCI", level="com",
                                entries=(("com:69123", "Lyon", (LYON,)),))


def test_hook_pmae_register_territories(
    pmae_register: RegisterHelper, pmae_plugin_manager: PluginManager,
    plugin_warnings: list[warnings.WarningMessage],
) -> None:
    def invalid() -> TerritoryReferential:
        return TerritoryReferential(name="epci-rhone", title="EPCI", level="EPCI", entries=())

    _hook_test(pmae_register, pmae_plugin_manager, plugin_warnings, "pmae_register_territories",
               METROPOLE, invalid, "TerritoryReferential 'epci-rhone': bad level 'EPCI'")
    assert pmae_plugin_manager.infos["GoodPlugin"].items == (("territories", "epci-rhone"),)
    territories = pmae_plugin_manager.territories()
    assert territories.name(LYON) == "EPCI fictif du Rhône"
    assert territories.contains("reg:84", LYON)


def _no_issues(bundle: Bundle, context: CheckContext) -> list[Issue]:
    return []


def test_hook_pmae_register_checks(
    pmae_register: RegisterHelper, pmae_plugin_manager: PluginManager,
    plugin_warnings: list[warnings.WarningMessage],
) -> None:
    valid = Check(name="siret", title="SIRET present", check=_no_issues,
                  codes=("occitanie:missing-siret",))
    def invalid() -> Check:
        return Check(name="siret", title="SIRET present", check=_no_issues,
                     codes=("missing-siret",))

    _hook_test(pmae_register, pmae_plugin_manager, plugin_warnings, "pmae_register_checks",
               valid, invalid,
               "Check 'siret': issue code 'missing-siret' must be namespaced, "
               "e.g. 'occitanie:missing-siret'")
    assert [r.qualified_name for r in pmae_plugin_manager.checks()] == ["GoodPlugin:siret"]


def test_register_refuses_an_item_of_another_hook(pmae_register: RegisterHelper,
                                                  plugin_warnings: list[Any]) -> None:
    class Confused:
        @hookimpl
        def pmae_register_exporters(self, register: Callable[[object], None]) -> None:
            register(Check(name="c", title="C", check=_no_issues))

    info = pmae_register(Confused)
    assert info.reason == ("pmae_register_exporters failed: InvalidItemError: register() takes "
                           "a pmae.plugins.Exporter, got Check")


# -- isolation ---------------------------------------------------------------------------------


def _exporting_plugin(plugin: str, name: str, *, fail: bool = False) -> type:
    def implementation(self: object, register: Callable[[Exporter], None]) -> None:
        register(_exporter(name))
        if fail:
            raise RuntimeError(f"{plugin} is broken")

    return type(plugin, (), {"pmae_register_exporters": hookimpl(implementation)})


def _export_all(manager: PluginManager, bundle: Bundle, folder: Path) -> dict[str, bytes]:
    folder.mkdir()
    outputs = {}
    for registered in manager.exporters():
        if registered.plugin in ("Alpha", "Gamma"):
            path = folder / f"{registered.name}.txt"
            export_bundle(bundle, registered.qualified_name, path, manager=manager)
            outputs[registered.qualified_name] = path.read_bytes()
    return outputs


def test_a_broken_plugin_loses_nothing_of_the_others(
    pmae_small_bundle: Bundle, tmp_path: Path, plugin_warnings: list[warnings.WarningMessage],
) -> None:
    alpha = _exporting_plugin("Alpha", "alpha")
    gamma = _exporting_plugin("Gamma", "gamma")
    beta = _exporting_plugin("Beta", "beta", fail=True)

    clean = make_plugin_manager(entry_points=False, strict=False, plugins=[alpha(), gamma()])
    assert _warnings_of(plugin_warnings) == []
    broken = make_plugin_manager(entry_points=False, strict=False,
                                 plugins=[alpha(), beta(), gamma()])

    reason = "pmae_register_exporters failed: RuntimeError: Beta is broken"
    assert [(i.name, i.status, i.reason) for i in broken.infos.values() if not i.builtin] == [
        ("Alpha", "loaded", None), ("Beta", "failed", reason), ("Gamma", "loaded", None)]
    assert _warnings_of(plugin_warnings) == [f"pmae plugin Beta was skipped: {reason}"]
    # pluggy's call order: the plugin registered last comes first.
    assert [r.qualified_name for r in broken.exporters() if r.plugin in ("Alpha", "Beta", "Gamma")
            ] == ["Gamma:gamma", "Alpha:alpha"]

    expected = _export_all(clean, pmae_small_bundle, tmp_path / "clean")
    assert sorted(expected) == ["Alpha:alpha", "Gamma:gamma"]
    assert expected["Alpha:alpha"].startswith(b"essai:reseau\nessai:dla69\n")
    assert _export_all(broken, pmae_small_bundle, tmp_path / "broken") == expected


def test_a_plugin_that_raises_after_registering_keeps_none_of_its_items(
    pmae_register: RegisterHelper, pmae_plugin_manager: PluginManager,
    plugin_warnings: list[Any],
) -> None:
    class HalfDone:
        @hookimpl
        def pmae_register_exporters(self, register: Callable[[Exporter], None]) -> None:
            register(_exporter("half"))

        @hookimpl
        def pmae_register_checks(self, register: Callable[[Check], None]) -> None:
            raise ValueError("no checks today")

    info = pmae_register(HalfDone)
    assert (info.status, info.reason, info.hooks, info.items) == (
        "failed", "pmae_register_checks failed: ValueError: no checks today", (), ())
    assert [r.plugin for r in pmae_plugin_manager.exporters() if r.plugin == "HalfDone"] == []
    with pytest.raises(KeyError, match="no exporter named 'half'"):
        pmae_plugin_manager.exporter("half")


# -- pluggy's order: tryfirst, trylast, most recent first; wrappers ---------------------------


def _ordered_plugin(plugin: str, **order: bool) -> type:
    def implementation(self: object, register: Callable[[Exporter], None]) -> None:
        register(_exporter(plugin.lower()))

    return type(plugin, (), {"pmae_register_exporters": hookimpl(implementation, **order)})


def _order(manager: PluginManager) -> list[str]:
    return [r.plugin for r in manager.exporters() if r.plugin in ("Early", "Plain", "Late")]


def test_items_follow_pluggy_call_order_most_recent_plugin_first() -> None:
    manager = make_plugin_manager(entry_points=False, plugins=[
        _ordered_plugin("Early")(), _ordered_plugin("Plain")(), _ordered_plugin("Late")()])
    assert _order(manager) == ["Late", "Plain", "Early"]
    # pmae's built-ins are registered first, so they come last.
    assert [r.plugin for r in manager.exporters()][-3:] == [
        "csv_tables", "json_bundle", "json_bundle"]


def test_tryfirst_puts_a_plugins_items_first() -> None:
    manager = make_plugin_manager(entry_points=False, plugins=[
        _ordered_plugin("Early", tryfirst=True)(), _ordered_plugin("Plain")(),
        _ordered_plugin("Late")()])
    assert _order(manager) == ["Early", "Late", "Plain"]
    assert manager.exporters()[0].qualified_name == "Early:early"


def test_trylast_puts_a_plugins_items_last() -> None:
    manager = make_plugin_manager(entry_points=False, plugins=[
        _ordered_plugin("Early")(), _ordered_plugin("Plain")(),
        _ordered_plugin("Late", trylast=True)()])
    assert _order(manager) == ["Plain", "Early", "Late"]
    assert manager.exporters()[-1].qualified_name == "Late:late"  # after the built-ins too


def test_a_wrapper_runs_around_its_plugins_implementations(pmae_register: RegisterHelper,
                                                           pmae_plugin_manager: PluginManager,
                                                           ) -> None:
    class Wrapped:
        @hookimpl(wrapper=True)
        def pmae_register_exporters(self, register: Callable[[Exporter], None]) -> Any:
            register(_exporter("before"))
            result = yield
            register(_exporter("after"))
            return result

    class Plain:
        @hookimpl
        def pmae_register_exporters(self, register: Callable[[Exporter], None]) -> None:
            register(_exporter("inside"))

    info = pmae_register(type("Both", (Wrapped, Plain), {
        "pmae_register_exporters": Wrapped.pmae_register_exporters,
        "inner": hookimpl(specname="pmae_register_exporters")(
            Plain.pmae_register_exporters)}))
    assert (info.status, info.items) == ("loaded", (
        ("exporter", "before"), ("exporter", "inside"), ("exporter", "after")))


def test_a_raising_wrapper_fails_its_plugin_alone(pmae_register: RegisterHelper,
                                                  pmae_plugin_manager: PluginManager,
                                                  plugin_warnings: list[Any]) -> None:
    class Broken:
        @hookimpl(wrapper=True)
        def pmae_register_exporters(self, register: Callable[[Exporter], None]) -> Any:
            register(_exporter("broken"))
            yield
            raise RuntimeError("teardown")

    assert pmae_register(_ordered_plugin("Plain")).status == "loaded"
    info = pmae_register(Broken)
    assert (info.status, info.reason) == (
        "failed", "pmae_register_exporters failed: RuntimeError: teardown")
    assert [r.name for r in pmae_plugin_manager.exporters()][:1] == ["plain"]
    assert "broken" not in {r.name for r in pmae_plugin_manager.exporters()}


# -- hooks pmae does not know, arguments it does not give, strict mode -------------------------


class Misspelled:
    @hookimpl
    def pmae_register_exporterz(self, register: Callable[[Exporter], None]) -> None:
        register(_exporter("typo"))


def test_a_misspelled_hook_fails_the_plugin_listing_the_known_hooks(
    pmae_register: RegisterHelper, pmae_plugin_manager: PluginManager,
    plugin_warnings: list[Any],
) -> None:
    info = pmae_register(Misspelled)
    assert (info.status, info.reason) == ("failed", (
        "cannot register: implements pmae_register_exporterz, a hook this pmae does not know "
        f"(known hooks: {KNOWN_HOOKS})"))
    assert "typo" not in {r.name for r in pmae_plugin_manager.exporters()}


def test_an_argument_the_hook_does_not_give_fails_the_plugin(
    pmae_register: RegisterHelper, plugin_warnings: list[Any],
) -> None:
    class Greedy:
        @hookimpl
        def pmae_register_exporters(self, register: Callable[[Exporter], None],
                                    manager: object) -> None:
            register(_exporter("greedy"))

    info = pmae_register(Greedy)
    assert info.status == "failed"
    assert info.reason is not None
    assert info.reason.startswith("cannot register: Plugin 'Greedy' for hook "
                                  "'pmae_register_exporters'")
    assert info.reason.endswith(
        "Argument(s) {'manager'} are declared in the hookimpl but can not be found in the "
        "hookspec")


def test_an_implementation_may_take_fewer_arguments_than_the_spec(
    pmae_register: RegisterHelper, pmae_plugin_manager: PluginManager,
) -> None:
    """pluggy's rule, which lets pmae add hook arguments later without breaking plugins."""

    class Lazy:
        called = False

        @hookimpl
        def pmae_register_checks(self) -> None:
            Lazy.called = True

    info = pmae_register(Lazy)
    assert (info.status, info.hooks, info.items, Lazy.called) == (
        "loaded", ("pmae_register_checks",), (), True)


def test_strict_mode_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    message = ("pmae plugin Misspelled was skipped: cannot register: implements "
               f"pmae_register_exporterz, a hook this pmae does not know (known hooks: "
               f"{KNOWN_HOOKS})")
    with pytest.raises(PluginError) as raised:
        make_plugin_manager(entry_points=False, strict=True, plugins=[Misspelled()])
    assert str(raised.value) == message

    monkeypatch.setenv("PMAE_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError) as raised:
        make_plugin_manager(entry_points=False, plugins=[Misspelled()])
    assert str(raised.value) == message

    monkeypatch.setenv("PMAE_STRICT_PLUGINS", "0")
    with pytest.warns(PluginWarning, match="^pmae plugin Misspelled was skipped"):
        manager = make_plugin_manager(entry_points=False, plugins=[Misspelled()])
    assert manager.infos["Misspelled"].status == "failed"


# -- name clashes ------------------------------------------------------------------------------


def test_two_plugins_registering_the_same_name(
    pmae_register: RegisterHelper, pmae_plugin_manager: PluginManager,
    pmae_small_bundle: Bundle, tmp_path: Path, plugin_warnings: list[Any],
) -> None:
    first, second = _exporter("csv2"), Exporter(name="csv2", title="Other", export=_write_ids)
    pmae_register(type("A", (), {"pmae_register_exporters": hookimpl(
        lambda self, register: register(first))}), name="a")
    assert _warnings_of(plugin_warnings) == []
    info = pmae_register(type("B", (), {"pmae_register_exporters": hookimpl(
        lambda self, register: register(second))}), name="b")

    assert info.status == "loaded"  # a clash is a warning, not a failure
    assert _warnings_of(plugin_warnings) == [
        "exporter 'csv2' is registered by a and b: address it as '<plugin>:csv2'"]
    with pytest.raises(AmbiguousNameError) as raised:
        pmae_plugin_manager.exporter("csv2")
    assert str(raised.value) == (
        "exporter 'csv2' is registered by several plugins: use a:csv2 or b:csv2")
    assert pmae_plugin_manager.exporter("a:csv2") is first
    assert pmae_plugin_manager.exporter("b:csv2") is second
    with pytest.raises(AmbiguousNameError):
        export_bundle(pmae_small_bundle, "csv2", tmp_path / "out.txt",
                      manager=pmae_plugin_manager)
    assert not (tmp_path / "out.txt").exists()
    export_bundle(pmae_small_bundle, "b:csv2", tmp_path / "out.txt", manager=pmae_plugin_manager)
    assert (tmp_path / "out.txt").read_bytes().startswith(b"essai:reseau\n")


# -- vocabularies, territories, checks in validation -------------------------------------------


def _vocabulary_plugin(extension: VocabularyExtension | Callable[[], VocabularyExtension],
                       ) -> type:
    """A plugin registering ``extension`` (built in its hook when given as a function)."""
    return type("Occitanie", (), {"pmae_register_vocabularies": hookimpl(
        lambda self, register: register(extension() if callable(extension) else extension))})


def _document(bundle: Bundle) -> dict[str, Any]:
    return copy.deepcopy(bundle_to_data(bundle))


def test_a_namespaced_theme_becomes_valid_in_bundles(
    pmae_register: RegisterHelper, pmae_plugin_manager: PluginManager,
    pmae_small_bundle: Bundle,
) -> None:
    document = _document(pmae_small_bundle)
    document["offers"][0]["themes"] = ["occitanie:tiers_lieux"]
    without = validate_document(document, context=pmae_plugin_manager.check_context())
    assert [(i.code, i.path) for i in without.issues] == [
        ("unknown-code", "$.offers[0].themes[0]")]

    info = pmae_register(_vocabulary_plugin(VocabularyExtension(
        vocabulary="themes", namespace="occitanie", terms=(TIERS_LIEUX,))))
    assert info.status == "loaded"
    report = validate_document(document, context=pmae_plugin_manager.check_context())
    assert report.issues == []
    assert report.bundle is not None
    assert report.bundle.offers[0].themes == ("occitanie:tiers_lieux",)


@pytest.mark.parametrize(("extension", "reason"), [
    (lambda: VocabularyExtension(vocabulary="stages", namespace="occitanie", terms=(
        Term(code="occitanie:suivi", label_fr="Suivi", label_en="Follow-up"),)),
     "vocabulary 'stages' is closed and cannot be extended"),
    (lambda: VocabularyExtension(vocabulary="themes", namespace="occitanie", terms=(
        Term(code="tiers_lieux", label_fr="Tiers-lieux", label_en="Third places"),)),
     "pmae_register_vocabularies failed: InvalidItemError: vocabulary extension: code "
     "'tiers_lieux' must be namespaced as 'occitanie:<code>'"),
    (lambda: VocabularyExtension(vocabulary="themes", namespace="occitanie", terms=(
        Term(code="bretagne:tiers_lieux", label_fr="Tiers-lieux", label_en="Third places"),)),
     "pmae_register_vocabularies failed: InvalidItemError: vocabulary extension: code "
     "'bretagne:tiers_lieux' must be namespaced as 'occitanie:<code>'"),
    (lambda: VocabularyExtension(vocabulary="nope", namespace="occitanie", terms=(TIERS_LIEUX,)),
     "no vocabulary 'nope' to extend"),
])
def test_a_bad_vocabulary_extension_fails_the_plugin(
    pmae_register: RegisterHelper, pmae_plugin_manager: PluginManager,
    plugin_warnings: list[Any], extension: Callable[[], VocabularyExtension], reason: str,
) -> None:
    before = pmae_plugin_manager.vocabularies()
    info = pmae_register(_vocabulary_plugin(extension))
    assert (info.status, info.reason) == ("failed", reason)
    assert _warnings_of(plugin_warnings) == [f"pmae plugin Occitanie was skipped: {reason}"]
    assert pmae_plugin_manager.vocabularies() == before


def test_a_territory_referential_adds_an_epci_containing_lyon(
    pmae_register: RegisterHelper, pmae_plugin_manager: PluginManager,
    pmae_small_bundle: Bundle,
) -> None:
    document = _document(pmae_small_bundle)
    document["offers"][0]["territories"] = [LYON]
    without = validate_document(document, context=pmae_plugin_manager.check_context())
    assert [(i.code, i.path) for i in without.issues] == [
        ("unknown-territory", "$.offers[0].territories[0]")]

    class Epci:
        @hookimpl
        def pmae_register_territories(
            self, register: Callable[[TerritoryReferential], None],
        ) -> None:
            register(METROPOLE)
            register(COMMUNES)  # after the EPCI: parents must already exist

    info = pmae_register(Epci)
    assert info.items == (("territories", "epci-rhone"), ("territories", "communes-epci"))
    territories = pmae_plugin_manager.territories()
    assert territories.contains(LYON, "com:69123")
    assert territories.contains("dep:69", LYON)
    assert not territories.contains(LYON, "com:69266")  # Villeurbanne was not listed
    assert territories.name("com:69123") == "Lyon"
    assert validate_document(document, context=pmae_plugin_manager.check_context()).issues == []


def test_a_referential_with_an_unknown_parent_fails_the_plugin(
    pmae_register: RegisterHelper, plugin_warnings: list[Any],
) -> None:
    class Orphans:
        @hookimpl
        def pmae_register_territories(
            self, register: Callable[[TerritoryReferential], None],
        ) -> None:
            register(COMMUNES)  # its parent EPCI was never registered

    info = pmae_register(Orphans)
    assert (info.status, info.reason) == (
        "failed", "parent 'epci:200000009' of 'com:69123' is not a known territory")


def _missing_siret(bundle: Bundle, context: CheckContext) -> list[Issue]:
    return [Issue(code="occitanie:missing-siret", severity="warning",
                  path=f"$.actors[{index}].siret", message=f"{actor.name} has no SIRET")
            for index, actor in enumerate(bundle.actors) if actor.siret is None]


def _raising(bundle: Bundle, context: CheckContext) -> list[Issue]:
    raise ZeroDivisionError("division by zero")


def test_plugin_checks_run_in_validation_and_a_raising_check_is_a_warning(
    pmae_register: RegisterHelper, pmae_plugin_manager: PluginManager,
    pmae_small_bundle: Bundle,
) -> None:
    class Checks:
        @hookimpl
        def pmae_register_checks(self, register: Callable[[Check], None]) -> None:
            register(Check(name="siret", title="SIRET present", check=_missing_siret,
                           codes=("occitanie:missing-siret",)))
            register(Check(name="fragile", title="Raises", check=_raising))

    assert pmae_register(Checks).status == "loaded"
    document = _document(pmae_small_bundle)
    report = validate_document(document, file="essai.json",
                               context=pmae_plugin_manager.check_context(),
                               extra_checks=pmae_plugin_manager.check_functions())
    # Issues are sorted by path: the check that failed reports on the whole bundle, "$".
    assert [(i.code, i.severity, i.path, i.message, i.file) for i in report.issues] == [
        ("check-failed", "warning", "$",
         "check Checks:fragile failed: ZeroDivisionError: division by zero", "essai.json"),
    ] + [
        ("occitanie:missing-siret", "warning", f"$.actors[{n}].siret", f"{name} has no SIRET",
         "essai.json")
        for n, name in enumerate(["Réseau d'essai", "DLA du Rhône", "Réseau partenaire",
                                  "Cellule interne"])
    ]
    assert report.ok


def test_check_failed_is_a_known_issue_type() -> None:
    assert ISSUE_TYPES["check-failed"].layer == "semantic"


# -- the real distribution plugins/pmae-broken, through the command line -----------------------


def _broken_version() -> str | None:
    try:
        return importlib.metadata.version("pmae-broken")
    except importlib.metadata.PackageNotFoundError:
        return None


needs_broken = pytest.mark.skipif(
    _broken_version() is None,
    reason="plugins/pmae-broken is not installed: pip install -e plugins/pmae-broken "
           "(CI installs it)")

RAISE_REASON = ("pmae_register_exporters failed: RuntimeError: pmae-broken fails on purpose "
                "(PMAE_BROKEN_MODE=raise)")
SCENARIOS: dict[str, dict[str, str]] = {
    "default": {},
    "load-none": {"PMAE_LOAD_PLUGINS": ""},
    "load-broken": {"PMAE_LOAD_PLUGINS": "pmae-broken"},
    "disable": {"PMAE_DISABLE_PLUGINS": "pmae-broken"},
    "strict": {"PMAE_STRICT_PLUGINS": "1"},
    "strict-import": {"PMAE_STRICT_PLUGINS": "1", "PMAE_LOAD_PLUGINS": "pmae-broken",
                      "PMAE_BROKEN_MODE": "import"},
    **{f"mode-{mode}": {"PMAE_LOAD_PLUGINS": "pmae-broken", "PMAE_BROKEN_MODE": mode}
       for mode in ("import", "unknown-hook", "invalid")},
}


@pytest.fixture(scope="module")
def runs() -> dict[str, subprocess.CompletedProcess[str]]:
    """``pmae plugins --json`` in every scenario, run side by side (each takes ~2 s).

    ``PMAE_BROKEN_MODE=raise`` is the default (scenarios without the variable); ``ok`` is
    tested in-process by the distribution's own tests.
    """
    base = {k: v for k, v in os.environ.items() if not k.startswith("PMAE_")}
    command = [sys.executable, "-c", "from pmae.cli import main; main()", "plugins", "--json"]
    started = {name: subprocess.Popen(command, env={**base, **extra}, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for name, extra in SCENARIOS.items()}
    results = {}
    for name, process in started.items():
        stdout, stderr = process.communicate(timeout=60)
        results[name] = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    return results


def _infos(run: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    assert run.returncode == 0, run.stderr
    return {info["name"]: info for info in json.loads(run.stdout)}


def _stderr_lines(run: subprocess.CompletedProcess[str]) -> list[str]:
    return run.stderr.splitlines()


@needs_broken
def test_installed_broken_plugin_is_skipped_with_one_warning(runs: dict[str, Any]) -> None:
    run = runs["default"]
    infos = _infos(run)
    version = _broken_version()
    assert infos["pmae-broken"] == {
        "name": "pmae-broken", "distribution": "pmae-broken", "version": version,
        "builtin": False, "status": "failed", "reason": RAISE_REASON, "hooks": [], "items": []}
    mine = [line for line in _stderr_lines(run) if "pmae-broken" in line]
    assert mine == [f"pmae: warning: pmae plugin pmae-broken {version} was skipped: "
                    f"{RAISE_REASON}"]
    assert "Traceback" not in run.stderr
    # pmae itself still works: its built-ins are loaded with their items.
    assert infos["json_bundle"]["status"] == "loaded"
    assert {"kind": "exporter", "name": "json"} in infos["json_bundle"]["items"]


@needs_broken
def test_empty_load_list_blocks_every_installed_plugin(runs: dict[str, Any]) -> None:
    infos = _infos(runs["load-none"])
    installed = {name: info for name, info in infos.items() if not info["builtin"]}
    assert "pmae-broken" in installed
    assert {(i["status"], i["reason"]) for i in installed.values()} == {
        ("blocked", "not in PMAE_LOAD_PLUGINS")}
    assert {info["status"] for info in infos.values() if info["builtin"]} == {"loaded"}
    assert runs["load-none"].stderr == ""


@needs_broken
def test_load_list_considers_only_the_plugins_it_names(runs: dict[str, Any]) -> None:
    infos = _infos(runs["load-broken"])
    others = {name: info["status"] for name, info in infos.items()
              if not info["builtin"] and name != "pmae-broken"}
    assert set(others.values()) <= {"blocked"}
    assert (infos["pmae-broken"]["status"], infos["pmae-broken"]["reason"]) == (
        "failed", RAISE_REASON)


@needs_broken
def test_disable_list_blocks_the_plugin(runs: dict[str, Any]) -> None:
    infos = _infos(runs["disable"])
    assert (infos["pmae-broken"]["status"], infos["pmae-broken"]["reason"]) == (
        "blocked", "in PMAE_DISABLE_PLUGINS")
    assert not any("pmae-broken" in line for line in _stderr_lines(runs["disable"]))


@needs_broken
@pytest.mark.parametrize("scenario", ["strict", "strict-import"])
def test_strict_mode_is_a_one_line_error(runs: dict[str, Any], scenario: str) -> None:
    run = runs[scenario]
    assert run.returncode == 1
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    [line] = _stderr_lines(run)
    assert re.fullmatch(r"Error: pmae plugin \S+ \S+ was skipped: .+ "
                        r"\(PMAE_STRICT_PLUGINS is set\)", line), line
    version = _broken_version()
    if scenario == "strict" and "pmae-broken" in line:  # the first plugin to fail stops pmae
        assert line == (f"Error: pmae plugin pmae-broken {version} was skipped: {RAISE_REASON}"
                        " (PMAE_STRICT_PLUGINS is set)")
    if scenario == "strict-import":
        assert line == (f"Error: pmae plugin pmae-broken {version} was skipped: cannot be "
                        "imported: ImportError: pmae-broken cannot be imported "
                        "(PMAE_BROKEN_MODE=import) (PMAE_STRICT_PLUGINS is set)")


@needs_broken
@pytest.mark.parametrize(("scenario", "reason"), [
    ("load-broken", RAISE_REASON),  # PMAE_BROKEN_MODE=raise, the default
    ("mode-import", "cannot be imported: ImportError: pmae-broken cannot be imported "
     "(PMAE_BROKEN_MODE=import)"),
    ("mode-unknown-hook", "cannot register: implements pmae_register_exporterz, a hook this "
     f"pmae does not know (known hooks: {KNOWN_HOOKS})"),
    ("mode-invalid", "pmae_register_exporters failed: InvalidItemError: Exporter name "
     "'Bad Name!' must be lower-case letters, digits, - or _"),
])
def test_each_broken_mode(runs: dict[str, Any], scenario: str, reason: str) -> None:
    run = runs[scenario]
    info = _infos(run)["pmae-broken"]
    assert (info["status"], info["reason"], info["hooks"], info["items"]) == (
        "failed", reason, [], [])
    assert _stderr_lines(run) == [
        f"pmae: warning: pmae plugin pmae-broken {_broken_version()} was skipped: {reason}"]


def test_hookspecs_are_fully_annotated() -> None:
    """tox's rule: annotations and a versionadded note on every hook (they feed the docs)."""
    for name in HOOKS:
        function = getattr(hookspecs, name)
        signature = inspect.signature(function)
        assert signature.return_annotation == "None", name
        assert all(p.annotation is not inspect.Parameter.empty
                   for p in signature.parameters.values()), name
        assert ".. versionadded::" in (function.__doc__ or ""), name
