"""The arithmetic of meeting validity: quorum, majority, convening requests, composition. Pure, no database.

Every threshold is an exact `fractions.Fraction` compared with integers by cross-multiplication;
no float is ever involved (`Threshold` refuses one). Wording follows the statutes
(see docs/domain.md §1.2 and §4):

* "2/3以上" (at least two thirds) is *inclusive*: `Threshold(Fraction(2, 3), inclusive=True)`, "≥ 2/3".
* "过半数" (more than half) is *exclusive*: `Threshold(Fraction(1, 2), inclusive=False)`, "> 1/2".

`DEFAULT_RULES` holds the national law (村民委员会组织法 2018, art. 21–28) for the villagers',
representative and group meetings, and common practice for the other kinds (party organs,
supervision committee), which that law does not regulate. Provinces differ, so a site may override
any rule in `site.toml`::

    [core.meetings.rules.representatives]          # e.g. a provincial 一事一议 variant
    quorum = "4/5"
    quorum_inclusive = true
    majority = "2/3"
    majority_inclusive = true
    majority_base = "members"                      # 2/3 of ALL members, not of those present

`rules_for(MeetingSettings.model_validate(values))` gives the merged rules. A fraction in an
override must come with its `*_inclusive` flag: "4/5" alone is ambiguous between "4/5以上" and
"超过4/5", so it is refused.

A plugin may bring named rule sets (`VoteRuleSet`, hook `vote_rule_sets`), e.g. the 一事一议 plugin's provincial
variant: their overrides apply on top of `rules` only for a meeting scheduled under that set
(`rules_for(settings, rule_set.overrides)`), so a site keeps the law's rules for everything else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from fractions import Fraction
from typing import Literal, Protocol

import pydantic
from babel.support import LazyProxy
from pydantic import Field, StrictBool, StrictInt, field_validator, model_validator

from cunwu.i18n import _, current_locale, lazy_gettext, translations

__all__ = [
    "DEFAULT_RULES",
    "FOUR_FIFTHS",
    "ONE_FIFTH",
    "ONE_HALF",
    "ONE_TENTH",
    "ONE_THIRD",
    "TWO_THIRDS",
    "KindRule",
    "MajorityBase",
    "MeetingKind",
    "QuorumMode",
    "QuorumStatus",
    "RuleOverride",
    "RuleOverrides",
    "SiteRules",
    "Threshold",
    "VoteOutcome",
    "VoteRuleSet",
    "apply_override",
    "check_overrides",
    "convening_request_met",
    "convening_request_minimum",
    "convening_threshold",
    "quorum_status",
    "representative_count_bounds",
    "representative_meeting_warnings",
    "rules_for",
    "vote_outcome",
]

ONE_HALF = Fraction(1, 2)
ONE_THIRD = Fraction(1, 3)
TWO_THIRDS = Fraction(2, 3)
ONE_FIFTH = Fraction(1, 5)
FOUR_FIFTHS = Fraction(4, 5)
ONE_TENTH = Fraction(1, 10)

MajorityBase = Literal["attendees", "members"]
Requesters = Literal["villagers", "representatives"]


def N_(message: str) -> str:
    """Mark a string for translation without translating it (`N_` is a marker extraction tools know)."""
    return message


class MeetingKind(StrEnum):
    """The kinds of village meeting, each with its own rules (DEFAULT_RULES)."""

    villagers = "villagers"  # 村民会议
    representatives = "representatives"  # 村民代表会议
    group = "group"  # 村民小组会议
    party_branch = "party_branch"  # 党支部委员会
    two_committees = "two_committees"  # 两委联席会议
    party_members = "party_members"  # 党员大会
    supervision = "supervision"  # 村务监督委员会会议

    @property
    def title(self) -> LazyProxy:
        """The title in the current locale, translated when shown."""
        return lazy_gettext(_KIND_TITLES[self])

    @property
    def title_zh(self) -> str:
        return _KIND_TITLES[self]

    @property
    def title_en(self) -> str:
        return translations("en").gettext(_KIND_TITLES[self])

    @property
    def has_household_mode(self) -> bool:
        """Only the villagers' meeting (art. 22) and the group meeting (art. 28) may count households."""
        return self in (MeetingKind.villagers, MeetingKind.group)


_KIND_TITLES: dict[MeetingKind, str] = {
    MeetingKind.villagers: N_("村民会议"),
    MeetingKind.representatives: N_("村民代表会议"),
    MeetingKind.group: N_("村民小组会议"),
    MeetingKind.party_branch: N_("党支部委员会"),
    MeetingKind.two_committees: N_("两委联席会议"),
    MeetingKind.party_members: N_("党员大会"),
    MeetingKind.supervision: N_("村务监督委员会会议"),
}


class QuorumMode(StrEnum):
    """How attendance is counted: persons, or (villagers' and group meetings only) households represented."""

    persons = "persons"  # 按人数: villagers aged 18+ (or members) present
    households = "households"  # 按户数: households represented

    @property
    def title(self) -> LazyProxy:
        return lazy_gettext(_MODE_TITLES[self])

    @property
    def title_zh(self) -> str:
        return _MODE_TITLES[self]

    @property
    def title_en(self) -> str:
        return translations("en").gettext(_MODE_TITLES[self])


_MODE_TITLES: dict[QuorumMode, str] = {
    QuorumMode.persons: N_("按人数计"),
    QuorumMode.households: N_("按户数计"),
}


def _check_count(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must not be negative: {value}")


_FRACTION_TEXT = re.compile(r"(\d+)(?:/(\d+))?")


def _parse_fraction(text: str) -> Fraction:
    """"2/3" → Fraction(2, 3); only digits and one slash, value between 0 and 1."""
    if not isinstance(text, str):
        raise TypeError(f"write a threshold as a string like '2/3', not {type(text).__name__} {text!r}")
    match = _FRACTION_TEXT.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a fraction like '2/3' (no decimals, no sign): {text!r}")
    numerator, denominator = int(match[1]), int(match[2] or 1)
    if denominator == 0:
        raise ValueError(f"zero denominator: {text!r}")
    fraction = Fraction(numerator, denominator)
    if fraction > 1:
        raise ValueError(f"a threshold must lie between 0 and 1: {text!r}")
    return fraction


@dataclass(frozen=True)
class Threshold:
    """A share of a total: "≥ fraction" when `inclusive` (…以上), "> fraction" otherwise (过半数 = `> 1/2`).

    The fraction lies in [0, 1]; "≥ 0" (always met) and "> 1" (never met) are refused.
    A total of 0 is never met: a meeting with no members (or a vote with no base) can never be
    quorate or pass, and `minimum(0)` is 1, a count no empty body can reach.
    """

    fraction: Fraction
    inclusive: bool

    def __post_init__(self) -> None:
        fraction = self.fraction
        if isinstance(fraction, bool) or not isinstance(fraction, Fraction | int):
            raise TypeError(f"a threshold needs a Fraction or an int, not {type(fraction).__name__}")
        if not isinstance(self.inclusive, bool):
            raise TypeError(f"inclusive must be a bool, not {type(self.inclusive).__name__}")
        fraction = Fraction(fraction)
        object.__setattr__(self, "fraction", fraction)
        if not 0 <= fraction <= 1:
            raise ValueError(f"a threshold must lie between 0 and 1: {fraction}")
        if self.inclusive and fraction == 0:
            raise ValueError("a threshold of ≥ 0 is always met; use > 0 for 'at least one'")
        if not self.inclusive and fraction == 1:
            raise ValueError("a threshold of > 1 can never be met; use ≥ 1 for 'everyone'")

    @classmethod
    def parse(cls, text: str, *, inclusive: bool) -> Threshold:
        """Read "2/3" (or "1", "0"). Decimals ("0.5", 0.5), signs and values above 1 are refused."""
        return cls(_parse_fraction(text), inclusive)

    def met(self, count: int, total: int) -> bool:
        """Whether `count` out of `total` reaches it. Never for total 0; count > total is an error."""
        _check_count("count", count)
        _check_count("total", total)
        if count > total:
            raise ValueError(f"count {count} exceeds total {total}")
        if total == 0:
            return False
        lhs, rhs = count * self.fraction.denominator, self.fraction.numerator * total
        return lhs >= rhs if self.inclusive else lhs > rhs

    def minimum(self, total: int) -> int:
        """The smallest count out of `total` that meets it (1 for total 0: unreachable, see above)."""
        _check_count("total", total)
        if total == 0:
            return 1
        product = self.fraction.numerator * total
        if self.inclusive:
            return -(-product // self.fraction.denominator)  # ceiling
        return product // self.fraction.denominator + 1

    def describe(self) -> str:
        return f"{'≥' if self.inclusive else '>'} {self.fraction}"

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class KindRule:
    """Quorum and majority of one meeting kind.

    `quorum_households` is None for the kinds without a household mode. `majority_base` says what
    the majority is counted against: "attendees" (到会人员, the law's rule everywhere) or "members"
    (全体组成人员, some provincial 一事一议 rules). `notice_days` is the minimum days between the
    notice and the meeting; 0 means none is required.
    """

    quorum_persons: Threshold
    quorum_households: Threshold | None
    majority: Threshold
    majority_base: MajorityBase
    notice_days: int

    def __post_init__(self) -> None:
        if self.majority_base not in ("attendees", "members"):
            raise ValueError(f"majority_base must be 'attendees' or 'members': {self.majority_base!r}")
        _check_count("notice_days", self.notice_days)

    @property
    def modes(self) -> tuple[QuorumMode, ...]:
        if self.quorum_households is None:
            return (QuorumMode.persons,)
        return (QuorumMode.persons, QuorumMode.households)

    def quorum(self, mode: QuorumMode) -> Threshold:
        """The quorum threshold for `mode`; ValueError for households on a kind that has no household mode."""
        mode = QuorumMode(mode)
        if mode is QuorumMode.persons:
            return self.quorum_persons
        if self.quorum_households is None:
            raise ValueError("this meeting kind has no household quorum mode")
        return self.quorum_households


_GE_TWO_THIRDS = Threshold(TWO_THIRDS, inclusive=True)
_GT_HALF = Threshold(ONE_HALF, inclusive=False)

DEFAULT_RULES: dict[MeetingKind, KindRule] = {
    # Law, art. 21–22: > 1/2 of villagers aged 18+, or representatives of ≥ 2/3 of households;
    # > 1/2 of attendees; notice 10 days before.
    MeetingKind.villagers: KindRule(_GT_HALF, _GE_TWO_THIRDS, _GT_HALF, "attendees", notice_days=10),
    # Law, art. 26: ≥ 2/3 of the members (组成人员) present; > 1/2 of attendees.
    # No statutory notice: practice 0.
    MeetingKind.representatives: KindRule(_GE_TWO_THIRDS, None, _GT_HALF, "attendees", notice_days=0),
    # Law, art. 28: ≥ 2/3 of the group's villagers aged 18+ or ≥ 2/3 of its households; > 1/2 of attendees.
    MeetingKind.group: KindRule(_GE_TWO_THIRDS, _GE_TWO_THIRDS, _GT_HALF, "attendees", notice_days=0),
    # Practice (四议两公开 step 1): > 1/2 of the branch committee present; > 1/2 of attendees.
    MeetingKind.party_branch: KindRule(_GT_HALF, None, _GT_HALF, "attendees", notice_days=0),
    # Practice (四议两公开 step 2): > 1/2 of both committees present; > 1/2 of attendees.
    MeetingKind.two_committees: KindRule(_GT_HALF, None, _GT_HALF, "attendees", notice_days=0),
    # Practice (四议两公开 step 3): ≥ 2/3 of party members present; > 1/2 of attendees. Party rules count some
    # votes (elections) against all members entitled to vote: a site sets majority_base = "members" for that.
    MeetingKind.party_members: KindRule(_GE_TWO_THIRDS, None, _GT_HALF, "attendees", notice_days=0),
    # Practice: > 1/2 of the supervision committee present; > 1/2 of attendees.
    MeetingKind.supervision: KindRule(_GT_HALF, None, _GT_HALF, "attendees", notice_days=0),
}
"""Law for villagers', representative and group meetings; practice for the others. `notice_days` is
the law's 10 for the villagers' meeting and 0 (no minimum enforced) for the others, which the law
leaves to local rules: a site sets its own with `notice_days` in an override."""


# --- site overrides -----------------------------------------------------------------------------------------


class RuleOverride(pydantic.BaseModel, extra="forbid"):
    """Changes to one kind's `KindRule`; unset fields keep the default. Fractions are strings like "4/5"."""

    quorum: str | None = None
    quorum_inclusive: StrictBool | None = None
    quorum_households: str | None = None
    quorum_households_inclusive: StrictBool | None = None
    majority: str | None = None
    majority_inclusive: StrictBool | None = None
    majority_base: MajorityBase | None = None
    notice_days: StrictInt | None = Field(default=None, ge=0)

    @field_validator("quorum", "quorum_households", "majority")
    @classmethod
    def _fraction(cls, value: str | None) -> str | None:
        if value is not None:
            _parse_fraction(value)  # format and range; "≥ 0" / "> 1" are checked with the flag below
        return value

    @model_validator(mode="after")
    def _flag_with_fraction(self) -> RuleOverride:
        for name in ("quorum", "quorum_households", "majority"):
            text, inclusive = getattr(self, name), getattr(self, f"{name}_inclusive")
            if text is None:
                continue
            if inclusive is None:
                raise ValueError(
                    f"{name} = {text!r} needs {name}_inclusive: true for '{text}以上' (at least), "
                    f"false for '超过{text}' (more than)"
                )
            try:
                Threshold.parse(text, inclusive=inclusive)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from exc
        return self


def _merge(base: Threshold, text: str | None, inclusive: bool | None, field: str) -> Threshold:
    if text is None and inclusive is None:
        return base
    fraction = base.fraction if text is None else _parse_fraction(text)
    try:
        return Threshold(fraction, base.inclusive if inclusive is None else inclusive)
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from exc


def apply_override(kind: MeetingKind, rule: KindRule, override: RuleOverride) -> KindRule:
    """`rule` with the fields set in `override`. ValueError (naming the field) if the result is not valid."""
    households = rule.quorum_households
    if override.quorum_households is not None or override.quorum_households_inclusive is not None:
        if households is None:
            raise ValueError(f"{kind}.quorum_households: a {kind} meeting has no household quorum mode")
        households = _merge(
            households,
            override.quorum_households,
            override.quorum_households_inclusive,
            f"{kind}.quorum_households",
        )
    quorum = _merge(rule.quorum_persons, override.quorum, override.quorum_inclusive, f"{kind}.quorum")
    majority = _merge(rule.majority, override.majority, override.majority_inclusive, f"{kind}.majority")
    return replace(
        rule,
        quorum_persons=quorum,
        quorum_households=households,
        majority=majority,
        majority_base=override.majority_base or rule.majority_base,
        notice_days=rule.notice_days if override.notice_days is None else override.notice_days,
    )


RuleOverrides = dict[MeetingKind, RuleOverride]


def check_overrides(value: Mapping[MeetingKind, RuleOverride]) -> Mapping[MeetingKind, RuleOverride]:
    """Refuse overrides that do not make a valid rule on top of the law's (ValueError naming kind and field).

    Settings models call it from a field validator, so a bad value stops the site at start-up."""
    for kind, override in value.items():
        apply_override(kind, DEFAULT_RULES[kind], override)
    return value


@dataclass(frozen=True)
class VoteRuleSet:
    """A named layer of overrides a plugin brings through the `vote_rule_sets` hook (e.g. `yishi_yiyi`).

    A meeting scheduled with `rule_set=name` counts its quorum and majority by the site's rules with these
    overrides on top. `name` is stored on the meeting (at most 12 characters)."""

    name: str
    title_zh: str
    title_en: str
    overrides: Mapping[MeetingKind, RuleOverride] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,11}", self.name) or self.name == "standard":
            raise ValueError(f"rule set name {self.name!r}: 1-12 lower-case letters, digits, '_', not 'standard'")

    @property
    def title(self) -> str:
        return self.title_en if current_locale.get() == "en" else self.title_zh


class SiteRules(Protocol):
    """What `rules_for` reads of a site's `[core.meetings]` settings (`cunwu.meetings.settings.MeetingSettings`)."""

    @property
    def rules(self) -> Mapping[MeetingKind, RuleOverride]: ...


def rules_for(settings: SiteRules | None,
              extra: Mapping[MeetingKind, RuleOverride] | None = None) -> dict[MeetingKind, KindRule]:
    """The default rules with the site's overrides and, for a meeting under a rule set, its overrides on top.

    ValueError when the two layers together do not make a valid rule."""
    rules = dict(DEFAULT_RULES)
    layers = [settings.rules if settings is not None else {}, extra or {}]
    for layer in layers:
        for kind, override in layer.items():
            rules[kind] = apply_override(kind, rules[kind], override)
    return rules


# --- quorum and votes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuorumStatus:
    """`present` of `total` (persons or households, per `mode`); `required` is the smallest quorate count."""

    present: int
    required: int
    total: int
    met: bool
    mode: QuorumMode
    threshold: Threshold
    description: str

    @property
    def missing(self) -> int:
        """How many more must attend (0 when met). For total 0 this is 1 although nobody can come."""
        return max(0, self.required - self.present)


def quorum_status(rule: KindRule, mode: QuorumMode, present: int, total: int) -> QuorumStatus:
    """Whether a meeting is quorate. ValueError for a household mode the kind lacks, or present > total."""
    mode = QuorumMode(mode)
    threshold = rule.quorum(mode)
    met = threshold.met(present, total)
    return QuorumStatus(present, threshold.minimum(total), total, met, mode, threshold, threshold.describe())


@dataclass(frozen=True)
class VoteOutcome:
    """A counted vote. `base` is the attendees or the members count (per `majority_base`);
    `required` is the smallest number of votes for that passes. Attendees who did not vote count in
    an attendees base like abstainers."""

    votes_for: int
    against: int
    abstain: int
    base: int
    required: int
    passed: bool
    majority_base: MajorityBase
    description: str


def vote_outcome(
    rule: KindRule, *, votes_for: int, against: int, abstain: int, attendees: int, members: int
) -> VoteOutcome:
    """Count a vote under `rule`. The quorum is a separate question (`quorum_status`).

    ValueError when for + against + abstain > attendees (more votes than people present)
    or attendees > members.
    """
    for name, value in (
        ("votes_for", votes_for),
        ("against", against),
        ("abstain", abstain),
        ("attendees", attendees),
        ("members", members),
    ):
        _check_count(name, value)
    cast = votes_for + against + abstain
    if cast > attendees:
        raise ValueError(f"{cast} votes cast (for + against + abstain) but only {attendees} attendees")
    if attendees > members:
        raise ValueError(f"{attendees} attendees but only {members} members")
    base = attendees if rule.majority_base == "attendees" else members
    return VoteOutcome(
        votes_for=votes_for,
        against=against,
        abstain=abstain,
        base=base,
        required=rule.majority.minimum(base),
        passed=rule.majority.met(votes_for, base),
        majority_base=rule.majority_base,
        description=rule.majority.describe(),
    )


# --- convening and composition ------------------------------------------------------------------------------

_CONVENING: dict[tuple[MeetingKind, str], Threshold] = {
    # Art. 21: on request of ≥ 1/10 of villagers (aged 18+) or ≥ 1/3 of representatives.
    (MeetingKind.villagers, "villagers"): Threshold(ONE_TENTH, inclusive=True),
    (MeetingKind.villagers, "representatives"): Threshold(ONE_THIRD, inclusive=True),
    # Art. 26: must be convened on request of ≥ 1/5 of the representatives.
    (MeetingKind.representatives, "representatives"): Threshold(ONE_FIFTH, inclusive=True),
}


def convening_threshold(kind: MeetingKind, *, by: Requesters) -> Threshold:
    """The share of `by` whose request obliges the committee to convene `kind`.

    ValueError where the law gives `by` no such right (and for kinds without a statutory rule)."""
    threshold = _CONVENING.get((MeetingKind(kind), by))
    if threshold is None:
        raise ValueError(f"the law gives {by} no right to have a {kind} meeting convened")
    return threshold


def convening_request_met(kind: MeetingKind, *, by: Requesters, requesters: int, base: int) -> bool:
    """Whether `requesters` of `base` (villagers aged 18+, or all representatives) force a meeting."""
    return convening_threshold(kind, by=by).met(requesters, base)


def convening_request_minimum(kind: MeetingKind, *, by: Requesters, base: int) -> int:
    """How many requesters out of `base` are needed (1/10 of 305 → 31; 1/5 of 21 → 5)."""
    return convening_threshold(kind, by=by).minimum(base)


def representative_meeting_warnings(members_total: int, representatives: int, women: int) -> list[str]:
    """Translated warnings on a representative meeting's composition (art. 25).

    Representatives must be ≥ 4/5 of its members (村民委员会成员 + 村民代表), and women
    representatives (妇女村民代表, the count `women`) ≥ 1/3 of its members. Empty when both hold.
    """
    _check_count("members_total", members_total)
    _check_count("representatives", representatives)
    _check_count("women", women)
    if representatives > members_total:
        raise ValueError(f"representatives ({representatives}) exceed the members ({members_total})")
    if women > representatives:
        raise ValueError(f"women representatives ({women}) exceed the representatives ({representatives})")
    if members_total == 0:
        return [_("村民代表会议没有组成人员。")]
    warnings: list[str] = []
    rep_rule = Threshold(FOUR_FIFTHS, inclusive=True)
    if not rep_rule.met(representatives, members_total):
        warnings.append(
            _(
                "村民代表应当占村民代表会议组成人员的五分之四以上：组成人员 %(members)s 人，"
                "村民代表 %(representatives)s 人，至少需要 %(required)s 人。",
                members=members_total,
                representatives=representatives,
                required=rep_rule.minimum(members_total),
            )
        )
    women_rule = Threshold(ONE_THIRD, inclusive=True)
    if not women_rule.met(women, members_total):
        warnings.append(
            _(
                "妇女村民代表应当占村民代表会议组成人员的三分之一以上：组成人员 %(members)s 人，"
                "妇女村民代表 %(women)s 人，至少需要 %(required)s 人。",
                members=members_total,
                women=women,
                required=women_rule.minimum(members_total),
            )
        )
    return warnings


def representative_count_bounds(
    households: int, *, households_min: int = 5, households_max: int = 15
) -> tuple[int, int]:
    """(fewest, most) representatives for `households` at one per `households_min`–`households_max` households
    (art. 25: 5–15; a site sets its own in `[core.registry]`).

    Fewest = ceil(households / max), most = floor(households / min) but at least the fewest
    (a village under `min` households still has one). Only binding where representatives are
    chosen by households; representatives chosen per villager group are not counted this way.
    """
    _check_count("households", households)
    _check_count("households_min", households_min)
    _check_count("households_max", households_max)
    if not 1 <= households_min <= households_max:
        raise ValueError(f"need 1 <= households_min ({households_min}) <= households_max ({households_max})")
    if households == 0:
        return (0, 0)
    fewest = -(-households // households_max)
    most = max(fewest, households // households_min)
    return (fewest, most)
