"""Pushed events: stored durably once, drained by runs with every promise of the run loop."""

from __future__ import annotations

from datetime import timedelta

from tests.engine.memory import T0, System, flow, opener
from tradewind.engine import inbox as engine_inbox
from tradewind.engine.runner import Runner
from tradewind.store import inbox
from tradewind.store.db import Store


def catalogue(n: int) -> System:
    erp = System(page_size=50)
    for i in range(n):
        erp.add({"key": f"P{i}", "title": f"Product {i}", "sku": f"S{i}"}, modified=T0 + timedelta(seconds=i))
    return erp


def announce(store: Store, event_id: str, *ids: str) -> bool:
    return engine_inbox.receive(store, connection="erp", resource="products", event_id=event_id, record_ids=ids)


def test_a_duplicate_delivery_is_stored_once(store: Store) -> None:
    assert (True, False, True) == (announce(store, "e1", "1"), announce(store, "e1", "1"), announce(store, "e2", "2"))
    with store.begin() as conn:
        assert 2 == inbox.depth(conn)


def test_an_events_run_reads_just_the_records_announced_and_empties_the_inbox(store: Store) -> None:
    erp, shop = catalogue(20), System()
    runner = Runner(store, opener=opener(erp, shop))
    announce(store, "e1", "3", "5")
    announce(store, "e2", "5")  # the same record announced again: read once
    result = runner.run(flow(), events_only=True)
    assert (2, 2, 0) == (result.counts["received"], result.counts["created"], erp.calls["read"]), result
    assert 1 == erp.calls["get"]
    assert {"P2", "P4"} == {r["key"] for r in shop.records.values()}
    with store.begin() as conn:
        assert 0 == inbox.depth(conn)
    again = runner.run(flow(), events_only=True)
    assert 0 == again.counts.get("received", 0)


def test_out_of_order_events_write_the_current_version_once(store: Store) -> None:
    erp, shop = catalogue(3), System()
    runner = Runner(store, opener=opener(erp, shop))
    erp.touch("2", T0 + timedelta(hours=2), title="Newest")
    announce(store, "new", "2")
    announce(store, "old", "2")  # delivered late, about an older change
    runner.run(flow(), events_only=True)
    assert "Newest" == shop.by_key("P1")["title"]  # type: ignore[index]
    assert 1 == shop.calls["create"] and 0 == shop.calls["update"]


def test_a_dry_run_leaves_events_waiting_and_a_normal_run_drains_them_too(store: Store) -> None:
    erp, shop = catalogue(4), System()
    runner = Runner(store, opener=opener(erp, shop))
    announce(store, "e1", "1")
    runner.run(flow(), events_only=True, dry_run=True)
    with store.begin() as conn:
        assert 1 == inbox.depth(conn)
    result = runner.run(flow())
    assert 4 == result.counts["created"]
    with store.begin() as conn:
        assert 0 == inbox.depth(conn)


def test_events_of_a_source_that_cannot_read_by_id_are_settled_by_the_incremental_read(
        store: Store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tests.engine import memory
    from tradewind.connectors.base import Resource

    monkeypatch.setattr(memory.MemoryProducts, "get", Resource.get)
    erp, shop = catalogue(3), System()
    runner = Runner(store, opener=opener(erp, shop))
    announce(store, "e1", "2")
    result = runner.run(flow(), events_only=True)  # no read by id: the cursor read finds the change
    assert (3, 0) == (result.counts["created"], erp.calls.get("get", 0))
    with store.begin() as conn:
        assert 0 == inbox.depth(conn)
