"""Notice board test helpers: a probe plugin that hears the board's hooks, and small publishing shortcuts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from cunwu import hookimpl
from cunwu.accounts.actor import Actor, Grant
from cunwu.notices import services
from cunwu.notices.models import Notice
from cunwu.plugin_types import Manifest

VILLAGE = "130926100201"
OTHER = "130926100202"
CLERK = Actor(user_id=None, username="clerk-test", display_name="东街村文书",
              grants=(Grant("clerk", "village", VILLAGE),))


class ProbePlugin:
    """An inline plugin that records what the board tells plugins, and can refuse an objection (to prove the hook
    runs in the same transaction)."""

    def __init__(self) -> None:
        self.published: list[tuple[int, str, str | None]] = []
        self.objections: list[tuple[int, int, str]] = []
        self.refuse = False

    @hookimpl
    def manifest(self) -> Manifest:
        return Manifest(name="probe", title_zh="探针", title_en="Probe", version="1.0")

    @hookimpl
    def notice_published(self, session: Any, notice: Any, site: Any) -> None:
        assert session.get(Notice, notice.id) is notice  # the notice is in the caller's session
        self.published.append((notice.id, notice.origin_kind, notice.origin_ref))

    @hookimpl
    def objection_raised(self, session: Any, objection: Any, notice: Any, site: Any) -> None:
        if self.refuse:
            raise RuntimeError("probe refuses")
        self.objections.append((objection.id, notice.id, objection.body))


@pytest.fixture
def probe() -> ProbePlugin:
    return ProbePlugin()


def publish(site: Any, *, village: str = VILLAGE, title: str = "关于2025年度低保对象的公示", body: str = "正文",
            stream: str = "village", category: str = "低保", **kwargs: Any) -> Notice:
    with site.db.transaction() as session:
        return services.publish_notice(session, site, CLERK, village_code=village, stream=stream, category=category,
                                       title=title, body=body, **kwargs)


def finance(opening: str = "1000.00", income: tuple[tuple[str, str], ...] = (("上级转移支付", "500.00"),),
            expenditure: tuple[tuple[str, str], ...] = (("路灯电费", "200.00"),), closing: str = "1300.00",
            start: dt.date = dt.date(2025, 3, 1), kind: str = "month", **totals: str) -> services.FinanceInput:
    return services.FinanceInput(
        period_kind=kind, period_start=start, opening=Decimal(opening),
        income=[(i, Decimal(a)) for i, a in income], expenditure=[(i, Decimal(a)) for i, a in expenditure],
        closing=Decimal(closing), **{k: Decimal(v) for k, v in totals.items()})


class Today:
    """Move the board's calendar (windows are local calendar days) without touching the clock."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch

    def set(self, day: dt.date) -> None:
        self.monkeypatch.setattr(services, "local_today", lambda: day)


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Today:
    return Today(monkeypatch)
