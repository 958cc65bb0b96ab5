"""Issue #13 item 6: parallel state changes of one notice on PostgreSQL — exactly one wins, the others get a clear
409 and write nothing (before: 6 publishes → 5 audit entries, 6 withdrawals → 6, 6 answers → 4, corrections → 500s)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from cunwu.audit.models import AuditEntry
from cunwu.notices import services
from cunwu.notices.models import Notice, Objection
from cunwu.testing import login, site_client

from .conftest import CLERK, VILLAGE, publish

PARALLEL = 6


def _race(site: Any, change: Callable[[Any], Any]) -> list[str]:
    """Run `change(session)` in PARALLEL transactions released together; each outcome's class name."""
    barrier = threading.Barrier(PARALLEL)
    outcomes: list[str] = []

    def worker() -> None:
        barrier.wait()
        try:
            with site.db.transaction() as session:
                change(session)
            outcomes.append("won")
        except services.NoticeConflict:
            outcomes.append("conflict")
        except Exception as exc:  # anything else is a bug the assertion below shows
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=worker) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def _entries(site: Any, action: str) -> int:
    with site.db.read() as session:
        return int(session.execute(select(func.count()).select_from(AuditEntry)
                                   .where(AuditEntry.action == action)).scalar_one())


EXACTLY_ONE = ["conflict"] * (PARALLEL - 1) + ["won"]


def test_parallel_publishes_of_one_draft(pg: str, site_factory: Any) -> None:
    site = site_factory(dialect=pg)
    with site.db.transaction() as session:
        draft = services.draft_notice(session, site, CLERK, village_code=VILLAGE, stream="village", category="低保",
                                      title="村道维修通知", body="正文")
    assert _race(site, lambda s: services.publish_draft(s, site, CLERK, draft.id)) == EXACTLY_ONE
    assert _entries(site, "notices.notice.publish") == 1


def test_parallel_withdrawals(pg: str, site_factory: Any) -> None:
    site = site_factory(dialect=pg)
    notice = publish(site)
    outcomes = _race(site, lambda s: services.withdraw_notice(s, site, CLERK, notice.id, "发布有误，撤回重发"))
    assert outcomes == EXACTLY_ONE
    assert _entries(site, "notices.notice.withdraw") == 1


def test_parallel_corrections(pg: str, site_factory: Any) -> None:
    site = site_factory(dialect=pg)
    notice = publish(site)
    counter = iter(range(PARALLEL))
    outcomes = _race(site, lambda s: services.correct_notice(
        s, site, CLERK, notice.id, title="关于2025年度低保对象的公示（更正）", body=f"更正后的正文 {next(counter)}",
        note="金额有误"))
    assert outcomes == EXACTLY_ONE
    with site.db.read() as session:
        versions = session.scalars(select(Notice).where(Notice.series == notice.series)).all()
    assert sorted(v.version for v in versions) == [1, 2] and sum(v.is_current for v in versions) == 1


def test_parallel_answers_to_one_objection(pg: str, site_factory: Any) -> None:
    site = site_factory(dialect=pg)
    notice = publish(site, window_days=7)
    with site.db.transaction() as session:
        objection = services.raise_objection(session, site, None, notice.id, body="请公开评议过程和结果",
                                             name="李四", phone="13812345678")
    counter = iter(range(PARALLEL))
    outcomes = _race(site, lambda s: services.answer_objection(s, site, CLERK, objection.id,
                                                               f"已于村务公开栏补充公示 {next(counter)}"))
    assert outcomes == EXACTLY_ONE
    assert _entries(site, "notices.objection.answer") == 1
    with site.db.read() as session:
        assert session.get(Objection, objection.id).status == "answered"  # type: ignore[union-attr]


def test_the_loser_of_a_publish_gets_a_409_page(site: Any) -> None:
    with site.db.transaction() as session:
        draft = services.draft_notice(session, site, CLERK, village_code=VILLAGE, stream="village", category="低保",
                                      title="村道维修通知", body="正文")
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        url = f"/v/{VILLAGE}/notices/manage/{draft.id}/publish"
        assert client.post(url, follow_redirects=False).status_code == 303
        late = client.post(url, follow_redirects=False)
        assert late.status_code == 409
        assert "这项操作已由他人先完成" in late.text and "已经发布" in late.text
        assert f'href="/v/{VILLAGE}/notices/manage/"' in late.text
        withdraw = f"/v/{VILLAGE}/notices/manage/{draft.id}/withdraw"
        assert client.post(withdraw, data={"reason": "发布有误"}, follow_redirects=False).status_code == 303
        again = client.post(withdraw, data={"reason": "发布有误"}, follow_redirects=False)
        assert again.status_code == 409 and "已经撤回" in again.text
    assert _entries(site, "notices.notice.publish") == 1
