"""reserved (no change yet)

A placeholder so that work in parallel keeps one chain of revisions; it changes nothing.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 03:00:00
"""

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
