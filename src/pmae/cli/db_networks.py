"""``pmae db add-network`` and ``pmae db networks``: the networks of a PostgreSQL store, each
its own database role (see :mod:`pmae.store.networks`)."""

from __future__ import annotations

import click

from pmae.cli.common import FORMAT_OPTION, echo_json
from pmae.cli.db import DB_OPTION, shown, store_errors
from pmae.i18n import gettext as _

__all__ = ["add_network_command", "networks_command", "share_needs_command",
           "shared_needs_command"]


def _postgres_url(db_path: str) -> str:
    from pmae.store.backend import is_postgres_url

    if not is_postgres_url(db_path):
        raise click.UsageError(
            _("{db}: networks are roles of a PostgreSQL store; give --db postgresql://… (an "
              "SQLite store is a file: whoever has the file reads it all)").format(
                  db=shown(db_path)))
    return db_path


@click.command("add-network")
@click.argument("slug")
@click.option("--role", default=None, help="The role's name (default: pmae_<slug>).")
@DB_OPTION
@click.pass_context
def add_network_command(ctx: click.Context, slug: str, role: str | None, db_path: str) -> None:
    """Make SLUG a network of the PostgreSQL store, with its own login role.

    Run as the store's administrator. The role is created with a new random password,
    printed once (unless it exists already: its password is left as it is); connected as
    that role, the network reads what row-level security lets it see and publishes the
    records of its own source only. The label tables, which networks only read, are filled
    meanwhile (every term of the vocabularies, every code the records use).
    """
    from pmae.cli.common import session_of
    from pmae.store.backend import redacted
    from pmae.store.networks import add_network, network_url

    url = _postgres_url(db_path)
    with store_errors():
        network, password = add_network(url, slug, role=role, session=session_of(ctx))
    click.echo(_("network {slug}: role {role}").format(slug=network.slug, role=network.role))
    if password is None:
        click.echo(_("the role {role} existed already; its password is unchanged").format(
            role=network.role))
        connects = redacted(network_url(url, network.role, "PASSWORD"))
    else:
        click.echo(_("password: {password} (shown once: give it to the network privately)")
                   .format(password=password))
        connects = network_url(url, network.role, password)
    click.echo(_("it connects with: {url}").format(url=connects))


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
        click.echo(_("{db}: no network yet (pmae db add-network SLUG)").format(
            db=shown(db_path)))
    for network in found:
        click.echo(f"{network.slug}\t{network.role}"
                   + ("" if network.can_login else "\t" + _("(cannot log in)")))


_BY = click.option("--by", default="theme,dep", show_default=True,
                   help="Dimensions of the table, as for pmae needs.")


@click.command("share-needs")
@_BY
@DB_OPTION
@click.pass_context
def share_needs_command(ctx: click.Context, by: str, db_path: str) -> None:
    """Compute the shared diagnosis of every network's needs, protected as `pmae needs`
    protects it (its defaults; PMAE_SECRECY_KEY keys the noise), and store its tables in the
    PostgreSQL store for the networks (run as the administrator, after publications)."""
    import datetime as dt

    from pmae.analysis.shared_diagnosis import aggregate, shareable_needs
    from pmae.cli.common import session_of
    from pmae.store import open_store
    from pmae.store.networks import save_shared_diagnosis

    url = _postgres_url(db_path)
    session = session_of(ctx)
    try:
        with store_errors():
            with open_store(url, session=session) as store:
                needs = store.bundle(collections=("needs",)).needs
            diagnosis = aggregate(shareable_needs(needs), by=by,
                                  territories=session.territories)
            now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
            save_shared_diagnosis(url, by, diagnosis.to_json(), computed_at=now)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--by") from None
    click.echo(_("shared diagnosis by {by}: {n} published cells, stored for the networks")
               .format(by=by, n=len(diagnosis.published())))


@click.command("shared-needs")
@_BY
@DB_OPTION
def shared_needs_command(by: str, db_path: str) -> None:
    """The shared diagnosis's protected tables as the administrator stored them (JSON, as
    `pmae needs --format json`): what a network reads of the others' needs."""
    from pmae.store.networks import shared_diagnosis

    url = _postgres_url(db_path)
    with store_errors():
        document = shared_diagnosis(url, by)
    if document is None:
        click.echo(_("{db}: no shared diagnosis by {by} yet (the administrator runs pmae db "
                     "share-needs --by {by})").format(db=shown(db_path), by=by), err=True)
        raise SystemExit(1)
    echo_json(document)
