"""tokens encrypted at rest, and the lock around a token exchange

Tokens already stored in plain JSON stay readable and are sealed on their next write (or by
``StoreTokens.rotate_keys``): a migration has no key to seal them with.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 22:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "token_locks",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_token_locks")),
    )


def downgrade() -> None:
    op.drop_table("token_locks")
