"""一事一议 calculation core: shares, exemptions, caps, votes, 以资代劳, matching award, settings.

Every expected number below is worked out by hand in the comments, never by calling the code.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from pydantic import ValidationError

from cunwu.i18n import current_locale, load_catalogs
from cunwu_plugins.yishi import settings as settings_module
from cunwu_plugins.yishi import shares as shares_module
from cunwu_plugins.yishi.settings import (
    DEFAULT_INELIGIBLE_REASONS,
    VoteThresholds,
    YishiSettings,
    parse_threshold,
    vote_thresholds,
)
from cunwu_plugins.yishi.shares import (
    CapViolation,
    Household,
    HouseholdShare,
    Member,
    NoPublishedRate,
    Plan,
    Reduction,
    age_on,
    check_caps,
    check_plan_caps,
    compute_shares,
    convert_labour_to_money,
    hours_to_workdays,
    kind_refusal,
    matching_award,
    participation_rate,
    workdays_to_hours,
)

PLUGIN_DIR = Path(shares_module.__file__).parent
PO_FILE = PLUGIN_DIR / "locale" / "en" / "LC_MESSAGES" / "messages.po"
REF = date(2024, 3, 1)
D = Decimal


@pytest.fixture
def english() -> Iterator[None]:
    load_catalogs(PLUGIN_DIR / "locale")
    token = current_locale.set("en")
    try:
        yield
    finally:
        current_locale.reset(token)


def village() -> list[Household]:
    """Five households; ages are on REF = 2024-03-01. Men labour 18–55, women 18–50 (defaults)."""
    h1 = Household(1, "0001", (
        Member(101, "张大", "M", date(1980, 5, 10)),                     # 43: money, labour
        Member(102, "李芳", "F", date(1982, 1, 1),                      # 42: money; baby 8 months
               gave_birth_on=date(2023, 7, 1)),                           # old on REF → no labour
        Member(103, "张小", "F", date(2023, 7, 1)),                      # 0: money only
        Member(104, "张军", "M", date(2002, 4, 4), active_soldier=True),  # 21: nothing
    ))
    h2 = Household(2, "0002", (
        Member(201, "王老", "M", date(1968, 3, 1)),   # 56 on REF exactly: money only
        Member(202, "王二", "M", date(1968, 3, 2)),   # 55 (56 tomorrow): money, labour
        Member(203, "王妻", "F", date(1974, 3, 1)),   # 50 on REF: money, labour (bound included)
        Member(204, "王姑", "F", date(1973, 3, 1)),   # 51: money only
        Member(205, "王伤", "M", date(1973, 9, 9), disabled_veteran=True),  # 50: money only
    ))
    h3 = Household(3, "0003", (
        Member(301, "赵父", "M", date(1990, 1, 1)),                           # 34: money, labour
        Member(302, "赵学", "M", date(2004, 9, 1), full_time_student=True),   # 19: money only
        Member(303, "赵少", "F", date(2006, 3, 2)),                           # 17 (18 tomorrow): money
        Member(304, "赵母", "F", date(1992, 5, 5), pregnant_or_recent_birth=True),  # 31: money
    ))
    h4 = Household(4, "0004", (
        Member(401, "孙甲", "M", date(1975, 1, 1)),                      # 49: labour; money unless 低保
        Member(402, "孙乙", "F", date(1978, 1, 1)),                      # 46: labour; money unless 低保
        Member(403, "孙丙", "F", date(2010, 1, 1)),                      # 14: money unless 低保
        Member(404, "孙兵", "M", date(2001, 6, 1), active_soldier=True),  # 22: nothing
    ), dibao=True)
    h5 = Household(5, "0005", (
        Member(501, "周一", "M", date(1960, 1, 1), disabled_veteran=True),  # 64: money; not shown
        Member(502, "周成", "M", date(2006, 3, 1)),                          # 18 on REF: money, labour
        Member(503, "周兵", "F", date(2000, 1, 1), active_soldier=True),     # 24: nothing
        Member(504, "周嫂", "F", date(1995, 1, 1),                           # 29: baby is 1 on REF
               gave_birth_on=date(2023, 3, 1)),                                # → money, labour
    ))
    return [h1, h2, h3, h4, h5]


def plan(project_id: int = 1, money: str = "10.00", workdays: str = "4", **reductions: Reduction) -> Plan:
    return Plan(
        project_id=project_id,
        year=2024,
        reference_date=REF,
        money_per_person=D(money),
        workdays_per_labourer=D(workdays),
        hardship_reductions={int(key[1:]): value for key, value in reductions.items()},
    )


def by_number(shares: list[HouseholdShare]) -> dict[str, HouseholdShare]:
    return {share.number: share for share in shares}


# --------------------------------------------------------------------------------------------
# Shares and exemptions


def test_age_edges() -> None:
    assert age_on(date(1968, 3, 1), REF) == 56
    assert age_on(date(1968, 3, 2), REF) == 55
    assert age_on(date(2006, 3, 2), REF) == 17
    assert age_on(date(2000, 2, 29), date(2023, 2, 28)) == 22
    assert age_on(date(2000, 2, 29), date(2023, 3, 1)) == 23


def test_village_shares_dibao_exempt() -> None:
    shares = by_number(compute_shares(plan(), village(), YishiSettings()))
    # number: (money persons, money, labourers, workdays) at 10.00 yuan/person, 4 workdays/labourer
    expected = {
        "0001": (3, D("30.00"), 1, D("4")),   # 张大 李芳 张小 pay; only 张大 labours
        "0002": (5, D("50.00"), 2, D("8")),   # all five pay; 王二 and 王妻 labour
        "0003": (4, D("40.00"), 1, D("4")),   # all four pay; only 赵父 labours
        "0004": (0, D("0.00"), 2, D("8")),    # 低保: nobody pays; 孙甲 孙乙 labour
        "0005": (3, D("30.00"), 2, D("8")),   # 周一 周成 周嫂 pay; 周成 周嫂 labour
    }
    assert {n: (s.money_persons, s.money, s.labourers, s.workdays) for n, s in shares.items()} == expected
    assert shares["0001"].exemptions == ("李芳：孕期或产后一年内，免劳", "张军：现役军人，免资免劳")
    assert shares["0002"].exemptions == ("王伤：残疾军人，免劳",)
    assert shares["0003"].exemptions == ("赵学：全日制在校学生，免劳", "赵母：孕期或产后一年内，免劳")
    assert shares["0004"].exemptions == (
        "孙甲：低保户，免资",
        "孙乙：低保户，免资",
        "孙丙：低保户，免资",
        "孙兵：现役军人、低保户，免资免劳",
    )
    # 周一 (64) is a disabled veteran but past labour age: nothing is lifted, so nothing is shown.
    assert shares["0005"].exemptions == ("周兵：现役军人，免资免劳",)
    assert all(s.reduction_money == D("0.00") and s.reduction_workdays == 0 for s in shares.values())
    assert {(s.project_id, s.year) for s in shares.values()} == {(1, 2024)}


def test_village_shares_dibao_pays_when_not_exempt() -> None:
    settings = YishiSettings(dibao_money_exempt=False)
    shares = by_number(compute_shares(plan(), village(), settings))
    # 孙甲 孙乙 孙丙 pay (3 × 10.00); the soldier still pays nothing.
    h4 = shares["0004"]
    assert (h4.money_persons, h4.money, h4.labourers, h4.workdays) == (3, D("30.00"), 2, D("8"))
    assert h4.exemptions == ("孙兵：现役军人，免资免劳",)
    assert shares["0001"].money == D("30.00")  # others unchanged


def test_age_bands_are_settings() -> None:
    # Men 18–60, women 18–55: 王老 (56) and 王姑 (51) now labour; 周一 (64) still does not, but
    # 王伤 (50, disabled veteran) stays exempt.
    settings = YishiSettings(labour_age_men=(18, 60), labour_age_women=(18, 55))
    shares = by_number(compute_shares(plan(), village(), settings))
    assert shares["0002"].labourers == 4
    assert shares["0002"].workdays == D("16")


def test_hardship_reduction_subtracts_and_never_goes_negative() -> None:
    shares = by_number(compute_shares(
        plan(
            h2=Reduction(D("15.00"), D("2"), "因病致贫"),
            h5=Reduction(D("50.00"), D("10"), "房屋倒塌"),
        ),
        village(),
        YishiSettings(),
    ))
    # 0002: 50.00 − 15.00 = 35.00 yuan; 8 − 2 = 6 workdays.
    h2 = shares["0002"]
    assert (h2.money, h2.workdays, h2.reduction_money, h2.reduction_workdays) == (
        D("35.00"), D("6"), D("15.00"), D("2"),
    )
    assert h2.reduction_reason == "因病致贫"
    # 0005 owed 30.00 and 8: the reduction takes it to 0, and records what was actually taken off.
    h5 = shares["0005"]
    assert (h5.money, h5.workdays, h5.reduction_money, h5.reduction_workdays) == (
        D("0.00"), D("0"), D("30.00"), D("8"),
    )
    assert shares["0001"].money == D("30.00")


def test_input_mistakes_are_refused() -> None:
    with pytest.raises(TypeError, match="float"):
        Plan(1, 2024, REF, 10.5, D("4"), {})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="2 decimal places"):
        Plan(1, 2024, REF, D("10.005"), D("4"), {})
    with pytest.raises(ValueError, match="at least 0"):
        Reduction(D("-1"), D("0"), "x")
    with pytest.raises(ValueError, match="reason"):
        Reduction(D("1"), D("0"), " ")
    with pytest.raises(ValueError, match="man"):
        Member(1, "某男", "M", date(1990, 1, 1), pregnant_or_recent_birth=True)
    households = village()
    with pytest.raises(ValueError, match="not given"):
        compute_shares(plan(h9=Reduction(D("1.00"), D("0"), "x")), households, YishiSettings())
    moved = Household(6, "0006", (households[0].members[0],))
    with pytest.raises(ValueError, match="two households"):
        compute_shares(plan(), [*households, moved], YishiSettings())
    unborn = Household(7, "0007", (Member(701, "未生", "F", date(2024, 5, 1)),))
    with pytest.raises(ValueError, match="born after"):
        compute_shares(plan(), [unborn], YishiSettings())


def test_exemption_lines_in_english(english: None) -> None:
    shares = by_number(compute_shares(plan(), village(), YishiSettings()))
    assert shares["0004"].exemptions[-1] == (
        "孙兵: active soldier, minimum-living-guarantee (dibao) household; "
        "exempt from money and labour"
    )
    assert shares["0002"].exemptions == ("王伤: disabled veteran; exempt from labour",)


# --------------------------------------------------------------------------------------------
# Caps


def test_cap_binds_within_one_plan() -> None:
    settings = YishiSettings()
    households = village()
    over = plan(money="16.00", workdays="11")
    shares = compute_shares(over, households, settings)
    violations = check_caps(2024, shares, [], households, settings, plan=over)
    # The plan itself first, then each household that would pay or labour: 0004 (低保) pays nothing.
    assert [(v.household_number, v.kind, v.amount, v.cap) for v in violations] == [
        (None, "money", D("16.00"), D("15")),
        (None, "labour", D("11.00"), D("10")),
        ("0001", "money", D("16.00"), D("15")),
        ("0001", "labour", D("11.00"), D("10")),
        ("0002", "money", D("16.00"), D("15")),
        ("0002", "labour", D("11.00"), D("10")),
        ("0003", "money", D("16.00"), D("15")),
        ("0003", "labour", D("11.00"), D("10")),
        ("0004", "labour", D("11.00"), D("10")),
        ("0005", "money", D("16.00"), D("15")),
        ("0005", "labour", D("11.00"), D("10")),
    ]
    assert violations[0].message == "本方案每人筹资16.00元，超过每人每年15元的上限"
    assert violations[2].message == "户号0001：本年度一事一议筹资将达每人16.00元，超过每人每年15元的上限"
    assert check_plan_caps(over, settings) == violations[:2]
    # A province allowing 20 yuan and 15 workdays accepts the same plan.
    loose = YishiSettings(money_cap_per_person=D("20"), labour_cap_per_labourer=D("15"))
    assert check_caps(2024, shares, [], households, loose, plan=over) == []


def test_cap_reached_exactly_passes() -> None:
    settings = YishiSettings()
    households = village()
    at_cap = plan(money="15.00", workdays="10")
    assert check_caps(2024, compute_shares(at_cap, households, settings), [], households, settings,
                      plan=at_cap) == []


def test_cap_binds_only_across_two_projects() -> None:
    settings = YishiSettings()
    households = village()
    # Project 1 (a group project) concerns household 0002 only: 10.00 yuan/person, 6 workdays.
    first = plan(project_id=1, money="10.00", workdays="6")
    first_shares = compute_shares(first, households[1:2], settings)
    assert check_caps(2024, first_shares, [], households, settings, plan=first) == []
    # Project 2, village-wide: 6.00 yuan/person, 3 workdays. Alone it is within the caps …
    second = plan(project_id=2, money="6.00", workdays="3")
    second_shares = compute_shares(second, households, settings)
    assert check_caps(2024, second_shares, [], households, settings, plan=second) == []
    # … but 0002 would reach 10 + 6 = 16.00 yuan per person (> 15); labour 6 + 3 = 9 (≤ 10) passes.
    violations = check_caps(2024, second_shares, first_shares, households, settings, plan=second)
    assert violations == [
        CapViolation(
            "0002",
            "money",
            D("16.00"),
            D("15"),
            "户号0002：本年度一事一议筹资将达每人16.00元，超过每人每年15元的上限",
            2,
        )
    ]


def test_cap_labour_across_projects_and_english_message(english: None) -> None:
    settings = YishiSettings()
    households = village()
    first_shares = compute_shares(plan(project_id=1, workdays="6"), households[3:4], settings)
    second = plan(project_id=2, money="0", workdays="5")
    violations = check_caps(2024, compute_shares(second, households, settings), first_shares,
                            households, settings)
    # 0004: 6 + 5 = 11 workdays per labourer > 10.
    assert [(v.household_number, v.kind, v.amount) for v in violations] == [("0004", "labour", D("11.00"))]
    assert violations[0].message == (
        "Household 0004: labour raised this year would reach 11.00 standard workdays per labourer, "
        "over the cap of 10 standard workdays per labourer per year"
    )


def test_cap_counts_each_project_per_its_own_liable_persons() -> None:
    settings = YishiSettings()
    # Earlier: 4 liable persons paid 60.00 (15 each). Now a baby makes 5, at 1.00 each = 5.00.
    # The four who paid before reach 15 + 1 = 16 (> 15), though 65.00 / 5 would be only 13.
    earlier = HouseholdShare(9, "0009", 4, D("60.00"), 0, D("0"), (), D("0.00"), D("0"), year=2024,
                             project_id=1)
    new = HouseholdShare(9, "0009", 5, D("5.00"), 0, D("0"), (), D("0.00"), D("0"), year=2024,
                         project_id=2)
    [violation] = check_caps(2024, [new], [earlier], [], settings)
    assert (violation.household_number, violation.amount) == ("0009", D("16.00"))
    # Exact comparison, display rounded up: 40.01/3 + 5.00/3 = 45.01/3 = 15.00333… → 15.01.
    earlier = HouseholdShare(9, "0009", 3, D("40.01"), 0, D("0"), (), D("0.00"), D("0"))
    new = HouseholdShare(9, "0009", 3, D("5.00"), 0, D("0"), (), D("0.00"), D("0"))
    [violation] = check_caps(2024, [new], [earlier], [], settings)
    assert violation.amount == D("15.01")
    # 39.99/3 + 5.01/3 = 45.00/3 = 15 exactly: passes.
    earlier = HouseholdShare(9, "0009", 3, D("39.99"), 0, D("0"), (), D("0.00"), D("0"))
    new = HouseholdShare(9, "0009", 3, D("5.01"), 0, D("0"), (), D("0.00"), D("0"))
    assert check_caps(2024, [new], [earlier], [], settings) == []


def test_household_number_comes_from_current_register() -> None:
    settings = YishiSettings()
    old = HouseholdShare(1, "旧0001", 1, D("10.00"), 0, D("0"), (), D("0.00"), D("0"))
    new = HouseholdShare(1, "旧0001", 1, D("10.00"), 0, D("0"), (), D("0.00"), D("0"))
    current = [Household(1, "0101", ())]
    [violation] = check_caps(2024, [new], [old], current, settings)
    assert violation.household_number == "0101"
    assert violation.amount == D("20.00")


def test_check_caps_refuses_mixed_years_and_double_counting() -> None:
    settings = YishiSettings()
    households = village()
    shares = compute_shares(plan(project_id=1), households, settings)
    with pytest.raises(ValueError, match="2023"):
        check_caps(2023, shares, [], households, settings)
    with pytest.raises(ValueError, match="twice"):
        check_caps(2024, shares, shares, households, settings)


# --------------------------------------------------------------------------------------------
# Votes


def test_national_preset() -> None:
    thresholds = vote_thresholds(YishiSettings())
    assert thresholds == VoteThresholds(Fraction(2, 3), True, Fraction(1, 2), False, "attendees")
    # 30 representatives: 20 present is exactly 2/3 (enough); 19 is not.
    assert thresholds.passes(members=30, present=20, in_favour=11)
    assert not thresholds.passes(members=30, present=19, in_favour=19)
    # 10 of 20 is exactly half: 过半数 needs more.
    assert not thresholds.passes(members=30, present=20, in_favour=10)


def test_four_fifths_two_thirds_all_preset() -> None:
    thresholds = vote_thresholds(YishiSettings(vote_preset="four_fifths_two_thirds_all"))
    assert thresholds == VoteThresholds(Fraction(4, 5), True, Fraction(2, 3), True, "members")
    # 30 representatives: 24 present = 4/5; 20 in favour = 2/3 of all 30 (not of the 24 present).
    assert thresholds.quorum_met(30, 24)
    assert not thresholds.quorum_met(30, 23)
    assert thresholds.passes(members=30, present=24, in_favour=20)
    assert not thresholds.passes(members=30, present=24, in_favour=19)  # 19/24 > 2/3 but 19/30 < 2/3


def test_vote_overrides() -> None:
    settings = YishiSettings(vote_quorum=">1/2", vote_approval="≥3/5", vote_approval_base="members")
    assert vote_thresholds(settings) == VoteThresholds(
        Fraction(1, 2), False, Fraction(3, 5), True, "members"
    )
    only_base = YishiSettings(vote_preset="four_fifths_two_thirds_all", vote_approval_base="attendees")
    assert vote_thresholds(only_base) == VoteThresholds(
        Fraction(4, 5), True, Fraction(2, 3), True, "attendees"
    )
    assert parse_threshold(" >= 2 / 3 ") == (Fraction(2, 3), True)
    with pytest.raises(ValueError, match="counts"):
        vote_thresholds(YishiSettings()).passes(members=10, present=11, in_favour=1)


# --------------------------------------------------------------------------------------------
# 以资代劳, hours, matching award, eligibility


def test_labour_to_money_at_published_rate() -> None:
    settings = YishiSettings(daily_rates={2024: D("80"), 2023: D("85.50")})
    assert convert_labour_to_money(D("2.5"), 2024, settings) == D("200.00")  # 2.5 × 80
    assert convert_labour_to_money(D("1.25"), 2023, settings) == D("106.88")  # 106.875 → half up


def test_labour_to_money_without_published_rate() -> None:
    settings = YishiSettings(daily_rates={2024: D("80")})
    with pytest.raises(NoPublishedRate, match="2025年度县级以资代劳日工价尚未公布"):
        convert_labour_to_money(D("1"), 2025, settings)


def test_labour_to_money_without_rate_in_english(english: None) -> None:
    with pytest.raises(NoPublishedRate, match="not published a daily rate for 2025"):
        convert_labour_to_money(D("1"), 2025, YishiSettings())


def test_hours_and_workdays() -> None:
    settings = YishiSettings()
    assert workdays_to_hours(D("2.5"), settings) == D("15")
    assert hours_to_workdays(3, settings) == D("0.5")
    assert hours_to_workdays(D("7.5"), settings) == D("1.25")
    with pytest.raises(ValueError, match="1/6"):
        hours_to_workdays(1, settings)
    assert hours_to_workdays(2, YishiSettings(hours_per_workday=8)) == D("0.25")


def test_matching_award_and_participation() -> None:
    settings = YishiSettings()
    assert participation_rate(69, 100) == Fraction(69, 100)
    assert matching_award(D("12345.67"), Fraction(69, 100), settings) == D("0.00")
    assert matching_award(D("12345.67"), Fraction(2, 3), settings) == D("0.00")  # 66.7 % < 70 %
    assert matching_award(D("12345.67"), participation_rate(70, 100), settings) == D("12345.67")
    assert matching_award(D("12345.67"), Fraction(7, 10), settings, ratio_override=D("1.5")) == (
        D("18518.51")  # 18518.505 → half up
    )
    assert matching_award(D("1000.00"), Fraction(1), YishiSettings(matching_ratio=D("0.5"))) == D("500.00")
    stricter = YishiSettings(matching_min_participation=D("0.80"))
    assert matching_award(D("1000.00"), Fraction(79, 100), stricter) == D("0.00")
    with pytest.raises(ValueError, match=r"need 0 <= paid \(0\) <= liable \(0\), with at least one liable household"):
        participation_rate(0, 0)
    with pytest.raises(ValueError, match=r"need 0 <= paid \(5\) <= liable \(4\)"):
        participation_rate(5, 4)


def test_kind_eligibility() -> None:
    settings = YishiSettings()
    assert kind_refusal("road", settings) is None
    assert kind_refusal("enterprise_debt", settings) == DEFAULT_INELIGIBLE_REASONS["enterprise_debt"]
    refusal = kind_refusal("casino", settings)
    assert refusal is not None and "casino" in refusal


# --------------------------------------------------------------------------------------------
# Settings


def test_settings_defaults() -> None:
    settings = YishiSettings()
    assert settings.money_cap_per_person == D("15")
    assert settings.labour_cap_per_labourer == D("10")
    assert settings.hours_per_workday == 6
    assert (settings.labour_age_men, settings.labour_age_women) == ((18, 55), (18, 50))
    assert settings.dibao_money_exempt is True
    assert settings.daily_rates == {}
    assert settings.matching_min_participation == D("0.70")
    assert settings.eligible_kinds == [
        "irrigation", "road", "trees", "land_improvement", "other_public_works",
    ]
    assert {"public_finance", "enterprise_debt"} <= set(settings.ineligible_reasons)


def test_settings_from_site_toml_values() -> None:
    # What tomllib hands over: table keys are strings, numbers may be ints or floats.
    settings = YishiSettings.model_validate({
        "money_cap_per_person": 20,
        "labour_cap_per_labourer": 15,
        "daily_rates": {"2024": 80, "2025": 85.5},
        "matching_min_participation": 0.7,
        "labour_age_women": [18, 55],
    })
    assert settings.money_cap_per_person == D("20")
    assert settings.daily_rates == {2024: D("80"), 2025: D("85.5")}
    assert settings.matching_min_participation == D("0.7")
    assert settings.labour_age_women == (18, 55)


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"money_cap": 15}, "Extra inputs"),
        ({"money_cap_per_person": 0}, "greater than 0"),
        ({"labour_cap_per_labourer": "10.005"}, "decimal places"),
        ({"hours_per_workday": 0}, "greater than or equal to 1"),
        ({"labour_age_men": [55, 18]}, "age band"),
        ({"daily_rates": {"2024": -80}}, "positive"),
        ({"daily_rates": {"2024": "80.001"}}, "2 decimal places"),
        ({"daily_rates": {"24": 80}}, "not a year"),
        ({"vote_preset": "provincial"}, "national"),
        ({"vote_quorum": "2/3"}, "operator"),
        ({"vote_approval": ">3/2"}, "at most 1"),
        ({"vote_approval_base": "households"}, "attendees"),
        ({"matching_min_participation": "1.5"}, "less than or equal to 1"),
        ({"eligible_kinds": []}, "at least 1"),
        ({"eligible_kinds": ["Road"]}, "lower-case"),
        ({"eligible_kinds": ["road", "road"]}, "twice"),
        ({"eligible_kinds": ["road", "enterprise_debt"]}, "both eligible and refused"),
        ({"ineligible_reasons": {"golf": ""}}, "reason"),
    ],
)
def test_settings_validation(values: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        YishiSettings.model_validate(values)


# --------------------------------------------------------------------------------------------
# Catalog


def test_every_message_has_an_english_translation() -> None:
    with PO_FILE.open("rb") as handle:
        catalog = read_po(handle)
    translated = {message.id for message in catalog if message.id and message.string}
    used = {
        message
        for module in (shares_module, settings_module)
        for _line, message, _comments, _context in extract_from_file("python", module.__file__)
        if isinstance(message, str)
    }
    used |= set(DEFAULT_INELIGIBLE_REASONS.values())
    assert "户号%(household)s：本年度一事一议筹资将达每人%(amount)s元，超过每人每年%(cap)s元的上限" in used
    assert used - translated == set()


# --------------------------------------------------------------------------------------------
# Boundaries: each rule at, just below and just above its threshold


def _share(household_id: int, persons: int, money: str, labourers: int = 0, workdays: str = "0",
           project_id: int = 1) -> HouseholdShare:
    return HouseholdShare(household_id, f"{household_id:04d}", persons, D(money), labourers, D(workdays), (),
                          D("0.00"), D("0"), year=2024, project_id=project_id)


@pytest.mark.parametrize(("new_money", "reported"), [("0.01", True), ("1.00", True), ("0.00", False)])
def test_any_new_money_share_is_checked_against_the_cap(new_money: str, reported: bool) -> None:
    """15 yuan already raised per person: a new share of 1 yuan (or 1 fen) breaks the cap; a share of 0 adds nothing."""
    earlier = _share(1, 1, "15.00", project_id=1)
    violations = check_caps(2024, [_share(1, 1, new_money, project_id=2)], [earlier], [], YishiSettings())
    assert [(v.kind, v.amount) for v in violations] == ([("money", D("15.00") + D(new_money))] if reported else [])


@pytest.mark.parametrize(("new_workdays", "reported"), [("0.5", True), ("1", True), ("0", False)])
def test_any_new_labour_share_is_checked_against_the_cap(new_workdays: str, reported: bool) -> None:
    earlier = _share(1, 1, "0.00", labourers=1, workdays="10", project_id=1)
    new = _share(1, 1, "0.00", labourers=1, workdays=new_workdays, project_id=2)
    violations = check_caps(2024, [new], [earlier], [], YishiSettings())
    expected = [("labour", (D("10") + D(new_workdays)).quantize(D("0.01")))] if reported else []
    assert [(v.kind, v.amount) for v in violations] == expected


def test_a_household_asked_nothing_of_a_kind_is_not_reported_for_it() -> None:
    """Over both caps from earlier projects (the caps were lowered since), but asked only money now: only money."""
    earlier = _share(1, 1, "16.00", labourers=1, workdays="11", project_id=1)
    new = _share(1, 1, "1.00", labourers=1, workdays="0", project_id=2)
    assert [v.kind for v in check_caps(2024, [new], [earlier], [], YishiSettings())] == ["money"]
    labour_only = _share(1, 1, "0.00", labourers=1, workdays="1", project_id=2)
    assert [v.kind for v in check_caps(2024, [labour_only], [earlier], [], YishiSettings())] == ["labour"]


@pytest.mark.parametrize(("money", "workdays", "kinds"), [
    ("15.00", "10", []), ("15.01", "10", ["money"]), ("15.00", "10.01", ["labour"]), ("0", "0", []),
])
def test_plan_rate_at_and_just_over_the_caps(money: str, workdays: str, kinds: list[str]) -> None:
    assert [v.kind for v in check_plan_caps(plan(money=money, workdays=workdays), YishiSettings())] == kinds


@pytest.mark.parametrize(("born", "exempt"), [
    (REF, True),  # gave birth on the reference date itself
    (date(2023, 3, 2), True),  # the baby turns one tomorrow
    (date(2023, 3, 1), False),  # the baby is one today
    (date(2024, 3, 2), False),  # a date after the reference date is not a birth yet
])
def test_recent_birth_exemption_edges(born: date, exempt: bool) -> None:
    mother = Member(1, "母亲", "F", date(1995, 1, 1), gave_birth_on=born)
    [share] = compute_shares(plan(), [Household(1, "0001", (mother,))], YishiSettings())
    assert (share.labourers, share.workdays) == ((0, D("0")) if exempt else (1, D("4")))
    assert share.exemptions == (("母亲：孕期或产后一年内，免劳",) if exempt else ())


def test_money_must_be_in_fen_but_workdays_may_be_finer() -> None:
    with pytest.raises(ValueError, match=r"money_reduction must have at most 2 decimal places"):
        Reduction(D("1.005"), D("0"), "因病")
    with pytest.raises(ValueError, match=r"raised must have at most 2 decimal places"):
        matching_award(D("1000.005"), Fraction(1), YishiSettings())
    reduction = Reduction(D("1.01"), D("0.125"), "因病")
    assert (reduction.money_reduction, reduction.workday_reduction) == (D("1.01"), D("0.125"))
    assert Plan(1, 2024, REF, D("10.01"), D("0.125")).workdays_per_labourer == D("0.125")
    assert convert_labour_to_money(D("0.125"), 2024, YishiSettings(daily_rates={2024: D("80")})) == D("10.00")
    assert workdays_to_hours(D("0.125"), YishiSettings(hours_per_workday=8)) == D("1")
    assert hours_to_workdays(D("0.375"), YishiSettings()) == D("0.0625")
    assert matching_award(D("1000.00"), Fraction(1), YishiSettings(), ratio_override=D("1.125")) == D("1125.00")


@pytest.mark.parametrize("wrong", ["10", 10.0, True, None])
def test_numbers_must_be_decimal_or_int(wrong: object) -> None:
    with pytest.raises(TypeError, match="money_per_person must be a Decimal"):
        Plan(1, 2024, REF, wrong, D("4"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="raised must be a Decimal"):
        matching_award(wrong, Fraction(1), YishiSettings())  # type: ignore[arg-type]


@pytest.mark.parametrize(("paid", "liable", "rate"), [
    (0, 1, Fraction(0)), (0, 10, Fraction(0)), (1, 10, Fraction(1, 10)), (10, 10, Fraction(1)), (1, 1, Fraction(1)),
])
def test_participation_from_none_to_everyone(paid: int, liable: int, rate: Fraction) -> None:
    assert participation_rate(paid, liable) == rate


@pytest.mark.parametrize(("paid", "liable"), [(-1, 10), (11, 10), (0, 0), (1, 0)])
def test_participation_outside_its_range_is_refused(paid: int, liable: int) -> None:
    with pytest.raises(ValueError, match=rf"need 0 <= paid \({paid}\) <= liable \({liable}\)"):
        participation_rate(paid, liable)


@pytest.mark.parametrize(("participation", "award"), [
    (Fraction(0), "0.00"), (Fraction(69, 100), "0.00"), (Fraction(7, 10), "1000.00"), (Fraction(1), "1000.00"),
])
def test_matching_award_from_no_to_full_participation(participation: Fraction, award: str) -> None:
    assert matching_award(D("1000.00"), participation, YishiSettings()) == D(award)
    assert matching_award(D("1000.00"), participation, YishiSettings(matching_min_participation=D("0"))) == D("1000.00")


@pytest.mark.parametrize("participation", [Fraction(-1, 100), Fraction(-1), Fraction(101, 100), Fraction(3, 2),
                                           Fraction(2)])
def test_participation_outside_zero_to_one_is_refused(participation: Fraction) -> None:
    with pytest.raises(ValueError, match=f"participation must be between 0 and 1, not {participation}"):
        matching_award(D("1000.00"), participation, YishiSettings())
