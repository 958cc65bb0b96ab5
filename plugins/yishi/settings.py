"""Per-site settings of the 一事一议 plugin (`[plugins.yishi]` in site.toml) and the vote thresholds.

Every value here is *practice* (docs/domain.md §4): it differs from province to province, so it is
a setting, never a constant in code. The defaults are the most common national practice.

Age bands (`labour_age_men`, `labour_age_women`) are inclusive at both ends and apply to the
person's age in whole years on the project's reference date (`Plan.reference_date`): with the
default (18, 55) a man is a labourer from his 18th birthday to the day before his 56th birthday.

`meeting_rules` (`[plugins.yishi.meeting_rules.<kind>]`) is the 一事一议 rule set the plugin brings to the
meetings area (hook `vote_rule_sets`): a meeting scheduled under it counts quorum and majority with these
overrides on top of `[core.meetings] rules`.

Vote thresholds: `vote_preset` picks a rule; `vote_quorum`, `vote_approval` and
`vote_approval_base` override parts of it. A threshold is written with its operator, so that
过半数 (strictly more than) and …以上 (at least) cannot be confused: ``">1/2"`` means strictly
more than half, ``">=2/3"`` (or ``"≥2/3"``) means at least two thirds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cunwu.api import MeetingKind, RuleOverride, check_overrides

ApprovalBase = Literal["attendees", "members"]

DEFAULT_ELIGIBLE_KINDS: tuple[str, ...] = (
    "irrigation",
    "road",
    "trees",
    "land_improvement",
    "other_public_works",
)

# Kinds refused by default, with the reason shown to the user (zh-CN source strings, translated
# through the plugin's catalog when shown; a site may replace them with its own wording).
DEFAULT_INELIGIBLE_REASONS: dict[str, str] = {
    "public_finance": "应由各级财政负担的事项，不得通过一事一议向村民筹资筹劳",
    "enterprise_debt": "企业债务不得通过一事一议向村民筹资筹劳偿还",
    "village_debt": "村级债务不得通过一事一议向村民筹资筹劳偿还",
    "village_administration": "村级组织运转和村干部报酬不得通过一事一议向村民筹资筹劳",
}

_KIND = re.compile(r"^[a-z][a-z0-9_]*$")
_THRESHOLD = re.compile(r"^\s*(>=|≥|>)\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class VoteThresholds:
    """What a 一事一议 vote needs.

    The quorum is always counted against the members of the representative meeting.
    `approval_base` says whether votes in favour are counted against those present
    ("attendees") or against all members ("members"). `*_inclusive` is True for "…以上"
    (at least the fraction) and False for 过半数-style "strictly more than".
    """

    quorum: Fraction
    quorum_inclusive: bool
    approval: Fraction
    approval_inclusive: bool
    approval_base: str

    def quorum_met(self, members: int, present: int) -> bool:
        """Whether `present` of `members` representatives make a quorum."""
        _check_counts(members, present, 0)
        return _reaches(Fraction(present, members), self.quorum, self.quorum_inclusive)

    def passes(self, members: int, present: int, in_favour: int) -> bool:
        """Whether a motion carries: quorum met and enough votes in favour."""
        _check_counts(members, present, in_favour)
        base = present if self.approval_base == "attendees" else members
        if not self.quorum_met(members, present) or base == 0:
            return False
        return _reaches(Fraction(in_favour, base), self.approval, self.approval_inclusive)


def _reaches(share: Fraction, threshold: Fraction, inclusive: bool) -> bool:
    return share >= threshold if inclusive else share > threshold


def _check_counts(members: int, present: int, in_favour: int) -> None:
    if not 0 <= in_favour <= present <= members or members == 0:
        raise ValueError(
            f"counts must satisfy 0 <= in favour ({in_favour}) <= present ({present}) "
            f"<= members ({members}), with at least one member"
        )


# National rule (村民委员会组织法 art. 26, representative meeting): ≥ 2/3 of the members present,
# > 1/2 of those present in favour. A villagers' meeting (art. 22) counts differently (> 1/2 of
# villagers aged 18+ present, or representatives of ≥ 2/3 of households); that belongs to the
# meetings area — here the presets describe the representative meeting that votes 一事一议.
PRESETS: dict[str, VoteThresholds] = {
    "national": VoteThresholds(Fraction(2, 3), True, Fraction(1, 2), False, "attendees"),
    # Several provinces: ≥ 4/5 of representatives present, ≥ 2/3 of ALL representatives in favour.
    "four_fifths_two_thirds_all": VoteThresholds(
        Fraction(4, 5), True, Fraction(2, 3), True, "members"
    ),
}


def parse_threshold(text: str) -> tuple[Fraction, bool]:
    """Parse ``">1/2"``, ``">=2/3"`` or ``"≥4/5"`` into (fraction, inclusive).

    Raises ValueError saying what is wrong.
    """
    match = _THRESHOLD.match(text)
    if match is None:
        raise ValueError(
            f"threshold {text!r} must be an operator and a fraction, e.g. '>1/2' (strictly "
            "more than half) or '>=2/3' (at least two thirds)"
        )
    operator, numerator, denominator = match.groups()
    if int(denominator) == 0:
        raise ValueError(f"threshold {text!r}: the denominator must not be 0")
    fraction = Fraction(int(numerator), int(denominator))
    if not 0 < fraction <= 1:
        raise ValueError(f"threshold {text!r}: the fraction must be more than 0 and at most 1")
    return fraction, operator != ">"


class YishiSettings(BaseModel):
    """`[plugins.yishi]` in site.toml."""

    model_config = ConfigDict(extra="forbid")

    money_cap_per_person: Decimal = Field(
        default=Decimal("15"),
        gt=0,
        decimal_places=2,
        description="yuan per person per year (some provinces 20)",
    )
    labour_cap_per_labourer: Decimal = Field(
        default=Decimal("10"),
        gt=0,
        decimal_places=2,
        description="standard workdays per labourer per year (some provinces 15)",
    )
    hours_per_workday: int = Field(default=6, ge=1, le=24, description="hours in a standard workday")
    labour_age_men: tuple[int, int] = Field(
        default=(18, 55), description="inclusive ages on the project's reference date"
    )
    labour_age_women: tuple[int, int] = Field(
        default=(18, 50), description="inclusive ages on the project's reference date"
    )
    dibao_money_exempt: bool = Field(default=True, description="低保 households pay no money")
    daily_rates: dict[int, Decimal] = Field(
        default_factory=dict,
        description="county's published 以资代劳 rate, yuan per standard workday, by year",
    )
    vote_preset: Literal["national", "four_fifths_two_thirds_all"] = "national"
    vote_quorum: str | None = Field(default=None, description="override, e.g. '>=4/5'")
    vote_approval: str | None = Field(default=None, description="override, e.g. '>1/2', '>=2/3'")
    vote_approval_base: ApprovalBase | None = None
    meeting_rules: dict[MeetingKind, RuleOverride] = Field(
        default_factory=dict,
        description="quorum/majority overrides, by meeting kind, for meetings scheduled under the 一事一议 rule set",
    )
    matching_ratio: Decimal = Field(
        default=Decimal("1"),
        ge=0,
        description="财政奖补 in yuan per yuan raised (a project may override it)",
    )
    matching_min_participation: Decimal = Field(
        default=Decimal("0.70"),
        ge=0,
        le=1,
        description="share of liable households that must have paid (reaching it qualifies)",
    )
    eligible_kinds: list[str] = Field(
        default_factory=lambda: list(DEFAULT_ELIGIBLE_KINDS), min_length=1
    )
    ineligible_reasons: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_INELIGIBLE_REASONS)
    )

    @field_validator("labour_age_men", "labour_age_women")
    @classmethod
    def _age_band(cls, value: tuple[int, int]) -> tuple[int, int]:
        low, high = value
        if not 0 <= low <= high <= 150:
            raise ValueError("an age band is [lowest, highest] with 0 <= lowest <= highest, e.g. [18, 55]")
        return value

    @field_validator("daily_rates")
    @classmethod
    def _rates(cls, value: dict[int, Decimal]) -> dict[int, Decimal]:
        for year, rate in value.items():
            if not 1900 <= year <= 2999:
                raise ValueError(f"daily_rates: {year} is not a year")
            if not rate.is_finite() or rate <= 0:
                raise ValueError(f"daily_rates[{year}]: the rate must be a positive amount of yuan")
            if rate != rate.quantize(Decimal("0.01")):
                raise ValueError(f"daily_rates[{year}]: at most 2 decimal places (yuan, fen)")
        return value

    @field_validator("vote_quorum", "vote_approval")
    @classmethod
    def _threshold(cls, value: str | None) -> str | None:
        if value is not None:
            parse_threshold(value)
        return value

    @field_validator("meeting_rules")
    @classmethod
    def _meeting_rules(cls, value: dict[MeetingKind, RuleOverride]) -> dict[MeetingKind, RuleOverride]:
        check_overrides(value)
        return value

    @field_validator("eligible_kinds")
    @classmethod
    def _kinds(cls, value: list[str]) -> list[str]:
        for kind in value:
            if not _KIND.match(kind):
                raise ValueError(f"eligible_kinds: {kind!r} must be lower-case letters, digits, '_'")
        if len(set(value)) != len(value):
            raise ValueError("eligible_kinds: a kind is listed twice")
        return value

    @field_validator("ineligible_reasons")
    @classmethod
    def _reasons(cls, value: dict[str, str]) -> dict[str, str]:
        for kind, reason in value.items():
            if not _KIND.match(kind):
                raise ValueError(
                    f"ineligible_reasons: {kind!r} must be lower-case letters, digits, '_'"
                )
            if not reason.strip():
                raise ValueError(f"ineligible_reasons[{kind!r}]: give the reason shown to the user")
        return value

    @model_validator(mode="after")
    def _kinds_disjoint(self) -> YishiSettings:
        both = sorted(set(self.eligible_kinds) & set(self.ineligible_reasons))
        if both:
            raise ValueError(f"kind(s) both eligible and refused: {', '.join(both)}")
        return self


def vote_thresholds(settings: YishiSettings) -> VoteThresholds:
    """The preset named by `settings.vote_preset`, with any explicit override applied."""
    preset = PRESETS[settings.vote_preset]
    quorum, quorum_inclusive = preset.quorum, preset.quorum_inclusive
    approval, approval_inclusive = preset.approval, preset.approval_inclusive
    if settings.vote_quorum is not None:
        quorum, quorum_inclusive = parse_threshold(settings.vote_quorum)
    if settings.vote_approval is not None:
        approval, approval_inclusive = parse_threshold(settings.vote_approval)
    return VoteThresholds(
        quorum=quorum,
        quorum_inclusive=quorum_inclusive,
        approval=approval,
        approval_inclusive=approval_inclusive,
        approval_base=settings.vote_approval_base or preset.approval_base,
    )


#: The meetings that may decide a 一事一议 plan (村民会议, or a 村民代表会议 it authorised).
DECIDING_KINDS = (MeetingKind.villagers, MeetingKind.representatives)


def _fraction(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def meeting_overrides(settings: YishiSettings) -> dict[MeetingKind, RuleOverride]:
    """The 一事一议 rule set the meetings area counts by: the vote thresholds (`vote_preset` and its overrides) as
    quorum and majority of the two meetings that decide a plan, with `meeting_rules` on top field by field.

    One source for the rule: a motion on a 一事一议 matter is counted by these in any meeting, so the meeting's
    result and the project's can never disagree."""
    rule = vote_thresholds(settings)
    derived: dict[str, object] = {
        "quorum": _fraction(rule.quorum), "quorum_inclusive": rule.quorum_inclusive,
        "majority": _fraction(rule.approval), "majority_inclusive": rule.approval_inclusive,
        "majority_base": rule.approval_base}
    found = dict(settings.meeting_rules)
    for kind in DECIDING_KINDS:
        explicit = found.get(kind)
        found[kind] = RuleOverride.model_validate(
            {**derived, **(explicit.model_dump(exclude_none=True) if explicit is not None else {})})
    return found
