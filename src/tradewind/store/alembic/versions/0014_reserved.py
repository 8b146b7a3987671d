"""reserved (no change yet)

A placeholder so that work in parallel keeps one chain of revisions; it changes nothing.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 03:00:00
"""

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
