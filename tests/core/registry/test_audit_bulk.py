"""The bulk audit helpers (used by the importer and the demo) keep the one chain: verify passes, tampering is found."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import update
from sqlmodel import select

from cunwu.accounts.actor import Actor
from cunwu.audit import service as audit
from cunwu.audit.models import AuditEntry
from cunwu.registry.models import Group

from .conftest import VILLAGE


def test_create_many_and_update_many_extend_the_chain(site_factory: Any, dialect: str) -> None:
    site = site_factory(dialect=dialect)
    actor = Actor.system("test")
    with site.db.transaction() as session:
        groups = [Group(village_code=VILLAGE, number=n, name=f"第{n}组") for n in range(1, 41)]
        assert audit.create_many(session, actor, groups, "registry.group.bulk") == 40
        audit.create(session, actor, Group(village_code=VILLAGE, number=50, name="单独"), "registry.group.create")
        assert audit.update_many(session, actor, [(g, {"name": g.name + "（改）"}) for g in groups[:10]],
                                 "registry.group.rename") == 10
    with site.db.read() as session:
        checked, problem = audit.verify_chain(session)
        entries = session.exec(select(AuditEntry).where(AuditEntry.object_type == "registry_group")
                               .order_by(AuditEntry.id)).all()
        first = audit.history(session, "registry_group", str(groups[0].id))
    assert problem is None and checked >= 51
    assert [e.action for e in first] == ["registry.group.bulk", "registry.group.rename"]
    assert first[1].before["name"] == "第1组" and first[1].after["name"] == "第1组（改）"
    assert all(a.hash == b.prev_hash for a, b in itertools.pairwise(entries))
    with site.db.transaction() as session:
        session.execute(update(AuditEntry).where(AuditEntry.id == entries[20].id).values(action="forged"))
    with site.db.read() as session:
        _checked, problem = audit.verify_chain(session)
    assert problem is not None and problem.entry_id == entries[20].id
