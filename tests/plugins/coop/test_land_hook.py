"""The coop side of the land plugin's `land_shares_contributed` hook (contract: docs/coop.md, "Land 入股"),
tested directly and through a site with an inline stand-in that declares the same spec, and without land."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlmodel import select

from cunwu.api import Manifest, hookimpl, hookspec
from cunwu.registry import services as registry
from cunwu.registry.models import Person
from cunwu_plugins.coop import land_shares_contributed
from cunwu_plugins.coop.models import Contribution, Member

from .conftest import CLERK, CREDIT_CODES, VILLAGE, make_coop, person


class _LandSpecs:
    @staticmethod
    @hookspec
    def land_shares_contributed(session: Any, site: Any, actor: Any, contribution: dict) -> Any:
        """Stand-in for plugins/land/hookspecs.py."""


class _LandStandIn:
    hookspecs = _LandSpecs

    @hookimpl
    def manifest(self) -> Manifest:
        return Manifest(name="land", title_zh="土地（替身）", title_en="Land (stand-in)", version="1.0.0")


def _contribution(household_id: int, person_id: int | None, value: str | None, transfer_id: int = 7,
                  credit_code: str = CREDIT_CODES[0]) -> dict[str, Any]:
    return {"transfer_id": transfer_id, "transfer_ref": f"LZ-2024-{transfer_id:04d}", "village_code": VILLAGE,
            "household_id": household_id, "person_id": person_id, "transferee_credit_code": credit_code,
            "transferee_name": "测试社", "area_mu": Decimal("3.25"), "plot_codes": ["1309261002010100001"],
            "start": dt.date(2024, 3, 1), "end": dt.date(2034, 2, 28),
            "value": Decimal(value) if value is not None else None}


def _household(site: Any, head_id: int) -> tuple[int, int]:
    """A household headed by the member's person, with a spouse who is not a member."""
    with site.db.transaction() as session:
        found = session.get(Person, head_id)
        home = registry.create_household(session, site, CLERK, village_code=VILLAGE, number="H9001", head=found,
                                         created_on=dt.date(2020, 1, 1))
        spouse = person(session, site, "配偶")
        registry.add_member(session, site, CLERK, home, spouse, "spouse", dt.date(2020, 1, 1))
        return int(home.id), int(spouse.id)


def _member_person(site: Any, member_id: int) -> int:
    with site.db.read() as session:
        return int(session.get(Member, member_id).person_id)


def test_hook_through_a_site_with_a_stand_in_land_plugin(site_factory):
    site = site_factory(enabled=["land", "coop"], available={"land": _LandStandIn()})
    _coop_id, members = make_coop(site)
    head = _member_person(site, members[0])
    household_id, _spouse = _household(site, head)
    with site.db.transaction() as session:
        notes = site.call("land_shares_contributed", session=session, site=site, actor=CLERK,
                          contribution=_contribution(household_id, head, "12000.50"))
    assert len(notes) == 1 and "12,000.50 元" in notes[0] and "3.25 亩" in notes[0]
    with site.db.read() as session:
        rows = session.exec(select(Contribution)).all()
    assert [(r.kind, r.amount, r.member_id, r.source_ref) for r in rows] == [
        ("land", Decimal("12000.50"), members[0], "land:7")]
    # the same transfer again records nothing new
    with site.db.transaction() as session:
        again = site.call("land_shares_contributed", session=session, site=site, actor=CLERK,
                          contribution=_contribution(household_id, head, "12000.50"))
    assert "已登记过" in again[0]


def test_hook_finds_the_household_member_and_marks_unvalued_land(site_factory):
    site = site_factory(enabled=["coop"])
    _coop_id, members = make_coop(site)
    head = _member_person(site, members[1])
    household_id, spouse = _household(site, head)
    with site.db.transaction() as session:
        # the representative named is the spouse (not a member): the household's member is found instead
        note = land_shares_contributed(session=session, site=site, actor=CLERK,
                                       contribution=_contribution(household_id, spouse, None, transfer_id=8))
    assert "作价待评估" in note[0]
    with site.db.read() as session:
        row = session.exec(select(Contribution)).one()
    assert (row.member_id, row.amount, row.pending_valuation) == (members[1], Decimal("0.00"), True)
    assert "待评估" in row.description


def test_hook_without_a_matching_member_or_coop_records_nothing(site_factory):
    site = site_factory(enabled=["coop"])
    make_coop(site)
    with site.db.transaction() as session:
        outsider = person(session, site)
        home = registry.create_household(session, site, CLERK, village_code=VILLAGE, number="H9002", head=outsider,
                                         created_on=dt.date(2020, 1, 1))
        no_member = land_shares_contributed(session=session, site=site, actor=CLERK,
                                            contribution=_contribution(int(home.id), int(outsider.id), "100"))
        no_coop = land_shares_contributed(session=session, site=site, actor=CLERK,
                                          contribution=_contribution(int(home.id), int(outsider.id), "100",
                                                                     credit_code=CREDIT_CODES[2]))
    assert "没有该承包户的成员" in no_member[0] and "流转照常有效" in no_member[0]
    assert "不是本县登记的合作社" in no_coop[0]
    with site.db.read() as session:
        assert session.exec(select(Contribution)).all() == []


def test_site_starts_without_land(site_factory):
    site = site_factory(enabled=["coop"])
    assert site.is_enabled("coop") and not site.is_enabled("land")
    assert site.plugins.hook.land_shares_contributed.spec is None
