"""snapshot keeps why a village does not cover

Revision ID: coverage_0002
Revises: coverage_0001
Create Date: 2026-12-07 17:40:00

Each month's row now keeps, per type, the organisations that keep the village from covering and why (codes:
absent, members, meetings, ...), so the dashboard's list of villages missing a type shows the reason without
measuring the village again. Rows stored before this revision have none (NULL): the page then links to the
village's page, which says why.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'coverage_0002'
down_revision: str | Sequence[str] | None = 'coverage_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('coverage_snapshot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reasons', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('coverage_snapshot', schema=None) as batch_op:
        batch_op.drop_column('reasons')
