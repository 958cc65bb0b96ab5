"""Server-rendered SVG charts for the county dashboard (no script, no CDN; docs/coverage.md "Dashboard").

Each chart scales to its container (`viewBox`, width 100 %), so it never overflows a 390 px screen, and carries
its numbers as `data-value` attributes and `<title>` tooltips; the page shows the same numbers as a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from markupsafe import Markup, escape

#: Colours of the series, distinguishable in grey print as well (dash patterns for the lines).
COLOURS = ("#1f6f8b", "#c0392b", "#27ae60", "#8e44ad", "#d35400")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2")


def bar_chart(title: str, rows: Sequence[tuple[str, Decimal]], chart_id: str) -> Markup:
    """Horizontal bars of percentages (0–100), one per label; labels left of the bars, values at their ends."""
    width, label_w, row_h, top = 600, 190, 40, 10
    height = top + row_h * max(len(rows), 1) + 30
    plot_w = width - label_w - 80
    parts = [f'<svg id="{chart_id}" class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-labelledby="{chart_id}-title" preserveAspectRatio="xMinYMin meet" '
             f'xmlns="http://www.w3.org/2000/svg"><title id="{chart_id}-title">{escape(title)}</title>']
    for tick in (0, 50, 100):
        x = label_w + plot_w * tick / 100
        anchor = "end" if tick == 100 else "middle"
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - 20}" class="grid"/>'
                     f'<text x="{x:.1f}" y="{height - 6}" class="tick" text-anchor="{anchor}">{tick}%</text>')
    for index, (label, value) in enumerate(rows):
        y = top + index * row_h
        bar = plot_w * float(value) / 100
        parts.append(f'<g class="bar" data-label="{escape(label)}" data-value="{value}">'
                     f'<title>{escape(label)}: {value}%</title>'
                     f'<text x="{label_w - 8}" y="{y + 27}" text-anchor="end" class="label">{escape(label)}</text>'
                     f'<rect x="{label_w}" y="{y + 6}" width="{bar:.1f}" height="{row_h - 12}" '
                     f'fill="{COLOURS[0]}"/>'
                     f'<text x="{label_w + bar + 6:.1f}" y="{y + 27}" class="value">{value}%</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(title: str, months: Sequence[str], series: Sequence[tuple[str, Sequence[Decimal]]],
               chart_id: str) -> Markup:
    """Lines of percentages over months (one per series), with a legend below; a single month shows as dots."""
    width, left, right, top, plot_h = 600, 58, 16, 14, 220
    legend_y = top + plot_h + 50
    height = legend_y + 28 * ((len(series) + 1) // 2) + 6
    plot_w = width - left - right
    step = plot_w / max(len(months) - 1, 1)
    parts = [f'<svg id="{chart_id}" class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-labelledby="{chart_id}-title" preserveAspectRatio="xMinYMin meet" '
             f'xmlns="http://www.w3.org/2000/svg"><title id="{chart_id}-title">{escape(title)}</title>']
    for tick in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - tick / 100)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" class="tick">{tick}%</text>')
    shown = max(1, len(months) // 6)
    for index, month in enumerate(months):
        if index % shown == 0 or index == len(months) - 1:
            x = left + step * index
            anchor = "start" if index == 0 else "end" if index == len(months) - 1 else "middle"
            parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 20}" text-anchor="{anchor}" class="tick">'
                         f'{escape(month)}</text>')
    for number, (name, values) in enumerate(series):
        colour, dash = COLOURS[number % len(COLOURS)], DASHES[number % len(DASHES)]
        points = [(left + step * i, top + plot_h * (1 - float(v) / 100)) for i, v in enumerate(values)]
        parts.append(f'<g class="series" data-label="{escape(name)}">')
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"'
                         + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")
        for (x, y), month, value in zip(points, months, values, strict=True):
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}" data-month="{escape(month)}" '
                         f'data-value="{value}"><title>{escape(name)} {escape(month)}: {value}%</title></circle>')
        lx = left + (number % 2) * plot_w / 2
        ly = legend_y + 28 * (number // 2)
        parts.append(f'<line x1="{lx:.1f}" y1="{ly - 4}" x2="{lx + 24:.1f}" y2="{ly - 4}" stroke="{colour}" '
                     f'stroke-width="3"' + (f' stroke-dasharray="{dash}"' if dash else "") + "/>"
                     f'<text x="{lx + 30:.1f}" y="{ly}" class="legend">{escape(name)}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))
