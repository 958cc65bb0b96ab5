"""Issue #13 item 13: an exported batch is fixed by a database rule (dibao_0002 triggers), not only by the service
code: direct SQL that changes its file, totals or payments, deletes them or adds payments is refused."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from .test_disbursement import _exported, _site

REFUSED = [
    "UPDATE dibao_batch SET file_data = :junk WHERE id = :batch",
    "UPDATE dibao_batch SET control_total = control_total + 1 WHERE id = :batch",
    "UPDATE dibao_batch SET file_sha256 = NULL WHERE id = :batch",
    "DELETE FROM dibao_batch WHERE id = :batch",
    "UPDATE dibao_payment SET amount = amount + 100 WHERE batch_id = :batch",
    "UPDATE dibao_payment SET account_number = '6222020000000000000' WHERE batch_id = :batch",
    "UPDATE dibao_payment SET payee = '王冒名' WHERE batch_id = :batch",
    "DELETE FROM dibao_payment WHERE batch_id = :batch",
    "INSERT INTO dibao_payment (entitlement_id, batch_id, attempt, month, household_id, village_code, amount, payee, "
    "bank_code, account_number, status) SELECT entitlement_id, batch_id, attempt + 1, month, household_id, "
    "village_code, amount, payee, bank_code, account_number, 'cancelled' FROM dibao_payment WHERE batch_id = :batch "
    "LIMIT 1",
]


def test_the_database_refuses_changes_to_an_exported_batch(site_factory: Any, dialect: str) -> None:
    site, _ids = _site(site_factory, dialect)
    batch = _exported(site)
    for statement in REFUSED:
        with pytest.raises(DatabaseError, match="an exported batch and its payments are fixed"), \
                site.db.transaction() as session:
            session.execute(text(statement), {"batch": batch.id, "junk": b"forged"})
    with site.db.transaction() as session:  # what reconciliation does is still allowed
        session.execute(text("UPDATE dibao_payment SET status = 'paid', bank_reference = 'BK1' WHERE batch_id = :b"),
                        {"b": batch.id})
        session.execute(text("UPDATE dibao_batch SET status = 'reconciled' WHERE id = :b"), {"b": batch.id})
    with site.db.read() as session:
        assert session.execute(text("SELECT file_data FROM dibao_batch WHERE id = :b"),
                               {"b": batch.id}).scalar_one() == batch.file_data
