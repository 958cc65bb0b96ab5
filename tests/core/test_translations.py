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


def _po_files() -> list[Path]:
    """Every catalog of the project: core, the bundled plugins, the documented examples (not the virtualenv)."""
    return sorted(p for p in ROOT.rglob("*.po")
                  if not any(part.startswith(".") or part in ("node_modules", "build", "dist")
                             for part in p.relative_to(ROOT).parts))


def _duplicate_msgids(text: str) -> list[tuple[int, str]]:
    """(line, msgid) of each entry whose msgctxt + msgid came earlier in the same file. Babel's reader keeps the
    first silently, so a later duplicate with another translation would never show: the file must not have one."""
    seen: dict[tuple[str | None, str], int] = {}
    found: list[tuple[int, str]] = []
    key: str | None = None  # the keyword whose string the continuation lines extend
    parts: dict[str, str] = {}
    start = 0

    def close() -> None:
        if "msgid" in parts:
            entry = (parts.get("msgctxt"), parts["msgid"])
            if entry[1] and entry in seen:
                found.append((start, entry[1]))
            seen.setdefault(entry, start)
        parts.clear()

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):  # a blank line or comment ends an entry's strings (#~ = obsolete)
            key = None
            continue
        word, _space, rest = line.partition(" ")
        if word == "msgctxt" or (word == "msgid" and ("msgid" in parts or "msgctxt" not in parts)):
            close()
            start = number
        if word.startswith(("msgctxt", "msgid", "msgstr")):
            key = word
            parts[key] = rest.strip()[1:-1]
        elif line.startswith('"') and key is not None:
            parts[key] = parts.get(key, "") + line[1:-1]
    close()
    return found


def test_no_catalog_has_a_msgid_twice() -> None:
    files = _po_files()
    assert any(p.parts[-5:-3] == ("core", "locale") for p in files) and len(files) >= 6
    duplicates = [f"{p.relative_to(ROOT)}:{line} {msgid!r}"
                  for p in files for line, msgid in _duplicate_msgids(p.read_text("utf-8"))]
    assert duplicates == [], "msgid given twice (the second translation is never used):\n" + "\n".join(duplicates)


def test_the_duplicate_check_sees_continued_and_contextual_msgids() -> None:
    text = ('msgid ""\nmsgstr ""\n"Language: en\\n"\n\nmsgid "村民"\nmsgstr "Villager"\n\n'
            'msgctxt "role"\nmsgid "村民"\nmsgstr "Resident"\n\n'
            '#, python-format\nmsgid ""\n"没有这个村："\n"%(code)s"\nmsgstr "No such village: %(code)s"\n\n'
            'msgid "没有这个村：%(code)s"\nmsgstr "Unknown village %(code)s"\n\n'
            '#~ msgid "村民"\n#~ msgstr "Old"\n')
    assert _duplicate_msgids(text) == [(18, "没有这个村：%(code)s")]


@pytest.mark.parametrize("po_file", _po_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_catalog_compiles(po_file: Path) -> None:
    """The catalogs are compiled in memory at start-up (cunwu.i18n): each one must read and compile."""
    from cunwu import i18n

    with po_file.open("rb") as handle:
        messages = [m for m in read_po(handle) if m.id and isinstance(m.id, str) and m.string]
    assert messages, "an empty catalog"
    compiled = i18n._compile(po_file)
    assert [compiled.gettext(m.id) for m in messages] == [m.string for m in messages]
