"""Money collected, labour delivered, labour converted to money, and what the project spent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from cunwu.api import Actor, Site, _, audit

from .. import shares as calc
from ..models import (
    Collection,
    LabourDelivered,
    Project,
    Share,
    Spending,
)
from .common import _require, get_project, input_error, settings_of


def _share_for(session: Session, project: Project, household_id: int, *, lock: bool = True) -> Share:
    query = select(Share).where(Share.project_id == project.id, Share.household_id == household_id,
                                Share.share_round == project.share_round)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    share = session.exec(query).first()
    if share is None:
        raise input_error(_("该户在本项目中没有分摊"), "household_id")
    return share


def _collecting(session: Session, project: Project) -> Project:
    project = get_project(session, project.village_code, project.id or 0)
    _require(project, "filed")
    return project


def convert_labour(session: Session, site: Site, actor: Actor, project: Project, *, household_id: int,
                   workdays: Decimal) -> Share:
    """以资代劳 at the household's own request: `workdays` of its labour become money at the county's rate of the
    project year. Only labour not yet delivered can be converted."""
    project = _collecting(session, project)
    share = _share_for(session, project, household_id)
    if workdays <= 0:
        raise input_error(_("折算的工日必须大于 0"), "workdays")
    if share.converted_workdays + workdays > share.workdays - share.workdays_done:
        raise input_error(_("户号%(number)s 尚未出工的只有 %(left)s 个工日，不能折算 %(days)s 个工日",
                       number=share.household_number, left=share.workdays_due - share.workdays_done,
                       days=workdays), "workdays")
    try:
        money = calc.convert_labour_to_money(workdays, project.year, settings_of(site))
    except calc.NoPublishedRate as exc:
        raise input_error(str(exc), "workdays") from exc
    converted = share.converted_workdays + workdays
    conversion_money = share.conversion_money + money
    audit.update(session, actor, share, {
        "converted_workdays": converted, "conversion_money": conversion_money,
        "money_due": share.money + conversion_money, "workdays_due": share.workdays - converted,
    }, "yishi.share.convert")
    return share


def record_collection(session: Session, site: Site, actor: Actor, project: Project, *, household_id: int,
                      amount: Decimal, on: dt.date, receipt_no: str = "") -> Collection:
    """Money received from a household. Never more than it owes in total: the running total is checked here, held
    by a CHECK on the share, and unique per share, so a payment recorded twice at once fails in the database."""
    project = _collecting(session, project)
    share = _share_for(session, project, household_id)
    if amount <= 0:
        raise input_error(_("收款金额必须大于 0"), "amount")
    after = share.money_paid + amount
    if after > share.money_due:
        raise input_error(_("户号%(number)s 应缴 %(due)s 元，已缴 %(paid)s 元，本次最多还能收 %(left)s 元",
                       number=share.household_number, due=share.money_due, paid=share.money_paid,
                       left=share.money_due - share.money_paid), "amount")
    row = Collection(village_code=project.village_code, project_id=project.id, share_id=share.id,  # type: ignore[arg-type]
                     household_id=household_id, amount=amount, paid_after=after, received_on=on,
                     receipt_no=receipt_no.strip())
    try:
        with session.begin_nested():
            audit.create(session, actor, row, "yishi.collection.record")
            audit.update(session, actor, share, {"money_paid": after}, "yishi.share.paid")
    except IntegrityError as exc:
        message = _("户号%(number)s 的这笔收款已经登记（请刷新后核对）", number=share.household_number)
        raise input_error(message) from exc
    return row


def record_labour(session: Session, site: Site, actor: Actor, project: Project, *, household_id: int,
                  workdays: Decimal, on: dt.date) -> LabourDelivered:
    """Workdays a household delivered; never more than it owes."""
    project = _collecting(session, project)
    share = _share_for(session, project, household_id)
    if workdays <= 0:
        raise input_error(_("出工工日必须大于 0"), "workdays")
    after = share.workdays_done + workdays
    if after > share.workdays_due:
        raise input_error(_("户号%(number)s 应出工 %(due)s 个工日，已出工 %(done)s 个工日",
                       number=share.household_number, due=share.workdays_due, done=share.workdays_done), "workdays")
    row = LabourDelivered(village_code=project.village_code, project_id=project.id, share_id=share.id,  # type: ignore[arg-type]
                          household_id=household_id, workdays=workdays, done_after=after, worked_on=on)
    try:
        with session.begin_nested():
            audit.create(session, actor, row, "yishi.labour.record")
            audit.update(session, actor, share, {"workdays_done": after}, "yishi.share.worked")
    except IntegrityError as exc:
        message = _("户号%(number)s 的这次出工已经登记（请刷新后核对）", number=share.household_number)
        raise input_error(message) from exc
    return row


def add_spending(session: Session, site: Site, actor: Actor, project: Project, *, item: str, amount: Decimal,
                 on: dt.date, voucher_no: str = "") -> Spending:
    project = _collecting(session, project)
    if not item.strip():
        raise input_error(_("请填写支出事项"), "item")
    if amount <= 0:
        raise input_error(_("支出金额必须大于 0"), "amount")
    row = Spending(village_code=project.village_code, project_id=project.id, spent_on=on, item=item.strip(),  # type: ignore[arg-type]
                   amount=amount, voucher_no=voucher_no.strip())
    audit.create(session, actor, row, "yishi.spending.add")
    return row
