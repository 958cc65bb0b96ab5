"""The pages and the JSON API: the clerk's journey through forms, permissions per role and across villages, the
public project page, the ballot, the county desk, menu links and slots, and the plugin's absence elsewhere."""

from __future__ import annotations

import re
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from cunwu.testing import login, site_client
from cunwu_plugins.yishi import services
from cunwu_plugins.yishi.models import Project

V = "130926100201"
OTHER = "130926100202"
FAR = "130926101201"  # another township


def _site(site_factory: Any, y: SimpleNamespace, **kwargs: Any) -> Any:
    site = site_factory(enabled=["yishi"], **kwargs)
    with site.db.transaction() as session:
        y.populate(session, site)
    return site


def _proposal_form(**changes: str) -> dict[str, str]:
    form = {"title": "硬化村东道路", "kind": "road", "description": "800 米", "beneficiaries": "全村",
            "budget": "60000", "money_per_person": "10", "workdays_per_labourer": "4", "year": "2025",
            "reference_date": "2025-06-01", "proposed_on": "2025-05-01", "origin": "committee"}
    form.update(changes)
    return form


def test_clerk_proposes_publishes_and_sees_the_workflow(site_factory: Any, y: SimpleNamespace) -> None:
    site = _site(site_factory, y)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=V)
        page = client.get(f"/v/{V}/p/yishi/new")
        assert page.status_code == 200 and 'name="_csrf_token"' in page.text
        refused = client.post(f"/v/{V}/p/yishi/new", data=_proposal_form(kind="village_debt"))
        assert refused.status_code == 400 and "村级债务不得通过一事一议向村民筹资筹劳偿还" in refused.text
        over = client.post(f"/v/{V}/p/yishi/new", data=_proposal_form(money_per_person="15.5"))
        assert over.status_code == 400 and "超过每人每年15元的上限" in over.text
        created = client.post(f"/v/{V}/p/yishi/new", data=_proposal_form(), follow_redirects=False)
        assert created.status_code == 303
        manage = created.headers["location"]
        project_id = int(re.search(r"/projects/(\d+)/manage", manage).group(1))  # type: ignore[union-attr]
        assert "在公开栏公示方案并提交表决" in client.get(manage).text
        # Not public before the plan is published.
        assert client.get(f"/v/{V}/p/yishi/projects/{project_id}").status_code == 404
        done = client.post(f"/v/{V}/p/yishi/projects/{project_id}/publish-plan", follow_redirects=True)
        assert done.status_code == 200 and "方案已公示，待表决" in done.text
        listing = client.get(f"/v/{V}/p/yishi/")
        assert "硬化村东道路" in listing.text
        home = client.get(f"/v/{V}/")
        assert f'href="/v/{V}/p/yishi/"' in home.text and "yishi-slot" in home.text
        client.get(f"/-/locale/en?next=/v/{V}/p/yishi/")
        english = client.get(f"/v/{V}/p/yishi/")
        assert "New proposal" in english.text and "Plan published, awaiting the vote" in english.text
    with site_client(site) as anonymous:
        public = anonymous.get(f"/v/{V}/p/yishi/projects/{project_id}")
        assert public.status_code == 200 and "每人 10.00 元" in public.text and "尚未表决" in public.text
        assert anonymous.get(f"/v/{V}/p/yishi/projects/{project_id}/manage",
                             follow_redirects=False).status_code in (302, 303, 307)
        api = anonymous.get(f"/api/v1/p/yishi/{V}/projects/{project_id}").json()
        assert api["status"] == "published" and api["thresholds"]["quorum"] == "2/3" and api["burden"] == []


def test_cap_is_refused_while_the_plan_is_drafted_beside_the_rate(site_factory: Any, y: SimpleNamespace) -> None:
    """A plan published earlier in the year (10 yuan) counts before the vote: a second plan of 6 yuan is refused at
    the proposal, beside the money field, with the numbers and what was typed kept; a plan that fits is shown as
    checked and offers publishing through a confirmation page."""
    site = _site(site_factory, y)
    with site.db.transaction() as session:
        first = services.propose(session, site, y.CLERK, village_code=V, data=y.proposal())
        services.publish_plan(session, site, y.CLERK, first)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=V)
        over = client.post(f"/v/{V}/p/yishi/new", data=_proposal_form(title="修水渠", money_per_person="6"))
        assert over.status_code == 400
        assert "户号001：本年度一事一议筹资将达每人16.00元，超过每人每年15元的上限" in over.text
        assert "5 户本年度的一事一议负担将超过上限" in over.text
        field = over.text.split('name="money_per_person"', 1)[1].split("</label>", 1)[0]
        assert 'value="6"' in field and "户号001" in field and 'aria-invalid="true"' in field
        assert 'value="修水渠"' in over.text
        fits = client.post(f"/v/{V}/p/yishi/new", data=_proposal_form(title="修水渠", money_per_person="5"),
                           follow_redirects=False)
        assert fits.status_code == 303
        manage = client.get(fits.headers["location"]).text
        assert "未超过年度上限" in manage and "/publish-plan" in manage
        project_id = int(re.search(r"/projects/(\d+)/manage", fits.headers["location"]).group(1))  # type: ignore[union-attr]
        confirm = client.get(f"/v/{V}/p/yishi/projects/{project_id}/publish-plan")
        assert confirm.status_code == 200 and "确认公示" in confirm.text and "不能再修改" in confirm.text
    with site.db.read() as session:
        assert session.get(Project, project_id).status == "proposed"  # the confirmation page changes nothing


def test_paper_vote_codes_and_ballot_page(site_factory: Any, y: SimpleNamespace) -> None:
    site = _site(site_factory, y)
    with site.db.transaction() as session:
        project = services.propose(session, site, y.CLERK, village_code=V, data=y.proposal())
        services.publish_plan(session, site, y.CLERK, project)
    base = f"/v/{V}/p/yishi/projects/{project.id}"
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=V)
        sheet = client.post(f"{base}/codes")
        assert sheet.status_code == 200 and sheet.text.count('class="slip"') == 5
        codes = re.findall(r'class="code">([A-Z0-9-]{11})<', sheet.text)
        assert len(codes) == 5 and "户号 001" in sheet.text
        # The slips point to the address in use (the test client's), never a host guessed from site.toml.
        assert f"http://testserver.local{base}/ballot" in sheet.text and "<svg" in sheet.text
        assert "localhost" not in sheet.text
    with site_client(site) as villager:
        form = villager.get(f"{base}/ballot")
        assert form.status_code == 200 and "表决码" in form.text
        ok = villager.post(f"{base}/ballot", data={"code": codes[0], "choice": "for"})
        assert ok.status_code == 200 and "您户的表决已记录" in ok.text
        again = villager.post(f"{base}/ballot", data={"code": codes[0], "choice": "against"})
        assert again.status_code == 400 and "该表决码已经使用过" in again.text


def test_slips_use_the_configured_public_address(site_factory: Any, y: SimpleNamespace) -> None:
    site = _site(site_factory, y)
    site.config.public_url = "https://cunwu.suning.example"  # [site] public_url in site.toml
    with site.db.transaction() as session:
        project = services.propose(session, site, y.CLERK, village_code=V, data=y.proposal())
        services.publish_plan(session, site, y.CLERK, project)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=V)
        sheet = client.post(f"/v/{V}/p/yishi/projects/{project.id}/codes")
    assert f"https://cunwu.suning.example/v/{V}/p/yishi/projects/{project.id}/ballot" in sheet.text


def _shares_fixed(site: Any, y: SimpleNamespace) -> Project:
    with site.db.transaction() as session:
        project = y.approved_project(session, site)
        services.fix_shares(session, site, y.CLERK, project)
        services.submit_for_review(session, site, y.CLERK, project)
    return project


def test_review_and_filing_by_role_with_return(site_factory: Any, y: SimpleNamespace) -> None:
    site = _site(site_factory, y)
    project = _shares_fixed(site, y)
    base = f"/v/{V}/p/yishi/projects/{project.id}"
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=V)
        assert client.post(f"{base}/review", data={"decision": "approved", "opinion": "x"}).status_code == 403
    with site_client(site) as client:
        login(client, site, "far", role="township_official", scope=FAR[:9])
        assert client.post(f"{base}/review", data={"decision": "approved", "opinion": "x"}).status_code == 403
        assert client.get("/p/yishi/").status_code == 200  # a desk of its own, without this village
        assert "硬化村东道路" not in client.get("/p/yishi/").text
    with site_client(site) as client:
        login(client, site, "town", role="township_official", scope=V[:9])
        desk = client.get("/p/yishi/")
        assert desk.status_code == 200 and "硬化村东道路" in desk.text and "乡镇审核中" in desk.text
        assert 'href="/p/yishi/"' in client.get("/").text
        missing = client.post(f"{base}/review", data={"decision": "returned", "opinion": ""})
        assert missing.status_code == 400 and "退回必须写明理由" in missing.text
        returned = client.post(f"{base}/review", data={"decision": "returned", "opinion": "缺少预算明细"},
                               follow_redirects=True)
        assert returned.status_code == 200 and "乡镇退回" in returned.text and "缺少预算明细" in returned.text
    with site.db.transaction() as session:
        again = session.get(Project, project.id)
        services.fix_shares(session, site, y.CLERK, again)
        services.submit_for_review(session, site, y.CLERK, again)
        services.review(session, site, y.TOWNSHIP, again, decision="approved", opinion="同意", on=y.REFERENCE)
    with site_client(site) as client:
        login(client, site, "town2", role="township_official", scope=V[:9])
        assert client.post(f"{base}/file", data={"decision": "filed", "opinion": ""}).status_code == 403
    with site_client(site) as client:
        login(client, site, "county", role="county_official", scope="")
        filed = client.post(f"{base}/file", data={"decision": "filed", "opinion": "准予备案"}, follow_redirects=True)
        assert filed.status_code == 200 and "县级已备案" in filed.text


def test_burden_list_collections_and_public_page(site_factory: Any, y: SimpleNamespace) -> None:
    site = _site(site_factory, y)
    with site.db.transaction() as session:
        project = y.filed_project(session, site, y.TOWNSHIP, y.COUNTY)
        household = next(s.household_id for s in services.current_shares(session, project)
                         if s.household_number == "001")
    base = f"/v/{V}/p/yishi/projects/{project.id}"
    with site_client(site) as anonymous:
        assert anonymous.get(f"{base}/burden", follow_redirects=False).status_code in (302, 303, 307)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=V)
        assert client.get(f"{base}/burden").status_code == 200  # before posting: staff only
        posted = client.post(f"{base}/burden/publish", follow_redirects=True)
        assert posted.status_code == 200 and "负担清单已公示" in posted.text
        paid = client.post(f"{base}/collection", data={"household_id": str(household), "amount": "30",
                                                       "on": "2025-07-01", "receipt_no": "A001"},
                           follow_redirects=True)
        assert paid.status_code == 200 and "30.00 / 30.00" in paid.text
        twice = client.post(f"{base}/collection", data={"household_id": str(household), "amount": "1",
                                                        "on": "2025-07-01"})
        assert twice.status_code == 400 and "本次最多还能收 0.00 元" in twice.text
        spent = client.post(f"{base}/spending", data={"item": "水泥", "amount": "100", "on": "2025-07-02"},
                            follow_redirects=True)
        assert spent.status_code == 200 and "水泥" in spent.text
    with site_client(site) as anonymous:
        public = anonymous.get(base)
        assert public.status_code == 200
        assert "王大" in public.text and re.search(r"130926\*{8}\d{3}[\dX]", public.text)
        assert "1309261980010" not in public.text  # no full resident ID anywhere
        printed = anonymous.get(f"{base}/burden")
        assert printed.status_code == 200 and "合计：筹资 100.00 元，筹劳 20.00 个标准工日" in printed.text
        api = anonymous.get(f"/api/v1/p/yishi/{V}/projects/{project.id}").json()
        assert api["burden"][0]["head_id"].count("*") == 8 and api["account"]["raised"] == "30.00"


@pytest.mark.parametrize(("role", "scope", "view", "manage", "collect"), [
    ("clerk", V, 200, 200, 303),
    ("representative", V, 200, 403, 403),
    ("supervisor", V, 200, 403, 403),
    ("township_official", V[:9], 200, 403, 403),
    ("county_official", "", 200, 403, 403),
    ("site_admin", "", 200, 403, 403),
    ("villager", V, 403, 403, 403),
    ("clerk", OTHER, 403, 403, 403),  # a clerk of another village
])
def test_permissions_per_role_and_across_villages(site_factory: Any, y: SimpleNamespace, role: str, scope: str,
                                                   view: int, manage: int, collect: int) -> None:
    site = _site(site_factory, y)
    with site.db.transaction() as session:
        project = y.filed_project(session, site, y.TOWNSHIP, y.COUNTY)
        household = services.current_shares(session, project)[0].household_id
    base = f"/v/{V}/p/yishi/projects/{project.id}"
    with site_client(site) as client:
        login(client, site, "user", role=role, scope=scope)
        assert client.get(f"/v/{V}/p/yishi/").status_code == view
        assert client.get(f"{base}/manage").status_code == view
        assert client.get(f"/v/{V}/p/yishi/new").status_code == manage
        response = client.post(f"{base}/collection", data={"household_id": str(household), "amount": "1",
                                                           "on": "2025-07-01"}, follow_redirects=False)
        assert response.status_code == collect
        assert client.get(base).status_code == 200  # the public page is public


def test_absent_on_a_site_without_the_plugin(site_factory: Any, y: SimpleNamespace) -> None:
    on = _site(site_factory, y)
    off = site_factory()
    with on.db.transaction() as session:
        project = services.propose(session, on, y.CLERK, village_code=V, data=y.proposal(budget=Decimal("100")))
        services.publish_plan(session, on, y.CLERK, project)
    for site, expected in ((on, 200), (off, 404)):
        with site_client(site) as client:
            login(client, site, "clerk", role="clerk", scope=V)
            assert client.get(f"/v/{V}/p/yishi/").status_code == expected
            assert client.get(f"/v/{V}/p/yishi/projects/{project.id}").status_code == expected
            assert client.get(f"/api/v1/p/yishi/{V}/projects").status_code == expected
            assert (f'href="/v/{V}/p/yishi/"' in client.get(f"/v/{V}/").text) is (expected == 200)
