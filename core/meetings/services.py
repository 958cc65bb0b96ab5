"""Meetings: schedule, open (member snapshot), sign-in, quorum, motions, votes, corrections, close, publish.

Every function takes `(session, site, actor, ...)`, checks, writes through `cunwu.audit.service` and never commits:
the caller owns the transaction. Refusals are `MeetingError` (a `DomainError`) with a translated message that
carries the numbers. The arithmetic is `cunwu.meetings.rules` (exact fractions); this module only counts.

Rows that change state (a meeting, a motion, an attendance) are re-read `FOR UPDATE` first, so on PostgreSQL two
clerks acting at once queue on the row; SQLite write transactions are exclusive already.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from babel.support import LazyProxy
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, func, select

from cunwu.accounts.actor import Actor
from cunwu.audit import service as audit
from cunwu.clock import local_date, local_today
from cunwu.db.types import LOCAL_TZ, utcnow
from cunwu.errors import DomainError, NotFound
from cunwu.i18n import _, lazy_gettext
from cunwu.meetings.models import (
    AgendaItem,
    Attendance,
    Delegation,
    Meeting,
    MeetingMember,
    Motion,
    ResultCorrection,
    Vote,
)
from cunwu.meetings.rules import (
    KindRule,
    MeetingKind,
    MeetingSettings,
    QuorumMode,
    QuorumStatus,
    RuleOverride,
    VoteOutcome,
    VoteRuleSet,
    apply_override,
    convening_request_met,
    convening_request_minimum,
    convening_threshold,
    quorum_status,
    representative_meeting_warnings,
    rules_for,
    vote_outcome,
)

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


# --- reading -----------------------------------------------------------------------------------------------


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


def motion_rule_set(site: Site, meeting: Meeting, matter_type: str | None) -> VoteRuleSet | None:
    """The rule set a motion is counted by when its matter's type names one other than the meeting's (None: the
    meeting's own rule). One source for each voting rule: the meeting records the same result the matter's
    plugin acts on."""
    from cunwu.meetings.matters import matter_types

    found = matter_types(site).get(matter_type) if matter_type else None
    if found is None or found.rule_set is None or found.rule_set == meeting.rule_set:
        return None
    return rule_sets(site).get(found.rule_set)


def motion_rule(site: Site, meeting: Meeting, matter_type: str | None) -> tuple[KindRule, VoteRuleSet | None]:
    """The rule a motion's vote is counted by, and the matter's rule set when that is what sets it."""
    rule_set = motion_rule_set(site, meeting, matter_type)
    if rule_set is None:
        return effective_rule(site, meeting), None
    return rules_for(settings_of(site), rule_set.overrides)[MeetingKind(meeting.kind)], rule_set


def _counted(rule: KindRule, rule_set: VoteRuleSet | None, meeting: Meeting, outcome: VoteOutcome, present: int,
             total: int) -> bool:
    """Passed under `rule`; under a matter's rule set its own quorum must be met too (the meeting's quorum only
    let the motion be put)."""
    if rule_set is None:
        return outcome.passed
    return outcome.passed and quorum_status(rule, QuorumMode(meeting.quorum_mode), present, total).met


def kind_title(kind: str) -> str:
    return str(MeetingKind(kind).title)


# --- members derived from the register ---------------------------------------------------------------------


@dataclass(frozen=True)
class DerivedMember:
    """A person entitled to attend, as derived from the register on the meeting date."""

    person_id: int
    name: str
    sex: str
    household_id: int | None
    household_number: str
    roles: tuple[str, ...]


def _voting_age(site: Site) -> int:
    try:
        return int(site.settings("registry").voting_age)
    except (KeyError, AttributeError):
        return 18


def derive_members(
    session: Session, site: Site, village_code: str, kind: MeetingKind, on: dt.date, group_id: int | None = None
) -> tuple[list[DerivedMember], int]:
    """(members, households represented among them) of a meeting of `kind` on `on`, from the register.

    Villagers' meeting: villagers of voting age; representative meeting: the representatives and the villagers'
    committee (art. 25); group meeting: the group's villagers of voting age; party branch / supervision committee:
    their office holders; two-committee meeting: party branch + villagers' committee; party members' meeting: the
    party members. The household total counts households with at least one member of voting age (the household
    quorum of art. 22 and 28 counts households represented at the meeting).
    """
    from cunwu.registry import queries

    households = queries.households(session, village_code, on, group_id=group_id)
    household_of: dict[int, tuple[int | None, str]] = {}
    for entry in households:
        for member in entry.members:
            household_of[member.person.id or 0] = (entry.household.id, entry.household.number)

    people: dict[int, Any] = {}
    roles: dict[int, list[str]] = {}

    def add(person: Any, role: str) -> None:
        people.setdefault(person.id, person)
        roles.setdefault(person.id, [])
        if role not in roles[person.id]:
            roles[person.id].append(role)

    def add_office(body: str) -> None:
        for holder in queries.office_holders(session, village_code, body, on):
            add(holder.person, body)

    if kind in (MeetingKind.villagers, MeetingKind.group):
        for person in queries.adults(session, village_code, on, group_id=group_id, age=_voting_age(site)):
            add(person, "villager")
    elif kind is MeetingKind.representatives:
        for term in queries.representatives(session, village_code, on):
            add(term.person, "representative")
        add_office("villagers_committee")
    elif kind is MeetingKind.party_branch:
        add_office("party_branch")
    elif kind is MeetingKind.two_committees:
        add_office("party_branch")
        add_office("villagers_committee")
    elif kind is MeetingKind.party_members:
        for person in queries.party_members(session, village_code, on):
            add(person, "party_member")
    elif kind is MeetingKind.supervision:
        add_office("supervision_committee")

    members = []
    for person_id, person in people.items():
        household_id, number = household_of.get(person_id, (None, ""))
        members.append(DerivedMember(person_id, person.name, person.sex, household_id, number,
                                     tuple(roles[person_id])))
    members.sort(key=lambda m: (m.household_number or "~", m.name, m.person_id))
    household_count = len({m.household_id for m in members if m.household_id is not None})
    return members, household_count


def snapshot_digest(rows: Iterable[MeetingMember | DerivedMember]) -> str:
    """SHA-256 over the member list (person, name, household, roles): recorded in the audit entry of the opening."""
    payload = [
        [r.person_id, r.name, r.household_id, r.household_number,
         ",".join(r.roles) if isinstance(r.roles, tuple) else r.roles]
        for r in sorted(rows, key=lambda r: r.person_id)
    ]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def meeting_members(session: Session, meeting: Meeting) -> list[MeetingMember]:
    return list(session.exec(
        select(MeetingMember).where(MeetingMember.meeting_id == meeting.id).order_by(col(MeetingMember.position))
    ).all())


def attendance_of(session: Session, meeting: Meeting) -> dict[int, Attendance]:
    """Attendance rows by member id."""
    rows = session.exec(select(Attendance).where(Attendance.meeting_id == meeting.id)).all()
    return {row.member_id: row for row in rows}


def present_members(session: Session, meeting: Meeting) -> list[MeetingMember]:
    """Members signed in and not signed out, in list order."""
    rows = session.exec(
        select(MeetingMember)
        .join(Attendance, col(Attendance.member_id) == MeetingMember.id)
        .where(Attendance.meeting_id == meeting.id, col(Attendance.signed_out_at).is_(None))
        .order_by(col(MeetingMember.position))
    ).all()
    return list(rows)


# --- quorum ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingQuorum:
    """A meeting's quorum now: `status` in the meeting's mode, plus both counts for the record."""

    status: QuorumStatus
    rule: KindRule
    persons_present: int
    persons_total: int
    households_present: int
    households_total: int
    source: str  # names | counts

    @property
    def met(self) -> bool:
        return self.status.met

    @property
    def present(self) -> int:
        return self.status.present

    @property
    def required(self) -> int:
        return self.status.required

    @property
    def total(self) -> int:
        return self.status.total

    @property
    def missing(self) -> int:
        return self.status.missing


def meeting_quorum(session: Session, site: Site, meeting: Meeting) -> MeetingQuorum:
    """Present / required / total in the meeting's quorum mode, with exact fractions.

    Before the meeting opens the totals come from the register on the meeting date (nobody is present yet);
    afterwards from the snapshot. A paper sign-in sheet's counts replace the named sign-ins when entered.
    """
    rule = effective_rule(site, meeting)
    mode = QuorumMode(meeting.quorum_mode)
    if meeting.status == "scheduled":
        members, households = derive_members(session, site, meeting.village_code, MeetingKind(meeting.kind),
                                             meeting_date(meeting), meeting.group_id)
        persons_total, households_total, persons, homes = len(members), households, 0, 0
    else:
        persons_total, households_total = meeting.members_total or 0, meeting.households_total or 0
        if meeting.attendance_source == "counts":
            persons = meeting.counted_persons or 0
            homes = meeting.counted_households or 0
        else:
            present = present_members(session, meeting)
            persons = len(present)
            homes = len({m.household_id for m in present if m.household_id is not None})
    if mode is QuorumMode.households:
        status = quorum_status(rule, mode, homes, households_total)
    else:
        status = quorum_status(rule, mode, persons, persons_total)
    return MeetingQuorum(status, rule, persons, persons_total, homes, households_total, meeting.attendance_source)


def quorum_message(quorum: MeetingQuorum) -> str:
    """"到会 12 人，应到 20 人，法定人数至少 14 人（≥ 2/3）", in the meeting's mode."""
    if quorum.status.mode is QuorumMode.households:
        return _("到会 %(present)s 户，应到 %(total)s 户，至少需要 %(required)s 户（%(rule)s）",
                 present=quorum.present, total=quorum.total, required=quorum.required, rule=quorum.status.description)
    return _("到会 %(present)s 人，应到 %(total)s 人，至少需要 %(required)s 人（%(rule)s）",
             present=quorum.present, total=quorum.total, required=quorum.required, rule=quorum.status.description)


# --- scheduling and opening --------------------------------------------------------------------------------


def _require_status(meeting: Meeting, *statuses: str) -> None:
    if meeting.status not in statuses:
        messages = {
            "scheduled": _("会议尚未开始"),
            "in_session": _("会议正在进行中"),
            "closed": _("会议已经结束，结果不能再更改（如有差错请登记更正）"),
        }
        raise MeetingError(messages[meeting.status])


def _notice_category(site: Site, stream: str, preferred: str) -> str:
    """A category the site's board knows: the preferred one if configured, else the stream's first."""
    try:
        categories = list(site.settings("notices").categories[stream])
    except (KeyError, AttributeError):
        return preferred
    return preferred if preferred in categories else categories[0]


def publish(
    session: Session, site: Site, actor: Actor, *, village_code: str, category: str, title: str, body: str,
    origin_kind: str, origin_ref: str, origin_url: str, stream: str = "village", table: Any = None,
) -> Any:
    """Post on the village's notice board through the board's own API (`cunwu.notices.services.publish_notice`)."""
    from cunwu.notices.services import NoticeOrigin, publish_notice

    return publish_notice(
        session, site, actor, village_code=village_code, stream=stream,
        category=_notice_category(site, stream, category), title=title, body=body,
        origin=NoticeOrigin(origin_kind, origin_ref, origin_url), table=table,
    )


def _meeting_url(meeting: Meeting) -> str:
    return f"/v/{meeting.village_code}/meetings/{meeting.id}"


def _check_convening(
    session: Session, site: Site, village_code: str, kind: MeetingKind, on: dt.date, convened_by: str,
    requesters: Sequence[str],
) -> int | None:
    """Check a request to convene (art. 21, 26): enough requesters of the right base. Returns the base."""
    if convened_by == "committee":
        return None
    if convened_by not in ("villagers", "representatives"):
        raise MeetingError(_("未知的召集方式：%(value)s", value=convened_by))
    try:
        convening_threshold(kind, by=convened_by)  # type: ignore[arg-type]
    except ValueError as exc:
        raise MeetingError(_("法律没有规定由%(by)s提议召集%(kind)s",
                             by=str(ROLE_TITLES["villager" if convened_by == "villagers" else "representative"]),
                             kind=kind_title(kind))) from exc
    from cunwu.registry import queries

    if convened_by == "villagers":
        base = len(queries.adults(session, village_code, on, age=_voting_age(site)))
    else:
        base = len(queries.representatives(session, village_code, on))
    count = len(requesters)
    if not convening_request_met(kind, by=convened_by, requesters=count, base=base):  # type: ignore[arg-type]
        raise MeetingError(_(
            "提议人数不足：提议 %(count)s 人，基数 %(base)s 人，至少需要 %(required)s 人",
            count=count, base=base,
            required=convening_request_minimum(kind, by=convened_by, base=base),  # type: ignore[arg-type]
        ))
    return base


def schedule_meeting(
    session: Session, site: Site, actor: Actor, *, village_code: str, kind: MeetingKind | str,
    starts_at: dt.datetime, title: str = "", location: str = "", group_id: int | None = None,
    quorum_mode: QuorumMode | str = QuorumMode.persons, agenda: Sequence[str] = (), notice_on: dt.date | None = None,
    convened_by: str = "committee", requesters: Sequence[str] = (), rule_override: RuleOverride | None = None,
    rule_source: str = "", rule_set: str = "standard", chair: str = "", recorder: str = "",
    post_notice: bool | None = None,
) -> Meeting:
    """Schedule a meeting and (for villagers', representative and group meetings) post its notice on the board.

    A notice period shorter than the kind's `notice_days` (villagers' meeting: 10 days, art. 21) is allowed — an
    urgent meeting happens — but recorded as a warning on the meeting. `rule_override` (with `rule_source` naming
    who requires it, e.g. the 低保 plugin's 民主评议) replaces the quorum/majority for this meeting only.
    """
    if site.village(village_code) is None:
        raise NotFound(_("没有这个村：%(code)s", code=village_code))
    try:
        kind = MeetingKind(kind)
        mode = QuorumMode(quorum_mode)
    except ValueError as exc:
        raise MeetingError(_("会议类型或计数方式无效")) from exc
    if starts_at.tzinfo is None:
        raise MeetingError(_("会议时间必须带时区"))
    if mode is QuorumMode.households and not kind.has_household_mode:
        raise MeetingError(_("只有村民会议和村民小组会议可以按户计算到会"))
    if kind is MeetingKind.group:
        from cunwu.registry.models import Group

        group = session.get(Group, group_id) if group_id else None
        if group is None or group.village_code != village_code:
            raise MeetingError(_("村民小组会议必须选择本村的一个村民小组"))
    elif group_id is not None:
        raise MeetingError(_("只有村民小组会议属于一个村民小组"))
    if rule_set != "standard" and rule_set not in rule_sets(site):
        raise MeetingError(_("未知的表决规则集：%(value)s", value=rule_set))
    if rule_override is not None:
        if not rule_source.strip():
            raise MeetingError(_("本次会议另定表决规则时必须写明依据"))
        try:
            apply_override(kind, rules_for(settings_of(site), _rule_set_overrides(site, rule_set))[kind],
                           rule_override)
        except ValueError as exc:
            raise MeetingError(_("本次会议的表决规则无效：%(error)s", error=str(exc))) from exc
    day = local_date(starts_at)
    notice_on = notice_on or local_today()
    if notice_on > day:
        raise MeetingError(_("通知日期 %(notice)s 晚于会议日期 %(day)s", notice=notice_on, day=day))
    requesters = [name.strip() for name in requesters if name.strip()]
    base = _check_convening(session, site, village_code, kind, day, convened_by, requesters)

    meeting = Meeting(
        village_code=village_code, kind=kind.value, title=title.strip() or f"{kind.title_zh}（{day.isoformat()}）",
        group_id=group_id, starts_at=starts_at, location=location.strip(), notice_on=notice_on,
        quorum_mode=mode.value, rule_set=rule_set,
        rule_override=rule_override.model_dump(exclude_none=True) if rule_override else None,
        rule_source=rule_source.strip(), convened_by=convened_by, requesters=requesters, request_base=base,
        chair=chair.strip(), recorder=recorder.strip(),
    )
    rule = effective_rule(site, meeting)
    given = (day - notice_on).days
    if given < rule.notice_days:
        meeting.warnings = [{"code": "short_notice", "given": given, "required": rule.notice_days}]
    audit.create(session, actor, meeting, "meetings.meeting.schedule")
    for position, item in enumerate((a.strip() for a in agenda if a.strip()), start=1):
        audit.create(session, actor, AgendaItem(village_code=village_code, meeting_id=meeting.id,  # type: ignore[arg-type]
                                                position=position, title=item), "meetings.agenda.add")
    if post_notice if post_notice is not None else kind in PUBLIC_KINDS:
        notice = publish(
            session, site, actor, village_code=village_code, category="会议决议",
            title=_("关于召开%(title)s的通知", title=meeting.title), body=meeting_notice_body(session, meeting),
            origin_kind="meeting", origin_ref=str(meeting.id), origin_url=_meeting_url(meeting),
        )
        audit.update(session, actor, meeting, {"notice_id": notice.id}, "meetings.meeting.notice")
    return meeting


def meeting_notice_body(session: Session, meeting: Meeting) -> str:
    """The text of a meeting's notice: when, where, the agenda."""
    when = meeting.starts_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    lines = [_("会议时间：%(when)s", when=when)]
    if meeting.location:
        lines.append(_("会议地点：%(place)s", place=meeting.location))
    items = agenda_of(session, meeting)
    if items:
        lines.append(_("会议议程："))
        lines += [f"{item.position}. {item.title}" for item in items]
    return "\n".join(lines)


def agenda_of(session: Session, meeting: Meeting) -> list[AgendaItem]:
    return list(session.exec(
        select(AgendaItem).where(AgendaItem.meeting_id == meeting.id).order_by(col(AgendaItem.position))
    ).all())


def add_agenda_item(session: Session, site: Site, actor: Actor, meeting: Meeting, title: str) -> AgendaItem:
    """Add an item at the end of the agenda (until the meeting closes)."""
    meeting = _locked(session, Meeting, meeting.id)
    _require_status(meeting, "scheduled", "in_session")
    if not title.strip():
        raise MeetingError(_("请填写议程内容"))
    last = session.exec(select(func.max(AgendaItem.position)).where(AgendaItem.meeting_id == meeting.id)).one()
    item = AgendaItem(village_code=meeting.village_code, meeting_id=meeting.id, position=(last or 0) + 1,  # type: ignore[arg-type]
                      title=title.strip())
    audit.create(session, actor, item, "meetings.agenda.add")
    return item


def open_meeting(session: Session, site: Site, actor: Actor, meeting: Meeting) -> Meeting:
    """Open the meeting: freeze its member list from the register on the meeting date (the snapshot)."""
    meeting = _locked(session, Meeting, meeting.id)
    _require_status(meeting, "scheduled")
    kind = MeetingKind(meeting.kind)
    members, households = derive_members(session, site, meeting.village_code, kind, meeting_date(meeting),
                                         meeting.group_id)
    for position, member in enumerate(members, start=1):
        session.add(MeetingMember(meeting_id=meeting.id, position=position, person_id=member.person_id,  # type: ignore[arg-type]
                                  name=member.name, sex=member.sex, household_id=member.household_id,
                                  household_number=member.household_number, roles=",".join(member.roles)))
    session.flush()
    warnings = list(meeting.warnings)
    if kind is MeetingKind.representatives:
        reps = [m for m in members if "representative" in m.roles]
        women = sum(1 for m in reps if m.sex == "F")
        if representative_meeting_warnings(len(members), len(reps), women):
            warnings.append({"code": "composition", "members": len(members), "representatives": len(reps),
                             "women": women})
    if not members:
        warnings.append({"code": "no_members"})
    audit.update(session, actor, meeting, {
        "status": "in_session", "opened_at": utcnow(), "members_total": len(members),
        "households_total": households, "members_digest": snapshot_digest(members), "warnings": warnings,
    }, "meetings.meeting.open")
    return meeting


def warning_texts(meeting_or_step: Any) -> list[str]:
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


# --- sign-in -----------------------------------------------------------------------------------------------


def _member(session: Session, meeting: Meeting, member_id: int) -> MeetingMember:
    member = session.get(MeetingMember, member_id)
    if member is None or member.meeting_id != meeting.id:
        raise NotFound(_("此人不在本次会议的应到名单中"))
    return member


def sign_in(session: Session, site: Site, actor: Actor, meeting: Meeting, member_id: int) -> Attendance:
    """Sign a member in (again, after signing out). Idempotent for someone already present."""
    meeting = _locked(session, Meeting, meeting.id)
    _require_status(meeting, "in_session")
    if meeting.attendance_source == "counts":
        raise MeetingError(_("本次会议已按纸质签到表录入到会人数，不能再逐人签到"))
    member = _member(session, meeting, member_id)
    row = session.exec(select(Attendance).where(Attendance.meeting_id == meeting.id,
                                                Attendance.member_id == member.id).with_for_update()).first()
    if row is None:
        row = Attendance(village_code=meeting.village_code, meeting_id=meeting.id, member_id=member.id,  # type: ignore[arg-type]
                         signed_in_at=utcnow())
        try:
            with session.begin_nested():
                audit.create(session, actor, row, "meetings.attendance.sign_in")
        except IntegrityError as exc:  # a second device signed the same person in at the same moment
            raise MeetingError(_("%(name)s 已经签到", name=member.name)) from exc
    elif row.signed_out_at is not None:
        audit.update(session, actor, row, {"signed_in_at": utcnow(), "signed_out_at": None},
                     "meetings.attendance.sign_in")
    return row


def sign_out(session: Session, site: Site, actor: Actor, meeting: Meeting, member_id: int) -> Attendance:
    """Record that a member left (or was signed in by mistake): the row keeps both times."""
    meeting = _locked(session, Meeting, meeting.id)
    _require_status(meeting, "in_session")
    member = _member(session, meeting, member_id)
    row = session.exec(select(Attendance).where(Attendance.meeting_id == meeting.id,
                                                Attendance.member_id == member.id).with_for_update()).first()
    if row is None or row.signed_out_at is not None:
        raise MeetingError(_("%(name)s 没有签到", name=member.name))
    audit.update(session, actor, row, {"signed_out_at": utcnow()}, "meetings.attendance.sign_out")
    return row


def record_counts(
    session: Session, site: Site, actor: Actor, meeting: Meeting, *, persons: int, households: int | None = None
) -> Meeting:
    """Enter the counts of a paper sign-in sheet (persons present and, for the household mode, households)."""
    meeting = _locked(session, Meeting, meeting.id)
    _require_status(meeting, "in_session")
    if persons < 0 or (households is not None and households < 0):
        raise MeetingError(_("人数不能为负数"))
    if persons > (meeting.members_total or 0):
        raise MeetingError(_("到会人数 %(present)s 超过应到人数 %(total)s", present=persons,
                             total=meeting.members_total or 0))
    if meeting.quorum_mode == QuorumMode.households and households is None:
        raise MeetingError(_("按户计算到会时必须填写到会户数"))
    if households is not None:
        if households > (meeting.households_total or 0):
            raise MeetingError(_("到会户数 %(present)s 超过应到户数 %(total)s", present=households,
                                 total=meeting.households_total or 0))
        if households > persons:
            raise MeetingError(_("到会户数不能多于到会人数"))
    audit.update(session, actor, meeting, {"attendance_source": "counts", "counted_persons": persons,
                                           "counted_households": households}, "meetings.meeting.counts")
    return meeting


# --- motions and votes -------------------------------------------------------------------------------------


def valid_delegation(session: Session, village_code: str, matter_type: str, on: dt.date) -> Delegation | None:
    """The villagers' meeting's delegation covering `matter_type` on `on` (not revoked by then), if any."""
    rows = session.exec(select(Delegation).where(Delegation.village_code == village_code,
                                                 Delegation.valid_from <= on)).all()
    for row in sorted(rows, key=lambda d: d.valid_from, reverse=True):
        if matter_type not in row.scope:
            continue
        if row.valid_until is not None and row.valid_until < on:
            continue
        if row.revoked_on is not None and row.revoked_on <= on:
            continue
        return row
    return None


def check_reserved_matter(
    session: Session, site: Site, meeting: Meeting, matter_type: str | None
) -> Delegation | None:
    """Art. 24: a reserved matter is decided by the villagers' meeting, or by a representative meeting holding a
    recorded delegation. Returns the delegation used; MeetingError when a representative meeting has none.

    Party and committee meetings only propose or deliberate (steps 1–3 of 四议两公开); which meeting may take the
    decision step is checked by `cunwu.meetings.matters.record_step`.
    """
    if matter_type is None or MeetingKind(meeting.kind) is not MeetingKind.representatives:
        return None
    from cunwu.meetings.matters import matter_type_of, type_title

    if not matter_type_of(site, matter_type).reserved_to_assembly:
        return None
    delegation = valid_delegation(session, meeting.village_code, matter_type, meeting_date(meeting))
    if delegation is None:
        raise MeetingError(_(
            "“%(type)s”须由村民会议决定；村民代表会议只有在村民会议授权后才能决定，%(day)s 没有有效的授权",
            type=type_title(site, matter_type), day=meeting_date(meeting)))
    return delegation


def _require_quorum(session: Session, site: Site, meeting: Meeting) -> MeetingQuorum:
    quorum = meeting_quorum(session, site, meeting)
    if not quorum.met:
        raise MeetingError(_("不足法定人数，不能付诸表决：%(numbers)s", numbers=quorum_message(quorum)))
    return quorum


def put_motion(
    session: Session, site: Site, actor: Actor, meeting: Meeting, *, title: str, body: str = "",
    agenda_item_id: int | None = None, matter: Any = None, matter_type: str | None = None,
) -> Motion:
    """Put a motion to the vote. Refused without quorum (with the numbers), and for a matter reserved to the
    villagers' meeting unless this meeting may decide it (art. 24 delegation)."""
    meeting = _locked(session, Meeting, meeting.id)
    _require_status(meeting, "in_session")
    if not title.strip():
        raise MeetingError(_("请填写议案名称"))
    if matter is not None:
        if matter.village_code != meeting.village_code:
            raise MeetingError(_("议题不属于本村"))
        matter_type = matter.matter_type
    if agenda_item_id is not None:
        item = session.get(AgendaItem, agenda_item_id)
        if item is None or item.meeting_id != meeting.id:
            raise MeetingError(_("议程项不属于本次会议"))
    if matter_type is not None:
        from cunwu.meetings.matters import matter_type_of

        matter_type_of(site, matter_type)  # a known type
    delegation = check_reserved_matter(session, site, meeting, matter_type)
    quorum = _require_quorum(session, site, meeting)
    last = session.exec(select(func.max(Motion.number)).where(Motion.meeting_id == meeting.id)).one()
    motion = Motion(
        village_code=meeting.village_code, meeting_id=meeting.id, number=(last or 0) + 1, title=title.strip(),  # type: ignore[arg-type]
        body=body.strip(), agenda_item_id=agenda_item_id, matter_id=matter.id if matter is not None else None,
        matter_type=matter_type, delegation_id=delegation.id if delegation else None, put_at=utcnow(),
        present_at_put=quorum.present,
    )
    audit.create(session, actor, motion, "meetings.motion.put")
    return motion


def _tally(
    session: Session, site: Site, actor: Actor, motion: Motion, meeting: Meeting, *, votes_for: int, against: int,
    abstain: int, method: str,
) -> Motion:
    quorum = _require_quorum(session, site, meeting)
    rule, rule_set = motion_rule(site, meeting, motion.matter_type)
    if rule_set is None:
        rule = quorum.rule
    try:
        outcome = vote_outcome(rule, votes_for=votes_for, against=against, abstain=abstain,
                               attendees=quorum.present, members=quorum.total)
    except ValueError:
        raise MeetingError(_("票数合计 %(cast)s 超过到会 %(present)s", cast=votes_for + against + abstain,
                             present=quorum.present)) from None
    audit.update(session, actor, motion, {
        "status": "voted", "vote_method": method, "votes_for": votes_for, "against": against, "abstain": abstain,
        "attendees": quorum.present, "members": quorum.total, "base": outcome.base, "required": outcome.required,
        "passed": _counted(rule, rule_set, meeting, outcome, quorum.present, quorum.total),
        "majority": f"{outcome.description} · {outcome.majority_base}",
        "voted_at": utcnow(),
    }, "meetings.motion.vote")
    return motion


def _pending_motion(session: Session, motion: Motion) -> tuple[Motion, Meeting]:
    motion = _locked(session, Motion, motion.id)
    meeting = _locked(session, Meeting, motion.meeting_id)
    _require_status(meeting, "in_session")
    if motion.status != "pending":
        raise MeetingError(_("该议案已经表决，结果不能重复登记（如有差错请登记更正）"))
    return motion, meeting


def record_vote_counts(
    session: Session, site: Site, actor: Actor, motion: Motion, *, votes_for: int, against: int, abstain: int,
    method: str = "hands",
) -> Motion:
    """Record a show of hands or a paper ballot by its counts; the result follows the kind's majority rule."""
    if method not in ("hands", "ballot"):
        raise MeetingError(_("未知的表决方式：%(value)s", value=method))
    if min(votes_for, against, abstain) < 0:
        raise MeetingError(_("票数不能为负数"))
    motion, meeting = _pending_motion(session, motion)
    return _tally(session, site, actor, motion, meeting, votes_for=votes_for, against=against, abstain=abstain,
                  method=method)


def record_vote(session: Session, site: Site, actor: Actor, motion: Motion, votes: Mapping[int, str]) -> Motion:
    """Record a named vote: member id → "for" / "against" / "abstain". Each voter must be signed in; in the
    household mode one vote per household (its 户代表). Present members who did not vote count as abstaining."""
    motion, meeting = _pending_motion(session, motion)
    if meeting.attendance_source == "counts":
        raise MeetingError(_("按纸质签到表计数的会议只能按票数登记表决结果"))
    present = {m.id: m for m in present_members(session, meeting)}
    seen_households: set[int] = set()
    counts = {"for": 0, "against": 0, "abstain": 0}
    for member_id, choice in votes.items():
        if choice not in counts:
            raise MeetingError(_("未知的表决意见：%(value)s", value=choice))
        member = present.get(member_id)
        if member is None:
            raise MeetingError(_("只有已签到的人员才能表决"))
        if meeting.quorum_mode == QuorumMode.households and member.household_id is not None:
            if member.household_id in seen_households:
                raise MeetingError(_("按户表决时每户只能一票（户号 %(number)s）", number=member.household_number))
            seen_households.add(member.household_id)
        counts[choice] += 1
    for member_id, choice in votes.items():
        audit.create(session, actor, Vote(village_code=meeting.village_code, motion_id=motion.id,  # type: ignore[arg-type]
                                          member_id=member_id, choice=choice), "meetings.vote.cast")
    return _tally(session, site, actor, motion, meeting, votes_for=counts["for"], against=counts["against"],
                  abstain=counts["abstain"], method="named")


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


def correct_result(
    session: Session, site: Site, actor: Actor, motion: Motion, *, votes_for: int, against: int, abstain: int,
    reason: str,
) -> ResultCorrection:
    """Correct a recorded result (a miscount found later): a new audited entry with its reason; the original
    stays on the record. The outcome is recomputed against the attendance recorded at the vote."""
    motion = _locked(session, Motion, motion.id)
    if motion.status != "voted":
        raise MeetingError(_("该议案尚未表决，没有可更正的结果"))
    if not reason.strip():
        raise MeetingError(_("更正表决结果必须写明原因"))
    if min(votes_for, against, abstain) < 0:
        raise MeetingError(_("票数不能为负数"))
    meeting = session.get(Meeting, motion.meeting_id)
    assert meeting is not None
    rule, rule_set = motion_rule(site, meeting, motion.matter_type)
    try:
        outcome = vote_outcome(rule, votes_for=votes_for, against=against, abstain=abstain,
                               attendees=motion.attendees or 0, members=motion.members or 0)
    except ValueError:
        raise MeetingError(_("票数合计 %(cast)s 超过到会 %(present)s", cast=votes_for + against + abstain,
                             present=motion.attendees or 0)) from None
    correction = ResultCorrection(
        village_code=motion.village_code, motion_id=motion.id, votes_for=votes_for, against=against,  # type: ignore[arg-type]
        abstain=abstain, required=outcome.required,
        passed=_counted(rule, rule_set, meeting, outcome, motion.attendees or 0, motion.members or 0),
        reason=reason.strip(),
        corrected_at=utcnow(), corrected_by=actor.label,
    )
    audit.create(session, actor, correction, "meetings.motion.correct")
    return correction


def motions_of(session: Session, meeting: Meeting) -> list[Motion]:
    return list(session.exec(select(Motion).where(Motion.meeting_id == meeting.id).order_by(col(Motion.number))).all())


# --- closing and publishing --------------------------------------------------------------------------------


def close_meeting(
    session: Session, site: Site, actor: Actor, meeting: Meeting, *, minutes: str | None = None
) -> Meeting:
    """Close the meeting: attendance and results become final; motions never voted are marked lapsed."""
    meeting = _locked(session, Meeting, meeting.id)
    _require_status(meeting, "in_session")
    quorum = meeting_quorum(session, site, meeting)
    for motion in motions_of(session, meeting):
        if motion.status == "pending":
            audit.update(session, actor, motion, {"status": "lapsed"}, "meetings.motion.lapse")
    changes: dict[str, Any] = {"status": "closed", "closed_at": utcnow(), "present_at_close": quorum.present,
                               "quorum_met": quorum.met}
    if minutes is not None:
        changes["minutes"] = minutes.strip()
    audit.update(session, actor, meeting, changes, "meetings.meeting.close")
    return meeting


def resolution_text(session: Session, meeting: Meeting) -> str:
    """The resolution of a closed meeting as notice text: attendance in counts, each motion and its result."""
    lines = [
        _("%(title)s于 %(when)s 在%(place)s召开。", title=meeting.title,
          when=meeting.starts_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
          place=meeting.location or _("本村")),
    ]
    if MeetingKind(meeting.kind).has_household_mode and meeting.quorum_mode == QuorumMode.households:
        present = meeting.counted_households if meeting.attendance_source == "counts" else len(
            {m.household_id for m in present_members(session, meeting) if m.household_id is not None})
        lines.append(_("应到 %(total)s 户，实到 %(present)s 户。", total=meeting.households_total or 0,
                       present=present or 0))
    else:
        lines.append(_("应到 %(total)s 人，实到 %(present)s 人。", total=meeting.members_total or 0,
                       present=meeting.present_at_close or 0))
    for motion in motions_of(session, meeting):
        result = motion_result(session, motion)
        if result is None:
            lines.append(_("议案 %(number)s：%(title)s —— 未表决", number=motion.number, title=motion.title))
            continue
        lines.append(_(
            "议案 %(number)s：%(title)s —— 赞成 %(for)s，反对 %(against)s，弃权 %(abstain)s，%(result)s",
            number=motion.number, title=motion.title, **{"for": result.votes_for}, against=result.against,
            abstain=result.abstain, result=_("通过") if result.passed else _("未通过")))
    return "\n".join(lines)


def publish_resolution(session: Session, site: Site, actor: Actor, meeting: Meeting) -> Any:
    """Post the resolution of a closed villagers' or representative meeting on the board, in one step."""
    meeting = _locked(session, Meeting, meeting.id)
    _require_status(meeting, "closed")
    if MeetingKind(meeting.kind) not in (MeetingKind.villagers, MeetingKind.representatives):
        raise MeetingError(_("只有村民会议和村民代表会议的决议在公开栏公布"))
    if meeting.resolution_notice_id is not None:
        raise MeetingError(_("本次会议的决议已经公布"))
    if not any(m.status == "voted" for m in motions_of(session, meeting)):
        raise MeetingError(_("本次会议没有表决过的议案，没有决议可公布"))
    notice = publish(
        session, site, actor, village_code=meeting.village_code, category="会议决议",
        title=_("%(title)s决议", title=meeting.title), body=resolution_text(session, meeting),
        origin_kind="meeting", origin_ref=str(meeting.id), origin_url=_meeting_url(meeting) + "/minutes",
    )
    audit.update(session, actor, meeting, {"resolution_notice_id": notice.id}, "meetings.meeting.publish")
    return notice


# --- delegation --------------------------------------------------------------------------------------------


def create_delegation(
    session: Session, site: Site, actor: Actor, motion: Motion, *, scope: Sequence[str], valid_from: dt.date,
    valid_until: dt.date | None = None,
) -> Delegation:
    """Record the villagers' meeting's delegation of matter kinds to the representative meeting (art. 24)."""
    from cunwu.meetings.matters import matter_type_of, type_title

    meeting = session.get(Meeting, motion.meeting_id)
    assert meeting is not None
    if MeetingKind(meeting.kind) is not MeetingKind.villagers:
        raise MeetingError(_("只有村民会议才能授权村民代表会议"))
    result = motion_result(session, motion)
    if result is None or not result.passed:
        raise MeetingError(_("授权必须由村民会议表决通过"))
    codes = sorted({code for code in scope if code})
    if not codes:
        raise MeetingError(_("请选择授权的事项类别"))
    for code in codes:
        if not matter_type_of(site, code).reserved_to_assembly:
            raise MeetingError(_("“%(type)s”不是须由村民会议决定的事项，无需授权", type=type_title(site, code)))
    if valid_from < meeting_date(meeting):
        raise MeetingError(_("授权不能早于作出授权的村民会议（%(day)s）", day=meeting_date(meeting)))
    if valid_until is not None and valid_until < valid_from:
        raise MeetingError(_("授权的截止日期早于开始日期"))
    delegation = Delegation(village_code=meeting.village_code, meeting_id=meeting.id, motion_id=motion.id,  # type: ignore[arg-type]
                            scope=codes, valid_from=valid_from, valid_until=valid_until)
    audit.create(session, actor, delegation, "meetings.delegation.create")
    return delegation


def revoke_delegation(
    session: Session, site: Site, actor: Actor, delegation: Delegation, *, on: dt.date, reason: str
) -> Delegation:
    """End a delegation from `on` (a later villagers' meeting withdrew it); the record stays."""
    delegation = _locked(session, Delegation, delegation.id)
    if delegation.revoked_on is not None:
        raise MeetingError(_("该授权已经撤销"))
    if not reason.strip():
        raise MeetingError(_("撤销授权必须写明原因"))
    audit.update(session, actor, delegation, {"revoked_on": on, "revoke_reason": reason.strip()},
                 "meetings.delegation.revoke")
    return delegation


def delegations_of(session: Session, village_code: str) -> list[Delegation]:
    return list(session.exec(select(Delegation).where(Delegation.village_code == village_code)
                             .order_by(col(Delegation.valid_from).desc())).all())
