"""Progress of a long run (a report, sheets) on a terminal, and nothing anywhere else.

:class:`TerminalProgress` is a callback ``(what, done, total)``, the form
:func:`pmae.render.report.build_report` and :func:`pmae.render.sheets.build_sheets` call: it
redraws one line on the stream (standard error by default) when that stream is a terminal, and
writes nothing when it is a file or a pipe, so that scripts and logs read only the results.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

__all__ = ["TerminalProgress"]


class TerminalProgress:
    """A one-line progress bar: ``label [#####.....] 12/53 annuaire/dep-69.html``.

    Use it as a context manager: the line is cleared at the end, whatever happened.
    """

    def __init__(self, label: str, *, stream: TextIO | None = None, width: int = 24,
                 every: float = 0.1) -> None:
        """Draw on ``stream`` (default: standard error) if it is a terminal.

        :param every: at most one redraw in this many seconds (the last step always draws).
        """
        self.label, self.width, self.every = label, width, every
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.active = bool(isatty and isatty())
        self._drawn = 0
        self._last = 0.0

    def __call__(self, what: str, done: int, total: int) -> None:
        """Show that ``done`` steps of ``total`` are done, the last one being ``what``; with
        ``total`` 0, that the run is at the step ``what`` (not counted: no bar)."""
        if not self.active:
            return
        now = time.monotonic()
        if total > 0 and done < total and now - self._last < self.every:
            return
        self._last = now
        if total <= 0:
            line = f"{self.label}: {what}…"[:100]
        else:
            filled = self.width * done // total
            line = (f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] "
                    f"{done}/{total} {what}")[:100]
        self.stream.write("\r" + line.ljust(self._drawn))
        self.stream.flush()
        self._drawn = len(line)

    def __enter__(self) -> TerminalProgress:
        """The callback itself."""
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        """Clear the line, so that what is printed next starts on a clean one."""
        if self.active and self._drawn:
            self.stream.write("\r" + " " * self._drawn + "\r")
            self.stream.flush()
            self._drawn = 0
