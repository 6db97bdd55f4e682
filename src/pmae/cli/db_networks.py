"""``pmae db add-network`` and ``pmae db networks``: the networks of a PostgreSQL store, each
its own database role (see :mod:`pmae.store.networks`)."""

from __future__ import annotations

import click

from pmae.cli.common import FORMAT_OPTION, echo_json
from pmae.cli.db import DB_OPTION, store_errors

__all__ = ["add_network_command", "networks_command"]


def _postgres_url(db_path: str) -> str:
    from pmae.store.backend import is_postgres_url

    if not is_postgres_url(db_path):
        raise click.UsageError(
            f"{db_path}: networks are roles of a PostgreSQL store; give --db postgresql://… "
            "(an SQLite store is a file: whoever has the file reads it all)")
    return db_path


@click.command("add-network")
@click.argument("slug")
@click.option("--role", default=None, help="The role's name (default: pmae_<slug>).")
@DB_OPTION
def add_network_command(slug: str, role: str | None, db_path: str) -> None:
    """Make SLUG a network of the PostgreSQL store, with its own login role.

    Run as the store's administrator. The role is created with a new random password,
    printed once (unless it exists already: its password is left as it is); connected as
    that role, the network reads what row-level security lets it see and publishes the
    records of its own source only.
    """
    from pmae.store.backend import redacted
    from pmae.store.networks import add_network, network_url

    url = _postgres_url(db_path)
    with store_errors():
        network, password = add_network(url, slug, role=role)
    click.echo(f"network {network.slug}: role {network.role}")
    if password is None:
        click.echo(f"the role {network.role} existed already; its password is unchanged")
        click.echo(f"it connects with: {redacted(network_url(url, network.role, 'PASSWORD'))}")
    else:
        click.echo(f"password: {password} (shown once: give it to the network privately)")
        click.echo(f"it connects with: {network_url(url, network.role, password)}")


@click.command("networks")
@DB_OPTION
@FORMAT_OPTION
def networks_command(db_path: str, output_format: str) -> None:
    """The networks of the PostgreSQL store: their slug and role."""
    from pmae.store.networks import networks

    url = _postgres_url(db_path)
    with store_errors():
        found = networks(url)
    if output_format == "json":
        echo_json([{"slug": n.slug, "role": n.role, "can_login": n.can_login} for n in found])
        return
    if not found:
        click.echo(f"{db_path}: no network yet (pmae db add-network SLUG)")
    for network in found:
        click.echo(f"{network.slug}\t{network.role}"
                   + ("" if network.can_login else "\t(cannot log in)"))
