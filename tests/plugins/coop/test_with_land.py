"""Land and coop on one site: an 入股 (shareholding) transfer filed in the land plugin becomes the contractor's land
operating-right contribution in the co-op (docs/domain.md §6 and §7; the hook contract is in docs/coop.md,
"Land 入股"). Built with the real services of both plugins and the test kit's register builder, on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from sqlmodel import select

from cunwu.api import Actor, frozen_clock
from cunwu.audit.models import AuditEntry
from cunwu.audit.services import verify_chain
from cunwu.demo import populate_demo
from cunwu.testing import Member as Person
from cunwu.testing import build_register, login, site_client
from cunwu_plugins.coop import services as coop
from cunwu_plugins.coop.models import Contribution, Cooperative
from cunwu_plugins.coop.services import Charter, NewMember
from cunwu_plugins.land import services as land
from cunwu_plugins.land.models import Transfer
from cunwu_plugins.land.services import LandError, PlotInput, TransferInput

VILLAGE = "130926100201"
CLERK = Actor.system("clerk")
#: 统一社会信用代码 with valid check digits: the land co-op and another co-op the contractor is not in.
LAND_COOP = "93130926MA0D1234XE"
OTHER_COOP = "93130926MA07UKNJ53"
TODAY = dt.datetime(2026, 1, 10, 9, tzinfo=dt.UTC)
REGISTERED = dt.date(2022, 11, 6)


def _village(site: Any) -> SimpleNamespace:
    """Six households; the head of the first (王大) holds a contract with two plots and is in the land co-op; the
    other co-op has the other five heads only."""
    with build_register(site, village=VILLAGE) as reg:
        homes = [reg.household(f"00{n}", [Person(name, born=dt.date(1965 + n, 3, 1))])
                 for n, name in enumerate(("王大", "李二", "张三", "赵四", "孙五", "周六"), start=1)]
    heads = [home.members[0].id for home in homes]
    with site.db.transaction() as session:
        issuer = land.issuer_for(session, site, CLERK, VILLAGE)
        contractor = land.register_contractor(session, site, CLERK, issuer, homes[0].id)
        contract = land.register_contract(session, site, CLERK, contractor, code=contractor.code + "J",
                                          start_on=dt.date(1998, 1, 1), end_on=dt.date(2028, 1, 1),
                                          extended_to=dt.date(2058, 1, 1))
        plots = [land.register_plot(session, site, CLERK, VILLAGE, PlotInput(
            code=f"{issuer.code}{n:05d}", name=f"地块{n}", area_mu=Decimal(area), east="路", south="渠",
            west="邻户", north="邻户"), contract=contract) for n, area in ((1, "5"), (2, "3"))]
        ids = {}
        for code, name, members in ((LAND_COOP, "肃宁县丰泽土地股份合作社", heads[:5]),
                                    (OTHER_COOP, "肃宁县东街果蔬种植专业合作社", heads[1:])):
            made = coop.create_cooperative(session, site, CLERK, village_code=VILLAGE, name=name, credit_code=code,
                                           registered_on=REGISTERED, charter=Charter(reserve_percent=10,
                                                                                     patronage_percent=60))
            coop.add_members(session, site, CLERK, made, [NewMember("farmer", REGISTERED, person_id=p)
                                                          for p in members])
            ids[code] = int(made.id)  # type: ignore[arg-type]
        return SimpleNamespace(head=heads[0], household=homes[0].id, contract=int(contract.id),  # type: ignore[arg-type]
                               plots=[int(p.id) for p in plots], coops=ids)  # type: ignore[arg-type]


def _file_shares(site: Any, v: SimpleNamespace, credit_code: str, value: str | None = "36000") -> tuple[str, list[str]]:
    """Enter and file an 入股 of both plots (8 亩) to the co-op with `credit_code`; returns its ref and the notes."""
    with site.db.transaction() as session:
        transfer = land.create_transfer(session, site, CLERK, VILLAGE, TransferInput(
            contract_id=v.contract, plots={v.plots[0]: Decimal("5"), v.plots[1]: Decimal("3")}, form="shares",
            transferee_kind="organisation", transferee_name="合作社", transferee_credit_code=credit_code,
            start_on=dt.date(2026, 1, 1), end_on=dt.date(2036, 1, 1), rent_yuan_per_mu=Decimal("650"),
            value=Decimal(value) if value is not None else None))
        return transfer.ref, land.file_transfer(session, site, CLERK, transfer)


def _land_contributions(site: Any) -> list[tuple[int, str, Decimal, str | None]]:
    with site.db.read() as session:
        rows = session.exec(select(Contribution).where(Contribution.kind == "land")).all()
        return [(r.cooperative_id, r.kind, r.amount, r.source_ref) for r in rows]


def test_shares_transfer_becomes_the_members_land_contribution_once(site_factory: Any, dialect: str) -> None:
    site = site_factory(enabled=["land", "coop"], dialect=dialect)
    v = _village(site)
    with frozen_clock(TODAY):
        ref, notes = _file_shares(site, v, LAND_COOP)
        assert notes == ["合作社：已为 肃宁县丰泽土地股份合作社 成员 王大 登记土地经营权出资 36,000.00 元（8.0000 亩）"]
        with site.db.read() as session:
            transfer = land.get_transfer(session, VILLAGE, ref)
            assert transfer.status == "filed" and transfer.notes == notes
            member = next(m for m in coop.roll(session, session.get(Cooperative, v.coops[LAND_COOP]))
                          if m.person_id == v.head)
            account = coop.account(session, session.get(Cooperative, v.coops[LAND_COOP]), member)
            assert account.capital == Decimal("36000.00")
            [row] = account.contributions
            assert (row.kind, row.contributed_on, row.pending_valuation) == ("land", dt.date(2026, 1, 1), False)
            assert ref in row.description and "8.0000 亩" in row.description
            audited = session.exec(select(AuditEntry).where(AuditEntry.action == "coop.contribution.create",
                                                            AuditEntry.object_id == str(row.id))).all()
            assert len(audited) == 1 and verify_chain(session)[1] is None
        # filing the same transfer again is refused by land, and announcing it again records nothing new
        with pytest.raises(LandError, match="这项流转现在不能备案"), site.db.transaction() as session:
            land.file_transfer(session, site, CLERK, land.get_transfer(session, VILLAGE, ref))
        with site.db.transaction() as session:
            again = site.call("land_shares_contributed", session=session, site=site, actor=CLERK, contribution={
                "transfer_id": transfer.id, "transfer_ref": ref, "village_code": VILLAGE,
                "household_id": v.household, "person_id": v.head, "transferee_credit_code": LAND_COOP,
                "transferee_name": "合作社", "area_mu": Decimal("8"), "plot_codes": [], "start": dt.date(2026, 1, 1),
                "end": dt.date(2036, 1, 1), "value": Decimal("36000")})
        assert again == [f"合作社：流转 {ref} 的土地经营权出资已登记过"]
        assert _land_contributions(site) == [(v.coops[LAND_COOP], "land", Decimal("36000.00"), f"land:{transfer.id}")]
        with site_client(site) as client:
            login(client, site, "clerk", role="clerk", scope=VILLAGE)
            page = client.get(f"/v/{VILLAGE}/p/coop/{v.coops[LAND_COOP]}/members/{member.id}")
            shown = client.get(f"/v/{VILLAGE}/p/land/transfers/{ref}")
            # the same pages as htmx fragments (the content block alone, its macros imported inside it)
            fragments = [client.get(url, headers={"HX-Request": "true"}) for url in (
                f"/v/{VILLAGE}/p/coop/{v.coops[LAND_COOP]}/members/{member.id}",
                f"/v/{VILLAGE}/p/land/transfers/{ref}")]
    assert page.status_code == 200 and "土地经营权" in page.text and "36,000.00" in page.text
    assert shown.status_code == 200 and "登记土地经营权出资" in shown.text
    assert [f.status_code for f in fragments] == [200, 200]
    assert "36,000.00" in fragments[0].text and "<html" not in fragments[0].text
    assert "登记土地经营权出资" in fragments[1].text


def test_shares_to_a_coop_the_contractor_is_not_in_records_nothing(site_factory: Any, dialect: str) -> None:
    site = site_factory(enabled=["land", "coop"], dialect=dialect)
    v = _village(site)
    with frozen_clock(TODAY):
        ref, notes = _file_shares(site, v, OTHER_COOP, value=None)
    assert notes == ["合作社：肃宁县东街果蔬种植专业合作社 中没有该承包户的成员，未记出资（流转照常有效）"]
    assert _land_contributions(site) == []
    with site.db.read() as session:
        transfer = land.get_transfer(session, VILLAGE, ref)
        assert transfer.status == "filed" and transfer.notes == notes
        assert land.rent_of(session, transfer) != []


def test_demo_shares_transfer_becomes_a_contribution(site_factory: Any) -> None:
    """The demo site lists coop before land, so the land co-op and its members exist when land's demo files its
    入股 transfer to it (sites/demo/site.toml)."""
    from cunwu.sites import BUNDLED_SITES_DIR, load_site

    order = load_site(BUNDLED_SITES_DIR / "demo").enabled
    assert order.index("coop") < order.index("land")
    site = populate_demo(site_factory(enabled=["coop", "land"], migrate=False), rng=random.Random(7))
    first = site.config.villages[0].code
    with site.db.read() as session:
        shares = session.exec(select(Transfer).where(Transfer.form == "shares", Transfer.village_code == first)).one()
        [row] = session.exec(select(Contribution).where(Contribution.kind == "land")).all()
        owner = session.get(Cooperative, row.cooperative_id)
    assert (owner.credit_code, owner.name) == (LAND_COOP, shares.transferee_name)
    assert row.source_ref == f"land:{shares.id}" and row.amount == shares.value
    assert any("登记土地经营权出资" in note for note in shares.notes)
