"""The plugin manager: discovery, control, isolation and order of the plugins.

Plugins are the entry points of the group ``pmae`` (named after their distribution), chosen by
``PMAE_LOAD_PLUGINS`` (allow-list; empty loads none) and ``PMAE_DISABLE_PLUGINS``, or by
:func:`make_plugin_manager`'s arguments; pmae's own features are plugins too. How hooks are
called, and in which order items are listed: docs/plugins/lifecycle.md.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import os
import warnings
from collections.abc import Iterable
from typing import Any

import pluggy

from pmae.i18n import gettext as _
from pmae.plugins import hookspecs
from pmae.plugins.dependencies import unmet
from pmae.plugins.hookspecs import HOOKS
from pmae.plugins.items import InvalidItemError, validate_item
from pmae.plugins.names import unknown_plugin_names
from pmae.plugins.registry import (
    AmbiguousNameError,
    PluginError,
    PluginInfo,
    PluginWarning,
    Registered,
    Registry,
)
from pmae.territories import TerritoryError
from pmae.vocab import VocabularyError

__all__ = ["AmbiguousNameError", "PluginError", "PluginInfo", "PluginManager", "PluginWarning",
           "Registered", "get_plugin_manager", "make_plugin_manager"]
ENTRY_POINT_GROUP = "pmae"
#: pmae's own features, registered through the same hooks as outside plugins.
BUILTIN_PLUGINS: tuple[str, ...] = (
    *(f"pmae.default_plugins.{name}" for name in (
        "core", "json_bundle", "csv_tables", "xlsx_tables", "reference_diagnostics")),
    # The store's tables as an SQLite file: it writes them with the store's own code.
    "pmae.store.sqlite_export")


class PluginManager(Registry):
    """Loads plugins and holds what they registered. Build one with :func:`make_plugin_manager`."""

    def __init__(self, *, strict: bool = False) -> None:
        super().__init__()
        self.strict = strict
        self.pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
        self.pm.add_hookspecs(hookspecs)
        #: Grows by one each time a plugin is loaded: what was computed before is stale.
        self.generation = 0
        #: Whether :meth:`settle` ran: a plugin registered since is checked against the others
        #: at once.
        self.settled = False

    def register(
        self, plugin: object, name: str | None = None, *, distribution: str | None = None,
        version: str | None = None, builtin: bool = False,
    ) -> PluginInfo:
        """Register a plugin (a module, an instance, a class: instantiated) and run its hooks."""
        if isinstance(plugin, type):
            name, plugin = name or plugin.__name__, plugin()
        name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        if name in self.infos and self.infos[name].status == "loaded":
            raise ValueError(f"a plugin named {name!r} is already registered")
        info = self.infos[name] = PluginInfo(name=name, distribution=distribution,
                                             version=version, builtin=builtin, status="loaded")
        try:
            for attribute in dir(plugin):  # a misspelled hook must not pass unnoticed
                options = self.pm.parse_hookimpl_opts(plugin, attribute)
                if options and (hook := options.get("specname") or attribute) not in HOOKS:
                    raise InvalidItemError(f"implements {hook}, a hook this pmae does not know "
                                           f"(known hooks: {', '.join(HOOKS)})")
            self.pm.register(plugin, name=name)
        except Exception as error:  # noqa: BLE001 - any failure skips the plugin
            return self._fail(info, f"cannot register: {error}")
        mine = self._items[name] = {}
        for hook in (hook for hook in HOOKS if name in self._call_order(hook)):
            try:
                mine[hook] = self._call(hook, plugin, name)
            except Exception as error:  # noqa: BLE001
                return self._fail(info, f"{hook} failed: {type(error).__name__}: {error}", plugin)
        try:  # what depends on the others' items: vocabularies, territories
            self.vocabularies()
            self.territories()
        except (InvalidItemError, VocabularyError, TerritoryError) as error:
            return self._fail(info, str(error), plugin)
        if self.settled and (reason := unmet(self, name)):  # registered after the others
            return self._fail(info, reason, plugin)
        info.hooks = tuple(mine)
        info.items = tuple((HOOKS[hook].kind, r.name) for hook in mine for r in mine[hook])
        for clash in self.clashes(name):
            warnings.warn(clash, PluginWarning, stacklevel=2)
        self.generation += 1
        return info

    def settle(self) -> None:
        """Fail each loaded plugin whose items need codes or territories no plugin defines
        (:func:`~pmae.plugins.dependencies.unmet`), until every one left has what it needs."""
        self.settled = True
        while failing := [(info, reason) for info in list(self.infos.values())
                          if info.status == "loaded" and not info.builtin
                          and (reason := unmet(self, info.name))]:
            for info, reason in failing:
                self._fail(info, reason, self.pm.get_plugin(info.name))
            self.generation += 1

    def _call(self, hook: str, plugin: object, name: str) -> list[Registered[Any]]:
        """Run ``plugin``'s implementations of ``hook`` (wrappers included) through pluggy."""
        items: list[Registered[Any]] = []

        def register(item: object) -> None:
            validate_item(item, HOOKS[hook].types)
            items.append(Registered(plugin=name, item=item))

        others = [other for other in self.pm.get_plugins() if other is not plugin]
        self.pm.subset_hook_caller(hook, remove_plugins=others)(register=register)
        return items

    def _fail(self, info: PluginInfo, reason: str, plugin: object = None) -> PluginInfo:
        if plugin is not None:  # registered already: none of its items are kept
            del self._items[info.name]
            self.pm.unregister(plugin)
        info.status, info.reason, info.hooks, info.items = "failed", reason, (), ()
        version = f" {info.version}" if info.version else ""
        message = _("pmae plugin {name}{version} was skipped: {reason}").format(
            name=info.name, version=version, reason=reason)
        if self.strict:
            raise PluginError(message)
        warnings.warn(message, PluginWarning, stacklevel=3)
        return info

    def block(self, name: str, reason: str, *, distribution: str | None = None,
              version: str | None = None) -> None:
        """Record a plugin that was found but not loaded (allow/deny lists)."""
        self.infos[name] = PluginInfo(name=name, distribution=distribution, version=version,
                                      builtin=False, status="blocked", reason=reason)

    def _call_order(self, hook: str) -> list[str]:
        """The plugins implementing ``hook``, in pluggy's call order (see :meth:`registered`)."""
        called = reversed(getattr(self.pm.hook, hook).get_hookimpls())
        return list(dict.fromkeys(impl.plugin_name for impl in called))


def _env_list(name: str) -> set[str] | None:
    value = os.environ.get(name)
    return None if value is None else {part.strip() for part in value.split(",") if part.strip()}


def make_plugin_manager(
    *,
    load: Iterable[str] | None = None,
    disable: Iterable[str] = (),
    strict: bool | None = None,
    entry_points: bool = True,
    plugins: Iterable[object] = (),
) -> PluginManager:
    """A fresh plugin manager with the built-ins, the installed plugins, and ``plugins``.

    :param load: only these installed plugins (entry-point names); ``None`` for all, as
        ``PMAE_LOAD_PLUGINS`` says when it is set.
    :param disable: never these (added to ``PMAE_DISABLE_PLUGINS``).
    :param strict: raise :class:`PluginError` instead of skipping a broken plugin
        (default: ``PMAE_STRICT_PLUGINS=1``).
    :param entry_points: discover installed plugins at all.
    :param plugins: extra plugin objects to register (in-test plugins).
    """
    if strict is None:
        strict = os.environ.get("PMAE_STRICT_PLUGINS", "") not in ("", "0")
    allow = set(load) if load is not None else _env_list("PMAE_LOAD_PLUGINS")
    disable = set(disable)
    deny = disable | (_env_list("PMAE_DISABLE_PLUGINS") or set())
    manager = PluginManager(strict=strict)
    for module in BUILTIN_PLUGINS:
        manager.register(importlib.import_module(module), name=module.rsplit(".", 1)[1],
                         distribution="pmae", version=importlib.metadata.version("pmae"),
                         builtin=True)
    found = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP) if entry_points else ()
    if entry_points:  # a misspelled name would otherwise load, or disable, nothing in silence
        lists = (("PMAE_LOAD_PLUGINS" if load is None else "load=", allow or ()),
                 ("disable=", disable), ("PMAE_DISABLE_PLUGINS", deny - disable))
        for variable, names in lists:
            for message in unknown_plugin_names(variable, names, {e.name for e in found},
                                                set(manager.infos)):
                warnings.warn(message, PluginWarning, stacklevel=2)
    for entry_point in sorted(found, key=lambda e: e.name):
        dist = entry_point.dist
        about: dict[str, Any] = dict(distribution=dist and dist.name, version=dist and dist.version)
        if allow is not None and entry_point.name not in allow:
            manager.block(entry_point.name, "not in PMAE_LOAD_PLUGINS", **about)
        elif entry_point.name in deny:
            manager.block(entry_point.name, "in PMAE_DISABLE_PLUGINS", **about)
        else:
            try:
                plugin = entry_point.load()
            except Exception as error:  # noqa: BLE001 - a plugin that cannot import is skipped
                manager.block(entry_point.name, "", **about)
                manager._fail(manager.infos[entry_point.name],
                              f"cannot be imported: {type(error).__name__}: {error}")
                continue
            manager.register(plugin, name=entry_point.name, **about)
    for plugin in plugins:
        manager.register(plugin)
    manager.settle()
    return manager


CONTROLS = ("PMAE_LOAD_PLUGINS", "PMAE_DISABLE_PLUGINS", "PMAE_STRICT_PLUGINS")


@functools.cache
def _process_manager(controls: tuple[str | None, ...]) -> PluginManager:
    return make_plugin_manager()


def get_plugin_manager() -> PluginManager:
    """The process-wide plugin manager, loaded once for each value of the ``PMAE_*_PLUGINS``
    variables (:data:`CONTROLS`); ``get_plugin_manager.cache_clear()`` forgets them all."""
    return _process_manager(tuple(map(os.environ.get, CONTROLS)))


get_plugin_manager.cache_clear = _process_manager.cache_clear  # type: ignore[attr-defined]
