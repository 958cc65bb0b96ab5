"""The shipped test kit, for the core and for plugin authors: throw-away sites, a register builder, logged-in
clients, and the check that a plugin's models match its migrations. The pytest fixtures (`site_factory`, `dialect`,
`pg`, `client_as` …) live in `cunwu.testing.plugin`, loaded by pytest through the `pytest11` entry point whenever
cunwu is installed; docs/plugins.md ("Testing") shows them at work.

    site = make_test_site(tmp_path, enabled=["myplugin"], available={"myplugin": MyPlugin()})
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=site.config.villages[0].code)
        assert client.get("/v/130926100201/p/myplugin/").status_code == 200

Databases: SQLite files under the test's tmp folder, or PostgreSQL when `dialect="postgresql"` (a fresh database
per site, created from `CUNWU_TEST_PG_URL`, dropped by `drop_test_site`). A migrated template is made once per plugin
set and copied, so each test starts from an upgraded, empty database quickly.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from litestar.testing import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cunwu.accounts.actor import Actor
from cunwu.accounts.services import create_user, grant_role
from cunwu.app import create_site_app
from cunwu.db.engine import Database
from cunwu.db.migrate import upgrade
from cunwu.runtime import Site
from cunwu.sites import load_site
from cunwu.testing.register import START, TERM, BuiltHousehold, Member, RegisterBuilder, build_register, resident_id
from cunwu.web.sessions import CSRF_COOKIE

__all__ = [
    "DEFAULT_VILLAGES",
    "START",
    "TERM",
    "TEST_PASSWORD",
    "BuiltHousehold",
    "ClientAs",
    "Member",
    "RegisterBuilder",
    "RegisterFactory",
    "SiteFactory",
    "actor",
    "assert_models_match_migrations",
    "build_register",
    "drop_test_site",
    "field_shown",
    "links_to_nowhere",
    "login",
    "make_test_site",
    "make_user",
    "postgres_available",
    "resident_id",
    "role_scope",
    "site_client",
    "write_site_toml",
]

# The types of the pytest plugin's fixtures, for a test's signature (`def test_x(site_factory: SiteFactory)`).
SiteFactory = Callable[..., Site]
ClientAs = Callable[..., TestClient[Any]]
RegisterFactory = Callable[..., AbstractContextManager[RegisterBuilder]]

TEST_PASSWORD = "test-password-1"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
_templates: dict[tuple[Any, ...], str] = {}

DEFAULT_VILLAGES = [
    ("130926100201", "东街村", "肃宁镇"),
    ("130926100202", "西街村", "肃宁镇"),
    ("130926101201", "梁家村", "梁家村镇"),
]


def pg_url() -> str:
    return os.environ.get("CUNWU_TEST_PG_URL", DEFAULT_PG_URL)


def postgres_available() -> str | None:
    """None when the server answers, else the reason it cannot be used."""
    try:
        engine = create_engine(pg_url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL at {pg_url()} is not reachable: {exc.__class__.__name__}"
    return None


def write_site_toml(folder: Path, *, enabled: list[str], villages: list[tuple[str, str, str]] | None = None,
                    extra: str = "", name: str = "测试县", division_code: str = "130926",
                    hosts: list[str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["[site]", f'name = "{name}"', f'division_code = "{division_code}"',
             f"hosts = {hosts or []!r}".replace("'", '"'),
             f"enabled = {enabled!r}".replace("'", '"'), ""]
    for code, vname, township in villages or DEFAULT_VILLAGES:
        lines += ["[[villages]]", f'code = "{code}"', f'name = "{vname}"', f'township = "{township}"', ""]
    (folder / "site.toml").write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return folder


def _admin_url(url: str) -> str:
    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


def _pg_create(name: str, template: str | None = None) -> str:
    engine = create_engine(_admin_url(pg_url()), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        suffix = f" TEMPLATE {template}" if template else ""
        connection.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    engine.dispose()
    return make_url(pg_url()).set(database=name).render_as_string(hide_password=False)


def _pg_drop(name: str) -> None:
    engine = create_engine(_admin_url(pg_url()), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def make_test_site(
    tmp_path: Path,
    *,
    enabled: list[str] | None = None,
    available: Mapping[str, Any] | None = None,
    extra_toml: str = "",
    dialect: str = "sqlite",
    villages: list[tuple[str, str, str]] | None = None,
    slug: str = "testsite",
    migrate: bool = True,
) -> Site:
    """A migrated, empty site in `tmp_path/<slug>` (site.toml written for you)."""
    enabled = list(enabled or [])
    folder = write_site_toml(tmp_path / slug, enabled=enabled, villages=villages, extra=extra_toml)
    config = load_site(folder)
    key = (dialect, tuple(enabled), tuple(sorted((available or {}).keys())), os.getpid())
    if dialect == "sqlite":
        target = tmp_path / f"{slug}.sqlite3"
        config.database_url = f"sqlite:///{target}"
        if migrate:
            if key not in _templates:
                template_dir = Path(os.environ.get("PYTEST_TMPDIR", "/tmp")) / "cunwu-templates"
                template_dir.mkdir(parents=True, exist_ok=True)
                template_file = template_dir / f"{uuid.uuid4().hex}.sqlite3"
                config.database_url = f"sqlite:///{template_file}"
                template_site = Site(config, available)
                upgrade(template_site)
                template_site.db.dispose()
                _templates[key] = str(template_file)
            shutil.copyfile(_templates[key], target)
            config.database_url = f"sqlite:///{target}"
    else:
        if migrate:
            if key not in _templates:
                template_name = f"cunwu_tpl_{uuid.uuid4().hex[:12]}"
                config.database_url = _pg_create(template_name)
                template_site = Site(config, available)
                upgrade(template_site)
                template_site.db.dispose()
                _templates[key] = template_name
            config.database_url = _pg_create(f"cunwu_t_{uuid.uuid4().hex[:12]}", _templates[key])
        else:
            config.database_url = _pg_create(f"cunwu_t_{uuid.uuid4().hex[:12]}")
    site = Site(config, available, db=Database(config.database_url))
    if migrate:
        site.run_startup()
    return site


def drop_test_site(site: Site) -> None:
    site.db.dispose()
    url = make_url(site.db.url)
    if url.get_backend_name() == "postgresql" and url.database:
        _pg_drop(url.database)


def drop_pg_templates() -> None:
    for key, name in list(_templates.items()):
        if key[0] == "postgresql":
            _pg_drop(name)
            del _templates[key]


@contextmanager
def site_client(site: Site) -> Iterator[TestClient[Any]]:
    """A TestClient whose unsafe requests carry the CSRF header, as htmx does."""
    with TestClient(create_site_app(site), raise_server_exceptions=False) as client:
        client.get("/login")
        client.headers["x-csrftoken"] = client.cookies.get(CSRF_COOKIE) or ""
        yield client


def make_user(site: Site, username: str, *, role: str | None = None, scope: str = "",
              display_name: str | None = None, person_id: int | None = None) -> int:
    with site.db.transaction() as session:
        user = create_user(session, Actor.system("test"), username=username,
                           display_name=display_name or username, password=TEST_PASSWORD, person_id=person_id)
        if role:
            grant_role(session, Actor.system("test"), user, role, scope)
        return int(user.id)  # type: ignore[arg-type]


def field_shown(html: str, field: str) -> str:
    """The markup of one form field as the form toolkit lays it out: the `<label id="f-<field>">` with its control and
    the message beside it (cunwu's forms/_fields.html). A test asserts a refusal's message and the typed value are in
    it, i.e. beside the field, not only somewhere on the page. Fails when the page has no such field, or when its
    error summary links to a field the page does not show (every refused page a test looks at is checked so)."""
    assert not (nowhere := links_to_nowhere(html)), f"the error summary links to {nowhere}: not on the page"
    start = html.find(f'id="f-{field}"')
    assert start >= 0, f"no field f-{field} on the page"
    start = html.rfind("<", 0, start)
    end = html.find("</label>", start)
    assert end >= 0, f"field f-{field} is not a label"
    return html[start:end]


def links_to_nowhere(html: str) -> list[str]:
    """The fields a page's error summary links to (`href="#f-<name>"`) that the page does not show: a problem about
    the whole form (the record's state, a tampered id) must name no field, a renamed field the page's own name.
    Empty when every link lands."""
    return [target for target in re.findall(r'href="#(f-[^"]+)"', html) if f'id="{target}"' not in html]


def login(client: TestClient[Any], site: Site, username: str, *, role: str | None = None, scope: str = "",
          create: bool = True, person_id: int | None = None) -> None:
    """Create the user (with one role) unless it exists, then log in through the real login form."""
    if create:
        make_user(site, username, role=role, scope=scope, person_id=person_id)
    response = client.post("/login", data={"username": username, "password": TEST_PASSWORD, "next": "/"},
                           follow_redirects=False)
    assert response.status_code == 303, f"login of {username} failed: {response.status_code} {response.text[:200]}"
    client.headers["x-csrftoken"] = client.cookies.get(CSRF_COOKIE) or ""


def actor(site: Site, username: str) -> Actor:
    """The Actor of an existing user (for calling services directly in tests)."""
    from sqlmodel import select

    from cunwu.accounts.models import User
    from cunwu.accounts.services import load_actor

    with site.db.read() as session:
        user = session.exec(select(User).where(User.username == username)).one()
        loaded = load_actor(session, int(user.id))  # type: ignore[arg-type]
    assert loaded is not None
    return loaded


def role_scope(site: Site, role: str, village: str | None = None) -> str:
    """The scope code a role is normally granted at, for `village` (default: the site's first village):
    the village for village roles, its township for township officials, the whole site ("") for the others."""
    from cunwu.accounts.roles import ROLE_SCOPES

    code = village or site.config.villages[0].code
    kinds = ROLE_SCOPES[role]
    if "village" in kinds:
        return code
    if "township" in kinds:
        return code[:9]
    return ""


def models_migrations_diff(site: Site) -> list[Any]:
    """Alembic's autogenerate diff between the models and the database, limited to the tables of what the site
    enables (an empty list when they agree)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from cunwu.db.base import metadata

    owned = set(site.plugins.owner_of_table())

    def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        table = obj if type_ == "table" else getattr(obj, "table", None)
        return getattr(table, "name", name) in owned

    with site.db.read_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include_object,
                                                               "compare_type": True})
        return list(compare_metadata(context, metadata))


def assert_models_match_migrations(site: Site) -> None:
    """Upgrade the site's database (every enabled branch), then fail naming each difference between the models and
    what the migrations built — a column added to a model without a revision, a changed type or index."""
    from cunwu.db.migrate import pending

    upgrade(site)
    assert pending(site) == [], f"branches still pending after upgrade: {pending(site)}"
    diff = models_migrations_diff(site)
    assert diff == [], "models and migrations differ (write a revision with `cunwu db revision`):\n" + "\n".join(
        f"  {entry!r}" for entry in diff)


def unique_violation(table: str) -> str:
    """A `pytest.raises(IntegrityError, match=…)` pattern for a unique index of `table`, on SQLite and PostgreSQL
    (SQLite names the table's columns, PostgreSQL the index, whose name contains the table's)."""
    return rf'UNIQUE constraint failed: {table}\.|violates unique constraint "\w*{table}'


def check_violation(constraint: str) -> str:
    """A `pytest.raises(IntegrityError, match=…)` pattern for the named CHECK constraint, on SQLite and PostgreSQL."""
    return rf'CHECK constraint failed: {constraint}\b|violates check constraint "{constraint}"'
