"""What every stage of a 一事一议 project shares: its constants, `YishiError`, the settings and reading a project."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from typing import Any

from sqlmodel import Session, col, func, select

from cunwu.api import DomainError, NotFound, Problem, Site, _
from cunwu.api import registry as queries

from ..models import (
    KINDS,
    STATUSES,
    Project,
    Reduction,
    Requester,
    Review,
    Share,
    Spending,
    VoteResult,
)
from ..settings import YishiSettings

MATTER_TYPE = "yishi_project"


NOTICE_CATEGORY = "一事一议"


ACCOUNT_CATEGORY = "专项资金"


#: The share of the register a joint proposal needs (村民一事一议筹资筹劳管理办法: 1/10 villagers, 1/5 reps).
ORIGIN_FRACTIONS: dict[str, Fraction] = {"villagers": Fraction(1, 10), "representatives": Fraction(1, 5)}


#: States in which a project's shares count against the year's caps.
COUNTING = frozenset({"shares_fixed", "submitted", "returned", "reviewed", "filed", "completed"})


GONE_STATUSES = frozenset({"moved_out", "deceased"})


CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read off paper without mistakes


CODE_LENGTH = 10


class YishiError(DomainError):
    """A 一事一议 rule refused the change; nothing was written."""


def input_error(message: str, field: str | None = None) -> YishiError:
    """A refusal naming the form field it is about (the page shows it next to the form)."""
    return YishiError(message, [Problem(message, field=field)])



def settings_of(site: Site) -> YishiSettings:
    return site.settings("yishi")  # type: ignore[no-any-return]


def kind_title(kind: str) -> str:
    return str(KINDS.get(kind, kind))


def project_url(project: Project) -> str:
    return f"/v/{project.village_code}/p/yishi/projects/{project.id}"


def get_project(session: Session, village_code: str, project_id: int, *, lock: bool = False) -> Project:
    query = select(Project).where(Project.id == project_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    project = session.exec(query).first()
    if project is None or project.village_code != village_code:
        raise NotFound(_("没有这个一事一议项目"))
    return project


def projects_of(session: Session, village_codes: Iterable[str], statuses: Iterable[str] | None = None) -> list[Project]:
    query = select(Project).where(col(Project.village_code).in_(list(village_codes)))
    if statuses is not None:
        query = query.where(col(Project.status).in_(list(statuses)))
    return list(session.exec(query.order_by(col(Project.year).desc(), col(Project.id).desc())).all())


def stage_counts(session: Session, village_codes: Iterable[str]) -> dict[str, int]:
    """How many projects of the villages are at each stage (every status of STATUSES, in its order, zeros kept):
    counted by the database, for the county overview."""
    counted = dict(session.exec(select(Project.status, func.count()).where(  # type: ignore[call-overload]
        col(Project.village_code).in_(list(village_codes))).group_by(col(Project.status))).all())
    return {status: int(counted.get(status, 0)) for status in STATUSES}


def requesters_of(session: Session, project: Project) -> list[Any]:
    ids = session.exec(select(Requester.person_id).where(Requester.project_id == project.id)).all()
    people = [queries.person(session, pid) for pid in ids]
    return sorted((p for p in people if p is not None), key=lambda p: (p.name, p.id))


def current_shares(session: Session, project: Project) -> list[Share]:
    return list(session.exec(
        select(Share).where(Share.project_id == project.id, Share.share_round == project.share_round)
        .order_by(col(Share.household_number))
    ).all())


def reductions_of(session: Session, project: Project) -> list[Reduction]:
    return list(session.exec(select(Reduction).where(Reduction.project_id == project.id)
                             .order_by(col(Reduction.id))).all())


def reviews_of(session: Session, project: Project) -> list[Review]:
    return list(session.exec(select(Review).where(Review.project_id == project.id).order_by(col(Review.id))).all())


def vote_of(session: Session, project: Project) -> VoteResult | None:
    return session.exec(select(VoteResult).where(VoteResult.project_id == project.id)).first()


def spending_of(session: Session, project: Project) -> list[Spending]:
    return list(session.exec(select(Spending).where(Spending.project_id == project.id)
                             .order_by(col(Spending.spent_on), col(Spending.id))).all())


def _require(project: Project, *statuses: str) -> None:
    if project.status not in statuses:
        from ..models import STATUSES

        raise input_error(_("项目当前为“%(status)s”，不能进行此操作", status=str(STATUSES[project.status])))
