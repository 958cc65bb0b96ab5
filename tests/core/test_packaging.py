"""pyproject.toml lists packages by hand (package-dir maps core/ → cunwu, plugins/ → cunwu_plugins): none missed."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP = {"__pycache__", "templates", "static", "locale", "migrations"}


def test_every_python_package_is_listed() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    data_only = {name for name, folder in setuptools["package-dir"].items() if folder in ("themes", "sites")}
    listed = set(setuptools["packages"]) - data_only
    found = set()
    for folder, name in (("core", "cunwu"), ("plugins", "cunwu_plugins")):
        for init in (ROOT / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT / folder).parts
            if not SKIP & set(parts):
                found.add(".".join((name, *parts)))
    assert found == listed


def test_bundled_plugins_are_entry_points() -> None:
    entry_points = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["cunwu"]
    bundled = {p.name for p in (ROOT / "plugins").iterdir() if (p / "__init__.py").exists()}
    assert set(entry_points) == bundled
    assert all(value == f"cunwu_plugins.{name}" for name, value in entry_points.items())


def test_the_default_theme_and_the_demo_site_travel_in_the_wheel() -> None:
    """themes/ and sites/ stay at the top level; pyproject maps them into the package (tests/wheel_journey.sh
    installs the built wheel outside the checkout and runs it)."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setuptools["package-dir"]["cunwu.bundled.themes"] == "themes"
    assert setuptools["package-dir"]["cunwu.bundled.sites"] == "sites"
    assert {"cunwu.bundled.themes", "cunwu.bundled.sites"} <= set(setuptools["packages"])
    assert setuptools["package-data"]["cunwu.bundled.themes"] == ["default/**/*"]
    assert setuptools["package-data"]["cunwu.bundled.sites"] == ["demo/**/*"]
    assert (ROOT / "themes" / "default" / "theme.toml").is_file() and (ROOT / "sites" / "demo" / "site.toml").is_file()
