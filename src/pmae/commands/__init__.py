"""Commands of the ``pmae`` command line that live in their own modules, and what they share.

Each module defines one click command (or group); ``pmae.cli`` adds them to the ``pmae`` group.
The helpers below are the command line's own conventions, written once: plugin loading that
turns a strict-mode failure into a one-line error, the check of an output path before any
work, and JSON printing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import orjson

from pmae.plugins.manager import PluginError, PluginManager, get_plugin_manager

__all__ = ["check_not_input", "check_output", "echo_json", "plugin_manager"]


def plugin_manager() -> PluginManager:
    """The process-wide plugin manager; a strict-mode failure becomes a clean error."""
    try:
        return get_plugin_manager()
    except PluginError as error:
        raise click.ClickException(f"{error} (PMAE_STRICT_PLUGINS is set)") from None


def check_output(path: str, *, folder_ok: bool = False) -> None:
    """Refuse an output path whose folder does not exist, before doing any work."""
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        raise click.UsageError(f"cannot write {path}: the folder {folder} does not exist")
    if Path(path).is_dir() and not folder_ok:
        raise click.UsageError(f"cannot write {path}: it is a folder; give a file name")


def echo_json(data: Any) -> None:
    """Print data as indented JSON on standard output."""
    click.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())


def check_not_input(output: str | None, *inputs: str) -> None:
    """Refuse an output that is one of the command's inputs, or a folder holding one: writing
    it would replace the data."""
    if output is None or not Path(output).exists():
        return
    target = Path(output).resolve()
    for path in inputs:
        source = Path(path).resolve()
        if target == source or (target.is_dir() and source.is_relative_to(target)):
            raise click.UsageError(
                f"{output} is also an input: write the result to another file, so the "
                "input is not replaced")
