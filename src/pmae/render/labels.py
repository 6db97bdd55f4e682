"""What the report and the thematic sheets share: labels of codes, dates, audiences, safe
links and file names.

Written once here so that both outputs name a territory, write a date and decide what becomes
a link the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from pmae import i18n
from pmae.territories import Territories, TerritoryError
from pmae.vocab import Vocabulary

__all__ = ["Labels", "audience_label", "format_date", "is_http_url", "slug"]


def is_http_url(value: object) -> bool:
    """Whether ``value`` is an absolute ``http``/``https`` URL, safe to use as a link."""
    if not isinstance(value, str) or any(c.isspace() or ord(c) < 32 for c in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def slug(code: str) -> str:
    """A code as a safe file-name part: ``occitanie:tiers_lieux`` -> ``occitanie-tiers_lieux``.

    A colon would make a relative link look like a URL scheme.
    """
    return re.sub(r"[^A-Za-z0-9_-]+", "-", code).strip("-") or "x"


def format_date(value: dt.date, lang: str) -> str:
    """A date the way the language writes it on a page: ``31 décembre 2025`` (``1er
    janvier 2026``) or ``31 December 2025`` (:func:`pmae.i18n.format_date`)."""
    return i18n.format_date(value, lang)


def audience_label(audience: str, text: Mapping[str, str]) -> str:
    """Who a page is for, in words: ``text["audience_<audience>"]``, or for a recipient
    ``text["audience_recipient"]`` with its id."""
    if audience.startswith("recipient:"):
        return text["audience_recipient"].format(who=audience.removeprefix("recipient:"))
    return text[f"audience_{audience}"]


class Labels:
    """Labels of codes (vocabularies, territories) in a page's language."""

    def __init__(self, lang: str, vocabularies: Mapping[str, Vocabulary],
                 territories: Territories) -> None:
        """Label in ``lang`` with these vocabularies and territories."""
        self.lang, self.vocabularies, self.territories = lang, vocabularies, territories

    def code(self, vocabulary: str, code: str) -> str:
        """The label of ``code`` in ``vocabulary`` (the code itself when unknown)."""
        known = self.vocabularies.get(vocabulary)
        return known.label(code, self.lang) if known is not None else code

    def territory(self, code: str) -> str:
        """``69 Rhône`` for a département, the name for others, the code when unknown."""
        try:
            name = self.territories.name(code)
        except TerritoryError:
            return code
        if code.startswith("dep:"):
            return f"{code.removeprefix('dep:')} {name or ''}".rstrip()
        if name is None and code.startswith("com:"):
            return f"commune {code.removeprefix('com:')}"
        return name or code
