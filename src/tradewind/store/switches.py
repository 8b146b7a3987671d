"""Switches people flip from the API, kept so every process and restart honours them: a flow
paused (no scheduled or pushed run starts it) and detail logging on for a connection until a time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from tradewind.store.db import now, upsert
from tradewind.store.tables import connection_detail, flow_state


def set_paused(conn: Connection, flow: str, paused: bool, *, by: str | None) -> None:
    upsert(conn, flow_state, dict(flow=flow, paused=paused, changed_by=by, changed_at=now()),
           keys=["flow"], update=["paused", "changed_by", "changed_at"])


def paused(conn: Connection) -> set[str]:
    """The flows paused now."""
    return set(conn.execute(select(flow_state.c.flow).where(flow_state.c.paused.is_(True))).scalars())


def set_detail(conn: Connection, connection: str, until: datetime, *, by: str | None) -> None:
    upsert(conn, connection_detail, dict(connection=connection, until=until, changed_by=by, changed_at=now()),
           keys=["connection"], update=["until", "changed_by", "changed_at"])


def detail_until(conn: Connection) -> dict[str, datetime]:
    """Connections with detail logging switched on, and until when (only those still on)."""
    rows = conn.execute(select(connection_detail).where(connection_detail.c.until > now()))
    return {row.connection: row.until for row in rows}
