"""Issue #18: the commit re-runs the preview under the write lock and reuses the file's parsed rows; whatever the
rows were checked against (the village's groups, the reader's language) is part of what is reused, so a change
between the dry run and the commit is still seen."""

from __future__ import annotations

from typing import Any

from cunwu.i18n import current_locale
from cunwu.registry import services
from cunwu.registry.importer import preview, read_table

from .conftest import VILLAGE
from .registerfile import csv_bytes, register_rows


def test_a_group_added_after_the_dry_run_is_seen_by_the_commit(site_factory: Any, clerk: Any) -> None:
    site = site_factory()
    rows = register_rows(12, seed=11, groups=2)
    with site.db.transaction() as session:
        services.create_group(session, site, clerk, village_code=VILLAGE, number=1)
    table = read_table(csv_bytes(rows), "register.csv")
    with site.db.read() as session:
        dry = preview(session, VILLAGE, table)
    missing = [p for p in dry.problems if p.column == "村民小组"]
    assert missing and all("没有村民小组“2”" in p.message for p in missing)
    with site.db.transaction() as session:
        services.create_group(session, site, clerk, village_code=VILLAGE, number=2)
        again = preview(session, VILLAGE, table)  # as the commit does, on the same file
    assert again.ok and again.count("added") == len(rows)


def test_the_same_file_is_worded_in_each_readers_language(site_factory: Any) -> None:
    site = site_factory()
    rows = register_rows(3, seed=12, groups=1)
    rows[0]["性别"] = "未知"
    table = read_table(csv_bytes(rows), "register.csv")
    with site.db.read() as session:
        chinese = preview(session, VILLAGE, table).problems
        token = current_locale.set("en")
        try:
            english = preview(session, VILLAGE, table).problems
        finally:
            current_locale.reset(token)
    sex = [p.message for p in chinese if p.column == "性别"]
    assert sex == ["无法识别所填性别“未知”，应为男或女"]
    assert [p.message for p in english if p.column == "性别"] != sex
