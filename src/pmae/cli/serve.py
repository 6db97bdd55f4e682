"""``pmae serve``: the store in Datasette, read-only, on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import click

from pmae.cli.common import check_audience_option, session_of
from pmae.cli.db import DB_OPTION, store_errors
from pmae.i18n import gettext as _

__all__ = ["serve"]


@click.command()
@DB_OPTION
@click.option("--audience", default="all", show_default=True,
              help="all serves the store itself; public (or network, recipient:<who>) serves "
                   "a file exported for that audience, made in a temporary folder.")
@click.option("-p", "--port", default=8001, show_default=True, type=click.IntRange(0, 65535),
              help="Port on 127.0.0.1 (0: any free port).")
@click.pass_context
def serve(ctx: click.Context, db_path: str, audience: str, port: int) -> None:
    """Browse the store in Datasette, read-only, on 127.0.0.1 (needs pmae[serve]).

    Datasette shows labels instead of codes, facets, full-text search and French titles
    (`pmae db metadata`). It cannot hide rows: `--audience public` serves a public export
    (no personal data, no non-public record), never the store. Stop it with Ctrl-C; restart
    it after a publication (Datasette reads the file as immutable).
    """
    from pmae.store.datasette import DatasetteMissingError, datasette_argv, prepare_serving

    check_audience_option(audience)
    with tempfile.TemporaryDirectory(prefix="pmae-serve-") as folder:
        with store_errors():
            try:
                served, described = prepare_serving(db_path, Path(folder), audience=audience,
                                                    session=session_of(ctx))
            except DatasetteMissingError as error:
                click.echo(_("pmae: error: {error}").format(error=error), err=True)
                sys.exit(2)
        click.echo(_("pmae: serving {served} (audience {audience}) read-only on "
                     "http://127.0.0.1:{port}/ ; Ctrl-C stops it").format(
                         served=served, audience=audience, port=port or _("<any free port>")),
                   err=True)
        try:
            done = subprocess.run(datasette_argv(served, described, port=port), check=False)
        except KeyboardInterrupt:  # Datasette got the Ctrl-C too and stops on its own
            return
    if done.returncode:
        sys.exit(done.returncode)
