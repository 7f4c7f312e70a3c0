"""Small charts as inline SVG, drawn on the server: no chart library, no script, no network.

The CSP forbids inline styles, so the SVG carries classes styled by pages.css and geometry
attributes only. Labels are escaped; the result is `Markup`, safe to place in a template.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from markupsafe import Markup, escape

LABEL_WIDTH = 120
VALUE_WIDTH = 90
BAR_HEIGHT = 16
GAP = 6


def _length(value: Decimal, largest: Decimal, room: int) -> int:
    if largest <= 0 or value <= 0:
        return 0
    return max(1, int((value * room / largest).to_integral_value(ROUND_HALF_UP)))


def bar_chart(rows: Sequence[tuple[str, Decimal | int, str]], *, title: str,
              width: int = 420, tone: str = "") -> Markup:
    """A horizontal bar chart: one bar per (label, value, shown value) row, longest = largest.

    `tone` ("ok", "bad" or "") colours the bars; `title` is the accessible name.
    """
    room = width - LABEL_WIDTH - VALUE_WIDTH
    largest = max((Decimal(value) for _, value, _ in rows), default=Decimal(0))
    height = max(1, len(rows)) * (BAR_HEIGHT + GAP) + GAP
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
             f'<line class="axis" x1="{LABEL_WIDTH}" y1="0" x2="{LABEL_WIDTH}" y2="{height}"/>']
    for index, (label, value, shown) in enumerate(rows):
        top = GAP + index * (BAR_HEIGHT + GAP)
        length = _length(Decimal(value), largest, room)
        middle = top + BAR_HEIGHT - 4
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{middle}" text-anchor="end">{escape(label)}</text>'
            f'<rect class="bar {tone}" x="{LABEL_WIDTH}" y="{top}" width="{length}" '
            f'height="{BAR_HEIGHT}"><title>{escape(label)}: {escape(shown)}</title></rect>'
            f'<text x="{LABEL_WIDTH + length + 4}" y="{middle}">{escape(shown)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
