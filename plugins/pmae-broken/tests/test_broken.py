"""pmae-broken breaks the way PMAE_BROKEN_MODE says, and pmae isolates it each time.

In-process, with the ``pmae.testing`` fixtures; pmae's own ``tests/test_plugins.py`` runs the
installed distribution through the ``pmae`` command.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest

from pmae.model import Bundle
from pmae.plugins import PluginManager, PluginWarning
from pmae.testing import ExportHelper, RegisterHelper

KNOWN_HOOKS = ("pmae_register_exporters, pmae_register_importers, pmae_register_diagnostics, "
               "pmae_register_vocabularies, pmae_register_territories, pmae_register_checks")


@pytest.fixture
def load_broken(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Import ``pmae_broken`` afresh under a mode; the default module is restored after."""

    def load(mode: str) -> ModuleType:
        monkeypatch.setenv("PMAE_BROKEN_MODE", mode)
        sys.modules.pop("pmae_broken", None)
        return importlib.import_module("pmae_broken")

    yield load
    sys.modules.pop("pmae_broken", None)


def test_raise_keeps_none_of_its_items(load_broken, pmae_register: RegisterHelper,
                                       pmae_plugin_manager: PluginManager,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGUAGE", "en")  # the core's wording, in English (French by default)
    module = load_broken("raise")
    with pytest.warns(PluginWarning) as caught:
        info = pmae_register(module, name="pmae-broken")
    reason = ("pmae_register_exporters failed: RuntimeError: pmae-broken fails on purpose "
              "(PMAE_BROKEN_MODE=raise)")
    assert (info.status, info.reason, info.items) == ("failed", reason, ())
    assert [str(w.message) for w in caught] == [f"pmae plugin pmae-broken was skipped: {reason}"]
    assert "broken-text" not in {r.name for r in pmae_plugin_manager.exporters()}


def test_import_raises_import_error(load_broken) -> None:
    with pytest.raises(ImportError, match=r"^pmae-broken cannot be imported"):
        load_broken("import")


def test_unknown_hook_lists_the_known_hooks(load_broken, pmae_register: RegisterHelper) -> None:
    module = load_broken("unknown-hook")
    with pytest.warns(PluginWarning):
        info = pmae_register(module, name="pmae-broken")
    assert (info.status, info.reason) == ("failed", (
        "cannot register: implements pmae_register_exporterz, a hook this pmae does not know "
        f"(known hooks: {KNOWN_HOOKS})"))


def test_invalid_names_the_bad_item(load_broken, pmae_register: RegisterHelper) -> None:
    module = load_broken("invalid")
    with pytest.warns(PluginWarning):
        info = pmae_register(module, name="pmae-broken")
    assert info.reason == ("pmae_register_exporters failed: InvalidItemError: Exporter name "
                           "'Bad Name!' must be lower-case letters, digits, - or _")


def test_ok_loads_and_exports(load_broken, pmae_register: RegisterHelper,
                              pmae_small_bundle: Bundle, pmae_export: ExportHelper) -> None:
    info = pmae_register(load_broken("ok"), name="pmae-broken")
    assert (info.status, info.items) == ("loaded", (("exporter", "broken-text"),))
    # Public audience: 7 of the small bundle's 18 records are visible.
    assert pmae_export(pmae_small_bundle, "broken-text").read_bytes() == b"7 records\n"


def test_an_unknown_mode_is_refused(load_broken) -> None:
    with pytest.raises(ValueError, match="PMAE_BROKEN_MODE='nope'"):
        load_broken("nope")
