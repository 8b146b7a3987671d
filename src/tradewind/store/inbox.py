"""The event inbox: pushed events, stored durably before they are acknowledged.

A receiver (a webhook, an order receiver) calls :func:`put` and answers the vendor only after it
returns; a second delivery of the same event (same vendor event id) is stored once. Runs take the
waiting events of their source (:func:`waiting`) and mark them :func:`done` once the records they
announce are durable, so an event is never lost between receipt and processing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from tradewind.store.db import now
from tradewind.store.tables import inbox


@dataclass(frozen=True)
class Event:
    id: int
    connection: str
    resource: str
    event_id: str
    record_ids: list[str]
    occurred_at: datetime | None
    received_at: datetime


def put(conn: Connection, *, connection: str, resource: str, event_id: str, record_ids: Sequence[str],
        occurred_at: datetime | None = None) -> bool:
    """Store one event; False when this event id was stored before (a duplicate delivery)."""
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = module.insert(inbox).values(
        connection=connection, resource=resource, event_id=event_id, record_ids=json.dumps(list(record_ids)),
        occurred_at=occurred_at, received_at=now(),
    ).on_conflict_do_nothing(index_elements=["connection", "event_id"]).returning(inbox.c.id)
    return conn.execute(statement).scalar() is not None


def waiting(conn: Connection, connection: str, resource: str, *, after: int = 0, limit: int = 500) -> list[Event]:
    """Events not yet processed, oldest first, past event row ``after`` (keyset paging)."""
    rows = conn.execute(
        select(inbox).where(inbox.c.connection == connection, inbox.c.resource == resource,
                            inbox.c.processed_at.is_(None), inbox.c.id > after).order_by(inbox.c.id).limit(limit))
    return [Event(id=r.id, connection=r.connection, resource=r.resource, event_id=r.event_id,
                  record_ids=json.loads(r.record_ids), occurred_at=r.occurred_at, received_at=r.received_at)
            for r in rows]


def done(conn: Connection, ids: Sequence[int], run_id: str) -> None:
    if ids:
        conn.execute(update(inbox).where(inbox.c.id.in_(list(ids))).values(processed_at=now(), run_id=run_id))


def depth(conn: Connection, connection: str | None = None) -> int:
    """Events waiting (for the metrics and the overview)."""
    query = select(func.count()).select_from(inbox).where(inbox.c.processed_at.is_(None))
    if connection is not None:
        query = query.where(inbox.c.connection == connection)
    return int(conn.execute(query).scalar_one())
