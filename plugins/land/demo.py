"""Demo data: contracts and plots for households of every village (second-round contracts 1998–2028 extended to
2058), polygons for the first village's plots laid out as strips along its fields, and transfers in every state —
leases filed with rent due and partly paid, an 入股 to a co-operative, an outsider's transfer in its priority
posting, and a disputed plot. Everything goes through the services, as a clerk would do it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from cunwu.api import Actor, DemoContext, Site, local_today, registry

from . import geometry, services
from .services import PlotInput, TransferInput

#: A 统一社会信用代码 with a valid check digit (the demo county's land co-operative).
COOP_CREDIT_CODE = "93130926MA0D1234XE"
COOP_NAME = "肃宁县丰泽土地股份合作社"
PLOT_NAMES = ("东大块", "西洼地", "南岗地", "北渠边", "坟前地", "井台地", "长条地", "河滩地")
#: The first village's fields start here (near 肃宁县城, CGCS2000 lon/lat).
ORIGIN = (115.829, 38.423)


def _strip(index: int, area: Decimal) -> dict[str, Any]:
    """A rectangle of `area` 亩, 40 m wide, placed on a grid of strips (10 strips per row of fields)."""
    metres = float(area) * 10000 / 15
    width, length = 40.0, metres / 40.0
    row, column = divmod(index, 10)
    lat_per_m = 1 / 111_000
    lon_per_m = 1 / (111_000 * 0.7833)  # cos(38.42°)
    west = ORIGIN[0] + column * (width + 4) * lon_per_m
    south = ORIGIN[1] + row * 260 * lat_per_m
    east, north = west + width * lon_per_m, south + length * lat_per_m
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [[[round(x, 7), round(y, 7)] for x, y in ring]]}


def build(session: Session, site: Site, demo: DemoContext) -> None:
    actor = Actor.system("demo")
    today = local_today()
    per_village = 12  # at county scale too: every write here goes through the services, one audit entry each
    for index, village in enumerate(site.config.villages):
        homes = sorted(registry.household_numbers(session, village.code).items())[:per_village]  # by number
        if not homes:
            continue
        issuer = services.issuer_for(session, site, actor, village.code)
        contracts = []
        plot_number = 0
        for _number, household_id in homes:
            contractor = services.register_contractor(session, site, actor, issuer, household_id)
            contract = services.register_contract(session, site, actor, contractor, code=contractor.code + "J",
                                                  start_on=dt.date(1998, 1, 1), end_on=dt.date(2028, 1, 1),
                                                  extended_to=dt.date(2058, 1, 1))
            plots = []
            for _n in range(demo.rng.randrange(2, 4)):
                plot_number += 1
                area = Decimal(demo.rng.randrange(8, 60)) / 10
                plot = services.register_plot(session, site, actor, village.code, PlotInput(
                    code=f"{issuer.code}{plot_number:05d}", name=demo.rng.choice(PLOT_NAMES), area_mu=area,
                    land_type=demo.rng.choice(("013", "013", "012", "011")), grade=demo.rng.randrange(3, 9),
                    east=demo.rng.choice(("生产路", "排水渠", "邻户承包地")), south="邻户承包地",
                    west=demo.rng.choice(("村道", "林带", "邻户承包地")), north="邻户承包地"), contract=contract)
                if index == 0:
                    geometry.attach_polygon(session, site, actor, plot, _strip(plot_number - 1, area))
                plots.append(plot)
            contracts.append((contract, plots))
        _transfers(session, site, actor, village.code, contracts, today, demo)


def _transfers(session: Session, site: Site, actor: Actor, village_code: str, contracts: list[Any], today: dt.date,
               demo: DemoContext) -> None:
    """About a third of the contracts lease land out; one joins the co-operative; one waits in posting."""
    start = dt.date(today.year - 1, 3, 1)
    villagers = registry.adults(session, village_code)
    for number, (contract, plots) in enumerate(contracts):
        plot = plots[0]
        if number % 3 == 0 and villagers:
            tenant = villagers[(number * 7) % len(villagers)]
            transfer = services.create_transfer(session, site, actor, village_code, TransferInput(
                contract_id=contract.id, plots={plot.id: plot.area_mu}, form="lease", transferee_kind="villager",
                transferee_name=tenant.name, transferee_person_id=tenant.id, start_on=start,
                end_on=dt.date(start.year + demo.rng.choice((3, 5, 8)), 3, 1),
                rent_yuan_per_mu=Decimal(demo.rng.choice((600, 700, 800))),
                facilities="无地上附着物", breach="违约方赔偿对方损失"))
            services.file_transfer(session, site, actor, transfer)
            for item in services.rent_of(session, transfer):
                if item.due_on <= today and demo.rng.random() < 0.8:
                    services.record_payment(session, site, actor, item, item.amount, item.due_on)
        elif number == 1:
            transfer = services.create_transfer(session, site, actor, village_code, TransferInput(
                contract_id=contract.id, plots={p.id: p.area_mu for p in plots}, form="shares",
                transferee_kind="organisation", transferee_name=COOP_NAME, transferee_credit_code=COOP_CREDIT_CODE,
                start_on=start, end_on=dt.date(2038, 3, 1), rent_yuan_per_mu=Decimal("650"),
                value=Decimal(20000), facilities="合作社修建的机井归合作社所有，到期后按评估价补偿",
                breach="违约方赔偿对方损失"))
            services.file_transfer(session, site, actor, transfer)
        elif number == 2:
            transfer = services.create_transfer(session, site, actor, village_code, TransferInput(
                contract_id=contract.id, plots={plot.id: plot.area_mu}, form="lease", transferee_kind="outsider",
                transferee_name="河间市种粮大户张某", start_on=dt.date(today.year + 1, 1, 1),
                end_on=dt.date(today.year + 6, 1, 1), rent_yuan_per_mu=Decimal("820")))
            services.post_for_priority(session, site, actor, transfer)
        elif number == 4:
            services.open_dispute(session, site, actor, plot, parties="承包户与相邻户",
                                  subject="地界争议：相邻户称东侧地界向东偏移约一米", opened_on=today)
