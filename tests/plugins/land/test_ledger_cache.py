"""The township ledger's data part is kept per village set, land version, day and language
(plugins/land/ledgerview.py): it must follow a write in any of the official's villages and the date, never answer
for another township, and equal a fresh drawing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cunwu.api import frozen_clock, local_today
from cunwu.testing import login, site_client
from cunwu_plugins.land import ledgerview, services

from .conftest import OTHER_VILLAGE, TOWNSHIP, VILLAGE, contract, transfer_input

TODAY = dt.datetime(2026, 1, 10, 9, tzinfo=dt.UTC)
ELSEWHERE = "130926101201"  # 梁家村, in another township
NONE_YET = "所辖村还没有备案生效的流转"


@pytest.fixture
def land_site(site_factory: Any) -> Any:
    return site_factory(enabled=["land"])


def _filed(site: Any, land: Any, village: str, area: str, **overrides: Any) -> str:
    """A transfer created and filed in `village`; returns its link (references repeat across villages)."""
    system = services.Actor.system("t")
    with site.db.transaction() as session:
        ref = services.create_transfer(session, site, system, village,
                                       transfer_input(land, {land.plot_ids[0]: area}, **overrides)).ref
    with site.db.transaction() as session:
        services.file_transfer(session, site, system, services.get_transfer(session, village, ref))
    return f'href="/v/{village}/p/land/transfers/{ref}"'


def test_the_ledger_follows_a_write_in_any_of_its_villages_and_the_date(land_site: Any) -> None:
    here, there = contract(land_site), contract(land_site, "李四", village=OTHER_VILLAGE)
    away = contract(land_site, "赵六", village=ELSEWHERE)
    with frozen_clock(TODAY), site_client(land_site) as client:
        login(client, land_site, "town", role="township_official", scope=TOWNSHIP)
        empty = client.get("/p/land/").text
        assert NONE_YET in empty
        far = _filed(land_site, away, ELSEWHERE, "1.5")  # another township's write: this ledger does not show it
        assert client.get("/p/land/").text == empty
        short = _filed(land_site, there, OTHER_VILLAGE, "3", end_on=dt.date(2026, 3, 1))
        one = client.get("/p/land/").text
        assert short in one and NONE_YET not in one and ">3.00<" in one
        long = _filed(land_site, here, VILLAGE, "2.5")
        both = client.get("/p/land/").text
        assert short in both and long in both and ">2.50<" in both and far not in both
    with frozen_clock(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)), site_client(land_site) as client:
        login(client, land_site, "town", create=False)
        later = client.get("/p/land/").text  # the short transfer ended on 2026-03-01: only the day changed
        assert long in later and short not in later


def test_one_townships_ledger_never_shows_for_another(land_site: Any) -> None:
    here, away = contract(land_site), contract(land_site, "赵六", village=ELSEWHERE)
    with frozen_clock(TODAY):
        ours, theirs = _filed(land_site, here, VILLAGE, "2"), _filed(land_site, away, ELSEWHERE, "1")
        with site_client(land_site) as town, site_client(land_site) as other:
            login(town, land_site, "town", role="township_official", scope=TOWNSHIP)
            login(other, land_site, "liang", role="township_official", scope=ELSEWHERE[:9])
            for _round in range(2):  # drawn, then from the cache
                mine, yours = town.get("/p/land/").text, other.get("/p/land/").text
                assert ours in mine and theirs not in mine and "梁家村" not in mine
                assert theirs in yours and ours not in yours and "东街村" not in yours


def test_a_cached_ledger_is_the_fresh_one_to_the_byte(land_site: Any) -> None:
    link = _filed(land_site, contract(land_site), VILLAGE, "2")
    codes = [VILLAGE, OTHER_VILLAGE]
    with frozen_clock(TODAY):
        with land_site.db.read() as session:
            fresh = str(ledgerview.draw(land_site, session, codes, local_today()))
        assert link in fresh and str(ledgerview.ledger_fragment(land_site, codes).html) == fresh  # drawn and kept
        assert ledgerview.ledger_fragment(land_site, codes) is ledgerview.ledger_fragment(land_site, codes)
        with site_client(land_site) as client:
            login(client, land_site, "town", role="township_official", scope=TOWNSHIP)
            plain = client.get("/p/land/", headers={"Accept-Encoding": "identity"})
            packed = client.get("/p/land/", headers={"Accept-Encoding": "gzip"})
            client.cookies.set("cunwu_lang", "en")
            english = client.get("/p/land/").text
    assert plain.status_code == packed.status_code == 200 and fresh in plain.text
    assert "content-encoding" not in plain.headers and packed.headers["content-encoding"] == "gzip"
    assert len(packed.content) == len(plain.content) and packed.text == plain.text  # the spliced stream decodes
    assert link in english and "按乡镇汇总" not in english  # the language is in the key
