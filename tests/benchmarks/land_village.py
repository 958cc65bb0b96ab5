"""The land data the page rows `land_ledger` and `land_map` need: the first village of the benchmark county grown to
`MAP_PLOTS` plots (2,000), each with its polygon, about a third of them leased out (filed) and a few disputed.

The land demo (`cunwu_plugins.land.demo`) gives every village 12 households' contracts at every scale; issue #15's
map target is a village of 2,000 plots, so the county build adds the rest here, through the land services as a
clerk or an import would (an audit entry each), after `populate_demo`. The other villages keep the demo's transfers,
which is what the township ledger lists.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

MAP_PLOTS = 2000
COLUMNS = 50  # strips per row of fields: 2,000 plots make 40 rows, about 2.2 km × 10 km
ORIGIN = (115.829, 38.423)  # near 肃宁县城, CGCS2000 lon/lat (as the land demo)
NAMES = ("东大块", "西洼地", "南岗地", "北渠边", "坟前地", "井台地", "长条地", "河滩地")


def strip(index: int, area: Decimal) -> dict[str, Any]:
    """A rectangle of `area` 亩, 40 m wide, on a grid of `COLUMNS` strips a row, 260 m between rows."""
    metres = float(area) * 10000 / 15
    width, length = 40.0, metres / 40.0
    row, column = divmod(index, COLUMNS)
    lat_per_m, lon_per_m = 1 / 111_000, 1 / (111_000 * 0.7833)  # cos(38.42°)
    west, south = ORIGIN[0] + column * (width + 4) * lon_per_m, ORIGIN[1] + row * 260 * lat_per_m
    east, north = west + width * lon_per_m, south + length * lat_per_m
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [[[round(x, 7), round(y, 7)] for x, y in ring]]}


def grow(site: Any, village_code: str, *, plots: int = MAP_PLOTS, seed: int = 20261122,
         progress: Any = lambda *a, **k: None) -> int:
    """Give `village_code` `plots` plots in all (contracts for its households that have none, polygons for every
    plot); lease about a third of the new contracts' first plots and put a dispute on every 97th. Returns the plots
    added."""
    from sqlmodel import col, func, select

    from cunwu.api import Actor, local_today, registry
    from cunwu_plugins.land import geometry, services
    from cunwu_plugins.land.models import Contractor, Plot
    from cunwu_plugins.land.services import PlotInput, TransferInput

    rng = random.Random(seed)
    actor = Actor.system("bench")
    today = local_today()
    start = dt.date(today.year - 1, 3, 1)
    with site.db.transaction() as session:
        issuer = services.issuer_for(session, site, actor, village_code)
        have = session.exec(select(func.count()).select_from(Plot).where(Plot.village_code == village_code)).one()
        taken = {c for c in session.exec(select(Contractor.household_id).where(
            Contractor.village_code == village_code)).all()}
        homes = [h for h in registry.households(session, village_code) if h.household.id not in taken]
        villagers = registry.adults(session, village_code)
        wanted = plots - have
        if wanted <= 0 or not homes:
            return 0
        numbers = session.exec(select(Plot.code).where(Plot.issuer_id == issuer.id).order_by(col(Plot.code).desc())
                               ).first()
        number = int(numbers[-5:]) if numbers else 0
        per_home = -(-wanted // len(homes))
        added = 0
        for index, home in enumerate(homes):
            if added >= wanted:
                break
            contractor = services.register_contractor(session, site, actor, issuer, home.household.id)
            contract = services.register_contract(session, site, actor, contractor, code=contractor.code + "J",
                                                  start_on=dt.date(1998, 1, 1), end_on=dt.date(2028, 1, 1),
                                                  extended_to=dt.date(2058, 1, 1))
            made = []
            for _n in range(min(per_home, wanted - added)):
                number += 1
                area = Decimal(rng.randrange(8, 60)) / 10
                plot = services.register_plot(session, site, actor, village_code, PlotInput(
                    code=f"{issuer.code}{number:05d}", name=rng.choice(NAMES), area_mu=area,
                    land_type=rng.choice(("013", "013", "012", "011")), grade=rng.randrange(3, 9),
                    east="生产路", south="邻户承包地", west="村道", north="邻户承包地"), contract=contract)
                geometry.attach_polygon(session, site, actor, plot, strip(have + added, area))
                made.append(plot)
                added += 1
            if index % 3 == 0 and villagers:
                tenant = villagers[(index * 7) % len(villagers)]
                transfer = services.create_transfer(session, site, actor, village_code, TransferInput(
                    contract_id=contract.id, plots={made[0].id: made[0].area_mu}, form="lease",
                    transferee_kind="villager", transferee_name=tenant.name, transferee_person_id=tenant.id,
                    start_on=start, end_on=dt.date(start.year + rng.choice((3, 5, 8)), 3, 1),
                    rent_yuan_per_mu=Decimal(rng.choice((600, 700, 800))), facilities="无地上附着物",
                    breach="违约方赔偿对方损失"))
                services.file_transfer(session, site, actor, transfer)
            elif index % 97 == 5:
                services.open_dispute(session, site, actor, made[-1], parties="承包户与相邻户", subject="地界争议",
                                      opened_on=today)
            progress("land map village", added, wanted)
    return added
