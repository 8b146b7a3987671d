"""Payload snapshots purged per flow: a flow through a connection with its own
``detail_retention_days`` keeps them for that many days (the shorter of its two connections'),
others for the setting. Only snapshots go; the transfers (the basic log) stay."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import Connection, delete, select

from tradewind.store.db import now
from tradewind.store.tables import snapshots, transfers


def purge_snapshots(conn: Connection, older_than: timedelta, *, flows: Sequence[str] | None = None,
                    other_than: Sequence[str] = ()) -> int:
    """Drop snapshots older than ``older_than`` of transfers of ``flows`` (None: any flow), leaving
    those of the flows ``other_than`` names (they keep their own window)."""
    query = delete(snapshots).where(snapshots.c.created_at < now() - older_than)
    if flows is not None or other_than:
        of = select(transfers.c.id)
        if flows is not None:
            of = of.where(transfers.c.flow.in_(list(flows)))
        if other_than:
            of = of.where(transfers.c.flow.not_in(list(other_than)))
        query = query.where(snapshots.c.transfer_id.in_(of))
    return int(conn.execute(query).rowcount)
