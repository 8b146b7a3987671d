"""keeping watch: a run's expected total, the notices already sent, an index for a flow's failed transfers

``runs.total`` holds what the source said a run will read (live progress: rate and ETA follow from
it and the counters); ``notices`` remembers alerts sent once until their cause goes (a connection
needing re-authorisation, a day's quota); (flow, outcome, id) finds a flow's failed transfers newest
first among a million (bench/dashboard_scale.py); 0013 holds the web app's other indexes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 00:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

TRANSFER_INDEXES = {'ix_transfers_flow_outcome_id': ['flow', 'outcome', 'id']}


def upgrade() -> None:
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('total', sa.Integer(), nullable=True))
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        for name, columns in TRANSFER_INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
    op.create_table(
        'notices',
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('subject', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('key', name='pk_notices'),
    )


def downgrade() -> None:
    op.drop_table('notices')
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        for name in TRANSFER_INDEXES:
            batch_op.drop_index(name)
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.drop_column('total')
