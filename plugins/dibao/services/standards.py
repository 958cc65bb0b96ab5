"""The county's 低保 standards (monthly amounts per area and kind), dated."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlmodel import Session, col, select

from cunwu.api import Actor, Problem, Site, _, audit

from .. import amounts
from ..models import (
    Standard,
)
from .common import DibaoError, area_of


def set_standard(session: Session, site: Site, actor: Actor, *, kind: str, monthly_amount: Decimal,
                 effective_from: dt.date, note: str = "", area: str | None = None) -> Standard:
    """Add a standard; the history is kept (a standard is never edited, a new one supersedes it)."""
    area = area or area_of(site)
    if kind not in amounts.KINDS:
        raise DibaoError(_("标准类型必须是农村或城市"), [Problem(_("请选择类型"), field="kind")])
    if monthly_amount <= 0:
        raise DibaoError(_("低保标准必须大于 0"), [Problem(_("请填写标准"), field="monthly_amount")])
    clash = session.exec(select(Standard).where(Standard.area == area, Standard.kind == kind,
                                                Standard.effective_from == effective_from)).first()
    if clash is not None:
        raise DibaoError(_("%(date)s 起的标准已经设定为 %(amount)s 元", date=effective_from,
                           amount=clash.monthly_amount), [Problem(_("这一天已有标准"), field="effective_from")])
    standard = Standard(area=area, kind=kind, monthly_amount=monthly_amount, effective_from=effective_from,
                        note=note.strip()[:200], set_by=actor.label)
    audit.create(session, actor, standard, "dibao.standard.set")
    return standard


def standards(session: Session, site: Site) -> list[Standard]:
    """The site's standards, newest first."""
    return list(session.exec(select(Standard).where(Standard.area == area_of(site))
                             .order_by(col(Standard.effective_from).desc(), col(Standard.kind))).all())


def standard_history(session: Session, site: Site) -> list[amounts.StandardPeriod]:
    """The site's standards as the calculation core takes them (columns only: every monthly run reads them)."""
    table = Standard.__table__.c  # type: ignore[attr-defined]
    rows = session.execute(select(table.effective_from, table.monthly_amount, table.area, table.kind)
                           .where(table.area == area_of(site)))
    return [amounts.StandardPeriod(*row) for row in rows]


def standard_for(session: Session, site: Site, month: dt.date, kind: str) -> Decimal:
    """The standard in force in `month` (raises `DibaoError` when none is)."""
    try:
        return amounts.standard_for(month, standard_history(session, site), area_of(site), kind)
    except amounts.NoStandardInForce as exc:
        raise DibaoError(str(exc)) from exc
