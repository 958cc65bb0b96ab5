"""The public plugin API: everything a plugin may use from the core, in one place (like CKAN's plugins.toolkit).

Plugins import from here and nowhere else in `cunwu` (tests/contract walks their imports; a plugin's own tests may
also use `cunwu.testing`). What is not re-exported here is private to the core and may change without notice.
Hook implementations use `hookimpl`; a plugin that offers hooks to other plugins declares them with `hookspec` on a
`hookspecs` attribute of its plugin object. docs/api.md lists every name (`cunwu plugins api > docs/api.md`).
"""

from __future__ import annotations

from cunwu import API_VERSION, charts, hookimpl, hookspec
from cunwu.accounts.actor import Actor
from cunwu.audit import services as audit
from cunwu.audit.services import OfficialRecord
from cunwu.clock import LOCAL_TZ, frozen_clock, local_date, local_now, local_today, utcnow
from cunwu.commands import console, open_site, progress_bar, site_option
from cunwu.db.bulk import among, paused_gc
from cunwu.db.types import FEN, Money, UTCDateTime, fen_text, money_fen, to_money
from cunwu.errors import Conflict, DomainError, Forbidden, FormError, NotFound, Problem
from cunwu.i18n import _, active_locale, gettext, lazy_gettext, ngettext
from cunwu.meetings import matters
from cunwu.meetings import services as meetings
from cunwu.meetings.held import meetings_held
from cunwu.meetings.models import Matter, Meeting, Motion
from cunwu.meetings.rules import MeetingKind, QuorumMode, RuleOverride, RuleOverrides, VoteRuleSet, check_overrides
from cunwu.meetings.services import MeetingError
from cunwu.notices.models import Notice, Objection
from cunwu.notices.services import (
    NewNotice,
    NoticeOrigin,
    NoticeTable,
    publish_notice,
    publish_notices,
    raise_objection,
)
from cunwu.plugin_types import DemoContext, Manifest, MatterType, MenuLink, Permission, WorkItem
from cunwu.privacy import mask, mask_account, mask_phone
from cunwu.registry import queries as registry
from cunwu.registry.fields import parse_date
from cunwu.registry.fields import text as cell_text
from cunwu.registry.importer import ImportFileError, read_table
from cunwu.runtime import Site
from cunwu.spreadsheet import SheetTooLarge, check_xlsx_extent, safe_cell, safe_rows
from cunwu.web import forms, precompressed
from cunwu.web.confirm import confirm_page
from cunwu.web.forms import Form, Multipart
from cunwu.web.guards import require
from cunwu.web.kept import KeptParts, kept_parts
from cunwu.web.render import actor_of, public_base, render, site_of

__all__ = [
    "API_VERSION",
    "FEN",
    "LOCAL_TZ",
    "Actor",
    "Conflict",
    "DemoContext",
    "DomainError",
    "Forbidden",
    "Form",
    "FormError",
    "ImportFileError",
    "KeptParts",
    "Manifest",
    "Matter",
    "MatterType",
    "Meeting",
    "MeetingError",
    "MeetingKind",
    "MenuLink",
    "Money",
    "Motion",
    "Multipart",
    "NewNotice",
    "NotFound",
    "Notice",
    "NoticeOrigin",
    "NoticeTable",
    "Objection",
    "OfficialRecord",
    "Permission",
    "Problem",
    "QuorumMode",
    "RuleOverride",
    "RuleOverrides",
    "SheetTooLarge",
    "Site",
    "UTCDateTime",
    "VoteRuleSet",
    "WorkItem",
    "_",
    "active_locale",
    "actor_of",
    "among",
    "audit",
    "cell_text",
    "charts",
    "check_overrides",
    "check_xlsx_extent",
    "confirm_page",
    "console",
    "fen_text",
    "forms",
    "frozen_clock",
    "gettext",
    "hookimpl",
    "hookspec",
    "kept_parts",
    "lazy_gettext",
    "local_date",
    "local_now",
    "local_today",
    "mask",
    "mask_account",
    "mask_phone",
    "matters",
    "meetings",
    "meetings_held",
    "money_fen",
    "ngettext",
    "open_site",
    "parse_date",
    "paused_gc",
    "precompressed",
    "progress_bar",
    "public_base",
    "publish_notice",
    "publish_notices",
    "raise_objection",
    "read_table",
    "registry",
    "render",
    "require",
    "safe_cell",
    "safe_rows",
    "site_of",
    "site_option",
    "to_money",
    "utcnow",
]
