"""Render thematic sheets as HTML (a printable A4 page) and as Markdown.

Both go through Jinja2 templates. HTML: autoescaping, as in the report, and a URL from the data
becomes a link only when it is ``http(s)`` (:func:`pmae.render.labels.is_http_url`). Markdown: every
value printed by a template is escaped by :func:`md_escape` (the environment's ``finalize``),
so data cannot open raw HTML, a link, an emphasis or a new block; links are made only by
:func:`md_link`, only for ``http(s)`` URLs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from importlib.metadata import version
from typing import Any, Final
from urllib.parse import quote

import jinja2

from pmae.render.labels import format_date, is_http_url
from pmae.render.sheets.model import Sheet
from pmae.render.sheets.text import TEXT

__all__ = ["MdText", "html_environment", "md_escape", "md_file_link", "md_link", "render_html",
           "render_index_html", "render_index_markdown", "render_markdown"]

# Markdown punctuation that can start emphasis, code, links, tables or strikethrough inline.
_MD_SPECIAL: Final = re.compile(r"([\\`*_\[\]|~])")
# What would start a block at the beginning of a line: heading, list, rule, setext, quote.
_MD_LINE_START: Final = re.compile(r"^([#+=-]|\d+(?=[.)]))")
_SPACES: Final = re.compile(r"[\s\x00-\x1f\x7f]+")
# Characters kept as they are in a Markdown link destination (the rest is percent-encoded).
_URL_SAFE: Final = "/:?#@!$&'*+,;=%~-._"
# A link pmae makes to a page it wrote: a file name, beside or above, with an optional anchor.
_FILE_LINK: Final = re.compile(r"(\.\./)*[A-Za-z0-9_.-]+(#[A-Za-z0-9_.%~-]+)?")


class MdText(str):
    """Markdown written by pmae itself (a link, markup): printed as it is, not escaped."""

    __slots__ = ()


def md_escape(value: object) -> str:
    """``value`` as inert inline Markdown text: one line, no raw HTML, no markup."""
    if value is None:
        return ""
    if isinstance(value, MdText):
        return str(value)
    text = _SPACES.sub(" ", str(value)).strip()
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    match = _MD_LINE_START.match(text)
    if match:
        # "1." or "#": escape the marker's punctuation so no block starts here.
        end = match.end()
        text = text[:end] + "\\" + text[end:] if match[1][0].isdigit() else "\\" + text
    return text


def md_link(label: object, url: str | None) -> MdText:
    """``[label](url)`` when ``url`` is ``http(s)``; else the label, then the URL as text."""
    if url is None:
        return MdText(md_escape(label))
    if not is_http_url(url):
        return MdText(f"{md_escape(label)} ({md_escape(url)})")
    return MdText(f"[{md_escape(label)}]({quote(url, safe=_URL_SAFE)})")


def md_file_link(label: object, name: str) -> MdText:
    """``[label](name)`` for a file pmae wrote beside the page or in a folder above it (a
    relative name it made, ``../`` first, maybe with a percent-encoded ``#anchor``)."""
    if not _FILE_LINK.fullmatch(name):
        raise ValueError(f"not a file name pmae writes: {name!r}")
    return MdText(f"[{md_escape(label)}]({name})")


def _environment(markdown: bool) -> jinja2.Environment:
    loader = jinja2.PackageLoader("pmae.render.sheets", "templates")
    options: dict[str, Any] = {
        "loader": loader, "undefined": jinja2.StrictUndefined, "trim_blocks": True,
        "lstrip_blocks": True, "keep_trailing_newline": True}
    if markdown:
        env = jinja2.Environment(autoescape=False, finalize=md_escape, **options)
        env.globals["link"] = md_link
        env.globals["file_link"] = md_file_link
    else:
        env = jinja2.Environment(autoescape=True, **options)
    env.tests["http_url"] = is_http_url
    return env


_HTML: Final = _environment(markdown=False)


def html_environment() -> jinja2.Environment:
    """The jinja2 environment of the HTML sheets (their templates, escaping and tests), for
    the other printable pages in their style (the orientation sheet)."""
    return _HTML


_MARKDOWN: Final = _environment(markdown=True)


def _context(lang: str) -> dict[str, Any]:
    return {"lang": lang, "t": TEXT[lang], "fmt_date": lambda d: format_date(d, lang),
            "version": version("pmae")}


def _page_link(link: str | None) -> str | None:
    """A relative link pmae made (``../pratiques.html#theme-<code>``), percent-encoded: the
    theme code in its anchor comes from the data."""
    return None if link is None else quote(link, safe="/#")


def render_html(sheet: Sheet, *, files: Sequence[str] = (),
                practices_link: str | None = None) -> str:
    """The sheet as one self-contained HTML page, laid out for an A4 print.

    :param files: other formats of the same sheet, linked from the page (relative names).
    :param practices_link: where the practices of the theme are listed with the others (the
        report's ``../pratiques.html#theme-<code>``), linked below the sheet's own list;
        ``None`` for a standalone sheet.
    """
    return _HTML.get_template("sheet.html.j2").render(
        **_context(sheet.lang), sheet=sheet, files=files,
        practices_link=_page_link(practices_link))


def render_markdown(sheet: Sheet, *, practices_link: str | None = None) -> str:
    """The sheet as a Markdown document (CommonMark), every value from the data escaped.

    :param practices_link: see :func:`render_html`.
    """
    return _MARKDOWN.get_template("sheet.md.j2").render(
        **_context(sheet.lang), sheet=sheet, practices_link=_page_link(practices_link))


def _index_rows(sheets: Sequence[Sheet], files: Mapping[str, Sequence[str]],
                ) -> list[dict[str, Any]]:
    groups: dict[str | None, dict[str, Any]] = {}
    for sheet in sheets:
        group = groups.setdefault(sheet.group, {"label": sheet.group_label, "sheets": []})
        group["sheets"].append({"sheet": sheet, "files": files.get(sheet.theme, ()),
                                "offers": len(sheet.offers()),
                                "resources": len(sheet.resources)})
    return list(groups.values())


def render_index_html(sheets: Sequence[Sheet], files: Mapping[str, Sequence[str]], *,
                      lang: str = "fr") -> str:
    """The index page of a set of sheets: by theme group, with links to each sheet's files.

    :param files: theme -> the file names written for its sheet (first one linked by title).
    """
    return _HTML.get_template("index.html.j2").render(
        **_context(lang), sheets=sheets, groups=_index_rows(sheets, files),
        first=sheets[0] if sheets else None)


def render_index_markdown(sheets: Sequence[Sheet], files: Mapping[str, Sequence[str]], *,
                          lang: str = "fr") -> str:
    """The index of a set of sheets in Markdown (see :func:`render_index_html`)."""
    return _MARKDOWN.get_template("index.md.j2").render(
        **_context(lang), sheets=sheets, groups=_index_rows(sheets, files),
        first=sheets[0] if sheets else None)
