"""exported batches are fixed by the database too

Revision ID: dibao_0002
Revises: dibao_0001
Create Date: 2026-12-07 12:20:00

Once a batch's bank file is exported (file_sha256 set) the file, its totals and its payments' amounts and accounts
never change, and neither the batch nor its payments are deleted nor payments added. Until now only the service
code and the file's hash in the audit chain held this; these triggers refuse any such statement, whoever sends it.
What may still change: the batch's status (exported → reconciled) and each payment's outcome (status, failure
reason, bank reference, settlement time).
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'dibao_0002'
down_revision: str | Sequence[str] | None = 'dibao_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "dibao: an exported batch and its payments are fixed"
BATCH_FIXED = ("cycle_id", "bank_code", "round", "control_count", "control_total", "file_format", "file_name",
               "file_sha256", "file_data", "exported_at", "exported_by")
PAYMENT_FIXED = ("entitlement_id", "batch_id", "attempt", "month", "household_id", "village_code", "amount", "payee",
                 "bank_code", "account_number")
TRIGGERS = (("dibao_batch", "dibao_batch_exported_fixed"), ("dibao_batch", "dibao_batch_exported_kept"),
            ("dibao_payment", "dibao_payment_exported_fixed"), ("dibao_payment", "dibao_payment_exported_kept"),
            ("dibao_payment", "dibao_payment_exported_closed"))


def _changed(columns: Sequence[str], distinct: str) -> str:
    return " OR ".join(f"NEW.{c} {distinct} OLD.{c}" for c in columns)


def _exported(batch_id: str) -> str:
    return f"(SELECT file_sha256 FROM dibao_batch WHERE id = {batch_id}) IS NOT NULL"


def _sqlite() -> None:
    rules = {
        "dibao_batch_exported_fixed": ("BEFORE UPDATE ON dibao_batch",
                                       f"OLD.file_sha256 IS NOT NULL AND ({_changed(BATCH_FIXED, 'IS NOT')})"),
        "dibao_batch_exported_kept": ("BEFORE DELETE ON dibao_batch", "OLD.file_sha256 IS NOT NULL"),
        "dibao_payment_exported_fixed": ("BEFORE UPDATE ON dibao_payment",
                                         f"{_exported('OLD.batch_id')} AND ({_changed(PAYMENT_FIXED, 'IS NOT')})"),
        "dibao_payment_exported_kept": ("BEFORE DELETE ON dibao_payment", _exported("OLD.batch_id")),
        "dibao_payment_exported_closed": ("BEFORE INSERT ON dibao_payment", _exported("NEW.batch_id")),
    }
    for name, (event, condition) in rules.items():
        op.execute(f"CREATE TRIGGER {name} {event} FOR EACH ROW WHEN {condition} "
                   f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")


def _postgresql() -> None:
    op.execute(f"""
CREATE FUNCTION dibao_exported_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'dibao_batch' THEN
    IF OLD.file_sha256 IS NOT NULL AND (TG_OP = 'DELETE' OR {_changed(BATCH_FIXED, 'IS DISTINCT FROM')}) THEN
      RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
  ELSIF TG_OP = 'INSERT' THEN
    IF {_exported('NEW.batch_id')} THEN
      RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
  ELSIF {_exported('OLD.batch_id')} AND (TG_OP = 'DELETE' OR {_changed(PAYMENT_FIXED, 'IS DISTINCT FROM')}) THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$""")
    events = {"dibao_batch_exported_fixed": "BEFORE UPDATE", "dibao_batch_exported_kept": "BEFORE DELETE",
              "dibao_payment_exported_fixed": "BEFORE UPDATE", "dibao_payment_exported_kept": "BEFORE DELETE",
              "dibao_payment_exported_closed": "BEFORE INSERT"}
    for table, name in TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} {events[name]} ON {table} FOR EACH ROW "
                   "EXECUTE FUNCTION dibao_exported_fixed()")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite()


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS dibao_exported_fixed()")
