"""Meetings and matters as JSON (`/api/v1/v/<village>/meetings|matters`): what the minutes and matter pages show,
to the same people — the public sees closed villagers' and representative meetings only, names only where the
attendees hold a public post, no absentees; a clerk of another village is the public there."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from cunwu.meetings import matters
from cunwu.testing import login, site_client

VILLAGE = "130926100201"
OTHER_VILLAGE = "130926100202"
API = f"/api/v1/v/{VILLAGE}"


def _meetings(site: Any, h: SimpleNamespace) -> SimpleNamespace:
    with site.db.transaction() as session:
        villagers, _m = h.held_meeting(session, site, "villagers", present=14, title="修路")
        reps, motion = h.held_meeting(session, site, "representatives", present=9, title="修渠")
        branch, _m = h.held_meeting(session, site, "party_branch")
        running = h.schedule(session, site, "representatives")
    return SimpleNamespace(villagers=villagers, reps=reps, motion=motion, branch=branch, running=running)


def test_public_sees_only_public_minutes_with_public_names(village_site: Any, h: SimpleNamespace) -> None:
    site, _village = village_site
    m = _meetings(site, h)
    with site_client(site) as client:
        listing = client.get(f"{API}/meetings")
        assert listing.status_code == 200
        body = listing.json()
        assert body["full"] is False and body["total"] == 2
        assert {item["id"] for item in body["items"]} == {m.villagers.id, m.reps.id}
        assert all(item["quorum_met"] is True and item["status"] == "closed" for item in body["items"])

        villagers = client.get(f"{API}/meetings/{m.villagers.id}").json()
        assert (villagers["quorum"]["persons_total"], villagers["quorum"]["persons_present"]) == (24, 14)
        assert villagers["present"] == [] and villagers["absent"] == [] and villagers["warnings"] == []
        reps = client.get(f"{API}/meetings/{m.reps.id}").json()
        assert len(reps["present"]) == 9 and "户主01" in reps["present"] and reps["absent"] == []
        voted = reps["motions"][0]
        assert (voted["title"], voted["status"], voted["votes_for"], voted["passed"]) == ("修渠", "voted", 9, True)

        for hidden in (m.branch, m.running):
            refused = client.get(f"{API}/meetings/{hidden.id}")
            assert refused.status_code == 401 and refused.json()["detail"] == "请先登录"
        assert client.get(f"/api/v1/v/{OTHER_VILLAGE}/meetings/{m.reps.id}").status_code == 404  # not its village


def test_clerk_sees_everything_of_the_own_village_only(village_site: Any, h: SimpleNamespace) -> None:
    site, _village = village_site
    m = _meetings(site, h)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        listing = client.get(f"{API}/meetings").json()
        assert listing["full"] is True and listing["total"] == 4
        villagers = client.get(f"{API}/meetings/{m.villagers.id}").json()
        assert len(villagers["present"]) == 14 and len(villagers["absent"]) == 10
        assert client.get(f"{API}/meetings/{m.running.id}").json()["status"] == "scheduled"

        login(client, site, "other-clerk", role="clerk", scope=OTHER_VILLAGE)
        assert client.get(f"{API}/meetings").json()["total"] == 2  # the public's view of 东街村
        assert client.get(f"{API}/meetings/{m.branch.id}").status_code == 403
        assert client.get(f"{API}/meetings/{m.villagers.id}").json()["absent"] == []


def test_meetings_are_paginated(village_site: Any, h: SimpleNamespace) -> None:
    site, _village = village_site
    _meetings(site, h)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        first = client.get(f"{API}/meetings?per_page=3").json()
        second = client.get(f"{API}/meetings?per_page=3&page=2").json()
        assert (first["total"], len(first["items"]), len(second["items"])) == (4, 3, 1)
        assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
        assert client.get(f"{API}/meetings?per_page=500").status_code == 400
        assert client.get(f"{API}/meetings?page=0").status_code == 400


def test_matters_are_public_with_their_steps(village_site: Any, h: SimpleNamespace) -> None:
    site, _village = village_site
    with site.db.transaction() as session:
        matter = matters.open_matter(session, site, h.CLERK, village_code=VILLAGE, matter_type="other",
                                     title="村道硬化", summary="修2公里村道")
        matters.open_matter(session, site, h.CLERK, village_code=OTHER_VILLAGE, matter_type="other", title="西街事项")
        branch, _m = h.held_meeting(session, site, "party_branch", title="村道硬化", matter=matter)
        motion = next(iter(h_motions(session, branch)))
        matters.record_step(session, site, h.CLERK, matter, 1, meeting=branch, motion=motion, origin="村党支部")
    with site_client(site) as client:
        listing = client.get(f"{API}/matters").json()
        assert listing["total"] == 1 and listing["items"][0]["title"] == "村道硬化"
        assert listing["items"][0]["type_title"] == "其他重大事项" and listing["items"][0]["step"] == 1
        detail = client.get(f"{API}/matters/{matter.id}").json()
        steps = detail["attempts"][0]["steps"]
        assert (steps[0]["number"], steps[0]["state"], steps[0]["origin"]) == (1, "done", "村党支部")
        assert steps[0]["meeting_title"] == branch.title and steps[0]["passed"] is True
        assert steps[1]["state"] == "next"
        assert client.get(f"/api/v1/v/{OTHER_VILLAGE}/matters/{matter.id}").status_code == 404
        assert client.get(f"{API}/matters?status=completed").json()["total"] == 0


def h_motions(session: Any, meeting: Any) -> list[Any]:
    from cunwu.meetings import services

    return services.motions_of(session, meeting)


@pytest.mark.parametrize(
    ("role", "scope", "full"),
    [
        ("clerk", VILLAGE, True),
        ("representative", VILLAGE, True),
        ("supervisor", VILLAGE, True),
        ("township_official", VILLAGE[:9], True),
        ("county_official", "", True),
        ("site_admin", "", True),
        ("villager", VILLAGE, False),
        ("clerk", OTHER_VILLAGE, False),  # a clerk of the next village
        ("township_official", "130926101", False),  # another township
    ],
)
def test_meetings_api_per_role_and_village(village_site: Any, h: SimpleNamespace, role: str, scope: str,
                                           full: bool) -> None:
    """Exactly the roles that may open the meeting pages get the full list and a running meeting's record."""
    site, _village = village_site
    m = _meetings(site, h)
    with site_client(site) as client:
        login(client, site, "user", role=role, scope=scope)
        listing = client.get(f"{API}/meetings").json()
        assert (listing["full"], listing["total"]) == (full, 4 if full else 2)
        assert client.get(f"{API}/meetings/{m.running.id}").status_code == (200 if full else 403)
        absent = client.get(f"{API}/meetings/{m.villagers.id}").json()["absent"]
        assert (len(absent) == 10) is full
