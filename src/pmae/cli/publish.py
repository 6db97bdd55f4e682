"""``pmae publish``: bundles into the store, replacing the records of each source they carry."""

from __future__ import annotations

import os
import sys

import click

from pmae.cli.common import (
    FORMAT_OPTION,
    echo_json,
    print_issues,
    report_and_exit,
    session_of,
)
from pmae.cli.db import DB_OPTION, shown, store_errors
from pmae.i18n import gettext as _
from pmae.io.bundles import is_json_lines
from pmae.render.progress import progress_bar

__all__ = ["publish"]


@click.command()
@click.argument("files", metavar="BUNDLE...", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, readable=True))
@DB_OPTION
@FORMAT_OPTION
@click.pass_context
def publish(ctx: click.Context, files: tuple[str, ...], db_path: str,
            output_format: str) -> None:
    """Publish BUNDLE files into the store, keeping every record's history.

    Each bundle is validated first; they are merged as `pmae merge` merges them; then, in one
    transaction, the records of every source they carry replace that source's records in the
    store. Records of other sources are never touched. An invalid bundle or a conflict writes
    nothing (exit 1); publishing what the store already holds changes nothing and says so.
    """
    from pmae.io.pipeline import InvalidBundleError
    from pmae.io.stream import FileChangedError
    from pmae.store import MergeConflictError, publish_into

    # One JSON Lines bundle is validated, then read again to be written, record by record:
    # twice its bytes (any other input is validated whole, without a bar).
    size = 2 * os.path.getsize(files[0]) if len(files) == 1 and is_json_lines(files[0]) else 0
    with store_errors():
        try:
            # The bar closes before anything else is printed.
            with progress_bar(_("publishing {path}").format(path=files[0]), size) as progress:
                result = publish_into(db_path, *files, session=session_of(ctx),
                                      progress=progress)
        except InvalidBundleError as error:
            report_and_exit(error.issues, output_format,
                            _("nothing was published into {db}: fix the bundles first").format(
                                db=shown(db_path)))
        except MergeConflictError as error:
            report_and_exit(error.issues, output_format,
                            _("nothing was published into {db}: resolve the conflicts").format(
                                db=shown(db_path)))
        except FileChangedError as error:
            raise click.ClickException(_("{error}; nothing was published").format(
                error=error)) from None
    if output_format == "json":
        echo_json({
            "publication": result.number, "holder": result.holder,
            "sources": list(result.sources),
            "changes": {name: c.to_dict() for name, c in result.changes.items()},
            "total": result.total.to_dict(),
            "issues": [issue.to_dict() for issue in result.issues],
        })
        sys.exit(0)
    print_issues(result.issues, summary=bool(result.issues))
    names = ", ".join(files)
    if result.number is None:
        click.echo(_("nothing changed: {db} already holds {names} (publication #{holder}); "
                     "nothing was written").format(db=shown(db_path), names=names,
                                                   holder=result.holder))
        return
    click.echo(_("published {names} into {db} as publication #{number} (sources {sources}): "
                 "{summary}").format(names=names, db=shown(db_path), number=result.number,
                                     sources=", ".join(result.sources),
                                     summary=result.total.summary()))
    for name, changes in result.changes.items():
        if changes.added or changes.changed or changes.withdrawn:
            click.echo(f"  {name}: {changes.summary()}")

