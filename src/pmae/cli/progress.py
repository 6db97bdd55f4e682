"""Progress bars on standard error, on a terminal only.

What takes more than a couple of seconds at national scale (publishing, dumping, reading the
store for an analysis) shows a bar on standard error when it is a terminal, and nothing
otherwise: a pipe, a file or a CI log gets the results alone.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

import click

__all__ = ["progress_bar", "shows_progress"]


def shows_progress() -> bool:
    """Whether a bar would show: standard error is a terminal."""
    stream = sys.stderr
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


@contextlib.contextmanager
def progress_bar(label: str, total: int) -> Iterator[Callable[[int], None] | None]:
    """A bar of ``total`` steps labelled ``label``: yields its ``update(steps)``, or ``None``
    when standard error is not a terminal (or there is nothing to count)."""
    if total <= 0 or not shows_progress():
        yield None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr, show_eta=True,
                           show_percent=True) as bar:
        yield bar.update
