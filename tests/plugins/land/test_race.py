"""PostgreSQL: two concurrent transfers of the last 亩 of a plot — exactly one wins, through the service and, when
the service checks are bypassed, through the database trigger alone."""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from cunwu.api import DomainError, frozen_clock
from cunwu_plugins.land import services
from cunwu_plugins.land.models import TransferPlot

from .conftest import CLERK, VILLAGE, contract, transfer_input

TODAY = dt.datetime(2026, 1, 10, 9, tzinfo=dt.UTC)


def test_two_concurrent_transfers_of_the_last_mu_exactly_one_wins(site_factory: Any, pg: str) -> None:
    site = site_factory(enabled=["land"], dialect=pg)
    land = contract(site, areas=("5",))
    plot = land.plot_ids[0]
    with frozen_clock(TODAY), site.db.transaction() as session:
        services.create_transfer(session, site, CLERK, VILLAGE, transfer_input(land, {plot: "4"}))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(name: str) -> None:
        with frozen_clock(TODAY):
            try:
                with site.db.transaction() as session:
                    barrier.wait()
                    services.create_transfer(session, site, CLERK, VILLAGE, transfer_input(
                        land, {plot: "1"}, transferee_name=name))
                outcomes.append("won")
            except (DomainError, DBAPIError) as exc:
                outcomes.append(f"refused: {exc}")

    threads = [threading.Thread(target=attempt, args=(name,)) for name in ("甲合作社", "乙合作社")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(o[:7] for o in outcomes) == ["refused", "won"], outcomes
    assert "只剩 0.0000 亩可流转" in next(o for o in outcomes if o != "won")
    with site.db.read() as session:
        rows = session.exec(select(TransferPlot).where(TransferPlot.plot_id == plot)).all()
    assert sum(r.area_mu for r in rows) == Decimal("5.0000")


def test_the_trigger_alone_serialises_two_raw_inserts(site_factory: Any, pg: str) -> None:
    site = site_factory(enabled=["land"], dialect=pg)
    land = contract(site, areas=("5",))
    plot = land.plot_ids[0]
    with frozen_clock(TODAY), site.db.transaction() as session:
        first = services.create_transfer(session, site, CLERK, VILLAGE, transfer_input(land, {plot: "1"}))
        second = services.create_transfer(session, site, CLERK, VILLAGE, transfer_input(land, {plot: "1"}))
        ids = (first.id, second.id)
    insert = text("UPDATE land_transfer_plot SET area_mu = 4 WHERE transfer_id = :t")
    errors: list[Exception] = []
    holder = site.db.write()
    holder.execute(insert, {"t": ids[0]})  # 4 + 1 = 5: fine alone, not yet committed

    def other() -> None:
        try:
            with site.db.transaction() as session:
                session.execute(insert, {"t": ids[1]})  # waits on the plot lock, then sees 4 + 4 > 5
        except DBAPIError as exc:
            errors.append(exc)

    thread = threading.Thread(target=other)
    thread.start()
    time.sleep(0.5)
    assert thread.is_alive(), "the second writer should be waiting for the plot lock"
    holder.commit()
    holder.close()
    thread.join(30)
    assert len(errors) == 1
    with pytest.raises(DBAPIError, match="land_plot_over_transferred"):
        raise errors[0]
