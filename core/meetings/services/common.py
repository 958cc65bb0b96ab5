"""What every stage of a meeting shares: titles, `MeetingError`, the site's meeting settings and plugins' rule
sets, the meeting's day, reading a meeting and its motions (with the result that stands), the row lock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from babel.support import LazyProxy
from sqlmodel import Session, SQLModel, col, select

from cunwu.clock import local_date
from cunwu.errors import DomainError, NotFound, Problem
from cunwu.i18n import _, lazy_gettext
from cunwu.meetings.models import (
    MatterStep,
    Meeting,
    Motion,
    ResultCorrection,
)
from cunwu.meetings.rules import (
    KindRule,
    MeetingKind,
    RuleOverride,
    VoteRuleSet,
    apply_override,
    representative_meeting_warnings,
    rules_for,
)
from cunwu.meetings.settings import MeetingSettings

if TYPE_CHECKING:
    from cunwu.runtime import Site


STATUS_TITLES: dict[str, LazyProxy] = {
    "scheduled": lazy_gettext("已通知"),
    "in_session": lazy_gettext("进行中"),
    "closed": lazy_gettext("已结束"),
}


CHOICES: dict[str, LazyProxy] = {
    "for": lazy_gettext("赞成"),
    "against": lazy_gettext("反对"),
    "abstain": lazy_gettext("弃权"),
}


VOTE_METHODS: dict[str, LazyProxy] = {
    "named": lazy_gettext("记名表决"),
    "hands": lazy_gettext("举手表决"),
    "ballot": lazy_gettext("无记名投票"),
}


CONVENERS: dict[str, LazyProxy] = {
    "committee": lazy_gettext("村民委员会（或本机构）召集"),
    "villagers": lazy_gettext("十分之一以上村民提议召集"),
    "representatives": lazy_gettext("村民代表提议召集"),
}


ROLE_TITLES: dict[str, LazyProxy] = {
    "villager": lazy_gettext("村民"),
    "representative": lazy_gettext("村民代表"),
    "villagers_committee": lazy_gettext("村委会成员"),
    "party_branch": lazy_gettext("支委会成员"),
    "supervision_committee": lazy_gettext("监委会成员"),
    "party_member": lazy_gettext("党员"),
}


#: Kinds whose members all hold a public post (officials or representatives): their names may be shown publicly.
PUBLIC_NAME_KINDS = frozenset({MeetingKind.representatives, MeetingKind.party_branch, MeetingKind.two_committees,
                               MeetingKind.supervision})


#: Kinds announced on the notice board when scheduled, and whose resolutions and minutes are public.
PUBLIC_KINDS = frozenset({MeetingKind.villagers, MeetingKind.representatives, MeetingKind.group})


T = TypeVar("T", bound=SQLModel)


class MeetingError(DomainError):
    """A meeting rule refused the change; nothing was written."""


def refuse_field(message: str, field: str) -> MeetingError:
    """A refusal of one form field (named as the form names it), shown beside that field."""
    return MeetingError(message, [Problem(message, field=field)])


def settings_of(site: Site) -> MeetingSettings:
    """The site's `[core.meetings]` settings (defaults when the section is absent)."""
    try:
        value = site.settings("meetings")
    except KeyError:
        return MeetingSettings()
    return value if isinstance(value, MeetingSettings) else MeetingSettings()


def rule_sets(site: Site) -> dict[str, VoteRuleSet]:
    """The named vote rule sets the site's plugins bring (hook `vote_rule_sets`), by name.

    MeetingError when two plugins use one name (`check_rule_sets` runs this at start-up)."""
    found: dict[str, VoteRuleSet] = {}
    for rule_set in site.call("vote_rule_sets", site=site):
        if not isinstance(rule_set, VoteRuleSet):
            raise MeetingError(f"vote_rule_sets must return VoteRuleSet objects, got {rule_set!r}")
        if rule_set.name in found:
            raise MeetingError(f"vote rule set {rule_set.name!r} is brought by two plugins")
        found[rule_set.name] = rule_set
    return found


def check_rule_sets(site: Site) -> None:
    """Every rule set must make valid rules with the site's overrides (start-up check, message names the set)."""
    from cunwu.sites import SiteConfigError

    for name, rule_set in rule_sets(site).items():
        try:
            rules_for(settings_of(site), rule_set.overrides)
        except ValueError as exc:
            raise SiteConfigError(
                f"{site.config.file}: vote rule set {name!r} with [core.meetings] rules: {exc}") from exc


def rule_set_title(site: Site, name: str) -> str:
    """The title of a meeting's rule set, for its page ("" for the standard rules, the name when switched off)."""
    if name == "standard":
        return ""
    found = rule_sets(site).get(name)
    return found.title if found is not None else name


def meeting_date(meeting: Meeting) -> dt.date:
    return local_date(meeting.starts_at)


def get_meeting(session: Session, village_code: str, meeting_id: int) -> Meeting:
    """A meeting of this village, or NotFound (a meeting of another village is not found either)."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.village_code != village_code:
        raise NotFound(_("没有这个会议"))
    return meeting


def get_motion(session: Session, meeting: Meeting, motion_id: int) -> Motion:
    motion = session.get(Motion, motion_id)
    if motion is None or motion.meeting_id != meeting.id:
        raise NotFound(_("没有这个议案"))
    return motion


def _locked(session: Session, model: type[T], id_: int | None) -> T:
    """Re-read a row FOR UPDATE (PostgreSQL row lock; SQLite's write transaction is exclusive already)."""
    row = session.exec(
        select(model).where(model.id == id_).with_for_update().execution_options(populate_existing=True)  # type: ignore[attr-defined]
    ).one()
    return row


def _rule_set_overrides(site: Site, name: str) -> Mapping[MeetingKind, RuleOverride] | None:
    """The overrides of a meeting's rule set; None for the standard rules or a set whose plugin is switched off
    (the meeting then counts by the site's rules, and its page names the set it was scheduled under)."""
    found = rule_sets(site).get(name) if name != "standard" else None
    return found.overrides if found is not None else None


def effective_rule(site: Site, meeting: Meeting) -> KindRule:
    """The kind's rule with the site's overrides, the meeting's rule set (a plugin's, e.g. 一事一议) on top, and
    the meeting's own override."""
    kind = MeetingKind(meeting.kind)
    rule = rules_for(settings_of(site), _rule_set_overrides(site, meeting.rule_set))[kind]
    if meeting.rule_override:
        rule = apply_override(kind, rule, RuleOverride.model_validate(meeting.rule_override))
    return rule


def kind_title(kind: str) -> str:
    return str(MeetingKind(kind).title)


def _require_status(meeting: Meeting, *statuses: str) -> None:
    if meeting.status not in statuses:
        messages = {
            "scheduled": _("会议尚未开始"),
            "in_session": _("会议正在进行中"),
            "closed": _("会议已经结束，结果不能再更改（如有差错请登记更正）"),
        }
        raise MeetingError(messages[meeting.status])


def _meeting_url(meeting: Meeting) -> str:
    return f"/v/{meeting.village_code}/meetings/{meeting.id}"


def warning_texts(meeting_or_step: Meeting | MatterStep) -> list[str]:
    """The recorded warnings, translated now."""
    texts = []
    for warning in meeting_or_step.warnings or []:
        code = warning.get("code")
        if code == "short_notice":
            texts.append(_("通知期不足：提前 %(given)s 天通知，应至少提前 %(required)s 天",
                           given=warning["given"], required=warning["required"]))
        elif code == "composition":
            texts += representative_meeting_warnings(warning["members"], warning["representatives"],
                                                     warning["women"])
        elif code == "no_members":
            texts.append(_("按村民登记，本会议在会议日期没有应到人员"))
        elif code == "too_long":
            texts.append(_("议事全过程已用 %(days)s 天，超过规定的 %(limit)s 天",
                           days=warning["days"], limit=warning["limit"]))
    return texts


@dataclass(frozen=True)
class MotionResult:
    """The result that stands: the recorded vote, or its latest correction."""

    votes_for: int
    against: int
    abstain: int
    required: int
    passed: bool
    corrections: list[ResultCorrection]

    @property
    def corrected(self) -> bool:
        return bool(self.corrections)


def corrections_of(session: Session, motion: Motion) -> list[ResultCorrection]:
    return list(session.exec(select(ResultCorrection).where(ResultCorrection.motion_id == motion.id)
                             .order_by(col(ResultCorrection.id))).all())


def motion_result(session: Session, motion: Motion) -> MotionResult | None:
    """None while the motion has not been voted (or lapsed)."""
    if motion.status != "voted":
        return None
    corrections = corrections_of(session, motion)
    if corrections:
        last = corrections[-1]
        return MotionResult(last.votes_for, last.against, last.abstain, last.required, last.passed, corrections)
    return MotionResult(motion.votes_for or 0, motion.against or 0, motion.abstain or 0, motion.required or 0,
                        bool(motion.passed), [])


def motions_of(session: Session, meeting: Meeting) -> list[Motion]:
    return list(session.exec(select(Motion).where(Motion.meeting_id == meeting.id).order_by(col(Motion.number))).all())
