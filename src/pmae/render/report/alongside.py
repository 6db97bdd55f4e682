"""Thematic sheets written beside a report by ``pmae sheet`` (in its ``fiches/`` folder): a new
report keeps them and links them when they were written for its audience, and refuses to delete
them otherwise.

A report replaces its folder as a whole; without this, sheets written into it by
``pmae sheet --all -o rapport/fiches`` would vanish at the next ``pmae report -o rapport``. The
sheets' folder says which audience its sheets were written for (its ``.pmae-sheets`` file), so a
public report never carries sheets made for the networks.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from pmae.render.labels import slug
from pmae.render.sheets import MARKER as SHEETS_MARKER

__all__ = ["REPORT_WROTE_SHEETS", "copy_sheets", "sheets_to_keep", "written_audiences"]

#: The line of a report's marker file saying that the report wrote its sheets itself (they
#: are then its own output, made again or left out by the next report).
REPORT_WROTE_SHEETS = "sheets: written by the report"


def written_audiences(folder: Path) -> set[str]:
    """The audiences a folder of sheets says its sheets were written for (empty: unknown)."""
    lines = (folder / SHEETS_MARKER).read_text(encoding="utf-8").splitlines()
    return {line.removeprefix("audience: ") for line in lines if line.startswith("audience: ")}


def sheets_to_keep(target: Path, folder_name: str, *, audience: str, report_marker: str,
                   overwrite: bool) -> Path | None:
    """The folder of sheets written beside the report in ``target`` by ``pmae sheet``, to keep in
    the new report (``None`` when there is none).

    :raises FileExistsError: the sheets were written for another audience (or say none), and
        ``overwrite`` is not given: the new report would delete them.
    """
    folder = target / folder_name
    if not (target / report_marker).is_file() or not (folder / SHEETS_MARKER).is_file():
        return None
    if REPORT_WROTE_SHEETS in (target / report_marker).read_text(encoding="utf-8"):
        return None  # the report's own output: made again (--sheets) or left out
    audiences = written_audiences(folder)
    if audiences == {audience}:
        return folder
    if overwrite:
        return None
    said = ", ".join(sorted(audiences)) or "an audience it does not record"
    raise FileExistsError(
        f"{folder} holds thematic sheets written by pmae sheet for {said}, which a report "
        f"for the audience {audience} cannot carry, and a new report would delete them: move "
        "them elsewhere, write the report with its own sheets (pmae report --sheets), or allow "
        "deleting them (pmae report --force)")


def copy_sheets(source: Path, folder: Path, themes: Iterable[str]) -> dict[str, str]:
    """Copy the sheets' folder ``source`` to ``folder``; ``theme -> file name`` of the HTML
    sheets found for ``themes``."""
    shutil.copytree(source, folder)
    return {theme: f"{slug(theme)}.html" for theme in themes
            if (folder / f"{slug(theme)}.html").is_file()}
