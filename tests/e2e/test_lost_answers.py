"""Writes whose answers are lost, over real HTTP: the Exact sandbox stores the order and then
answers 503, a bare 500, stalls past the timeout or resets the connection. Each order must be
booked exactly once, the transfer saying what happened; and a run that lost its lease writes no more."""

from __future__ import annotations

import os
import socket
import subprocess
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.slice import World, start_world
from tradewind.connectors.base import Connector
from tradewind.engine import locks as engine_locks
from tradewind.engine.locks import FlowBusy, FlowLease
from tradewind.store import locks
from tradewind.store.db import Store
from tradewind.store.runs import list_transfers

LOST = {
    "503": {"status": 503},
    "bare 500": {"status": 500, "bare": True},
    "stall": {"status": 0, "delay": 3.0},
    "reset": {"reset": True},
}


@pytest.fixture
def world(tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    w = start_world(tmp_path, store, monkeypatch=monkeypatch)
    w.run("products")
    yield w
    w.exact.stop()
    w.shop.stop()


def booked(world: World) -> Counter[str]:
    return Counter(o["YourRef"] for o in world.exact_orders())


def short_timeout(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stall just past a 1 s timeout shows the same bug as one past 30 s."""
    opened = world.services.runner.open

    def open_(flow: Any, which: str) -> Connector:
        connector = opened(flow, which)
        connector.http.timeout = httpx.Timeout(1.0)
        return connector

    monkeypatch.setattr(world.services.runner, "open", open_)


@pytest.mark.parametrize("lost", list(LOST), ids=list(LOST))
def test_an_order_whose_answer_is_lost_is_booked_once_and_says_so(world: World, store: Store, lost: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    short_timeout(world, monkeypatch)
    orders = world.add_orders(3, seed=21)
    world.fault(world.exact, after=True, times=1, path_contains="salesorder/SalesOrders", method="POST", **LOST[lost])
    result = world.run("orders")
    assert {o["name"]: 1 for o in orders} == booked(world), result
    assert (3, 0) == (result.counts["created"], result.counts["failed"]), result
    with store.begin() as conn:
        reasons = [t.reason or "" for t in list_transfers(conn, result.run_id)]
    assert 1 == sum("outcome unknown, found in erp as" in r for r in reasons), reasons
    again = world.run("orders")
    assert (0, {o["name"]: 1 for o in orders}) == (again.counts.get("created", 0), booked(world))


def test_a_lost_answer_for_an_order_the_erp_did_not_store_is_sent_again_once(world: World, store: Store) -> None:
    """A 503 before the route ran looks the same to the client: the look-up finds nothing, so the
    order is sent again — once — and booked once."""
    orders = world.add_orders(2, seed=22)
    world.fault(world.exact, times=1, status=503, path_contains="salesorder/SalesOrders", method="POST")
    result = world.run("orders")
    assert ({o["name"]: 1 for o in orders}, 2) == (booked(world), result.counts["created"]), result


def test_a_target_that_shows_writes_late_parks_the_record_instead_of_sending_it_again(
        world: World, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """AFAS-like: a write may show only after a while, so not finding it proves nothing yet."""
    resource = world.services.project.flows["orders"].target_res
    monkeypatch.setattr(resource, "visible_after", timedelta(minutes=10))
    order = world.add_orders(1, seed=23)[0]
    world.fault(world.exact, times=1, status=503, path_contains="salesorder/SalesOrders", method="POST")
    first = world.run("orders")
    assert (0, 1, Counter()) == (first.counts.get("created", 0), first.counts["failed"], booked(world)), first
    with store.begin() as conn:
        (transfer,) = [t for t in list_transfers(conn, first.run_id) if t.entity == "order"]
    assert ("unknown", True) == (transfer.outcome, "outcome unknown" in (transfer.reason or ""))
    world.services.replay("orders")
    assert Counter() == booked(world), "re-sent before the write could show"
    monkeypatch.setattr(resource, "visible_after", timedelta(0))
    world.services.replay("orders")
    assert {order["name"]: 1} == booked(world)


def test_a_run_that_lost_its_lease_makes_no_further_write(world: World, store: Store,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    world.add_orders(4, seed=24)
    flow = world.services.project.flows["orders"]
    calls = 0

    def steal(batch: list[Any], ctx: Any) -> None:
        """After the first order is decided, this run is paused past its lease (its boot-time clock
        jumps an hour, as a stopped process's does) and another run takes the lease over."""
        nonlocal calls
        calls += 1
        if calls == 1:
            paused = engine_locks.elapsed() + 3600
            monkeypatch.setattr(engine_locks, "elapsed", lambda: paused)
            with store.begin() as conn:
                current = locks.holder(conn, flow.name)
            assert current is not None
            thief = locks.Claimant(owner="elsewhere:9", host="elsewhere", pid=9, run_id="thief")
            assert locks.acquire(store, flow.name, thief, timedelta(minutes=5), take_over=current.epoch)

    world.services.runner.hooks.before_write.append(steal)
    result = world.run("orders")
    assert "failed" == result.status and "lost its lease" in (result.error or ""), result
    assert [] == world.exact_orders()
    with store.begin() as conn:
        holder = locks.holder(conn, flow.name)
    assert holder is not None and "thief" == holder.run_id


def test_a_dead_holder_on_this_host_is_taken_over_at_once(world: World, store: Store) -> None:
    child = subprocess.Popen(["true"])
    child.wait()
    dead = locks.Claimant(owner=f"{socket.gethostname()}:{child.pid}", host=socket.gethostname(),
                          pid=child.pid, run_id="dead-run")
    assert locks.acquire(store, "orders", dead, timedelta(minutes=5))
    world.add_orders(1, seed=25)
    assert "succeeded" == world.run("orders").status


def test_a_live_holder_is_named_as_alive(store: Store) -> None:
    with FlowLease(store, "orders", "first-run"), pytest.raises(FlowBusy) as busy:
        FlowLease(store, "orders", "second-run").__enter__()
    assert "its process is alive" in str(busy.value) and "first-ru" in str(busy.value)


def test_a_lease_this_process_left_behind_is_taken_at_once(store: Store) -> None:
    """A release that failed (the database was down as the run ended) must not block the flow for
    a lease's length in a long-running ``serve``: the lease's run is no longer active here."""
    here = locks.Claimant(owner=f"{socket.gethostname()}:{os.getpid()}", host=socket.gethostname(),
                          pid=os.getpid(), run_id="ended-run")
    assert locks.acquire(store, "orders", here, timedelta(minutes=5))
    with FlowLease(store, "orders", "next-run") as lease:
        assert 2 == lease.epoch
