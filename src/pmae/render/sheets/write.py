"""Write thematic sheets into a folder, atomically: Markdown, HTML, PDF, and an index.

The folder is filled beside its target then put in its place (as the report is), so an
interrupted run leaves the previous sheets or the new ones. A folder of sheets carries a
``.pmae-sheets`` file: such a folder is replaced, any other non-empty folder only on request.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Final

import attrs

from pmae.io.files import atomic_folder
from pmae.model import Bundle
from pmae.render.labels import slug
from pmae.render.sheets.build import build_sheets
from pmae.render.sheets.model import Sheet
from pmae.render.sheets.pdf import find_chromium, to_pdf
from pmae.render.sheets.render import (
    render_html,
    render_index_html,
    render_index_markdown,
    render_markdown,
)

if TYPE_CHECKING:
    from pmae.sessions import Session

__all__ = ["FORMATS", "MARKER", "SheetsResult", "save_sheets", "write_sheets"]

#: The formats a sheet is written in.
FORMATS: Final = ("md", "html", "pdf")
#: The file that marks a folder as written by :func:`save_sheets`.
MARKER: Final = ".pmae-sheets"
#: At most this many Chromium processes print at once.
_PRINTERS: Final = 4


@attrs.define(kw_only=True, frozen=True)
class SheetsResult:
    """What was written: the sheets, the files (relative to ``path``) and the folder."""

    sheets: tuple[Sheet, ...]
    files: tuple[str, ...]
    path: Path


def sheet_files(sheet: Sheet, formats: Sequence[str]) -> tuple[str, ...]:
    """The file names of ``sheet`` in ``formats``: ``<theme>.<format>``, in FORMATS order."""
    return tuple(f"{slug(sheet.theme)}.{fmt}" for fmt in FORMATS if fmt in formats)


def _ordered(names: Sequence[str], order: Sequence[str]) -> tuple[str, ...]:
    return tuple(n for fmt in order for n in names if n.endswith(f".{fmt}"))


def write_sheets(
    bundle: Bundle, out_dir: str | os.PathLike[str], *, themes: Sequence[str] | None = None,
    departement: str | None = None, formats: Sequence[str] = FORMATS,
    audience: str = "public", lang: str | None = None, today: dt.date | None = None,
    index: bool | None = None, session: Session | None = None, overwrite: bool = False,
) -> SheetsResult:
    """Build the sheets of ``themes`` (default: every theme of the bundle) and write them.

    :param index: write ``index.md``/``index.html`` (default: when ``themes`` is every theme).
    See :func:`pmae.render.sheets.build_sheet` and :func:`save_sheets` for the rest.
    """
    sheets = build_sheets(bundle, themes, departement=departement, audience=audience,
                          lang=lang, today=today, session=session)
    return save_sheets(sheets, out_dir, formats=formats,
                       index=themes is None if index is None else index, overwrite=overwrite)


def save_sheets(sheets: Sequence[Sheet], out_dir: str | os.PathLike[str], *,
                formats: Sequence[str] = FORMATS, index: bool = False,
                overwrite: bool = False,
                progress: Callable[[str, int, int], None] | None = None,
                practices_link: Callable[[str], str] | None = None) -> SheetsResult:
    """Write ``sheets`` in ``formats`` into the folder ``out_dir``, replacing it as a whole.

    :param progress: called after each sheet is written (and each PDF printed) with
        ``(file, done, total)``.
    :param practices_link: theme -> the link (relative to ``out_dir``) to the page that lists
        the practices of every theme, for the sheets that list practices (the report's); by
        default the sheets stand alone.

    :raises ValueError: an unknown format, or no format.
    :raises FileExistsError: ``out_dir`` is a non-empty folder not written by pmae sheets
        (unless ``overwrite``).
    :raises PdfError: PDF asked for, and Chromium is missing or fails.
    """
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        raise ValueError(f"unknown format(s) {', '.join(unknown) or '(none)'}: choose among "
                         f"{', '.join(FORMATS)}")
    target = Path(out_dir)
    if (target.is_dir() and any(target.iterdir()) and not (target / MARKER).is_file()
            and not overwrite):
        raise FileExistsError(
            f"{target} is a folder that is not empty and not a folder of pmae sheets; choose "
            "another folder or allow replacing it (pmae sheet --force)")
    chromium = find_chromium() if "pdf" in formats else None
    written: list[str] = []

    steps = len(sheets) * (2 if "pdf" in formats else 1)
    told: list[str] = []

    def tell(name: str) -> None:
        told.append(name)
        if progress is not None:
            progress(name, len(told), steps)

    def fill(folder: Path) -> None:
        files = {sheet.theme: sheet_files(sheet, formats) for sheet in sheets}
        printing: list[tuple[Path, Path]] = []
        for sheet in sheets:
            name = slug(sheet.theme)
            link = practices_link(sheet.theme) if practices_link and sheet.practices else None
            if "md" in formats:
                (folder / f"{name}.md").write_text(render_markdown(sheet, practices_link=link),
                                                   encoding="utf-8")
            html = folder / f"{name}.html"
            if "html" in formats or "pdf" in formats:
                others = tuple(f for f in files[sheet.theme] if f != html.name)
                html.write_text(render_html(sheet, files=others, practices_link=link),
                                encoding="utf-8")
            if "pdf" in formats:
                printing.append((html, folder / f"{name}.pdf"))
            written.extend(files[sheet.theme])
            tell(files[sheet.theme][0])
        if printing:
            with ThreadPoolExecutor(max_workers=_PRINTERS) as pool:
                jobs = [(pool.submit(to_pdf, h, p, chromium=chromium), p) for h, p in printing]
                for done, pdf in jobs:
                    done.result()
                    tell(pdf.name)
            if "html" not in formats:
                for html, _ in printing:
                    html.unlink()
        if index and sheets:
            lang = sheets[0].lang
            if "md" in formats:
                (folder / "index.md").write_text(render_index_markdown(
                    sheets, files, lang=lang), encoding="utf-8")
                written.append("index.md")
            if "html" in formats:
                html_first = {theme: _ordered(names, ("html", "pdf", "md"))
                              for theme, names in files.items()}
                (folder / "index.html").write_text(render_index_html(
                    sheets, html_first, lang=lang), encoding="utf-8")
                written.append("index.html")
        # Which audiences the sheets were made for: a report that finds them in its folder
        # keeps them only for the same audience (pmae.render.report.alongside).
        audiences = "".join(f"audience: {a}\n" for a in sorted({s.audience for s in sheets}))
        (folder / MARKER).write_text(f"pmae sheets\n{audiences}", encoding="utf-8")

    atomic_folder(target, fill)
    return SheetsResult(sheets=tuple(sheets), files=tuple(written), path=target)
