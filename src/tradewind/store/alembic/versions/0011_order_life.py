"""stock parts: per-item per-warehouse figures kept for locations summed from several warehouses

``stock_parts`` holds the latest on hand, reserved and incoming figures of each SKU per warehouse
(decimal text), keyed by scope (system account and summed location). A source that sums warehouses
into one shop location upserts a page's rows here as it arrives and computes each sum from every
warehouse's row, so an incremental read that brings one warehouse keeps the others in the sum.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 00:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'stock_parts',
        sa.Column('scope', sa.String(length=200), nullable=False),
        sa.Column('sku', sa.String(length=200), nullable=False),
        sa.Column('warehouse', sa.String(length=100), nullable=False),
        sa.Column('on_hand', sa.String(length=40), nullable=False),
        sa.Column('reserved', sa.String(length=40), nullable=False),
        sa.Column('incoming', sa.String(length=40), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('scope', 'sku', 'warehouse', name='pk_stock_parts'),
    )


def downgrade() -> None:
    op.drop_table('stock_parts')
