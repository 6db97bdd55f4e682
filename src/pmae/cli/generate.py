"""``pmae generate``: a synthetic bundle at any scale."""

from __future__ import annotations

from typing import Literal

import click

from pmae.cli.common import FORCE_OPTION, check_output
from pmae.i18n import gettext as _

__all__ = ["generate"]


@click.command()
@click.option("--associations", type=click.IntRange(min=1), default=1000, show_default=True,
              help="How many associations (needs, actors and offers scale with them).")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same bytes.")
@click.option("--invalid-fraction", type=click.FloatRange(0, 1), default=0.0,
              help="Share of records to corrupt on purpose (to test validators).")
@click.option("-o", "--output", required=True, help="Where to write (.json or .jsonl).")
@FORCE_OPTION
def generate(associations: int, seed: int, invalid_fraction: float, output: str,
             force: bool) -> None:
    """Generate a synthetic bundle at any scale (national: --associations 150000)."""
    from pmae import synth

    check_output(output, force=force)
    fmt: Literal["json", "jsonl"] = (
        "jsonl" if output.endswith((".jsonl", ".ndjson")) else "json")
    synth.write(output, fmt=fmt, associations=associations, seed=seed,
                invalid_fraction=invalid_fraction)
    click.echo(_("wrote {output}").format(output=output), err=True)
