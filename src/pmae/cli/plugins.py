"""``pmae plugins``: every plugin, its version, hooks, items and status."""

from __future__ import annotations

import click

from pmae.cli.common import echo_json, session_of

__all__ = ["plugins"]


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def plugins(ctx: click.Context, as_json: bool) -> None:
    """List every plugin: distribution, version, hooks, items registered, status."""
    infos = list(session_of(ctx).plugins.infos.values())
    if as_json:
        echo_json([info.to_dict() for info in infos])
        return
    for info in infos:
        version = f" {info.version}" if info.version else ""
        origin = "built-in" if info.builtin else (info.distribution or "local")
        click.echo(f"{info.name}{version} ({origin}) — {info.status}"
                   + (f": {info.reason}" if info.reason else ""))
        for kind, name in info.items:
            click.echo(f"    {kind:<12} {name}")
