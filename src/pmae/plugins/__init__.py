"""Extending pmae: hooks, the items plugins register, and the plugin manager.

A plugin is a module (or object) with functions marked ``@pmae.plugins.hookimpl`` named after a
hook of :mod:`pmae.plugins.hookspecs`, installed with an entry point in the group ``pmae``::

    from pmae.plugins import Exporter, hookimpl

    @hookimpl
    def pmae_register_exporters(register):
        register(Exporter(name="ods", title="OpenDocument", export=..., suffix=".ods"))
"""

from pmae.plugins.calls import PluginFailure, PluginResultError
from pmae.plugins.context import ExchangeWarning, ImportContext, Option, OptionError
from pmae.plugins.hookspecs import hookimpl, hookspec
from pmae.plugins.items import (
    Check,
    DiagnosticTool,
    ExportContext,
    Exporter,
    ExportError,
    Importer,
    ImportResult,
    InvalidItemError,
    TerritoryReferential,
    VocabularyExtension,
)
from pmae.plugins.manager import PluginManager, get_plugin_manager, make_plugin_manager
from pmae.plugins.registry import (
    AmbiguousNameError,
    PluginError,
    PluginInfo,
    PluginWarning,
    Registered,
)
from pmae.vocab import Term, Vocabulary

__all__ = [
    "AmbiguousNameError",
    "Check",
    "DiagnosticTool",
    "ExchangeWarning",
    "ExportContext",
    "ExportError",
    "Exporter",
    "ImportContext",
    "ImportResult",
    "Importer",
    "InvalidItemError",
    "Option",
    "OptionError",
    "PluginError",
    "PluginFailure",
    "PluginInfo",
    "PluginManager",
    "PluginResultError",
    "PluginWarning",
    "Registered",
    "Term",
    "TerritoryReferential",
    "Vocabulary",
    "VocabularyExtension",
    "get_plugin_manager",
    "hookimpl",
    "hookspec",
    "make_plugin_manager",
]
