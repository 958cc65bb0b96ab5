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
