"""indexes for the web app's lists and search

The runs list pages newest first by (started_at, id) and shows each flow's last run; a run's page
lists its transfers by id a page at a time; search finds a record by source id or business key in
any flow. Each is a keyset or equality look-up on one of these indexes, so a deep page or a search
over millions of transfers costs what the first page does.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 00:20:00
"""

from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

INDEXES = {
    'runs': [('ix_runs_started_at', ['started_at', 'id']), ('ix_runs_flow_started_at', ['flow', 'started_at'])],
    'transfers': [('ix_transfers_run_page', ['run_id', 'id']), ('ix_transfers_source_id', ['source_id']),
                  ('ix_transfers_natural_key', ['natural_key'])],
}


def upgrade() -> None:
    for table, indexes in INDEXES.items():
        for name, columns in indexes:
            op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for table, indexes in INDEXES.items():
        for name, _ in reversed(indexes):
            op.drop_index(name, table_name=table)
