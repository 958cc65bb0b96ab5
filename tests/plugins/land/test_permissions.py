"""The land routes per role × action × own/other village: what each role may open or change, through the app."""

from __future__ import annotations

from typing import Any

import pytest

from cunwu.accounts.roles import ROLES
from cunwu.testing import login, site_client

OWN = "130926100201"
OTHER = "130926101201"  # another township
GRANT_SCOPE = {"villager": OWN, "clerk": OWN, "representative": OWN, "supervisor": OWN,
               "township_official": OWN[:9], "county_official": "", "site_admin": ""}
VIEWERS = {"clerk", "representative", "supervisor", "township_official", "county_official", "site_admin"}
#: action → (method, path template, form, roles allowed). A permitted change with an empty form is refused by the
#: rules (400 with the form shown again, or 404 for no such contract); a forbidden one never reaches them (403).
ACTIONS: dict[str, tuple[str, str, dict[str, str], set[str]]] = {
    "view": ("GET", "/v/{v}/p/land/", {}, VIEWERS),
    "rent": ("GET", "/v/{v}/p/land/rent", {}, VIEWERS),
    "register_contract": ("POST", "/v/{v}/p/land/contracts", {"household": "NOPE"}, {"clerk"}),
    "register_transfer": ("POST", "/v/{v}/p/land/transfers", {"contract_id": "x"}, {"clerk"}),
    "open_dispute": ("POST", "/v/{v}/p/land/disputes", {"plot": "0"}, {"clerk", "township_official"}),
    "import_page": ("GET", "/v/{v}/p/land/import", {}, {"clerk"}),
    "import_upload": ("POST", "/v/{v}/p/land/import", {"commit": "1"}, {"clerk"}),
    "api_transfers": ("GET", "/api/v1/p/land/villages/{v}/transfers", {}, VIEWERS),
    "public_map": ("GET", "/v/{v}/p/land/map", {}, set(ROLES) | {"anonymous"}),
    "public_summary": ("GET", "/api/v1/p/land/villages/{v}/summary", {}, set(ROLES) | {"anonymous"}),
}
SITE_ACTIONS: dict[str, tuple[str, set[str]]] = {
    "ledger": ("/p/land/", {"township_official", "county_official", "site_admin"}),
    "ledger_xlsx": ("/p/land/ledger.xlsx", {"township_official", "county_official", "site_admin"}),
    "api_ledger": ("/api/v1/p/land/ledger", {"township_official", "county_official", "site_admin"}),
}


@pytest.fixture(scope="module")
def land_site(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from cunwu.testing import drop_test_site, make_test_site

    site = make_test_site(tmp_path_factory.mktemp("land-matrix"), enabled=["land"], villages=[
        (OWN, "东街村", "肃宁镇"), ("130926100202", "西街村", "肃宁镇"), (OTHER, "梁家村", "梁家村镇")])
    yield site
    drop_test_site(site)


def _allowed_status(method: str, status: int) -> bool:
    return status in ((200,) if method == "GET" else (400, 404, 303))


@pytest.mark.parametrize("role", [*sorted(ROLES), "anonymous"])
def test_village_actions(land_site: Any, role: str) -> None:
    with site_client(land_site) as client:
        if role != "anonymous":
            login(client, land_site, f"m_{role}", role=role, scope=GRANT_SCOPE[role])
        for name, (method, template, form, roles) in ACTIONS.items():
            for village, own in ((OWN, True), (OTHER, False)):
                path = template.format(v=village)
                response = client.request(method, path, data=form or None, follow_redirects=False)
                covered = own or GRANT_SCOPE.get(role) == "" or "anonymous" in roles
                expected = role in roles and covered
                assert _allowed_status(method, response.status_code) is expected, (
                    f"{role} · {name} · {'own' if own else 'other'}: {response.status_code}")
                if not expected and role == "anonymous":
                    assert response.status_code in (302, 303, 401)
                elif not expected:
                    assert response.status_code == 403


@pytest.mark.parametrize("role", [*sorted(ROLES), "anonymous"])
def test_site_actions(land_site: Any, role: str) -> None:
    with site_client(land_site) as client:
        if role != "anonymous":
            login(client, land_site, f"s_{role}", role=role, scope=GRANT_SCOPE[role])
        for name, (path, roles) in SITE_ACTIONS.items():
            response = client.get(path, follow_redirects=False)
            assert (response.status_code == 200) is (role in roles), f"{role} · {name}: {response.status_code}"


def test_township_ledger_lists_only_its_villages(land_site: Any) -> None:
    with site_client(land_site) as client:
        login(client, land_site, "t_town", role="township_official", scope=OWN[:9])
        villages = [v["village_code"] for v in client.get("/api/v1/p/land/ledger").json()["villages"]]
    assert villages == [OWN, "130926100202"]
