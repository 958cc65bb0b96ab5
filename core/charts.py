"""Server-rendered SVG charts every area draws its figures with (no script, no CDN; `cunwu.api.charts`).

Each chart scales to its container (`viewBox`, width 100 %), so it never overflows a 390 px screen, names itself
for screen readers (`role="img"` and a `<title>`), and carries its numbers as `data-value` attributes and `<title>`
tooltips. A page shows the same numbers as a table beside the chart: the chart is the picture, the table the
record. Values are `Decimal` or `int` (never a float: money and rates stay exact up to the drawing). Styles are in
themes/default/static/cunwu.css (`.chart`).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from markupsafe import Markup, escape

Number = Decimal | int

#: Colours of the series, distinguishable in grey print as well (dash patterns for the lines).
COLOURS = ("#1f6f8b", "#c0392b", "#27ae60", "#8e44ad", "#d35400")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2")
PERCENT = "%"


def nice_maximum(largest: Number, whole: bool = False) -> Decimal:
    """The top of a value axis: the smallest of 1, 2, 2.5, 5 × a power of ten that is at least `largest` (1 for
    nothing to draw), so the ticks at its half and quarters are round numbers. For counts (`whole`) the top is 2,
    4 or 10 × a power of ten, at least 2, so the half-way tick is a whole number too."""
    value = Decimal(largest)
    if whole:
        value = max(value, Decimal(2))
    elif value <= 0:
        return Decimal(1)
    power = Decimal(10) ** (value.adjusted())
    steps = (1, 2, 4, 10) if whole else (1, 2, Decimal("2.5"), 5, 10)
    top = next(step * power for step in steps if step * power >= value and (not whole or step * power >= 2))
    return Decimal(_number(top))


def _number(value: Number) -> str:
    """A tick's number without trailing zeros or exponent (2.5E+3 → 2500, 50.0 → 50)."""
    return format(Decimal(value).normalize(), "f")


def _top(values: Sequence[Number], unit: str, maximum: Number | None) -> Decimal:
    if maximum is not None:
        return Decimal(maximum)
    if unit == PERCENT:
        return Decimal(100)
    return nice_maximum(max(values, default=0), whole=all(isinstance(v, int) for v in values))


def _label_width(labels: Sequence[str]) -> int:
    """Room for the longest label left of the bars (24 px text: a Chinese character ~24 px, a Latin one ~13 px),
    between 120 and 300 of the 600 units, so English labels are not cut off."""
    longest = max((sum(24 if ord(c) > 0x2E7F else 13 for c in label) for label in labels), default=0)
    return min(300, max(120, longest + 16))


def _open(chart_id: str, title: str, width: int, height: int) -> str:
    return (f'<svg id="{chart_id}" class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
            f'aria-labelledby="{chart_id}-title" preserveAspectRatio="xMinYMin meet" '
            f'xmlns="http://www.w3.org/2000/svg"><title id="{chart_id}-title">{escape(title)}</title>')


def bar_chart(title: str, rows: Sequence[tuple[str, Number]], chart_id: str, *, unit: str = PERCENT,
              maximum: Number | None = None) -> Markup:
    """Horizontal bars, one per label (labels left of the bars, values at their ends). Percentages (the default
    `unit`) run to 100; other values to `maximum` or a round number above the largest (`nice_maximum`)."""
    width, row_h, top = 600, 46, 10
    label_w = _label_width([label for label, _value in rows])
    height = top + row_h * max(len(rows), 1) + 30
    plot_w = width - label_w - 100
    scale = _top([value for _label, value in rows], unit, maximum)
    parts = [_open(chart_id, title, width, height)]
    for fraction in (0, Decimal("0.5"), 1):
        x = label_w + plot_w * float(fraction)
        anchor = "end" if fraction == 1 else "middle"
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - 20}" class="grid"/>'
                     f'<text x="{x:.1f}" y="{height - 6}" class="tick" text-anchor="{anchor}">'
                     f'{_number(scale * fraction)}{escape(unit)}</text>')
    for index, (label, value) in enumerate(rows):
        y = top + index * row_h
        bar = plot_w * float(Decimal(value) / scale)
        parts.append(f'<g class="bar" data-label="{escape(label)}" data-value="{value}">'
                     f'<title>{escape(label)}: {value}{escape(unit)}</title>'
                     f'<text x="{label_w - 8}" y="{y + 31}" text-anchor="end" class="label">{escape(label)}</text>'
                     f'<rect x="{label_w}" y="{y + 6}" width="{bar:.1f}" height="{row_h - 12}" '
                     f'fill="{COLOURS[0]}"/>'
                     f'<text x="{label_w + bar + 6:.1f}" y="{y + 31}" class="value">{value}{escape(unit)}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_bar_chart(title: str, names: Sequence[str], rows: Sequence[tuple[str, Sequence[Number]]],
                      chart_id: str, colours: Sequence[str] = COLOURS) -> Markup:
    """Horizontal bars of counts split into parts (one colour per name in `names`, a legend below), one bar per
    label, the total at its end; all bars on one scale, so lengths compare across labels. `colours` lets a part
    keep its meaning (e.g. green for on time, red for missing)."""
    width, row_h, top = 600, 46, 10
    label_w = _label_width([label for label, _values in rows])
    legend_y = top + row_h * max(len(rows), 1) + 24
    height = legend_y + 32 * ((len(names) + 1) // 2) + 6
    plot_w = width - label_w - 80
    scale = nice_maximum(max((sum(values) for _label, values in rows), default=0), whole=True)
    parts = [_open(chart_id, title, width, height)]
    for fraction in (0, Decimal("0.5"), 1):
        x = label_w + plot_w * float(fraction)
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{legend_y - 20}" class="grid"/>')
    for index, (label, values) in enumerate(rows):
        y = top + index * row_h
        total = sum(values)
        parts.append(f'<g class="bar" data-label="{escape(label)}" data-total="{total}">'
                     f'<text x="{label_w - 8}" y="{y + 31}" text-anchor="end" class="label">{escape(label)}</text>')
        x = float(label_w)
        for number, (name, value) in enumerate(zip(names, values, strict=True)):
            part = plot_w * float(Decimal(value) / scale)
            parts.append(f'<rect x="{x:.1f}" y="{y + 6}" width="{part:.1f}" height="{row_h - 12}" '
                         f'fill="{colours[number % len(colours)]}" data-series="{escape(name)}" '
                         f'data-value="{value}"><title>{escape(label)} · {escape(name)}: {value}</title></rect>')
            x += part
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 31}" class="value">{total}</text></g>')
    for number, name in enumerate(names):
        lx = 10 + (number % 2) * width / 2
        ly = legend_y + 32 * (number // 2)
        parts.append(f'<rect x="{lx:.1f}" y="{ly - 17}" width="20" height="18" '
                     f'fill="{colours[number % len(colours)]}"/>'
                     f'<text x="{lx + 24:.1f}" y="{ly}" class="legend">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(title: str, months: Sequence[str], series: Sequence[tuple[str, Sequence[Number]]],
               chart_id: str, *, unit: str = PERCENT, maximum: Number | None = None) -> Markup:
    """Lines over months (one per series), with a legend below; a single month shows as dots. Percentages (the
    default `unit`) run to 100; other values to `maximum` or a round number above the largest."""
    width, left, right, top, plot_h = 600, 70, 16, 14, 220
    legend_y = top + plot_h + 50
    height = legend_y + 32 * ((len(series) + 1) // 2) + 6
    plot_w = width - left - right
    step = plot_w / max(len(months) - 1, 1)
    scale = _top([v for _name, values in series for v in values], unit, maximum)
    parts = [_open(chart_id, title, width, height)]
    for fraction in (0, Decimal("0.25"), Decimal("0.5"), Decimal("0.75"), 1):
        y = top + plot_h * (1 - float(fraction))
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
                     f'{_number(scale * fraction)}{escape(unit)}</text>')
    shown = max(1, len(months) // 6)
    for index, month in enumerate(months):
        if index % shown == 0 or index == len(months) - 1:
            x = left + step * index
            anchor = "start" if index == 0 else "end" if index == len(months) - 1 else "middle"
            parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 20}" text-anchor="{anchor}" class="tick">'
                         f'{escape(month)}</text>')
    for number, (name, values) in enumerate(series):
        colour, dash = COLOURS[number % len(COLOURS)], DASHES[number % len(DASHES)]
        points = [(left + step * i, top + plot_h * (1 - float(Decimal(v) / scale))) for i, v in enumerate(values)]
        parts.append(f'<g class="series" data-label="{escape(name)}">')
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"'
                         + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")
        for (x, y), month, value in zip(points, months, values, strict=True):
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}" data-month="{escape(month)}" '
                         f'data-value="{value}"><title>{escape(name)} {escape(month)}: {value}{escape(unit)}</title>'
                         f'</circle>')
        lx = left + (number % 2) * plot_w / 2
        ly = legend_y + 32 * (number // 2)
        parts.append(f'<line x1="{lx:.1f}" y1="{ly - 4}" x2="{lx + 24:.1f}" y2="{ly - 4}" stroke="{colour}" '
                     f'stroke-width="3"' + (f' stroke-dasharray="{dash}"' if dash else "") + "/>"
                     f'<text x="{lx + 30:.1f}" y="{ly}" class="legend">{escape(name)}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))
