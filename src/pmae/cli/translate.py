"""click in the language of the run: its own strings, and pmae's help texts when shown.

click writes its strings ("Usage:", "Error: …", "Aborted!", "Missing argument …") through
``from gettext import gettext as _`` in each of its modules, in gettext's global ``messages``
domain, which follows the process's locale only. :func:`install` points those module-level
names at pmae's ``click`` catalogue in the language of the run (:func:`pmae.i18n.language`),
so that ``--lang en`` and the locale reach them too.

Help texts (docstrings, ``help=``) are stored when a module is imported, which may be before
the language of the run is known and is once per process: they stay the English msgids, and
are translated when a help page is written (the command's help, its short help, its epilog,
each option's help). click's own help strings built by its decorators ("Show this message
and exit.") are kept in English for the same reason and translated the same way.
"""

from __future__ import annotations

import functools
import gettext as _gettext
import inspect
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click

from pmae import i18n

__all__ = ["install", "language_in", "translate_help"]


def _click_gettext(message: str) -> str:
    return i18n.translation(i18n.language(), "click").gettext(message)


def _click_ngettext(singular: str, plural: str, n: int) -> str:
    return i18n.translation(i18n.language(), "click").ngettext(singular, plural, n)


def _english(message: str) -> str:
    return message


def translate_help(text: str) -> str:
    """A help text (cleaned as click cleans docstrings) in the language of the run: from
    pmae's catalogue, else click's, else as written."""
    lang = i18n.language()
    translated = i18n.translation(lang).gettext(text)
    if translated is text or translated == text:
        translated = i18n.translation(lang, "click").gettext(text)
    return translated


@contextmanager
def _swapped(obj: Any, *names: str) -> Iterator[None]:
    """``obj``'s text attributes ``names`` translated for the time of the block."""
    saved = {name: getattr(obj, name) for name in names}
    try:
        for name, value in saved.items():
            if isinstance(value, str) and value:
                # The msgid is the text before click's form feed, cleaned as click shows it.
                shown = inspect.cleandoc(value).partition("\f")[0]
                setattr(obj, name, translate_help(shown))
        yield
    finally:
        for name, value in saved.items():
            setattr(obj, name, value)


def _translating(method: Callable[..., Any], *names: str) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _swapped(self, *names):
            return method(self, *args, **kwargs)

    wrapper.__pmae_translating__ = True  # type: ignore[attr-defined]
    return wrapper


def install() -> None:
    """Translate click's strings and the help texts in the language of the run (idempotent)."""
    for name, module in list(sys.modules.items()):
        if not (name == "click" or name.startswith("click.")) or module is None:
            continue
        if name == "click.decorators":
            # Its help texts are built at import time: English, translated when shown.
            module._ = _english  # type: ignore[attr-defined]
            continue
        if getattr(module, "_", None) is _gettext.gettext:
            module._ = _click_gettext  # type: ignore[attr-defined]
        if getattr(module, "ngettext", None) is _gettext.ngettext:
            module.ngettext = _click_ngettext  # type: ignore[attr-defined]
    for cls, method, names in (
        (click.Command, "format_help_text", ("help",)),
        (click.Command, "get_short_help_str", ("short_help", "help")),
        (click.Command, "format_epilog", ("epilog",)),
        (click.Option, "get_help_record", ("help",)),
    ):
        current = getattr(cls, method)
        if not getattr(current, "__pmae_translating__", False):
            setattr(cls, method, _translating(current, *names))


def language_in(args: Sequence[str]) -> str | None:
    """The language that ``--lang`` asks for in the command line ``args`` (the last one
    given, before a ``--``), or None. Read before click parses anything, so that even the
    help pages and the errors of parsing speak it."""
    found = None
    for index, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and index + 1 < len(args):
            found = args[index + 1]
        elif arg.startswith("--lang="):
            found = arg.removeprefix("--lang=")
    return found if found in i18n.LANGUAGES else None
