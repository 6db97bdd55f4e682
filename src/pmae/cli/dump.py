"""``pmae dump``: the store's records as one bundle, for an audience."""

from __future__ import annotations

import click

from pmae.cli.common import FORCE_OPTION, check_audience_option, check_output
from pmae.cli.db import DB_OPTION, opened_store, records_to_read, shown
from pmae.i18n import gettext as _
from pmae.model import Source
from pmae.render.progress import progress_bar

__all__ = ["dump"]


@click.command()
@DB_OPTION
@click.option("-o", "--output", required=True, help="The bundle to write (.json or .jsonl).")
@click.option("--audience", default="all", show_default=True,
              help="Who the bundle is for: public, network, recipient:<network-or-actor-id>, "
                   "or all (the whole store, private records included).")
@click.option("--source", "slug", default="store", show_default=True,
              help="Slug of whoever publishes the bundle.")
@click.option("--name", default=None, help="Name of whoever publishes the bundle.")
@click.option("--licence", default=None,
              help="Licence of the bundle (required when the published ones' licences differ).")
@FORCE_OPTION
def dump(db_path: str, output: str, audience: str, slug: str,
         name: str | None, licence: str | None, force: bool) -> None:
    """Write the records of the store as one bundle, for an audience.

    The bundle is the one `pmae merge` would write from the bundles published last for each
    source, filtered for the audience as `pmae export` filters; it is written atomically.
    """
    from pmae.io.bundles import write_bundle
    from pmae.store import LicenceError

    check_audience_option(audience)
    check_output(output, db_path, force=force)
    with opened_store(db_path) as store:
        try:
            with progress_bar(_("reading {path}").format(path=shown(db_path)),
                              records_to_read(store)) as progress:
                bundle = store.dump(audience=audience, licence=licence,
                                    source=Source(slug=slug, name=name or "Store pmae"),
                                    progress=progress)
        except LicenceError as error:
            raise click.UsageError(_("{error} with --licence").format(error=error)) from None
    write_bundle(bundle, output)
    counts = bundle.counts()
    click.echo(_("wrote {output}: {records} records from {db} (audience {audience})").format(
        output=output, records=sum(counts.values()), db=shown(db_path), audience=audience),
        err=True)
