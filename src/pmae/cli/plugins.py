"""``pmae plugins``: every plugin, its version, hooks, items and status."""

from __future__ import annotations

from typing import Any

import click

from pmae.cli.common import echo_json, session_of

__all__ = ["plugins"]


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def plugins(ctx: click.Context, as_json: bool) -> None:
    """List every plugin: distribution, version, hooks, items registered, status."""
    listing = session_of(ctx).plugins.listing()
    if as_json:
        echo_json(listing)
        return
    builtin = {info["name"] for info in listing if info["builtin"]}
    for info in listing:
        version = f" {info['version']}" if info["version"] else ""
        origin = "built-in" if info["builtin"] else (info["distribution"] or "local")
        click.echo(f"{info['name']}{version} ({origin}) — {info['status']}"
                   + (f": {info['reason']}" if info["reason"] else ""))
        for item in info["items"]:
            click.echo(f"    {item['kind']:<12} {item['name']}" + _address(item, builtin))


def _address(item: dict[str, Any], builtin: set[str]) -> str:
    """How to name an item its bare name does not reach, and why."""
    if "address" not in item:
        return ""
    owner = item["bare_name"]
    why = ("several plugins have that name" if owner is None
           else f"{item['name']!r} is pmae's own ({owner})" if owner in builtin
           else f"{item['name']!r} is {owner}'s")
    return f"  → {item['address']} ({why})"
