"""``pmae db``: the store itself: its log of publications, its schema upgrade, what it holds.

Also what the store commands share: the ``--db`` option (``PMAE_DB``) and opening the store
with its refusals turned into one-line errors (exit 2).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import click

from pmae.cli.common import FORMAT_OPTION, echo_json

if TYPE_CHECKING:
    from pmae.store import Publication, Store

__all__ = ["DB_OPTION", "db", "opened_store", "store_errors"]

_F = TypeVar("_F", bound=Callable[..., Any])

#: ``--db PATH``: the store (a path or sqlite:/// URL), else ``PMAE_DB``, else ``pmae.db``.
DB_OPTION: Callable[[_F], _F] = click.option(
    "--db", "db_path", envvar="PMAE_DB", default="pmae.db", show_default=True,
    show_envvar=True, help="The store: a file path or an sqlite:/// URL.")


@contextlib.contextmanager
def store_errors() -> Iterator[None]:
    """A store that cannot be used (missing, damaged, newer, locked…): its message, exit 2."""
    from pmae.store import StoreError

    try:
        yield
    except StoreError as error:
        click.echo(f"pmae: error: {error}", err=True)
        sys.exit(2)


@contextlib.contextmanager
def opened_store(db_path: str) -> Iterator[Store]:
    """The store at ``db_path`` (never made here), closed afterwards."""
    from pmae.store import open_store

    with store_errors():
        store = open_store(db_path)
        try:
            yield store
        finally:
            store.close()


@click.group()
def db() -> None:
    """The store: its log of publications, its schema upgrade, what it holds."""


def _log_line(entry: Publication) -> str:
    files = ", ".join(
        f"{b.file or '(in memory)'} [{b.source}, sha256 {b.sha256[:12]}]" for b in entry.bundles)
    return (f"#{entry.number} {entry.published_at} {files}: {entry.changes.summary()} "
            f"(pmae {entry.pmae_version})")


@db.command("log")
@DB_OPTION
@FORMAT_OPTION
def log_command(db_path: str, output_format: str) -> None:
    """Every publication: when, which files (SHA-256), which sources, what changed."""
    with opened_store(db_path) as store:
        entries = store.log()
    if output_format == "json":
        echo_json([entry.to_dict() for entry in entries])
        return
    if not entries:
        click.echo(f"{db_path}: no publication yet")
    for entry in entries:
        click.echo(_log_line(entry))


@db.command("upgrade")
@DB_OPTION
def upgrade_command(db_path: str) -> None:
    """Bring the store's schema up to this pmae's (a store from a newer pmae is refused)."""
    from pmae.store import SCHEMA_VERSION, store_path, upgrade

    with store_errors():
        found, done = upgrade(store_path(db_path))
    if done:
        click.echo(f"{db_path}: schema upgraded from version {found} to {SCHEMA_VERSION}")
    else:
        click.echo(f"{db_path}: schema version {found}, up to date")


@db.command("info")
@DB_OPTION
@FORMAT_OPTION
def info_command(db_path: str, output_format: str) -> None:
    """What the store holds: records per collection, publications, schema version."""
    from pmae.store import SCHEMA_VERSION

    with opened_store(db_path) as store:
        counts = store.counts()
        publications = len(store.log())
    if output_format == "json":
        echo_json({"schema_version": SCHEMA_VERSION, "publications": publications,
                   "records": counts})
        return
    click.echo(f"{db_path}: schema version {SCHEMA_VERSION}, {publications} publication(s), "
               f"{sum(counts.values())} records")
    for name, count in counts.items():
        if count:
            click.echo(f"  {name}: {count}")


# Its own module (one module per command); imported last, as it takes DB_OPTION from here.
from pmae.cli.db_metadata import metadata_command  # noqa: E402

db.add_command(metadata_command)
