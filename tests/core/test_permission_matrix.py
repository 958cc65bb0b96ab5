"""Roles × actions × scope: every cell of the permission matrix, with every plugin enabled.

A permission added anywhere must be added to EXPECTED here, deliberately: the test fails on one it does not know.
Scopes: the user's own village, another village of the same township, a village of another township, the site.
"""

from __future__ import annotations

from typing import Any

import pytest

from cunwu.accounts.roles import ROLES
from cunwu.app import create_site_app
from cunwu.plugins import installed_plugins
from cunwu.testing import actor, make_user

OWN = "130926100201"
SAME_TOWNSHIP = "130926100202"
OTHER_TOWNSHIP = "130926101201"
VILLAGES = [(OWN, "东街村", "肃宁镇"), (SAME_TOWNSHIP, "西街村", "肃宁镇"), (OTHER_TOWNSHIP, "梁家村", "梁家村镇")]

STAFF_AND_OVERSIGHT = {"clerk", "supervisor", "township_official", "county_official", "site_admin"}
EXPECTED: dict[str, set[str]] = {
    "accounts.manage": {"site_admin"},
    "audit.view": STAFF_AND_OVERSIGHT,
    "registry.view": STAFF_AND_OVERSIGHT,
    "registry.view_personal": {"clerk", "township_official"},
    "registry.edit": {"clerk"},
    "registry.import": {"clerk"},
    "registry.export": {"clerk", "township_official"},
    "notices.draft": {"clerk"},
    "notices.publish": {"clerk"},
    "notices.withdraw": {"clerk"},
    "notices.answer": {"clerk"},
    "notices.view_drafts": STAFF_AND_OVERSIGHT,
    "notices.view_objector": {"clerk", "township_official"},
    "notices.county": {"township_official", "county_official", "site_admin"},
    "meetings.view": STAFF_AND_OVERSIGHT | {"representative"},
    "meetings.manage": {"clerk"},
    "meetings.matters": {"clerk"},
    "yishi.view": STAFF_AND_OVERSIGHT | {"representative"},
    "yishi.manage": {"clerk"},
    "yishi.collect": {"clerk"},
    "yishi.review": {"township_official"},
    "yishi.file": {"county_official"},
    "yishi.county": {"township_official", "county_official", "site_admin"},
    "dibao.view": STAFF_AND_OVERSIGHT,
    "dibao.apply": {"clerk"},
    "dibao.assess": {"township_official"},
    "dibao.confirm": {"county_official"},
    "dibao.standards": {"county_official"},
    "dibao.payments": {"county_official"},
    "dibao.county": {"township_official", "county_official", "site_admin"},
    "land.view": STAFF_AND_OVERSIGHT | {"representative"},
    "land.manage": {"clerk"},
    "land.disputes": {"clerk", "township_official"},
    "land.ledger": {"township_official", "county_official", "site_admin"},
    "coop.view": STAFF_AND_OVERSIGHT | {"representative"},
    "coop.manage": {"clerk", "township_official"},
    "coop.supervise": {"township_official", "county_official", "site_admin"},
    "coop.account": {"villager", "representative", "supervisor", "clerk"},
    "coverage.view": STAFF_AND_OVERSIGHT | {"representative"},
    "coverage.manage": {"clerk"},
    "coverage.county": {"township_official", "county_official", "site_admin"},
    "coverage.snapshot": {"county_official", "site_admin"},
}
GRANT_SCOPE = {"villager": OWN, "clerk": OWN, "representative": OWN, "supervisor": OWN,
               "township_official": OWN[:9], "county_official": "", "site_admin": ""}


@pytest.fixture(scope="module")
def everything(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from cunwu.testing import drop_test_site, make_test_site

    site = make_test_site(tmp_path_factory.mktemp("matrix"), enabled=sorted(installed_plugins()), villages=VILLAGES)
    for role in ROLES:
        make_user(site, f"u_{role}", role=role, scope=GRANT_SCOPE[role])
    yield site
    drop_test_site(site)


def test_every_permission_is_in_the_matrix(everything: Any) -> None:
    assert set(everything.plugins.permissions) == set(EXPECTED)


def _covers(role: str, scope: str | None) -> bool:
    grant = GRANT_SCOPE[role]
    if grant == "":
        return True
    if scope is None:
        return False
    return scope.startswith(grant)


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize("scope", [OWN, SAME_TOWNSHIP, OTHER_TOWNSHIP, None], ids=["own", "same-township",
                                                                                    "other-township", "site"])
def test_matrix_cell(everything: Any, role: str, scope: str | None) -> None:
    who = actor(everything, f"u_{role}")
    for action, roles in EXPECTED.items():
        expected = role in roles and _covers(role, scope)
        assert everything.allowed(who, action, scope) is expected, f"{role} · {action} · {scope}"


@pytest.mark.parametrize("role", sorted(ROLES))
def test_villages_for_agrees_with_each_village(everything: Any, role: str) -> None:
    """The county pages' list (`villages_for`, one hook call per plugin) gives every village the answer
    `allowed` gives it on its own (one hook call per village)."""
    who = actor(everything, f"u_{role}")
    for action, roles in EXPECTED.items():
        expected = [code for code, _name, _township in VILLAGES if role in roles and _covers(role, code)]
        assert everything.villages_for(who, action) == expected, f"{role} · {action}"
        assert expected == [code for code in everything.villages if everything.allowed(who, action, code)]
    assert everything.villages_for(None, "coverage.county") == []


def test_village_roles_never_reach_another_village(everything: Any) -> None:
    for role in ("villager", "clerk", "representative", "supervisor"):
        who = actor(everything, f"u_{role}")
        for action in EXPECTED:
            assert not everything.allowed(who, action, SAME_TOWNSHIP)
            assert not everything.allowed(who, action, OTHER_TOWNSHIP)


def test_anonymous_holds_no_permission(everything: Any) -> None:
    for action in EXPECTED:
        for scope in (OWN, None):
            assert everything.allowed(None, action, scope) is False


def test_every_route_declares_public_or_a_known_permission(everything: Any) -> None:
    app = create_site_app(everything).litestar
    undeclared = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if route.path.startswith("/schema"):
                continue
            opt = handler.opt
            if handler.handler_name.endswith("options_handler"):
                continue
            if opt.get("public") is True:
                continue
            declared = opt.get("permission")
            names = (declared,) if isinstance(declared, str) or declared is None else tuple(declared)
            if not names or any(name not in everything.plugins.permissions for name in names):
                undeclared.append(f"{route.path} {sorted(handler.http_methods)} -> {declared!r}")
    assert undeclared == []
