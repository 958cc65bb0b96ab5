"""Code cites the legal rules in docs/domain.md (in the repository), by sections that exist — never a file outside."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [p for folder in ("core", "plugins", "tests", "docs", "themes") for p in (ROOT / folder).rglob("*")
           if p.suffix in (".py", ".md", ".html", ".toml") and p.is_file()]


def test_no_reference_points_outside_the_repository() -> None:
    outside = re.compile(r"RULES\.md|\.\./shared|/work/shared|shared/(ARCHITECTURE|domain)")
    found = [f"{p.relative_to(ROOT)}:{n}" for p in SOURCES if p.name != Path(__file__).name
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1) if outside.search(line)]
    assert found == []


def test_every_cited_section_exists() -> None:
    headings = {m.group(1) for m in re.finditer(r"^#{2,3} (\d+(?:\.\d+)?)\.? ",
                                                (ROOT / "docs" / "domain.md").read_text(encoding="utf-8"), re.M)}
    assert {"1", "1.1", "1.2", "2", "3", "4", "5", "6", "7", "8", "9"} <= headings
    cited = {(p.relative_to(ROOT).as_posix(), m.group(1)) for p in SOURCES
             for m in re.finditer(r"docs/domain\.md §(\d+(?:\.\d+)?)", p.read_text(encoding="utf-8"))}
    assert cited, "nothing cites docs/domain.md"
    assert sorted(c for c in cited if c[1] not in headings) == []
