"""staged full reads for grouping items into products in the store

Reserved at the start of the session so the revision chain stays whole while the work lands; a
revision that ends up with nothing to change keeps its place as a no-op.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 00:20:00
"""

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
