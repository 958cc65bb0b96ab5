"""The township's review and the county's filing of the plan."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from cunwu.api import Actor, Site, _, audit, forms

from ..models import (
    Project,
    Review,
)
from .common import YishiError, _require, get_project, input_error


def submit_for_review(session: Session, site: Site, actor: Actor, project: Project) -> Project:
    project = get_project(session, project.village_code, project.id or 0, lock=True)
    _require(project, "shares_fixed")
    audit.update(session, actor, project, {"status": "submitted"}, "yishi.project.submit")
    return project


def review(session: Session, site: Site, actor: Actor, project: Project, *, decision: str, opinion: str,
           on: dt.date) -> Review:
    """Township review: approve, or return with reasons (the plan goes back to the village to be redone)."""
    project = get_project(session, project.village_code, project.id or 0, lock=True)
    _require(project, "submitted")
    check = forms.Checks()  # the decision and the opinion at once, each beside its field
    if decision not in ("approved", "returned"):
        check.add(_("请选择审核意见：同意或退回"), "decision")
    if not opinion.strip():
        check.add(_("退回必须写明理由") if decision == "returned" else _("请填写审核意见"), "opinion")
    check.done(YishiError)
    row = Review(village_code=project.village_code, project_id=project.id, stage="township", decision=decision,  # type: ignore[arg-type]
                 reviewer=actor.label, reviewed_on=on, opinion=opinion.strip())
    audit.create(session, actor, row, f"yishi.review.{decision}")
    audit.update(session, actor, project, {"status": "reviewed" if decision == "approved" else "returned"},
                 f"yishi.project.{decision}")
    return row


def file_plan(session: Session, site: Site, actor: Actor, project: Project, *, decision: str, opinion: str,
              on: dt.date) -> Review:
    """County filing (备案) of a plan the township approved; or a return with reasons."""
    project = get_project(session, project.village_code, project.id or 0, lock=True)
    _require(project, "reviewed")
    if decision not in ("filed", "returned"):
        raise input_error(_("请选择备案意见：备案或退回"), "decision")
    if decision == "returned" and not opinion.strip():
        raise input_error(_("退回必须写明理由"), "opinion")
    row = Review(village_code=project.village_code, project_id=project.id, stage="county", decision=decision,  # type: ignore[arg-type]
                 reviewer=actor.label, reviewed_on=on, opinion=opinion.strip() or _("准予备案"))
    audit.create(session, actor, row, f"yishi.filing.{decision}")
    audit.update(session, actor, project, {"status": "filed" if decision == "filed" else "returned"},
                 f"yishi.project.{decision}")
    return row
