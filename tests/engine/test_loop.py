"""The run loop's promises, on SQLite and PostgreSQL, against in-memory systems."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.engine.memory import T0, System, flow, opener
from tradewind.engine.context import Hooks
from tradewind.engine.locks import FlowBusy, FlowLease
from tradewind.engine.runner import Runner
from tradewind.mapping import compile_filter, compile_mapping, parse_mapping
from tradewind.store import cursors, failures
from tradewind.store.db import Store


def catalogue(n: int, *, modified=T0) -> System:  # type: ignore[no-untyped-def]
    erp = System()
    for i in range(n):
        erp.add({"key": f"P{i:05}", "title": f"Product {i}", "sku": f"SKU-{i:05}", "price": "10.00"},
                modified=modified + timedelta(seconds=i))
    return erp


def runner(store: Store, erp: System, shop: System, hooks: Hooks | None = None) -> Runner:
    return Runner(store, hooks=hooks or Hooks(), opener=opener(erp, shop))


def test_first_run_creates_everything_and_a_second_run_writes_nothing(store: Store) -> None:
    erp, shop = catalogue(7), System()
    first = runner(store, erp, shop).run(flow())
    assert ("succeeded", 7, 7) == (first.status, first.counts["received"], first.counts["created"])
    assert 7 == len(shop.records)
    shop.calls.clear()
    second = runner(store, erp, shop).run(flow())
    assert 0 == second.counts.get("created", 0) + second.counts.get("updated", 0)
    assert 0 == shop.calls["create"] + shop.calls["update"]


def test_a_changed_record_is_updated_and_nothing_else(store: Store) -> None:
    erp, shop = catalogue(5), System()
    run = runner(store, erp, shop)
    run.run(flow())
    erp.touch("3", T0 + timedelta(hours=1), title="Renamed")
    shop.calls.clear()
    result = run.run(flow())
    assert 1 == result.counts["updated"]
    assert 1 == shop.calls["update"] and 0 == shop.calls["create"]
    assert "Renamed" == shop.by_key("P00002")["title"]  # type: ignore[index]


def test_crash_between_write_and_bind_creates_no_duplicate(store: Store) -> None:
    erp, shop = catalogue(4), System()

    def crash(batch: list, ctx: object) -> None:  # type: ignore[type-arg]
        raise KeyboardInterrupt("killed after the write, before bind")

    with pytest.raises(KeyboardInterrupt):
        runner(store, erp, shop, Hooks(after_write=[crash])).run(flow(write="create", batch_size=3))
    assert 3 == len(shop.records)  # the first batch was written, none of it bound
    result = runner(store, erp, shop).run(flow(write="create"))
    assert 4 == len(shop.records), "recovery must find, not create again"
    assert "succeeded" == result.status
    with store.begin() as conn:
        from tradewind.store.runs import list_transfers, recent

        runs_ = recent(conn, flow="products")
        recovered = [t for t in list_transfers(conn, result.run_id) if t.reason and t.reason.startswith("recovered")]
    assert 3 == len(recovered)
    assert "interrupted" == runs_[1].status


def test_failed_record_does_not_hold_the_cursor_and_is_retried(store: Store) -> None:
    erp, shop = catalogue(6), System()
    shop.refuse_skus = {"SKU-00001"}
    run = runner(store, erp, shop)
    first = run.run(flow())
    assert ("partial", 1, 5) == (first.status, first.counts["failed"], first.counts["created"])
    with store.begin() as conn:
        assert erp.records["6"]["modified"] == cursors.get(conn, "products")
        queued = failures.all_for(conn, "products")
    assert ["2"] == [f.source_id for f in queued]
    assert "SKU SKU-00001 is blocked by the target" in (queued[0].last_error or "")
    shop.refuse_skus.clear()
    second = run.run(flow())
    assert 1 == second.counts["created"]
    with store.begin() as conn:
        assert [] == failures.all_for(conn, "products")


def test_retries_give_up_after_max_attempts_but_replay_still_works(store: Store) -> None:
    erp, shop = catalogue(2), System()
    shop.refuse_skus = {"SKU-00000"}
    run = runner(store, erp, shop)
    for _ in range(3):
        run.run(flow())
    with store.begin() as conn:
        failure = failures.get(conn, "products", "1")
    assert failure is not None and 3 == failure.attempts and "gave up" in (failure.last_error or "")
    shop.refuse_skus.clear()
    assert 0 == run.run(flow()).counts.get("created", 0)  # no automatic retry any more
    replayed = run.run(flow(), only=["1"], trigger="replay")
    assert 1 == replayed.counts["created"]


def test_filter_skips_with_a_reason(store: Store) -> None:
    erp, shop = catalogue(3), System()
    keep_one = compile_filter("product.key == 'P00001'", flow="products", where="tradewind.yaml:9:13")
    result = runner(store, erp, shop).run(flow(filter=keep_one))
    assert (1, 2) == (result.counts["created"], result.counts["skipped"])
    with store.begin() as conn:
        from tradewind.store.runs import list_transfers

        reasons = [t.reason for t in list_transfers(conn, result.run_id, outcome="skipped")]
    assert all(r and r.startswith("filtered") for r in reasons), reasons


def test_mapping_create_only_fields_are_sent_on_create_only(store: Store) -> None:
    erp, shop = catalogue(1), System()
    mapping = compile_mapping(parse_mapping({"set": {"title": "product.title | upper"}, "create_only": ["title"]},
                                            flow="products"),
                              flow="products")
    run = runner(store, erp, shop)
    run.run(flow(mapping=mapping))
    assert "PRODUCT 0" == shop.by_key("P00000")["title"]  # type: ignore[index]
    shop.records[next(iter(shop.records))]["title"] = "Edited in the shop"
    erp.touch("1", T0 + timedelta(hours=1), price="12.00")
    run.run(flow(mapping=mapping))
    updated = shop.by_key("P00000")
    assert updated is not None and ("Edited in the shop", "12.00") == (updated["title"], updated["price"])


def test_transient_write_failure_fails_records_not_the_run(store: Store) -> None:
    erp, shop = catalogue(3), System()
    shop.outages = 1
    result = runner(store, erp, shop).run(flow())
    assert ("partial", 1, 2) == (result.status, result.counts["failed"], result.counts["created"])


def test_many_records_sharing_one_timestamp_keep_the_cursor_small(store: Store) -> None:
    erp, shop = System(page_size=250), System()
    for i in range(2_000):
        erp.add({"key": f"P{i:05}", "title": "Same time", "sku": f"S{i}"}, modified=T0)
    run = runner(store, erp, shop)
    run.run(flow())
    with store.begin() as conn:
        value = cursors.get(conn, "products")
    assert value is not None and len(value) < 40
    shop.calls.clear()
    again = run.run(flow())
    assert 2_000 == again.counts["received"] and 0 == shop.calls["create"] + shop.calls["update"]


def test_one_run_per_flow_at_a_time(store: Store) -> None:
    erp, shop = catalogue(1), System()
    with FlowLease(store, "products", "someone-else"), pytest.raises(FlowBusy) as busy:
        runner(store, erp, shop).run(flow())
    assert "already running" in str(busy.value)
    assert "succeeded" == runner(store, erp, shop).run(flow()).status


def test_an_expired_lease_is_taken_over(store: Store) -> None:
    from tradewind.store import locks

    claimant = locks.Claimant(owner="elsewhere:1", host="elsewhere", pid=1, run_id="old-run")
    assert locks.acquire(store, "products", claimant, timedelta(seconds=-1))
    erp, shop = catalogue(1), System()
    assert "succeeded" == runner(store, erp, shop).run(flow()).status


def test_dry_run_writes_nothing_and_plans_changes(store: Store) -> None:
    erp, shop = catalogue(3), System()
    run = runner(store, erp, shop)
    run.run(flow())
    erp.touch("2", T0 + timedelta(hours=1), title="New title")
    erp.add({"key": "NEW", "title": "Brand new", "sku": "NEW-1"}, modified=T0 + timedelta(hours=2))
    shop.calls.clear()
    plan = run.run(flow(), dry_run=True)
    assert 0 == shop.calls["create"] + shop.calls["update"]
    actions = {t.natural_key: (t.reason, [c.path for c in t.changes]) for t in plan.plan}
    assert ("create", []) == actions["key=NEW"]
    assert ("update", ["title"]) == actions["key=P00001"]
    with store.begin() as conn:
        assert erp.records["3"]["modified"] == cursors.get(conn, "products")  # dry run moved no cursor


def test_a_record_without_a_natural_key_fails_alone(store: Store) -> None:
    erp, shop = catalogue(2), System()
    erp.add({"key": "NOSKU", "title": "No SKU", "sku": "  "}, modified=T0 + timedelta(hours=1))
    result = runner(store, erp, shop).run(flow())
    assert (2, 1) == (result.counts["created"], result.counts["failed"])
    with store.begin() as conn:
        failure = failures.get(conn, "products", "3")
    assert failure is not None and "SKU is empty" in (failure.last_error or "")


def test_lookups_and_writes_fill_batches_across_source_pages(store: Store) -> None:
    erp, shop = catalogue(9), System()  # 3 source pages of 3
    result = runner(store, erp, shop).run(flow(batch_size=6))
    assert 9 == result.counts["created"]
    assert 2 == shop.calls["find_many"], "one lookup per batch of 6, not one per page of 3"
    with store.begin() as conn:
        assert (T0 + timedelta(seconds=8)).isoformat() == cursors.get(conn, "products")


def test_a_found_record_that_already_holds_the_values_is_bound_not_written(store: Store) -> None:
    erp, shop = catalogue(3), System()
    shop.add({"key": "P00001", "title": "Product 1", "sku": "SKU-00001", "price": "10.00"})
    shop.add({"key": "P00002", "title": "Old title", "sku": "SKU-00002", "price": "10.00"})
    result = runner(store, erp, shop).run(flow())
    assert (1, 1, 1) == (result.counts["created"], result.counts["updated"], result.counts["skipped"])
    assert 1 == shop.calls["update"]
    shop.calls.clear()
    again = runner(store, erp, shop).run(flow())
    assert 0 == shop.calls["create"] + shop.calls["update"] + shop.calls["find_many"]
    assert again.counts["received"] == again.counts["skipped"]


def test_two_source_records_never_share_one_target_record(store: Store) -> None:
    erp, shop = System(), System()
    erp.add({"key": "P1", "title": "First", "sku": "A"}, modified=T0)
    erp.add({"key": "P1", "title": "Same key", "sku": "B"}, modified=T0 + timedelta(seconds=1))
    first = runner(store, erp, shop).run(flow())
    assert (1, 1) == (first.counts["created"], first.counts["failed"])
    assert 1 == len(shop.records)
    again = runner(store, erp, shop).run(flow())
    assert 1 == again.counts["failed"] and 1 == len(shop.records)
    assert "First" == shop.by_key("P1")["title"]  # type: ignore[index]
    with store.begin() as conn:
        queued = failures.due(conn, "products", include_waiting=True)
    assert ["2"] == [f.source_id for f in queued]
    assert "already bound to source record 1" in queued[0].last_error


def test_a_part_filled_batch_waits_for_the_next_page(store: Store) -> None:
    erp, shop = catalogue(9), System()  # 3 source pages of 3, batches of 4: 4 + 4 + 1, not 4 + 2 + 3
    result = runner(store, erp, shop).run(flow(batch_size=4))
    assert 9 == result.counts["created"] and 9 == len(shop.records)
    assert 3 == shop.calls["find_many"]
    with store.begin() as conn:
        assert (T0 + timedelta(seconds=8)).isoformat() == cursors.get(conn, "products")


def test_a_mapping_is_applied_once_on_update(store: Store) -> None:
    erp, shop = catalogue(1), System()
    mapping = compile_mapping(parse_mapping({"set": {"title": "record.title ~ ' (web)'"}}, flow="products"),
                              flow="products")
    run = runner(store, erp, shop)
    run.run(flow(mapping=mapping))
    assert "Product 0 (web)" == shop.by_key("P00000")["title"]  # type: ignore[index]
    erp.touch("1", T0 + timedelta(hours=1), price="12.00")
    assert 1 == run.run(flow(mapping=mapping)).counts["updated"]
    assert "Product 0 (web)" == shop.by_key("P00000")["title"]  # type: ignore[index]


def test_a_full_run_over_an_unchanged_catalogue_writes_nothing(store: Store) -> None:
    erp, shop = catalogue(5), System()
    run = runner(store, erp, shop)
    run.run(flow())
    erp.add({"key": "P-MISSED", "title": "Committed late", "sku": "LATE"}, modified=T0 - timedelta(days=1))
    shop.calls.clear()
    full = run.run(flow(), full=True)
    assert (6, 1, 0, 5) == (full.counts["received"], full.counts["created"], full.counts.get("updated", 0),
                            full.counts["skipped"]), full
    assert 1 == shop.calls["create"] and 0 == shop.calls["update"]
