"""Charts drawn on the server as SVG: no JavaScript, no charting library,
printable. Each chart is an image (``role="img"``) with a title and a short
description; the page puts the same figures in a table beside it, which is
what assistive technologies read.

Text is escaped (``markupsafe``); sizes are in the viewBox's units, and the
SVG scales to its container's width.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

WIDTH = 640
BAR_HEIGHT = 22
BAR_GAP = 8
LABEL_WIDTH = 200
VALUE_WIDTH = 60
FONT = 'font-family="system-ui, sans-serif" font-size="13"'
BAR_COLOUR = "#0b5e55"
SECOND_COLOUR = "#8fc1b5"
INK = "#1d1d1f"


@dataclass(frozen=True)
class Bar:
    label: str
    value: int


def _shorten(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: int) -> str:
    # A narrow no-break space between thousands, as French typography does.
    return f"{value:,}".replace(",", "\u202f")


def _open(chart_id: str, height: int, title: str, description: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-labelledby="{chart_id}-titre {chart_id}-desc" {FONT}>'
        f'<title id="{chart_id}-titre">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
    )


def bar_chart(chart_id: str, title: str, description: str, bars: list[Bar], limit: int = 15) -> Markup:
    """Horizontal bars, the largest first as given; at most ``limit`` bars
    (the table beside the chart has every line)."""
    bars = bars[:limit]
    height = max(1, len(bars)) * (BAR_HEIGHT + BAR_GAP) + BAR_GAP
    largest = max((bar.value for bar in bars), default=0) or 1
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 10
    parts = [_open(chart_id, height, title, description)]
    if not bars:
        parts.append(f'<text x="{WIDTH / 2}" y="{height / 2 + 5}" text-anchor="middle" fill="{INK}">—</text>')
    for index, bar in enumerate(bars):
        y = BAR_GAP + index * (BAR_HEIGHT + BAR_GAP)
        length = round(room * bar.value / largest, 1)
        middle = y + BAR_HEIGHT / 2 + 4.5
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{middle}" text-anchor="end" fill="{INK}">'
            f"{escape(_shorten(bar.label))}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" fill="{BAR_COLOUR}"/>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{middle}" fill="{INK}">{_number(bar.value)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()


def signup_curve_chart(
    chart_id: str, title: str, description: str, points: list[tuple[date, int, int]]
) -> Markup:
    """Daily sign-ups as light bars and their running total as a line, on
    one scale (the total's); first and last days and the total labelled."""
    height, left, right, top, bottom = 260, 56, 16, 16, 40
    parts = [_open(chart_id, height, title, description)]
    if not points:
        parts.append(
            f'<text x="{WIDTH / 2}" y="{height / 2}" text-anchor="middle" fill="{INK}">—</text></svg>'
        )
        return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    highest = max(point[2] for point in points) or 1
    step = plot_w / len(points)

    def y_of(value: int) -> float:
        return round(top + plot_h - plot_h * value / highest, 1)

    parts.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{WIDTH - right}" y2="{top + plot_h}" stroke="{INK}"/>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="{INK}"/>'
        f'<text x="{left - 6}" y="{top + 5}" text-anchor="end" fill="{INK}">{_number(highest)}</text>'
        f'<text x="{left - 6}" y="{top + plot_h + 4}" text-anchor="end" fill="{INK}">0</text>'
    )
    line = []
    for index, (_day, seats, cumulative) in enumerate(points):
        x = left + index * step
        if seats:
            parts.append(
                f'<rect x="{round(x + step * 0.15, 1)}" y="{y_of(seats)}" width="{round(step * 0.7, 1)}" '
                f'height="{round(top + plot_h - y_of(seats), 1)}" fill="{SECOND_COLOUR}"/>'
            )
        line.append(f"{round(x + step / 2, 1)},{y_of(cumulative)}")
    parts.append(f'<polyline points="{" ".join(line)}" fill="none" stroke="{BAR_COLOUR}" stroke-width="3"/>')
    first, last = points[0][0], points[-1][0]
    parts.append(
        f'<text x="{left}" y="{height - 12}" fill="{INK}">{first.strftime("%d/%m/%Y")}</text>'
        f'<text x="{WIDTH - right}" y="{height - 12}" text-anchor="end" fill="{INK}">'
        f"{last.strftime('%d/%m/%Y')}</text>"
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()
