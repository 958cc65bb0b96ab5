"""The form toolkit reads what people type and refuses, with one message per kind naming the field, what no record
should hold: other scripts' digits, numbers past the columns, NaN and exponents, impossible dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cunwu.errors import FormError
from cunwu.web import forms


@pytest.mark.parametrize(("typed", "read"), [("42", 42), (" ４２ ", 42), ("-3", -3), ("1,200", 1200)])
def test_integers_in_ascii_or_full_width_digits_are_read(typed: str, read: int) -> None:
    assert forms.integer(typed, "n", "人数") == read


@pytest.mark.parametrize("typed", ["١٢٣", "²", "1.5", "1e3", "12a", str(2**63)])
def test_other_digits_fractions_and_huge_integers_are_refused_naming_the_field(typed: str) -> None:
    with pytest.raises(FormError, match="人数") as refused:
        forms.integer(typed, "persons", "人数")
    assert refused.value.problems[0].field == "persons"


@pytest.mark.parametrize("typed", ["1e30", "1e309", "1" + "0" * 23, "sNaN", "NaN", "Infinity", "-1", "0.001",
                                   "¹²", "١٠"])
def test_money_is_plain_finite_to_the_fen_within_the_column_and_not_negative(typed: str) -> None:
    with pytest.raises(FormError, match="金额"):
        forms.money(typed, "amount", "金额")


def test_money_reads_yuan_to_the_fen() -> None:
    assert forms.money("1,234.50", "amount", "金额") == Decimal("1234.50")
    assert forms.money("", "amount", "金额", default=Decimal(0)) == 0
    assert forms.money("-5", "balance", "余额", minimum=None) == Decimal(-5)


@pytest.mark.parametrize("typed", ["2026-03-01", "2026/3/1", "2026.3.1", "2026年3月1日", "20260301",
                                   "２０２６-０３-０１"])
def test_dates_in_the_usual_ways_of_writing_them(typed: str) -> None:
    assert forms.date(typed, "on", "日期") == dt.date(2026, 3, 1)


@pytest.mark.parametrize("typed", ["2026-02-30", "2026-13-01", "٢٠٢٦-٠٣-٠١", "tomorrow", "2026-3"])
def test_impossible_or_foreign_dates_are_refused_with_one_message(typed: str) -> None:
    with pytest.raises(FormError, match="不是有效的日期"):
        forms.date(typed, "on", "日期")


def test_empty_fields_take_the_default_none_or_ask_to_fill_in() -> None:
    assert forms.date("", "on", "日期", default=dt.date(2026, 1, 1)) == dt.date(2026, 1, 1)
    assert forms.integer(" ", "n", "人数", required=False) is None
    with pytest.raises(FormError, match="请填写日期"):
        forms.date("", "on", "日期")


def test_account_numbers_are_ascii_digits_of_the_given_length() -> None:
    assert forms.ascii_digits("６２２２ ０２０２", "account", "账号", lengths=range(8, 31)) == "62220202"
    with pytest.raises(FormError, match="账号只能由数字 0-9 组成"):
        forms.ascii_digits("٦٢٢٢٠٢٠٢", "account", "账号")
    with pytest.raises(FormError, match="账号应为 8 到 30 位数字"):
        forms.ascii_digits("1234", "account", "账号", lengths=range(8, 31))


def test_checks_gathers_every_refused_field_and_raises_them_together() -> None:
    from cunwu.errors import DomainError, NotFound

    check = forms.Checks()
    assert check(forms.integer, "12", "persons", "人数") == 12
    assert check(forms.integer, "x", "households", "户数") is None
    assert check(forms.date, "2026-02-30", "on", "日期") is None
    check.add("另一条规则", "rule")
    with pytest.raises(DomainError, match="户数须为整数") as refused:
        check.done(DomainError)
    assert [p.field for p in refused.value.problems] == ["households", "on", "rule"]
    assert refused.value.message == refused.value.problems[0].message
    forms.Checks().done()  # nothing refused: nothing raised
    def missing() -> None:
        raise NotFound("没有这条记录")

    with pytest.raises(NotFound, match="没有这条记录"):  # a missing record is not a field's: it goes on up at once
        check(missing)
