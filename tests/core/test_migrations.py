"""Migrations and models agree (empty autogenerate diff), for core alone, core + each plugin, and everything,
on SQLite and PostgreSQL; a site's database holds only the tables of what it enables."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import inspect

from cunwu.db.migrate import enabled_branches, pending, upgrade
from cunwu.plugins import installed_plugins
from cunwu.testing import assert_models_match_migrations

PLUGINS = sorted(installed_plugins())
CONFIGURATIONS = [pytest.param([], id="core"), *[pytest.param([p], id=f"core+{p}") for p in PLUGINS]]
if len(PLUGINS) > 1:
    CONFIGURATIONS.append(pytest.param(PLUGINS, id="everything"))


@pytest.mark.parametrize("enabled", CONFIGURATIONS)
def test_models_and_migrations_agree(enabled: list[str], dialect: str, site_factory: Any) -> None:
    site = site_factory(enabled=enabled, dialect=dialect, migrate=False)
    assert pending(site) == enabled_branches(site)
    assert upgrade(site) == ["core", *[p for p in enabled if p in enabled_branches(site)]]
    assert pending(site) == []
    assert_models_match_migrations(site)
    tables = set(inspect(site.db.read_engine).get_table_names())
    assert set(site.plugins.owner_of_table()) <= tables
    for plugin in set(PLUGINS) - set(enabled):
        assert not [t for t in tables if t.startswith(f"{plugin}_")], f"{plugin} tables on a site without it"


def test_upgrade_is_idempotent(site: Any) -> None:
    assert upgrade(site) == ["core"]
    assert pending(site) == []
