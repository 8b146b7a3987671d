"""Staging in the store: a full read's rows held by group until the feed ends (the connectors'
:class:`~tradewind.connectors.base.Staging`), so a source groups rows spread over many pages (Exact
items of one model) without reading any twice and without holding the read in memory.

Rows are written as each page arrives (one executemany) and read back in group order, a batch of
about ``rows_per_batch`` rows at a time by keyset (group, id): memory stays one batch whatever the
catalogue. A scope is one read; scopes left behind by a process that died are dropped after a day.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select

from tradewind.store import many
from tradewind.store.db import Store, now, to_json
from tradewind.store.tables import catalogue_staging as staged

ABANDONED_AFTER = timedelta(days=1)
"""A scope older than this belongs to a read that never finished: dropped when the next one starts."""

Groups = list[tuple[str, list[dict[str, Any]]]]

_STAGE = insert(staged)
"""Rows of a page, sent as the driver takes them (:mod:`~tradewind.store.many`): a full read stages every item."""


class StoreStaging:
    """:class:`~tradewind.connectors.base.Staging` on the ``catalogue_staging`` table."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._fresh: set[str] = set()

    def stage(self, scope: str, rows: Sequence[tuple[str, dict[str, Any]]]) -> None:
        if scope not in self._fresh:
            self._fresh.add(scope)
            with self.store.begin() as conn:
                conn.execute(delete(staged).where(staged.c.staged_at < now() - ABANDONED_AFTER))
        if not rows:
            return
        stamp = now()
        with self.store.begin() as conn:
            many.execute_many(conn, _STAGE, [{"scope": scope, "group_key": group, "row": to_json(row),
                                              "staged_at": stamp} for group, row in rows])

    def groups(self, scope: str, *, rows_per_batch: int = 1000) -> Iterator[Groups]:
        """Groups in key order, whole, in batches of about ``rows_per_batch`` rows (a group is never split)."""
        after: tuple[str, int] | None = None
        group: str | None = None
        members: list[dict[str, Any]] = []
        batch: Groups = []
        size = 0
        loads = json.loads
        while True:
            rows = self._chunk(scope, after, rows_per_batch)
            for _, key, row in rows:
                if key != group and group is not None:
                    batch.append((group, members))
                    size += len(members)
                    members = []
                    if size >= rows_per_batch:
                        yield batch
                        batch, size = [], 0
                group = key
                members.append(loads(row))
            if len(rows) < rows_per_batch:
                break
            after = (rows[-1][1], rows[-1][0])
        if group is not None:
            batch.append((group, members))
        if batch:
            yield batch

    def _chunk(self, scope: str, after: tuple[str, int] | None, limit: int) -> list[Any]:
        query = select(staged.c.id, staged.c.group_key, staged.c.row).where(staged.c.scope == scope)
        if after is not None:
            key, last = after
            query = query.where(or_(staged.c.group_key > key, and_(staged.c.group_key == key, staged.c.id > last)))
        with self.store.begin() as conn:
            return list(conn.execute(query.order_by(staged.c.group_key, staged.c.id).limit(limit)).tuples())

    def drop(self, scope: str) -> None:
        self._fresh.discard(scope)
        with self.store.begin() as conn:
            conn.execute(delete(staged).where(staged.c.scope == scope))
