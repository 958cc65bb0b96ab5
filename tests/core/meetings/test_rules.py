"""Meeting validity arithmetic: every expected number below is computed by hand, not by the code."""

from __future__ import annotations

import re
from fractions import Fraction

import pydantic
import pytest

from cunwu.i18n import current_locale
from cunwu.meetings.rules import (
    DEFAULT_RULES,
    FOUR_FIFTHS,
    ONE_FIFTH,
    ONE_HALF,
    ONE_TENTH,
    ONE_THIRD,
    TWO_THIRDS,
    KindRule,
    MeetingKind,
    QuorumMode,
    RuleOverride,
    Threshold,
    VoteRuleSet,
    check_overrides,
    convening_request_met,
    convening_request_minimum,
    quorum_status,
    representative_count_bounds,
    representative_meeting_warnings,
    rules_for,
    vote_outcome,
)
from cunwu.meetings.settings import MeetingSettings

P, H = QuorumMode.persons, QuorumMode.households

# ----------------------------------------------------------------------------------------------------
# Threshold


def test_constants_are_exact_fractions() -> None:
    constants = (ONE_HALF, ONE_THIRD, TWO_THIRDS, ONE_FIFTH, FOUR_FIFTHS, ONE_TENTH)
    assert all(type(c) is Fraction for c in constants)
    assert constants == (
        Fraction(1, 2), Fraction(1, 3), Fraction(2, 3), Fraction(1, 5), Fraction(4, 5), Fraction(1, 10)
    )


@pytest.mark.parametrize(
    ("text", "inclusive", "fraction", "described"),
    [
        ("2/3", True, Fraction(2, 3), "≥ 2/3"),
        ("1/2", False, Fraction(1, 2), "> 1/2"),
        (" 4/5 ", True, Fraction(4, 5), "≥ 4/5"),
        ("4/6", True, Fraction(2, 3), "≥ 2/3"),
        ("1", True, Fraction(1), "≥ 1"),
        ("0", False, Fraction(0), "> 0"),
    ],
)
def test_parse_and_describe(text: str, inclusive: bool, fraction: Fraction, described: str) -> None:
    threshold = Threshold.parse(text, inclusive=inclusive)
    assert threshold == Threshold(fraction, inclusive)
    assert threshold.describe() == described
    assert str(threshold) == described


@pytest.mark.parametrize(
    ("text", "inclusive", "error"),
    [
        ("0.5", True, "no decimals"),
        ("0.667", True, "no decimals"),
        ("-1/2", True, "no sign"),
        ("+1/2", True, "no sign"),
        ("3/2", True, "between 0 and 1"),
        ("2", True, "between 0 and 1"),
        ("1/0", True, "zero denominator"),
        ("", True, "like '2/3'"),
        ("二分之一", True, "like '2/3'"),
        ("1/2/3", True, "like '2/3'"),
        ("0", True, "always met"),
        ("1", False, "never be met"),
    ],
)
def test_parse_rejects(text: str, inclusive: bool, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        Threshold.parse(text, inclusive=inclusive)


@pytest.mark.parametrize("value", [0.5, 1, Fraction(1, 2), None])
def test_parse_rejects_non_strings(value: object) -> None:
    with pytest.raises(TypeError, match=f"write a threshold as a string like '2/3', not {type(value).__name__}"):
        Threshold.parse(value, inclusive=True)  # type: ignore[arg-type]


def test_constructor_rejects_floats_and_out_of_range() -> None:
    with pytest.raises(TypeError, match="float"):
        Threshold(0.5, True)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="a threshold needs a Fraction or an int, not bool"):
        Threshold(True, True)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="inclusive must be a bool, not int"):
        Threshold(Fraction(1, 2), 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="between 0 and 1"):
        Threshold(Fraction(-1, 2), True)
    with pytest.raises(ValueError, match="between 0 and 1"):
        Threshold(Fraction(3, 2), True)
    assert Threshold(1, True).fraction == Fraction(1)  # an int is accepted and made exact


@pytest.mark.parametrize(
    ("fraction", "inclusive", "total", "minimum"),
    [
        (TWO_THIRDS, True, 30, 20),  # exactly 20
        (TWO_THIRDS, True, 31, 21),  # 20.67 → 21
        (TWO_THIRDS, True, 3, 2),
        (TWO_THIRDS, True, 1, 1),
        (ONE_HALF, False, 30, 16),  # 15 is exactly half: not more
        (ONE_HALF, False, 31, 16),  # 15.5 → 16
        (ONE_HALF, False, 1, 1),
        (ONE_HALF, False, 2, 2),
        (FOUR_FIFTHS, True, 25, 20),
        (FOUR_FIFTHS, True, 26, 21),  # 20.8 → 21
        (ONE_TENTH, True, 305, 31),  # 30.5 → 31
        (ONE_FIFTH, True, 21, 5),  # 4.2 → 5
        (ONE_FIFTH, True, 20, 4),
        (ONE_THIRD, True, 30, 10),
        (ONE_THIRD, False, 30, 11),
        (Fraction(1), True, 7, 7),
        (Fraction(0), False, 7, 1),
    ],
)
def test_minimum(fraction: Fraction, inclusive: bool, total: int, minimum: int) -> None:
    threshold = Threshold(fraction, inclusive)
    assert threshold.minimum(total) == minimum
    assert threshold.met(minimum, total)
    assert not threshold.met(minimum - 1, total)


def test_minimum_agrees_with_met_everywhere() -> None:
    for fraction in (ONE_HALF, TWO_THIRDS, FOUR_FIFTHS, ONE_TENTH, ONE_FIFTH, ONE_THIRD):
        for inclusive in (True, False):
            threshold = Threshold(fraction, inclusive)
            for total in range(1, 120):
                met = [count for count in range(total + 1) if threshold.met(count, total)]
                assert met[0] == threshold.minimum(total)
                assert met == list(range(met[0], total + 1))


def test_total_zero_is_never_met() -> None:
    for threshold in (Threshold(ONE_HALF, False), Threshold(TWO_THIRDS, True), Threshold(Fraction(1), True)):
        assert not threshold.met(0, 0)
        assert threshold.minimum(0) == 1


@pytest.mark.parametrize(("count", "total"), [(-1, 10), (1, -1), (11, 10)])
def test_met_rejects_impossible_counts(count: int, total: int) -> None:
    with pytest.raises(ValueError, match=r"must not be negative|exceeds total"):
        Threshold(ONE_HALF, False).met(count, total)


def test_met_rejects_float_counts() -> None:
    with pytest.raises(TypeError, match="count must be an int, not float"):
        Threshold(ONE_HALF, False).met(15.0, 30)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------------
# Kinds and defaults


def test_kinds_and_titles() -> None:
    assert [k.value for k in MeetingKind] == [
        "villagers", "representatives", "group", "party_branch",
        "two_committees", "party_members", "supervision",
    ]
    titles = {k: (k.title_zh, k.title_en) for k in MeetingKind}
    assert titles == {
        MeetingKind.villagers: ("村民会议", "Villagers' meeting"),
        MeetingKind.representatives: ("村民代表会议", "Villager representatives' meeting"),
        MeetingKind.group: ("村民小组会议", "Villager group meeting"),
        MeetingKind.party_branch: ("党支部委员会", "Party branch committee"),
        MeetingKind.two_committees: ("两委联席会议", "Joint meeting of the two committees"),
        MeetingKind.party_members: ("党员大会", "Party members' meeting"),
        MeetingKind.supervision: ("村务监督委员会会议", "Village affairs supervision committee meeting"),
    }
    assert QuorumMode.households.title_en == "By households"


def test_title_is_lazy_and_follows_the_locale() -> None:
    title = MeetingKind.villagers.title
    assert str(title) == "村民会议"
    token = current_locale.set("en")
    try:
        assert str(title) == "Villagers' meeting"
    finally:
        current_locale.reset(token)


GE_2_3, GT_1_2 = "≥ 2/3", "> 1/2"

# kind: (quorum by persons, quorum by households or None, majority, notice days) — docs/domain.md §1.2 and §2
EXPECTED_DEFAULTS = {
    MeetingKind.villagers: (GT_1_2, GE_2_3, GT_1_2, 10),
    MeetingKind.representatives: (GE_2_3, None, GT_1_2, 0),
    MeetingKind.group: (GE_2_3, GE_2_3, GT_1_2, 0),
    MeetingKind.party_branch: (GT_1_2, None, GT_1_2, 0),
    MeetingKind.two_committees: (GT_1_2, None, GT_1_2, 0),
    MeetingKind.party_members: (GE_2_3, None, GT_1_2, 0),
    MeetingKind.supervision: (GT_1_2, None, GT_1_2, 0),
}


@pytest.mark.parametrize("kind", list(MeetingKind))
def test_defaults(kind: MeetingKind) -> None:
    rule = DEFAULT_RULES[kind]
    persons, households, majority, notice = EXPECTED_DEFAULTS[kind]
    assert rule.quorum_persons.describe() == persons
    assert (rule.quorum_households.describe() if rule.quorum_households else None) == households
    assert rule.majority.describe() == majority
    assert rule.majority_base == "attendees"
    assert rule.notice_days == notice
    assert kind.has_household_mode == (households is not None)
    assert rules_for(None)[kind] == rule


def test_default_rules_cover_every_kind() -> None:
    assert set(DEFAULT_RULES) == set(MeetingKind)


# ----------------------------------------------------------------------------------------------------
# Quorum: every kind and mode at the edges

# (total, present, met) for "≥ 2/3"
EDGES_GE_2_3 = [
    (30, 20, True),  # exactly 2/3
    (30, 19, False),  # one below
    (30, 21, True),
    (30, 15, False),  # exactly half
    (30, 16, False),  # half plus one
    (31, 21, True),  # 2/3 of 31 = 20.67
    (31, 20, False),
    (31, 16, False),
    (3, 2, True),
    (3, 1, False),
    (0, 0, False),
]
# (total, present, met) for "> 1/2"
EDGES_GT_1_2 = [
    (30, 20, True),  # exactly 2/3
    (30, 19, True),
    (30, 15, False),  # exactly half
    (30, 16, True),  # half plus one
    (30, 14, False),
    (31, 16, True),  # 1/2 of 31 = 15.5
    (31, 15, False),
    (2, 1, False),
    (2, 2, True),
    (0, 0, False),
]
MINIMUMS = {GE_2_3: {30: 20, 31: 21, 3: 2, 0: 1}, GT_1_2: {30: 16, 31: 16, 2: 2, 0: 1}}
KIND_MODES = [
    (MeetingKind.villagers, P, GT_1_2),
    (MeetingKind.villagers, H, GE_2_3),
    (MeetingKind.representatives, P, GE_2_3),
    (MeetingKind.group, P, GE_2_3),
    (MeetingKind.group, H, GE_2_3),
    (MeetingKind.party_branch, P, GT_1_2),
    (MeetingKind.two_committees, P, GT_1_2),
    (MeetingKind.party_members, P, GE_2_3),
    (MeetingKind.supervision, P, GT_1_2),
]
QUORUM_TABLE = [
    pytest.param(
        kind, mode, total, present, met, MINIMUMS[rule][total], rule, id=f"{kind}-{mode}-{present}of{total}"
    )
    for kind, mode, rule in KIND_MODES
    for total, present, met in (EDGES_GE_2_3 if rule == GE_2_3 else EDGES_GT_1_2)
]


@pytest.mark.parametrize(("kind", "mode", "total", "present", "met", "required", "described"), QUORUM_TABLE)
def test_quorum_edges(
    kind: MeetingKind, mode: QuorumMode, total: int, present: int, met: bool, required: int, described: str
) -> None:
    status = quorum_status(DEFAULT_RULES[kind], mode, present, total)
    assert status.met is met
    assert status.required == required
    assert (status.present, status.total, status.mode) == (present, total, mode)
    assert status.description == described
    assert status.missing == (0 if met else required - present)


def test_every_kind_and_mode_is_in_the_quorum_table() -> None:
    covered = {(kind, mode) for kind, mode, _ in KIND_MODES}
    expected = {(kind, mode) for kind in MeetingKind for mode in DEFAULT_RULES[kind].modes}
    assert covered == expected


@pytest.mark.parametrize(
    "kind",
    [MeetingKind.representatives, MeetingKind.party_branch, MeetingKind.two_committees,
     MeetingKind.party_members, MeetingKind.supervision],
)
def test_household_mode_only_where_the_law_has_it(kind: MeetingKind) -> None:
    with pytest.raises(ValueError, match="household"):
        quorum_status(DEFAULT_RULES[kind], QuorumMode.households, 20, 30)


def test_quorum_accepts_mode_as_string_and_rejects_bad_counts() -> None:
    assert quorum_status(DEFAULT_RULES[MeetingKind.group], "households", 20, 30).met  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="count 31 exceeds total 30"):
        quorum_status(DEFAULT_RULES[MeetingKind.group], P, 31, 30)
    with pytest.raises(ValueError, match="count must not be negative: -1"):
        quorum_status(DEFAULT_RULES[MeetingKind.group], P, -1, 30)


# ----------------------------------------------------------------------------------------------------
# Votes


# (for, against, abstain, attendees, passed) under "> 1/2 of attendees"
VOTE_EDGES = [
    (15, 15, 0, 30, False),  # exactly half
    (16, 14, 0, 30, True),  # half plus one
    (15, 0, 0, 30, False),  # the silent 15 count against the majority
    (15, 10, 5, 30, False),
    (16, 0, 0, 31, True),  # 15.5 → 16
    (15, 16, 0, 31, False),
    (20, 10, 0, 30, True),  # exactly 2/3
    (1, 0, 0, 1, True),
    (1, 1, 0, 2, False),
    (0, 0, 0, 0, False),  # nobody present never passes
]


@pytest.mark.parametrize("kind", list(MeetingKind))
@pytest.mark.parametrize(("votes_for", "against", "abstain", "attendees", "passed"), VOTE_EDGES)
def test_vote_edges_every_kind(
    kind: MeetingKind, votes_for: int, against: int, abstain: int, attendees: int, passed: bool
) -> None:
    outcome = vote_outcome(
        DEFAULT_RULES[kind],
        votes_for=votes_for, against=against, abstain=abstain, attendees=attendees, members=40,
    )
    assert outcome.passed is passed
    assert outcome.base == attendees
    assert outcome.required == {30: 16, 31: 16, 1: 1, 2: 2, 0: 1}[attendees]
    assert (outcome.votes_for, outcome.against, outcome.abstain) == (votes_for, against, abstain)
    assert outcome.description == "> 1/2"


def test_majority_of_attendees_versus_members() -> None:
    attendees_rule = DEFAULT_RULES[MeetingKind.representatives]
    settings = MeetingSettings.model_validate({"rules": {"representatives": {"majority_base": "members"}}})
    members_rule = rules_for(settings)[MeetingKind.representatives]
    votes = {"votes_for": 20, "against": 10, "abstain": 4, "attendees": 36, "members": 50}
    by_attendees = vote_outcome(attendees_rule, **votes)
    by_members = vote_outcome(members_rule, **votes)
    assert (by_attendees.base, by_attendees.required, by_attendees.passed) == (36, 19, True)
    assert (by_members.base, by_members.required, by_members.passed) == (50, 26, False)
    assert by_members.majority_base == "members"
    assert vote_outcome(members_rule, **{**votes, "votes_for": 26, "against": 4}).passed
    assert not vote_outcome(members_rule, **{**votes, "votes_for": 25, "against": 5}).passed  # exactly half


@pytest.mark.parametrize(
    ("votes", "error"),
    [
        ({"votes_for": 16, "against": 10, "abstain": 5, "attendees": 30, "members": 40}, "31 votes cast"),
        ({"votes_for": 31, "against": 0, "abstain": 0, "attendees": 30, "members": 40}, "only 30 attendees"),
        ({"votes_for": 10, "against": 0, "abstain": 0, "attendees": 41, "members": 40}, "only 40 members"),
        ({"votes_for": -1, "against": 0, "abstain": 0, "attendees": 30, "members": 40}, "votes_for"),
        ({"votes_for": 1, "against": -1, "abstain": 0, "attendees": 30, "members": 40}, "against"),
        ({"votes_for": 1, "against": 0, "abstain": 0, "attendees": -1, "members": 40}, "attendees"),
    ],
)
def test_vote_validation(votes: dict[str, int], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        vote_outcome(DEFAULT_RULES[MeetingKind.villagers], **votes)


# ----------------------------------------------------------------------------------------------------
# Site overrides

YISHI_YIYI_VARIANT = {
    "quorum": "4/5",
    "quorum_inclusive": True,
    "majority": "2/3",
    "majority_inclusive": True,
    "majority_base": "members",
}


def test_yishi_yiyi_provincial_variant() -> None:
    """≥ 4/5 of the representative meeting attends and ≥ 2/3 of ALL its members approve."""
    settings = MeetingSettings.model_validate({"rules": {"representatives": YISHI_YIYI_VARIANT}})
    rule = rules_for(settings)[MeetingKind.representatives]
    # quorum over 25 members: 4/5 × 25 = 20 exactly
    assert quorum_status(rule, P, 20, 25).met
    assert not quorum_status(rule, P, 19, 25).met
    assert quorum_status(rule, P, 19, 25).required == 20
    # default (≥ 2/3 → 17) would have been met by 19
    assert quorum_status(DEFAULT_RULES[MeetingKind.representatives], P, 19, 25).met
    # over 26 members: 20.8 → 21
    assert quorum_status(rule, P, 21, 26).required == 21
    assert not quorum_status(rule, P, 20, 26).met
    # approval: 2/3 × 25 = 16.67 → 17 of all 25, however many attend
    passed = vote_outcome(rule, votes_for=17, against=3, abstain=0, attendees=20, members=25)
    assert (passed.base, passed.required, passed.passed) == (25, 17, True)
    failed = vote_outcome(rule, votes_for=16, against=0, abstain=0, attendees=20, members=25)
    assert (failed.required, failed.passed) == (17, False)
    # 16 of 20 attendees would pass under the law's "> 1/2 of attendees"
    assert vote_outcome(DEFAULT_RULES[MeetingKind.representatives], votes_for=16, against=0, abstain=0,
                        attendees=20, members=25).passed
    # over 30 members: exactly 20 is 2/3 → passes; 19 fails
    assert vote_outcome(rule, votes_for=20, against=4, abstain=0, attendees=24, members=30).passed
    assert not vote_outcome(rule, votes_for=19, against=5, abstain=0, attendees=24, members=30).passed
    assert rule.quorum_persons.describe() == "≥ 4/5" and rule.majority.describe() == "≥ 2/3"
    # the other kinds keep the law
    assert rules_for(settings)[MeetingKind.villagers] == DEFAULT_RULES[MeetingKind.villagers]


def test_a_rule_set_layer_goes_on_top_of_the_sites_rules() -> None:
    settings = MeetingSettings.model_validate({"rules": {"representatives": {"notice_days": 3}}})
    layer = {MeetingKind.representatives: RuleOverride.model_validate(YISHI_YIYI_VARIANT)}
    ordinary = rules_for(settings)[MeetingKind.representatives]
    special = rules_for(settings, layer)[MeetingKind.representatives]
    assert ordinary.quorum_persons.describe() == "≥ 2/3"
    assert (ordinary.majority_base, ordinary.notice_days) == ("attendees", 3)
    assert special.quorum_persons.describe() == "≥ 4/5"
    assert (special.majority_base, special.notice_days) == ("members", 3)


def test_layers_valid_alone_but_not_together_are_refused() -> None:
    settings = MeetingSettings.model_validate({"rules": {"villagers": {"majority": "1", "majority_inclusive": True}}})
    with pytest.raises(ValueError, match="majority: "):
        rules_for(settings, {MeetingKind.villagers: RuleOverride(majority_inclusive=False)})


def test_a_rule_set_checks_its_name_and_its_overrides() -> None:
    with pytest.raises(ValueError, match="lower-case"):
        VoteRuleSet("Yishi Yiyi", "一事一议", "一事一议")
    with pytest.raises(ValueError, match=r"supervision\.quorum_households"):
        check_overrides({MeetingKind.supervision: RuleOverride(quorum_households_inclusive=True)})


def test_overrides_from_a_site_toml_dict() -> None:
    """As `tomllib` gives `[core.meetings]` with `[core.meetings.rules.villagers]` and `.group` tables."""
    import tomllib

    values = tomllib.loads(
        """
merge_steps_1_2 = true
procedure_max_days = 30
supervision_sign_off = true

[rules.villagers]
notice_days = 7
quorum_households = "3/4"
quorum_households_inclusive = true

[rules.group]
quorum_inclusive = false          # "超过2/3"

[rules.party_members]
majority_base = "members"
"""
    )
    settings = MeetingSettings.model_validate(values)
    assert settings.merge_steps_1_2 is True
    assert settings.procedure_max_days == 30
    rules = rules_for(settings)
    villagers = rules[MeetingKind.villagers]
    assert villagers.notice_days == 7
    assert villagers.quorum_households == Threshold(Fraction(3, 4), True)
    assert villagers.quorum_persons == DEFAULT_RULES[MeetingKind.villagers].quorum_persons  # untouched
    # 3/4 of 40 households = 30 exactly
    assert quorum_status(villagers, H, 30, 40).met and not quorum_status(villagers, H, 29, 40).met
    group = rules[MeetingKind.group]
    assert group.quorum_persons.describe() == "> 2/3"
    assert not quorum_status(group, P, 20, 30).met  # exactly 2/3 is no longer enough
    assert quorum_status(group, P, 21, 30).met
    assert group.quorum_households == DEFAULT_RULES[MeetingKind.group].quorum_households
    assert rules[MeetingKind.party_members].majority_base == "members"
    assert settings.supervision_sign_off is True


def test_settings_defaults() -> None:
    settings = MeetingSettings()
    assert (settings.merge_steps_1_2, settings.procedure_max_days) == (False, 20)
    assert settings.supervision_sign_off is False
    assert rules_for(settings) == DEFAULT_RULES
    assert rules_for(settings) is not DEFAULT_RULES


def _error(values: dict[str, object], message: str) -> tuple[list[tuple[object, ...]], str]:
    with pytest.raises(pydantic.ValidationError, match=re.escape(message)) as info:
        MeetingSettings.model_validate(values)
    errors = info.value.errors()
    return [tuple(e["loc"]) for e in errors], str(info.value)


@pytest.mark.parametrize(
    ("values", "loc", "message"),
    [
        ({"rules": {"villagers": {"quorum": "0.8", "quorum_inclusive": True}}},
         ("rules", "villagers", "quorum"), "no decimals"),
        ({"rules": {"villagers": {"quorum": 0.8, "quorum_inclusive": True}}},
         ("rules", "villagers", "quorum"), "valid string"),
        ({"rules": {"villagers": {"majority": "3/2", "majority_inclusive": True}}},
         ("rules", "villagers", "majority"), "between 0 and 1"),
        ({"rules": {"villagers": {"quorum_households": "-2/3", "quorum_households_inclusive": True}}},
         ("rules", "villagers", "quorum_households"), "no sign"),
        ({"rules": {"villagers": {"majority_base": "everyone"}}}, ("rules", "villagers", "majority_base"),
         "attendees"),
        ({"rules": {"villagers": {"notice_days": -1}}}, ("rules", "villagers", "notice_days"),
         "greater than"),
        ({"rules": {"villagers": {"notice_days": 10.5}}}, ("rules", "villagers", "notice_days"), "integer"),
        ({"rules": {"villagers": {"quorum_inclusive": "yes"}}}, ("rules", "villagers", "quorum_inclusive"),
         "boolean"),
        ({"rules": {"villagers": {"quorom": "2/3"}}}, ("rules", "villagers", "quorom"), "Extra inputs"),
        ({"rules": {"council": {}}}, ("rules", "council", "[key]"), "villagers"),
        ({"rulez": {}}, ("rulez",), "Extra inputs"),
        ({"procedure_max_days": 0}, ("procedure_max_days",), "greater than"),
        # a fraction without its flag is ambiguous (以上 or 超过)
        ({"rules": {"villagers": {"quorum": "4/5"}}}, ("rules", "villagers"), "quorum_inclusive"),
        ({"rules": {"group": {"majority": "2/3"}}}, ("rules", "group"), "majority_inclusive"),
        ({"rules": {"villagers": {"quorum": "1", "quorum_inclusive": False}}}, ("rules", "villagers"),
         "never be met"),
        ({"rules": {"villagers": {"quorum": "0", "quorum_inclusive": True}}}, ("rules", "villagers"),
         "always met"),
        # only villagers' and group meetings count households
        ({"rules": {"representatives": {"quorum_households": "2/3", "quorum_households_inclusive": True}}},
         ("rules",), "representatives.quorum_households"),
        ({"rules": {"party_members": {"quorum_households_inclusive": True}}}, ("rules",),
         "party_members.quorum_households"),
        # moved to the 一事一议 plugin's settings
        ({"yishi_yiyi_rules": {"supervision": {"quorum_households_inclusive": True}}}, (),
         "[plugins.yishi.meeting_rules.<kind>]"),
        # the households per representative belong to the register ([core.registry])
        ({"representative_households_min": 16}, ("representative_households_min",), "Extra inputs"),
    ],
)
def test_invalid_overrides_name_the_field(
    values: dict[str, object], loc: tuple[object, ...], message: str
) -> None:
    locs, text = _error(values, message)
    assert loc in locs
    assert message in text


def test_inclusive_flag_alone_keeps_the_default_fraction() -> None:
    settings = MeetingSettings.model_validate({"rules": {"villagers": {"majority_inclusive": True}}})
    rule = rules_for(settings)[MeetingKind.villagers]
    assert rule.majority == Threshold(ONE_HALF, True)
    # "≥ 1/2": exactly half now passes
    assert vote_outcome(rule, votes_for=15, against=15, abstain=0, attendees=30, members=30).passed


def test_kind_rule_validation() -> None:
    with pytest.raises(ValueError, match="majority_base"):
        KindRule(Threshold(ONE_HALF, False), None, Threshold(ONE_HALF, False), "everyone", 0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="notice_days"):
        KindRule(Threshold(ONE_HALF, False), None, Threshold(ONE_HALF, False), "attendees", -1)


# ----------------------------------------------------------------------------------------------------
# Convening requests and composition


@pytest.mark.parametrize(
    ("kind", "by", "requesters", "base", "met", "needed"),
    [
        (MeetingKind.villagers, "villagers", 31, 305, True, 31),  # 1/10 of 305 = 30.5 → 31
        (MeetingKind.villagers, "villagers", 30, 305, False, 31),
        (MeetingKind.villagers, "villagers", 30, 300, True, 30),  # exactly 1/10
        (MeetingKind.villagers, "villagers", 29, 300, False, 30),
        (MeetingKind.villagers, "representatives", 10, 30, True, 10),  # exactly 1/3
        (MeetingKind.villagers, "representatives", 9, 30, False, 10),
        (MeetingKind.villagers, "representatives", 11, 31, True, 11),  # 10.33 → 11
        (MeetingKind.villagers, "representatives", 10, 31, False, 11),
        (MeetingKind.representatives, "representatives", 5, 21, True, 5),  # 4.2 → 5
        (MeetingKind.representatives, "representatives", 4, 21, False, 5),
        (MeetingKind.representatives, "representatives", 4, 20, True, 4),  # exactly 1/5
        (MeetingKind.representatives, "representatives", 3, 20, False, 4),
        (MeetingKind.representatives, "representatives", 0, 0, False, 1),
    ],
)
def test_convening_requests(
    kind: MeetingKind, by: str, requesters: int, base: int, met: bool, needed: int
) -> None:
    assert convening_request_met(kind, by=by, requesters=requesters, base=base) is met  # type: ignore[arg-type]
    assert convening_request_minimum(kind, by=by, base=base) == needed  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "by"),
    [
        (MeetingKind.representatives, "villagers"),
        (MeetingKind.group, "villagers"),
        (MeetingKind.party_members, "representatives"),
        (MeetingKind.villagers, "households"),
    ],
)
def test_convening_without_a_legal_route(kind: MeetingKind, by: str) -> None:
    with pytest.raises(ValueError, match="no right"):
        convening_request_met(kind, by=by, requesters=10, base=20)  # type: ignore[arg-type]


def test_convening_rejects_more_requesters_than_base() -> None:
    with pytest.raises(ValueError, match="count 306 exceeds total 305"):
        convening_request_met(MeetingKind.villagers, by="villagers", requesters=306, base=305)


@pytest.mark.parametrize(
    ("members", "representatives", "women", "expected"),
    [
        (30, 24, 10, []),  # exactly 4/5 and exactly 1/3
        (30, 23, 10, ["representatives"]),  # 23 < 24
        (30, 24, 9, ["women"]),  # 9 < 10
        (30, 20, 5, ["representatives", "women"]),
        (31, 25, 11, []),  # 4/5 × 31 = 24.8 → 25; 1/3 × 31 = 10.33 → 11
        (31, 24, 11, ["representatives"]),
        (31, 25, 10, ["women"]),
        (5, 4, 2, []),  # 4 = 4/5 × 5; 2 ≥ 1.67
        (5, 4, 1, ["women"]),
    ],
)
def test_representative_meeting_warnings(
    members: int, representatives: int, women: int, expected: list[str]
) -> None:
    warnings = representative_meeting_warnings(members, representatives, women)
    assert len(warnings) == len(expected)
    for warning, which in zip(warnings, expected, strict=True):
        assert ("五分之四" if which == "representatives" else "三分之一") in warning
        assert f"组成人员 {members} 人" in warning


def test_warning_text_and_translation() -> None:
    zh = representative_meeting_warnings(30, 23, 9)
    assert zh == [
        "村民代表应当占村民代表会议组成人员的五分之四以上："
        "组成人员 30 人，村民代表 23 人，至少需要 24 人。",
        "妇女村民代表应当占村民代表会议组成人员的三分之一以上："
        "组成人员 30 人，妇女村民代表 9 人，至少需要 10 人。",
    ]
    token = current_locale.set("en")
    try:
        en = representative_meeting_warnings(30, 23, 9)
    finally:
        current_locale.reset(token)
    assert en == [
        "Villager representatives must make up at least 4/5 of the representatives' meeting: "
        "30 members, 23 representatives, at least 24 needed.",
        "Women representatives must make up at least 1/3 of the representatives' meeting: "
        "30 members, 9 women representatives, at least 10 needed.",
    ]


def test_warnings_for_an_empty_meeting_and_bad_counts() -> None:
    assert representative_meeting_warnings(0, 0, 0) == ["村民代表会议没有组成人员。"]
    with pytest.raises(ValueError, match=r"representatives \(31\) exceed the members \(30\)"):
        representative_meeting_warnings(30, 31, 5)
    with pytest.raises(ValueError, match=r"women representatives \(11\) exceed the representatives \(10\)"):
        representative_meeting_warnings(30, 10, 11)
    with pytest.raises(ValueError, match="representatives must not be negative: -1"):
        representative_meeting_warnings(30, -1, 0)


@pytest.mark.parametrize(
    ("households", "bounds"),
    [
        (300, (20, 60)),  # 300/15, 300/5
        (301, (21, 60)),  # 20.07 → 21; 60.2 → 60
        (3, (1, 1)),  # fewer than 5 households still get one
        (0, (0, 0)),
    ],
)
def test_representative_count_bounds(households: int, bounds: tuple[int, int]) -> None:
    assert representative_count_bounds(households) == bounds


def test_representative_count_bounds_with_the_register_settings() -> None:
    assert representative_count_bounds(200, households_min=10, households_max=20) == (10, 20)  # 200/20, 200/10
    with pytest.raises(ValueError, match="households_min"):
        representative_count_bounds(200, households_min=16, households_max=15)



# ----------------------------------------------------------------------------------------------------
# Edge settings: the smallest and largest values each setting allows


@pytest.mark.parametrize(("days", "accepted"), [(-1, False), (0, True), (1, True), (365, True)])
def test_notice_days_from_zero(days: int, accepted: bool) -> None:
    values = {"rules": {"villagers": {"notice_days": days}}}
    if accepted:
        assert rules_for(MeetingSettings.model_validate(values))[MeetingKind.villagers].notice_days == days
    else:
        locs, _text = _error(values, "greater than or equal to 0")
        assert locs == [("rules", "villagers", "notice_days")]


@pytest.mark.parametrize(("days", "accepted"), [(0, False), (1, True), (2, True)])
def test_procedure_max_days_from_one(days: int, accepted: bool) -> None:
    if accepted:
        assert MeetingSettings.model_validate({"procedure_max_days": days}).procedure_max_days == days
    else:
        locs, _text = _error({"procedure_max_days": days}, "greater than or equal to 1")
        assert locs == [("procedure_max_days",)]


@pytest.mark.parametrize(
    ("households", "households_min", "households_max", "bounds"),
    [
        (1, 5, 15, (1, 1)),  # one household: one representative
        (15, 5, 15, (1, 3)),
        (16, 5, 15, (2, 3)),  # just over one representative's maximum
        (10, 1, 15, (1, 10)),  # households_min = 1: one representative per household at most
        (10, 5, 5, (2, 2)),  # min = max: exactly one per 5 households
        (10, 1, 1, (10, 10)),
    ],
)
def test_representative_count_bounds_edges(households: int, households_min: int, households_max: int,
                                           bounds: tuple[int, int]) -> None:
    assert representative_count_bounds(households, households_min=households_min,
                                       households_max=households_max) == bounds


@pytest.mark.parametrize(("households_min", "households_max"), [(0, 15), (0, 0), (6, 5), (-1, 5)])
def test_representative_count_bounds_refuse_impossible_settings(households_min: int, households_max: int) -> None:
    with pytest.raises(ValueError, match="households_min"):
        representative_count_bounds(10, households_min=households_min, households_max=households_max)
