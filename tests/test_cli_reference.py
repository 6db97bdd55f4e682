"""The command-line reference of the documentation site covers the whole command line.

The page is generated at build time by ``tools/cli_reference.py`` (an MkDocs hook). These tests
walk the click tree on their own, through ``list_commands``/``get_command`` as a lazy group
requires, and check that every command, subcommand and option appears on the page, in the
section of its command.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import click
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cli_reference",
                                                  ROOT / "tools" / "cli_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("cli_reference", module)
    spec.loader.exec_module(module)
    return module


generator = _load_generator()


def _tree(group: click.Command, ctx: click.Context) -> list[click.Context]:
    """Every visible command under ``group`` (itself included), reached the lazy way."""
    found = [ctx]
    if isinstance(group, click.Group):
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None, f"{ctx.command_path} lists {name} but cannot load it"
            if not command.hidden:
                found += _tree(command, click.Context(command, info_name=name, parent=ctx))
    return found


def _sections(page: str) -> dict[str, str]:
    """Command path -> its section of the page (up to the next command heading)."""
    parts = re.split(r"^#{2,6} `([^`]+)`$", page, flags=re.MULTILINE)
    sections: dict[str, str] = {}
    for path, body in zip(parts[1::2], parts[2::2], strict=True):
        assert path not in sections, f"{path} has two sections"
        sections[path] = body
    return sections


def _option_names(ctx: click.Context) -> list[str]:
    help_option = ctx.command.get_help_option(ctx)
    return [name for param in ctx.command.get_params(ctx)
            if isinstance(param, click.Option) and not param.hidden and param is not help_option
            for name in (*param.opts, *param.secondary_opts)]


ROOT_CONTEXT = generator.root_context()
COMMANDS = _tree(ROOT_CONTEXT.command, ROOT_CONTEXT)
PAGE = generator.render()
SECTIONS = _sections(PAGE)


def test_the_walk_reaches_subcommands() -> None:
    paths = [ctx.command_path for ctx in COMMANDS]
    assert paths[0] == "pmae"
    assert {"pmae validate", "pmae merge", "pmae diagnose", "pmae programme",
            "pmae programme check"} <= set(paths)


def test_every_command_has_a_section() -> None:
    paths = [ctx.command_path for ctx in COMMANDS]
    assert list(SECTIONS) == paths


@pytest.mark.parametrize("ctx", COMMANDS, ids=[ctx.command_path for ctx in COMMANDS])
def test_every_option_is_in_its_command_section(ctx: click.Context) -> None:
    section = SECTIONS[ctx.command_path]
    usage = " ".join([ctx.command_path, *ctx.command.collect_usage_pieces(ctx)])
    assert f"```text\n{usage}\n```" in section
    missing = [name for name in _option_names(ctx)
               if not re.search(rf"^- `[^`]*(?<![\w-]){re.escape(name)}(?![\w-])", section,
                                re.MULTILINE)]
    assert missing == [], f"{ctx.command_path}: options missing from the reference: {missing}"


@pytest.mark.parametrize("ctx", [c for c in COMMANDS if isinstance(c.command, click.Group)],
                         ids=lambda ctx: ctx.command_path)
def test_every_subcommand_is_listed_under_its_group(ctx: click.Context) -> None:
    group = ctx.command
    assert isinstance(group, click.Group)
    for name in group.list_commands(ctx):
        assert f"- `{ctx.command_path} {name}`: " in SECTIONS[ctx.command_path]


def test_help_is_said_once() -> None:
    assert "`-h` or `--help`" in PAGE.split("\n## ", 1)[0]
    assert "- `-h, --help`" not in PAGE


def test_help_text_is_markdown_safe() -> None:
    @click.command()
    @click.option("--save", help="Where to save (default: <association>-<tool>.json).")
    @click.option("--to", help="Exporter name (see `pmae plugins`), *not* a_file_name.")
    def tool(save: str, to: str) -> None:
        """Run a tool.

        \b
        pmae tool --save x
        pmae tool --to csv

        A [bracket] and a # are text.
        """

    page = generator.render(click.Group(name="pmae", commands=[tool]))
    section = _sections(page)["pmae tool"]
    # `<association>` must not become an HTML tag, nor *x* or a_b emphasis, nor [x] a link.
    assert "(default: &lt;association&gt;-&lt;tool&gt;.json)" in section
    assert "\\*not\\* a\\_file\\_name" in section
    assert "A \\[bracket\\] and a \\# are text." in section
    # The help's `code spans` stay code; click's \b paragraphs keep their lines.
    assert "(see `pmae plugins`)" in section
    assert "```text\npmae tool --save x\npmae tool --to csv\n```" in section


class LazyGroup(click.Group):
    """A group that imports nothing until asked: ``commands`` stays empty."""

    def __init__(self, loaders: dict[str, click.Command], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.loaders = loaders
        self.loaded: list[str] = []

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.loaders)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self.loaded.append(cmd_name)
        return self.loaders.get(cmd_name)


def test_a_lazy_group_is_documented_whole() -> None:
    @click.command()
    @click.option("--year", type=int, help="The year.")
    def check(year: int) -> None:
        """Check a year."""

    @click.command()
    @click.option("--to", help="The format.")
    @click.option("--force/--no-force", help="Replace.")
    def export(to: str, force: bool) -> None:
        """Export a bundle."""

    inner = LazyGroup({"check": check}, name="programme", help="The programme.")
    root = LazyGroup({"programme": inner, "export": export}, name="pmae", help="Root.")
    assert root.commands == {}
    page = generator.render(root)
    sections = _sections(page)
    assert list(sections) == ["pmae", "pmae export", "pmae programme", "pmae programme check"]
    assert "- `--to TEXT`: The format." in sections["pmae export"]
    assert "- `--force / --no-force`: Replace." in sections["pmae export"]
    assert "- `--year INTEGER`: The year." in sections["pmae programme check"]
    assert "- `pmae programme check`: Check a year." in sections["pmae programme"]
    assert {"programme", "export", "check"} <= {*root.loaded, *inner.loaded}


def test_the_site_builds_the_page_with_this_generator() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert re.search(r"^hooks:\n  - tools/cli_reference\.py$", config, re.MULTILINE)
    assert re.search(rf"^  - Command line: {re.escape(generator.PAGE)}$", config, re.MULTILINE)
