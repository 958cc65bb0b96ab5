"""The SVG charts: every number is drawn and carried as data, labels are escaped, bars are proportional."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from cunwu.charts import bar_chart, line_chart, nice_maximum, stacked_bar_chart


def test_bar_chart_draws_each_value_proportionally_and_escapes_labels() -> None:
    svg = str(bar_chart("覆盖率", [("甲镇", Decimal("100.0")), ("<b>乙</b>", Decimal("25.0"))], "c1"))
    assert svg.startswith('<svg id="c1"') and 'viewBox="0 0 600' in svg and 'role="img"' in svg
    assert re.findall(r'data-value="([^"]+)"', svg) == ["100.0", "25.0"]
    widths = [float(w) for w in re.findall(r'<rect x="\d+" y="\d+" width="([\d.]+)"', svg)]
    assert widths[0] == pytest.approx(4 * widths[1], abs=0.3) and widths[1] > 0  # drawn to 0.1 unit
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


def test_axis_tops_are_round_numbers_at_or_above_the_largest_value() -> None:
    assert [str(nice_maximum(v)) for v in (0, 1, 3, 7, 10, 11, 24, 26, 480, Decimal("1234.56"))] == [
        "1", "1", "5", "10", "10", "20", "25", "50", "500", "2000"]
    assert [str(nice_maximum(v, whole=True)) for v in (0, 1, 3, 5, 11, 30, 45)] == [
        "2", "2", "4", "10", "20", "40", "100"]  # counts: the half-way tick is whole too


def test_bar_chart_of_amounts_scales_to_a_round_top_with_the_unit() -> None:
    svg = str(bar_chart("金额", [("2026-11", Decimal("1800.00")), ("2026-12", Decimal("900.00"))], "c4", unit=" 元"))
    assert ">2000 元</text>" in svg and ">1000 元</text>" in svg and ">0 元</text>" in svg
    widths = [float(w) for w in re.findall(r'<rect x="\d+" y="\d+" width="([\d.]+)"', svg)]
    assert widths[0] == 2 * widths[1] and re.findall(r'data-value="([^"]+)"', svg) == ["1800.00", "900.00"]
    assert ">1800.00 元</text>" in svg


def test_stacked_bar_chart_parts_add_up_and_share_one_scale() -> None:
    svg = str(stacked_bar_chart("公开", ["按时", "逾期", "未公开"], [("甲镇", [4, 1, 1]), ("乙镇", [0, 0, 3])], "c5"))
    assert re.findall(r'data-label="([^"]+)" data-total="(\d+)"', svg) == [("甲镇", "6"), ("乙镇", "3")]
    parts = re.findall(r'width="([\d.]+)" height="34" fill="[^"]+" data-series="([^"]+)" data-value="(\d+)"', svg)
    assert [(name, value) for _w, name, value in parts] == [
        ("按时", "4"), ("逾期", "1"), ("未公开", "1"), ("按时", "0"), ("逾期", "0"), ("未公开", "3")]
    width = {(i, name): float(w) for i, (w, name, _v) in enumerate(parts)}
    assert width[(0, "按时")] == 4 * width[(1, "逾期")] and width[(5, "未公开")] == 3 * width[(1, "逾期")]
    assert svg.count('class="legend"') == 3
