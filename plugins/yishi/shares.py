"""一事一议 calculation core: who owes what, the yearly caps, 以资代劳, the fiscal matching award.

Pure functions over frozen dataclasses: no database, no web. Money is `Decimal` yuan with at most 2
decimal places; labour is `Decimal` standard workdays; shares and thresholds are compared as
`fractions.Fraction`. Floats are refused.

Who owes (docs/domain.md §4):

* Money is raised per person: every member of the household, except active soldiers and — when
  the site's `dibao_money_exempt` is on — every member of a 低保 household.
* Labour is raised per labourer: a member whose age in whole years on `Plan.reference_date` lies
  in the (inclusive) band for their sex, except active soldiers, disabled veterans, full-time
  students, and women who are pregnant or within one year of giving birth (before the baby's
  first birthday).
* Hardship reductions voted by the meeting are subtracted from the household's total; a share
  never goes below 0.

Yearly caps are per person (money) and per labourer (labour), across every project of the same
year. For a household, the amount reached is the sum over that year's projects of each project's
money ÷ its money-liable persons (workdays ÷ labourers likewise). When the household's make-up
did not change during the year this is the year's total divided by the liable persons; when it
did, it is the burden of a member liable in every project — the person the cap protects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, ROUND_UP, Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Literal

from cunwu.api import _

from .settings import YishiSettings

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

Kind = Literal["money", "labour"]


# ---------------------------------------------------------------------------------------------
# Checked numbers


def _decimal(value: object, what: str, *, cents: bool) -> Decimal:
    """`value` as a finite Decimal ≥ 0 (ints accepted, floats refused).

    `cents`: at most 2 decimal places.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{what} must be a Decimal (or an int), not {type(value).__name__}: {value!r}")
    number = Decimal(value)
    if not number.is_finite() or number < 0:
        raise ValueError(f"{what} must be a finite amount of at least 0, not {value!r}")
    if cents and number != number.quantize(CENT):
        raise ValueError(f"{what} must have at most 2 decimal places (yuan, fen), not {value!r}")
    return number


def _round_up(value: Fraction) -> Decimal:
    """To the cent, rounded up: an amount over a cap never shows as equal to the cap."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(CENT, rounding=ROUND_UP)


def age_on(birth_date: date, day: date) -> int:
    """Age in whole years on `day` (a 29 February birthday falls on 1 March in other years)."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


# ---------------------------------------------------------------------------------------------
# Input


@dataclass(frozen=True)
class Member:
    """A household member as registered on the project's reference date.

    `pregnant_or_recent_birth` is the flag the village records (pregnant, or gave birth less than
    a year ago). `gave_birth_on`, when known, gives the same exemption from the date: while the
    baby is under one year old on the reference date.
    """

    person_id: int
    name: str
    sex: Literal["M", "F"]
    birth_date: date
    active_soldier: bool = False
    disabled_veteran: bool = False
    full_time_student: bool = False
    pregnant_or_recent_birth: bool = False
    gave_birth_on: date | None = None

    def __post_init__(self) -> None:
        if self.sex not in ("M", "F"):
            raise ValueError(f"{self.name}: sex must be 'M' or 'F', not {self.sex!r}")
        if self.sex == "M" and (self.pregnant_or_recent_birth or self.gave_birth_on is not None):
            raise ValueError(f"{self.name}: pregnancy or a birth recorded for a man")


@dataclass(frozen=True)
class Household:
    """A household (户) and its members on the reference date; `dibao`: receives 低保 then."""

    household_id: int
    number: str
    members: tuple[Member, ...]
    dibao: bool = False


@dataclass(frozen=True)
class Reduction:
    """A hardship reduction the meeting voted for one household: yuan and workdays off its total."""

    money_reduction: Decimal
    workday_reduction: Decimal
    reason: str

    def __post_init__(self) -> None:
        money = _decimal(self.money_reduction, "money_reduction", cents=True)
        workdays = _decimal(self.workday_reduction, "workday_reduction", cents=False)
        object.__setattr__(self, "money_reduction", money)
        object.__setattr__(self, "workday_reduction", workdays)
        if not self.reason.strip():
            raise ValueError("a hardship reduction needs the reason the meeting voted")


@dataclass(frozen=True)
class Plan:
    """The 筹资筹劳 plan of one project as voted: rates, and reductions by household id.

    `year` is the year whose caps the project counts against; `reference_date` fixes who belongs
    to each household and everyone's age.
    """

    project_id: int
    year: int
    reference_date: date
    money_per_person: Decimal
    workdays_per_labourer: Decimal
    hardship_reductions: Mapping[int, Reduction] = field(default_factory=dict)

    def __post_init__(self) -> None:
        money = _decimal(self.money_per_person, "money_per_person", cents=True)
        workdays = _decimal(self.workdays_per_labourer, "workdays_per_labourer", cents=False)
        object.__setattr__(self, "money_per_person", money)
        object.__setattr__(self, "workdays_per_labourer", workdays)
        for household_id, reduction in self.hardship_reductions.items():
            if not isinstance(reduction, Reduction):
                raise TypeError(f"hardship_reductions[{household_id}] must be a Reduction")
        reductions = MappingProxyType(dict(self.hardship_reductions))
        object.__setattr__(self, "hardship_reductions", reductions)


# ---------------------------------------------------------------------------------------------
# Output


@dataclass(frozen=True)
class HouseholdShare:
    """What one household owes for one project.

    `money` and `workdays` are after the reduction; `reduction_money` / `reduction_workdays` are
    what was actually taken off (never more than was owed). `exemptions` has one line per exempted
    member, e.g. "张三：现役军人，免资免劳", in the locale current when the share was computed.
    """

    household_id: int
    number: str
    money_persons: int
    money: Decimal
    labourers: int
    workdays: Decimal
    exemptions: tuple[str, ...]
    reduction_money: Decimal
    reduction_workdays: Decimal
    reduction_reason: str = ""
    project_id: int | None = None
    year: int | None = None


@dataclass(frozen=True)
class CapViolation:
    """A yearly cap a plan would break.

    `household_number` / `household_id` are None when the plan's own rate is over the cap.
    `amount` is per person (yuan) or per labourer (workdays) for the year, rounded up to 0.01.
    """

    household_number: str | None
    kind: Kind
    amount: Decimal
    cap: Decimal
    message: str
    household_id: int | None = None


# ---------------------------------------------------------------------------------------------
# Shares


def _recent_birth(member: Member, reference_date: date) -> bool:
    if member.pregnant_or_recent_birth:
        return True
    born = member.gave_birth_on
    return born is not None and born <= reference_date and age_on(born, reference_date) < 1


def _assess(
    member: Member, household: Household, plan: Plan, settings: YishiSettings
) -> tuple[bool, bool, str | None]:
    """(owes money, owes labour, exemption line or None) for one member."""
    age = age_on(member.birth_date, plan.reference_date)
    if age < 0:
        raise ValueError(f"{member.name} (person {member.person_id}) is born after the reference date")
    low, high = settings.labour_age_men if member.sex == "M" else settings.labour_age_women
    of_labour_age = low <= age <= high

    # (reason, lifts money, lifts labour)
    grounds: list[tuple[str, bool, bool]] = []
    if member.active_soldier:
        grounds.append((_("现役军人"), True, True))
    if household.dibao and settings.dibao_money_exempt:
        grounds.append((_("低保户"), True, False))
    if member.disabled_veteran:
        grounds.append((_("残疾军人"), False, True))
    if member.full_time_student:
        grounds.append((_("全日制在校学生"), False, True))
    if member.sex == "F" and _recent_birth(member, plan.reference_date):
        grounds.append((_("孕期或产后一年内"), False, True))

    money_lifted = any(money for _reason, money, _labour in grounds)
    labour_lifted = of_labour_age and any(labour for _reason, _money, labour in grounds)
    # Only the grounds that take away something the member would otherwise owe are shown.
    shown = [reason for reason, money, labour in grounds if money or (labour and of_labour_age)]
    line = None
    if shown:
        if money_lifted and labour_lifted:
            relief = _("免资免劳")
        elif money_lifted:
            relief = _("免资")
        else:
            relief = _("免劳")
        reasons = _("、").join(shown)
        line = _("%(name)s：%(reasons)s，%(relief)s", name=member.name, reasons=reasons, relief=relief)
    return not money_lifted, of_labour_age and not labour_lifted, line


def compute_shares(
    plan: Plan, households: Iterable[Household], settings: YishiSettings
) -> list[HouseholdShare]:
    """Each household's money and workdays for `plan`, in the order given.

    Raises ValueError when a household or a person appears twice (a person belongs to at most one
    household on a date), when a member is born after the reference date, or when a reduction
    names a household not given.
    """
    households = list(households)
    seen_households: set[int] = set()
    seen_people: set[int] = set()
    for household in households:
        if household.household_id in seen_households:
            raise ValueError(f"household {household.number} (id {household.household_id}) given twice")
        seen_households.add(household.household_id)
        for member in household.members:
            if member.person_id in seen_people:
                raise ValueError(f"{member.name} (person {member.person_id}) is in two households")
            seen_people.add(member.person_id)
    unknown = sorted(set(plan.hardship_reductions) - seen_households)
    if unknown:
        raise ValueError(f"hardship reductions for households not given: {unknown}")

    shares: list[HouseholdShare] = []
    for household in households:
        money_persons = labourers = 0
        exemptions: list[str] = []
        for member in household.members:
            owes_money, owes_labour, line = _assess(member, household, plan, settings)
            money_persons += owes_money
            labourers += owes_labour
            if line is not None:
                exemptions.append(line)
        money = plan.money_per_person * money_persons
        workdays = plan.workdays_per_labourer * labourers
        reduction = plan.hardship_reductions.get(household.household_id)
        cut_money = min(reduction.money_reduction, money) if reduction else Decimal(0)
        cut_workdays = min(reduction.workday_reduction, workdays) if reduction else Decimal(0)
        shares.append(
            HouseholdShare(
                household_id=household.household_id,
                number=household.number,
                money_persons=money_persons,
                money=(money - cut_money).quantize(CENT),
                labourers=labourers,
                workdays=workdays - cut_workdays,
                exemptions=tuple(exemptions),
                reduction_money=cut_money.quantize(CENT),
                reduction_workdays=cut_workdays,
                reduction_reason=reduction.reason if reduction else "",
                project_id=plan.project_id,
                year=plan.year,
            )
        )
    return shares


# ---------------------------------------------------------------------------------------------
# Caps


def check_plan_caps(plan: Plan, settings: YishiSettings) -> list[CapViolation]:
    """The plan's own rates against the yearly caps (a rate over a cap breaks it for everyone)."""
    violations: list[CapViolation] = []
    if plan.money_per_person > settings.money_cap_per_person:
        amount = _round_up(Fraction(plan.money_per_person))
        cap = settings.money_cap_per_person
        message = _("本方案每人筹资%(amount)s元，超过每人每年%(cap)s元的上限", amount=amount, cap=cap)
        violations.append(CapViolation(None, "money", amount, cap, message))
    if plan.workdays_per_labourer > settings.labour_cap_per_labourer:
        amount = _round_up(Fraction(plan.workdays_per_labourer))
        cap = settings.labour_cap_per_labourer
        message = _(
            "本方案每个劳动力筹劳%(amount)s个标准工日，超过每个劳动力每年%(cap)s个标准工日的上限",
            amount=amount,
            cap=cap,
        )
        violations.append(CapViolation(None, "labour", amount, cap, message))
    return violations


def _per_head(shares: Iterable[HouseholdShare], kind: Kind) -> Fraction:
    total = Fraction(0)
    for share in shares:
        if kind == "money":
            amount, heads = share.money, share.money_persons
        else:
            amount, heads = share.workdays, share.labourers
        if heads:
            total += Fraction(amount) / heads
        elif amount:
            raise ValueError(f"household {share.number}: {kind} {amount} owed with nobody liable")
    return total


def check_caps(
    year: int,
    new_shares: Iterable[HouseholdShare],
    earlier_shares_same_year: Iterable[HouseholdShare],
    households: Iterable[Household],
    settings: YishiSettings,
    *,
    plan: Plan | None = None,
) -> list[CapViolation]:
    """Every yearly cap the new project would break, counting the year's earlier projects.

    With `plan`, its own rates are checked first (`check_plan_caps`). Then, for each household the
    new project asks something of, money per person and workdays per labourer over the year are
    compared with the caps (money before labour, households in the order of `new_shares`). A
    household whose new share of a kind is 0 is not reported for that kind: the new project adds
    nothing to it. `households` gives the current household numbers for the messages.

    Raises ValueError when a share or the plan belongs to another year, when an earlier share
    belongs to the project being checked (it would count twice), or a household has two new shares.
    """
    new = list(new_shares)
    earlier = list(earlier_shares_same_year)
    for share in new + earlier:
        if share.year is not None and share.year != year:
            raise ValueError(
                f"household {share.number}: a share of {share.year} checked against {year}'s caps"
            )
    new_projects = {share.project_id for share in new if share.project_id is not None}
    if plan is not None:
        if plan.year != year:
            raise ValueError(f"a plan of {plan.year} checked against {year}'s caps")
        new_projects.add(plan.project_id)
    if any(share.project_id in new_projects for share in earlier):
        raise ValueError("an earlier share belongs to the project being checked; it would count twice")
    if len({share.household_id for share in new}) != len(new):
        raise ValueError("a household has two shares in the new project")

    numbers = {household.household_id: household.number for household in households}
    earlier_by_household: dict[int, list[HouseholdShare]] = {}
    for share in earlier:
        earlier_by_household.setdefault(share.household_id, []).append(share)

    violations = check_plan_caps(plan, settings) if plan is not None else []
    for share in new:
        number = numbers.get(share.household_id, share.number)
        year_shares = [share, *earlier_by_household.get(share.household_id, [])]
        if share.money > 0:
            reached = _per_head(year_shares, "money")
            cap = settings.money_cap_per_person
            if reached > Fraction(cap):
                amount = _round_up(reached)
                message = _(
                    "户号%(household)s：本年度一事一议筹资将达每人%(amount)s元，"
                    "超过每人每年%(cap)s元的上限",
                    household=number,
                    amount=amount,
                    cap=cap,
                )
                violations.append(
                    CapViolation(number, "money", amount, cap, message, share.household_id)
                )
        if share.workdays > 0:
            reached = _per_head(year_shares, "labour")
            cap = settings.labour_cap_per_labourer
            if reached > Fraction(cap):
                amount = _round_up(reached)
                message = _(
                    "户号%(household)s：本年度一事一议筹劳将达每个劳动力%(amount)s个标准工日，"
                    "超过每个劳动力每年%(cap)s个标准工日的上限",
                    household=number,
                    amount=amount,
                    cap=cap,
                )
                violations.append(
                    CapViolation(number, "labour", amount, cap, message, share.household_id)
                )
    return violations


# ---------------------------------------------------------------------------------------------
# Labour, 以资代劳, matching award, eligibility


class NoPublishedRate(ValueError):
    """The county has published no 以资代劳 daily rate for that year (`daily_rates`)."""


def convert_labour_to_money(workdays: Decimal, year: int, settings: YishiSettings) -> Decimal:
    """以资代劳 (only at the household's own choice): the money that replaces `workdays`.

    At the county's published daily rate for `year`, rounded half up to the fen. Raises
    NoPublishedRate when the site has no rate for that year.
    """
    workdays = _decimal(workdays, "workdays", cents=False)
    rate = settings.daily_rates.get(year)
    if rate is None:
        raise NoPublishedRate(_("%(year)s年度县级以资代劳日工价尚未公布，不能折算", year=year))
    return (workdays * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def workdays_to_hours(workdays: Decimal, settings: YishiSettings) -> Decimal:
    """Standard workdays as hours (exact)."""
    return _decimal(workdays, "workdays", cents=False) * settings.hours_per_workday


def hours_to_workdays(hours: Decimal | int, settings: YishiSettings) -> Decimal:
    """Hours as standard workdays, exactly.

    Raises ValueError when no decimal holds the result (1 hour of a 6-hour workday is 1/6).
    """
    exact = Fraction(_decimal(hours, "hours", cents=False)) / settings.hours_per_workday
    workdays = Decimal(exact.numerator) / Decimal(exact.denominator)
    if Fraction(workdays) != exact:
        raise ValueError(f"{hours} hours is {exact} workdays, which no decimal holds exactly")
    return workdays


def participation_rate(paid_households: int, liable_households: int) -> Fraction:
    """Share of the liable households that have paid (for the matching award)."""
    if not 0 <= paid_households <= liable_households or liable_households == 0:
        raise ValueError(
            f"need 0 <= paid ({paid_households}) <= liable ({liable_households}), "
            "with at least one liable household"
        )
    return Fraction(paid_households, liable_households)


def matching_award(
    raised: Decimal,
    participation: Fraction,
    settings: YishiSettings,
    ratio_override: Decimal | None = None,
) -> Decimal:
    """财政奖补: `raised` × the matching ratio, rounded half up to the fen.

    The ratio is the project's `ratio_override` if given, else the site's `matching_ratio`. The
    award is 0 when participation is below `matching_min_participation` (reaching it qualifies).
    """
    raised = _decimal(raised, "raised", cents=True)
    if not 0 <= participation <= 1:
        raise ValueError(f"participation must be between 0 and 1, not {participation}")
    if ratio_override is None:
        ratio = settings.matching_ratio
    else:
        ratio = _decimal(ratio_override, "ratio_override", cents=False)
    if Fraction(participation) < Fraction(settings.matching_min_participation):
        return ZERO
    return (raised * ratio).quantize(CENT, rounding=ROUND_HALF_UP)


def kind_refusal(kind: str, settings: YishiSettings) -> str | None:
    """None when a project of `kind` may raise money and labour by 一事一议; else the reason."""
    if kind in settings.eligible_kinds:
        return None
    reason = settings.ineligible_reasons.get(kind)
    if reason is not None:
        return _(reason)
    return _("“%(kind)s”不在本地一事一议可筹资筹劳的项目类型之内", kind=kind)
