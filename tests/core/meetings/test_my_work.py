"""我的待办 for meetings: a meeting whose start time has passed and is not closed, and open 四议两公开 matters,
wait for the clerk — and leave the list once closed / stopped."""

from __future__ import annotations

import re
from typing import Any

from cunwu.meetings import matters, services

VILLAGE = "130926100201"


def _items(client: Any) -> dict[str, tuple[str, int]]:
    page = client.get("/my")
    assert page.status_code == 200
    found = re.findall(r'<li>\s*<a href="([^"]+)">([^<]+)</a>\s*<span class="badge[^"]*">(\d+)<', page.text)
    return {what: (href, int(n)) for href, what, n in found if "/meetings/" in href or "/matters/" in href}


def test_meetings_and_matters_wait_for_the_clerk(village_site: Any, h: Any, client_as: Any) -> None:
    site, _village = village_site
    with site.db.transaction() as session:
        meeting = h.schedule(session, site, "representatives")  # 2025-06-01: in the past
        matter = matters.open_matter(session, site, h.CLERK, village_code=VILLAGE, matter_type="other",
                                     title="硬化村内主干道", opened_on=h.DAY)
        meeting_id, matter_id = meeting.id, matter.id
    clerk = client_as(site, "clerk", VILLAGE)
    assert _items(clerk) == {"已到开会时间、尚未记录结束的会议": (f"/v/{VILLAGE}/meetings/", 1),
                             "等待下一步的议题": (f"/v/{VILLAGE}/matters/", 1)}
    for href, _n in _items(clerk).values():
        assert clerk.get(href).status_code == 200
    for role in ("representative", "township_official", "county_official"):
        assert _items(client_as(site, role, VILLAGE)) == {}, role

    with site.db.transaction() as session:
        meeting = services.get_meeting(session, VILLAGE, meeting_id)
        services.open_meeting(session, site, h.CLERK, meeting)
        services.close_meeting(session, site, h.CLERK, meeting, minutes="会议记录")
        matters.stop_matter(session, site, h.CLERK, matters.get_matter(session, VILLAGE, matter_id), "不再办理")
    assert _items(clerk) == {}
