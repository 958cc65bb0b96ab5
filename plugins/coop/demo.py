"""Demo co-operatives (after the register): in the first village a fruit-and-vegetable co-op with a full year of
member and non-member transactions, closed and posted; in the second a grain co-op that missed an annual report
(on the county's overdue list); a township-level machinery co-op registered this year; and the land shareholding
co-op (土地股份合作社) whose members are the first village's contracting households, so that the land plugin's demo
入股 transfer to it (credit code below) becomes a land operating-right contribution through the
`land_shares_contributed` hook. The site lists coop before land so this demo runs first (docs/coop.md, "Land 入股")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from cunwu.api import Actor, DemoContext, Site, local_today, registry

from . import services
from .services import Charter, NewMember, NewTrade

CLERK = Actor(user_id=None, username="clerk", display_name="东街村文书 张秀英")
CLERK2 = Actor(user_id=None, username="clerk2", display_name="西街村文书 刘长海")
TOWNSHIP = Actor(user_id=None, username="township", display_name="肃宁镇 赵志强")
PRODUCTS = [("苹果", "公斤", Decimal("3.60")), ("梨", "公斤", Decimal("2.80")), ("西红柿", "公斤", Decimal("2.10")),
            ("黄瓜", "公斤", Decimal("1.90"))]
#: The land plugin's demo transfers 入股 to this co-op (plugins/land/demo.py uses the same code and name).
LAND_COOP_CREDIT_CODE = "93130926MA0D1234XE"
LAND_COOP_NAME = "肃宁县丰泽土地股份合作社"
#: The land demo gives contracts to the first 12 households of each village; their heads join the land co-op.
LAND_COOP_HOUSEHOLDS = 12
BUYERS = ["沧州市果品批发市场", "肃宁县永辉超市", "河间市蔬菜配送中心"]


def _founders(session: Session, village_code: str, count: int, joined: dt.date) -> list[NewMember]:
    adults = registry.adults(session, village_code)
    return [NewMember("farmer", joined, person_id=p.id) for p in adults[:count]]


def _year_of_trades(demo: DemoContext, members: list[Any], year: int, trades_per_member: int) -> list[NewTrade]:
    rng = demo.rng
    rows = []
    for member in members:
        for _ in range(trades_per_member):
            product, unit, price = rng.choice(PRODUCTS)
            quantity = Decimal(rng.randint(50, 1500))
            day = dt.date(year, rng.randint(5, 11), rng.randint(1, 28))
            rows.append(NewTrade(product, quantity, (quantity * price).quantize(Decimal("0.01")), day,
                                 member_id=member.id, unit=unit))
    for _ in range(len(members) * 2):
        product, unit, price = rng.choice(PRODUCTS)
        quantity = Decimal(rng.randint(200, 3000))
        rows.append(NewTrade(product, quantity, (quantity * price * Decimal("1.15")).quantize(Decimal("0.01")),
                             dt.date(year, rng.randint(5, 11), rng.randint(1, 28)), counterparty=rng.choice(BUYERS),
                             unit=unit))
    return rows


def build(session: Session, site: Site, demo: DemoContext) -> None:
    villages = [v.code for v in site.config.villages]
    today = local_today()
    last = today.year - 1
    registered = dt.date(last - 2, 3, 18)
    fruit = services.create_cooperative(
        session, site, CLERK, village_code=villages[0], name="肃宁县东街果蔬种植专业合作社",
        credit_code="93130926MA07UKNJ53", registered_on=registered, business_scope="组织成员种植、收购、销售果蔬",
        charter=Charter(reserve_percent=10, patronage_percent=70, additional_votes_percent=10))
    members = services.add_members(session, site, CLERK, fruit, _founders(session, villages[0], 18, registered))
    for index, member in enumerate(members):
        services.add_contribution(session, site, CLERK, fruit, member, kind="money",
                                  amount=Decimal(2000 + 500 * (index % 5)), contributed_on=registered)
    services.add_contribution(session, site, CLERK, fruit, members[0], kind="in_kind", amount=Decimal("18500.00"),
                              contributed_on=registered, description="冷藏库一座（评估作价）")
    services.add_trades(session, site, CLERK, fruit, _year_of_trades(demo, members, last, 20))
    turnover = services.turnover(session, fruit, last)
    services.close_year(session, site, CLERK, fruit, last,
                        surplus=(turnover.members * Decimal("0.06")).quantize(Decimal("0.01")),
                        losses_made_good=Decimal("1200.00"), subsidy_assets=Decimal("30000.00"))
    for year in range(registered.year, last + 1):
        services.record_annual_report(session, site, CLERK, fruit, year, dt.date(year + 1, 5, 20))
    services.hold_assembly(session, site, CLERK, fruit, held_on=dt.date(today.year, 1, 15),
                           title=f"{last} 年度成员大会", present=[m.id for m in members[:14]])
    demo.progress("coop", 1)
    if len(villages) > 1:
        grain = services.create_cooperative(
            session, site, CLERK2, village_code=villages[1], name="肃宁县西街粮食种植专业合作社",
            credit_code="93130926MA0A3JY02B", registered_on=dt.date(last - 1, 4, 2),
            business_scope="小麦、玉米种植及销售", charter=Charter(reserve_percent=5, patronage_percent=60))
        services.add_members(session, site, CLERK2, grain, _founders(session, villages[1], 7, grain.registered_on))
        if today >= dt.date(today.year, 4, 9):  # last year's report is in; the one before is missing (overdue)
            services.record_annual_report(session, site, CLERK2, grain, last, dt.date(today.year, 4, 9))
    if len(villages) > 2:
        machinery = services.create_cooperative(
            session, site, TOWNSHIP, village_code=villages[2], level="township", name="梁家村镇农机专业合作社",
            credit_code="93130926MA0CXXK09G", registered_on=dt.date(today.year, 2, 1),
            business_scope="农机作业服务", charter=Charter(reserve_percent=10, patronage_percent=60))
        services.add_members(session, site, TOWNSHIP, machinery,
                             _founders(session, villages[2], 6, machinery.registered_on))
    _land_coop(session, site, villages[0], today)


def _land_coop(session: Session, site: Site, village_code: str, today: dt.date) -> None:
    """The 土地股份合作社 of the first village: the heads (承包方代表) of its contracting households are members, so a
    later 入股 transfer from one of them is recorded as that member's land contribution."""
    heads = [h.head for h in registry.households(session, village_code)[:LAND_COOP_HOUSEHOLDS] if h.head is not None]
    if len(heads) < 5:  # a co-op needs five members (rules.MIN_MEMBERS); a tiny demo has no land co-op
        return
    registered = dt.date(today.year - 4, 11, 6)
    land = services.create_cooperative(
        session, site, CLERK, village_code=village_code, name=LAND_COOP_NAME, credit_code=LAND_COOP_CREDIT_CODE,
        registered_on=registered, business_scope="成员以土地经营权入股，统一种植经营粮食作物",
        charter=Charter(reserve_percent=10, patronage_percent=60))
    services.add_members(session, site, CLERK, land, [NewMember("farmer", registered, person_id=p.id) for p in heads])
    for year in range(registered.year, today.year - 1):
        services.record_annual_report(session, site, CLERK, land, year, dt.date(year + 1, 4, 20))
    if today >= dt.date(today.year, 4, 20):
        services.record_annual_report(session, site, CLERK, land, today.year - 1, dt.date(today.year, 4, 20))
