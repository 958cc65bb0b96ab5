"""The village map's data part is kept per village, land version, day and language (plugins/land/mapview.py): it
must follow every land write and the date, never answer for another village, and equal a fresh drawing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from cunwu.api import frozen_clock, local_today
from cunwu.testing import site_client
from cunwu_plugins.land import mapview, services
from cunwu_plugins.land.services import PlotInput

from .conftest import CLERK, OTHER_VILLAGE, VILLAGE, contract, make_transfer

TODAY = dt.datetime(2026, 1, 10, 9, tzinfo=dt.UTC)
MAP = f"/v/{VILLAGE}/p/land/map"
TRANSFERRED, FREE, DISPUTED = "<td>已流转</td>", "<td>未承包</td>", "<td>有纠纷（冻结）</td>"


@pytest.fixture
def land_site(site_factory: Any) -> Any:
    return site_factory(enabled=["land"])


def _fresh(site: Any, village: str = VILLAGE) -> str:
    with site.db.read() as session:
        return str(mapview.draw(site, session, village, local_today()))


def test_the_map_follows_each_kind_of_write_and_the_date(land_site: Any) -> None:
    land = contract(land_site)
    with frozen_clock(TODAY), site_client(land_site) as client:
        first = client.get(MAP).text
        assert first.count("<td>承包经营</td>") == 2 and TRANSFERRED not in first and "地块 2 ·" in first
        ref = make_transfer(land_site, land, {land.plot_ids[0]: "5"})  # registered, not yet filed: not on the map
        with land_site.db.transaction() as session:
            services.file_transfer(session, land_site, CLERK, services.get_transfer(session, VILLAGE, ref))
        filed = client.get(MAP).text
        assert filed.count(TRANSFERRED) == 1 and "在流转 5.00 亩" in filed
        with land_site.db.transaction() as session:
            services.register_plot(session, land_site, CLERK, VILLAGE, PlotInput(
                code=land.plot_codes[0][:-5] + "99999", name="新开荒地", area_mu=Decimal("2")))
        added = client.get(MAP).text
        assert "新开荒地" in added and added.count(FREE) == 1 and "地块 3 ·" in added
        with land_site.db.transaction() as session:
            services.open_dispute(session, land_site, CLERK, services.get_plot(session, VILLAGE, land.plot_codes[1]),
                                  parties="王大、李二", subject="地界", opened_on=TODAY.date())
        disputed = client.get(MAP).text
        assert disputed.count(DISPUTED) == 1 and "有纠纷的地块 1" in disputed
    with frozen_clock(dt.datetime(2031, 1, 2, 9, tzinfo=dt.UTC)), site_client(land_site) as client:
        later = client.get(MAP).text  # the transfer ended on 2031-01-01: nothing written, only the day changed
        assert TRANSFERRED not in later and later.count("<td>承包经营</td>") == 1 and DISPUTED in later


def test_one_villages_map_never_shows_for_another(land_site: Any) -> None:
    ours, theirs = contract(land_site), contract(land_site, "李四", village=OTHER_VILLAGE)
    with site_client(land_site) as client:
        for _round in range(2):  # drawn, then from the cache
            mine = client.get(MAP).text
            other = client.get(f"/v/{OTHER_VILLAGE}/p/land/map").text
            assert all(code in mine and code not in other for code in ours.plot_codes)
            assert all(code in other and code not in mine for code in theirs.plot_codes)


def test_a_cached_map_is_the_fresh_one_to_the_byte(land_site: Any) -> None:
    contract(land_site)
    with frozen_clock(TODAY):
        fresh = _fresh(land_site)
        assert str(mapview.map_fragment(land_site, VILLAGE).html) == fresh  # drawn and kept
        assert mapview.map_fragment(land_site, VILLAGE) is mapview.map_fragment(land_site, VILLAGE)  # served kept
        assert str(mapview.map_fragment(land_site, VILLAGE).html) == fresh
        with site_client(land_site) as client:
            plain = client.get(MAP, headers={"Accept-Encoding": "identity"})
            packed = client.get(MAP, headers={"Accept-Encoding": "gzip"})
            english = client.get(MAP, headers={"Cookie": "cunwu_lang=en"}).text
    assert plain.status_code == packed.status_code == 200 and fresh in plain.text
    assert "content-encoding" not in plain.headers and packed.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["vary"] and "Accept-Encoding" in plain.headers["vary"]
    # the spliced gzip stream (page around it compressed now, the map part once) decodes to the same page
    assert len(packed.content) == len(plain.content) and packed.text == plain.text
    assert "<td>承包经营</td>" not in english and "地块 2 ·" not in english  # the language is in the key
