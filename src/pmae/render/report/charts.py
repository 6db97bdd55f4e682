"""Inline SVG charts for the report: horizontal bars and the coverage heatmap.

Small, dependency-free and accessible: every chart is ``role="img"`` with a ``<title>`` and a
description, every mark has its own ``<title>`` and a text label, and nothing is told by colour
alone (gaps carry a "×" symbol and a hatched pattern). Every piece of text is escaped here, so
the result is safe to insert as :class:`markupsafe.Markup`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs
from markupsafe import Markup, escape

__all__ = ["HeatCell", "LegendEntry", "bar_chart", "heatmap", "shorten"]

_FONT = 'font-family="system-ui, -apple-system, \'Segoe UI\', Roboto, sans-serif"'
#: Fill colours of the heatmap by status; the value is always written in the cell too.
_SCALE = ("#dbe9f6", "#9ecae1", "#4292c6", "#08519c")
_GAP_STROKE = "#b2182b"


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis when longer."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def bar_chart(bars: Sequence[tuple[str, int]], *, title: str, chart_id: str,
              width: int = 640, label_width: int = 300) -> Markup:
    """Horizontal bars, one per ``(label, value)``, with the value written after each bar."""
    row, top = 24, 8
    height = top + row * max(len(bars), 1) + 8
    largest = max((value for _, value in bars), default=0) or 1
    room = width - label_width - 50
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{escape(chart_id)}-title" {_FONT} font-size="13">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
    ]
    for index, (label, value) in enumerate(bars):
        y = top + index * row
        length = round(room * value / largest)
        parts.append(
            f'<g><title>{escape(label)} : {value}</title>'
            f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end" fill="#1f2933">'
            f'{escape(shorten(label, 40))}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{max(length, 1)}" height="{row - 7}" '
            f'fill="#2b6cb0" rx="2"/>'
            f'<text x="{label_width + length + 6}" y="{y + 16}" fill="#1f2933">{value}</text>'
            f'</g>')
    parts.append("</svg>")
    return Markup("".join(parts))


@attrs.define(kw_only=True, frozen=True)
class HeatCell:
    """One cell of the heatmap: how many offers, its status and the text of its tooltip."""

    value: int
    status: str  # "zone_blanche", "couvert" or "redondant"
    title: str
    #: Covered only in part (by offers of a territory inside the row's): marked with "*".
    partial: bool = False
    #: Where the offers the cell counts are listed (relative URL), or ``None``.
    href: str | None = None


@attrs.define(kw_only=True, frozen=True)
class LegendEntry:
    """One line of the heatmap's legend: a sample cell, the mark written in it, its meaning."""

    sample: HeatCell
    mark: str
    label: str


def _fill(cell: HeatCell, chart_id: str) -> tuple[str, str]:
    """Fill and text colour of a cell."""
    if cell.status == "zone_blanche":
        return f"url(#{chart_id}-hatch)", _GAP_STROKE
    if cell.status == "redondant":
        return _SCALE[3], "#ffffff"
    return (_SCALE[0], "#1f2933") if cell.value <= 1 else (_SCALE[1], "#1f2933")


def heatmap(rows: Sequence[tuple[str, str]], columns: Sequence[tuple[str, str]],
            cells: Mapping[tuple[str, str], HeatCell], *, title: str, chart_id: str,
            legend: Sequence[LegendEntry], legend_title: str, note: str | None = None) -> Markup:
    """A grid of ``rows`` × ``columns`` (``(code, label)`` pairs) with the value in each cell;
    a cell with an ``href`` is a link (to the offers it counts).

    :param legend: the lines of the legend, in order.
    :param note: a last line under the legend (what "*" means).
    """
    cell_w, cell_h, left, top = 38, 28, 200, 200
    width = left + cell_w * len(columns) + 40
    grid_bottom = top + cell_h * len(rows)
    height = grid_bottom + 30 + 26 * len(legend) + (26 if note else 0) + 10
    cid = escape(chart_id)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart heatmap" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{cid}-title" {_FONT} font-size="12">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<defs><pattern id="{cid}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff5f5"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{_GAP_STROKE}" stroke-width="2"/>'
        f'</pattern></defs>',
    ]
    for index, (_, label) in enumerate(columns):
        x = left + index * cell_w + cell_w // 2 + 4
        parts.append(
            f'<text transform="translate({x},{top - 8}) rotate(-55)" fill="#1f2933">'
            f'<title>{escape(label)}</title>{escape(shorten(label, 30))}</text>')
    for r, (row_code, row_label) in enumerate(rows):
        y = top + r * cell_h
        parts.append(f'<text x="{left - 8}" y="{y + 18}" text-anchor="end" fill="#1f2933">'
                     f'{escape(shorten(row_label, 28))}</text>')
        for c, (column_code, _) in enumerate(columns):
            cell = cells[(row_code, column_code)]
            x = left + c * cell_w
            fill, ink = _fill(cell, chart_id)
            mark = "×" if cell.status == "zone_blanche" else \
                f"{cell.value}{'*' if cell.partial else ''}"
            weight = ' font-weight="700"' if cell.status != "couvert" else ""
            # A link's accessible name is its title: what the cell counts, where it leads.
            opening, closing = ((f'<a href="{escape(cell.href)}">', "</a>") if cell.href
                                else ("<g>", "</g>"))
            parts.append(
                f'{opening}<title>{escape(cell.title)}</title>'
                f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" '
                f'fill="{fill}" stroke="#ffffff"/>'
                f'<text x="{x + (cell_w - 2) / 2:g}" y="{y + 18}" text-anchor="middle" '
                f'fill="{ink}"{weight}>{escape(mark)}</text>{closing}')
    y = grid_bottom + 24
    parts.append(f'<text x="{left}" y="{y}" font-weight="700" fill="#1f2933">'
                 f'{escape(legend_title)}</text>')
    for index, entry in enumerate(legend):
        ly = y + 10 + index * 26
        fill, ink = _fill(entry.sample, chart_id)
        parts.append(
            f'<rect x="{left}" y="{ly}" width="{cell_w - 2}" height="20" fill="{fill}" '
            f'stroke="#cbd2d9"/><text x="{left + (cell_w - 2) / 2:g}" y="{ly + 15}" '
            f'text-anchor="middle" fill="{ink}" font-weight="700">{escape(entry.mark)}</text>'
            f'<text x="{left + cell_w + 8}" y="{ly + 15}" fill="#1f2933">'
            f'{escape(entry.label)}</text>')
    if note:
        ly = y + 10 + len(legend) * 26
        parts.append(f'<text x="{left}" y="{ly + 15}" fill="#1f2933">{escape(note)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
