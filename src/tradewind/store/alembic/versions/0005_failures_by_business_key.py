"""failed records findable by their business key

A failed order is looked for by its number (``#1042``), a product by its SKU, a customer by
e-mail: the retry queue keeps the record's natural key, indexed within its flow.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 22:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('failures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('natural_key', sa.String(length=400), nullable=True))
        batch_op.create_index('ix_failures_natural_key', ['flow', 'natural_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('failures', schema=None) as batch_op:
        batch_op.drop_index('ix_failures_natural_key')
        batch_op.drop_column('natural_key')
