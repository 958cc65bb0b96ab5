"""Start-up refuses a route that declares no permission, or one no manifest defines, naming the plugin and route."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Controller, get

from cunwu import hookimpl
from cunwu.app import create_site_app
from cunwu.plugin_types import Manifest, Permission
from cunwu.plugins import PluginError
from cunwu.testing import site_client


class Routes:
    """A plugin whose routes are given by the test."""

    def __init__(self, *handlers: Any) -> None:
        self.handlers = list(handlers)

    @hookimpl
    def manifest(self) -> Manifest:
        return Manifest(name="roads", title_zh="道路", title_en="Roads", version="1",
                        permissions=(Permission("roads.view", "看道路", "View roads", frozenset({"clerk"})),))

    @hookimpl
    def register_routes(self, site: Any) -> list[Any]:
        return self.handlers


def started(site_factory: Any, *handlers: Any) -> Any:
    return site_factory(enabled=["roads"], available={"roads": Routes(*handlers)})


def build(site_factory: Any, *handlers: Any) -> Any:
    return create_site_app(started(site_factory, *handlers))


def test_a_route_without_a_permission_stops_start_up(site_factory: Any) -> None:
    @get("/p/roads/")
    async def roads() -> str:
        return "roads"

    with pytest.raises(PluginError, match=r"plugin 'roads': route GET /p/roads declares no permission"):
        build(site_factory, roads)


def test_a_misspelt_permission_stops_start_up(site_factory: Any) -> None:
    @get("/v/{village_code:str}/p/roads/", opt={"permission": "roads.veiw"})
    async def roads(village_code: str) -> str:
        return village_code

    with pytest.raises(PluginError, match=r"plugin 'roads': route GET /v/\{village_code:str\}/p/roads: "
                                          r"unknown permission 'roads\.veiw'"):
        build(site_factory, roads)


def test_one_unknown_name_in_a_tuple_is_enough_to_refuse(site_factory: Any) -> None:
    @get("/p/roads/", opt={"permission": ("roads.view", "registry.nosuch")})
    async def roads() -> str:
        return "roads"

    with pytest.raises(PluginError, match=r"unknown permission 'registry\.nosuch'"):
        build(site_factory, roads)


def test_a_controller_may_declare_the_permission_for_all_its_routes(site_factory: Any) -> None:
    class RoadController(Controller):
        path = "/p/roads"
        opt = {"permission": "roads.view"}

        @get("/")
        async def index(self) -> str:
            return "roads"

        @get("/map", opt={"public": True})
        async def public_map(self) -> str:
            return "map"

    with site_client(started(site_factory, RoadController)) as client:
        assert client.get("/p/roads/map").text == "map"
        assert client.get("/p/roads/", follow_redirects=False).status_code in (302, 303, 401)


def test_declared_routes_start_and_are_guarded(site_factory: Any) -> None:
    @get("/p/roads/", opt={"permission": "roads.view"})
    async def roads() -> str:
        return "roads"

    @get("/p/roads/about", opt={"public": True})
    async def about() -> str:
        return "about roads"

    with site_client(started(site_factory, roads, about)) as client:
        assert client.get("/p/roads/about").text == "about roads"
        assert client.get("/p/roads/", follow_redirects=False).status_code in (302, 303, 401)
