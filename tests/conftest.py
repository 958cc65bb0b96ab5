"""Project-specific test set-up. The fixtures (`site_factory`, `site`, `dialect`, `pg`, `client_as`, `register`) come
from the shipped test kit, `cunwu.testing.plugin`, which pytest loads through cunwu's `pytest11` entry point."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("CUNWU_DATA_DIR", str(Path(config.rootpath) / "var" / "test"))
