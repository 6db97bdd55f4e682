"""``pmae schema``: the JSON Schemas of the bundle format."""

from __future__ import annotations

import click

from pmae.cli.common import echo_json
from pmae.i18n import gettext as _
from pmae.io.schemas import load_schema, schema_names

__all__ = ["schema"]


@click.command()
@click.argument("name", required=False)
def schema(name: str | None) -> None:
    """Print the JSON Schema NAME (bundle, offer, actor…), or list them."""
    if name is None:
        for schema_name in schema_names():
            loaded = load_schema(schema_name)
            click.echo(f"{schema_name:<14} {loaded.get('title', '')} — {loaded['$id']}")
        return
    if name not in schema_names():
        raise click.UsageError(_("no schema named {name!r}; known: {known}").format(
            name=name, known=", ".join(schema_names())))
    echo_json(load_schema(name))
