"""``pmae db``: the store itself: its log of publications, its schema upgrade, what it holds.

Also what the store commands share: the ``--db`` option (``PMAE_DB``) and opening the store
with its refusals turned into one-line errors (exit 2); and where an analysis reads its data
(:func:`data_option`): ``BUNDLE`` when one is given, else the store (``--db``, ``PMAE_DB``, or
``pmae.db``).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar, cast

import attrs
import click

from pmae.cli.common import FORMAT_OPTION, echo_json, load_valid_bundle
from pmae.i18n import gettext as _
from pmae.render.progress import progress_bar, shows_progress

if TYPE_CHECKING:
    from pmae.model import Bundle
    from pmae.sessions import Session
    from pmae.store import Publication, Store
    from pmae.territories import Territories

__all__ = ["DB_OPTION", "DataSource", "data_option", "db", "opened_store", "records_to_read",
           "shown", "store_errors"]

_F = TypeVar("_F", bound=Callable[..., Any])

#: ``--db PATH``: the store (a path, an sqlite:/// or a postgresql:// URL), else ``PMAE_DB``,
#: else ``pmae.db``.
DB_OPTION: Callable[[_F], _F] = click.option(
    "--db", "db_path", envvar="PMAE_DB", default="pmae.db", show_default=True,
    show_envvar=True, help="The store: a file path, an sqlite:/// URL or a postgresql:// URL.")


def shown(db_path: str | None) -> str:
    """The store ``db_path`` names, as printed: a URL's password replaced by ``***``
    (``postgresql://pmae_a:***@host/db``); a path as it is."""
    from pmae.store.backend import redacted

    return redacted(db_path or "pmae.db")


@contextlib.contextmanager
def store_errors(hint: str = "") -> Iterator[None]:
    """A store that cannot be used (missing, damaged, newer, locked…): its message, exit 2.

    :param hint: said after the message of a missing store (``; or give a BUNDLE file``).
    """
    from pmae.store import StoreError, StoreNotFoundError

    try:
        yield
    except StoreError as error:
        more = hint if isinstance(error, StoreNotFoundError) else ""
        click.echo(_("pmae: error: {error}{more}").format(error=error, more=more), err=True)
        sys.exit(2)


def data_option(function: _F) -> _F:
    """``[BUNDLE]`` and ``--db PATH``: what an analysis reads (see :class:`DataSource`)."""
    function = click.option(
        "--db", "db_path", envvar="PMAE_DB", default=None, show_envvar=True,
        help="Read the store at this path (or sqlite:///, postgresql:// URL) instead of a "
             "BUNDLE; without "
             "BUNDLE the store is PMAE_DB, else pmae.db.")(function)
    return click.argument("bundle", required=False,
                          type=click.Path(exists=True, dir_okay=False, readable=True))(function)


@attrs.define(frozen=True)
class DataSource:
    """Where a command reads its data: a bundle file, or else a store.

    The rule: ``BUNDLE`` when one is given; without one, the store ``--db`` names, else
    ``PMAE_DB``, else ``pmae.db`` in the working folder. ``BUNDLE`` and ``--db`` together are a
    usage error (``PMAE_DB`` is only a default, so a ``BUNDLE`` overrides it).
    """

    bundle: str | None
    store: str | None

    @classmethod
    def of(cls, ctx: click.Context, bundle: str | None, db_path: str | None) -> DataSource:
        """The source the arguments name (a usage error for ``BUNDLE`` with ``--db``)."""
        if bundle is not None:
            given = ctx.get_parameter_source("db_path") == click.core.ParameterSource.COMMANDLINE
            if given:
                raise click.UsageError(_("give a BUNDLE or --db, not both"))
            return cls(bundle=bundle, store=None)
        return cls(bundle=None, store=db_path or "pmae.db")

    @property
    def paths(self) -> tuple[str, ...]:
        """The file read: what an output must not replace."""
        return (self.bundle,) if self.bundle is not None else (str(self.store),)

    def refuse_writing(self, option: str) -> None:
        """A usage error: ``option`` writes into a bundle, and the data comes from a store."""
        if self.bundle is None:
            raise click.UsageError(
                _("{option} writes into a BUNDLE file; the store changes only by publication "
                  "(`pmae publish`): give the bundle, record there, then publish it").format(
                      option=option))

    def load(self, ctx: click.Context | None, *, output_format: str = "text",
             why: str | None = None, collections: tuple[str, ...] | None = None,
             light: bool = False, territories: Territories | None = None) -> Bundle:
        """The bundle: the file validated whole (its issues printed and exit 1 when it has
        errors), or the store's records, validated when they were published and read back
        without validating them again.

        :param collections: from a store, read only these (an analysis that needs a few).
        :param light: from a store, the light rows of ``collections`` (actors, offers, needs,
            or the needs counted, ``need_counts``; see :mod:`pmae.store.light`) instead of whole
            records: for coverage and the shared diagnosis, which read only what those carry.
        :param territories: with ``light``, the needs counted a département's communes
            together (:func:`pmae.store.light.need_counts`), for coverage with these.
        """
        if self.bundle is not None:
            return load_valid_bundle(ctx, self.bundle, output_format=output_format, why=why)
        if light:
            from pmae.store.light import LIGHT_COLLECTIONS

            with opened_store(str(self.store), hint=_("; or give a BUNDLE file")) as store:
                # The rows carry, with the model's values, every attribute these analyses
                # read (tests/test_store_light.py): they stand for the bundle's records.
                return cast("Bundle", store.light_bundle(collections or LIGHT_COLLECTIONS,
                                                         territories=territories))
        with opened_store(str(self.store), hint=_("; or give a BUNDLE file")) as store, \
                progress_bar(_("reading {path}").format(path=shown(self.store)),
                             records_to_read(store, collections)) as progress:
            return store.bundle(collections=collections, progress=progress)


def records_to_read(store: Store, collections: Iterable[str] | None = None) -> int:
    """How many records reading ``collections`` (all by default) of the store reads, when a
    progress bar shows (0 otherwise: counting is a query)."""
    if not shows_progress():
        return 0
    counts = store.counts()
    return sum(counts[name] for name in (collections or counts))


@contextlib.contextmanager
def opened_store(db_path: str, *, hint: str = "", session: Session | None = None
                 ) -> Iterator[Store]:
    """The store at ``db_path`` (never made here), closed afterwards.

    :param session: the store's (for its territories: listings, orientation); the default
        session otherwise.
    """
    from pmae.store import open_store

    with store_errors(hint):
        store = open_store(db_path, session=session)
        try:
            yield store
        finally:
            store.close()


@click.group()
def db() -> None:
    """The store: its log of publications, its schema upgrade, what it holds."""


def _log_line(entry: Publication) -> str:
    memory = _("(in memory)")  # a bundle published as a value (the demo's), not a file
    files = ", ".join(
        f"{b.file or memory} [{b.source}, sha256 {b.sha256[:12]}]" for b in entry.bundles)
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
        click.echo(_("{db}: no publication yet").format(db=shown(db_path)))
    for entry in entries:
        click.echo(_log_line(entry))


@db.command("upgrade")
@DB_OPTION
@click.pass_context
def upgrade_command(ctx: click.Context, db_path: str) -> None:
    """Bring the store's schema up to this pmae's (a store from a newer pmae is refused).

    On PostgreSQL (as the administrator), also the networks' rights and the label tables:
    every term of the vocabularies (plugins' included) and every code the records use.
    """
    from pmae.cli.common import session_of
    from pmae.store import SCHEMA_VERSION, upgrade
    from pmae.store.backend import is_postgres_url

    postgres = is_postgres_url(db_path)
    with store_errors():
        found, done = upgrade(db_path, session=session_of(ctx) if postgres else None)
    if done:
        click.echo(_("{db}: schema upgraded from version {found} to {version}").format(
            db=shown(db_path), found=found, version=SCHEMA_VERSION))
    else:
        click.echo(_("{db}: schema version {found}, up to date").format(db=shown(db_path),
                                                                        found=found))
    if postgres:
        click.echo(_("{db}: the networks' rights and the label tables refreshed").format(
            db=shown(db_path)))


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
    click.echo(_("{db}: schema version {version}, {publications} publication(s), {records} "
                 "records").format(db=shown(db_path), version=SCHEMA_VERSION,
                                   publications=publications, records=sum(counts.values())))
    for name, count in counts.items():
        if count:
            click.echo(f"  {name}: {count}")


# Its own module (one module per command); imported last, as it takes DB_OPTION from here.
from pmae.cli.db_metadata import metadata_command  # noqa: E402
from pmae.cli.db_networks import (  # noqa: E402
    add_network_command,
    networks_command,
    share_needs_command,
    shared_needs_command,
)

db.add_command(metadata_command)
for command in (add_network_command, networks_command, share_needs_command,
                shared_needs_command):
    db.add_command(command)
