"""One run per flow at a time, across processes and machines: a lease row per flow.

A lease expires unless renewed (heartbeat), so a run whose process died is detected and the
flow can run again; a live run's lease is never taken over.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from tradewind.store.db import Store, now
from tradewind.store.tables import flow_locks


def acquire(store: Store, flow: str, owner: str, run_id: str, ttl: timedelta) -> bool:
    """Take the flow's lease if free or expired. Atomic on SQLite and PostgreSQL."""
    stamp = now()
    with store.begin() as conn:
        taken = conn.execute(
            update(flow_locks)
            .where(flow_locks.c.flow == flow, flow_locks.c.expires_at < stamp)
            .values(owner=owner, run_id=run_id, expires_at=stamp + ttl)
        ).rowcount
        if taken:
            return True
    try:
        with store.begin() as conn:
            conn.execute(insert(flow_locks).values(flow=flow, owner=owner, run_id=run_id, expires_at=stamp + ttl))
        return True
    except IntegrityError:
        return False


def renew(conn: Connection, flow: str, run_id: str, ttl: timedelta) -> bool:
    """Extend our lease; False when it is no longer ours (it expired and someone took it)."""
    return bool(
        conn.execute(
            update(flow_locks)
            .where(flow_locks.c.flow == flow, flow_locks.c.run_id == run_id)
            .values(expires_at=now() + ttl)
        ).rowcount
    )


def release(conn: Connection, flow: str, run_id: str) -> None:
    conn.execute(delete(flow_locks).where(flow_locks.c.flow == flow, flow_locks.c.run_id == run_id))


def holder(conn: Connection, flow: str) -> tuple[str, str | None] | None:
    row = conn.execute(select(flow_locks.c.owner, flow_locks.c.run_id).where(flow_locks.c.flow == flow)).first()
    return (row.owner, row.run_id) if row else None
