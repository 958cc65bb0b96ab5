"""Conventions of the test suite itself, checked so they hold as the suite grows."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_every_pytest_raises_names_the_error_it_expects() -> None:
    """`pytest.raises(ValueError)` alone passes on the wrong ValueError; `match=` pins the message."""
    missing = []
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "pytest.raises" \
                    and not any(keyword.arg == "match" for keyword in node.keywords):
                missing.append(f"{path.relative_to(TESTS.parent)}:{node.lineno}")
    assert missing == []


def test_dates_come_from_the_one_local_clock() -> None:
    """`date.today()` / `datetime.now()` read the server's clock (UTC on most servers): between 00:00 and 08:00 in
    China they give yesterday. Code asks `cunwu.clock` (`local_today()`, `local_now()`, `utcnow()`) instead."""
    root = TESTS.parent
    server_clock = []
    for folder in ("core", "plugins"):
        for path in sorted((root / folder).rglob("*.py")):
            if path.name == "clock.py" and path.parent.name == "core":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                        and node.func.attr in ("today", "now", "utcnow") \
                        and ast.unparse(node.func.value).split(".")[-1] in ("date", "datetime"):
                    server_clock.append(f"{path.relative_to(root)}:{node.lineno}")
    assert server_clock == []
