"""The project's account (raised, spent, balance) and its publication."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlmodel import Session

from cunwu.api import Actor, Site, _, audit

from .. import shares as calc
from ..models import (
    Project,
    Spending,
)
from .common import ACCOUNT_CATEGORY, _require, current_shares, get_project, project_url, settings_of, spending_of


@dataclass(frozen=True)
class Account:
    """The project account (项目专账) as shown and published."""

    money_due: Decimal
    raised: Decimal
    workdays_due: Decimal
    workdays_done: Decimal
    liable_households: int
    paid_households: int
    participation: Fraction
    matching_ratio: Decimal
    award: Decimal
    spent: Decimal
    spending: list[Spending]

    @property
    def income(self) -> Decimal:
        return self.raised + self.award

    @property
    def balance(self) -> Decimal:
        return self.income - self.spent

    @property
    def participation_percent(self) -> str:
        return f"{float(self.participation) * 100:.1f}%"


def account_of(session: Session, site: Site, project: Project) -> Account:
    """Raised, labour delivered, the matching award (participation = liable households fully paid up) and spending."""
    settings = settings_of(site)
    rows = current_shares(session, project)
    liable = [s for s in rows if s.money_due > 0]
    paid = [s for s in liable if s.money_paid >= s.money_due]
    participation = calc.participation_rate(len(paid), len(liable)) if liable else Fraction(0)
    raised = sum((s.money_paid for s in rows), Decimal("0.00"))
    ratio = project.matching_ratio if project.matching_ratio is not None else settings.matching_ratio
    award = calc.matching_award(raised, participation, settings, project.matching_ratio) if liable else Decimal("0.00")
    spending = spending_of(session, project)
    return Account(
        money_due=sum((s.money_due for s in rows), Decimal("0.00")), raised=raised,
        workdays_due=sum((s.workdays_due for s in rows), Decimal("0")),
        workdays_done=sum((s.workdays_done for s in rows), Decimal("0")),
        liable_households=len(liable), paid_households=len(paid), participation=participation,
        matching_ratio=ratio, award=award, spent=sum((s.amount for s in spending), Decimal("0.00")),
        spending=spending,
    )


def publish_account(session: Session, site: Site, actor: Actor, project: Project) -> Any:
    """Publish the project account as a special 财务 disclosure (专项资金) and complete the project."""
    from cunwu.api import NoticeOrigin, NoticeTable, publish_notice

    project = get_project(session, project.village_code, project.id or 0, lock=True)
    _require(project, "filed")
    account = account_of(session, site, project)
    rows = [
        [_("收入"), _("村民筹资"), str(account.raised)],
        [_("收入"), _("财政奖补（比例 %(ratio)s，参与率 %(rate)s）", ratio=account.matching_ratio,
                      rate=account.participation_percent), str(account.award)],
    ]
    rows += [[_("支出"), f"{s.spent_on} {s.item}", str(s.amount)] for s in account.spending]
    rows.append([_("结余"), "", str(account.balance)])
    body = _("项目专账：应筹资 %(due)s 元，实收 %(raised)s 元；"
             "应筹劳 %(days)s 个标准工日，实际出工 %(done)s 个标准工日；"
             "财政奖补 %(award)s 元；支出 %(spent)s 元；结余 %(balance)s 元。",
             due=account.money_due, raised=account.raised, days=account.workdays_due, done=account.workdays_done,
             award=account.award, spent=account.spent, balance=account.balance)
    notice = publish_notice(
        session, site, actor, village_code=project.village_code, stream="finance", category=ACCOUNT_CATEGORY,
        title=_("一事一议项目专账公开：%(title)s", title=project.title), body=body,
        origin=NoticeOrigin("yishi", str(project.id), project_url(project)),
        table=NoticeTable([_("类别"), _("项目"), _("金额（元）")], rows, caption=project.title),
    )
    audit.update(session, actor, project, {"account_notice_id": notice.id, "status": "completed"},
                 "yishi.project.publish_account")
    return notice
