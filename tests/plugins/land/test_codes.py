"""The register's codes (docs/domain.md §6.1, GB/T 35958-2018): 发包方 14 = village 12 + group 2;
承包方 18 = 发包方 + 4; plot 19 = 发包方 + 5; contract 19 = 承包方 + J or Q — each part at its smallest, its largest
and one past."""

from __future__ import annotations

import pytest

from cunwu_plugins.land import codes

VILLAGE = "130926100201"
ISSUER = "13092610020100"
CONTRACTOR = "130926100201000001"


@pytest.mark.parametrize(("group", "code"), [(0, "13092610020100"), (1, "13092610020101"), (99, "13092610020199")])
def test_issuer_code_is_the_village_code_and_a_two_digit_group(group, code):
    assert codes.issuer_code(VILLAGE, group) == code


@pytest.mark.parametrize("group", [-1, 100])
def test_issuer_group_outside_00_to_99_is_refused(group):
    with pytest.raises(ValueError, match="村民小组号必须在 00 到 99 之间"):
        codes.issuer_code(VILLAGE, group)


@pytest.mark.parametrize("village", ["13092610020", "1309261002011", "13092610020A", "１３０９２６１００２０１", ""])
def test_issuer_needs_a_twelve_digit_ascii_village_code(village):
    with pytest.raises(ValueError, match="村代码必须是 12 位数字"):
        codes.issuer_code(village, 0)


@pytest.mark.parametrize(("number", "code"), [(1, "130926100201000001"), (9999, "130926100201009999")])
def test_contractor_code_is_the_issuer_and_four_digits(number, code):
    assert codes.contractor_code(ISSUER, number) == code


@pytest.mark.parametrize("number", [-1, 0, 10000])
def test_contractor_number_outside_0001_to_9999_is_refused(number):
    with pytest.raises(ValueError, match="承包方顺序号必须在 0001 到 9999 之间"):
        codes.contractor_code(ISSUER, number)


@pytest.mark.parametrize(("number", "code"), [(1, "1309261002010000001"), (99999, "1309261002010099999")])
def test_plot_code_is_the_issuer_and_five_digits(number, code):
    assert codes.plot_code(ISSUER, number) == code


@pytest.mark.parametrize("number", [-1, 0, 100000])
def test_plot_number_outside_00001_to_99999_is_refused(number):
    with pytest.raises(ValueError, match="地块顺序号必须在 00001 到 99999 之间"):
        codes.plot_code(ISSUER, number)


@pytest.mark.parametrize("code", ["1309261002010000001", "1309261002010399999", " 1309261002010000010 "])
def test_plot_codes_of_the_village_are_accepted(code):
    assert codes.check_plot_code(code, VILLAGE) is None


@pytest.mark.parametrize(("code", "problem"), [
    ("130926100201000001", "必须是 19 位数字"),          # 18 digits
    ("13092610020100000012", "必须是 19 位数字"),        # 20 digits
    ("130926100201000000A", "必须是 19 位数字"),
    ("1309261002020000001", "不属于本村"),               # the neighbouring village 130926100202
    ("1309261002010000000", "顺序号不能是 00000"),
    ("1309261002010300000", "顺序号不能是 00000"),       # group 03, sequence 00000
])
def test_plot_codes_refused_with_the_reason(code, problem):
    assert problem in codes.check_plot_code(code, VILLAGE)


@pytest.mark.parametrize("code", ["130926100201000001J", "130926100201000001Q", "130926100201000001j "])
def test_contract_code_is_the_contractor_code_and_j_or_q(code):
    assert codes.check_contract_code(code, CONTRACTOR) is None


@pytest.mark.parametrize(("code", "problem"), [
    ("130926100201000001", "必须是 18 位数字加 J 或 Q"),     # no letter
    ("130926100201000001JQ", "必须是 18 位数字加 J 或 Q"),   # 20 characters
    ("130926100201000001X", "必须是 18 位数字加 J 或 Q"),    # neither J nor Q
    ("13092610020100000AJ", "必须是 18 位数字加 J 或 Q"),    # a letter among the digits
    ("1309261002010000011", "必须是 18 位数字加 J 或 Q"),    # 19 digits
    ("130926100201000002J", "与承包方编码 130926100201000001 不符"),
])
def test_contract_codes_refused_with_the_reason(code, problem):
    assert problem in codes.check_contract_code(code, CONTRACTOR)


PLOTS = ["1309261002010000001", "1309261002010399999", "1309261002020000010"]  # two villages: each its own
CONTRACTS = ["130926100201000001J", "130926100201000002Q"]


@pytest.mark.parametrize("bad", ["130926100201000001", "13092610020100000012", "130926100201000000A",
                                 "1309261002010000000", "1309261002010300000", "１309261002010000001", ""])
def test_a_column_of_plot_codes_passes_only_when_every_code_would(bad):
    """`all_plot_codes` is the import's one pass over the column: True only when no code needs its own check."""
    assert codes.all_plot_codes(PLOTS) and codes.all_plot_codes([])
    assert all(codes.check_plot_code(code, code[:12]) is None for code in PLOTS)
    for column in ([*PLOTS, bad], [bad, *PLOTS], [bad]):
        assert not codes.all_plot_codes(column)
        assert any(codes.check_plot_code(code, code[:12]) for code in column)


@pytest.mark.parametrize("bad", ["130926100201000001", "130926100201000001JQ", "130926100201000001X",
                                 "13092610020100000AJ", "1309261002010000011", "１30926100201000001J", ""])
def test_a_column_of_contract_codes_passes_only_when_every_code_would(bad):
    assert codes.all_contract_codes(CONTRACTS) and codes.all_contract_codes([])
    assert all(codes.check_contract_code(code, code[:18]) is None for code in CONTRACTS)
    for column in ([*CONTRACTS, bad], [bad, *CONTRACTS], [bad]):
        assert not codes.all_contract_codes(column)
        assert any(codes.check_contract_code(code, code[:18]) for code in column)


def test_credit_code_check_digit():
    # docs/domain.md §6.2: an organisation is identified by its 统一社会信用代码, 18 characters, the last a check
    # character (GB 32100-2015): one changed character or one missing is refused.
    assert codes.check_credit_code("91130926MA0CXXK09N") is None
    assert "无效" in codes.check_credit_code("91130926MA0CXXK09M")
    assert "无效" in codes.check_credit_code("91130926MA0CXXK09")
