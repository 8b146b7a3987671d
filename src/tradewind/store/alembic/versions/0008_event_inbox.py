"""the event inbox: pushed events stored durably before they are acknowledged

A webhook or order receiver stores each event here (one row per vendor event id, so a duplicate
delivery is stored once) and answers; runs drain the inbox, reading just the records announced.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 23:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'inbox',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('connection', sa.String(length=100), nullable=False),
        sa.Column('resource', sa.String(length=100), nullable=False),
        sa.Column('event_id', sa.String(length=200), nullable=False),
        sa.Column('record_ids', sa.Text(), nullable=False),
        sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('run_id', sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint('id', name='pk_inbox'),
        sa.UniqueConstraint('connection', 'event_id', name='uq_inbox_event'),
    )
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_waiting', ['connection', 'resource', 'processed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_waiting')
    op.drop_table('inbox')
