"""the month's snapshot counted per township

Revision ID: coverage_0003
Revises: coverage_0002
Create Date: 2026-12-07 21:40:00

`take_snapshot` keeps, next to the village rows, how many villages of each township (a village code's first 9
digits) the month's snapshot has and how many cover each type, so the dashboard reads ~90 counts rather than
grouping every snapshot row on each visit. Filled here from the rows already stored.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import cunwu.api

revision: str = 'coverage_0003'
down_revision: str | Sequence[str] | None = 'coverage_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('coverage_township_month',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('township', sqlmodel.sql.sqltypes.AutoString(length=9), nullable=False),
    sa.Column('villages', sa.Integer(), nullable=False),
    sa.Column('party', sa.Integer(), nullable=False),
    sa.Column('self_governance', sa.Integer(), nullable=False),
    sa.Column('economic', sa.Integer(), nullable=False),
    sa.Column('order_stability', sa.Integer(), nullable=False),
    sa.Column('all_four', sa.Integer(), nullable=False),
    sa.Column('taken_at', cunwu.api.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coverage_township_month')),
    sa.UniqueConstraint('month', 'township', name=op.f('uq_coverage_township_month_month_township'))
    )
    op.execute(
        "INSERT INTO coverage_township_month (month, township, villages, party, self_governance, economic, "
        "order_stability, all_four, taken_at) "
        "SELECT month, substr(village_code, 1, 9), count(*), "
        "sum(CASE WHEN party THEN 1 ELSE 0 END), sum(CASE WHEN self_governance THEN 1 ELSE 0 END), "
        "sum(CASE WHEN economic THEN 1 ELSE 0 END), sum(CASE WHEN order_stability THEN 1 ELSE 0 END), "
        "sum(CASE WHEN party AND self_governance AND economic AND order_stability THEN 1 ELSE 0 END), "
        "min(taken_at) FROM coverage_snapshot GROUP BY month, substr(village_code, 1, 9)")


def downgrade() -> None:
    op.drop_table('coverage_township_month')
