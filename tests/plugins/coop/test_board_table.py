"""The distribution table posted on the board: every amount as the exact yuan of the line's fen, whatever its size."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from cunwu_plugins.coop.services import LINE_MONEY, Line, MemberRow, distribution_table

#: From nothing to far past a NUMERIC(14,2)'s largest amount (the sums of three shares included).
fen = st.integers(min_value=0, max_value=10**16)


def exact(fen_: int) -> str:
    return f"{Decimal(fen_).scaleb(-2):,.2f}"


@given(values=st.lists(fen, min_size=len(LINE_MONEY), max_size=len(LINE_MONEY)))
def test_each_amount_is_the_exact_yuan_of_its_fen(values: list[int]) -> None:
    line = Line(*values)
    member = MemberRow(7, 12, "张三", None, None)
    table = distribution_table(SimpleNamespace(distributable=Decimal("1234567.89")), [(member, line)])  # type: ignore[arg-type]
    assert table.rows == [["12", "张三", exact(line.trade_amount), exact(line.patronage),
                           exact(line.contribution + line.reserve_share + line.subsidy_share), exact(line.other),
                           exact(line.patronage + line.other)]]
    assert table.caption is not None and "1,234,567.89" in table.caption


def test_hand_picked_amounts() -> None:
    line = Line(0, 123456789, 1, 2, 3, 0, 4, 99, 100_000_000_000_01, 0, 0)
    member = MemberRow(1, 1, "李四", 2024, dt.date(2024, 12, 31))
    (row,) = distribution_table(SimpleNamespace(distributable=Decimal("0.00")), [(member, line)]).rows  # type: ignore[arg-type]
    assert row == ["1", "李四", "1,234,567.89", "0.99", "0.08", "100,000,000,000.01", "100,000,000,001.00"]
