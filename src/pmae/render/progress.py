"""Progress of a long run on a terminal, and nothing anywhere else.

One line on standard error (by default), redrawn in place, when that stream is a terminal;
nothing when it is a file or a pipe, so that scripts, logs and CI read only the results.
:class:`TerminalProgress` draws it for both shapes of progress pmae reports:

- **named steps**, the callback ``(what, done, total)`` that
  :func:`pmae.render.report.build_report` and :func:`pmae.render.sheets.build_sheets` call:
  ``pmae report [#####.....] 12/53 annuaire/dep-69.html`` (with ``total`` 0, a step that is
  not counted: ``pmae report: shared diagnosis…``);
- **counted steps**, ``advance(steps)`` towards a total known at the start (bytes published,
  records read from the store): ``publishing ra.jsonl [#####.....]  42% 0:00:12``
  (the time left at the pace so far, in numbers only: no word to translate).
  :func:`progress_bar` gives that callback, or ``None`` when no bar would show.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TextIO

__all__ = ["TerminalProgress", "progress_bar", "shows_progress"]

#: A line longer than this is cut: it must fit a terminal's width, or it wraps and the
#: carriage return redraws only its last part.
_WIDTH = 100


def shows_progress(stream: TextIO | None = None) -> bool:
    """Whether progress would show on ``stream`` (default: standard error): it is a terminal."""
    stream = stream if stream is not None else sys.stderr
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


class TerminalProgress:
    """A one-line progress bar, for named steps (call it) or counted ones (:meth:`advance`).

    Use it as a context manager: the line is cleared at the end, whatever happened.
    """

    def __init__(self, label: str, *, stream: TextIO | None = None, width: int = 24,
                 every: float = 0.1, total: int = 0) -> None:
        """Draw on ``stream`` (default: standard error) if it is a terminal.

        :param every: at most one redraw in this many seconds (the last step always draws).
        :param total: the number of steps :meth:`advance` counts towards.
        """
        self.label, self.width, self.every, self.total = label, width, every, total
        self.stream = stream if stream is not None else sys.stderr
        self.active = shows_progress(self.stream)
        self._drawn = 0
        # Not 0: the monotonic clock may start near 0 (a machine just booted), and the
        # first step must draw whatever the clock says.
        self._last = -math.inf
        self._count = 0
        self._started = time.monotonic()

    def __call__(self, what: str, done: int, total: int) -> None:
        """Show that ``done`` steps of ``total`` are done, the last one being ``what``; with
        ``total`` 0, that the run is at the step ``what`` (not counted: no bar)."""
        self._draw(what, done, total)

    def advance(self, steps: int) -> None:
        """Count ``steps`` more towards the ``total`` given at the start; show the share done
        and the time left."""
        self._count = min(self._count + steps, self.total)
        self._draw(None, self._count, self.total)

    def _draw(self, what: str | None, done: int, total: int) -> None:
        if not self.active:
            return
        now = time.monotonic()
        if total > 0 and done < total and now - self._last < self.every:
            return
        self._last = now
        if total <= 0:
            line = f"{self.label}: {what}…"
        else:
            filled = self.width * done // total
            bar = f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}]"
            line = (f"{bar} {done}/{total} {what}" if what is not None
                    else f"{bar} {100 * done // total:3d}%{self._time_left(done, total, now)}")
        line = line[:_WIDTH]
        self.stream.write("\r" + line.ljust(self._drawn))
        self.stream.flush()
        self._drawn = len(line)

    def _time_left(self, done: int, total: int, now: float) -> str:
        """`` H:MM:SS``: the time left at the pace so far, once a step is done, until the end."""
        if done <= 0 or done >= total:
            return ""
        left = int((now - self._started) * (total - done) / done)
        return f" {left // 3600}:{left // 60 % 60:02d}:{left % 60:02d}"

    def __enter__(self) -> TerminalProgress:
        """The progress itself."""
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        """Clear the line, so that what is printed next starts on a clean one."""
        if self.active and self._drawn:
            self.stream.write("\r" + " " * self._drawn + "\r")
            self.stream.flush()
            self._drawn = 0


@contextlib.contextmanager
def progress_bar(label: str, total: int, *, stream: TextIO | None = None,
                 ) -> Iterator[Callable[[int], None] | None]:
    """A bar of ``total`` counted steps labelled ``label`` on ``stream`` (default: standard
    error): yields its ``advance(steps)``, or ``None`` when the stream is not a terminal (or
    there is nothing to count), so that the caller skips the counting too."""
    if total <= 0 or not shows_progress(stream):
        yield None
        return
    with TerminalProgress(label, stream=stream, total=total) as progress:
        yield progress.advance
