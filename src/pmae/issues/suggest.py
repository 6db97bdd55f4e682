"""Did-you-mean: the code a user most likely meant, for the fix hints of issues."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def suggest(value: str, candidates: Iterable[str]) -> str | None:
    """The candidate a user most likely meant by ``value``, or None.

    In order: the same code in another case (``Formation``); a number that lost its leading
    zeros in a spreadsheet (``1`` for the size band ``01``); a close spelling (``recrutment``);
    the one code that starts with or contains what was typed (``paie`` for
    ``paie_declarations``).
    """
    options = list(candidates)
    lowered = value.lower()
    for option in options:
        if option.lower() == lowered:
            return option
    if value.isdigit():
        for option in options:
            if option.isdigit() and option.lstrip("0") == value.lstrip("0") and option != value:
                return option
    close = difflib.get_close_matches(value, options, n=1, cutoff=0.75)
    if close:
        return close[0]
    if len(lowered) >= 3:
        starting = [o for o in options if o.lower().startswith(lowered)]
        containing = starting or [o for o in options if lowered in o.lower()]
        if len(containing) == 1:
            return containing[0]
    close = difflib.get_close_matches(value, options, n=1)
    return close[0] if close else None
