"""A file drop run through the engine into the in-memory target: bad rows fail alone, files move
aside only once durable, an interrupted run leaves the file for the next, which makes no duplicate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.connectors.files.conftest import OpenFiles, put
from tests.engine.memory import MemoryConnector, MemoryOptions, System
from tradewind.connectors.base import Connector
from tradewind.engine.context import Hooks
from tradewind.engine.flow import Connection, Flow, RetrySpec
from tradewind.engine.runner import Runner
from tradewind.store.db import Store

SETTINGS = {"folder": "in", "pattern": "*.csv", "processed": "done",
            "fields": {"sku": "variants.sku", "title": "title", "price": "variants.price"}}


def world(drop: tuple[Path, OpenFiles], store: Store, hooks: Hooks | None = None) -> tuple[Runner, Flow, System]:
    _, open_files = drop
    files = open_files(products=SETTINGS)
    shop = System()
    source = Connection(name="drop", connector=type(files), options=files.options)
    target = Connection(name="shop", connector=MemoryConnector, options=MemoryOptions(name="shop"))
    flow = Flow(name="products", source=source, source_resource="products", target=target,
                target_resource="products", retry=RetrySpec(max_attempts=3))

    def opener(connection: Connection) -> Connector:
        return open_files(products=SETTINGS) if connection.name == "drop" else MemoryConnector(connection.options, shop)

    return Runner(store, hooks=hooks or Hooks(), opener=opener), flow, shop


def test_good_rows_go_through_a_bad_row_fails_with_its_line_and_the_file_moves(
        drop: tuple[Path, OpenFiles], store: Store) -> None:
    root, _ = drop
    put(root, "in/p1.csv", "sku,title,price\nA-1,Shirt,10.00\nA-2,Pants,abc\nA-3,Hat,5.00\n")
    runner, flow, shop = world(drop, store)
    result = runner.run(flow)
    assert {"created": 2, "failed": 1} == {k: result.counts[k] for k in ("created", "failed")}
    assert ["A-1", "A-3"] == sorted(r["key"] for r in shop.records.values())
    assert not (root / "in/p1.csv").exists() and (root / "done/p1.csv").exists()
    from tradewind.store import failures
    with store.begin() as conn:
        failed = failures.get_many(conn, "products", ["A-2"])
    assert "p1.csv line 3, column price: cannot read 'abc' as a decimal amount" in failed["A-2"].last_error


def test_an_interrupted_run_leaves_the_file_and_the_next_run_makes_no_duplicate(
        drop: tuple[Path, OpenFiles], store: Store) -> None:
    root, _ = drop
    put(root, "in/p1.csv", "sku,title,price\nA-1,Shirt,10.00\nA-2,Pants,8.00\n")
    crashed: list[bool] = []

    def kill_after_bind(batch: list[Any], ctx: Any) -> None:
        if not crashed:
            crashed.append(True)
            raise KeyboardInterrupt("killed after the records were bound, before the page was durable")

    runner, flow, shop = world(drop, store, Hooks(after_bind=[kill_after_bind]))
    with pytest.raises(KeyboardInterrupt):
        runner.run(flow)
    assert (root / "in/p1.csv").exists() and not (root / "done").exists()
    assert 2 == shop.calls["create"]

    result = runner.run(flow)
    assert 2 == shop.calls["create"] and 2 == len(shop.records)
    assert 0 == result.counts.get("created", 0) and 2 == result.counts["skipped"]
    assert not (root / "in/p1.csv").exists() and (root / "done/p1.csv").exists()


def test_a_changed_row_in_a_later_file_updates_the_same_record(drop: tuple[Path, OpenFiles], store: Store) -> None:
    root, _ = drop
    put(root, "in/p1.csv", "sku,title,price\nA-1,Shirt,10.00\n")
    runner, flow, shop = world(drop, store)
    runner.run(flow)
    put(root, "in/p2.csv", "sku,title,price\nA-1,Shirt,12.00\n")
    result = runner.run(flow)
    assert 1 == result.counts["updated"] and 1 == len(shop.records)
    assert "12.00" == next(iter(shop.records.values()))["price"]
    assert ["p1.csv", "p2.csv"] == sorted(p.name for p in (root / "done").iterdir())
