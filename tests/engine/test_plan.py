"""Dry runs over the in-memory systems, on SQLite and PostgreSQL: every record read is in the plan
with its action and reason, nothing is written, and the run's row keeps the planned counts."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from sqlalchemy import select

from tests.engine.memory import T0, System, flow, opener
from tradewind.engine import plan
from tradewind.engine.runner import Runner, RunResult
from tradewind.errors import TransientError
from tradewind.mapping import compile_filter
from tradewind.store import cursors, failures, runs, tables
from tradewind.store.db import Store


def product(key: str, title: str | None = None, **more: str) -> dict[str, str]:
    return {"key": key, "title": title or f"Product {key}", "sku": f"SKU-{key}", "price": "10.00", **more}


def by_key(result: RunResult) -> dict[str, plan.PlanLine]:
    return {line.natural_key or line.source_id: line for line in plan.lines(result.plan, "shop")}


def ledger(store: Store) -> tuple[object, ...]:
    """Everything a run may write in the store besides its own run and transfer rows."""
    with store.begin() as conn:
        return (conn.execute(select(tables.bindings)).all(), conn.execute(select(tables.failures)).all(),
                cursors.get(conn, "products"))


def test_every_record_is_planned_with_its_action_and_reason(store: Store) -> None:
    erp, shop = System(), System()
    for key in ("SAME", "RENAMED", "HIDDEN"):
        erp.add(product(key))
    keep = compile_filter("product.key != 'HIDDEN'", flow="products", where="tradewind.yaml:9:13")
    run = Runner(store, opener=opener(erp, shop))
    assert 2 == run.run(flow(filter=keep)).counts["created"]
    later = T0 + timedelta(hours=1)
    erp.touch("1", later)  # read again, the same content: unchanged
    erp.touch("2", later, title="Renamed")
    erp.touch("3", later)
    erp.add(product("NEW"), modified=later)
    erp.add(product("THERE"), modified=later)
    shop.add({"key": "THERE", "title": "Product THERE", "sku": "SKU-THERE", "price": "10.00"})
    erp.add({"key": "BROKEN", "sku": "SKU-BROKEN"}, modified=later)  # no title: fails
    before, calls = ledger(store), shop.calls.copy()

    result = run.run(flow(filter=keep), dry_run=True)

    lines = by_key(result)
    assert 6 == len(result.plan) == len(lines), lines
    assert ("skip", "unchanged since") == (lines["key=SAME"].action, lines["key=SAME"].reason[:15])
    renamed = lines["key=RENAMED"]
    assert ("update", ["title"]) == (renamed.action, [c.path for c in renamed.changes])
    assert "(bound)" in renamed.reason
    assert "skip" == lines["key=HIDDEN"].action and "HIDDEN" in lines["key=HIDDEN"].reason  # the filter's
    assert ("create", "not in shop (none found by key=NEW)") == (lines["key=NEW"].action, lines["key=NEW"].reason)
    assert "skip" == lines["key=THERE"].action and "already holds these values" in lines["key=THERE"].reason
    assert ("fail", "decode failed on this record: KeyError: 'title'") == (lines["6"].action, lines["6"].reason)
    assert {"create": 1, "update": 1, "skip": 3, "fail": 1, "parked": 0} == plan.counts(list(lines.values()))

    assert before == ledger(store)  # no binding, failure or cursor
    assert calls["create"] == shop.calls["create"] and calls["update"] == shop.calls["update"]
    assert 3 == len(shop.records)
    with store.begin() as conn:
        row = runs.get(conn, result.run_id)
    assert row is not None and row.dry_run
    assert (6, 1, 1, 3, 1, 0) == (row.received, row.created, row.updated, row.skipped, row.failed, row.parked)


def test_a_record_waiting_for_its_dependency_is_planned_parked(store: Store) -> None:
    erp, shop = System(), System()
    erp.add(product("A"))
    update_only = dataclasses.replace(flow(write="update"), after=("catalogue",))
    result = Runner(store, opener=opener(erp, shop)).run(update_only, dry_run=True)
    line = by_key(result)["key=A"]
    assert "parked" == line.action and line.reason.startswith("waiting for flow catalogue: not found in shop")
    with store.begin() as conn:
        row = runs.get(conn, result.run_id)
        assert [] == failures.due_after(conn, "products", None, limit=10)  # parked in the plan only
    assert row is not None and (1, 1) == (row.received, row.parked)


def test_a_dry_run_when_the_target_is_down_plans_failures_and_writes_nothing(store: Store) -> None:
    erp, shop = System(), System()
    erp.add(product("A"))
    run = Runner(store, opener=opener(erp, shop))
    run.run(flow())
    erp.touch("1", T0 + timedelta(hours=1), title="Changed")

    def down(key: str) -> None:
        raise TransientError("memory system is down", status=503)

    shop.by_key = down  # type: ignore[method-assign]
    result = run.run(flow(), dry_run=True)
    line = by_key(result)["key=A"]
    assert "fail" == line.action and "unavailable while looking records up" in line.reason
    assert "Product A" == shop.records["1"]["title"]

