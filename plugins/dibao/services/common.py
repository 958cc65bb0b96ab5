"""What every stage of a 低保 case shares: `DibaoError`, the settings, labels and parsing of money and months."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from cunwu.api import DomainError, Site, _, forms

from ..models import (
    Case,
)
from ..settings import DibaoSettings

PLUGIN = "dibao"


#: Severe disability (重度残疾) = disability grade 1 or 2 on the register.
SEVERE_GRADES = (1, 2)


class DibaoError(DomainError):
    """A 低保 rule refused the change; nothing was written."""



def settings_of(site: Site) -> DibaoSettings:
    return site.settings(PLUGIN)  # type: ignore[no-any-return]


def area_of(site: Site) -> str:
    """The area the site's standards are set for (the county unless the settings name another)."""
    return settings_of(site).standard_area or site.config.division_code


def parse_money(value: Any, field: str) -> Decimal:
    """A yuan amount typed by a person: exact, not negative, at most to the fen."""
    return forms.money(value, field, _("金额")).quantize(Decimal("0.01"))  # type: ignore[no-any-return]


def parse_month(value: str) -> dt.date:
    """"2026-03" → 2026-03-01."""
    try:
        year, month = value.strip().split("-")[:2]
        return dt.date(int(year), int(month), 1)
    except (ValueError, TypeError) as exc:
        raise DibaoError(_("月份格式应为 YYYY-MM：%(value)s", value=value)) from exc


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from `start`'s month to `end`'s month."""
    return (end.year - start.year) * 12 + end.month - start.month


def _require(case: Case, *statuses: str) -> None:
    if case.status not in statuses:
        raise DibaoError(_("案件当前状态为“%(status)s”，不能进行这一步", status=status_label(case.status)))


def status_label(status: str) -> str:
    return {
        "applied": _("已受理，调查核实中"), "proposed": _("乡镇审核通过，待公示"), "posting": _("公示中"),
        "democratic_review": _("民主评议中"), "enrolled": _("已纳入保障"), "refused": _("不予确认"),
        "stopped": _("已停保"), "withdrawn": _("已撤回"),
    }.get(status, status)


def review_category_label(category: str) -> str:
    """The family category in words (a site may add its own categories; those show as the site named them)."""
    return {"stable": _("收入稳定家庭"), "unstable": _("收入不稳定或有劳动能力的家庭")}.get(category, category)


def income_kind_label(kind: str) -> str:
    return {"wages": _("工资性收入"), "farming": _("家庭经营（种养殖）收入"), "pension": _("养老金"),
            "transfer": _("转移性收入"), "other": _("其他收入")}.get(kind, kind)
