"""The burden list (每户负担) as published on the board."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from cunwu.api import Actor, Site, _, audit, mask
from cunwu.api import registry as queries

from ..models import (
    Project,
    Share,
)
from .common import NOTICE_CATEGORY, _require, current_shares, get_project, input_error, project_url


@dataclass(frozen=True)
class BurdenLine:
    share: Share
    head_name: str
    head_id_masked: str


def burden_list(session: Session, site: Site, project: Project) -> list[BurdenLine]:
    """The per-household list with the heads' resident IDs masked (it is posted publicly)."""
    mask_settings = site.settings("registry").mask
    lines = []
    for share in current_shares(session, project):
        head = queries.person(session, share.head_person_id) if share.head_person_id else None
        lines.append(BurdenLine(share, head.name if head else "", mask(head.resident_id if head else "",
                                                                        mask_settings)))
    return lines


def burden_columns() -> list[str]:
    return [_("户号"), _("户主"), _("身份证号"), _("筹资人数"), _("筹资金额（元）"), _("劳动力"),
            _("筹劳（标准工日）"), _("减免"), _("免除说明")]


def burden_rows(lines: Sequence[BurdenLine]) -> list[list[str]]:
    rows = []
    for line in lines:
        share = line.share
        reduction = ""
        if share.reduction_money or share.reduction_workdays:
            reduction = _("减 %(money)s 元、%(days)s 工日", money=share.reduction_money, days=share.reduction_workdays)
        rows.append([share.household_number, line.head_name, line.head_id_masked, str(share.money_persons),
                     str(share.money), str(share.labourers), str(share.workdays), reduction,
                     "；".join(share.exemptions)])
    return rows


def publish_burden_list(session: Session, site: Site, actor: Actor, project: Project) -> Any:
    """Post the per-household list (masked IDs) on the board once the county has filed the plan."""
    from cunwu.api import NoticeOrigin, NoticeTable, publish_notice

    project = get_project(session, project.village_code, project.id or 0, lock=True)
    _require(project, "filed")
    if project.burden_notice_id is not None:
        raise input_error(_("负担清单已经公示"))
    lines = burden_list(session, site, project)
    total_money = sum((line.share.money for line in lines), Decimal("0.00"))
    total_days = sum((line.share.workdays for line in lines), Decimal("0"))
    body = _("经村民会议（村民代表会议）表决通过、乡镇审核、县级备案，现将各户筹资筹劳负担公示如下。"
             "合计筹资 %(money)s 元，筹劳 %(days)s 个标准工日。如有异议请在公示期内提出。",
             money=total_money, days=total_days)
    notice = publish_notice(
        session, site, actor, village_code=project.village_code, stream="village", category=NOTICE_CATEGORY,
        title=_("一事一议筹资筹劳负担清单：%(title)s", title=project.title), body=body,
        origin=NoticeOrigin("yishi", str(project.id), project_url(project)),
        table=NoticeTable(burden_columns(), burden_rows(lines), caption=project.title),
    )
    audit.update(session, actor, project, {"burden_notice_id": notice.id}, "yishi.project.publish_burden")
    return notice
