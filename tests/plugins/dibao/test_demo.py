"""The demo data: standards history, enrolled households, every stage, two paid months with a re-issued failure."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from sqlmodel import func, select

from cunwu.audit.services import verify_chain
from cunwu.demo import populate_demo
from cunwu.registry import queries
from cunwu_plugins.dibao import disbursement, services
from cunwu_plugins.dibao.models import Batch, Case, Payment


def test_demo_data(site_factory: Any) -> None:
    site = populate_demo(site_factory(enabled=["dibao"], migrate=False), rng=random.Random(7))
    with site.db.read() as session:
        statuses = dict(session.exec(select(Case.status, func.count()).group_by(Case.status)).all())
        standards = services.standards(session, site)
        cycles = disbursement.cycles(session)
        batches = session.exec(select(Batch)).all()
        failed = session.exec(select(Payment).where(Payment.status == "failed")).all()
        households = sum(len(queries.households(session, v.code))
                         for v in site.config.villages)
        assert verify_chain(session)[1] is None
    assert [(s.kind, s.monthly_amount) for s in standards if s.kind == "rural"] == [
        ("rural", Decimal("600.00")), ("rural", Decimal("580.00"))]
    assert 0.03 <= statuses["enrolled"] / households <= 0.08
    for stage in ("applied", "proposed", "posting", "democratic_review", "refused"):
        assert statuses.get(stage), stage
    assert len(cycles) == 2 and all(c.status == "approved" for c in cycles)
    assert {b.status for b in batches} == {"reconciled"}
    assert len(failed) == 1
    with site.db.read() as session:
        reissued = session.exec(select(Payment).where(Payment.entitlement_id == failed[0].entitlement_id,
                                                      Payment.attempt == 2)).one()
    assert reissued.status == "paid"
