"""Retention: the daily purge drops payload snapshots and queued records' payloads past
``detail_retention_days`` and keeps the basic log (runs, transfers) and newer rows; a record whose
payload is gone is read again from its source when replayed; ``tradewind serve`` runs it daily."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Table, func, select, update

from tests.e2e.slice import World, start_world
from tradewind.engine.inbox import readable_by_id
from tradewind.engine.scheduler import Scheduler
from tradewind.store.db import Store, now
from tradewind.store.tables import failures, runs, snapshots, transfers


@pytest.fixture
def world(tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    w = start_world(tmp_path, store, monkeypatch=monkeypatch)
    yield w
    w.exact.stop()
    w.shop.stop()


def _count(store: Store, table: Table) -> int:
    with store.begin() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_the_purge_drops_old_snapshots_and_keeps_the_basic_log(world: World, store: Store) -> None:
    services = world.services
    services.detail_logging("erp", 1)
    world.run("products")
    kept = _count(store, snapshots)
    assert kept > 2
    with store.begin() as conn:
        ids = list(conn.execute(select(snapshots.c.id).order_by(snapshots.c.id)).scalars())
        old = ids[: len(ids) // 2]
        conn.execute(update(snapshots).where(snapshots.c.id.in_(old)).values(created_at=now() - timedelta(days=15)))
    basic = (_count(store, runs), _count(store, transfers))
    every, purge = services.chores["retention_purge"]  # what serve's scheduler runs daily
    assert timedelta(days=1) == every
    assert len(old) == purge()
    with store.begin() as conn:
        left = set(conn.execute(select(snapshots.c.id)).scalars())
    assert left == set(ids) - set(old)
    assert basic == (_count(store, runs), _count(store, transfers)) and basic[1] > 0
    assert 0 == purge()  # nothing newer than the window goes


def test_the_scheduler_runs_the_chores_beside_the_flows(world: World) -> None:
    scheduler = Scheduler({}, world.services.run_flow, chores=world.services.chores)
    scheduler.start(run_now=False)
    try:
        assert ["chore:retention_purge"] == [name for name, _ in scheduler.jobs()]
    finally:
        scheduler.stop()


def test_a_failed_record_past_the_window_loses_its_payload_and_is_replayed_from_its_source(
        world: World, store: Store) -> None:
    services = world.services
    assert readable_by_id(services.flow("orders").source_res)
    world.run("products")
    world.add_orders(2, seed=8)
    world.fault(world.exact, times=2, status=400, path_contains="salesorder/SalesOrders", method="POST")
    assert 2 == world.run("orders").counts["failed"]
    old, new = sorted(f.source_id for f in services.failures("orders"))
    with store.begin() as conn:
        conn.execute(update(failures).where(failures.c.source_id == old)
                     .values(updated_at=now() - timedelta(days=15)))
    assert 1 == services.purge()
    queued = {f.source_id: f for f in services.failures("orders")}
    assert queued[old].payload is None and queued[old].natural_key  # the key stays
    assert queued[new].payload is not None
    replay = services.replay("orders")
    assert replay.ok and (2, 0) == (replay.result.counts["created"] if replay.result else 0, replay.still_queued)
    assert 2 == len(world.exact_orders()) and [] == services.failures("orders")


def _age_snapshots(store: Store, days: int) -> dict[str, int]:
    """Every snapshot made ``days`` old; how many each flow has."""
    with store.begin() as conn:
        conn.execute(update(snapshots).values(created_at=now() - timedelta(days=days)))
        rows = conn.execute(select(transfers.c.flow, func.count()).select_from(
            snapshots.join(transfers, snapshots.c.transfer_id == transfers.c.id)).group_by(transfers.c.flow))
        return {row[0]: int(row[1]) for row in rows}


def test_a_connection_keeps_snapshots_for_its_own_retention_days(world: World, store: Store) -> None:
    services = world.services
    services.detail_logging("erp", 1)
    world.run("products")
    world.add_orders(2, seed=9)
    world.run("orders")
    products = services.project.flows["products"]  # products read erp with detail_retention_days: 3
    services.project.flows["products"] = replace(products, source=replace(products.source, detail_retention_days=3))
    before = _age_snapshots(store, 5)
    assert before["products"] > 0 and before["orders"] > 0
    assert before["products"] == services.purge()  # past products' 3 days, within the setting's 14
    assert {"orders": before["orders"]} == _age_snapshots(store, 5)
    services.project.flows["products"] = replace(products, source=replace(products.source, detail_retention_days=30))
    world.run("products", full=True)
    after = _age_snapshots(store, 20)  # past the setting's 14, within products' 30
    assert after["orders"] == services.purge()
    assert {"products": after["products"]} == _age_snapshots(store, 20)
