"""One run per flow: a fenced lease row per flow — exclusive, expiring, renewable only by its
holder at its epoch, with the database's clock."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from tradewind.store import locks
from tradewind.store.db import Store
from tradewind.store.locks import Claimant

TTL = timedelta(minutes=5)
EXPIRED = timedelta(seconds=-1)


def who(name: str, pid: int = 1) -> Claimant:
    return Claimant(owner=f"{name}:{pid}", host=name, pid=pid, run_id=f"run-{name}")


def holder(store: Store, flow: str = "orders") -> tuple[str, str | None, int] | None:
    with store.begin() as conn:
        found = locks.holder(conn, flow)
    return (found.owner, found.run_id, found.epoch) if found else None


def fence(store: Store, run_id: str, epoch: int, flow: str = "orders") -> bool:
    with store.begin() as conn:
        return locks.fence(conn, flow, run_id, epoch, TTL)


def test_acquire_is_exclusive_and_counts_epochs(store: Store) -> None:
    first = locks.acquire(store, "orders", who("a"), TTL)
    second = locks.acquire(store, "orders", who("b"), TTL)
    other_flow = locks.acquire(store, "products", who("b"), TTL)
    assert (1, None, 1) == (first, second, other_flow)
    assert ("a:1", "run-a", 1) == holder(store)


def test_expired_lease_is_taken_over_at_a_new_epoch_and_the_old_run_is_fenced_off(store: Store) -> None:
    old = locks.acquire(store, "orders", who("a"), EXPIRED)
    new = locks.acquire(store, "orders", who("b"), TTL)
    assert (1, 2) == (old, new)
    assert ("b:1", "run-b", 2) == holder(store)
    assert (False, True) == (fence(store, "run-a", 1), fence(store, "run-b", 2))


def test_the_same_run_id_at_an_old_epoch_is_fenced_off(store: Store) -> None:
    """A run re-acquiring under its own id (a retry after a hiccup) must not revive a stale writer."""
    locks.acquire(store, "orders", who("a"), EXPIRED)
    assert 2 == locks.acquire(store, "orders", who("a"), TTL)
    assert (False, True) == (fence(store, "run-a", 1), fence(store, "run-a", 2))


def test_fencing_renews_so_the_lease_is_not_taken_over(store: Store) -> None:
    locks.acquire(store, "orders", who("a"), EXPIRED)
    assert fence(store, "run-a", 1)
    assert locks.acquire(store, "orders", who("b"), TTL) is None


def test_the_prepared_fence_confirms_renews_and_refuses_as_fence_does(store: Store) -> None:
    """``Fence`` (the statement sent on a pooled DBAPI connection before each write) answers as
    ``fence``: ours at our epoch, and renewed so nobody takes the flow; refused once taken over."""
    locks.acquire(store, "orders", who("a"), EXPIRED)
    ours = locks.Fence(store, "orders", "run-a", 1, TTL)
    assert (True, True) == (ours(), ours())
    assert locks.acquire(store, "orders", who("b"), TTL) is None
    with store.begin() as conn:
        renewed, clock = locks.holder(conn, "orders"), locks.db_now(conn)
    assert renewed is not None and renewed.expires_at > clock + TTL / 2
    stale = locks.Fence(store, "orders", "run-a", 0, TTL)
    assert not stale()
    locks.acquire(store, "products", who("c"), EXPIRED)
    assert 2 == locks.acquire(store, "products", who("d"), TTL)
    assert (False, True) == (locks.Fence(store, "products", "run-c", 1, TTL)(),
                             locks.Fence(store, "products", "run-d", 2, TTL)())


def test_take_over_needs_the_epoch_seen(store: Store) -> None:
    """A dead holder is taken over by epoch; had it been replaced meanwhile, nothing is taken."""
    locks.acquire(store, "orders", who("a"), TTL)
    assert locks.acquire(store, "orders", who("b"), TTL, take_over=7) is None
    assert 2 == locks.acquire(store, "orders", who("b"), TTL, take_over=1)
    assert ("b:1", "run-b", 2) == holder(store)


def test_release_only_by_the_holder_and_epochs_keep_counting(store: Store) -> None:
    locks.acquire(store, "orders", who("a"), TTL)
    with store.begin() as conn:
        locks.release(conn, "orders", "run-x", 1)
    assert ("a:1", "run-a", 1) == holder(store)
    with store.begin() as conn:
        locks.release(conn, "orders", "run-a", 1)
    assert holder(store) is None
    assert 2 == locks.acquire(store, "orders", who("b"), TTL)


def test_the_database_clock_is_used(store: Store) -> None:
    with store.engine.connect() as conn:
        stamp = locks.db_now(conn)
    assert stamp.tzinfo is not None


def test_eight_threads_racing_for_one_flow_one_wins(store: Store) -> None:
    contenders = 8
    start = threading.Barrier(contenders)

    def contend(number: int) -> int | None:
        start.wait()
        return locks.acquire(store, "orders", who(f"h{number}"), TTL)

    with ThreadPoolExecutor(contenders) as pool:
        results = list(pool.map(contend, range(contenders)))
    assert [1] == [r for r in results if r is not None]
    winner = next(i for i, r in enumerate(results) if r is not None)
    assert (f"h{winner}:1", f"run-h{winner}", 1) == holder(store)


def test_eight_threads_racing_for_an_expired_lease_one_wins(store: Store) -> None:
    locks.acquire(store, "orders", who("crashed"), EXPIRED)
    contenders = 8
    start = threading.Barrier(contenders)

    def contend(number: int) -> int | None:
        start.wait()
        return locks.acquire(store, "orders", who(f"h{number}"), TTL)

    with ThreadPoolExecutor(contenders) as pool:
        results = list(pool.map(contend, range(contenders)))
    assert [2] == [r for r in results if r is not None]
