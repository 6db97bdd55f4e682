"""Print an HTML page to PDF with a real browser engine: headless Chromium's print-to-PDF.

The page's own ``@page`` rule sets the paper (A4, 15 mm margins); Chromium's header and footer
(date, file URL) are turned off. Each run gets its own throw-away profile folder, and the PDF
is written beside its target then moved in place, so a failed print leaves no half file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Final

from pmae.i18n import gettext as _

__all__ = ["CHROMIUM_ENV", "PdfError", "find_chromium", "to_pdf"]

#: The environment variable that names the Chromium (or Chrome) binary to use.
CHROMIUM_ENV: Final = "PMAE_CHROMIUM"
_NAMES: Final = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class PdfError(RuntimeError):
    """No browser to print with, or the browser failed to print the page."""


def find_chromium() -> str:
    """The Chromium binary: ``$PMAE_CHROMIUM``, else the first of ``chromium``,
    ``chromium-browser``, ``google-chrome`` on the ``PATH``.

    :raises PdfError: none is found.
    """
    named = os.environ.get(CHROMIUM_ENV)
    if named:
        found = shutil.which(named)
        if found is None:
            raise PdfError(_("{variable}={named} is not an executable").format(
                variable=CHROMIUM_ENV, named=named))
        return found
    for name in _NAMES:
        found = shutil.which(name)
        if found is not None:
            return found
    raise PdfError(_("printing to PDF needs Chromium: install it (Debian: apt install "
                     "chromium) or set {variable}").format(variable=CHROMIUM_ENV))


def to_pdf(html_path: str | os.PathLike[str], pdf_path: str | os.PathLike[str], *,
           chromium: str | None = None, timeout: float = 120) -> None:
    """Print the HTML file ``html_path`` to ``pdf_path`` with headless Chromium, atomically.

    :raises PdfError: no Chromium, or it failed or wrote no PDF.
    """
    binary = chromium or find_chromium()
    source = Path(html_path).resolve()
    target = Path(pdf_path)
    folder = target.parent if str(target.parent) else Path(".")
    handle, partial_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                            dir=folder)
    os.close(handle)
    partial = Path(partial_name)
    try:
        with tempfile.TemporaryDirectory(prefix="pmae-chromium-") as profile:
            try:
                completed = subprocess.run(
                    [binary, "--headless", "--no-sandbox", "--disable-gpu",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                     "--no-pdf-header-footer", f"--print-to-pdf={partial.resolve()}",
                     source.as_uri()],
                    capture_output=True, text=True, timeout=timeout, check=False,
                    env={**os.environ, "HOME": profile})
            except (OSError, subprocess.TimeoutExpired) as error:
                raise PdfError(_("Chromium could not print {source}: {error}").format(
                    source=source, error=error)) from None
        if completed.returncode != 0 or not partial.read_bytes().startswith(b"%PDF"):
            raise PdfError(_("Chromium could not print {source} (exit {code}): {why}").format(
                source=source, code=completed.returncode, why=completed.stderr[-500:]))
        # mkstemp made the file private; a PDF gets the permissions of any new file.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(partial, 0o666 & ~umask)
        os.replace(partial, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
