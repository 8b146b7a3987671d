"""parked records: a record waiting for another flow, and the runs' parked counts

A record whose dependency is missing (a price whose product the products flow has not created
yet) waits in the retry queue *parked on* that flow, and is woken when the flow has run.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 23:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('failures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parked_on', sa.String(length=200), nullable=True))
        batch_op.create_index('ix_failures_parked_on', ['parked_on'], unique=False)
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parked', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.drop_column('parked')
    with op.batch_alter_table('failures', schema=None) as batch_op:
        batch_op.drop_index('ix_failures_parked_on')
        batch_op.drop_column('parked_on')
