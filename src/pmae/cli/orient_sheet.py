"""``pmae orient``: the choice of proposals to record (``--pick``) and the orientation sheet of
an association (``--sheet``), apart from the command's ranking and printing."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import click

from pmae.analysis.orientation import Suggestion
from pmae.i18n import gettext as _
from pmae.i18n import ngettext
from pmae.io.files import atomic_writer
from pmae.model import Association, Bundle
from pmae.render.sheets import PdfError, find_chromium, to_pdf
from pmae.render.sheets.orientation import build_orientation_sheet, orientation_html
from pmae.sessions import Session

__all__ = ["check_sheet_path", "parse_pick", "picked", "write_sheet"]


def parse_pick(value: str | None) -> tuple[int, ...] | None:
    """``--pick 1,3`` as ranks (``None``: every proposal); a usage error for anything else."""
    if value is None:
        return None
    try:
        ranks = tuple(dict.fromkeys(int(part) for part in value.split(",") if part.strip()))
    except ValueError:
        ranks = ()
    if not ranks or min(ranks) < 1:
        raise click.UsageError(_("--pick takes the ranks of proposals, e.g. 1,3 (not "
                                 "{value!r})").format(value=value))
    return ranks


def picked(suggestions: tuple[Suggestion, ...],
           ranks: tuple[int, ...] | None) -> tuple[Suggestion, ...]:
    """The suggestions of ``ranks`` (all when ``None``); a usage error for a rank not proposed."""
    if ranks is None:
        return suggestions
    known = {s.rank for s in suggestions}
    missing = [rank for rank in ranks if rank not in known]
    if missing:
        raise click.UsageError(ngettext(
            "--pick {ranks}: only {count} offer was proposed",
            "--pick {ranks}: only {count} offers were proposed", len(suggestions)).format(
                ranks=",".join(map(str, missing)), count=len(suggestions)))
    return tuple(s for s in suggestions if s.rank in ranks)


def check_sheet_path(path: str) -> None:
    """A ``--sheet`` file is ``.html`` or ``.pdf``; a PDF needs Chromium (checked first)."""
    suffix = Path(path).suffix.lower()
    if suffix not in (".html", ".pdf"):
        raise click.UsageError(_("--sheet {path}: give a .html or a .pdf file").format(
            path=path))
    if suffix == ".pdf":
        try:
            find_chromium()
        except PdfError as error:
            raise click.UsageError(_("{error}; or write the sheet as .html").format(
                error=error)) from None


def write_sheet(path: str, bundle: Bundle, association: Association, day: dt.date, *,
                limit: int, per_actor: int, session: Session) -> None:
    """Write the orientation sheet of ``association`` (HTML, or PDF printed by Chromium).

    Offers and actors are those the network may see (``network`` audience: the sheet goes
    to partners); the association, its diagnosis and needs are the bundle's own.
    """
    sheet = build_orientation_sheet(bundle, association.id, today=day, limit=limit,
                                    per_actor=per_actor, session=session)
    html = orientation_html(sheet, session=session)
    if Path(path).suffix.lower() == ".html":
        with atomic_writer(path, "w") as handle:
            handle.write(html)
    else:
        with tempfile.TemporaryDirectory(prefix="pmae-orientation-") as folder:
            page = Path(folder) / "fiche.html"
            page.write_text(html, encoding="utf-8")
            try:
                to_pdf(page, path)
            except PdfError as error:
                raise click.ClickException(str(error)) from None
    click.echo(_("Orientation sheet written: {path}").format(path=path), err=True)
