"""An htmx request renders only a page's `content` block, and a block does not see imports made outside it: a
template that imports its macros above `{% block content %}` answers htmx with an HTTP 500 ('x' is undefined)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOP_IMPORT = re.compile(r"\{%-?\s*(?:from|import)\s")


def test_pages_import_their_macros_inside_the_content_block() -> None:
    templates = [*ROOT.glob("core/templates/**/*.html"), *ROOT.glob("plugins/*/templates/**/*.html"),
                 *ROOT.glob("themes/*/templates/**/*.html"), *ROOT.glob("docs/examples/*/**/templates/**/*.html")]
    assert templates
    offenders = []
    for path in templates:
        text = path.read_text(encoding="utf-8")
        start = text.find("{% block content %}")
        if start > 0 and TOP_IMPORT.search(text[:start]):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == [], "move these imports inside {% block content %}: " + ", ".join(offenders)
