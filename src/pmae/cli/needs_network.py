"""``pmae needs --db postgresql://…`` as a network: the tables the administrator stored.

Row-level security keeps a network's role from the other networks' needs, so the diagnosis it
could compute would count its own needs alone. Connected as such a role, ``pmae needs`` reads
instead the protected tables the administrator computed from every network's needs
(``pmae db share-needs``; :func:`pmae.store.networks.network_diagnosis`) and prints them as it
prints the tables it computes. As the administrator (or on SQLite) it computes as before.
"""

from __future__ import annotations

import click

from pmae.analysis.shared_diagnosis import SharedDiagnosis
from pmae.cli.db import DataSource, shown, store_errors
from pmae.i18n import gettext as _

__all__ = ["RULE_OPTIONS", "network_tables"]

#: The options of the secrecy rules: the stored tables were protected with their defaults.
RULE_OPTIONS = ("min_contributors", "dominance", "no_secondary", "no_rollup")


def network_tables(ctx: click.Context, source: DataSource, by: str) -> SharedDiagnosis | None:
    """The stored tables by ``by`` when ``source`` is a PostgreSQL store read as a role that
    cannot read every need; ``None`` when the diagnosis is to be computed (a bundle, an
    SQLite store, the administrator). Exit 1 when the administrator has not stored them; a
    note on standard error when they predate the last publication."""
    from pmae.store.backend import is_postgres_url

    if source.store is None or not is_postgres_url(source.store):
        return None
    from pmae.analysis.shared_diagnosis.published import from_published
    from pmae.store.networks import network_diagnosis

    with store_errors():
        stored = network_diagnosis(source.store, by)
    if stored is None:
        return None
    store = shown(source.store)
    given = [f"--{name.replace('_', '-')}" for name in RULE_OPTIONS
             if ctx.get_parameter_source(name) != click.core.ParameterSource.DEFAULT]
    if given:
        raise click.UsageError(_(
            "{options}: connected to {db} as a network, pmae needs reads the shared diagnosis "
            "the store's administrator computed with the default secrecy rules; a network "
            "cannot change them (nor read the other networks' needs)").format(
                options=", ".join(given), db=store))
    if stored.document is None:
        click.echo(_("{db}: no shared diagnosis by {by} yet. A network reads the other "
                     "networks' needs only as the protected tables the administrator computes: "
                     "ask them to run `pmae db share-needs --by {by} --db ADMIN_URL`").format(
                         db=store, by=by), err=True)
        raise SystemExit(1)
    if stored.outdated:
        click.echo(_("note: the shared diagnosis by {by} was computed at {computed_at}, "
                     "before the last publication into {db} ({published_at}): it does not "
                     "count the needs published since; ask the administrator to run "
                     "`pmae db share-needs --by {by} --db ADMIN_URL` again").format(
                         by=by, computed_at=stored.computed_at, db=store,
                         published_at=stored.last_publication), err=True)
    with store_errors():
        try:
            return from_published(stored.document)
        except ValueError as error:
            from pmae.store import StoreError

            raise StoreError(_(
                "{db}: the stored shared diagnosis by {by} cannot be read ({error}); ask the "
                "administrator to run `pmae db share-needs --by {by} --db ADMIN_URL` "
                "again").format(db=store, by=by, error=error)) from None
