"""``pmae plugins``: every plugin, its version, hooks, items and status."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from pmae.cli.common import echo_json, session_of
from pmae.i18n import gettext as _

if TYPE_CHECKING:
    from pmae.plugins.context import Option
    from pmae.plugins.items import Exporter, Importer
    from pmae.plugins.registry import Registered, Registry

__all__ = ["declared_options", "plugins", "with_options"]


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def plugins(ctx: click.Context, as_json: bool) -> None:
    """List every plugin: distribution, version, hooks, items registered, status."""
    registry = session_of(ctx).plugins
    options = declared_options(registry)
    listing = [with_options(info, options) for info in registry.listing()]
    if as_json:
        echo_json(listing)
        return
    builtin = {info["name"] for info in listing if info["builtin"]}
    for info in listing:
        version = f" {info['version']}" if info["version"] else ""
        origin = _("built-in") if info["builtin"] else (info["distribution"] or _("local"))
        click.echo(f"{info['name']}{version} ({origin}) — {info['status']}"
                   + (f": {info['reason']}" if info["reason"] else ""))
        for item in info["items"]:
            click.echo(f"    {item['kind']:<12} {item['name']}" + _address(item, builtin))
            for option in options.get((info["name"], item["kind"], item["name"]), ()):
                click.echo(_("        --option {option}").format(option=option.describe()))


def _address(item: dict[str, Any], builtin: set[str]) -> str:
    """How to name an item its bare name does not reach, and why."""
    if "address" not in item:
        return ""
    owner = item["bare_name"]
    why = ("several plugins have that name" if owner is None
           else f"{item['name']!r} is pmae's own ({owner})" if owner in builtin
           else f"{item['name']!r} is {owner}'s")
    return f"  → {item['address']} ({why})"


def declared_options(registry: Registry) -> dict[tuple[str, str, str], tuple[Option, ...]]:
    """(plugin, kind, name) -> the options an exporter or importer declares."""
    items: list[tuple[str, Registered[Exporter] | Registered[Importer]]] = [
        ("exporter", r) for r in registry.exporters()]
    items += [("importer", r) for r in registry.importers()]
    return {(r.plugin, kind, r.name): r.item.options for kind, r in items
            if r.item.options is not None}


def with_options(info: dict[str, Any],
                 options: dict[tuple[str, str, str], tuple[Option, ...]]) -> dict[str, Any]:
    """A plugin's listing with ``options`` (a list, empty if it takes none) on each exporter
    and importer that declares them."""
    for item in info["items"]:
        declared = options.get((info["name"], item["kind"], item["name"]))
        if declared is not None:
            item["options"] = [option.to_dict() for option in declared]
    return info
