"""The plugin system: an inline plugin end to end, and every start-up refusal with its message."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from litestar import Request, Response, get
from sqlalchemy import inspect
from sqlmodel import Field, SQLModel, select

from cunwu import hookimpl
from cunwu.plugin_types import Manifest, MenuLink, Permission
from cunwu.plugins import PluginError
from cunwu.sites import SiteConfigError
from cunwu.testing import login, site_client
from cunwu.web.render import render


class GuestbookEntry(SQLModel, table=True):
    __tablename__ = "guestbook_entry"
    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12)
    text: str = Field(max_length=200)


MIGRATION = '''
"""guestbook initial"""
import sqlalchemy as sa
from alembic import op

revision = "guestbook_0001"
down_revision = None
branch_labels = ("guestbook",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "guestbook_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("village_code", sa.String(length=12), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("guestbook_entry")
'''


class Guestbook:
    """A whole plugin written inline: table + migration, route, template, menu link, permission, setting."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        (folder / "migrations").mkdir(parents=True, exist_ok=True)
        (folder / "migrations" / "guestbook_0001.py").write_text(textwrap.dedent(MIGRATION))
        (folder / "templates" / "guestbook").mkdir(parents=True, exist_ok=True)
        (folder / "templates" / "guestbook" / "list.html").write_text(
            '{% extends "base.html" %}{% block content %}<h1>{{ greeting }}</h1>'
            "{% for e in entries %}<p class=entry>{{ e.text }}</p>{% endfor %}{% endblock %}"
        )

    @hookimpl
    def manifest(self) -> Manifest:
        from pydantic import BaseModel, ConfigDict

        class Settings(BaseModel):
            model_config = ConfigDict(extra="forbid")
            greeting: str = "留言簿"

        return Manifest(
            name="guestbook", title_zh="留言簿", title_en="Guestbook", version="1.0", settings=Settings,
            permissions=(Permission("guestbook.read", "读留言", "Read", frozenset({"clerk"})),),
            migrations=self.folder / "migrations", folder=self.folder,
        )

    @hookimpl
    def register_models(self) -> list[type]:
        return [GuestbookEntry]

    @hookimpl
    def register_routes(self, site: Any) -> list[Any]:
        @get("/v/{village_code:str}/p/guestbook/", opt={"permission": "guestbook.read"}, sync_to_thread=True)
        def entries(request: Request[Any, Any, Any], village_code: str) -> Response[str]:
            with site.db.read() as session:
                rows = session.exec(select(GuestbookEntry).where(GuestbookEntry.village_code == village_code)).all()
            return render(request, "guestbook/list.html",
                          {"entries": rows, "greeting": site.settings("guestbook").greeting})

        return [entries]

    @hookimpl
    def menu_links(self, request: Any, actor: Any, village_code: str | None) -> list[MenuLink]:
        return [MenuLink(href=f"/v/{village_code}/p/guestbook/", label="留言簿")] if village_code else []


VILLAGE = "130926100201"


def test_inline_plugin_is_visible_where_enabled_and_absent_elsewhere(site_factory: Any, tmp_path: Path) -> None:
    plugin = Guestbook(tmp_path / "guestbook")
    on = site_factory(enabled=["guestbook"], available={"guestbook": plugin},
                      extra_toml='[plugins.guestbook]\ngreeting = "村民留言"\n')
    off = site_factory(available={"guestbook": plugin})
    assert "guestbook_entry" in inspect(on.db.read_engine).get_table_names()
    assert "guestbook_entry" not in inspect(off.db.read_engine).get_table_names()
    with on.db.transaction() as session:
        session.add(GuestbookEntry(village_code=VILLAGE, text="修路的事什么时候开会？"))

    with site_client(on) as client:
        login(client, on, "clerk", role="clerk", scope=VILLAGE)
        home = client.get(f"/v/{VILLAGE}/")
        assert f'href="/v/{VILLAGE}/p/guestbook/"' in home.text
        page = client.get(f"/v/{VILLAGE}/p/guestbook/")
        assert page.status_code == 200
        assert "村民留言" in page.text and "修路的事什么时候开会？" in page.text
        assert [p["name"] for p in client.get("/-/plugins.json").json()] == ["guestbook"]
    with site_client(off) as client:
        login(client, off, "clerk", role="clerk", scope=VILLAGE)
        assert client.get(f"/v/{VILLAGE}/p/guestbook/").status_code == 404
        assert "/p/guestbook/" not in client.get(f"/v/{VILLAGE}/").text
        assert client.get("/-/plugins.json").json() == []


def test_inline_plugin_route_needs_its_permission(site_factory: Any, tmp_path: Path) -> None:
    plugin = Guestbook(tmp_path / "guestbook")
    on = site_factory(enabled=["guestbook"], available={"guestbook": plugin})
    with site_client(on) as client:
        assert client.get(f"/v/{VILLAGE}/p/guestbook/", follow_redirects=False).status_code in (302, 303, 307)
        login(client, on, "rep", role="representative", scope=VILLAGE)
        assert client.get(f"/v/{VILLAGE}/p/guestbook/").status_code == 403


def _plugin(**manifest_changes: Any) -> Any:
    class Bad:
        @hookimpl
        def manifest(self) -> Manifest:
            values = {"name": "bad", "title_zh": "坏", "title_en": "Bad", "version": "1.0"}
            values.update(manifest_changes)
            return Manifest(**values)

    return Bad()


def test_unknown_hook_name_stops_startup(site_factory: Any) -> None:
    class Misspelled:
        @hookimpl
        def manifest(self) -> Manifest:
            return Manifest(name="typo", title_zh="错", title_en="Typo", version="1")

        @hookimpl
        def menu_link(self) -> list[Any]:  # the hook is menu_links
            return []

    with pytest.raises(PluginError, match=r"plugin 'typo'.*menu_link"):
        site_factory(enabled=["typo"], available={"typo": Misspelled()}, migrate=False)


def test_incompatible_core_api_stops_startup(site_factory: Any) -> None:
    with pytest.raises(PluginError, match=r"plugin 'bad': requires core API >=2.0"):
        site_factory(enabled=["bad"], available={"bad": _plugin(requires=">=2.0")}, migrate=False)


def test_duplicate_permission_stops_startup(site_factory: Any) -> None:
    twice = (Permission("bad.read", "x", "x"), Permission("bad.read", "y", "y"))
    with pytest.raises(PluginError, match=r"plugin 'bad': permission 'bad.read' is already defined"):
        site_factory(enabled=["bad"], available={"bad": _plugin(permissions=twice)}, migrate=False)


def test_permission_outside_namespace_stops_startup(site_factory: Any) -> None:
    with pytest.raises(PluginError, match=r"permission 'other.read' must start with 'bad.'"):
        site_factory(enabled=["bad"], available={"bad": _plugin(permissions=(Permission("other.read", "x", "x"),))},
                     migrate=False)


def test_table_outside_prefix_stops_startup(site_factory: Any) -> None:
    class Stray:
        @hookimpl
        def manifest(self) -> Manifest:
            return Manifest(name="stray", title_zh="越界", title_en="Stray", version="1")

        @hookimpl
        def register_models(self) -> list[type]:
            return [GuestbookEntry]

    with pytest.raises(PluginError, match=r"plugin 'stray': table 'guestbook_entry'.*outside its prefix 'stray_'"):
        site_factory(enabled=["stray"], available={"stray": Stray()}, migrate=False)


def test_route_outside_namespace_stops_startup(site_factory: Any) -> None:
    class Squatter:
        @hookimpl
        def manifest(self) -> Manifest:
            return Manifest(name="squatter", title_zh="占", title_en="Squatter", version="1")

        @hookimpl
        def register_routes(self, site: Any) -> list[Any]:
            @get("/notices/", opt={"public": True})
            async def clash() -> str:
                return "mine"

            return [clash]

    site = site_factory(enabled=["squatter"], available={"squatter": Squatter()}, migrate=False)
    with pytest.raises(PluginError, match=r"plugin 'squatter': route '/notices/?' is outside"):
        from cunwu.app import create_site_app

        create_site_app(site)


def test_unknown_plugin_in_site_toml(site_factory: Any) -> None:
    with pytest.raises(SiteConfigError, match=r"site.toml: site.enabled: unknown plugin 'nosuch'"):
        site_factory(enabled=["nosuch"], migrate=False)


def test_plugin_settings_are_validated_with_file_key_and_expected_type(site_factory: Any, tmp_path: Path) -> None:
    plugin = Guestbook(tmp_path / "guestbook")
    with pytest.raises(SiteConfigError, match="greeting: Input should be a valid string") as wrong_type:
        site_factory(enabled=["guestbook"], available={"guestbook": plugin},
                     extra_toml="[plugins.guestbook]\ngreeting = 5\n", migrate=False)
    assert "site.toml: [plugins.guestbook]" in str(wrong_type.value)
    assert "greeting: Input should be a valid string" in str(wrong_type.value)
    with pytest.raises(SiteConfigError, match=r"\[plugins.guestbook\].*\n.*colour: Extra inputs are not permitted"):
        site_factory(enabled=["guestbook"], available={"guestbook": plugin},
                     extra_toml='[plugins.guestbook]\ncolour = "red"\n', migrate=False)
    with pytest.raises(SiteConfigError, match=r"\[plugins.ghost\]: unknown plugin 'ghost'"):
        site_factory(extra_toml="[plugins.ghost]\nx = 1\n", migrate=False)


def test_manifest_name_must_match_entry_point_name(site_factory: Any) -> None:
    with pytest.raises(PluginError, match=r"plugin 'alias': manifest name 'bad' differs"):
        site_factory(enabled=["alias"], available={"alias": _plugin()}, migrate=False)


class _OfferSpecs:
    from cunwu import hookspec

    @staticmethod
    @hookspec
    def offer_made(village_code: str) -> Any:
        """An inline plugin's own hook."""


class _Offerer:
    hookspecs = _OfferSpecs

    @hookimpl
    def manifest(self) -> Manifest:
        return Manifest(name="offer", title_zh="提供方", title_en="Offerer", version="1.0.0", requires=">=1.0,<2.0")


class _Taker:
    @hookimpl
    def manifest(self) -> Manifest:
        return Manifest(name="taker", title_zh="使用方", title_en="Taker", version="1.0.0", requires=">=1.0,<2.0")

    @hookimpl(optionalhook=True)
    def offer_made(self, village_code: str) -> str:
        return f"taken {village_code}"


def test_plugin_declared_hook_is_called_when_both_are_enabled(site_factory: Any) -> None:
    site = site_factory(enabled=["taker", "offer"], available={"offer": _Offerer(), "taker": _Taker()})
    assert site.call("offer_made", village_code="130926100201") == ["taken 130926100201"]


def test_plugin_implementing_an_absent_plugins_hook_still_starts(site_factory: Any) -> None:
    site = site_factory(enabled=["taker"], available={"taker": _Taker()})
    assert site.is_enabled("taker")
    assert site.plugins.hook.offer_made.spec is None  # nobody declares it here, so nobody calls it
