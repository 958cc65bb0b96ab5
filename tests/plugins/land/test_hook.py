"""`land_shares_contributed`: called when an 入股 transfer to an organisation is filed, in the same transaction;
a site without any implementer files it all the same."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from cunwu.api import Manifest, audit, frozen_clock, hookimpl
from cunwu_plugins.land import hookspecs, services

from .conftest import CLERK, CREDIT_CODE, VILLAGE, contract, make_transfer

TODAY = dt.datetime(2026, 1, 10, 9, tzinfo=dt.UTC)


class StandIn:
    """What the coop plugin does, reduced to recording the call and writing an audit entry in the same transaction."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    @hookimpl
    def manifest(self) -> Manifest:
        return Manifest(name="coopstub", title_zh="合作社替身", title_en="Co-op stand-in", version="1.0.0")

    @hookimpl(optionalhook=True)
    def land_shares_contributed(self, session: Any, site: Any, actor: Any, contribution: dict[str, Any]) -> list[str]:
        self.calls.append(contribution)
        audit.record(session, actor, "coop.contribution.land", object_type="coop_contribution", object_id="1",
                     before=None, after={"area_mu": contribution["area_mu"]}, village_code=contribution["village_code"])
        return ["已记入社员王大的土地经营权出资（待评估）"]


def _shares(site: Any, land: Any) -> str:
    return make_transfer(site, land, {land.plot_ids[0]: "5", land.plot_ids[1]: "2.5"}, form="shares",
                         value=Decimal("60000"))


def test_without_an_implementer_the_transfer_is_filed(site_factory: Any) -> None:
    site = site_factory(enabled=["land"])
    land = contract(site)
    with frozen_clock(TODAY):
        ref = _shares(site, land)
        with site.db.transaction() as session:
            notes = services.file_transfer(session, site, CLERK, services.get_transfer(session, VILLAGE, ref))
    assert notes == []
    with site.db.read() as session:
        assert services.get_transfer(session, VILLAGE, ref).status == "filed"


def test_an_implementer_gets_the_contribution_and_its_notes_are_kept(site_factory: Any) -> None:
    stand_in = StandIn()
    site = site_factory(enabled=["land", "coopstub"], available={"coopstub": stand_in})
    land = contract(site)
    with frozen_clock(TODAY):
        ref = _shares(site, land)
        lease = make_transfer(site, land, {land.plot_ids[1]: "0.5"})
        with site.db.transaction() as session:
            services.file_transfer(session, site, CLERK, services.get_transfer(session, VILLAGE, lease))
            notes = services.file_transfer(session, site, CLERK, services.get_transfer(session, VILLAGE, ref))
    assert notes == ["已记入社员王大的土地经营权出资（待评估）"]
    [call] = stand_in.calls  # the lease is not a contribution
    assert set(call) == {"transfer_id", "transfer_ref", "village_code", "household_id", "person_id",
                         "transferee_credit_code", "transferee_name", "area_mu", "plot_codes", "start", "end", "value"}
    assert (call["transfer_ref"], call["household_id"], call["person_id"], call["transferee_credit_code"]) == (
        ref, land.household_id, land.person_id, CREDIT_CODE)
    assert call["area_mu"] == Decimal("7.5000") and call["value"] == Decimal("60000.00")
    assert call["plot_codes"] == land.plot_codes and call["start"] == dt.date(2026, 1, 1)
    with site.db.read() as session:
        transfer = services.get_transfer(session, VILLAGE, ref)
        assert transfer.notes == notes


def test_a_failing_implementer_rolls_the_filing_back(site_factory: Any) -> None:
    class Broken:
        @hookimpl
        def manifest(self) -> Manifest:
            return Manifest(name="broken", title_zh="坏插件", title_en="Broken", version="1.0.0")

        @hookimpl(optionalhook=True)
        def land_shares_contributed(self, session: Any, site: Any, actor: Any, contribution: Any) -> None:
            raise RuntimeError("coop down")

    site = site_factory(enabled=["land", "broken"], available={"broken": Broken()})
    land = contract(site)
    with frozen_clock(TODAY):
        ref = _shares(site, land)
        with pytest.raises(RuntimeError, match="coop down"), site.db.transaction() as session:
            services.file_transfer(session, site, CLERK, services.get_transfer(session, VILLAGE, ref))
    with site.db.read() as session:
        assert services.get_transfer(session, VILLAGE, ref).status == "ready"
        assert services.rent_of(session, services.get_transfer(session, VILLAGE, ref)) == []


def test_the_spec_is_offered_by_the_plugin_object() -> None:
    import cunwu_plugins.land as plugin

    assert plugin.hookspecs is hookspecs
    assert hasattr(hookspecs.land_shares_contributed, "cunwu_spec")
