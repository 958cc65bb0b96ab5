"""The SVG charts: every number is drawn and carried as data, labels are escaped, bars are proportional."""

from __future__ import annotations

import re
from decimal import Decimal

from cunwu_plugins.coverage.charts import bar_chart, line_chart


def test_bar_chart_draws_each_value_proportionally_and_escapes_labels() -> None:
    svg = str(bar_chart("覆盖率", [("甲镇", Decimal("100.0")), ("<b>乙</b>", Decimal("25.0"))], "c1"))
    assert svg.startswith('<svg id="c1"') and 'viewBox="0 0 600' in svg and 'role="img"' in svg
    assert re.findall(r'data-value="([^"]+)"', svg) == ["100.0", "25.0"]
    widths = [float(w) for w in re.findall(r'<rect x="\d+" y="\d+" width="([\d.]+)"', svg)]
    assert widths[0] == 4 * widths[1] > 0
    assert "<b>" not in svg and "&lt;b&gt;乙&lt;/b&gt;" in svg


def test_line_chart_has_a_point_per_month_and_series_and_a_legend() -> None:
    svg = str(line_chart("趋势", ["2026-10", "2026-11", "2026-12"],
                         [("党组织", [Decimal("0.0"), Decimal("50.0"), Decimal("100.0")]),
                          ("全覆盖", [Decimal("0.0"), Decimal("0.0"), Decimal("33.3")])], "c2"))
    assert svg.count("<circle") == 6 and svg.count("<polyline") == 2
    assert re.findall(r'data-month="2026-12" data-value="([^"]+)"', svg) == ["100.0", "33.3"]
    ys = [float(y) for y in re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)"', svg)[:3]]
    assert ys[0] > ys[1] > ys[2]  # higher share, higher on the chart
    assert ">党组织</text>" in svg and ">全覆盖</text>" in svg
    single = str(line_chart("趋势", ["2026-12"], [("党组织", [Decimal("50.0")])], "c3"))
    assert single.count("<circle") == 1 and "<polyline" not in single
