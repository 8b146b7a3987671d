"""Cursors: each flow's watermark in its source, saved only past durable transfers."""

from __future__ import annotations

from sqlalchemy import Connection, delete, select

from tradewind.store.db import now, upsert
from tradewind.store.tables import cursors


def get(conn: Connection, flow: str) -> str | None:
    return conn.execute(select(cursors.c.value).where(cursors.c.flow == flow)).scalar()


def put(conn: Connection, flow: str, value: str) -> None:
    upsert(conn, cursors, dict(flow=flow, value=value, updated_at=now()), keys=["flow"], update=["value", "updated_at"])


def reset(conn: Connection, flow: str) -> None:
    conn.execute(delete(cursors).where(cursors.c.flow == flow))
