"""Transfers found by what people know: flow, stage, outcome, record key, time; newest first,
a page at a time by keyset (``before`` the last id seen), so deep pages cost what the first does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, or_, select

from tradewind.store import personal
from tradewind.store.runs import Transfer
from tradewind.store.tables import transfers


@dataclass(frozen=True)
class Query:
    flow: str | None = None
    run_id: str | None = None
    stage: str | None = None
    outcome: str | None = None
    key: str | None = None
    """A source id or a stored natural key (``number=#1042``), matched exactly."""
    since: datetime | None = None
    until: datetime | None = None
    before: int | None = None
    limit: int = 100


def page(conn: Connection, query: Query) -> list[Transfer]:
    statement = select(transfers).order_by(transfers.c.id.desc()).limit(query.limit)
    for column, value in ((transfers.c.flow, query.flow), (transfers.c.run_id, query.run_id),
                          (transfers.c.stage, query.stage), (transfers.c.outcome, query.outcome)):
        if value is not None:
            statement = statement.where(column == value)
    if query.key is not None:  # an e-mail address is matched by its keyed hash, as it is stored
        statement = statement.where(or_(transfers.c.source_id == query.key,
                                        transfers.c.natural_key == personal.hider(conn)(query.key)))
    if query.since is not None:
        statement = statement.where(transfers.c.created_at >= query.since)
    if query.until is not None:
        statement = statement.where(transfers.c.created_at < query.until)
    if query.before is not None:
        statement = statement.where(transfers.c.id < query.before)
    return [Transfer(**row._mapping) for row in conn.execute(statement)]
