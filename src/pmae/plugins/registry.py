"""What plugins registered, and every way to read it.

:class:`Registered` ties an item to its plugin, :class:`PluginInfo` is what ``pmae plugins``
shows, :class:`Registry` holds the items and answers lookups (by name, by
``<plugin>:<name>``) and what they add up to (vocabularies, territories, isolated checks).
The loading, isolation and order are :mod:`pmae.plugins.manager`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, Literal, TypeVar

import attrs

from pmae.i18n import gettext as _
from pmae.io.checks import CheckContext
from pmae.plugins.calls import describe_plugin, isolated_check
from pmae.plugins.hookspecs import HOOKS
from pmae.plugins.items import (
    Check,
    DiagnosticTool,
    Exporter,
    Importer,
    InvalidItemError,
    TerritoryReferential,
    VocabularyExtension,
    item_name,
)
from pmae.plugins.names import (
    ADDRESSED_HOOKS,
    AmbiguousNameError,
    address,
    clash_message,
    kind_noun,
    matching,
    not_loaded_hint,
)
from pmae.territories import Territories, core_territories
from pmae.vocab import Vocabulary

T = TypeVar("T")


class PluginWarning(UserWarning):
    """A plugin was skipped, or two plugins registered the same name."""


class PluginError(RuntimeError):
    """A plugin failed while ``PMAE_STRICT_PLUGINS=1`` (or ``strict=True``)."""


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
        return {**attrs.asdict(self), "hooks": list(self.hooks),
                "items": [{"kind": kind, "name": name} for kind, name in self.items]}


class Registry:
    """What the loaded plugins registered, by plugin and hook, and every way to read it.

    The loading is :class:`~pmae.plugins.PluginManager`'s (a subclass); this side only reads,
    in the order :meth:`_call_order` gives.
    """

    def __init__(self) -> None:
        self.infos: dict[str, PluginInfo] = {}
        self._items: dict[str, dict[str, list[Registered[Any]]]] = {}  # plugin -> hook -> items

    def _call_order(self, hook: str) -> list[str]:
        return list(self._items)

    def items_of(self, plugin: str) -> Mapping[str, list[Registered[Any]]]:
        """What ``plugin`` registered, by hook (nothing for a plugin that is not loaded)."""
        return self._items.get(plugin, {})

    def registered(self, hook: str) -> list[Registered[Any]]:
        """Every item registered through ``hook``, in pluggy's call order of their plugins.

        That is ``tryfirst`` implementations first, then the others from the most recently
        registered plugin to the first (pmae's built-ins come last), then ``trylast`` ones; a
        plugin's own items stay in the order it registered them.
        """
        return [r for plugin in self._call_order(hook)
                for r in self._items.get(plugin, {}).get(hook, ())]

    def clashes(self, plugin: str) -> list[str]:
        """A warning for each name ``plugin`` registered that another plugin registered too."""
        messages = []
        for hook, items in self._items[plugin].items():
            for registered in items if hook != "pmae_register_vocabularies" else ():
                others = [other for other, theirs in self._items.items() if other != plugin
                          and any(r.name == registered.name for r in theirs.get(hook, ()))]
                if others:
                    messages.append(clash_message(HOOKS[hook].kind, registered, others,
                                                   self.infos))
        return messages

    def _find(self, hook: str, name: str) -> Registered[Any]:
        items = self.registered(hook)
        matches = matching(items, name, self.infos)
        kind = HOOKS[hook].kind
        if not matches:
            known = ", ".join(sorted({r.name for r in items})) or _("none")
            raise KeyError(_("no {kind} named {name!r}; known: {known}").format(
                kind=kind_noun(kind), name=name, known=known)
                + not_loaded_hint(name, self.infos.values()))
        if len(matches) > 1:
            raise AmbiguousNameError(
                _("{kind} {name!r} is registered by several plugins: use {names}").format(
                    kind=kind_noun(kind), name=name,
                    names=_(" or ").join(sorted(r.qualified_name for r in matches))))
        return matches[0]

    def listing(self) -> list[dict[str, Any]]:
        """What ``pmae plugins --json`` prints: each plugin's :meth:`PluginInfo.to_dict`, where
        an item its bare name does not reach (pmae's own has that name, or several plugins do)
        also gives its ``address``, ``<plugin>:<name>``, and ``bare_name``, the plugin the bare
        name reaches (``None`` when it is ambiguous)."""
        found = {hook: self.registered(hook) for hook in ADDRESSED_HOOKS}
        kinds = {HOOKS[hook].kind: hook for hook in ADDRESSED_HOOKS}
        result = []
        for info in self.infos.values():
            data = info.to_dict()
            for item in data["items"]:
                items = found.get(kinds.get(item["kind"], ""), [])
                mine = next((r for r in items if r.plugin == info.name
                             and r.name == item["name"]), None)
                if mine is not None and address(items, mine, self.infos) != mine.name:
                    owners = matching(items, mine.name, self.infos)
                    item["address"] = mine.qualified_name
                    item["bare_name"] = owners[0].plugin if len(owners) == 1 else None
            result.append(data)
        return result

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

    def check_functions(self) -> list[Callable[..., Any]]:
        """The plugin checks as callables for the validation pipeline, each isolated: a check
        that fails is one ``check-failed`` issue naming its plugin (see
        :func:`~pmae.plugins.calls.isolated_check`), an error in strict mode."""
        strict = bool(getattr(self, "strict", False))
        return [isolated_check(r, plugin=describe_plugin(self, r.plugin), strict=strict)
                for r in self.checks()]

    def vocabularies(self) -> Mapping[str, Vocabulary]:
        """Every vocabulary: the whole ones, then the extensions applied in order.

        :raises InvalidItemError: a vocabulary defined twice, or an extension of a vocabulary
            that is not there.
        :raises pmae.vocab.VocabularyError: a closed vocabulary extended, a code given twice.
        """
        items = [r.item for r in self.registered("pmae_register_vocabularies")]
        ids = [item.id for item in items if isinstance(item, Vocabulary)]
        for again in sorted({i for i in ids if ids.count(i) > 1}):
            raise InvalidItemError(f"vocabulary {again!r} is already defined")
        result = {item.id: item for item in items if isinstance(item, Vocabulary)}
        for item in items:
            if isinstance(item, VocabularyExtension):
                if item.vocabulary not in result:
                    raise InvalidItemError(f"no vocabulary {item.vocabulary!r} to extend")
                terms = tuple(attrs.evolve(term, territories=item.territories)
                              if item.territories else term for term in item.terms)
                result[item.vocabulary] = result[item.vocabulary].extended(
                    terms, namespace=item.namespace)
        return result

    def territories(self) -> Territories:
        """The first whole base in order (else INSEE's), then every referential, in order.

        pmae's built-in INSEE COG comes last, so a plugin's newer vintage replaces it.

        :raises pmae.territories.TerritoryError: a parent not known yet, a code given twice.
        """
        items: list[TerritoryReferential] = [
            r.item for r in self.registered("pmae_register_territories")]
        territories = next((i.base for i in items if i.base is not None), None)
        territories = territories or core_territories()
        for item in items:
            if item.base is None and item.level is not None:
                territories = territories.with_referential(level=item.level,
                                                           entries=item.entries)
        return territories

    def check_context(self) -> CheckContext:
        """What bundles are checked against: every vocabulary and territory registered."""
        return CheckContext(vocabularies=self.vocabularies(), territories=self.territories())


__all__ = ["AmbiguousNameError", "PluginError", "PluginInfo", "PluginWarning", "Registered",
           "Registry", "isolated_check"]
