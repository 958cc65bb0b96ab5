"""The demo data: contracts and plots in every village, polygons in the first, transfers in each state."""

from __future__ import annotations

import random
from typing import Any

from sqlmodel import func, select

from cunwu.audit.services import verify_chain
from cunwu.demo import populate_demo
from cunwu.testing import site_client
from cunwu_plugins.land import services
from cunwu_plugins.land.models import Contract, Dispute, Plot, Transfer


def test_demo_data(site_factory: Any) -> None:
    site = populate_demo(site_factory(enabled=["land"], migrate=False), rng=random.Random(7))
    first = site.config.villages[0].code
    with site.db.read() as session:
        statuses = dict(session.exec(select(Transfer.status, func.count()).group_by(Transfer.status)).all())
        villages = set(session.exec(select(Contract.village_code)).all())
        shaped = session.exec(select(func.count()).select_from(Plot).where(Plot.village_code == first,
                                                                          Plot.measured_mu.is_not(None))).one()
        plots = session.exec(select(func.count()).select_from(Plot).where(Plot.village_code == first)).one()
        disputes = session.exec(select(func.count()).select_from(Dispute)).one()
        summary = services.village_summary(session, site, first)
        shares = session.exec(select(Transfer).where(Transfer.form == "shares")).first()
        assert verify_chain(session)[1] is None
    assert villages == {v.code for v in site.config.villages}
    assert statuses["filed"] >= len(villages) and statuses["posting"] == len(villages)
    assert shaped == plots > 0 and disputes == len(villages)
    assert summary["transferred"] > 0 and shares is not None
    with site_client(site) as client:
        page = client.get(f"/v/{first}/p/land/map")
    assert page.status_code == 200 and page.text.count('data-state="transferred"') >= 1


def test_enabled_in_the_demo_site_only() -> None:
    from cunwu.sites import BUNDLED_SITES_DIR, load_site

    assert "land" in load_site(BUNDLED_SITES_DIR / "demo").enabled
    assert "land" not in load_site(BUNDLED_SITES_DIR / "xianxian").enabled
