"""Scheduling a meeting (convening checks, notice period, its notice on the board), its agenda, and opening it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import insert
from sqlmodel import Session, col, func, select

from cunwu.accounts.actor import Actor
from cunwu.audit import services as audit
from cunwu.clock import local_today
from cunwu.db.types import LOCAL_TZ, utcnow
from cunwu.errors import NotFound
from cunwu.i18n import _
from cunwu.meetings.models import (
    AgendaItem,
    Meeting,
    MeetingMember,
)
from cunwu.meetings.rules import (
    MeetingKind,
    QuorumMode,
    RuleOverride,
    apply_override,
    convening_request_met,
    convening_request_minimum,
    convening_threshold,
    representative_meeting_warnings,
    rules_for,
)
from cunwu.meetings.services.common import (
    PUBLIC_KINDS,
    ROLE_TITLES,
    MeetingError,
    _locked,
    _meeting_url,
    _require_status,
    _rule_set_overrides,
    effective_rule,
    kind_title,
    local_date,
    meeting_date,
    refuse_field,
    rule_sets,
    settings_of,
)
from cunwu.meetings.services.members import _voting_age, derive_members, snapshot_digest
from cunwu.meetings.services.publication import publish

if TYPE_CHECKING:
    from cunwu.runtime import Site


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
        raise refuse_field(_("只有村民会议和村民小组会议可以按户计算到会"), "quorum_mode")
    if kind is MeetingKind.group:
        from cunwu.registry import queries

        group = queries.group(session, group_id) if group_id else None
        if group is None or group.village_code != village_code:
            raise refuse_field(_("村民小组会议必须选择本村的一个村民小组"), "group_id")
    elif group_id is not None:
        raise refuse_field(_("只有村民小组会议属于一个村民小组"), "group_id")
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
        raise refuse_field(_("通知日期 %(notice)s 晚于会议日期 %(day)s", notice=notice_on, day=day), "notice_on")
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
        raise refuse_field(_("请填写议程内容"), "title")
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
    if members:  # plain rows in one statement: a villagers' meeting lists every adult of the village
        session.execute(insert(MeetingMember), [
            {"meeting_id": meeting.id, "position": position, "person_id": member.person_id, "name": member.name,
             "sex": member.sex, "household_id": member.household_id, "household_number": member.household_number,
             "roles": ",".join(member.roles)} for position, member in enumerate(members, start=1)])
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
