"""The plugin manager: discovery, control, isolation, and what every plugin registered.

Plugins are found through the entry-point group ``pmae`` (entry-point name = distribution
name). ``PMAE_LOAD_PLUGINS`` (comma-separated allow-list; set but empty loads none) and
``PMAE_DISABLE_PLUGINS`` (deny-list) choose among them; :func:`make_plugin_manager` takes the
same choices as arguments. pmae's own features are plugins too (``pmae.default_plugins``), always
loaded.

Each plugin's hook implementations are called on their own, with a ``register`` bound to that
plugin, so every item knows who registered it and one plugin's failure loses nothing of the
others'. A plugin that cannot be imported, implements a hook pmae does not know, raises in a
hook or registers something invalid is skipped as a whole, with one warning naming it and its
version, and listed as failed — unless ``PMAE_STRICT_PLUGINS=1``, which turns that into an error.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import inspect
import os
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, Literal, TypeVar

import attrs
import pluggy

import pmae.plugins.hookspecs as hookspecs
from pmae.io.checks import CheckContext
from pmae.plugins.items import (
    ITEM_KINDS,
    ITEM_TYPES,
    Check,
    DiagnosticTool,
    Exporter,
    Importer,
    InvalidItemError,
    TerritoryReferential,
    VocabularyExtension,
    item_name,
    validate_item,
)
from pmae.territories import Territories, TerritoryError
from pmae.vocab import Vocabulary, VocabularyError

ENTRY_POINT_GROUP = "pmae"

#: pmae's own features, registered through the same hooks as outside plugins.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "pmae.default_plugins.core",
    "pmae.default_plugins.json_bundle",
    "pmae.default_plugins.csv_tables",
    "pmae.default_plugins.reference_diagnostics",
)

HOOK_NAMES: tuple[str, ...] = tuple(ITEM_TYPES)

T = TypeVar("T")


class PluginWarning(UserWarning):
    """A plugin was skipped, or two plugins registered the same name."""


class PluginError(RuntimeError):
    """A plugin failed while ``PMAE_STRICT_PLUGINS=1`` (or ``strict=True``)."""


class AmbiguousNameError(LookupError):
    """A bare item name that several plugins registered; use ``<plugin>:<name>``."""


@attrs.define(kw_only=True, frozen=True)
class Registered(Generic[T]):
    """An item and the plugin that registered it."""

    plugin: str
    item: T

    @property
    def name(self) -> str:
        """The item's own name."""
        return item_name(self.item)

    @property
    def qualified_name(self) -> str:
        """``<plugin>:<name>``: always unambiguous."""
        return f"{self.plugin}:{self.name}"


@attrs.define(kw_only=True)
class PluginInfo:
    """What ``pmae plugins`` shows about one plugin."""

    name: str
    distribution: str | None
    version: str | None
    builtin: bool
    status: Literal["loaded", "blocked", "failed"]
    reason: str | None = None
    hooks: tuple[str, ...] = ()
    items: tuple[tuple[str, str], ...] = ()  # (kind, name)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``pmae plugins --json``)."""
        return {
            "name": self.name, "distribution": self.distribution, "version": self.version,
            "builtin": self.builtin, "status": self.status, "reason": self.reason,
            "hooks": list(self.hooks),
            "items": [{"kind": kind, "name": name} for kind, name in self.items],
        }


def _env_list(name: str) -> set[str] | None:
    value = os.environ.get(name)
    if value is None:
        return None
    return {part.strip() for part in value.split(",") if part.strip()}


class PluginManager:
    """Loads plugins and holds what they registered. Build one with :func:`make_plugin_manager`."""

    def __init__(self, *, strict: bool = False) -> None:
        self.strict = strict
        self.pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self._items: dict[str, list[Registered[Any]]] = {hook: [] for hook in HOOK_NAMES}

    # -- loading -----------------------------------------------------------------------------
    def register(
        self, plugin: object, name: str | None = None, *, distribution: str | None = None,
        version: str | None = None, builtin: bool = False,
    ) -> PluginInfo:
        """Register a plugin object (a module, a class or an instance) and run its hooks.

        A class is instantiated first, so its hook implementations may be plain methods.
        """
        if inspect.isclass(plugin):
            name = name or plugin.__name__
            plugin = plugin()
        name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        if name in self.infos and self.infos[name].status == "loaded":
            raise ValueError(f"a plugin named {name!r} is already registered")
        info = PluginInfo(name=name, distribution=distribution, version=version,
                          builtin=builtin, status="loaded")
        self.infos[name] = info
        try:
            self._check_hook_names(plugin)
            self.pm.register(plugin, name=name)
        except Exception as error:  # noqa: BLE001 - any failure skips the plugin
            self._fail(info, f"cannot register: {error}")
            return info
        collected: dict[str, list[Registered[Any]]] = {hook: [] for hook in HOOK_NAMES}
        hooks: list[str] = []
        for hook in HOOK_NAMES:
            for impl in getattr(self.pm.hook, hook).get_hookimpls():
                if impl.plugin is not plugin:
                    continue
                hooks.append(hook)
                try:
                    self._call(impl, hook, name, collected[hook])
                except Exception as error:  # noqa: BLE001
                    self.pm.unregister(plugin)
                    self._fail(info, f"{hook} failed: {type(error).__name__}: {error}")
                    return info
        try:
            self._integrate(name, collected)
        except (InvalidItemError, VocabularyError, TerritoryError, ValueError) as error:
            self.pm.unregister(plugin)
            self._fail(info, str(error))
            return info
        for hook, items in collected.items():
            self._items[hook].extend(items)
        info.hooks = tuple(hooks)
        info.items = tuple((ITEM_KINDS[h], r.name) for h in HOOK_NAMES for r in collected[h])
        self._warn_clashes(name, collected)
        return info

    def _check_hook_names(self, plugin: object) -> None:
        for attribute in dir(plugin):
            if not attribute.startswith("pmae_"):
                continue
            marked = getattr(getattr(plugin, attribute, None), f"{ENTRY_POINT_GROUP}_impl", None)
            if marked is not None and attribute not in HOOK_NAMES:
                raise InvalidItemError(
                    f"implements {attribute}, a hook this pmae does not know "
                    f"(known hooks: {', '.join(HOOK_NAMES)})")

    def _call(self, impl: Any, hook: str, plugin_name: str,
              sink: list[Registered[Any]]) -> None:
        accepted = ITEM_TYPES[hook]

        def register(item: object) -> None:
            validate_item(item, accepted)
            sink.append(Registered(plugin=plugin_name, item=item))

        arguments = {"register": register}
        impl.function(**{arg: arguments[arg] for arg in impl.argnames})

    def _integrate(self, plugin: str, collected: Mapping[str, list[Registered[Any]]]) -> None:
        """Check what depends on what others registered (vocabularies, territories) now."""
        vocabularies = dict(self.vocabularies())
        for registered in collected["pmae_register_vocabularies"]:
            item = registered.item
            if isinstance(item, Vocabulary):
                if item.id in vocabularies:
                    raise InvalidItemError(f"vocabulary {item.id!r} is already defined")
                vocabularies[item.id] = item
            else:
                target = vocabularies.get(item.vocabulary)
                if target is None:
                    raise InvalidItemError(f"no vocabulary {item.vocabulary!r} to extend")
                vocabularies[item.vocabulary] = target.extended(item.terms,
                                                                namespace=item.namespace)
        territories = self._build_territories(
            [*self._items["pmae_register_territories"], *collected["pmae_register_territories"]])
        del territories

    def _fail(self, info: PluginInfo, reason: str) -> None:
        info.status = "failed"
        info.reason = reason
        info.hooks = ()
        info.items = ()
        version = f" {info.version}" if info.version else ""
        message = f"pmae plugin {info.name}{version} was skipped: {reason}"
        if self.strict:
            raise PluginError(message)
        warnings.warn(message, PluginWarning, stacklevel=3)

    def block(self, name: str, reason: str, *, distribution: str | None = None,
              version: str | None = None) -> None:
        """Record a plugin that was found but not loaded (allow/deny lists)."""
        self.infos[name] = PluginInfo(name=name, distribution=distribution, version=version,
                                      builtin=False, status="blocked", reason=reason)

    def _warn_clashes(self, plugin: str, collected: Mapping[str, list[Registered[Any]]]) -> None:
        for hook, items in collected.items():
            if hook == "pmae_register_vocabularies":
                continue
            for registered in items:
                others = [r.plugin for r in self._items[hook]
                          if r.name == registered.name and r.plugin != plugin]
                if others:
                    warnings.warn(
                        f"{ITEM_KINDS[hook]} {registered.name!r} is registered by "
                        f"{', '.join(others)} and {plugin}: address it as "
                        f"'<plugin>:{registered.name}'", PluginWarning, stacklevel=3)

    # -- what was registered -----------------------------------------------------------------
    def registered(self, hook: str) -> list[Registered[Any]]:
        """Every item registered through ``hook``, with its plugin, in load order."""
        return list(self._items[hook])

    def _find(self, hook: str, name: str) -> Registered[Any]:
        items = self._items[hook]
        if ":" in name:
            matches = [r for r in items if r.qualified_name == name]
        else:
            matches = [r for r in items if r.name == name]
        kind = ITEM_KINDS[hook]
        if not matches:
            known = ", ".join(sorted({r.name for r in items})) or "none"
            raise KeyError(f"no {kind} named {name!r}; known: {known}")
        if len(matches) > 1:
            raise AmbiguousNameError(
                f"{kind} {name!r} is registered by several plugins: use "
                + " or ".join(r.qualified_name for r in matches))
        return matches[0]

    def exporters(self) -> list[Registered[Exporter]]:
        """Every exporter, with its plugin."""
        return self.registered("pmae_register_exporters")

    def exporter(self, name: str) -> Exporter:
        """The exporter called ``name`` or ``<plugin>:<name>``."""
        return self._find("pmae_register_exporters", name).item  # type: ignore[no-any-return]

    def importers(self) -> list[Registered[Importer]]:
        """Every importer, with its plugin."""
        return self.registered("pmae_register_importers")

    def importer(self, name: str) -> Importer:
        """The importer called ``name`` or ``<plugin>:<name>``."""
        return self._find("pmae_register_importers", name).item  # type: ignore[no-any-return]

    def diagnostics(self) -> list[Registered[DiagnosticTool]]:
        """Every diagnostic tool, with its plugin."""
        return self.registered("pmae_register_diagnostics")

    def diagnostic(self, name: str) -> DiagnosticTool:
        """The diagnostic tool called ``name`` or ``<plugin>:<name>``."""
        return self._find("pmae_register_diagnostics", name).item  # type: ignore[no-any-return]

    def checks(self) -> list[Registered[Check]]:
        """Every plugin check, with its plugin."""
        return self.registered("pmae_register_checks")

    def vocabularies(self) -> Mapping[str, Vocabulary]:
        """Every vocabulary: whole ones first, then the extensions applied, in load order."""
        result: dict[str, Vocabulary] = {}
        extensions: list[VocabularyExtension] = []
        for registered in self._items["pmae_register_vocabularies"]:
            if isinstance(registered.item, Vocabulary):
                result[registered.item.id] = registered.item
            else:
                extensions.append(registered.item)
        for extension in extensions:
            result[extension.vocabulary] = result[extension.vocabulary].extended(
                extension.terms, namespace=extension.namespace)
        return result

    def territories(self) -> Territories:
        """The territories: the base (INSEE COG), then every referential, in load order."""
        return self._build_territories(self._items["pmae_register_territories"])

    @staticmethod
    def _build_territories(items: Iterable[Registered[TerritoryReferential]]) -> Territories:
        bases = [r.item.base for r in items if r.item.base is not None]
        if not bases:
            from pmae.territories import core_territories

            bases = [core_territories()]
        territories = bases[-1]  # a plugin's newer vintage replaces the built-in one
        for registered in items:
            item = registered.item
            if item.base is None and item.level is not None:
                territories = territories.with_referential(level=item.level,
                                                           entries=item.entries)
        return territories

    def check_context(self) -> CheckContext:
        """What bundles are checked against: every vocabulary and territory registered."""
        return CheckContext(vocabularies=self.vocabularies(), territories=self.territories())

    def check_functions(self) -> list[Callable[..., Any]]:
        """The plugin checks as callables for the validation pipeline, each isolated."""
        return [_isolated(r) for r in self.checks()]


def _isolated(registered: Registered[Check]) -> Callable[..., Any]:
    from pmae.issues import Issue

    def run(bundle: Any, context: CheckContext) -> list[Issue]:
        try:
            return list(registered.item.check(bundle, context))
        except Exception as error:  # noqa: BLE001 - a broken check must not stop validation
            return [Issue(code="check-failed", severity="warning", message=(
                f"check {registered.qualified_name} failed: {type(error).__name__}: {error}"))]

    return run


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
    deny = set(disable) | (_env_list("PMAE_DISABLE_PLUGINS") or set())
    manager = PluginManager(strict=strict)
    for module_name in BUILTIN_PLUGINS:
        manager.register(importlib.import_module(module_name), name=module_name.rsplit(".", 1)[1],
                         distribution="pmae", version=importlib.metadata.version("pmae"),
                         builtin=True)
    if entry_points:
        for entry_point in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP),
                                  key=lambda e: e.name):
            dist = entry_point.dist
            distribution = dist.name if dist is not None else None
            version = dist.version if dist is not None else None
            if allow is not None and entry_point.name not in allow:
                manager.block(entry_point.name, "not in PMAE_LOAD_PLUGINS",
                              distribution=distribution, version=version)
                continue
            if entry_point.name in deny:
                manager.block(entry_point.name, "in PMAE_DISABLE_PLUGINS",
                              distribution=distribution, version=version)
                continue
            try:
                plugin = entry_point.load()
            except Exception as error:  # noqa: BLE001 - a plugin that cannot import is skipped
                info = PluginInfo(name=entry_point.name, distribution=distribution,
                                  version=version, builtin=False, status="failed")
                manager.infos[entry_point.name] = info
                manager._fail(info, f"cannot be imported: {type(error).__name__}: {error}")
                continue
            manager.register(plugin, name=entry_point.name, distribution=distribution,
                             version=version)
    for plugin in plugins:
        manager.register(plugin)
    return manager


@functools.cache
def get_plugin_manager() -> PluginManager:
    """The process-wide plugin manager (environment variables read once)."""
    return make_plugin_manager()
