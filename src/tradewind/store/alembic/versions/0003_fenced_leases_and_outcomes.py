"""fenced leases (epoch, holder host and pid) and write outcomes on bindings; cursors of any length

A flow's lease row gets an epoch raised at every acquisition and the holder's host and pid (a
dead holder on this host is taken over at once). A pending intent records the epoch it was made
under; a binding may be in state ``unknown`` (a write whose answer was lost, to be settled).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 22:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('flow_locks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('host', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('pid', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('epoch', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('bindings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('epoch', sa.Integer(), nullable=True))
    # a cursor is stored as the source gives it (a sync token of any length), never cut or hashed
    with op.batch_alter_table('cursors', schema=None) as batch_op:
        batch_op.alter_column('value', type_=sa.Text(), existing_type=sa.String(length=100))
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.alter_column('cursor_from', type_=sa.Text(), existing_type=sa.String(length=100))
        batch_op.alter_column('cursor_to', type_=sa.Text(), existing_type=sa.String(length=100))


def downgrade() -> None:
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.alter_column('cursor_to', type_=sa.String(length=100), existing_type=sa.Text())
        batch_op.alter_column('cursor_from', type_=sa.String(length=100), existing_type=sa.Text())
    with op.batch_alter_table('cursors', schema=None) as batch_op:
        batch_op.alter_column('value', type_=sa.String(length=100), existing_type=sa.Text())
    with op.batch_alter_table('bindings', schema=None) as batch_op:
        batch_op.drop_column('epoch')
    with op.batch_alter_table('flow_locks', schema=None) as batch_op:
        batch_op.drop_column('epoch')
        batch_op.drop_column('pid')
        batch_op.drop_column('host')
