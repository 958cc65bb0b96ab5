"""registry: current memberships indexed by village, for the village home's count of current members

Revision ID: core_0006
Revises: core_0005
Create Date: 2026-12-08 03:10:00

The village home counts a village's current members (`end_date IS NULL`) on every view. With `village_code` and the
partial unique index on current memberships as separate indexes, PostgreSQL ANDed two bitmaps and so read the
partial index whole — one entry per person of the county (277,513 at 300 villages: 23–40 ms for a village's 954
members; the benchmark's server runs with autovacuum off, so the planner had no statistics to know better).
A partial index of the current memberships by village answers the count from the village's own entries, and is
cheaper than the whole partial index on any table, with statistics or without.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'core_0006'
down_revision: str | Sequence[str] | None = 'core_0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('registry_membership', schema=None) as batch_op:
        batch_op.create_index('ix_registry_membership_village_current', ['village_code'], unique=False,
                              sqlite_where=sa.text('end_date IS NULL'), postgresql_where=sa.text('end_date IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('registry_membership', schema=None) as batch_op:
        batch_op.drop_index('ix_registry_membership_village_current')
