"""The command-line reference page of the documentation site, generated from the click commands.

Two uses, one generator:

- the MkDocs build runs this file as a hook (``hooks:`` in ``mkdocs.yml``): :func:`on_files`
  adds the page ``cli.md``, rendered at build time, so it can never drift from the code;
- ``python tools/cli_reference.py`` prints the page (to read it, or to diff it).

The commands are reached through ``Group.list_commands(ctx)`` and ``Group.get_command(ctx,
name)`` only, never through ``Group.commands``: a lazy group (commands imported on demand) lists
everything through those two methods, and ``commands`` may be empty or partial there.

``tests/test_cli_reference.py`` walks the same tree and checks that every command, subcommand
and option appears on the page.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from collections.abc import Iterator
from typing import Any

import click

PAGE = "cli.md"
PROG = "pmae"
# The console script is ``pmae = "pmae.cli:main"``; the click group is ``main`` itself when the
# command line is a lazy group, ``cli`` while ``main`` is the function wrapping it.
ROOT_MODULE = "pmae.cli"
ROOT_NAMES = ("main", "cli")

INTRO = """\
# Command line

Every command of `pmae`, generated from the command line itself when this site is built (the
same text as `pmae COMMAND --help`; every command takes `-h` or `--help`). Exit codes: 0 ok,
1 data problems found, 2 usage error. Plugins can add formats, diagnostic tools and
vocabularies that the options accept; `pmae plugins` lists what is installed.
"""

# Characters that Markdown would read as markup in running text.
_MARKUP = re.compile(r"([\\`*_\[\]#|])")


def root_command() -> click.Group:
    """The ``pmae`` click group, found where the console script points."""
    module = importlib.import_module(ROOT_MODULE)
    for name in ROOT_NAMES:
        candidate = getattr(module, name, None)
        if isinstance(candidate, click.Group):
            return candidate
    raise LookupError(f"no click group named {' or '.join(ROOT_NAMES)} in {ROOT_MODULE}: "
                      "update ROOT_NAMES in tools/cli_reference.py")


def walk(command: click.Command, ctx: click.Context) -> Iterator[click.Context]:
    """The context of ``command`` and of every subcommand under it, depth first, in the order
    ``list_commands`` gives."""
    yield ctx
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is None:  # a lazy group that lists a command it cannot load
                raise LookupError(f"{ctx.command_path} lists {name!r} but cannot load it")
            if sub.hidden:
                continue
            yield from walk(sub, click.Context(sub, info_name=name, parent=ctx))


def root_context(root: click.Command | None = None) -> click.Context:
    """The context every walk starts from (the program name as the console script sets it)."""
    root = root or root_command()
    return click.Context(root, info_name=PROG, max_content_width=100)


def _text(paragraph: str) -> str:
    """One paragraph of help as Markdown text: markup characters and HTML escaped, except in
    the `code spans` the help writes (they show as code on the site too)."""
    pieces = re.split(r"(`[^`\n]+`)", paragraph)
    return "".join(piece if piece.startswith("`") and piece.endswith("`") and len(piece) > 1
                   else _escape(piece) for piece in pieces)


def _escape(text: str) -> str:
    escaped = _MARKUP.sub(r"\\\1", text)
    return escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _help(command: click.Command) -> list[str]:
    """The command's help as Markdown blocks; click's ``\\b`` paragraphs (kept as written in
    the terminal) become preformatted text, the part after ``\\f`` is for Python readers only."""
    text = inspect.cleandoc(command.help or command.short_help or "").split("\f", 1)[0]
    blocks = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        if paragraph.startswith("\b\n"):
            blocks.append("```text\n" + paragraph[2:] + "\n```")
        elif paragraph:
            blocks.append(_text(" ".join(paragraph.split())))
    return blocks


def _param_lines(ctx: click.Context, kind: type[click.Parameter]) -> list[str]:
    """One list item per argument or option of ``kind``; ``--help``, which every command has,
    is said once at the top of the page."""
    lines = []
    help_option = ctx.command.get_help_option(ctx)
    for param in ctx.command.get_params(ctx):
        record = param.get_help_record(ctx)
        if not isinstance(param, kind) or param is help_option or record is None:
            continue
        names, help_text = record
        item = f"- `{names}`"
        if help_text:
            item += ": " + _text(" ".join(help_text.split()))
        lines.append(item)
    return lines


def command_section(ctx: click.Context) -> str:
    """The Markdown section of one command: heading, usage, help, options, subcommands."""
    command = ctx.command
    depth = ctx.command_path.count(" ") + 1
    heading = "#" * min(depth + 1, 6)
    usage = " ".join([ctx.command_path, *command.collect_usage_pieces(ctx)])
    parts = [f"{heading} `{ctx.command_path}`", f"```text\n{usage}\n```", *_help(command)]
    # Arguments are named in the usage line and described by the help; click gives them no
    # help of their own.
    options = _param_lines(ctx, click.Option)
    if options:
        parts.append("**Options**\n\n" + "\n".join(options))
    if isinstance(command, click.Group):
        subcommands = []
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                summary = _text(sub.get_short_help_str(limit=100))
                subcommands.append(f"- `{ctx.command_path} {name}`: {summary}")
        parts.append("**Commands**\n\n" + "\n".join(subcommands))
    return "\n\n".join(parts)


def render(root: click.Command | None = None) -> str:
    """The whole page, in Markdown, in English (the site's language, whatever the locale of
    the build: pmae's help texts follow the locale, French by default)."""
    from pmae import i18n

    previous = i18n.set_language("en")
    try:
        start = root_context(root)
        sections = [command_section(ctx) for ctx in walk(start.command, start)]
    finally:
        i18n.set_language(previous)
    return INTRO + "\n" + "\n\n".join(sections) + "\n"


def on_files(files: Any, config: Any) -> Any:
    """MkDocs hook: add the generated page to the site's files."""
    from mkdocs.structure.files import File

    files.append(File.generated(config, PAGE, content=render()))
    return files


if __name__ == "__main__":
    sys.stdout.write(render())
