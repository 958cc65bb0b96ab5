"""网格化管理, tested with Cunwu's test kit: `site_factory`, `dialect`, `client_as` and `register` are fixtures of the
`cunwu.testing` pytest plugin. The package is handed to the site with `available=`, so the tests run whether or not
it is pip-installed."""

from __future__ import annotations

import datetime as dt
import re
import threading
from importlib.metadata import entry_points
from typing import Any

import pytest
from sqlmodel import col, select

from cunwu.api import Actor, DomainError, Site
from cunwu.testing import ClientAs, Member, RegisterFactory, SiteFactory, assert_models_match_migrations, site_client

import wangge
from wangge import services
from wangge.models import Grid, GridHousehold, Incident, Visit, Worker

VILLAGE, OTHER = "130926100201", "130926100202"
BASE = f"/v/{VILLAGE}/p/wangge"
SMALL = "[plugins.wangge]\nhouseholds_per_grid = 20\n"


def make_site(site_factory: SiteFactory, **kwargs: Any) -> Site:
    kwargs.setdefault("extra_toml", SMALL)
    return site_factory(enabled=["wangge"], available={"wangge": wangge}, **kwargs)


def grid_ids(site: Site) -> list[int]:
    with site.db.read() as session:
        return [g.id for g in session.exec(select(Grid).where(Grid.village_code == VILLAGE).order_by(col(Grid.number)))]


def test_models_match_migrations(site_factory: SiteFactory, dialect: str) -> None:
    assert_models_match_migrations(make_site(site_factory, dialect=dialect))


def test_the_clerk_divides_the_village_into_grids_of_the_site_size(site_factory: SiteFactory, client_as: ClientAs,
                                                                   register: RegisterFactory) -> None:
    site = make_site(site_factory)
    with register(site) as reg:
        reg.households_of(45, size=1)
        reg.household("X1", [Member("西甲")], village=OTHER)
    clerk = client_as(site, "clerk", village=VILLAGE)
    assert "本村还没有划分网格" in clerk.get(f"{BASE}/").text
    page = clerk.post(f"{BASE}/divide")
    assert page.status_code == 200 and "第3网格" in page.text
    with site.db.read() as session:
        sizes = [len(session.exec(select(GridHousehold).where(GridHousehold.grid_id == g)).all())
                 for g in grid_ids(site)]
    assert sizes == [20, 20, 5]
    with register(site) as reg:
        reg.households_of(3, size=1, prefix="N")
    clerk.post(f"{BASE}/divide")
    with site.db.read() as session:
        assert len(session.exec(select(GridHousehold).where(GridHousehold.grid_id == grid_ids(site)[2])).all()) == 8
        assert session.exec(select(Grid).where(Grid.village_code == OTHER)).all() == []
    again = clerk.post(f"{BASE}/divide")
    assert again.status_code == 400 and "本村所有户都已划入网格" in again.text


def test_a_grid_worker_visits_and_handles_and_the_clerk_closes(site_factory: SiteFactory, client_as: ClientAs,
                                                                register: RegisterFactory) -> None:
    site = make_site(site_factory)
    with register(site) as reg:
        homes = reg.households_of(4, size=2)
        worker_person = reg.person("赵网格", born=dt.date(1985, 5, 5))
        stranger = reg.person("钱某", born=dt.date(1986, 6, 6))
    clerk = client_as(site, "clerk", village=VILLAGE)
    clerk.post(f"{BASE}/divide")
    grid = grid_ids(site)[0]
    appointed = clerk.post(f"{BASE}/grids/{grid}/workers",
                           data={"person_id": str(worker_person.id), "start_date": "2025-01-01"})
    assert appointed.status_code == 200 and "赵网格" in appointed.text

    worker = client_as(site, "villager", village=VILLAGE, person_id=worker_person.id)
    assert f'href="{BASE}/"' in worker.get(f"/v/{VILLAGE}/").text  # the menu link of a worker
    page = worker.get(f"{BASE}/grids/{grid}")
    assert page.status_code == 200 and "登记走访" in page.text and "任命网格员" not in page.text
    visit = worker.post(f"{BASE}/grids/{grid}/visits", data={"household_id": str(homes[0].id),
                                                             "visited_on": "2025-06-01", "notes": "独居老人，身体尚可"})
    assert visit.status_code == 200 and "独居老人" in visit.text
    worker.post(f"{BASE}/grids/{grid}/incidents",
                data={"category": "safety", "title": "村东桥栏杆松动", "reported_on": "2025-06-02"})
    with site.db.read() as session:
        incident = session.exec(select(Incident)).one()
        assert session.exec(select(Visit)).one().recorded_by.startswith("villager")
    assert incident.status == "open"
    assert worker.post(f"{BASE}/incidents/{incident.id}/close").status_code == 403  # only the clerk closes
    handled = worker.post(f"{BASE}/incidents/{incident.id}/handle", data={"handling": "已联系村委会加固"})
    assert handled.status_code == 200 and "等待村文书办结" in handled.text
    assert clerk.post(f"{BASE}/incidents/{incident.id}/close").status_code == 200
    with site.db.read() as session:
        incident = session.exec(select(Incident)).one()
    assert (incident.status, incident.handling) == ("closed", "已联系村委会加固")
    again = clerk.post(f"{BASE}/incidents/{incident.id}/close")
    assert again.status_code == 400 and "这个事件已经办结" in again.text

    plain = client_as(site, "villager", village=VILLAGE, person_id=stranger.id)
    assert plain.get(f"{BASE}/grids/{grid}").status_code == 403
    assert plain.post(f"{BASE}/grids/{grid}/visits", data={"household_id": str(homes[0].id)}).status_code == 403


def test_form_errors_name_the_field_and_keep_the_input(site_factory: SiteFactory, client_as: ClientAs,
                                                       register: RegisterFactory) -> None:
    site = make_site(site_factory)
    with register(site) as reg:
        reg.households_of(2)
        outside = reg.household("X1", [Member("西甲")], village=OTHER)
    clerk = client_as(site, "clerk", village=VILLAGE)
    clerk.post(f"{BASE}/divide")
    grid = grid_ids(site)[0]
    response = clerk.post(f"{BASE}/grids/{grid}/visits",
                          data={"household_id": str(outside.id), "visited_on": "2025-06-01", "notes": "留着这段话"})
    assert response.status_code == 400
    assert re.search(r'name="household_id".*?</select></label>\s*'
                     r'<span class="error-msg field-error" id="e-household_id">这一户不在本网格', response.text, re.S)
    assert "留着这段话" in response.text
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    response = clerk.post(f"{BASE}/grids/{grid}/incidents",
                          data={"category": "nope", "title": "", "reported_on": future})
    assert response.status_code == 400
    for message in ("请选择事件类别", "请简要写明事件", "日期不能晚于今天"):
        assert message in response.text
    with site.db.read() as session:
        assert session.exec(select(Visit)).all() == [] and session.exec(select(Incident)).all() == []


def test_villages_stay_apart(site_factory: SiteFactory, client_as: ClientAs, register: RegisterFactory) -> None:
    site = make_site(site_factory)
    with register(site) as reg:
        reg.households_of(2)
        reg.household("X1", [Member("西甲")], village=OTHER)
    client_as(site, "clerk", village=VILLAGE).post(f"{BASE}/divide")
    other_clerk = client_as(site, "clerk", village=OTHER)
    other_clerk.post(f"/v/{OTHER}/p/wangge/divide")
    grid = grid_ids(site)[0]
    assert other_clerk.get(f"{BASE}/grids/{grid}").status_code == 403
    assert other_clerk.get(f"/v/{OTHER}/p/wangge/grids/{grid}").status_code == 404  # its code, a grid not its own
    assert client_as(site, "township_official", village=VILLAGE).get(f"{BASE}/grids/{grid}").status_code == 200
    with site.db.read() as session:
        assert session.exec(select(Worker)).all() == []


def test_the_public_summary_hides_counts_under_five(site_factory: SiteFactory, client_as: ClientAs,
                                                    register: RegisterFactory) -> None:
    site = make_site(site_factory)
    with register(site) as reg:
        reg.households_of(6, size=1)
    clerk = client_as(site, "clerk", village=VILLAGE)
    clerk.post(f"{BASE}/divide")
    grid = grid_ids(site)[0]
    today = dt.date.today().isoformat()
    for category, title, times in (("dispute", "纠纷", 5), ("safety", "隐患", 2)):
        for n in range(times):
            clerk.post(f"{BASE}/grids/{grid}/incidents",
                       data={"category": category, "title": f"{title}{n}", "reported_on": today})
    with site.db.read() as session:
        assert len(session.exec(select(Incident)).all()) == 7
    with site_client(site) as anonymous:
        page = anonymous.get(f"{BASE}/summary")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text)
    assert "划入网格的户：6" in text
    assert "矛盾纠纷</strong><br>办理中：5" in text
    assert "安全隐患</strong><br>办理中：少于5" in text and "办理中：2" not in text
    assert "纠纷0" not in text  # no incident details in public
    english = client_as(site, "representative", village=VILLAGE).get(f"{BASE}/summary", params={"lang": "en"})
    english_text = re.sub(r"\s+", " ", english.text).replace("：", ": ")
    assert "Safety hazards</strong><br>In progress: fewer than 5" in english_text


def test_two_people_handling_one_incident_at_once_on_postgresql(site_factory: SiteFactory, pg: str,
                                                                register: RegisterFactory) -> None:
    """The incident row is locked before its state is checked: one handling wins, the other is told it was done."""
    site = make_site(site_factory, dialect=pg)
    with register(site) as reg:
        reg.households_of(2)
    clerk = Actor.system("test")
    with site.db.transaction() as session:
        services.divide(session, site, clerk, VILLAGE)
        grid = session.exec(select(Grid)).one()
        incident_id = services.report(session, site, clerk, grid, {"category": "other", "title": "路灯不亮",
                                                                   "reported_on": "2025-06-01"}).id
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def handle(text: str) -> None:
        start.wait()
        try:
            with site.db.transaction() as session:
                incident = services.incident_of(session, VILLAGE, incident_id, lock=True)
                services.handle(session, site, clerk, incident, {"handling": text})
            outcomes.append("handled")
        except DomainError as error:
            outcomes.append(error.message)

    threads = [threading.Thread(target=handle, args=(text,)) for text in ("已修好", "已报修")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["handled", "这个事件已经处理过了"]


def test_the_installed_package_is_found_by_its_entry_point(site_factory: SiteFactory, client_as: ClientAs) -> None:
    """Installed (pip install docs/examples/wangge), a site finds the plugin by name, with its templates, migrations
    and catalog inside the package."""
    if "wangge" not in {ep.name for ep in entry_points(group="cunwu")}:
        pytest.skip("cunwu-wangge is not installed; run from its folder, these tests hand the package over directly")
    site = site_factory(enabled=["wangge"])
    assert_models_match_migrations(site)
    page = client_as(site, "clerk", village=VILLAGE).get(f"{BASE}/", params={"lang": "en"})
    assert page.status_code == 200 and "The village has no grids yet." in page.text


VIEWERS = {"clerk", "representative", "supervisor", "township_official", "county_official", "site_admin"}


def test_every_route_checks_its_permission_per_role_and_village(site_factory: SiteFactory, client_as: ClientAs,
                                                                 register: RegisterFactory) -> None:
    site = make_site(site_factory)
    with register(site) as reg:
        reg.households_of(2)
    clerk = client_as(site, "clerk", village=VILLAGE)
    clerk.post(f"{BASE}/divide")
    grid = grid_ids(site)[0]
    clerk.post(f"{BASE}/grids/{grid}/incidents", data={"category": "other", "title": "井盖缺失",
                                                       "reported_on": dt.date.today().isoformat()})
    with site.db.read() as session:
        incident = session.exec(select(Incident)).one().id
    routes = [("GET", f"{BASE}/", VIEWERS), ("POST", f"{BASE}/divide", {"clerk"}),
              ("GET", f"{BASE}/grids/{grid}", VIEWERS), ("POST", f"{BASE}/grids/{grid}/workers", {"clerk"}),
              ("POST", f"{BASE}/grids/{grid}/visits", {"clerk"}), ("POST", f"{BASE}/grids/{grid}/incidents", {"clerk"}),
              ("POST", f"{BASE}/incidents/{incident}/handle", {"clerk"}),
              ("POST", f"{BASE}/incidents/{incident}/close", {"clerk"}), ("GET", f"{BASE}/summary", None)]
    clients = {role: client_as(site, role, village=VILLAGE) for role in
               ("villager", "representative", "supervisor", "township_official", "county_official", "site_admin")}
    clients["clerk"] = clerk
    clients["clerk of 西街村"] = client_as(site, "clerk", village=OTHER)
    clients["township official of 梁家村镇"] = client_as(site, "township_official", village="130926101201")
    with site_client(site) as anonymous:
        for method, url, allowed in routes:
            response = anonymous.request(method, url, follow_redirects=False)
            assert response.status_code == 200 if allowed is None else response.status_code in (302, 303, 401, 403)
        for who, client in clients.items():
            for method, url, allowed in routes:
                status = client.request(method, url, follow_redirects=False).status_code
                expected = allowed is None or (who in allowed)
                assert (status != 403) == expected, f"{who} {method} {url}: {status}"


def test_a_handling_error_shows_beside_that_incident_only(site_factory: SiteFactory, client_as: ClientAs,
                                                          register: RegisterFactory) -> None:
    site = make_site(site_factory)
    with register(site) as reg:
        reg.households_of(2)
    clerk = client_as(site, "clerk", village=VILLAGE)
    clerk.post(f"{BASE}/divide")
    grid = grid_ids(site)[0]
    for title in ("路灯不亮", "水管漏水"):
        clerk.post(f"{BASE}/grids/{grid}/incidents",
                   data={"category": "other", "title": title, "reported_on": dt.date.today().isoformat()})
    with site.db.read() as session:
        _first, second = session.exec(select(Incident).order_by(col(Incident.id))).all()
    response = clerk.post(f"{BASE}/incidents/{second.id}/handle", data={"handling": "  "})
    assert response.status_code == 400
    assert response.text.count('id="e-handling"') == 1  # beside one incident; the summary on top links to it
    card = response.text.split(f'id="incident-{second.id}"')[1].split("</article>")[0]
    assert "请写明处理情况" in card
