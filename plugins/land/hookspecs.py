"""Hooks the land plugin offers to other plugins (see "Hooks offered by plugins" in docs/hooks.md);
what an 入股 means for a co-operative member is docs/domain.md §6.5."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from cunwu.api import Actor, Site, hookspec


@hookspec
def land_shares_contributed(session: Session, site: Site, actor: Actor, contribution: dict[str, Any],
                            ) -> list[str] | None:
    """An 入股 (shareholding) transfer of land operating rights to an organisation took effect.
    Called in the same transaction that files the transfer. Implementations record what it means to them
    (the coop plugin: an in-kind land-right contribution of the member) and return short human-readable
    notes (zh-CN) of what they recorded, or None.

    `contribution` keys: transfer_id, transfer_ref, village_code, household_id, person_id (or None),
    transferee_credit_code, transferee_name, area_mu (Decimal), plot_codes (list of 19-digit codes), start, end
    (dates), value (Decimal yuan, or None when not valued)."""
