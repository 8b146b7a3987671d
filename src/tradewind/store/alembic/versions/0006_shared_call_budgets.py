"""call budgets shared across processes

Every process syncing one system account (an Exact division) reserves its calls from one row per
account and window, so together they stay within the vendor's per-minute and daily limits.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 22:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'call_budgets',
        sa.Column('account', sa.String(length=200), nullable=False),
        sa.Column('window', sa.String(length=20), nullable=False),
        sa.Column('limit', sa.Integer(), nullable=False),
        sa.Column('seconds', sa.Double(), nullable=False),
        sa.Column('remaining', sa.Integer(), nullable=False),
        sa.Column('reset_at', sa.Double(), nullable=False),
        sa.Column('period', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('account', 'window', name=op.f('pk_call_budgets')),
    )


def downgrade() -> None:
    op.drop_table('call_budgets')
