"""``pmae validate``: schema, structure and semantic checks of bundle files."""

from __future__ import annotations

import sys

import click

from pmae.cli.common import FORMAT_OPTION, echo_json, print_issues, session_of
from pmae.i18n import gettext as _
from pmae.issues import Issue

__all__ = ["validate"]


@click.command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, readable=True))
@FORMAT_OPTION
@click.option("--detailed", is_flag=True,
              help="Run the detailed JSON Schema validator on everything (slower, same report).")
@click.pass_context
def validate(ctx: click.Context, files: tuple[str, ...], output_format: str,
             detailed: bool) -> None:
    """Validate bundle FILES (JSON or JSON Lines): schema, structure, semantic checks.

    Exit code 0 when there are no errors (warnings allowed), 1 when there are.
    """
    session = session_of(ctx)
    issues: list[Issue] = []
    for file in files:
        issues.extend(session.validate_file(file, fast=not detailed).issues)
    if output_format == "json":
        echo_json([issue.to_dict() for issue in issues])
    else:
        print_issues(issues, summary=True)
        if not any(issue.severity == "error" for issue in issues):
            click.echo(_("{n} file(s) valid").format(n=len(files)))
    sys.exit(1 if any(i.severity == "error" for i in issues) else 0)
