"""Posting on the village's notice board, closing a meeting and publishing its resolution."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from cunwu.accounts.actor import Actor
from cunwu.audit import services as audit
from cunwu.db.types import LOCAL_TZ, utcnow
from cunwu.i18n import _
from cunwu.meetings.models import (
    Meeting,
)
from cunwu.meetings.rules import (
    MeetingKind,
    QuorumMode,
)
from cunwu.meetings.services.common import (
    MeetingError,
    _locked,
    _meeting_url,
    _require_status,
    motion_result,
    motions_of,
)
from cunwu.meetings.services.members import present_members
from cunwu.meetings.services.quorum import meeting_quorum

if TYPE_CHECKING:
    from cunwu.notices.models import Notice
    from cunwu.notices.services import NoticeTable
    from cunwu.runtime import Site


def _notice_category(site: Site, stream: str, preferred: str) -> str:
    """A category the site's board knows: the preferred one if configured, else the stream's first."""
    try:
        categories = list(site.settings("notices").categories[stream])
    except (KeyError, AttributeError):
        return preferred
    return preferred if preferred in categories else categories[0]


def publish(
    session: Session, site: Site, actor: Actor, *, village_code: str, category: str, title: str, body: str,
    origin_kind: str, origin_ref: str, origin_url: str, stream: str = "village", table: NoticeTable | None = None,
) -> Notice:
    """Post on the village's notice board through the board's own API (`cunwu.notices.services.publish_notice`)."""
    from cunwu.notices.services import NoticeOrigin, publish_notice

    return publish_notice(
        session, site, actor, village_code=village_code, stream=stream,
        category=_notice_category(site, stream, category), title=title, body=body,
        origin=NoticeOrigin(origin_kind, origin_ref, origin_url), table=table,
    )


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


def publish_resolution(session: Session, site: Site, actor: Actor, meeting: Meeting) -> Notice:
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
