"""Every user-facing string is in a catalog: each msgid in the code and templates has an English translation
with the same %(placeholders)s. zh-CN is the source language, so the Chinese needs no catalog."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2"), ("**/templates/**.xml", "jinja2")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"},
           "**/templates/**.xml": {"extensions": "jinja2.ext.i18n"}}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")

AREAS = [("core", [ROOT / "core", ROOT / "themes"], [ROOT / "core" / "locale"])] + [
    (p.name, [p], [p / "locale", ROOT / "core" / "locale"])
    for p in sorted((ROOT / "plugins").iterdir()) if (p / "__init__.py").exists()
]


def _catalog(locale_dirs: list[Path]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for folder in locale_dirs:
        po = folder / "en" / "LC_MESSAGES" / "messages.po"
        if po.exists():
            with po.open("rb") as handle:
                for message in read_po(handle):
                    if message.id and isinstance(message.id, str) and message.string:
                        merged.setdefault(message.id, message.string)
    return merged


@pytest.mark.parametrize(("area", "sources", "locale_dirs"), AREAS, ids=[a[0] for a in AREAS])
def test_every_message_has_an_english_translation(area: str, sources: list[Path], locale_dirs: list[Path]) -> None:
    catalog = _catalog(locale_dirs)
    missing, mismatched = [], []
    for source in sources:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            source, method_map=METHODS, keywords=KEYWORDS, options_map=OPTIONS
        ):
            msgid = message if isinstance(message, str) else message[0]
            if not msgid or not re.search(r"[\u4e00-\u9fff]", msgid):
                continue
            where = f"{source.name}/{filename}:{lineno}"
            if msgid not in catalog:
                missing.append(f"{where} {msgid!r}")
            elif set(PLACEHOLDER.findall(msgid)) != set(PLACEHOLDER.findall(catalog[msgid])):
                mismatched.append(f"{where} {msgid!r} -> {catalog[msgid]!r}")
    assert missing == [], f"{len(missing)} untranslated in {area}:\n" + "\n".join(missing[:50])
    assert mismatched == [], "placeholders differ:\n" + "\n".join(mismatched)
