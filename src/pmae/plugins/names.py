"""How items are named and found: bare names, ``<plugin>:<name>``, and the core's own names.

A bare name (``json``) finds the one item of that name. When several plugins registered it,
the bare name stays **pmae's own** if one of them is a built-in plugin (a plugin cannot shadow
``json``, ``csv`` or a reference diagnostic tool), and is ambiguous otherwise; every item is
always reachable as ``<plugin>:<name>``, where ``<plugin>`` is the plugin's name (for an
installed plugin, its entry-point name, which is its distribution's name: ``pmae-hsds:hsds``).
A diagnostic tool's own name may be namespaced (``occitanie:gestion-benevoles``): a name is
first looked up as an item's own name, then as ``<plugin>:<name>``.

A name that finds nothing says which plugins are not loaded and how to load them, and a name in
``PMAE_LOAD_PLUGINS`` or ``PMAE_DISABLE_PLUGINS`` that no installed plugin has is warned about
with the nearest one (:func:`unknown_plugin_names`).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pmae.i18n import N_
from pmae.i18n import gettext as _

if TYPE_CHECKING:
    from pmae.plugins.registry import PluginInfo, Registered

#: Hooks whose items are looked up by name (``--to``, ``pmae import NAME``, ``pmae diagnose``).
ADDRESSED_HOOKS = ("pmae_register_exporters", "pmae_register_importers",
                   "pmae_register_diagnostics")

#: The kinds of items (:data:`pmae.plugins.hookspecs.HOOKS`), as the messages name them.
KIND_NOUNS: dict[str, str] = {
    "exporter": N_("exporter"), "importer": N_("importer"), "diagnostic": N_("diagnostic"),
    "vocabulary": N_("vocabulary"), "territories": N_("territories"), "check": N_("check")}


def kind_noun(kind: str) -> str:
    """``kind`` (``exporter``, ``diagnostic``…) in the language of the messages."""
    return _(KIND_NOUNS.get(kind, kind))


class AmbiguousNameError(LookupError):
    """A bare item name that several plugins registered; use ``<plugin>:<name>``."""


def matching(items: Sequence[Registered[Any]], name: str,
             infos: Mapping[str, PluginInfo]) -> list[Registered[Any]]:
    """The items ``name`` designates: the core's alone when it has one of that bare name."""
    found = [r for r in items if r.name == name]
    if not found and ":" in name:
        found = [r for r in items if r.qualified_name == name]
    core = [r for r in found if _builtin(infos, r.plugin)]
    return core if core and len(found) > 1 else found


def _builtin(infos: Mapping[str, PluginInfo], plugin: str) -> bool:
    info = infos.get(plugin)
    return info is not None and info.builtin


def address(items: Sequence[Registered[Any]], registered: Registered[Any],
            infos: Mapping[str, PluginInfo]) -> str:
    """The shortest name that finds ``registered``: its own, or ``<plugin>:<name>``."""
    return (registered.name if matching(items, registered.name, infos) == [registered]
            else registered.qualified_name)


def clash_message(kind: str, registered: Registered[Any], others: Sequence[str],
                   infos: Mapping[str, PluginInfo]) -> str:
    """The warning for an item whose name other plugins (``others``) registered too."""
    core = [other for other in others if _builtin(infos, other)]
    if core and not _builtin(infos, registered.plugin):
        return (f"{kind} {registered.name!r} of {registered.plugin} has the name of pmae's own "
                f"{kind} ({core[0]}): {registered.name!r} stays pmae's; address this one as "
                f"{registered.qualified_name!r}")
    return (f"{kind} {registered.name!r} is registered by {', '.join(others)} and "
            f"{registered.plugin}: address it as '<plugin>:{registered.name}'")


def _enable(info: PluginInfo) -> str:
    if info.status == "failed":
        return _("it failed to load ({reason}); see `pmae plugins`").format(reason=info.reason)
    if info.reason == "in PMAE_DISABLE_PLUGINS":
        return _("remove {name} from PMAE_DISABLE_PLUGINS to load it").format(name=info.name)
    if info.reason == "not in PMAE_LOAD_PLUGINS":
        return _("add {name} to PMAE_LOAD_PLUGINS to load it").format(name=info.name)
    return info.reason or _("it is not loaded")


def _stem(text: str | None) -> str:
    text = (text or "").lower().replace("_", "-")
    return text.removeprefix("pmae-")


def not_loaded_hint(name: str, infos: Iterable[PluginInfo]) -> str:
    """What to say after "no exporter named 'hsds'" about plugins that are not loaded.

    A plugin that is not loaded was never imported, so what it would register is unknown: the
    hint names the plugin whose name the item's name matches (``hsds`` → ``pmae-hsds``), else
    lists every plugin not loaded. Empty when every plugin is loaded.
    """
    idle = [info for info in infos if info.status != "loaded"]
    plugin, _colon, bare = name.rpartition(":")
    named = [info for info in idle if plugin and info.name == plugin]
    if named:
        return _("; the plugin {plugin} is not loaded: {how}").format(
            plugin=plugin, how=_enable(named[0]))
    likely = [info for info in idle if _stem(bare) in {_stem(info.name), _stem(info.distribution)}]
    if likely:
        return "; " + "; ".join(
            _("the plugin {plugin}, which is not loaded, probably provides it: {how}").format(
                plugin=info.name, how=_enable(info)) for info in likely)
    if idle:
        listed = ", ".join(f"{info.name} ({info.reason or info.status})" for info in idle)
        return _("; plugins not loaded, which may provide it: {plugins}").format(
            plugins=listed)
    return ""


def unknown_plugin_names(variable: str, names: Collection[str], installed: Collection[str],
                         builtin: Collection[str]) -> list[str]:
    """A warning for each name of ``variable`` that is not an installed plugin's."""
    messages = []
    for name in sorted(set(names) - set(installed)):
        if name in builtin:
            messages.append(f"{variable} names {name!r}, one of pmae's built-in plugins: they "
                            "are always loaded")
            continue
        nearest = difflib.get_close_matches(name, [*installed, *builtin], n=1, cutoff=0.6)
        known = ", ".join(sorted(installed)) or "none"
        guess = f"did you mean {nearest[0]!r}? " if nearest else ""
        messages.append(f"{variable} names {name!r}, which is not an installed plugin: {guess}"
                        f"(installed plugins: {known})")
    return messages
