"""The JSON API's site-wide parts: villages (with the public facts of the village home) and townships, paginated,
and every `/api/v1/` route of the core areas in the OpenAPI schema."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cunwu.accounts.actor import Actor
from cunwu.audit import services as audit
from cunwu.registry.models import Household, Membership, Person, Representative
from cunwu.testing import site_client

VILLAGE = "130926100201"
SYSTEM = Actor.system("test")
START = dt.date(2000, 1, 1)


def _register(site: Any) -> None:
    """Two households of 东街村 (three people), one of them a serving representative; one closed household."""
    with site.db.transaction() as session:
        for number, names, closed in (("001", ["王大", "李梅"], None), ("002", ["张三"], None),
                                      ("003", ["旧户"], dt.date(2010, 1, 1))):
            household = Household(village_code=VILLAGE, number=number, address=f"{number}号", created_on=START,
                                  closed_on=closed)
            audit.create(session, SYSTEM, household)
            for index, name in enumerate(names):
                person = Person(village_code=VILLAGE, name=name, sex="M", birth_date=dt.date(1970, 1, 1),
                                resident_id=f"13092619700101{number}{index}")
                audit.create(session, SYSTEM, person)
                audit.create(session, SYSTEM, Membership(
                    village_code=VILLAGE, household_id=household.id, person_id=person.id,
                    relation="head" if index == 0 else "spouse", start_date=START, end_date=closed))
                if name == "王大":
                    audit.create(session, SYSTEM, Representative(
                        village_code=VILLAGE, person_id=person.id, term_start=dt.date(2021, 1, 1),
                        term_end=dt.date(2031, 1, 1)))


def test_villages_and_one_village_with_its_public_facts(site: Any) -> None:
    _register(site)
    with site_client(site) as client:
        listing = client.get("/api/v1/villages").json()
        assert listing["total"] == 3
        assert [v["code"] for v in listing["items"]] == ["130926100201", "130926100202", "130926101201"]
        assert listing["items"][0] == {"code": VILLAGE, "name": "东街村", "township": "肃宁镇", "url": f"/v/{VILLAGE}/"}
        assert [v["name"] for v in client.get("/api/v1/villages?township=梁家村镇").json()["items"]] == ["梁家村"]
        paged = client.get("/api/v1/villages?per_page=2&page=2").json()
        assert (paged["total"], [v["name"] for v in paged["items"]]) == (3, ["梁家村"])
        village = client.get(f"/api/v1/villages/{VILLAGE}")
        assert village.status_code == 200
        assert (village.json()["households"], village.json()["persons"]) == (2, 3)
        assert village.json()["representatives"] == ["王大"]
        assert "130926197001010010" not in village.text  # no resident id: only what the village home shows
        missing = client.get("/api/v1/villages/999999999999")
        assert missing.status_code == 404 and "999999999999" in missing.json()["detail"]


def test_townships_group_their_villages(site: Any) -> None:
    with site_client(site) as client:
        body = client.get("/api/v1/townships").json()
        assert body["total"] == 2
        assert [(t["name"], [v["name"] for v in t["villages"]]) for t in body["items"]] == [
            ("肃宁镇", ["东街村", "西街村"]), ("梁家村镇", ["梁家村"])]
        assert client.get("/api/v1/townships?per_page=1&page=2").json()["items"][0]["name"] == "梁家村镇"
        assert client.get("/api/v1/townships?page=abc").status_code == 400


def test_every_core_api_route_is_in_the_openapi_schema(site: Any) -> None:
    with site_client(site) as client:
        schema = client.get("/schema/openapi.json").json()
    paths = schema["paths"]
    expected = {
        "/api/v1/villages", "/api/v1/villages/{village_code}", "/api/v1/townships", "/api/v1/notices",
        "/api/v1/v/{village_code}/notices", "/api/v1/v/{village_code}/notices/{notice_id}",
        "/api/v1/v/{village_code}/meetings", "/api/v1/v/{village_code}/meetings/{meeting_id}",
        "/api/v1/v/{village_code}/matters", "/api/v1/v/{village_code}/matters/{matter_id}",
        "/api/v1/v/{village_code}/registry/persons", "/api/v1/v/{village_code}/registry/households",
    }
    assert expected <= set(paths), sorted(expected - set(paths))
    board = paths["/api/v1/notices"]["get"]
    assert {p["name"] for p in board["parameters"]} >= {"page", "per_page", "stream", "q"}
    assert board["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NoticePage"}
    assert {"page", "per_page", "total", "items"} <= set(schema["components"]["schemas"]["NoticePage"]["properties"])
