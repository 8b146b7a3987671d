"""catalogue staging and pre-bindings: every call counts

``catalogue_staging`` holds a full read's rows keyed by group (Exact items by model code) until
the feed ends, so products are grouped in the store without reading any model's items twice.
``prebindings`` keeps the records a write's answer names beside its own (a product's variants name
their prices and stock levels), with what the target holds, so later flows adopt them by natural
key instead of searching, and a value already written is not written again.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 00:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'catalogue_staging',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('scope', sa.String(length=64), nullable=False),
        sa.Column('group_key', sa.String(length=200), nullable=False),
        sa.Column('row', sa.Text(), nullable=False),
        sa.Column('staged_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_catalogue_staging'),
    )
    with op.batch_alter_table('catalogue_staging', schema=None) as batch_op:
        batch_op.create_index('ix_catalogue_staging_scope_group', ['scope', 'group_key', 'id'], unique=False)
    op.create_table(
        'prebindings',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('target_connection', sa.String(length=100), nullable=False),
        sa.Column('entity', sa.String(length=40), nullable=False),
        sa.Column('natural_key', sa.String(length=400), nullable=False),
        sa.Column('target_id', sa.String(length=200), nullable=False),
        sa.Column('data', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_prebindings'),
        sa.UniqueConstraint('target_connection', 'entity', 'natural_key', name='uq_prebindings_record'),
    )


def downgrade() -> None:
    op.drop_table('prebindings')
    with op.batch_alter_table('catalogue_staging', schema=None) as batch_op:
        batch_op.drop_index('ix_catalogue_staging_scope_group')
    op.drop_table('catalogue_staging')
