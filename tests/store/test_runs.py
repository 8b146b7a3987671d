"""Runs, transfers, payload snapshots and the retry queue of failed records."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import sqlalchemy as sa

from tradewind.store import failures, runs, snapshots
from tradewind.store.db import ROWS_PER_INSERT, Store, now
from tradewind.store.tables import snapshots as snapshots_table


def start(store: Store, run_id: str, flow: str = "orders") -> None:
    with store.begin() as conn:
        runs.start(conn, run_id=run_id, flow=flow, trigger="schedule", dry_run=False, owner="host-a",
                   cursor_from="c0")


def transfer(run_id: str, source_id: str) -> dict[str, Any]:
    return {"run_id": run_id, "flow": "orders", "entity": "order", "source_id": source_id, "stage": "received"}


def test_run_starts_counts_and_finishes(store: Store) -> None:
    start(store, "run-1")
    with store.begin() as conn:
        runs.add_counts(conn, "run-1", {"received": 3, "created": 2, "failed": 0})
        runs.add_counts(conn, "run-1", {"received": 1, "skipped": 1, "failed": 1})
        running = runs.get(conn, "run-1")
        runs.finish(conn, "run-1", status="failed", cursor_to="c9", error="boom")
        finished = runs.get(conn, "run-1")
    assert running is not None and finished is not None
    assert ("running", None) == (running.status, running.finished_at)
    counts = (finished.received, finished.created, finished.updated, finished.skipped, finished.failed)
    assert (4, 2, 0, 1, 1) == counts
    assert finished.finished_at is not None
    assert ("failed", "c0", "c9", "boom", UTC) == (
        finished.status, finished.cursor_from, finished.cursor_to, finished.error, finished.finished_at.tzinfo)


def test_recent_is_newest_first_per_flow_and_interrupt_stale_spares_the_current_run(store: Store) -> None:
    for run_id, flow in [("old-1", "orders"), ("other", "products"), ("old-2", "orders"), ("current", "orders")]:
        start(store, run_id, flow)
    with store.begin() as conn:
        stamps = {"old-1": 3, "other": 2, "old-2": 1, "current": 0}  # minutes ago
        for run_id, minutes in stamps.items():
            conn.execute(sa.update(runs.runs).where(runs.runs.c.id == run_id)
                         .values(started_at=now() - timedelta(minutes=minutes)))
        assert ["current", "old-2"] == [r.id for r in runs.recent(conn, flow="orders", limit=2)]
        assert ["current", "old-2", "other", "old-1"] == [r.id for r in runs.recent(conn)]
        assert 2 == runs.interrupt_stale(conn, "orders", except_run="current")
        statuses = {r.id: r.status for r in runs.recent(conn)}
    assert {"old-1": "interrupted", "old-2": "interrupted", "other": "running", "current": "running"} == statuses


def test_a_page_of_transfers_is_few_inserts_and_each_id_is_its_own_rows(store: Store) -> None:
    """A page's transfer rows go in multi-row statements of ``ROWS_PER_INSERT`` (not one INSERT a
    row), and the ids come back in the rows' order, each the id of its own row across statements — a
    key too long for its column (stored fitted) included; rows repeating a source id keep their order
    as well."""
    start(store, "run-1")
    long_key = "sku=" + "x" * 300
    sources = [f"s{i:03}" for i in range(120, 0, -1)] + [long_key]
    inserts: list[str] = []

    def listen(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO TRANSFERS"):
            inserts.append(statement)

    sa.event.listen(store.engine, "before_cursor_execute", listen)
    try:
        with store.begin() as conn:
            ids = runs.add_transfers(conn, [transfer("run-1", s) for s in sources])
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", listen)
    with store.begin() as conn:
        twice = runs.add_transfers(conn, [transfer("run-1", s) for s in ("b", "a", "b")])
        stored = {t.id: t.source_id for t in runs.list_transfers(conn, "run-1", limit=200)}
    assert -(-len(sources) // ROWS_PER_INSERT) == len(inserts) > 1
    assert sources[:-1] == [stored[i] for i in ids[:-1]]
    assert stored[ids[-1]].startswith("sku=xxx") and "~#" in stored[ids[-1]]
    assert ["b", "a", "b"] == [stored[i] for i in twice] and len(set(twice)) == 3


def test_end_transfers_is_one_executemany(store: Store) -> None:
    start(store, "run-1")
    with store.begin() as conn:
        ids = runs.add_transfers(conn, [transfer("run-1", s) for s in ("a", "b", "c")])
    statements: list[tuple[str, bool]] = []

    def listen(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith("UPDATE TRANSFERS"):
            statements.append((statement, executemany))

    sa.event.listen(store.engine, "before_cursor_execute", listen)
    try:
        with store.begin() as conn:
            runs.end_transfers(conn, [
                {"tid": ids[0], "stage": "written", "outcome": "created", "target_id": "E-1", "natural_key": "n=a"},
                {"tid": ids[1], "stage": "failed", "outcome": "failed", "reason": "no SKU", "field": "lines[0].sku"},
            ])
            runs.end_transfers(conn, [])
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", listen)
    assert [True] == [many for _, many in statements]
    with store.begin() as conn:
        ended = {t.source_id: t for t in runs.list_transfers(conn, "run-1")}
        assert ["b"] == [t.source_id for t in runs.list_transfers(conn, "run-1", outcome="failed")]
    assert ("written", "created", "E-1", "n=a", None) == (
        ended["a"].stage, ended["a"].outcome, ended["a"].target_id, ended["a"].natural_key, ended["a"].reason)
    assert ("failed", "no SKU", "lines[0].sku", None) == (
        ended["b"].stage, ended["b"].reason, ended["b"].field, ended["b"].target_id)
    assert ("received", None) == (ended["c"].stage, ended["c"].finished_at)
    assert ended["a"].finished_at is not None


def test_snapshots_older_than_the_retention_are_purged(store: Store) -> None:
    start(store, "run-1")
    with store.begin() as conn:
        tid = runs.add_transfers(conn, [transfer("run-1", "a")])[0]
        snapshots.add(conn, tid, "received", {"id": "a", "total": "9.95"})
        snapshots.add(conn, tid, "mapped", {"Reference": "#1001"})
        old_id = conn.execute(sa.select(sa.func.min(snapshots_table.c.id))).scalar()
        conn.execute(sa.update(snapshots_table).where(snapshots_table.c.id == old_id)
                     .values(created_at=now() - timedelta(days=15)))
    with store.begin() as conn:
        purged = snapshots.purge(conn, timedelta(days=14))
        kept = snapshots.for_transfer(conn, tid)
    assert (1, [("mapped", {"Reference": "#1001"})]) == (purged, kept)


def test_failures_record_due_get_many_and_clear(store: Store) -> None:
    soon, later = now() - timedelta(seconds=1), now() + timedelta(hours=1)
    with store.begin() as conn:
        failures.record(conn, flow="orders", source_id="a", payload={"id": "a"}, version="v1", attempts=1,
                        next_attempt_at=later, error="503", run_id="run-1")
        failures.record(conn, flow="orders", source_id="b", payload={"id": "b", "n": 2}, version=None, attempts=1,
                        next_attempt_at=soon, error="timeout", run_id="run-1")
        failures.record(conn, flow="products", source_id="a", payload={}, version=None, attempts=1,
                        next_attempt_at=soon, error="x", run_id="run-2")
    with store.begin() as conn:
        failures.record(conn, flow="orders", source_id="b", payload={"id": "b", "n": 3}, version="v2", attempts=2,
                        next_attempt_at=soon, error="timeout again", run_id="run-2")
        due = failures.due(conn, "orders")
        waiting = failures.due(conn, "orders", include_waiting=True)
        many = failures.get_many(conn, "orders", ["a", "b", "z"])
    assert ["b"] == [f.source_id for f in due]
    assert (2, {"id": "b", "n": 3}, "v2", "timeout again") == (
        due[0].attempts, due[0].payload, due[0].version, due[0].last_error)
    assert ["b", "a"] == [f.source_id for f in waiting]
    assert ({"a", "b"}, later) == (set(many), many["a"].next_attempt_at)
    assert UTC == many["a"].next_attempt_at.tzinfo
    with store.begin() as conn:
        failures.clear(conn, "orders", ["a", "b"])
        failures.clear(conn, "orders", [])
        left = [(f.flow, f.source_id) for f in failures.all_for(conn)]
    assert [("products", "a")] == left

