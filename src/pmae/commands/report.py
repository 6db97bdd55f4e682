"""``pmae report``: the static, offline site of a bundle, for an audience.

It parses arguments and prints; the pages are made by :mod:`pmae.report`. Exit codes: 0 ok,
1 the bundle has errors, 2 usage error (bad audience, a folder that is not a report).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pmae.commands import check_not_input, plugin_manager
from pmae.io.audience import UnknownAudienceError, check_audience
from pmae.io.pipeline import validate_file
from pmae.report import build_report

__all__ = ["report"]


@click.command()
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("-o", "--output", required=True, help="The folder to write the site into.")
@click.option("--audience", default="public", show_default=True,
              help="public, network, recipient:<network-or-actor-id>, or all.")
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True,
              help="Language of the pages.")
@click.option("--force", is_flag=True,
              help="Replace a non-empty folder that is not a previous pmae report.")
def report(bundle: str, output: str, audience: str, lang: str, force: bool) -> None:
    """Write the report of BUNDLE: a static site to read offline, in the folder OUTPUT.

    Pages: key figures, the directory of actors and offers (by theme, stage and département),
    the coverage heatmaps with the zones blanches, the support chain per theme, the shared
    diagnosis (with statistical secrecy) and the year's meetings. Only what the audience may
    see is shown. A previous report in OUTPUT is replaced as a whole.
    """
    try:
        check_audience(audience)
    except UnknownAudienceError as error:
        raise click.UsageError(str(error)) from None
    check_not_input(output, bundle)
    target = Path(output)
    folder = target.resolve().parent
    if not folder.is_dir():
        raise click.UsageError(f"cannot write {output}: the folder {folder} does not exist")
    if target.exists() and not target.is_dir():
        raise click.UsageError(f"cannot write {output}: it is a file, not a folder")
    manager = plugin_manager()
    validated = validate_file(bundle, context=manager.check_context(),
                              extra_checks=manager.check_functions())
    if not validated.ok or validated.bundle is None:
        for issue in validated.issues:
            click.echo(issue.render())
        click.echo(f"{bundle}: the bundle has errors; nothing was written", err=True)
        sys.exit(1)
    try:
        result = build_report(validated.bundle, target, audience=audience, lang=lang,
                              manager=manager, overwrite=force)
    except FileExistsError as error:
        raise click.UsageError(str(error)) from None
    click.echo(f"wrote {output}: {len(result.pages)} pages for the audience {audience} "
               f"(open {target / 'index.html'})")
