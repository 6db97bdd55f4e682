"""The ``pmae`` command line (click). It parses arguments and prints; the work is elsewhere.

One module per command (or group) in this package; this root knows each command's name, its
one-line help and its module, and imports a module only when its command runs or its own
``--help`` is asked, so ``pmae --help`` costs little more than importing click. What the
commands share (the run's session, the validated bundle or exit 1, output paths, updating a
bundle in place) is in :mod:`pmae.cli.common`.

Exit codes: 0 ok, 1 data problems found, 2 usage error (bad arguments, unreadable paths);
130 after Ctrl-C and 143 after SIGTERM, with one line saying so (no file is left half-written).
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import warnings
from collections.abc import Sequence
from typing import Any

import click

from pmae import i18n
from pmae.cli.translate import install as _install_translations
from pmae.cli.translate import language_in, translate_help
from pmae.i18n import N_
from pmae.i18n import gettext as _

__all__ = ["COMMANDS", "Interrupted", "LazyGroup", "Terminated", "cli", "main", "plugin_failed"]

# Before any click decorator below runs: click's strings follow the language of the run.
_install_translations()

#: name -> (module in this package, attribute, short help as ``pmae --help`` lists it). A test
#: checks the short help against each command's docstring, so the two cannot drift apart.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "actors": ("listings", "actors",
               N_("The actors of the store, filtered: theme, stage, territory, type, text.")),
    "associations": ("listings", "associations",
                     N_("The associations of the store, filtered: needs, territory, name.")),
    "attendance": ("attendance", "attendance_command",
                   N_("Attendance at the meetings of BUNDLE: per actor, actor type, département "
                      "and year.")),
    "coverage": ("coverage", "coverage_command",
                 N_("Coverage of the offers in BUNDLE: territory × theme × stage, gaps, "
                    "redundancy.")),
    "db": ("db", "db",
           N_("The store: its log of publications, its schema upgrade, what it holds.")),
    "demo": ("demo", "demo",
             N_("The main job on the embedded sample: validate it, publish it into a store, "
                "write the report of what the store holds, summarise it. The store stays in the "
                "folder (pmae.db).")),
    "diagnose": ("diagnose", "diagnose",
                 N_("Run the diagnostic tool TOOL for an association, and record it in a bundle.")),
    "dump": ("dump", "dump", N_("Write the records of the store as one bundle, for an audience.")),
    "export": ("export", "export_command",
               N_("Export BUNDLE for an audience with a registered exporter.")),
    "generate": ("generate", "generate",
                 N_("Generate a synthetic bundle at any scale (national: --associations "
                    "150000).")),
    "history": ("history", "history",
                N_("Every version of the record ID in the store: added, changed, withdrawn, and "
                   "when.")),
    "import": ("import_", "import_command",
               N_("Import PATH with the importer FMT, validate it, and write it as a bundle.")),
    "merge": ("merge", "merge", N_("Merge bundle FILES into one, keeping provenance.")),
    "needs": ("needs", "needs",
              N_("The shared diagnosis of the needs in BUNDLE, with statistical secrecy.")),
    "needs-list": ("listings", "needs_list",
                   N_("The needs of the store, one by one: theme, stage, territory, status.")),
    "offers": ("listings", "offers",
               N_("The offers of the store, filtered: theme, stage, territory, actor type, text.")),
    "orient": ("orient", "orient",
               N_("Propose the offers of BUNDLE for an association, a need, or a theme and a "
                  "commune.")),
    "plan": ("plan", "plan_command",
             N_("The action plan: responses to the gaps where needs are observed, and their "
                "effect.")),
    "plugins": ("plugins", "plugins",
                N_("List every plugin: distribution, version, hooks, items registered, status.")),
    "programme": ("programme", "programme",
                  N_("The annual programme: check a year against its rules, prepare its "
                     "meetings.")),
    "publish": ("publish", "publish",
                N_("Publish BUNDLE files into the store, keeping every record's history.")),
    "report": ("report", "report",
               N_("Write the report of BUNDLE: a static site to read offline, in the folder "
                  "OUTPUT.")),
    "sample": ("sample", "sample",
               N_("Write the embedded sample bundle (an illustrative Rhône-Alpes démarche).")),
    "schema": ("schema", "schema",
               N_("Print the JSON Schema NAME (bundle, offer, actor…), or list them.")),
    "sheet": ("sheet", "sheet",
              N_("Write the thematic sheets (Les ESSentiels) of BUNDLE into the folder OUTPUT.")),
    "serve": ("serve", "serve",
              N_("Browse the store in Datasette, read-only, on 127.0.0.1 (needs pmae[serve]).")),
    "validate": ("validate", "validate",
                 N_("Validate bundle FILES (JSON or JSON Lines): schema, structure, semantic "
                    "checks.")),
    "vocab": ("vocab", "vocab",
              N_("List the vocabularies, or the codes of vocabulary NAME with their labels.")),
}


class LazyGroup(click.Group):
    """A group whose commands are imported when they run (or show their own help).

    ``lazy`` maps a command name to ``(module, attribute, short help)``; the short help lets
    the group's own ``--help`` list every command without importing any.
    """

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str, str]],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command, the lazy ones and any added directly, sorted."""
        return sorted({*self.lazy, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command ``cmd_name``, its module imported on first use."""
        if cmd_name not in self.commands and cmd_name in self.lazy:
            module, attribute, _ = self.lazy[cmd_name]
            command = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
            if not isinstance(command, click.Command):  # pragma: no cover - a table typo
                raise TypeError(f"{module}.{attribute} is not a click command")
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def main(self, args: Sequence[str] | None = None, *main_args: Any,
             **kwargs: Any) -> Any:
        """Run the command line in the language ``--lang`` asks for, else the locale's: set
        before click parses anything, so that its help pages and errors speak it too."""
        argv = list(args) if args is not None else sys.argv[1:]
        previous = i18n.set_language(language_in(argv) or i18n.language_from_environment())
        try:
            return super().main(argv, *main_args, **kwargs)
        finally:
            i18n.set_language(previous)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a signal that stops it goes to :func:`main`, past click's
        "Aborted!"; a plugin's failure is one line naming the plugin, and exit 1."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as interrupt:
            raise _stopped(interrupt) from None
        except Exception as error:
            plugin_failed(ctx, error)
            raise

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands and their short help, as click lists them, without importing them."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in self.lazy and name not in self.commands:
                # A stand-in command shortens the help exactly as the real one would.
                stand_in = click.Command(name, help=self.lazy[name][2])
                rows.append((name, stand_in.get_short_help_str(limit)))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section(translate_help("Commands")):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, lazy=COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pmae", prog_name="pmae")
# Read before parsing by LazyGroup.main (so that the help pages and parsing errors speak it
# too); declared so that `pmae --lang en COMMAND` is accepted and listed.
@click.option("--lang", type=click.Choice(["fr", "en"]), expose_value=False,
              help=N_("The language of the messages; default: the locale's (French unless it "
                      "is English)."))
def cli() -> None:
    """pmae: support small employer associations together (démarche PMAE).

    Validate, merge and summarise the bundles that support networks exchange: actors, offers,
    associations, diagnoses, needs, meetings and productions.
    """
    # The run's session is built on first use (pmae.cli.common.session_of) and kept in the
    # context object: `pmae schema` needs no plugins and must not fail on a broken one.


def _show_warning(message: Any, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    # A plugin warning comes from a loaded plugin manager; no need to import one to check.
    manager = sys.modules.get("pmae.plugins.manager")
    context = sys.modules.get("pmae.plugins.context")
    if (manager is not None and issubclass(category, manager.PluginWarning)) or (
            context is not None and issubclass(category, context.ExchangeWarning)):
        click.echo(_("pmae: warning: {message}").format(message=message), err=True)
    else:
        _default_showwarning(message, category, filename, lineno, file, line)


_default_showwarning = warnings.showwarning


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is so that it unwinds as on Ctrl-C: every atomic
    writer removes its temporary file."""

    #: Sent by a signal, not raised by a plugin (see pmae.plugins.calls.from_signal).
    from_signal = True


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT), raised by :func:`main`'s handler: marked as sent by a signal, so a
    plugin that raises ``KeyboardInterrupt`` itself is told apart (it is that plugin's
    failure, see pmae.plugins.calls.from_signal)."""

    from_signal = True


def plugin_failed(ctx: click.Context, error: Exception) -> None:
    """Print a plugin's failure as one line and exit 1 (``PMAE_DEBUG=1``: let it through, with
    its traceback)."""
    # Only a loaded plugin can fail: no need to import the plugins to recognise it.
    calls = sys.modules.get("pmae.plugins.calls")
    if calls is None or not isinstance(error, calls.PluginFailure):
        return
    if os.environ.get("PMAE_DEBUG", "") not in ("", "0"):
        return
    click.echo(_("pmae: error: {error}. This is a bug of the plugin, not of your data: report "
                 "it to its authors (PMAE_DEBUG=1 shows the traceback)").format(error=error),
               err=True)
    ctx.exit(1)


def _interrupt(signum: int, frame: Any) -> None:
    raise Interrupted


class _Stopped(BaseException):
    """A run stopped by a signal, carried past click (which would print "Aborted!" and exit 1)
    to :func:`main`; ``code`` is the exit status: 128 + the signal's number."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _terminate(signum: int, frame: Any) -> None:
    raise Terminated


def _stopped(interrupt: KeyboardInterrupt) -> _Stopped:
    if isinstance(interrupt, Terminated):
        return _Stopped(128 + signal.SIGTERM,
                        _("pmae: terminated (SIGTERM); no file was left half-written"))
    return _Stopped(128 + signal.SIGINT,
                    _("pmae: interrupted (Ctrl-C); no file was left half-written"))


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``pmae`` console script."""
    warnings.showwarning = _show_warning
    signal.signal(signal.SIGTERM, _terminate)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not if SIGINT ignored
        signal.signal(signal.SIGINT, _interrupt)
    # The messages printed below, after click has returned, speak the run's language too.
    args = list(argv) if argv is not None else sys.argv[1:]
    i18n.set_language(language_in(args) or i18n.language_from_environment())
    try:
        cli.main(args=args, prog_name="pmae")
    except OSError as error:
        # A path we could not write or read after the arguments were accepted.
        where = f"{error.filename}: " if error.filename else ""
        click.echo(_("pmae: error: {where}{why}").format(where=where,
                                                          why=error.strerror or error), err=True)
        sys.exit(2)
    except KeyboardInterrupt as interrupt:  # before a command ran (while parsing arguments)
        stopped = _stopped(interrupt)
        click.echo(stopped.message, err=True)
        sys.exit(stopped.code)
    except _Stopped as stopped:
        click.echo(stopped.message, err=True)
        sys.exit(stopped.code)
    except MemoryError:
        click.echo(_("pmae: error: out of memory; for a large bundle, write it as JSON Lines "
                     "(.jsonl: read a line at a time) or split it and merge the parts"),
                   err=True)
        sys.exit(1)
