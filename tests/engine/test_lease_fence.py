"""The write fence's trusted window (engine/locks.py): for a third of the lease's ttl after a renewal a
write renews nothing — on PostgreSQL it only reads the lease's row, on SQLite (a file on this machine)
it asks nothing; a pause past that window renews before the next write, refused once another run took
the lease; the heartbeat always renews; a PostgreSQL server that is gone stops the writes at once."""

from __future__ import annotations

import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError

from tradewind.engine import locks as engine_locks
from tradewind.engine.locks import FlowLease
from tradewind.errors import LeaseLost, StoreUnavailable
from tradewind.store import locks
from tradewind.store.db import Store


class Clock:
    """:func:`engine_locks.elapsed` under the test's hand: ``pause`` is a process stopped that long."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def pause(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(engine_locks, "elapsed", fake)
    return fake


def counted(lease: FlowLease) -> dict[str, int]:
    """How often the lease renewed in the store (UPDATE, commit) and how often it only read its row."""
    asked = {"renewed": 0, "read": 0}
    fence = lease._fence
    assert fence is not None
    renew, holds = fence.__call__, fence.holds

    class Counting:
        def __call__(self) -> bool:
            asked["renewed"] += 1
            return renew()

        def holds(self) -> bool:
            asked["read"] += 1
            return holds()

        local = fence.local

    lease._fence = Counting()  # type: ignore[assignment]
    return asked


def reads(store: Store, writes: int) -> int:
    """Reads of the lease's row ``writes`` writes within the window make: one each on PostgreSQL."""
    return 0 if store.dialect == "sqlite" else writes


def test_writes_within_the_trusted_window_renew_nothing_and_after_it_renew_once(store: Store, clock: Clock) -> None:
    with FlowLease(store, "products", "run-1", ttl=timedelta(seconds=90), heartbeat=3600) as lease:
        asked = counted(lease)
        for _ in range(500):
            lease.fence()
        assert {"renewed": 0, "read": reads(store, 500)} == asked, "taking the lease renewed it"
        clock.pause(29.9)
        lease.fence()
        assert {"renewed": 0, "read": reads(store, 501)} == asked
        clock.pause(0.2)
        for _ in range(100):
            lease.fence()
        assert {"renewed": 1, "read": reads(store, 600)} == asked, "past a third of the ttl a write renews, once"


def test_a_lease_taken_over_within_the_window_is_refused_at_the_next_write(store: Store, clock: Clock) -> None:
    """Only a holder known dead is taken over early, but should it happen to a live run on a server
    shared by machines, the row tells."""
    if store.dialect == "sqlite":
        pytest.skip("a SQLite file is leased by this machine's processes only, a live one never taken over")
    with FlowLease(store, "products", "run-1", ttl=timedelta(seconds=90), heartbeat=3600) as lease:
        lease.fence()
        thief = locks.Claimant(owner="elsewhere:9", host="elsewhere", pid=9, run_id="run-2")
        assert locks.acquire(store, "products", thief, timedelta(minutes=5), take_over=lease.epoch)
        with pytest.raises(LeaseLost, match="another run took over"):
            lease.fence()


def test_a_store_that_is_gone_stops_the_writes_within_the_window(store: Store, clock: Clock) -> None:
    if store.dialect == "sqlite":
        pytest.skip("a SQLite store is a file on this machine; a server is what goes away")
    with FlowLease(store, "products", "run-1", ttl=timedelta(seconds=90), heartbeat=3600) as lease:
        fence = lease._fence
        assert fence is not None

        def gone() -> bool:
            raise OperationalError("SELECT", {}, Exception("the database system is shutting down"))

        fence.holds = gone  # type: ignore[method-assign]
        with pytest.raises(StoreUnavailable, match="cannot confirm flow products's lease"):
            lease.fence()


def test_a_run_paused_past_its_window_is_refused_once_another_run_took_its_lease(store: Store,
                                                                                   clock: Clock) -> None:
    with FlowLease(store, "products", "run-1", ttl=timedelta(seconds=90), heartbeat=3600) as lease:
        lease.fence()
        clock.pause(3600)  # stopped for an hour; its lease expired and another run took it
        with store.begin() as conn:
            holder = locks.holder(conn, "products")
        assert holder is not None
        thief = locks.Claimant(owner="elsewhere:9", host="elsewhere", pid=9, run_id="run-2")
        assert locks.acquire(store, "products", thief, timedelta(minutes=5), take_over=holder.epoch)
        with pytest.raises(LeaseLost, match="another run took over"):
            lease.fence()
        clock.pause(-3600)  # even were the clock to read as before: once lost, nothing more is written
        with pytest.raises(LeaseLost):
            lease.fence()


def test_a_pause_inside_the_window_cannot_have_lost_the_lease(store: Store, clock: Clock) -> None:
    """Nobody can take a live lease before it expires (``ttl`` after its renewal), so a write up to a
    third of it later only reads the row: the store still names this run as holder."""
    with FlowLease(store, "products", "run-1", ttl=timedelta(seconds=90), heartbeat=3600) as lease:
        asked = counted(lease)
        clock.pause(29)
        lease.fence()
        thief = locks.Claimant(owner="elsewhere:9", host="elsewhere", pid=9, run_id="run-2")
        assert locks.acquire(store, "products", thief, timedelta(minutes=5)) is None
        with store.begin() as conn:
            holder = locks.holder(conn, "products")
        assert holder is not None and "run-1" == holder.run_id
        assert {"renewed": 0, "read": reads(store, 1)} == asked


def test_the_heartbeat_confirms_in_the_store_at_every_beat(store: Store) -> None:
    with FlowLease(store, "products", "run-1", ttl=timedelta(seconds=90), heartbeat=0.05) as lease:
        asked = counted(lease)
        deadline = time.monotonic() + 10
        while asked["renewed"] < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert asked["renewed"] >= 3, "without writes, the heartbeat still renews the lease in the store"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="CLOCK_BOOTTIME is Linux's")
def test_the_window_is_timed_on_a_clock_that_counts_while_the_machine_sleeps() -> None:
    """CLOCK_MONOTONIC stops while a machine is suspended: a laptop woken after an hour would
    still trust a confirmation; CLOCK_BOOTTIME counts that hour."""
    assert time.CLOCK_BOOTTIME == engine_locks._CLOCK
    assert abs(engine_locks.elapsed() - time.clock_gettime(time.CLOCK_BOOTTIME)) < 1
