"""``pmae sample``: the embedded sample bundle."""

from __future__ import annotations

import sys

import click

from pmae.cli.common import FORCE_OPTION, check_output
from pmae.i18n import gettext as _

__all__ = ["sample"]


@click.command()
@click.option("-o", "--output", default=None,
              help="Write the sample there (.json or .jsonl) instead of standard output.")
@FORCE_OPTION
def sample(output: str | None, force: bool) -> None:
    """Write the embedded sample bundle (an illustrative Rhône-Alpes démarche)."""
    from pmae.sample import load_sample, sample_bytes

    if output is None:
        sys.stdout.buffer.write(sample_bytes())
        return
    check_output(output, force=force)
    from pmae.io.bundles import write_bundle

    write_bundle(load_sample(), output)
    click.echo(_("wrote {output}").format(output=output), err=True)
