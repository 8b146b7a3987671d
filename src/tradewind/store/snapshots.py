"""Payload snapshots: kept only while detail logging is on for a connection, purged after N days."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from tradewind.store.db import now
from tradewind.store.tables import snapshots


def add(conn: Connection, transfer_id: int, stage: str, payload: Any) -> None:
    conn.execute(insert(snapshots).values(transfer_id=transfer_id, stage=stage, created_at=now(),
                                          payload=json.dumps(payload, default=str, sort_keys=True)))


def for_transfer(conn: Connection, transfer_id: int) -> list[tuple[str, Any]]:
    rows = conn.execute(select(snapshots.c.stage, snapshots.c.payload).where(snapshots.c.transfer_id == transfer_id)
                        .order_by(snapshots.c.id))
    return [(row.stage, json.loads(row.payload)) for row in rows]


def purge(conn: Connection, older_than: timedelta) -> int:
    return int(conn.execute(delete(snapshots).where(snapshots.c.created_at < now() - older_than)).rowcount)
