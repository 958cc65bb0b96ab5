"""我的待办 for 一事一议: each role sees the projects at its own step; the links open; a done step leaves the list."""

from __future__ import annotations

import re
from typing import Any

from cunwu_plugins.yishi import services


def _items(client: Any) -> list[tuple[str, str]]:
    page = client.get("/my")
    assert page.status_code == 200
    return re.findall(r'<li>\s*<a href="([^"]+)">([^<]+)</a>', page.text)


def test_each_role_sees_its_own_step(yishi_site: Any, y: Any, client_as: Any) -> None:
    site, _village = yishi_site
    with site.db.transaction() as session:
        fresh = services.propose(session, site, y.CLERK, village_code=y.VILLAGE, data=y.proposal(title="修建村西桥"))
        waiting = y.approved_project(session, site)
        services.fix_shares(session, site, y.CLERK, waiting)
        services.submit_for_review(session, site, y.CLERK, waiting)
        fresh_id, waiting_id = fresh.id, waiting.id
    clerk = client_as(site, "clerk", y.VILLAGE)
    township = client_as(site, "township_official", y.VILLAGE)
    county = client_as(site, "county_official")
    other_clerk = client_as(site, "clerk", y.OTHER_VILLAGE)
    representative = client_as(site, "representative", y.VILLAGE)

    manage = f"/v/{y.VILLAGE}/p/yishi/projects/{{}}/manage"
    assert (manage.format(fresh_id), "公示方案：修建村西桥") in _items(clerk)
    assert not any("硬化村东道路" in what for _href, what in _items(clerk))  # at the township: not the clerk's turn
    assert [(h, w) for h, w in _items(township) if "/yishi/" in h] == [(manage.format(waiting_id),
                                                                         "乡镇审核：硬化村东道路")]
    assert not [h for h, _w in _items(county) if "/yishi/" in h]
    assert not [h for h, _w in _items(other_clerk) if "/yishi/" in h]
    assert "现在没有等您办理的事" in representative.get("/my").text
    for client in (clerk, township):
        for href, _what in _items(client):
            assert client.get(href).status_code == 200, href

    with site.db.transaction() as session:
        project = services.get_project(session, y.VILLAGE, waiting_id)
        services.review(session, site, y.TOWNSHIP, project, decision="approved", opinion="同意", on=y.REFERENCE)
    assert not [h for h, _w in _items(township) if "/yishi/" in h]
    assert [(h, w) for h, w in _items(county) if "/yishi/" in h] == [(manage.format(waiting_id),
                                                                       "县级备案：硬化村东道路")]
    assert county.get(manage.format(waiting_id)).status_code == 200
