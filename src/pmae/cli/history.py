"""``pmae history``: every version of one record of the store, publication by publication."""

from __future__ import annotations

import sys

import click

from pmae.cli.common import FORMAT_OPTION, echo_json
from pmae.cli.db import DB_OPTION, opened_store, shown
from pmae.i18n import gettext as _

__all__ = ["history"]


@click.command()
@click.argument("record_id", metavar="ID")
@DB_OPTION
@FORMAT_OPTION
@click.option("--records", "show_records", is_flag=True,
              help="Print each version of the record (JSON) under its line.")
def history(record_id: str, db_path: str, output_format: str,
            show_records: bool) -> None:
    """Every version of the record ID in the store: added, changed, withdrawn, and when.

    Exit code 1 when the store never held ID.
    """
    with opened_store(db_path) as store:
        versions = store.history(record_id)
    if output_format == "json":
        echo_json([version.to_dict() for version in versions])
    elif not versions:
        click.echo(_("{id}: never published into {db}").format(id=record_id, db=shown(db_path)),
                   err=True)
    # The kinds of change, in the language of the run (the JSON keeps the codes).
    changes = {"added": _("added"), "changed": _("changed"), "withdrawn": _("withdrawn")}
    for version in versions if output_format == "text" else ():
        click.echo(_("#{publication} {published_at} {change} ({collection})").format(
            publication=version.publication, published_at=version.published_at,
            change=changes.get(version.change, version.change),
            collection=version.collection))
        if show_records and version.record is not None:
            click.echo(f"    {version.record}")
    sys.exit(0 if versions else 1)
