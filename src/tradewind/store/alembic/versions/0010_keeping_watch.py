"""run triggers, per-connection retention and keyed hashes of personal keys (keeping watch)

Reserved at the start of the session so the revision chain stays whole while the work lands; a
revision that ends up with nothing to change keeps its place as a no-op.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 00:20:00
"""

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
