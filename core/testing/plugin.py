"""The pytest plugin of the test kit, registered through the `pytest11` entry point (as Datasette does), so a plugin
package's tests get these fixtures by having cunwu installed — no conftest to copy:

- `site_factory(enabled=[...], dialect=..., available={...}, extra_toml=..., villages=[...])`: fresh migrated sites,
  dropped after the test;
- `site`: a core-only SQLite site with three villages in two townships;
- `dialect`: runs a test twice, on SQLite and PostgreSQL; `pg`: PostgreSQL only. Without a server they skip, and
  under CI=true they fail instead;
- `client_as(site, role, village=...)`: a test client logged in as a new user holding `role` (scoped to the village,
  its township, or the site, as the role is normally granted);
- `register(site)`: a `RegisterBuilder` in its own transaction (see `cunwu.testing.register`).

Imports of the core happen inside the fixtures: pytest loads this module before a project's conftest sets its
environment.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from litestar.testing import TestClient

    from cunwu.runtime import Site
    from cunwu.testing import ClientAs, RegisterFactory, SiteFactory


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "postgres: needs the PostgreSQL server (CUNWU_TEST_PG_URL); skipped without it, a failure under CI")
    # Litestar 2.2x deprecates the inferred parameter style the core and plugins use; cunwu pins litestar<3.
    config.addinivalue_line("filterwarnings", "ignore:.*declared using deprecated inferred style:DeprecationWarning")


def require_postgres() -> None:
    """Skip without a server; under CI (CI=true) a missing server is a failure, never a skip."""
    from cunwu.testing import postgres_available

    reason = postgres_available()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)


@pytest.fixture(autouse=True)
def _cunwu_reset_locale() -> Iterator[None]:
    """Every test starts in the source language (zh-CN), whatever the previous one switched to."""
    from cunwu import i18n

    token = i18n.current_locale.set(i18n.DEFAULT_LOCALE)
    yield
    i18n.current_locale.reset(token)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def dialect(request: pytest.FixtureRequest) -> str:
    """Run a test on both databases."""
    if request.param == "postgresql":
        require_postgres()
    return str(request.param)


@pytest.fixture
def pg() -> str:
    """For tests that only make sense on PostgreSQL (real concurrency)."""
    require_postgres()
    return "postgresql"


@pytest.fixture
def site_factory(tmp_path: Path) -> Iterator[SiteFactory]:
    """Make migrated sites (keyword arguments of `cunwu.testing.make_test_site`); each is dropped after the test."""
    from cunwu.testing import drop_test_site, make_test_site

    made: list[Site] = []

    def factory(**kwargs: Any) -> Site:
        kwargs.setdefault("slug", f"site{len(made)}")
        site = make_test_site(tmp_path, **kwargs)
        made.append(site)
        return site

    yield factory
    for site in made:
        drop_test_site(site)


@pytest.fixture
def site(site_factory: SiteFactory) -> Site:
    """A core-only site on SQLite with three villages (two townships)."""
    return site_factory()


@pytest.fixture
def client_as() -> Iterator[ClientAs]:
    """`client_as(site, "clerk", village="130926100201")` -> a client logged in as a fresh user with that role.

    `village` defaults to the site's first; `username` and `person_id` (a register person the account belongs to)
    may be given. Clients are closed after the test."""
    from cunwu.testing import login, role_scope, site_client

    stack = ExitStack()
    made: list[str] = []

    def make(site: Site, role: str, village: str | None = None, *, username: str | None = None,
             person_id: int | None = None) -> TestClient[Any]:
        client = stack.enter_context(site_client(site))
        name = username or f"{role}-{len(made) + 1}"
        made.append(name)
        login(client, site, name, role=role, scope=role_scope(site, role, village), person_id=person_id)
        return client

    with stack:
        yield make


@pytest.fixture
def register() -> RegisterFactory:
    """`with register(site) as reg:` — the register builder in one transaction (`cunwu.testing.build_register`)."""
    from cunwu.testing import build_register

    return build_register


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop the PostgreSQL template databases this process made (one per plugin set)."""
    testing = sys.modules.get("cunwu.testing")
    made_pg = testing is not None and any(key[0] == "postgresql" for key in testing._templates)
    if made_pg and testing.postgres_available() is None:  # type: ignore[union-attr]
        testing.drop_pg_templates()  # type: ignore[union-attr]
