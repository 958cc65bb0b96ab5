"""The roles a user can hold, each scoped to a village, a township or the whole site."""

from __future__ import annotations

from cunwu.i18n import lazy_gettext

ROLES: dict[str, object] = {
    "villager": lazy_gettext("村民"),
    "clerk": lazy_gettext("村文书/书记"),
    "representative": lazy_gettext("村民代表"),
    "supervisor": lazy_gettext("村务监督委员会成员"),
    "township_official": lazy_gettext("乡镇干部"),
    "county_official": lazy_gettext("县级干部"),
    "site_admin": lazy_gettext("站点管理员"),
}

# The scope a role is normally granted at; `users create` and the admin page check this.
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "villager": frozenset({"village"}),
    "clerk": frozenset({"village"}),
    "representative": frozenset({"village"}),
    "supervisor": frozenset({"village"}),
    "township_official": frozenset({"township"}),
    "county_official": frozenset({"site"}),
    "site_admin": frozenset({"site"}),
}

VILLAGE_STAFF = frozenset({"clerk"})
OFFICIALS = frozenset({"township_official", "county_official", "site_admin"})
