"""indexes and state for the web app's lists and search

Reserved at the start of the session so the revision chain stays whole while the work lands; a
revision that ends up with nothing to change keeps its place as a no-op.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 00:20:00
"""

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
