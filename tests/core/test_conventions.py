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


# Parameters that are the plugin boundary: a hook's or service's site, actor, database session, request and the
# records hooks hand over. Typed with the real class (`cunwu.api.Site`, `Actor`, ...), never `Any` (issue #12).
BOUNDARY_PARAMETERS = frozenset({"site", "actor", "session", "request", "notice", "objection", "matter", "demo",
                                 "cli", "site_factory", "client_as", "register"})


def untyped_boundary(source: str, name: str) -> list[str]:
    """`name:line parameter` for every boundary parameter of a function in `source` annotated `Any` (or `Any | X`)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args
            for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
                annotation = ast.unparse(argument.annotation) if argument.annotation else ""
                if argument.arg in BOUNDARY_PARAMETERS and "Any" in annotation.replace(" ", "").split("|"):
                    found.append(f"{name}:{node.lineno} {argument.arg}")
    return found


def test_the_boundary_is_typed_not_any(tmp_path: Path) -> None:
    """`site: Any` hides from a plugin author (and the type checker) what a hook hands over; the core, the bundled
    plugins, the example plugin and what `cunwu plugins new` writes name the real types."""
    from cunwu.scaffold import new_plugin

    root = TESTS.parent
    sources = [path for folder in ("core", "plugins", "docs/examples")
               for path in sorted((root / folder).rglob("*.py"))]
    new_plugin("typedcheck", tmp_path / "typedcheck")
    sources += sorted((tmp_path / "typedcheck").rglob("*.py"))
    found = [hit for path in sources for hit in untyped_boundary(path.read_text(encoding="utf-8"), str(path))]
    assert found == []


def test_the_boundary_check_finds_an_untyped_site() -> None:
    source = ("def hook(site: Any, actor: Any | None, request: Request[Any, Any, Any], value: Any) -> None: ...\n"
              "async def other(*, session: Any) -> None: ...\n")
    assert untyped_boundary(source, "x.py") == ["x.py:1 site", "x.py:1 actor", "x.py:2 session"]
