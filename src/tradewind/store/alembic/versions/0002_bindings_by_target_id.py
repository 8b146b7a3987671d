"""bindings found by target id

Two source records must never be bound to one target record (they would overwrite each other);
the engine checks a found record's id against the bindings before it writes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 23:05:00
"""

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bindings', schema=None) as batch_op:
        batch_op.create_index('ix_bindings_target_id', ['target_connection', 'entity', 'target_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('bindings', schema=None) as batch_op:
        batch_op.drop_index('ix_bindings_target_id')
