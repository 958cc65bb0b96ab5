"""Land test helpers: households in the register, a contract with plots, and the actors of each role.

东街村 (130926100201) gets households with contracts from the village collective (发包方 13092610020100): each
contract (second round 1998-01-01 to 2028-01-01, extended to 2058-01-01 for the first) holds plots of 5 亩 and 3 亩.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlmodel import Session

from cunwu.accounts.actor import Actor, Grant
from cunwu.registry.models import Household, Person
from cunwu.runtime import Site
from cunwu.testing import Member, RegisterBuilder
from cunwu_plugins.land import services
from cunwu_plugins.land.services import PlotInput, TransferInput

VILLAGE = "130926100201"
OTHER_VILLAGE = "130926100202"
TOWNSHIP = VILLAGE[:9]
_sequence = itertools.count(1)

CLERK = Actor(user_id=None, username="clerk", display_name="文书", grants=(Grant("clerk", "village", VILLAGE),))
TOWNSHIP_OFFICIAL = Actor(user_id=None, username="town", display_name="乡镇干部",
                          grants=(Grant("township_official", "township", TOWNSHIP),))


def valid_credit_code() -> str:
    """A 统一社会信用代码 with a correct check digit (python-stdnum computes it)."""
    from stdnum.cn import uscc

    base = "91130926MA0CXXXX1"
    return base + uscc.calc_check_digit(base)


CREDIT_CODE = valid_credit_code()


def person(session: Session, site: Site, name: str, village: str = VILLAGE) -> Person:
    """One register person (not in a household), written by the test kit's register builder."""
    born = dt.date(1970, 1, 1) + dt.timedelta(days=next(_sequence))
    return RegisterBuilder(session, site, village=village, actor=CLERK).person(Member(name, born=born))


def household(session: Session, site: Site, name: str, village: str = VILLAGE) -> tuple[Household, Person]:
    """A one-person household headed by `name`, written by the test kit's register builder."""
    born = dt.date(1970, 1, 1) + dt.timedelta(days=next(_sequence))
    built = RegisterBuilder(session, site, village=village, actor=CLERK).household(
        f"H{next(_sequence):05d}", [Member(name, born=born)], created_on=dt.date(2000, 1, 1))
    return built.household, built.head


def contract(site: Any, name: str = "王大", *, village: str = VILLAGE, areas: tuple[str, ...] = ("5", "3"),
             extended: bool = True) -> SimpleNamespace:
    """A household with a contract and plots; returns ids and codes."""
    with site.db.transaction() as session:
        home, head = household(session, site, name, village)
        issuer = services.issuer_for(session, site, CLERK, village)
        contractor = services.register_contractor(session, site, CLERK, issuer, home.id)
        made = services.register_contract(
            session, site, CLERK, contractor, code=contractor.code + "J", start_on=dt.date(1998, 1, 1),
            end_on=dt.date(2028, 1, 1), extended_to=dt.date(2058, 1, 1) if extended else None)
        plots = []
        for area in areas:
            number = next(_sequence)
            plots.append(services.register_plot(session, site, CLERK, village, PlotInput(
                code=f"{issuer.code}{number:05d}", name=f"地块{number}", area_mu=Decimal(area),
                east="路", south="渠", west="张家", north="李家"), contract=made))
        return SimpleNamespace(household_id=home.id, person_id=head.id, contractor_id=contractor.id,
                               contract_id=made.id, plot_ids=[p.id for p in plots], plot_codes=[p.code for p in plots],
                               code=made.code)


def transfer_input(land: Any, areas: dict[int, str] | None = None, **overrides: Any) -> TransferInput:
    values: dict[str, Any] = dict(
        contract_id=land.contract_id, plots={pid: Decimal(a) for pid, a in (areas or {land.plot_ids[0]: "5"}).items()},
        form="lease", transferee_kind="organisation", transferee_name="肃宁县丰收农民专业合作社",
        transferee_credit_code=CREDIT_CODE, start_on=dt.date(2026, 1, 1), end_on=dt.date(2031, 1, 1),
        rent_yuan_per_mu=Decimal("800"))
    values.update(overrides)
    return TransferInput(**values)


def make_transfer(site: Any, land: Any, areas: dict[int, str] | None = None, **overrides: Any) -> str:
    with site.db.transaction() as session:
        return services.create_transfer(session, site, CLERK, VILLAGE, transfer_input(land, areas, **overrides)).ref
