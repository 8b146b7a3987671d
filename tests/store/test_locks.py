"""One run per flow: a lease row per flow, exclusive, expiring, renewable only by its holder."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from tradewind.store import locks
from tradewind.store.db import Store

TTL = timedelta(minutes=5)
EXPIRED = timedelta(seconds=-1)


def holder(store: Store, flow: str = "orders") -> tuple[str, str | None] | None:
    with store.begin() as conn:
        return locks.holder(conn, flow)


def test_acquire_is_exclusive(store: Store) -> None:
    first = locks.acquire(store, "orders", "host-a", "run-a", TTL)
    second = locks.acquire(store, "orders", "host-b", "run-b", TTL)
    other_flow = locks.acquire(store, "products", "host-b", "run-c", TTL)
    assert (True, False, True) == (first, second, other_flow)
    assert ("host-a", "run-a") == holder(store)


def test_expired_lease_is_taken_over_and_the_old_run_cannot_renew(store: Store) -> None:
    assert locks.acquire(store, "orders", "host-a", "run-a", EXPIRED)
    assert locks.acquire(store, "orders", "host-b", "run-b", TTL)
    assert ("host-b", "run-b") == holder(store)
    with store.begin() as conn:
        lost, kept = locks.renew(conn, "orders", "run-a", TTL), locks.renew(conn, "orders", "run-b", TTL)
    assert (False, True) == (lost, kept)


def test_renewed_lease_is_not_taken_over(store: Store) -> None:
    locks.acquire(store, "orders", "host-a", "run-a", EXPIRED)
    with store.begin() as conn:
        assert locks.renew(conn, "orders", "run-a", TTL)
    assert not locks.acquire(store, "orders", "host-b", "run-b", TTL)


def test_release_only_by_the_holder(store: Store) -> None:
    locks.acquire(store, "orders", "host-a", "run-a", TTL)
    with store.begin() as conn:
        locks.release(conn, "orders", "run-x")
    assert ("host-a", "run-a") == holder(store)
    with store.begin() as conn:
        locks.release(conn, "orders", "run-a")
    assert holder(store) is None
    assert locks.acquire(store, "orders", "host-b", "run-b", TTL)


def test_eight_threads_racing_for_one_flow_one_wins(store: Store) -> None:
    contenders = 8
    start = threading.Barrier(contenders)

    def contend(number: int) -> bool:
        start.wait()
        return locks.acquire(store, "orders", f"host-{number}", f"run-{number}", TTL)

    with ThreadPoolExecutor(contenders) as pool:
        results = list(pool.map(contend, range(contenders)))
    assert 1 == results.count(True)
    winner = results.index(True)
    assert (f"host-{winner}", f"run-{winner}") == holder(store)


def test_eight_threads_racing_for_an_expired_lease_one_wins(store: Store) -> None:
    locks.acquire(store, "orders", "crashed", "run-dead", EXPIRED)
    contenders = 8
    start = threading.Barrier(contenders)

    def contend(number: int) -> bool:
        start.wait()
        return locks.acquire(store, "orders", f"host-{number}", f"run-{number}", TTL)

    with ThreadPoolExecutor(contenders) as pool:
        results = list(pool.map(contend, range(contenders)))
    assert 1 == results.count(True)
