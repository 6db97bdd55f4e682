"""The languages of pmae's messages: French and English, through gettext catalogues.

Every message of the command line (help texts, errors, confirmations, click's own strings) is
written in English in the sources, wrapped in :func:`gettext` (``_``) or :func:`ngettext`, and
translated from the compiled catalogues of ``pmae/locale/<lang>/LC_MESSAGES/`` (``pmae.mo``
for pmae's messages, ``click.mo`` for click's).

Which language: the one set for the run (:func:`set_language`: the command line sets it from
``--lang``), else the locale, read as gettext reads it (the first of ``LANGUAGE``,
``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set; ``LANGUAGE`` may list several), else
French: pmae's users are French, so a locale that names neither French nor English (``C``,
``POSIX``, ``de_DE``) gets French, as the documents (report, sheets) always did.

Help texts are defined at import time, before the language of the run is known: they are
marked with :func:`N_` (a no-op that the extraction finds) and translated when they are shown.

This module is at the bottom of the layers (beside the model): it imports nothing of pmae, so
io, model and plugins may use it.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext as _gettext
import os
from collections.abc import Mapping
from pathlib import Path

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "N_",
    "format_date",
    "gettext",
    "language",
    "language_from_environment",
    "ngettext",
    "set_language",
    "translation",
]

#: The languages pmae speaks; the first is the one the sources are written in.
LANGUAGES: tuple[str, ...] = ("en", "fr")

#: The language when neither the run nor the locale chooses one: pmae's users are French.
DEFAULT_LANGUAGE = "fr"

#: The compiled catalogues, shipped inside the package (``pip install .`` carries them).
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

#: The environment variables gettext reads, in its order.
LOCALE_VARIABLES: tuple[str, ...] = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

_MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
              "septembre", "octobre", "novembre", "décembre")
# Not strftime's %B: it follows the C library's locale, not the language of the messages.
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")

#: The language set for the run, or None: the locale decides.
_current: str | None = None


def language_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """The language the locale names (``fr`` or ``en``), else :data:`DEFAULT_LANGUAGE`.

    The first of ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set and not empty
    decides, as in gettext; its first entry naming a language pmae speaks wins (``LANGUAGE``
    is a colon-separated list: ``de:en`` gives English).
    """
    env = os.environ if environ is None else environ
    for variable in LOCALE_VARIABLES:
        value = env.get(variable, "")
        if not value:
            continue
        for entry in value.split(":"):
            code = entry.split(".", 1)[0].split("@", 1)[0].split("_", 1)[0].lower()
            if code in LANGUAGES:
                return code
        return DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def set_language(lang: str | None) -> str | None:
    """Set the language of the messages (None: the locale's again); returns the previous
    setting, to restore it."""
    global _current
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: pmae speaks {', '.join(LANGUAGES)}")
    previous, _current = _current, lang
    return previous


def language() -> str:
    """The language of the messages now: the run's, else the locale's."""
    return _current if _current is not None else language_from_environment()


@functools.cache
def translation(lang: str, domain: str = "pmae") -> _gettext.NullTranslations:
    """The compiled catalogue ``domain`` of ``lang`` (English, the sources' language, is the
    identity). A missing catalogue is a broken installation, said as such."""
    if lang == LANGUAGES[0]:
        return _gettext.NullTranslations()
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.mo"
    try:
        with path.open("rb") as file:
            return _gettext.GNUTranslations(file)
    except OSError as error:
        raise RuntimeError(f"the {lang} catalogue {path} cannot be read ({error.strerror}): "
                           "reinstall pmae") from None


def gettext(message: str) -> str:
    """``message`` in the language of the messages."""
    return translation(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """``singular`` or ``plural`` as ``n`` asks, in the language of the messages (French
    counts 0 and 1 as singular)."""
    return translation(language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it now: a help text defined at
    import time, translated when it is shown."""
    return message


def format_date(value: dt.date, lang: str | None = None) -> str:
    """A date as the language writes it in running text: ``4 décembre 2026`` (the first of
    the month: ``1er décembre 2026``) or ``4 December 2026``; ``lang`` defaults to the
    language of the messages."""
    if (lang or language()) == "fr":
        day = "1er" if value.day == 1 else str(value.day)
        return f"{day} {_MONTHS_FR[value.month - 1]} {value.year}"
    return f"{value.day} {_MONTHS_EN[value.month - 1]} {value.year}"
