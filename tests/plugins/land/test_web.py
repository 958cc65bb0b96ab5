"""The land pages as a clerk, a township official and the public see them."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from openpyxl import load_workbook

from cunwu.api import frozen_clock
from cunwu.testing import login, site_client
from cunwu_plugins.land import geometry, services

from .conftest import CREDIT_CODE, OTHER_VILLAGE, TOWNSHIP, VILLAGE, contract, make_transfer, transfer_input

TODAY = dt.datetime(2026, 1, 10, 9, tzinfo=dt.UTC)
BASE = f"/v/{VILLAGE}/p/land"


@pytest.fixture
def land_site(site_factory: Any) -> Any:
    return site_factory(enabled=["land"])


def _form(land: Any, **values: str) -> dict[str, str]:
    data = {"contract_id": str(land.contract_id), f"area_{land.plot_ids[0]}": "5", "form": "lease",
            "transferee_kind": "organisation", "transferee_name": "肃宁县丰收农民专业合作社",
            "transferee_credit_code": CREDIT_CODE, "start_on": "2026-03-01", "end_on": "2031-03-01", "use": "crops",
            "rent_kind": "cash", "rent_yuan_per_mu": "800", "adjust_every_years": "3", "payment_schedule": "yearly",
            "facilities": "无", "breach": "赔偿损失"}
    data.update(values)
    return data


def test_clerk_registers_files_and_prints_a_transfer(land_site: Any) -> None:
    land = contract(land_site)
    with frozen_clock(TODAY), site_client(land_site) as client:
        login(client, land_site, "clerk", role="clerk", scope=VILLAGE)
        page = client.get(f"{BASE}/contracts/{land.contract_id}")
        assert page.status_code == 200 and land.plot_codes[0] in page.text and "登记流转" in page.text
        form = client.get(f"{BASE}/transfers/new?contract={land.contract_id}")
        assert form.status_code == 200 and "流转地块和面积" in form.text
        bad = client.post(f"{BASE}/transfers", data=_form(land, **{f"area_{land.plot_ids[0]}": "9",
                                                                   "end_on": "2070-01-01"}))
        assert bad.status_code == 400
        assert "超过地块面积" in bad.text and "承包期到 2058-01-01 为止" in bad.text
        assert 'value="2070-01-01"' in bad.text and 'value="9"' in bad.text  # what was typed is kept
        assert f'id="e-area_{land.plot_ids[0]}"' in bad.text
        done = client.post(f"{BASE}/transfers", data=_form(land), follow_redirects=False)
        assert done.status_code == 303
        url = done.headers["location"]
        page = client.get(url)
        assert "可签订备案" in page.text and "打印书面合同" in page.text
        filed = client.post(f"{url}/file", follow_redirects=True)
        assert "已于 2026-01-10 备案生效" in filed.text and "应付" in filed.text
        printed = client.get(f"{url}/contract")
        assert printed.status_code == 200
        for clause in ("当事人", land.plot_codes[0], "四至", "流转方式", "流转期限", "土地用途", "流转价款",
                       "地上附着物", "违约责任", "<svg", "/p/land/verify/"):
            assert clause in printed.text, clause
        token = re.search(r"/p/land/verify/([0-9a-f]+)", printed.text).group(1)
    with site_client(land_site) as public:
        check = public.get(f"/p/land/verify/{token}")
        assert check.status_code == 200 and "已于 2026-01-10 在村集体备案" in check.text
        assert CREDIT_CODE not in check.text
        assert public.get("/p/land/verify/0000").status_code == 404


def test_public_map_and_summary_show_no_personal_numbers(land_site: Any) -> None:
    land = contract(land_site)
    with land_site.db.transaction() as session:
        plot = services.get_plot(session, VILLAGE, land.plot_codes[0])
        square = [[115.8, 38.4], [115.8006, 38.4], [115.8006, 38.4001], [115.8, 38.4001], [115.8, 38.4]]
        geometry.attach_polygon(session, land_site, services.Actor.system("t"), plot,
                                {"type": "Polygon", "coordinates": [square]})
    with frozen_clock(TODAY):
        make_transfer(land_site, land, {land.plot_ids[0]: "5"})
    with site_client(land_site) as client:
        page = client.get(f"{BASE}/map")
        assert page.status_code == 200
        assert "<svg" in page.text and 'data-state="contracted"' in page.text and land.plot_codes[1] in page.text
        assert not re.search(r"\d{17}[\dX]", page.text.replace(land.plot_codes[0], "").replace(
            land.plot_codes[1], "")), "no resident id on the public map"
        api = client.get(f"/api/v1/p/land/villages/{VILLAGE}/summary").json()
        assert api["plots"] == 2 and api["contracted_mu"] == "8.0000"
        assert client.get(f"/api/v1/p/land/villages/{VILLAGE}/transfers").status_code in (401, 403)
        assert "/api/v1/p/land/villages/{village_code}/summary" in client.get("/schema/openapi.json").text


def test_township_ledger_and_formula_safe_export(land_site: Any) -> None:
    land = contract(land_site)
    with frozen_clock(TODAY):
        ref = make_transfer(land_site, land, {land.plot_ids[0]: "5"}, transferee_name="=HYPERLINK(\"x\")")
        with land_site.db.transaction() as session:
            services.file_transfer(session, land_site, services.Actor.system("t"),
                                   services.get_transfer(session, VILLAGE, ref))
    with frozen_clock(TODAY), site_client(land_site) as client:
        login(client, land_site, "town", role="township_official", scope=TOWNSHIP)
        page = client.get("/p/land/")
        assert page.status_code == 200 and ref in page.text and "62.5%" in page.text
        export = client.get("/p/land/ledger.xlsx")
        assert export.status_code == 200
        sheet = load_workbook(io.BytesIO(export.content)).worksheets[0]
        values = [cell.value for cell in sheet[2]]
        assert "'=HYPERLINK(\"x\")" in values and ref in values


def test_township_ledger_rows_show_village_form_area_and_flags(land_site: Any) -> None:
    """Each ledger row names its village and the transfer's form, gives the area to 0.01 亩 and flags a term of
    5 years or more (registrable) and one ending within 90 days; the roll-up lists both villages of the township."""
    here, there = contract(land_site), contract(land_site, "李四", village=OTHER_VILLAGE)
    system = services.Actor.system("t")
    with frozen_clock(TODAY):
        long_ref = make_transfer(land_site, here, {here.plot_ids[0]: "2.5"})
        with land_site.db.transaction() as session:
            short_ref = services.create_transfer(session, land_site, system, OTHER_VILLAGE, transfer_input(
                there, {there.plot_ids[1]: "3"}, form="other", end_on=dt.date(2026, 3, 1))).ref
        with land_site.db.transaction() as session:
            for village, ref in ((VILLAGE, long_ref), (OTHER_VILLAGE, short_ref)):
                services.file_transfer(session, land_site, system, services.get_transfer(session, village, ref))
    with frozen_clock(TODAY), site_client(land_site) as client:
        login(client, land_site, "town", role="township_official", scope=TOWNSHIP)
        page = client.get("/p/land/")
    assert page.status_code == 200
    links = {"long": f"/v/{VILLAGE}/p/land/transfers/{long_ref}",
             "short": f"/v/{OTHER_VILLAGE}/p/land/transfers/{short_ref}"}
    rows = {name: re.sub(r"<[^>]+>", "|", row) for row in re.findall(r"<tr>(.*?)</tr>", page.text, re.S)
            for name, link in links.items() if f'href="{link}"' in row}
    assert "|东街村|" in rows["long"] and "|出租|" in rows["long"] and "|2.50|" in rows["long"]
    assert "可登记" in rows["long"] and "即将到期" not in rows["long"]
    assert "|西街村|" in rows["short"] and "|其他方式|" in rows["short"] and "|3.00|" in rows["short"]
    assert "即将到期" in rows["short"] and "可登记" not in rows["short"]
    assert f'href="/v/{OTHER_VILLAGE}/p/land/">西街村</a>' in page.text


def test_dispute_flow_through_the_pages(land_site: Any) -> None:
    land = contract(land_site)
    with frozen_clock(TODAY), site_client(land_site) as client:
        login(client, land_site, "clerk", role="clerk", scope=VILLAGE)
        bad = client.post(f"{BASE}/disputes", data={"plot": "1309261002019999999", "parties": "甲", "subject": "x",
                                                    "opened_on": "2026-01-09"})
        assert bad.status_code == 400 and "本村没有地块" in bad.text and "甲" in bad.text
        made = client.post(f"{BASE}/disputes", data={"plot": land.plot_codes[0], "parties": "王大、李四",
                                                     "subject": "地界", "opened_on": "2026-01-09"},
                           follow_redirects=False)
        url = made.headers["location"]
        frozen = client.post(f"{BASE}/transfers", data=_form(land))
        assert frozen.status_code == 400 and "已冻结" in frozen.text
        client.post(f"{url}/steps", data={"kind": "village_mediation", "on_date": "2026-01-09", "outcome": "未成"})
        back = client.post(f"{url}/steps", data={"kind": "negotiation", "on_date": "2026-01-10", "outcome": "再谈"})
        assert back.status_code == 400 and "不能倒退" in back.text
        closed = client.post(f"{url}/close", data={"outcome": "调解结案", "closed_on": "2026-01-10"})
        assert "已结案" in closed.text
        assert client.post(f"{BASE}/transfers", data=_form(land), follow_redirects=False).status_code == 303


def test_clerk_imports_a_county_export_through_the_upload_page(land_site: Any) -> None:
    """Upload → dry run listing each problem by row and column (nothing written) → a corrected file → confirm →
    written in one go; the same file again has nothing to import; a token is the uploader's and is used once."""
    from sqlmodel import func, select

    from cunwu_plugins.land.models import Contract, Plot

    from .test_import import _csv, _homes, _rows

    rows = _rows(_homes(land_site))
    other = [f"{OTHER_VILLAGE}0000001", *rows[0][1:]]
    bad = _csv([rows[0], [*rows[1][:9], "9999", *rows[1][10:]], other])

    def counts() -> tuple[int, int]:
        with land_site.db.read() as session:
            return (session.exec(select(func.count()).select_from(Plot)).one(),
                    session.exec(select(func.count()).select_from(Contract)).one())

    with site_client(land_site) as client:
        login(client, land_site, "clerk", role="clerk", scope=VILLAGE)
        home = client.get(f"{BASE}/")
        assert f'href="{BASE}/import"' in home.text
        form = client.get(f"{BASE}/import")
        assert form.status_code == 200 and 'type="file"' in form.text and "地块编码" in form.text
        empty = client.post(f"{BASE}/import", files={"file": ("", b"", "text/csv")})
        assert empty.status_code == 400 and "请选择要上传的" in empty.text
        dry = client.post(f"{BASE}/import", files={"file": ("确权.csv", bad, "text/csv")})
        assert dry.status_code == 422 and "未写入任何数据" in dry.text and "/confirm" not in dry.text
        problems = re.findall(r'<td data-label="行">(\d+)</td><td data-label="列">([^<]+)</td>', dry.text)
        assert ("3", "户号") in problems and ("4", "地块编码") in problems
        assert "属于另一个村" in dry.text and "9999" in dry.text
        assert counts() == (0, 0)
        good = client.post(f"{BASE}/import", files={"file": ("确权.csv", _csv(rows), "text/csv")})
        assert good.status_code == 200 and "新增地块 3 块、承包合同 2 份" in good.text
        confirm = re.search(rf'action="({BASE}/import/[^"]+/confirm)"', good.text)
        assert confirm is not None and counts() == (0, 0)
        with site_client(land_site) as colleague:
            login(colleague, land_site, "clerk-b", role="clerk", scope=VILLAGE)
            assert colleague.post(confirm[1]).status_code == 404  # another clerk cannot confirm this upload
        assert counts() == (0, 0)
        done = client.post(confirm[1])
        assert done.status_code == 200 and "已导入：新增地块 3 块、承包合同 2 份" in done.text
        assert counts() == (3, 2)
        assert client.post(confirm[1]).status_code == 410  # used once
        again = client.post(f"{BASE}/import", files={"file": ("确权.csv", _csv(rows), "text/csv")})
        assert again.status_code == 200 and "没有需要导入的内容" in again.text and "/confirm" not in again.text
    assert counts() == (3, 2)


def _count(site: Any, model: Any) -> int:
    from sqlmodel import func, select

    with site.db.read() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_refused_forms_come_back_with_the_message_beside_the_field_and_nothing_written(land_site: Any) -> None:
    """Each create form of the clerk's desk, refused: 400, the message beside its field, what was typed kept, no
    row written; a record that is not there is the 404 page, not the form."""
    from cunwu_plugins.land.models import Contract, Plot, PowerOfAttorney, Transfer

    land = contract(land_site)
    contract_url = f"{BASE}/contracts/{land.contract_id}"
    with frozen_clock(TODAY), site_client(land_site) as client:
        login(client, land_site, "clerk", role="clerk", scope=VILLAGE)
        contracts = _count(land_site, Contract)
        no_home = client.post(f"{BASE}/contracts", data={"household": "H99999", "start_on": "1998-01-01",
                                                        "end_on": "2028-01-01"})
        assert no_home.status_code == 400 and 'id="e-household"' in no_home.text
        assert "本村没有户号 H99999" in no_home.text and 'value="H99999"' in no_home.text
        bad_date = client.post(f"{BASE}/contracts", data={"household": "H99999", "start_on": "1998-13-01",
                                                         "end_on": "2028-01-01"})
        assert bad_date.status_code == 400 and "本村没有户号" in bad_date.text  # the household is looked up first
        assert _count(land_site, Contract) == contracts

        plots = _count(land_site, Plot)
        taken = client.post(f"{contract_url}/plots", data={"code": land.plot_codes[0], "name": "东洼地",
                                                          "area_mu": "2.5", "land_type": "013"})
        assert taken.status_code == 400 and 'id="e-code"' in taken.text and "已经登记" in taken.text
        assert 'value="2.5"' in taken.text and "东洼地" in taken.text
        no_area = client.post(f"{contract_url}/plots", data={"code": land.plot_codes[0][:-1] + "9", "name": "x",
                                                            "area_mu": "二亩", "land_type": "013"})
        assert no_area.status_code == 400 and 'id="e-area_mu"' in no_area.text and "二亩" in no_area.text
        assert _count(land_site, Plot) == plots
        assert client.post(f"{BASE}/contracts/999999/plots", data={"code": "x", "area_mu": "1"}).status_code == 404

        not_json = client.post(f"{BASE}/geometry", data={"plot": land.plot_codes[0], "geojson": "{oops"})
        assert not_json.status_code == 400 and 'id="e-geojson"' in not_json.text
        assert "不是有效的 GeoJSON" in not_json.text and "{oops" in not_json.text
        assert client.post(f"{BASE}/geometry", data={"plot": "1309261002019999999", "geojson": "{}"}
                           ).status_code == 404
        with land_site.db.read() as session:
            assert services.get_plot(session, VILLAGE, land.plot_codes[0]).geometry is None

        backwards = client.post(f"{contract_url}/powers", data={"agent_name": "王小", "scope": "签订流转合同",
                                                               "signed_on": "2026-01-05", "valid_until": "2025-12-31"})
        assert backwards.status_code == 400 and 'id="e-valid_until"' in backwards.text
        assert "委托有效期不能早于签署日期" in backwards.text and 'value="王小"' in backwards.text
        assert _count(land_site, PowerOfAttorney) == 0

        transfers = _count(land_site, Transfer)
        assert client.post(f"{BASE}/transfers", data=_form(land, contract_id="999999")).status_code == 404
        ref = client.post(f"{BASE}/transfers", data=_form(land), follow_redirects=False).headers["location"]
        renew = client.post(f"{ref}/renew", data={"end_on": "2036-03-01"})
        assert renew.status_code == 400 and "只有已备案生效的流转可以续签" in renew.text
        assert client.post(f"{ref}/file", follow_redirects=False).status_code == 303
        bad_end = client.post(f"{ref}/renew", data={"end_on": "2036-02-30"})
        assert bad_end.status_code == 400 and 'id="e-renew_end_on"' in bad_end.text
        assert 'value="2036-02-30"' in bad_end.text
        assert _count(land_site, Transfer) == transfers + 1


def test_a_refused_dispute_close_keeps_the_dispute_open(land_site: Any) -> None:
    land = contract(land_site)
    with frozen_clock(TODAY), site_client(land_site) as client:
        login(client, land_site, "clerk", role="clerk", scope=VILLAGE)
        url = client.post(f"{BASE}/disputes", data={"plot": land.plot_codes[0], "parties": "王大、李四",
                                                    "subject": "地界", "opened_on": "2026-01-09"},
                          follow_redirects=False).headers["location"]
        early = client.post(f"{url}/close", data={"outcome": "调解结案", "closed_on": "2026-01-01"})
        assert early.status_code == 400 and 'id="e-closed_on"' in early.text
        assert "结案日期必须在受理日期和今天之间" in early.text and "调解结案" in early.text
        no_outcome = client.post(f"{url}/close", data={"outcome": " ", "closed_on": "2026-01-10"})
        assert no_outcome.status_code == 400 and 'id="e-outcome"' in no_outcome.text
        assert "已结案" not in client.get(url).text
        assert client.post(f"{BASE}/disputes/999999/close", data={"outcome": "x", "closed_on": "2026-01-10"}
                           ).status_code == 404
