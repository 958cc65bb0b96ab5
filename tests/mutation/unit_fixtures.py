"""The one fixture the unit tests take from tests/conftest.py, for runs without conftests (`--noconftest`).

The conftests import the whole application for the database and web tests: seconds per mutant that a unit test
never uses. Keep this in step with `_reset_locale` in tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cunwu import i18n


@pytest.fixture(autouse=True)
def _reset_locale() -> Iterator[None]:
    token = i18n.current_locale.set(i18n.DEFAULT_LOCALE)
    yield
    i18n.current_locale.reset(token)
