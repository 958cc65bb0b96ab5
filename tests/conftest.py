"""Shared fixtures. Sites are built with cunwu.testing; PostgreSQL tests use the `dialect` fixture."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cunwu import i18n
from cunwu.testing import drop_pg_templates, drop_test_site, make_test_site, postgres_available


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("CUNWU_DATA_DIR", str(Path(config.rootpath) / "var" / "test"))


@pytest.fixture(autouse=True)
def _reset_locale() -> Iterator[None]:
    token = i18n.current_locale.set(i18n.DEFAULT_LOCALE)
    yield
    i18n.current_locale.reset(token)


def require_postgres() -> None:
    """Skip without a server; under CI (CI=true) a missing server is a failure, never a skip."""
    reason = postgres_available()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)


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
def site_factory(tmp_path: Path) -> Iterator[Any]:
    made: list[Any] = []

    def factory(**kwargs: Any) -> Any:
        kwargs.setdefault("slug", f"site{len(made)}")
        site = make_test_site(tmp_path, **kwargs)
        made.append(site)
        return site

    yield factory
    for site in made:
        drop_test_site(site)


@pytest.fixture
def site(site_factory: Any) -> Any:
    """A core-only site on SQLite with three villages (two townships)."""
    return site_factory()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if postgres_available() is None:
        drop_pg_templates()
