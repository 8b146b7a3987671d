"""The retry queue: failed records with their source payload, tried again on later runs.

A failed record does not hold the cursor back; it waits here, with backoff, until it is written
or skipped (then its row goes) or replayed by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select

from tradewind.store.db import now, upsert
from tradewind.store.tables import failures


@dataclass(frozen=True)
class Failure:
    flow: str
    source_id: str
    payload: dict[str, Any]
    version: str | None
    attempts: int
    next_attempt_at: datetime
    last_error: str | None


def record(conn: Connection, *, flow: str, source_id: str, payload: dict[str, Any], version: str | None,
           attempts: int, next_attempt_at: datetime, error: str, run_id: str) -> None:
    upsert(
        conn, failures,
        dict(flow=flow, source_id=source_id, payload=json.dumps(payload, default=str), version=version,
             attempts=attempts, next_attempt_at=next_attempt_at, last_error=error, last_run_id=run_id,
             updated_at=now()),
        keys=["flow", "source_id"],
        update=["payload", "version", "attempts", "next_attempt_at", "last_error", "last_run_id", "updated_at"],
    )


def _failure(row: Any) -> Failure:
    return Failure(flow=row.flow, source_id=row.source_id, payload=json.loads(row.payload), version=row.version,
                   attempts=row.attempts, next_attempt_at=row.next_attempt_at, last_error=row.last_error)


def due(conn: Connection, flow: str, *, limit: int = 500, include_waiting: bool = False) -> list[Failure]:
    query = select(failures).where(failures.c.flow == flow).order_by(failures.c.next_attempt_at).limit(limit)
    if not include_waiting:
        query = query.where(failures.c.next_attempt_at <= now())
    return [_failure(row) for row in conn.execute(query)]


def get(conn: Connection, flow: str, source_id: str) -> Failure | None:
    row = conn.execute(select(failures).where(failures.c.flow == flow, failures.c.source_id == source_id)).first()
    return _failure(row) if row else None


def get_many(conn: Connection, flow: str, source_ids: list[str]) -> dict[str, Failure]:
    if not source_ids:
        return {}
    rows = conn.execute(select(failures).where(failures.c.flow == flow, failures.c.source_id.in_(source_ids)))
    return {row.source_id: _failure(row) for row in rows}


def clear(conn: Connection, flow: str, source_ids: list[str]) -> None:
    if source_ids:
        conn.execute(delete(failures).where(failures.c.flow == flow, failures.c.source_id.in_(source_ids)))


def all_for(conn: Connection, flow: str | None = None) -> list[Failure]:
    query = select(failures).order_by(failures.c.flow, failures.c.source_id)
    if flow:
        query = query.where(failures.c.flow == flow)
    return [_failure(row) for row in conn.execute(query)]
