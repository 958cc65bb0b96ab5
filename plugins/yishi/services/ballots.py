"""The online vote: one-time codes on printed slips, ballots cast with them, the tally and its close."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from cunwu.api import Actor, Site, _, audit, utcnow
from cunwu.api import registry as queries

from ..models import (
    Ballot,
    Project,
    VoteCode,
    VoteResult,
)
from .common import CODE_ALPHABET, CODE_LENGTH, _require, get_project, input_error
from .vote import record_result


def hash_code(code: str) -> str:
    normalised = "".join(code.split()).upper().replace("-", "")
    return hashlib.sha256(f"cunwu.yishi:{normalised}".encode()).hexdigest()


def _new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


@dataclass(frozen=True)
class CodeSlip:
    """One printed slip: the household and its code (shown once, never stored in clear)."""

    household_number: str
    head_name: str
    code: str


def issue_codes(session: Session, site: Site, actor: Actor, project: Project) -> list[CodeSlip]:
    """Make one code per household on the reference date that has none yet. Only hashes are stored, so the clear
    codes exist only in what this returns (print them at once)."""
    project = get_project(session, project.village_code, project.id or 0, lock=True)
    _require(project, "published")
    have = set(session.exec(select(VoteCode.household_id).where(VoteCode.project_id == project.id)).all())
    slips = []
    for entry in queries.households(session, project.village_code, on=project.reference_date):
        household = entry.household
        if household.id in have:
            continue
        code = _new_code()
        audit.create(session, actor, VoteCode(village_code=project.village_code, project_id=project.id,  # type: ignore[arg-type]
                                              household_id=household.id, code_hash=hash_code(code)),  # type: ignore[arg-type]
                     "yishi.vote_code.issue")
        head = entry.head
        slips.append(CodeSlip(household.number, head.name if head else "", code))
    return slips


BALLOT_ACTOR = Actor.system("yishi-online-ballot")


def cast_ballot(session: Session, site: Site, project: Project, code: str, choice: str) -> Ballot:
    """A household votes with its code. A code works once; a household votes once (unique indexes: two
    submissions at the same moment cannot both be stored)."""
    if choice not in ("for", "against", "abstain"):
        raise input_error(_("请选择同意、不同意或弃权"), "choice")
    if project.status != "published":
        raise input_error(_("本项目现在不接受在线表决"))
    found = session.exec(select(VoteCode).where(VoteCode.code_hash == hash_code(code))).first()
    if found is None or found.project_id != project.id:
        raise input_error(_("表决码无效，请核对纸条上的表决码"), "code")
    ballot = Ballot(village_code=project.village_code, project_id=project.id, household_id=found.household_id,  # type: ignore[arg-type]
                    code_id=found.id, choice=choice, cast_at=utcnow())  # type: ignore[arg-type]
    try:
        with session.begin_nested():
            audit.create(session, BALLOT_ACTOR, ballot, "yishi.ballot.cast")
    except IntegrityError as exc:
        raise input_error(_("该表决码已经使用过，每户只能表决一次"), "code") from exc
    return ballot


def ballot_tally(session: Session, project: Project) -> dict[str, int]:
    rows = session.exec(select(Ballot.choice, func.count()).where(Ballot.project_id == project.id)
                        .group_by(Ballot.choice)).all()
    tally = {"for": 0, "against": 0, "abstain": 0}
    tally.update({choice: count for choice, count in rows})
    tally["codes"] = session.exec(select(func.count()).select_from(VoteCode)
                                  .where(VoteCode.project_id == project.id)).one()
    return tally


def close_online_vote(session: Session, site: Site, actor: Actor, project: Project, held_on: dt.date) -> VoteResult:
    """Count the online ballots as a household vote: every household given a code is a member, every ballot a
    household present."""
    tally = ballot_tally(session, project)
    if tally["codes"] == 0:
        raise input_error(_("尚未发放表决码"))
    cast = tally["for"] + tally["against"] + tally["abstain"]
    return record_result(session, site, actor, project, source="online", held_on=held_on, members=tally["codes"],
                         present=cast, votes_for=tally["for"], against=tally["against"], abstain=tally["abstain"])
