"""Staging in the store: a full read's rows held by group until the feed ends (the connectors'
:class:`~tradewind.connectors.base.Staging`), so a source groups rows spread over many pages (Exact
items of one model) without reading any twice and without holding the read in memory.

A read's first ``hold`` rows stay in memory: a catalogue of a few thousand items is grouped there,
with no round trip through the database (storing and reading back a row cost more than decoding
it). Past that the read *spills*: what is held and every later page are written to the store (one
executemany a page) and read back in group order, a batch of about ``rows_per_batch`` rows at a
time by keyset (group, id). Memory stays bounded by ``hold`` rows plus one batch whatever the
catalogue. A scope is one read; scopes left behind by a process that died are dropped after a day.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select

from tradewind.store import many
from tradewind.store.db import Store, now, to_json
from tradewind.store.tables import catalogue_staging as staged

ABANDONED_AFTER = timedelta(days=1)
"""A scope older than this belongs to a read that never finished: dropped when the next one starts."""

HOLD = 5_000
"""Rows a read keeps in memory before it spills to the store (Exact item rows: ≈ 5 MB)."""

Row = dict[str, Any]
Groups = list[tuple[str, list[Row]]]

_STAGE = insert(staged)
"""Rows of a page, sent as the driver takes them (:mod:`~tradewind.store.many`): a full read stages every item."""


class StoreStaging:
    """:class:`~tradewind.connectors.base.Staging` in memory up to ``hold`` rows a read, then on the
    ``catalogue_staging`` table."""

    def __init__(self, store: Store, *, hold: int = HOLD) -> None:
        self.store, self.hold = store, hold
        self._fresh: set[str] = set()
        self._held: dict[str, list[tuple[str, Row]]] = {}
        self._spilled: set[str] = set()

    def stage(self, scope: str, rows: Sequence[tuple[str, Row]]) -> None:
        if scope not in self._fresh:
            self._fresh.add(scope)
            with self.store.begin() as conn:
                conn.execute(delete(staged).where(staged.c.staged_at < now() - ABANDONED_AFTER))
        if scope not in self._spilled:
            held = self._held.setdefault(scope, [])
            held.extend(rows)
            if len(held) <= self.hold:
                return
            rows = self._held.pop(scope)
            self._spilled.add(scope)
        if rows:
            self._store(scope, rows)

    def _store(self, scope: str, rows: Sequence[tuple[str, Row]]) -> None:
        stamp = now()
        with self.store.begin() as conn:
            many.execute_many(conn, _STAGE, [{"scope": scope, "group_key": group, "row": to_json(row),
                                              "staged_at": stamp} for group, row in rows])

    def groups(self, scope: str, *, rows_per_batch: int = 1000) -> Iterator[Groups]:
        """Groups in key order, whole, in batches of about ``rows_per_batch`` rows (a group is never split)."""
        if scope in self._spilled:
            return _batches(self._stored(scope, rows_per_batch), rows_per_batch)
        held = self._held.get(scope, [])
        return _batches(sorted(held, key=lambda pair: pair[0]), rows_per_batch)  # stable: rows keep their order

    def _stored(self, scope: str, rows_per_batch: int) -> Iterator[tuple[str, Row]]:
        """The spilled read's rows in (group, id) order, a chunk at a time."""
        after: tuple[str, int] | None = None
        loads = json.loads
        while True:
            rows = self._chunk(scope, after, rows_per_batch)
            for _, key, row in rows:
                yield key, loads(row)
            if len(rows) < rows_per_batch:
                return
            after = (rows[-1][1], rows[-1][0])

    def _chunk(self, scope: str, after: tuple[str, int] | None, limit: int) -> list[Any]:
        query = select(staged.c.id, staged.c.group_key, staged.c.row).where(staged.c.scope == scope)
        if after is not None:
            key, last = after
            query = query.where(or_(staged.c.group_key > key, and_(staged.c.group_key == key, staged.c.id > last)))
        with self.store.begin() as conn:
            return list(conn.execute(query.order_by(staged.c.group_key, staged.c.id).limit(limit)).tuples())

    def drop(self, scope: str) -> None:
        self._fresh.discard(scope)
        self._held.pop(scope, None)
        if scope in self._spilled:
            self._spilled.discard(scope)
            with self.store.begin() as conn:
                conn.execute(delete(staged).where(staged.c.scope == scope))


def _batches(rows: Iterable[tuple[str, Row]], rows_per_batch: int) -> Iterator[Groups]:
    """Rows in group order as whole groups, closed into a batch once it holds ``rows_per_batch`` rows."""
    group: str | None = None
    members: list[Row] = []
    batch: Groups = []
    size = 0
    for key, row in rows:
        if key != group and group is not None:
            batch.append((group, members))
            size += len(members)
            members = []
            if size >= rows_per_batch:
                yield batch
                batch, size = [], 0
        group = key
        members.append(row)
    if group is not None:
        batch.append((group, members))
    if batch:
        yield batch
