"""``pmae db metadata``: Datasette's metadata.json for the store, in French."""

from __future__ import annotations

import click

from pmae.cli.common import FORCE_OPTION, check_output, session_of, write_result
from pmae.cli.db import DB_OPTION, store_errors
from pmae.i18n import gettext as _

__all__ = ["metadata_command"]


@click.command("metadata")
@DB_OPTION
@click.option("-o", "--output", default=None, help="File to write (default: standard output).")
@click.pass_context
@FORCE_OPTION
def metadata_command(ctx: click.Context, db_path: str, output: str | None,
                     force: bool) -> None:
    """Datasette's metadata for the store: French titles, labels, facets, search.

    The database is named after the --db file (Datasette names it so); a file exported with
    `pmae export --to sqlite` gets the same tables described. Use it with
    `datasette serve -i pmae.db --metadata metadata.json`.
    """
    import orjson

    from pmae.store import store_path
    from pmae.store.datasette import database_name, file_facts, metadata

    check_output(output, db_path, force=force)
    with store_errors():
        path = store_path(db_path)
    audience, licence = file_facts(path)
    data = metadata(database_name(path), vocabularies=session_of(ctx).vocabularies,
                    audience=audience, licence=licence)
    text = orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"
    write_result(text, output, _(" (Datasette metadata for {name})").format(name=path.name))

