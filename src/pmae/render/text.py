"""Plain-text building blocks shared by every text output: aligned tables, numbers, headings.

One place for what the command line's reports have in common, so that coverage, attendance,
the shared diagnosis and the summary line their columns and write their numbers alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["STAGE_HEADINGS", "percent", "text_table"]

#: Short column headings for the support stages, in tables where the full label is too wide.
STAGE_HEADINGS: dict[str, dict[str, str]] = {
    "fr": {"accueil": "Accueil", "information": "Inform.", "sensibilisation": "Sensib.",
           "conseil": "Conseil", "formation": "Format.", "appui": "Appui", "suivi": "Suivi"},
    "en": {"accueil": "Welcome", "information": "Inform.", "sensibilisation": "Aware.",
           "conseil": "Advice", "formation": "Training", "appui": "Support", "suivi": "Follow"},
}


def text_table(header: Sequence[str], rows: Iterable[Sequence[str]], *,
               left: Iterable[int]) -> list[str]:
    """Lines of a table, each column padded to its width and indented by two spaces.

    :param left: the indexes of the columns aligned left (labels); the others, figures, are
        aligned right.
    """
    table = [list(header), *(list(row) for row in rows)]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lefts = frozenset(left)
    return ["  " + "  ".join(value.ljust(width) if i in lefts else value.rjust(width)
                             for i, (value, width) in enumerate(zip(row, widths, strict=True))
                             ).rstrip()
            for row in table]


def percent(share: float, lang: str) -> str:
    """A share (0.25) as a percentage the way the language writes it: ``25 %`` or ``25%``."""
    number = f"{share * 100:g}"
    return f"{number.replace('.', ',')} %" if lang == "fr" else f"{number}%"
