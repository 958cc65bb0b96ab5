"""Site-level pages and endpoints: county overview, village home, login, locale, health, version, plugins.json."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import anyio.to_thread
from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from cunwu import API_VERSION, __version__
from cunwu.accounts.services import authenticate
from cunwu.errors import Problem
from cunwu.i18n import LOCALES, _
from cunwu.web.render import render, site_of
from cunwu.web.store import count

if TYPE_CHECKING:
    from cunwu.runtime import Site

LOGIN_FAILURE_LIMIT = 5
LOGIN_WINDOW_SECONDS = 15 * 60


@get("/", opt={"public": True}, sync_to_thread=True, name="site_home")
def site_home(request: Request[Any, Any, Any]) -> Response[str]:
    site = site_of(request)
    return render(request, "site/home.html", {"townships": site.townships()})


@get("/v/{village_code:str}/", opt={"public": True}, sync_to_thread=True, name="village_home")
def village_home(request: Request[Any, Any, Any], village_code: str) -> Response[str]:
    return render(request, "site/village.html")


@get("/-/health", opt={"public": True}, sync_to_thread=True, include_in_schema=False)
def health(request: Request[Any, Any, Any]) -> dict[str, Any]:
    site = site_of(request)
    with site.db.read() as session:
        session.connection().exec_driver_sql("SELECT 1")
    return {"status": "ok", "site": site.slug}


@get("/-/version", opt={"public": True}, include_in_schema=False)
async def version() -> dict[str, str]:
    return {"cunwu": __version__, "api": API_VERSION}


@get("/-/plugins.json", opt={"public": True}, include_in_schema=False)
async def plugins_json(request: Request[Any, Any, Any]) -> list[dict[str, Any]]:
    site = site_of(request)
    return [
        {"name": m.name, "title_zh": m.title_zh, "title_en": m.title_en, "version": m.version,
         "requires": m.requires, "permissions": [p.name for p in m.permissions]}
        for m in (site.plugins.manifests[name] for name in site.plugins.plugin_names())
    ]


@get("/login", opt={"public": True}, sync_to_thread=True, name="login_page")
def login_page(request: Request[Any, Any, Any], next: str = "") -> Response[str]:
    return render(request, "site/login.html", {"next": next, "error": None, "errors": []})


def _safe_next(value: str) -> str:
    return value if value.startswith("/") and not value.startswith("//") else "/"


def _authenticate(site: Site, username: str, password: str) -> Any:
    with site.db.read() as session:
        return authenticate(session, username, password)


@post("/login", opt={"public": True})
async def login(
    request: Request[Any, Any, Any],
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[Any]:
    """Log in. Attempts are counted per user name and client in the shared store (every worker sees them), before
    the password is checked and atomically, so parallel guesses cannot all pass; a success clears the count."""
    site = site_of(request)
    username = data.get("username", "").strip()
    # No page named, or the county overview (the header's login link on the front page): land on 我的待办.
    requested = data.get("next", "")
    next_url = _safe_next(requested) if requested not in ("", "/") else "/my"
    client = request.client.host if request.client else "-"
    key = f"login:{username}:{client}"
    limiter = site.store.with_namespace("ratelimit")
    attempts = await count(limiter, key, window_seconds=LOGIN_WINDOW_SECONDS)

    async def page(status: int, error: str = "", problems: list[Problem] | None = None) -> Response[str]:
        return await anyio.to_thread.run_sync(
            lambda: render(request, "site/login.html", {"next": next_url, "error": error, "username": username,
                                                        "errors": problems or []}, status_code=status))

    if attempts > LOGIN_FAILURE_LIMIT:
        return await page(429, _("登录失败次数过多，请 15 分钟后再试"))
    password = data.get("password", "")
    # An empty box is named beside itself; a wrong pair never says which of the two was wrong.
    missing = [Problem(_("请填写%(label)s", label=label), field=name)
               for name, label, value in (("username", _("用户名"), username), ("password", _("密码"), password))
               if not value]
    if missing:
        return await page(400, problems=missing)
    user = await anyio.to_thread.run_sync(_authenticate, site, username, password)
    if user is None:
        return await page(400, _("用户名或密码不正确"))
    await limiter.delete(key)
    request.clear_session()
    request.set_session({"user_id": user.id, "locale": user.locale})
    return Redirect(next_url, status_code=303)


@post("/logout", opt={"public": True})
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    request.clear_session()
    return Redirect("/", status_code=303)


@get("/-/locale/{lang:str}", opt={"public": True}, include_in_schema=False)
async def switch_locale(request: Request[Any, Any, Any], lang: str, next: str = "/") -> Redirect:
    """Switch language for this browser (cookie), and for the logged-in user's session."""
    lang = lang if lang in LOCALES else "zh_CN"
    response = Redirect(_safe_next(next), status_code=303)
    response.set_cookie("cunwu_lang", lang, max_age=365 * 86400, samesite="lax", httponly=True)
    session = request.scope.get("session")
    if isinstance(session, dict) and session.get("user_id"):
        request.set_session({**session, "locale": lang})
    return response


ROUTES = [site_home, village_home, health, version, plugins_json, login_page, login, logout, switch_locale]
