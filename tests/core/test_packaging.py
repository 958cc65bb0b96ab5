"""pyproject.toml lists packages by hand (package-dir maps core/ → cunwu, plugins/ → cunwu_plugins): none missed."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP = {"__pycache__", "templates", "static", "locale", "migrations"}


def test_every_python_package_is_listed() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
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
