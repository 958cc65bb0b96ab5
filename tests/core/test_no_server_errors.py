"""Inputs that used to answer HTTP 500 (issue 13, item 9) now answer a clear 4xx, with nothing written."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import func, select

from cunwu.audit.models import AuditEntry
from cunwu.sites import SiteConfigError, load_site
from cunwu.testing import login, site_client, write_site_toml

VILLAGE = "130926100201"
HUGE = "99999999999999999999"  # > 2**63: no database integer holds it


def _entries(site: Any) -> int:
    with site.db.read() as session:
        return session.exec(select(func.count()).select_from(AuditEntry)).one()


@pytest.fixture
def full_site(site_factory: Any) -> Any:
    return site_factory(enabled=["dibao", "yishi", "land", "coop"])


def _numeric_get_routes(site: Any) -> list[str]:
    """Every GET route with a numeric path parameter, the village set and each number too large for a database."""
    from cunwu.app import create_site_app

    paths = []
    for route in create_site_app(site).litestar.routes:
        if ":int}" in route.path and "GET" in route.methods:
            path = route.path.replace("{village_code:str}", VILLAGE)
            while "{" in path:
                start, end = path.index("{"), path.index("}")
                name = path[start + 1:end]
                path = path[:start] + (HUGE if name.endswith(":int") else "2026-03") + path[end + 1:]
            paths.append(path)
    return paths


def test_ids_beyond_64_bits_are_404_for_the_public_and_a_clerk(full_site: Any) -> None:
    paths = _numeric_get_routes(full_site)
    assert len(paths) > 20
    with site_client(full_site) as client:
        public = {path: client.get(path, follow_redirects=False).status_code for path in paths}
        login(client, full_site, "clerk", role="clerk", scope=VILLAGE)
        clerk = {path: client.get(path, follow_redirects=False).status_code for path in paths}
    assert {p: s for p, s in public.items() if s >= 500} == {}
    assert {p: s for p, s in clerk.items() if s not in (403, 404)} == {}
    assert public[f"/v/{VILLAGE}/notices/{HUGE}"] == 404


@pytest.mark.parametrize("page", ["²", "١", "99999999999999999999999", "-1"])
def test_a_page_number_that_is_no_page_is_a_clean_answer(site: Any, page: str) -> None:
    with site_client(site) as client:
        answer = client.get(f"/v/{VILLAGE}/notices/", params={"page": page})
    assert answer.status_code in (200, 400)
    assert "Traceback" not in answer.text


@pytest.mark.parametrize("amount", ["1e30", "1e309", "1" + "0" * 23, "sNaN", "NaN", "Infinity", "-Infinity",
                                    "١٢٣", "¹²"])
def test_amounts_out_of_range_or_not_numbers_are_refused_beside_the_field(full_site: Any, amount: str) -> None:
    with site_client(full_site) as client:
        login(client, full_site, "county", role="county_official", scope="")
        before = _entries(full_site)
        answer = client.post("/p/dibao/standards", data={"kind": "rural", "monthly_amount": amount,
                                                         "effective_from": "2026-01-01"})
    assert answer.status_code == 400, answer.text[:300]
    assert "金额" in answer.text
    assert _entries(full_site) == before


def test_a_gbk_csv_with_a_utf8_bom_is_refused_with_the_file_named(site: Any) -> None:
    body = codecs.BOM_UTF8 + "户号,姓名,身份证号\n0001,王建国,130926197005040011\n".encode("gbk")
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        before = _entries(site)
        answer = client.post(f"/v/{VILLAGE}/registry/import", files={"file": ("户籍.csv", body, "text/csv")})
    assert answer.status_code == 400, answer.text[:300]
    assert "户籍.csv" in answer.text and "UTF-8" in answer.text
    assert _entries(site) == before


def test_a_nul_byte_in_a_static_path_is_not_found(site: Any) -> None:
    with site_client(site) as client:
        answer = client.get("/static/css%00.css")
    assert answer.status_code in (400, 404)


@pytest.mark.parametrize("content", ["name = \"测试\"\n".encode("gbk"), b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe"])
def test_a_site_toml_that_is_not_utf8_gives_the_clean_error(tmp_path: Path, content: bytes) -> None:
    folder = write_site_toml(tmp_path / "gbk", enabled=[])
    (folder / "site.toml").write_bytes(content)
    with pytest.raises(SiteConfigError, match="not UTF-8 text"):
        load_site(folder)
