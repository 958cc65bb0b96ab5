"""Web-shell behaviour every page relies on: htmx fragments, Vary, error pages, DomainError, static files."""

from __future__ import annotations

from typing import Any

from litestar import get
from litestar.testing import TestClient

from cunwu import hookimpl
from cunwu.app import create_site_app
from cunwu.errors import DomainError, Problem
from cunwu.plugin_types import Manifest


class Failing:
    @hookimpl
    def manifest(self) -> Manifest:
        return Manifest(name="failing", title_zh="出错", title_en="Failing", version="1")

    @hookimpl
    def register_routes(self, site: Any) -> list[Any]:
        @get("/p/failing/domain", opt={"public": True})
        async def domain() -> None:
            raise DomainError("导入失败", [Problem("身份证号码校验位错误", row=7, column="身份证号")])

        @get("/api/v1/p/failing/domain", opt={"public": True})
        async def domain_api() -> None:
            raise DomainError("导入失败", [Problem("身份证号码校验位错误", row=7, column="身份证号")])

        @get("/p/failing/crash", opt={"public": True})
        async def crash() -> None:
            raise RuntimeError("boom")

        return [domain, domain_api, crash]


def _site(site_factory: Any) -> Any:
    return site_factory(enabled=["failing"], available={"failing": Failing()})


def test_htmx_request_gets_only_the_content_block(site: Any) -> None:
    with TestClient(create_site_app(site)) as client:
        full = client.get("/")
        fragment = client.get("/", headers={"HX-Request": "true"})
    assert full.text.startswith("<!doctype html>") and "<header" in full.text
    assert "<header" not in fragment.text and "东街村" in fragment.text
    assert "HX-Request" in fragment.headers["vary"]


def test_domain_error_shows_message_and_where(site_factory: Any) -> None:
    with TestClient(create_site_app(_site(site_factory))) as client:
        page = client.get("/p/failing/domain")
        api = client.get("/api/v1/p/failing/domain")
    assert page.status_code == 400
    assert "导入失败" in page.text and "第 7 行 · 身份证号" in page.text
    assert api.status_code == 400
    assert api.json()["problems"] == [{"message": "身份证号码校验位错误", "where": "第 7 行 · 身份证号"}]


def test_a_refusal_on_the_shared_page_links_back_to_the_page_it_came_from_on_this_site(site_factory: Any) -> None:
    with TestClient(create_site_app(_site(site_factory))) as client:
        here = client.get("/p/failing/domain", headers={"Referer": "http://testserver.local/p/failing/form?id=7"})
        elsewhere = client.get("/p/failing/domain", headers={"Referer": "https://evil.example/p/failing/form"})
        unknown = client.get("/p/failing/domain")
    assert here.status_code == 400 and 'href="/p/failing/form?id=7">返回上一页</a>' in here.text
    assert "evil.example" not in elsewhere.text and 'href="javascript:history.back()"' in elsewhere.text
    assert 'href="javascript:history.back()">返回上一页</a>' in unknown.text


def test_unhandled_error_is_a_themed_500_without_details(site_factory: Any) -> None:
    with TestClient(create_site_app(_site(site_factory)), raise_server_exceptions=False) as client:
        page = client.get("/p/failing/crash")
    assert page.status_code == 500
    assert "服务器出错了" in page.text and "boom" not in page.text


def test_static_files_and_vendored_htmx(site: Any) -> None:
    with TestClient(create_site_app(site)) as client:
        htmx = client.get("/static/vendor/htmx.min.js")
        css = client.get("/static/cunwu.css")
        page = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert htmx.status_code == 200 and "htmx" in htmx.text[:200]
    assert css.status_code == 200 and "print" not in css.headers.get("content-type", "")
    assert page.headers.get("content-encoding") == "gzip"
    assert 'src="/static/vendor/htmx.min.js' in page.text and "cdn" not in page.text.lower()


class CountyPage:
    @hookimpl
    def manifest(self) -> Manifest:
        from cunwu.plugin_types import Permission

        return Manifest(name="county", title_zh="县", title_en="County", version="1", permissions=(
            Permission("county.review", "审核", "Review", frozenset({"township_official", "county_official"})),))

    @hookimpl
    def register_routes(self, site: Any) -> list[Any]:
        from litestar import Request

        from cunwu.web.render import actor_of

        @get("/p/county/queue", opt={"permission": "county.review"})
        async def queue(request: Request[Any, Any, Any]) -> list[str]:
            return site.villages_for(actor_of(request), "county.review")

        return [queue]


def test_county_level_route_lets_a_township_official_see_only_the_township(site_factory: Any) -> None:
    from cunwu.testing import login, site_client

    site = site_factory(enabled=["county"], available={"county": CountyPage()})
    with site_client(site) as client:
        login(client, site, "town", role="township_official", scope="130926100")
        assert client.get("/p/county/queue").json() == ["130926100201", "130926100202"]
    with site_client(site) as client:
        login(client, site, "boss", role="county_official")
        assert len(client.get("/p/county/queue").json()) == 3
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope="130926100201")
        assert client.get("/p/county/queue").status_code == 403
