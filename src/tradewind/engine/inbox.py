"""Pushed events, drained by runs with every promise of the run loop.

A receiver stores an event with :func:`receive` and acknowledges the vendor only afterwards. A run
of a flow whose source has waiting events reads just the records they announce — by id, from the
source, so it gets each record's current version whatever order the events arrived in — and
marks the events processed once those records are durable. Duplicate deliveries are stored once;
a record announced twice is read once; an unchanged record costs no write (its content hash).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from tradewind.connectors.base import Page, Resource
from tradewind.engine.context import RunContext
from tradewind.store import inbox
from tradewind.store.db import Store

PAGE = 100


def receive(store: Store, *, connection: str, resource: str, event_id: str, record_ids: Sequence[str],
            occurred_at: datetime | None = None) -> bool:
    """Store an event durably (its own commit); False for a duplicate delivery. Acknowledge after."""
    with store.begin() as conn:
        return inbox.put(conn, connection=connection, resource=resource, event_id=event_id,
                         record_ids=record_ids, occurred_at=occurred_at)


def readable_by_id(resource: Resource[Any]) -> bool:
    return type(resource).get is not Resource.get


def covered_by_the_read(ctx: RunContext) -> Callable[[], None]:
    """For a source that cannot read by id: the events waiting now are settled by this run's
    incremental read (the cursor finds the changes they announce). Call the answer once that
    read has ended; until then they stay waiting, so a run that dies settles nothing."""
    with ctx.store.begin() as conn:
        ids = [e.id for e in inbox.waiting(conn, ctx.flow.source.name, ctx.flow.source_resource, limit=100_000)]
    return _marker(ctx, ids)


def inbox_pages(ctx: RunContext) -> Iterator[Page]:
    """Pages of the records waiting events announce; each page marks its events done once durable."""
    if not readable_by_id(ctx.source_res):
        return
    after = 0
    while True:
        with ctx.store.begin() as conn:
            events = inbox.waiting(conn, ctx.flow.source.name, ctx.flow.source_resource, after=after, limit=PAGE)
        if not events:
            return
        after = events[-1].id
        ids = list(dict.fromkeys(i for event in events for i in event.record_ids))
        records = [r for r in ctx.source_res.get(ctx.source.client, ids) if r is not None]
        yield Page(records=records, durable=_marker(ctx, [e.id for e in events]))


def _marker(ctx: RunContext, event_ids: list[int]) -> Callable[[], None]:
    def mark() -> None:
        with ctx.store.begin() as conn:
            inbox.done(conn, event_ids, ctx.run_id)
    return mark
