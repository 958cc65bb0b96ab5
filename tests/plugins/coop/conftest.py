"""Co-op test helpers: register persons, a co-op with a founding roll, and the actors of each role."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from cunwu.accounts.actor import Actor, Grant
from cunwu.registry.models import Person
from cunwu.runtime import Site
from cunwu.testing import Member, RegisterBuilder
from cunwu_plugins.coop import services
from cunwu_plugins.coop.services import Charter, NewMember, NewTrade

VILLAGE = "130926100201"
OTHER_VILLAGE = "130926100202"
TOWNSHIP = VILLAGE[:9]
CREDIT_CODES = ["91110000600037341L", "91130926MA0CXXK09N", "93130926MA07UKNJ53", "93130926MA0A3JY02B"]
_sequence = itertools.count(1)

CLERK = Actor(user_id=None, username="clerk", display_name="文书", grants=(Grant("clerk", "village", VILLAGE),))
TOWNSHIP_OFFICIAL = Actor(user_id=None, username="town", display_name="乡镇干部",
                          grants=(Grant("township_official", "township", TOWNSHIP),))


def person(session: Session, site: Site, name: str | None = None, village: str = VILLAGE) -> Person:
    """One register person (not in a household), written by the test kit's register builder."""
    n = next(_sequence)
    return RegisterBuilder(session, site, village=village, actor=CLERK).person(
        Member(name or f"社员{n}", born=dt.date(1970, 1, 1) + dt.timedelta(days=n * 37)))


def make_coop(site: Any, *, farmers: int = 5, organisations: int = 0, credit_code: str = CREDIT_CODES[0],
              registered_on: dt.date = dt.date(2023, 3, 1), patronage: int = 60, reserve: int = 10,
              additional_votes: int = 0, village: str = VILLAGE) -> tuple[int, list[int]]:
    """A co-op with `farmers` farmer members (and organisations) who joined on the registration day."""
    with site.db.transaction() as session:
        coop = services.create_cooperative(
            session, site, CLERK if village == VILLAGE else TOWNSHIP_OFFICIAL, village_code=village,
            name=f"测试{next(_sequence)}农民专业合作社", credit_code=credit_code, registered_on=registered_on,
            charter=Charter(reserve_percent=reserve, patronage_percent=patronage,
                            additional_votes_percent=additional_votes))
        entries = [NewMember("farmer", registered_on, person_id=person(session, site, village=village).id)
                   for _ in range(farmers)]
        entries += [NewMember("organisation", registered_on, name=f"单位{i}", credit_code=CREDIT_CODES[-1 - i])
                    for i in range(organisations)]
        members = services.add_members(session, site, CLERK, coop, entries)
        return int(coop.id), [int(m.id) for m in members]  # type: ignore[arg-type]


def trade(site: Any, coop_id: int, member_id: int | None, amount: str, day: dt.date, quantity: str = "100",
          counterparty: str = "") -> None:
    with site.db.transaction() as session:
        coop = services.get_cooperative(session, coop_id)
        services.add_trades(session, site, CLERK, coop, [NewTrade("玉米", Decimal(quantity), Decimal(amount), day,
                                                                  member_id=member_id, counterparty=counterparty,
                                                                  unit="公斤")])


def contribute(site: Any, coop_id: int, member_id: int, amount: str, day: dt.date, kind: str = "money") -> None:
    with site.db.transaction() as session:
        coop = services.get_cooperative(session, coop_id)
        member = services.get_member(session, coop, member_id)
        services.add_contribution(session, site, CLERK, coop, member, kind=kind, amount=Decimal(amount),
                                  contributed_on=day, description="农机一台" if kind == "in_kind" else "")
