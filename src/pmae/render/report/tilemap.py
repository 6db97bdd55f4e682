"""A tile-grid map of the départements: one square per département on a fixed grid, roughly
where it lies, so a map needs no geometry file.

The map draws only the départements it is given (a région's twelve keep their places relative
to each other), colours each by a value in a few classes, writes the value in the tile (nothing
is told by colour alone) and links each tile. The legend and a table of the values are HTML,
written by the template; :func:`map_classes` gives the classes both use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Final

import attrs
from markupsafe import Markup, escape

from pmae.render.report.charts import shorten

__all__ = ["LAYOUT", "MapClass", "TileMap", "map_classes", "tile_map"]

_ROWS: Final = (
    # One line per row of the grid, north to south; "." is an empty place.
    ".  .  .  .  .  62 59 .  .  .  .  .",
    ".  .  .  .  76 80 02 08 .  .  .  .",
    ".  .  50 14 27 60 95 51 55 57 67 .",
    "29 22 35 61 28 78 93 77 54 88 68 .",
    ".  56 53 72 45 92 75 94 10 52 70 90",
    ".  44 49 37 41 91 89 21 39 25 .  .",
    ".  85 79 86 36 18 58 71 01 74 .  .",
    ".  17 16 87 23 03 42 69 38 73 .  .",
    ".  33 24 19 15 63 43 07 26 05 .  .",
    ".  40 47 46 12 48 30 84 04 06 .  .",
    ".  64 32 82 81 34 13 83 .  .  2B .",
    ".  .  65 31 11 .  .  .  .  .  2A .",
    ".  .  .  09 66 .  .  .  .  .  .  .",
    ".  .  .  .  .  .  .  .  .  .  .  .",
    "971 972 973 974 976 .  .  .  .  .  .  .",
)

#: ``dep:NN -> (column, row)`` of every département of France on the grid (overseas
#: départements on the last row).
LAYOUT: Final[Mapping[str, tuple[int, int]]] = {
    f"dep:{code}": (column, row)
    for row, line in enumerate(_ROWS) for column, code in enumerate(line.split())
    if code != "."
}

#: Fill colours of the classes, light to dark, and the colour of a tile without a value.
_SCALES: Final = {
    "gaps": ("#fee5d9", "#fcae91", "#fb6a4a", "#cb181d"),
    "needs": ("#eff3ff", "#bdd7e7", "#6baed6", "#2171b5"),
}
_NO_VALUE: Final = "#f0f0f0"
_FONT = 'font-family="system-ui, -apple-system, \'Segoe UI\', Roboto, sans-serif"'


@attrs.define(kw_only=True, frozen=True)
class MapClass:
    """One class of values: the colour of its tiles and the values it holds."""

    colour: str
    low: int
    high: int
    #: The text colour on that fill.
    ink: str


@attrs.define(kw_only=True, frozen=True)
class TileMap:
    """A map ready for a page: the SVG, its classes (for the legend) and its rows (for the
    table that says the same in text)."""

    svg: Markup
    classes: tuple[MapClass, ...]
    #: ``(département, label, value)``; value ``None`` when there is none to show.
    rows: tuple[tuple[str, str, int | None], ...]
    no_value: str = _NO_VALUE

    @property
    def incomplete(self) -> bool:
        """Whether a département has no value to show (the legend then says what grey is)."""
        return any(value is None for _, _, value in self.rows)


def map_classes(values: Sequence[int], scale: str) -> tuple[MapClass, ...]:
    """Up to four classes of equal width from the smallest value to the largest."""
    colours = _SCALES[scale]
    if not values:
        return ()
    low, high = min(values), max(values)
    count = min(len(colours), high - low + 1)
    bounds = [low + round(i * (high - low + 1) / count) for i in range(count + 1)]
    # Spread the colours over the whole scale, so that the top class is always the darkest;
    # one value everywhere takes a middle colour (neither "none" nor "most").
    picks = ([round(i * (len(colours) - 1) / (count - 1)) for i in range(count)]
             if count > 1 else [1])
    return tuple(MapClass(colour=colours[p], low=bounds[i], high=bounds[i + 1] - 1,
                          ink="#ffffff" if p >= 2 else "#1f2933")
                 for i, p in enumerate(picks))


def tile_map(values: Mapping[str, int | None], *, label: Callable[[str], str],
             href: Callable[[str], str | None], title: str, description: str, chart_id: str,
             scale: str, missing: str) -> TileMap:
    """The map of the départements in ``values`` (``dep:NN -> value``, ``None``: no value).

    :param label: the name of a département (``69 Rhône``).
    :param href: where its tile leads (``None``: no link).
    :param scale: ``gaps`` (reds) or ``needs`` (blues).
    :param missing: what a tile without a value says in its tooltip (``non publié``).
    """
    placed = [d for d in values if d in LAYOUT]
    classes = map_classes([v for d in placed if (v := values[d]) is not None], scale)
    tile, gap = 54, 4
    columns = [LAYOUT[d][0] for d in placed] or [0]
    rows_at = [LAYOUT[d][1] for d in placed] or [0]
    left, top = min(columns), min(rows_at)
    width = (max(columns) - left + 1) * (tile + gap) + gap
    height = (max(rows_at) - top + 1) * (tile + gap) + gap
    cid = escape(chart_id)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart tilemap" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{cid}-title {cid}-desc" {_FONT} font-size="12">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(description)}</desc>',
    ]
    for departement in sorted(placed, key=lambda d: (LAYOUT[d][1], LAYOUT[d][0])):
        column, row = LAYOUT[departement]
        x, y = gap + (column - left) * (tile + gap), gap + (row - top) * (tile + gap)
        value = values[departement]
        chosen = next((c for c in classes if value is not None and c.low <= value <= c.high),
                      None)
        fill, ink = (chosen.colour, chosen.ink) if chosen else (_NO_VALUE, "#52606d")
        name = label(departement)
        shown = missing if value is None else str(value)
        link = href(departement)
        opening, closing = ((f'<a href="{escape(link)}">', "</a>") if link else ("<g>", "</g>"))
        parts.append(
            f'{opening}<title>{escape(name)} : {escape(shown)}</title>'
            f'<rect x="{x}" y="{y}" width="{tile}" height="{tile}" rx="4" fill="{fill}" '
            f'stroke="#829ab1"/>'
            f'<text x="{x + tile / 2:g}" y="{y + 20}" text-anchor="middle" fill="{ink}" '
            f'font-weight="700">{escape(departement.removeprefix("dep:"))}</text>'
            f'<text x="{x + tile / 2:g}" y="{y + 40}" text-anchor="middle" fill="{ink}">'
            f'{escape(shorten("–" if value is None else str(value), 6))}</text>{closing}')
    parts.append("</svg>")
    rows = tuple((d, label(d), values[d]) for d in values)
    return TileMap(svg=Markup("".join(parts)), classes=classes, rows=rows)
