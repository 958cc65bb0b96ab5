"""The register dates changes by the China calendar day, not the server's: on a UTC server at 01:00 in Shanghai
(17:00 UTC the day before) a new member's start date and the household's founding date are the Shanghai date."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from freezegun import freeze_time
from sqlmodel import select

from cunwu.registry.models import Household, Membership
from cunwu.registry.resident_id import generate_resident_id
from cunwu.testing import login, site_client

from .conftest import VILLAGE

SHANGHAI_DAY = dt.date(2026, 3, 2)
UTC_MOMENT = "2026-03-01 17:00:00"  # 01:00 on 2 March in Shanghai, still 1 March on a UTC server clock


def test_register_change_at_one_in_the_morning_is_dated_by_the_shanghai_day(site: Any) -> None:
    number = generate_resident_id("130926", dt.date(1985, 7, 9), 31)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        with freeze_time(UTC_MOMENT, tz_offset=0, tick=True):
            made = client.post(f"/v/{VILLAGE}/registry/persons/new",
                               data={"name": "刘志强", "resident_id": number, "sex": "男",
                                     "household_number": "0077", "relation": "head"}, follow_redirects=False)
            assert made.status_code == 303
            page = client.get(made.headers["location"])
            household_id = re.search(r"/households/(\d+)\">户号 0077", page.text).group(1)
            shown = client.get(f"/v/{VILLAGE}/registry/households/{household_id}").text
    with site.db.read() as session:
        home = session.exec(select(Household).where(Household.number == "0077")).one()
        member = session.exec(select(Membership).where(Membership.household_id == home.id)).one()
    assert (home.created_on, member.start_date) == (SHANGHAI_DAY, SHANGHAI_DAY)
    assert "2026-03-02" in shown and "2026-03-01" not in shown
