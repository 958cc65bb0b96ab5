"""The plan's vote: a meeting's result recorded against the site's thresholds, or taken from a 四议两公开 step."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from cunwu.api import Actor, Matter, Site, _, audit

from ..models import (
    Project,
    VoteResult,
)
from ..settings import vote_thresholds
from .common import _require, get_project, input_error, settings_of


def thresholds_text(site: Site) -> str:
    rule = vote_thresholds(settings_of(site))

    def show(fraction: Fraction, inclusive: bool) -> str:
        return f"{'≥' if inclusive else '>'}{fraction.numerator}/{fraction.denominator}"

    base = _("到会人员") if rule.approval_base == "attendees" else _("全体应到人员")
    return _("到会 %(quorum)s，赞成票占%(base)s %(approval)s", quorum=show(rule.quorum, rule.quorum_inclusive),
             base=base, approval=show(rule.approval, rule.approval_inclusive))


def record_result(
    session: Session, site: Site, actor: Actor, project: Project, *, source: str, held_on: dt.date, members: int,
    present: int, votes_for: int, against: int, abstain: int, meeting_id: int | None = None,
    motion_id: int | None = None, decided: bool | None = None,
) -> VoteResult:
    """Decide the plan by the site's thresholds (preset + overrides) on the counts; the project becomes approved
    or rejected. One result per project (unique in the database). A meeting's vote comes `decided` by the
    meeting under the same thresholds (the 一事一议 rule set), so the two records cannot disagree."""
    project = get_project(session, project.village_code, project.id or 0, lock=True)
    _require(project, "published")
    if min(members, present, votes_for, against, abstain) < 0 or members == 0:
        raise input_error(_("票数和人数不能为负数，应到人数至少为 1"))
    if present > members or votes_for + against + abstain > present:
        raise input_error(_("票数合计 %(cast)s、到会 %(present)s、应到 %(members)s 不合逻辑",
                       cast=votes_for + against + abstain, present=present, members=members))
    passed = vote_thresholds(settings_of(site)).passes(members, present, votes_for) if decided is None else decided
    result = VoteResult(
        village_code=project.village_code, project_id=project.id, source=source, meeting_id=meeting_id,  # type: ignore[arg-type]
        motion_id=motion_id, held_on=held_on, members=members, present=present, votes_for=votes_for,
        against=against, abstain=abstain, rule=thresholds_text(site), passed=passed, entered_by=actor.label,
    )
    try:
        with session.begin_nested():
            audit.create(session, actor, result, "yishi.vote.record")
    except IntegrityError as exc:
        raise input_error(_("该项目的表决结果已经登记")) from exc
    audit.update(session, actor, project, {"status": "approved" if passed else "rejected"},
                 "yishi.project.approve" if passed else "yishi.project.reject")
    return result


def vote_from_matter_step(session: Session, site: Site, matter: Matter, actor: Actor) -> VoteResult | None:
    """Step 4 of the project's matter was recorded: take the counts of the motion voted there."""
    from cunwu.api import matters, meetings

    project = _project_of_matter(session, matter)
    if project is None or project.status != "published":
        return None
    cited = matters.step_motion(session, matter, 4)
    if cited is None:
        return None
    motion, meeting = cited
    result = meetings.motion_result(session, motion)
    if result is None:
        return None
    return record_result(
        session, site, actor, project, source=motion.vote_method or "hands", held_on=meetings.meeting_date(meeting),
        members=motion.members or 0, present=motion.attendees or 0, votes_for=result.votes_for,
        against=result.against, abstain=result.abstain, meeting_id=meeting.id, motion_id=motion.id,
        decided=result.passed,
    )


def candidate_motions(session: Session, project: Project) -> list[Any]:
    """Motions on this project's matter that were voted in a closed villagers' or representative meeting."""
    from cunwu.api import matters

    return [] if project.matter_id is None else matters.decided_motions(session, project.matter_id)


def vote_through_matter(session: Session, site: Site, actor: Actor, project: Project, motion_id: int) -> Any:
    """Record step 4 (决议) of the project's matter with the meeting motion the clerk chose; the meetings area then
    tells this plugin (`matter_step_reached`), which decides the plan by the site's thresholds."""
    from cunwu.api import matters

    _require(project, "published")
    found = {motion.id: (motion, meeting) for motion, meeting in candidate_motions(session, project)}
    if motion_id not in found or project.matter_id is None:
        raise input_error(_("请选择本项目议题在已结束的村民会议或村民代表会议上表决的议案"), "motion_id")
    motion, meeting = found[motion_id]
    matter = matters.get_matter(session, project.village_code, project.matter_id)
    return matters.record_step(session, site, actor, matter, 4, meeting=meeting, motion=motion)


def _project_of_matter(session: Session, matter: Matter) -> Project | None:
    project = session.exec(select(Project).where(Project.matter_id == matter.id)).first()
    if project is None and matter.previous_id is not None:  # a re-proposed matter carries the same project
        project = session.exec(select(Project).where(Project.matter_id == matter.previous_id)).first()
    return project


def matter_stopped(session: Session, site: Site, matter: Matter, actor: Actor) -> None:
    """The matter stopped: the plan was not adopted. When it stopped at the vote itself (step 4 failed on a
    meeting's motion), the counts are recorded as the plan's vote result, as the meeting recorded them."""
    project = _project_of_matter(session, matter)
    if (project is not None and project.status == "published" and project.matter_id == matter.id
            and vote_from_matter_step(session, site, matter, actor) is None):
        audit.update(session, actor, project, {"status": "rejected"}, "yishi.project.reject")
