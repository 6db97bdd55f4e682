"""What the commands of the ``pmae`` command line share, written once.

The run's session (built once, kept in click's context object), the validated bundle or the
issues printed compiler-style and exit 1, the check of an output path before any work, issues
and JSON printing, and the messages of an update of a bundle in place.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn, TypeVar

import click
import orjson

from pmae.i18n import N_, language, set_language
from pmae.i18n import gettext as _
from pmae.issues import Issue, group_issues
from pmae.sessions import Session

if TYPE_CHECKING:
    from pmae.model import Bundle
    from pmae.plugins.items import Exporter, Importer
    from pmae.updates import BundleUpdate, PreparedUpdate, UpdateResult

__all__ = [
    "BUNDLE_ARGUMENT",
    "FORCE_OPTION",
    "FORMAT_OPTION",
    "LANG_OPTION",
    "RESULT_FILE_OPTION",
    "check_audience_option",
    "check_output",
    "checked_options",
    "date_option",
    "echo_json",
    "echo_update",
    "echo_warnings",
    "fail",
    "force_option",
    "format_option",
    "lang_option",
    "load_valid_bundle",
    "open_update",
    "parse_options",
    "prepare_update",
    "print_issues",
    "reference_date",
    "report_and_exit",
    "same_file",
    "session_of",
    "write_result",
]

_F = TypeVar("_F", bound=Callable[..., Any])

def format_option(*choices: str) -> Callable[[_F], _F]:
    """``--format`` among ``choices`` (the first is the default): how a command prints."""
    return click.option("--format", "output_format", type=click.Choice(list(choices)),
                        default=choices[0], show_default=True,
                        help=N_("How to print the result."))


def lang_option(help: str | None = None) -> Callable[[_F], _F]:
    """``--lang fr|en``: the language of the run, its messages and its text (``help``, marked
    with :func:`pmae.i18n.N_`, is said first). Without it, the locale's (see
    :mod:`pmae.i18n`): French unless the locale is English; the command gets ``fr`` or
    ``en``."""
    said = N_("The language of the messages and the output; default: the locale's (French "
              "unless it is English).")
    return click.option("--lang", type=click.Choice(["fr", "en"]), default=None,
                        callback=_language_of_run, help=help or said)


def _language_of_run(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    # Under the root, the language was set from --lang or the locale before parsing
    # (pmae.cli); a command run on its own (a test's CliRunner) sets it here, for its run.
    if value is None:
        return language()
    previous = set_language(value)
    ctx.call_on_close(lambda: set_language(previous))
    return value


#: ``--format text|json``: how a command that reports prints it.
FORMAT_OPTION: Callable[[_F], _F] = format_option("text", "json")

#: ``--lang fr|en``, with the generic help text.
LANG_OPTION: Callable[[_F], _F] = lang_option()

#: ``BUNDLE``: the bundle file a command reads.
BUNDLE_ARGUMENT: Callable[[_F], _F] = click.argument(
    "bundle", type=click.Path(exists=True, dir_okay=False, readable=True))

#: ``-o FILE``: the result written to a file instead of printed.
RESULT_FILE_OPTION: Callable[[_F], _F] = click.option(
    "-o", "--output", default=None, help=N_("Write the result to this file (atomically)."))


# --- the run's session --------------------------------------------------------------------------


def session_of(ctx: click.Context | None = None) -> Session:
    """The session of this run: built once, on first use, and kept in the root context's
    ``obj``, so every command of the run shares its plugins.

    A caller may hand one in as click's context object (``obj=``): a
    :class:`~pmae.Session`, or a plugin manager (then wrapped in a session). Commands that
    need no plugins (``schema``, ``sample``, ``generate``) never ask, so they load none and
    cannot fail on a broken plugin. A strict-mode plugin failure becomes a one-line error.
    """
    from pmae.plugins.manager import PluginError, PluginManager
    from pmae.sessions import session as default_session

    root = (ctx or click.get_current_context()).find_root()
    if isinstance(root.obj, Session):
        return root.obj
    if isinstance(root.obj, PluginManager):
        built = Session(plugins=root.obj)
    else:
        # The default session (pmae.session()): the same one a library call without session=
        # gets, so `use_session` and the pmae_session fixture reach the command line too.
        try:
            built = default_session()
        except PluginError as error:
            raise click.ClickException(
                _("{error} (PMAE_STRICT_PLUGINS is set)").format(error=error)) from None
    root.obj = built
    return built


# --- printing -------------------------------------------------------------------------------


def echo_json(data: Any) -> None:
    """Print data as indented JSON on standard output."""
    click.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())


def print_issues(issues: Sequence[Issue], *, summary: bool) -> None:
    """Issues compiler-style on standard output; with ``summary``, the repeated ones grouped
    and the counts on standard error."""
    for issue in issues:
        click.echo(issue.render())
    if not (summary and issues):
        return
    repeated = [g for g in group_issues(issues) if g.count > 1]
    if repeated:
        click.echo("\n" + _("Repeated issues:"), err=True)
        for group in repeated[:20]:
            click.echo(_("  {count:>6} × {severity} [{code}] {message} (first at {place})")
                       .format(count=group.count, severity=group.severity, code=group.code,
                               message=group.message, place=group.places[0]), err=True)
    errors = sum(1 for i in issues if i.severity == "error")
    warnings = sum(1 for i in issues if i.severity == "warning")
    notes = sum(1 for i in issues if i.severity == "info")
    counted = _("{errors} error(s), {warnings} warning(s)").format(errors=errors,
                                                                  warnings=warnings)
    if notes:
        counted = _("{counted}, {notes} note(s)").format(counted=counted, notes=notes)
    click.echo("\n" + counted, err=True)


def report_and_exit(issues: Sequence[Issue], output_format: str, why: str) -> NoReturn:
    """Issues as JSON (``--format json``), or compiler-style with a summary then ``why``;
    exit 1. For the commands that read several files (merge, import)."""
    if output_format == "json":
        echo_json([issue.to_dict() for issue in issues])
    else:
        print_issues(issues, summary=True)
        click.echo(why, err=True)
    sys.exit(1)


def fail(issues: Sequence[Issue], why: str, *, output_format: str = "text",
         render: Callable[[Issue], str] = Issue.render, code: int = 1) -> NoReturn:
    """Print ``issues`` and exit ``code``: with ``--format json``, as JSON on standard output
    and nothing else (what reads it gets one document); else compiler-style on standard
    error, then ``why``."""
    if output_format == "json":
        echo_json([issue.to_dict() for issue in issues])
    else:
        for issue in issues:
            click.echo(render(issue), err=True)
        click.echo(why, err=True)
    sys.exit(code)


# --- the bundle a command reads -------------------------------------------------------------


def load_valid_bundle(ctx: click.Context | None, path: str, *, output_format: str = "text",
                      why: str | None = None) -> Bundle:
    """The bundle at ``path``, validated whole with the run's session; when it has errors,
    its issues printed (see :func:`fail`) and ``<path>: the bundle has errors; <why>``, exit 1.
    """
    report = session_of(ctx).validate_file(path)
    if not report.ok or report.bundle is None:
        fail(report.issues, _("{path}: the bundle has errors; {why}").format(
            path=path, why=why or _("fix them first")), output_format=output_format)
    return report.bundle


# --- the paths a command writes -------------------------------------------------------------


def check_output(path: str | None, *inputs: str,
                 kind: Literal["file", "folder", "any"] = "file", force: bool = False) -> None:
    """Refuse, before any work, an output path that cannot be written: its folder does not
    exist, it is a folder where a file is written (or the other way round), it already exists
    (a file, or a folder that is not empty) and ``force`` is not given, or it is one of the
    command's ``inputs``, a folder holding one, or a file inside an input folder: writing
    there could replace what the command reads, so not even ``force`` allows it."""
    if path is None:
        return
    target = Path(path)
    folder = target.resolve().parent
    if not folder.is_dir():
        raise click.UsageError(_("cannot write {path}: the folder {folder} does not exist")
                               .format(path=path, folder=folder))
    if kind == "file" and target.is_dir():
        raise click.UsageError(_("cannot write {path}: it is a folder; give a file name")
                               .format(path=path))
    if kind == "folder" and target.exists() and not target.is_dir():
        raise click.UsageError(_("cannot write {path}: it is a file, not a folder")
                               .format(path=path))
    if not target.exists():
        return
    resolved = target.resolve()
    for source in (Path(p).resolve() for p in inputs):
        if (resolved == source or (resolved.is_dir() and source.is_relative_to(resolved))
                or (source.is_dir() and resolved.is_relative_to(source))):
            raise click.UsageError(
                _("{path} is also an input: write the result to another file, so the "
                  "input is not replaced").format(path=path))
    if force or (target.is_dir() and not any(target.iterdir())):
        return
    if target.is_dir():
        message = _("{path} is a folder that is not empty: choose another path, or pass "
                    "--force to replace it")
    else:
        message = _("{path} is a file that exists: choose another path, or pass --force to "
                    "replace it")
    raise click.UsageError(message.format(path=path))


def date_option(help: str) -> Callable[[_F], _F]:
    """``--date YYYY-MM-DD`` (``--today`` is its older name), into the ``today`` parameter:
    the reference date; :func:`reference_date` gives the session's when it is not given.
    ``help`` is the whole help text, marked with ``N_`` by the caller (it is translated when
    shown, so it cannot be built here)."""
    return click.option("--date", "--today", "today", type=click.DateTime(["%Y-%m-%d"]),
                        default=None, help=help)


def reference_date(ctx: click.Context | None, given: dt.datetime | None) -> dt.date:
    """The date given with ``--date``, else the session's reference date (``as_of``: today),
    never the bundle's ``generated_at``, which recording into a bundle moves."""
    return given.date() if given is not None else session_of(ctx).as_of


def same_file(one: str | None, other: str | None) -> bool:
    """Whether the two paths name the same file (an update written back in place)."""
    return one is not None and other is not None and Path(one).resolve() == Path(other).resolve()


def force_option(help: str = N_("Replace the output if it exists.")) -> Callable[[_F], _F]:
    """``--force``: replace an existing output (never one of the command's inputs); ``help``
    marked with ``N_``."""
    return click.option("--force", is_flag=True, help=help)


#: ``--force`` with its usual help.
FORCE_OPTION: Callable[[_F], _F] = force_option()


def check_audience_option(audience: str) -> None:
    """Refuse an ``--audience`` that is not one (a usage error naming the ones there are)."""
    from pmae.io.audience import UnknownAudienceError, check_audience

    try:
        check_audience(audience)
    except UnknownAudienceError as error:
        raise click.UsageError(str(error)) from None


def write_result(text: str, output: str | None, said: str = "") -> None:
    """Print ``text``, or write it to ``output`` atomically and say so on standard error
    (``wrote <output><said>``)."""
    if output is None:
        click.echo(text, nl=False)
        return
    from pmae.io.files import atomic_writer

    with atomic_writer(output, "w") as handle:
        handle.write(text)
    click.echo(_("wrote {output}{said}").format(output=output, said=said), err=True)


def parse_options(values: tuple[str, ...]) -> dict[str, str]:
    """``--option KEY=VALUE`` values as a mapping (a usage error for anything else)."""
    options = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise click.UsageError(_("--option takes KEY=VALUE, got {value!r}")
                                   .format(value=value))
        options[key] = rest
    return options


def checked_options(item: Exporter | Importer, given: dict[str, str],
                    kind: str) -> dict[str, Any]:
    """``given`` checked against the options ``item`` declares, before any work: an unknown
    option or a bad value is a usage error (exit 2) that lists its options."""
    from pmae.plugins.context import OptionError, resolve_options

    try:
        return resolve_options(item.options, given, what=f"the {kind} {item.name!r}")
    except OptionError as error:
        raise click.UsageError(str(error)) from None


def echo_warnings(summary: str) -> None:
    """What an exporter or importer could not carry, on standard error (see
    :func:`pmae.plugins.context.report_notes`)."""
    click.echo(_("pmae: warning: {message}").format(message=summary), err=True)


# --- updating a bundle in place -------------------------------------------------------------


def open_update(ctx: click.Context | None, path: str, output: str | None, *,
                hint: str) -> BundleUpdate:
    """The bundle at ``path`` opened for an update written to ``output`` (default: itself),
    with :func:`pmae.updates.BundleUpdate.open`; its refusals printed and exit 1.

    :param hint: what to do about a bundle of a newer format, said after the refusal.
    """
    from pmae.io.pipeline import InvalidBundleError
    from pmae.updates import BundleUpdate, NewerFormatError

    try:
        return BundleUpdate.open(path, output=output, session=session_of(ctx))
    except InvalidBundleError as error:
        fail(error.issues, _("{path}: the bundle has errors; fix them first (nothing was "
                             "written)").format(path=path))
    except NewerFormatError as error:
        fail(error.issues, f"{error}: {hint}")


def prepare_update(update: BundleUpdate, change: Callable[[Bundle], Bundle], *,
                   what: str, hint: str) -> PreparedUpdate:
    """``update`` with ``change`` applied and validated whole (nothing written yet); when the
    result would not be valid, its issues printed and exit 1.

    :param what: what the change adds, for the refusal: "this diagnosis", "these sheets"…
    :param hint: as for :func:`open_update`, should the file be read again.
    """
    from pmae.io.pipeline import InvalidBundleError
    from pmae.updates import InvalidUpdateError, NewerFormatError

    try:
        return update.prepare(change)
    except InvalidUpdateError as error:
        fail(error.issues, _("nothing was written: {output} would not be valid with {what}")
             .format(output=error.output, what=what))
    except InvalidBundleError as error:
        fail(error.issues, _("{path}: the bundle has errors; fix them first (nothing was "
                             "written)").format(path=update.path))
    except NewerFormatError as error:
        fail(error.issues, f"{error}: {hint}")


def echo_update(result: UpdateResult, message: str, *, lang: str | None = None,
                err: bool = True) -> None:
    """The command's own line about what it recorded, followed by what the file gained,
    counts per collection: ``… [referrals: 3 added; needs: 1 changed]`` (in ``lang``,
    default the language of the run)."""
    click.echo(f"{message} [{result.summary('en' if (lang or language()) == 'en' else 'fr')}]",
               err=err)
