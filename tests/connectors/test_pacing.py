"""Call budgets per system account, on a fake clock: nothing here sleeps for real."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import pytest

from tradewind.connectors import pacing
from tradewind.connectors.base import Priority
from tradewind.connectors.pacing import (
    BUCKET,
    GONE,
    PRESENCE,
    BudgetLedger,
    CostBucket,
    Grant,
    Meeting,
    MemoryLedger,
    Reading,
    Throttle,
    Ticket,
    Window,
    WindowBudget,
    bucket_row,
    current_priority,
    fill,
    forget_budgets,
    line_name,
    priority,
    settle_bucket,
    shared_budget,
)

START = 1_000_000_000.0  # 40 s into a minute: the minute window resets at START + 20


class Clock:
    """A clock that moves only when slept on; every sleep is recorded."""

    def __init__(self, now: float = START) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def minute_budget(clock: Clock, per_minute: int = 3, per_day: int = 1000) -> WindowBudget:
    return WindowBudget.per_minute_and_day(per_minute, per_day, clock=clock, sleep=clock.sleep)


def minute(budget: WindowBudget) -> tuple[int, float]:
    window = next(w for w in budget.windows if w.name == "minute")
    return window.remaining, window.reset_at


def test_acquires_until_the_minute_is_spent_then_sleeps_until_reset() -> None:
    clock = Clock()
    budget = minute_budget(clock, per_minute=3)
    for _ in range(3):
        budget.acquire(Priority.HIGH)
    assert ([], START) == (clock.sleeps, clock.now)
    budget.acquire(Priority.HIGH)
    assert START + 20 <= clock.now < START + 21
    assert (2, START + 80) == minute(budget)


def test_day_window_counts_too() -> None:
    clock = Clock()
    budget = minute_budget(clock, per_minute=100, per_day=2)
    budget.acquire(Priority.HIGH)
    budget.acquire(Priority.HIGH)
    budget.acquire(Priority.HIGH)
    day_reset = START - START % 86400 + 86400
    assert day_reset <= clock.now < day_reset + 1


def test_observe_takes_the_vendors_remaining_and_reset() -> None:
    clock = Clock()
    budget = minute_budget(clock, per_minute=60)
    budget.observe("minute", limit=100, remaining=7, reset_at=START + 45)
    assert (7, START + 45) == minute(budget)
    budget.observe("minute", limit=None, remaining=50, reset_at=None)  # a stale header never gives calls back
    assert (7, START + 45) == minute(budget)
    budget.observe("minute", limit=None, remaining=4, reset_at=None)
    assert (4, START + 45, 100) == (*minute(budget), budget.windows[0].limit)


def test_low_priority_waits_at_the_reserve_while_high_passes() -> None:
    clock = Clock()
    budget = minute_budget(clock, per_minute=10)
    budget.observe("minute", limit=10, remaining=2, reset_at=START + 30)  # 20% left
    budget.acquire(Priority.HIGH)
    assert ([], 1) == (clock.sleeps, minute(budget)[0])
    budget.acquire(Priority.LOW)
    assert START + 30 <= clock.now < START + 31


def test_normal_priority_keeps_a_tenth_back() -> None:
    clock = Clock()
    budget = minute_budget(clock, per_minute=10)
    budget.observe("minute", limit=10, remaining=2, reset_at=START + 30)
    budget.acquire(Priority.NORMAL)
    assert [] == clock.sleeps
    budget.acquire(Priority.NORMAL)
    assert START + 30 <= clock.now


def test_exhausted_after_a_429_waits_for_the_reset() -> None:
    clock = Clock()
    budget = minute_budget(clock, per_minute=60)
    budget.exhausted("minute", reset_at=START + 7)
    assert (0, START + 7) == minute(budget)
    budget.acquire(Priority.HIGH)
    assert START + 7 <= clock.now < START + 8
    assert 999 == budget.windows[1].remaining  # the day window only lost the one call


def test_exhausted_with_a_reset_in_the_past_resets_now() -> None:
    clock = Clock()
    budget = minute_budget(clock, per_minute=60)
    budget.exhausted("minute", reset_at=START - 100)
    budget.acquire(Priority.HIGH)
    assert clock.now < START + 1


def test_cost_bucket_waits_for_restore_rate_on_a_big_query() -> None:
    clock = Clock()
    bucket = CostBucket(maximum=1000, restore_rate=50, available=100, clock=clock, sleep=clock.sleep, stamp=START)
    bucket.acquire(500, Priority.HIGH)
    assert [pytest.approx(8.01)] == clock.sleeps
    assert pytest.approx(0.5) == bucket.available


def test_cost_bucket_small_query_passes_and_refills_with_time() -> None:
    clock = Clock()
    bucket = CostBucket(maximum=1000, restore_rate=50, available=300, clock=clock, sleep=clock.sleep, stamp=START)
    bucket.acquire(100, Priority.HIGH)
    clock.now += 2
    bucket.acquire(100, Priority.HIGH)
    assert ([], pytest.approx(200)) == (clock.sleeps, bucket.available)


def test_cost_bucket_keeps_no_reserve_from_low_priority() -> None:
    """The line, not a reserve, puts orders first in a bucket (test_an_order_arriving_during_a_catalogue_sync…)."""
    clock = Clock()
    bucket = CostBucket(maximum=1000, restore_rate=50, available=250, clock=clock, sleep=clock.sleep, stamp=START)
    bucket.acquire(100, Priority.HIGH)
    bucket.acquire(100, Priority.LOW)  # 150 held: enough, nothing kept back from the catalogue
    assert ([], pytest.approx(50)) == (clock.sleeps, bucket.available)
    bucket.acquire(100, Priority.LOW)
    assert [pytest.approx(1.01)] == clock.sleeps


def test_cost_bucket_observe_takes_throttle_status() -> None:
    clock = Clock()
    bucket = CostBucket(maximum=1000, restore_rate=50, available=1000, clock=clock, sleep=clock.sleep, stamp=START)
    clock.now += 10
    bucket.observe(maximum=2000, available=40, restore_rate=100)
    bucket.acquire(100, Priority.HIGH)
    assert ([pytest.approx(0.61)], 2000, 100) == (clock.sleeps, bucket.maximum, bucket.restore_rate)


def test_refund_gives_points_back_up_to_the_maximum() -> None:
    clock = Clock()
    bucket = CostBucket(maximum=1000, restore_rate=50, available=900, clock=clock, sleep=clock.sleep, stamp=START)
    bucket.refund(50)
    assert 950 == bucket.available
    bucket.refund(500)
    assert 1000 == bucket.available


def test_shared_budget_is_one_object_per_account_until_forgotten() -> None:
    made: list[object] = []

    def factory() -> object:
        made.append(object())
        return made[-1]

    first = shared_budget("exact_online:123", factory)
    assert first is shared_budget("exact_online:123", factory)
    other = shared_budget("exact_online:456", factory)
    assert (2, False) == (len(made), first is other)
    forget_budgets()
    assert shared_budget("exact_online:123", factory) is not first
    assert 3 == len(made)


def test_priority_context_sets_and_restores_current_priority() -> None:
    assert Priority.NORMAL == current_priority.get()
    with priority(Priority.LOW):
        assert Priority.LOW == current_priority.get()
        with priority(Priority.HIGH):
            assert Priority.HIGH == current_priority.get()
        assert Priority.LOW == current_priority.get()
    assert Priority.NORMAL == current_priority.get()
    with pytest.raises(RuntimeError), priority(Priority.HIGH):
        raise RuntimeError("a failing flow")
    assert Priority.NORMAL == current_priority.get()


def test_acquire_without_a_level_uses_the_current_priority() -> None:
    clock = Clock()
    budget = minute_budget(clock, per_minute=10)
    budget.observe("minute", limit=10, remaining=2, reset_at=START + 30)
    with priority(Priority.HIGH):
        budget.acquire()
    assert [] == clock.sleeps
    with priority(Priority.LOW):
        budget.acquire()
    assert START + 30 <= clock.now


# -- budgets shared through a ledger (other processes' budgets are other WindowBudgets on it) ----

ACCOUNT = "exact_online:1"


def shared(clock: Clock, ledger: MemoryLedger, per_minute: int = 60, per_day: int = 1000) -> WindowBudget:
    return WindowBudget.per_minute_and_day(per_minute, per_day, clock=clock, sleep=clock.sleep, ledger=ledger,
                                           account=ACCOUNT)


def left(ledger: MemoryLedger) -> tuple[int, int]:
    """What the ledger has not yet granted to anyone: (minute, day)."""
    return ledger.rows[ACCOUNT, "minute"].remaining, ledger.rows[ACCOUNT, "day"].remaining


def test_two_budgets_on_one_ledger_share_the_minute() -> None:
    clock = Clock()
    ledger = MemoryLedger(clock=clock)
    first, second = shared(clock, ledger, per_minute=10), shared(clock, ledger, per_minute=10)
    for _ in range(6):
        first.acquire(Priority.HIGH)
    for _ in range(4):
        second.acquire(Priority.HIGH)
    assert ([], (0, 990)) == (clock.sleeps, left(ledger))
    second.acquire(Priority.HIGH)  # the eleventh call of the minute waits for its reset
    assert START + 20 <= clock.now < START + 21


def test_calls_are_reserved_in_blocks_so_the_ledger_is_not_written_per_call() -> None:
    clock = Clock()
    ledger = MemoryLedger(clock=clock)
    budget = shared(clock, ledger)
    budget.acquire(Priority.HIGH)
    assert (55, 995) == left(ledger)
    for _ in range(4):
        budget.acquire(Priority.HIGH)
    assert (55, 995) == left(ledger)
    budget.acquire(Priority.HIGH)
    assert (50, 990) == left(ledger)


def test_blocks_shrink_when_the_window_is_nearly_empty() -> None:
    clock = Clock()
    ledger = MemoryLedger(clock=clock)
    budget = shared(clock, ledger)
    budget.acquire(Priority.HIGH)
    ledger.observe(ACCOUNT, [Reading("minute", remaining=5, reset_at=START + 20)])  # others took 50
    budget.release()  # our 4 held calls go back: 9 left
    budget.acquire(Priority.HIGH)
    assert (7, 2) == (left(ledger)[0], budget.held[Priority.HIGH].calls + 1)  # a quarter of 9: 2


def test_catalogue_stops_at_the_reserve_while_orders_elsewhere_take_the_rest() -> None:
    clock = Clock()
    ledger = MemoryLedger(clock=clock)
    catalogue, orders = shared(clock, ledger, per_minute=10), shared(clock, ledger, per_minute=10)
    for _ in range(8):
        catalogue.acquire(Priority.LOW)
    orders.acquire(Priority.HIGH)
    orders.acquire(Priority.HIGH)
    assert ([], 0) == (clock.sleeps, left(ledger)[0])
    catalogue.acquire(Priority.LOW)
    assert START + 20 <= clock.now < START + 21


def test_a_block_reserved_for_orders_is_not_spent_on_catalogue_calls() -> None:
    clock = Clock()
    ledger = MemoryLedger(clock=clock)
    budget = shared(clock, ledger, per_minute=10)
    budget.acquire(Priority.HIGH)  # reserves 2 (a quarter of 10), holds 1 for orders
    ledger.observe(ACCOUNT, [Reading("minute", remaining=2, reset_at=START + 20)])  # others took the rest
    budget.acquire(Priority.HIGH)
    assert [] == clock.sleeps
    budget.acquire(Priority.HIGH)  # the ledger still grants orders the last 2
    budget.acquire(Priority.LOW)  # the held order call is not the catalogue's
    assert START + 20 <= clock.now < START + 21


def test_calls_held_past_the_minute_go_back_to_the_day() -> None:
    clock = Clock()
    ledger = MemoryLedger(clock=clock)
    budget = shared(clock, ledger)
    budget.acquire(Priority.HIGH)
    clock.now = START + 25  # the minute has rolled over; 4 held calls were not made
    budget.acquire(Priority.HIGH)
    assert (55, 1000 - 2 - 4) == left(ledger)


def test_release_hands_held_calls_back() -> None:
    clock = Clock()
    ledger = MemoryLedger(clock=clock)
    budget = shared(clock, ledger)
    budget.acquire(Priority.HIGH)
    budget.release()
    assert ((59, 999), {}) == (left(ledger), budget.held)


def test_vendor_figures_travel_with_the_next_reservation_less_the_calls_held() -> None:
    clock = Clock()
    ledger = MemoryLedger(clock=clock)
    budget = shared(clock, ledger)
    budget.acquire(Priority.HIGH)
    budget.observe("minute", limit=60, remaining=40, reset_at=START + 20)  # 4 of these 40 are ours
    assert (55, 995) == left(ledger)  # not written per answer
    for _ in range(5):
        budget.acquire(Priority.HIGH)
    assert (36 - 5, 990) == left(ledger)


def test_a_429_empties_the_shared_window_for_every_budget_at_once() -> None:
    clock = Clock()
    ledger = MemoryLedger(clock=clock)
    first, second = shared(clock, ledger), shared(clock, ledger)
    first.acquire(Priority.HIGH)
    first.exhausted("minute", reset_at=START + 7)
    assert ((0, 999), START + 7) == (left(ledger), ledger.rows[ACCOUNT, "minute"].reset_at)
    second.acquire(Priority.HIGH)
    assert START + 7 <= clock.now < START + 8


def test_a_stale_answer_never_gives_shared_calls_back() -> None:
    clock = Clock()
    ledger = MemoryLedger(clock=clock)
    budget = shared(clock, ledger)
    budget.acquire(Priority.HIGH)
    ledger.observe(ACCOUNT, [Reading("minute", remaining=30, reset_at=START + 20)])
    ledger.observe(ACCOUNT, [Reading("minute", remaining=50, reset_at=START + 20)])
    ledger.observe(ACCOUNT, [Reading("minute", remaining=0, reset_at=START - 5)])  # a window already over
    assert 30 == left(ledger)[0]


# -- priority: a waiting order call goes before waiting catalogue calls ----------------------------


@dataclass
class Caller:
    """A flow that wants ``wants`` calls, one try at a time (``attempt``), from ``due`` on."""

    name: str
    attempt: Callable[[Ticket], float]
    ticket: Ticket
    wants: int
    due: float = START


class Moving(Protocol):
    now: float


def grants(clock: Moving, callers: Sequence[Caller]) -> list[str]:
    """Who was granted each call, in order. Every caller due tries in the order given (the catalogue
    first: it would win every race), a refused one sleeps as ``acquire`` does; the clock then moves
    to the next one due. Deterministic: no thread, no real time."""
    order: list[str] = []
    while any(c.wants for c in callers):
        for caller in callers:
            if caller.wants and caller.due <= clock.now:
                wait = caller.attempt(caller.ticket)
                if wait <= 0:
                    order.append(caller.name)
                    caller.wants -= 1
                else:
                    caller.due = clock.now + min(wait, 5.0) + 0.01
        waiting = [c.due for c in callers if c.wants]
        if waiting and min(waiting) > clock.now:
            clock.now = min(waiting)
    return order


def runs(order: list[str]) -> list[tuple[str, int]]:
    """``["a", "a", "b"]`` → ``[("a", 2), ("b", 1)]``."""
    out: list[tuple[str, int]] = []
    for name in order:
        out[-1:] = [(name, out[-1][1] + 1)] if out and out[-1][0] == name else [*out[-1:], (name, 1)]
    return out


def spent(ledger: MemoryLedger) -> None:
    """Others took the whole minute, which the vendor says ends at START + 10."""
    ledger.reserve(ACCOUNT, minute_budget(Clock(), per_minute=10).windows, 1, Priority.HIGH)
    ledger.observe(ACCOUNT, [Reading("minute", remaining=0, reset_at=START + 10)])


def test_on_a_shared_ledger_the_waiting_orders_go_first_when_the_minute_resets() -> None:
    """Two processes on one division, 10 calls a minute: the catalogue stops at its reserve (2), the
    orders flow takes those and waits for the reset with the catalogue. At the reset the catalogue
    asks first, and is told to wait: the orders' 4 calls go, then the catalogue's."""
    clock = Clock()
    ledger = MemoryLedger(clock=clock)
    catalogue, orders = shared(clock, ledger, per_minute=10), shared(clock, ledger, per_minute=10)
    order = grants(clock, [Caller("catalogue", catalogue.attempt, Ticket(Priority.LOW), wants=20),
                           Caller("orders", orders.attempt, Ticket(Priority.HIGH), wants=6, due=START + 1)])
    assert [("catalogue", 8), ("orders", 6), ("catalogue", 12)] == runs(order)
    assert {"line:high": 0, "line:normal": 0, "line:low": 0} == {
        name: window.remaining for (_, name), window in ledger.rows.items() if name.startswith("line:")}


def test_threads_of_one_process_queue_the_same_way() -> None:
    clock = Clock()
    budget = minute_budget(clock, per_minute=10)
    order = grants(clock, [Caller("catalogue", budget.attempt, Ticket(Priority.LOW), wants=20),
                           Caller("customers", budget.attempt, Ticket(Priority.NORMAL), wants=3, due=START + 1),
                           Caller("orders", budget.attempt, Ticket(Priority.HIGH), wants=3, due=START + 2)])
    # catalogue to its reserve (2 left), customers to theirs (1 left), orders the last; at the reset
    # the orders' other 2 go first, then the customers' 2, then the catalogue
    assert [("catalogue", 8), ("customers", 1), ("orders", 1 + 2), ("customers", 2), ("catalogue", 12)] == runs(order)
    assert {0} == {line.remaining for line in budget.queues.values()}


def test_a_waiting_order_page_is_not_starved_by_cheaper_catalogue_calls() -> None:
    """Shopify: an orders page costs 700 points, a productSet 42. Without the line the catalogue
    would take its 42 each time the bucket held them, and the 700 never came."""
    clock = Clock()
    bucket = CostBucket(maximum=1000, restore_rate=50, available=0, clock=clock, sleep=clock.sleep, stamp=START)
    order = grants(clock, [Caller("catalogue", lambda t: bucket.attempt(42, t), Ticket(Priority.LOW), wants=10),
                           Caller("orders", lambda t: bucket.attempt(700, t), Ticket(Priority.HIGH), wants=2)])
    assert [("orders", 2), ("catalogue", 10)] == runs(order)
    assert {Priority.HIGH: 0, Priority.LOW: 0} == bucket.waiting


def test_a_caller_that_gives_up_leaves_the_line() -> None:
    clock = Clock()
    ledger = MemoryLedger(clock=clock)
    orders, catalogue = shared(clock, ledger, per_minute=10), shared(clock, ledger, per_minute=10)
    spent(ledger)
    ticket = Ticket(Priority.HIGH)
    assert orders.attempt(ticket) > 0 and ticket.queued
    clock.now = START + 11  # a new minute
    assert catalogue.attempt(Ticket(Priority.LOW)) >= 0.5  # the order waits: the catalogue does not go
    orders.leave(ticket)
    assert 0 == catalogue.attempt(Ticket(Priority.LOW))


def test_a_place_in_line_lapses_when_its_process_is_gone() -> None:
    clock = Clock()
    ledger = MemoryLedger(clock=clock)
    orders, catalogue = shared(clock, ledger, per_minute=10), shared(clock, ledger, per_minute=10)
    spent(ledger)
    assert orders.attempt(Ticket(Priority.HIGH)) > 0  # and is never heard of again
    clock.now = START + 11
    assert catalogue.attempt(Ticket(Priority.LOW)) > 0
    clock.now = START + 15  # its place held 15 s
    assert 0 == catalogue.attempt(Ticket(Priority.LOW))


def test_acquire_leaves_the_line_when_its_wait_is_interrupted() -> None:
    class Interrupted(Exception):
        pass

    def interrupt(seconds: float) -> None:
        raise Interrupted

    clock = Clock()
    ledger = MemoryLedger(clock=clock)
    orders = WindowBudget.per_minute_and_day(10, 1000, clock=clock, sleep=interrupt, ledger=ledger, account=ACCOUNT)
    spent(ledger)
    with pytest.raises(Interrupted):
        orders.acquire(Priority.HIGH)
    assert 0 == ledger.rows[ACCOUNT, "line:high"].remaining


# -- a cost bucket shared through a ledger (other processes' buckets are other CostBuckets on it) ----

SHOP = "shopify:demo.myshopify.com"


def bucket_of(clock: Clock, ledger: BudgetLedger | None = None) -> CostBucket:
    """One process's bucket of a shop (1,000 points, 50 a second), on ``ledger`` when given."""
    return CostBucket(clock=clock, sleep=clock.sleep, stamp=clock.now, ledger=ledger, account=SHOP)


def present(*buckets: CostBucket) -> None:
    """Each process announces itself, then the first again: every one has seen another, and draws
    through the ledger (the first handed the bucket it held alone back)."""
    for bucket in (*buckets, buckets[0]):
        bucket.announce(force=True)
    assert all(bucket.shared for bucket in buckets)


def two_present(clock: Clock, ledger: BudgetLedger) -> tuple[CostBucket, CostBucket]:
    """Two processes' buckets of one shop on ``ledger``, each having seen the other."""
    first, second = bucket_of(clock, ledger), bucket_of(clock, ledger)
    present(first, second)
    return first, second


@dataclass
class Granted:
    """Points granted, by whom and when."""

    log: list[tuple[float, str, float]]

    def caller(self, clock: Clock, name: str, bucket: CostBucket, points: float, level: Priority, wants: int,
               due: float = START) -> Caller:
        def attempt(ticket: Ticket) -> float:
            wait = bucket.attempt(points, ticket)
            if wait <= 0:
                self.log.append((clock.now, name, points))
            return wait

        return Caller(name, attempt, Ticket(level), wants, due)


def never_more_than_the_bucket_holds(clock: Clock, first: CostBucket, second: CostBucket) -> None:
    """Two processes each sync 40 products of 50 points (4,000) from a bucket of 1,000 restored at 50/s:
    at no moment were more points granted than the bucket held (1,000 + 50/s since the start), and
    together they took no longer than the refill of the 3,000 points the bucket lacked (and a margin)."""
    granted = Granted([])
    grants(clock, [granted.caller(clock, "one", first, 50, Priority.LOW, 40),
                   granted.caller(clock, "two", second, 50, Priority.LOW, 40)])
    total = 0.0
    for at, _, points in granted.log:
        total += points
        assert total <= 1000 + 50 * (at - START), (at, total)
    names = [name for _, name, _ in granted.log]
    assert (4000.0, 40, 40) == (total, names.count("one"), names.count("two"))
    assert granted.log[-1][0] <= START + 3000 / 50 + 2


def an_order_waiting_in_one_holds_back_the_catalogue(clock: Clock, catalogue: CostBucket, orders: CostBucket) -> None:
    """A catalogue sync (150 productSets of 10 points) drains the bucket; 4 s in, 3 order calls of
    50 points arrive: nothing was kept back for them, yet from their arrival until the last is
    granted no catalogue call is (cheaper, it would take the points each time they came back); they
    wait only their own points' refill (3 s)."""
    granted = Granted([])
    order = grants(clock, [granted.caller(clock, "catalogue", catalogue, 10, Priority.LOW, 150),
                           granted.caller(clock, "orders", orders, 50, Priority.HIGH, 3, due=START + 4)])
    shape = runs(order)
    assert ["catalogue", "orders", "catalogue"] == [name for name, _ in shape]
    assert (3, 150) == (shape[1][1], shape[0][1] + shape[2][1])
    assert shape[0][1] > 100  # the catalogue had drained the full bucket and was syncing on its refill
    times = [at for at, name, _ in granted.log if name == "orders"]
    assert START + 4 < times[0] and times[-1] <= START + 4 + 3 * 50 / 50 + 0.1


def one_hears_shopify_for_both(clock: Clock, first: CostBucket, second: CostBucket) -> None:
    """Both present (:func:`present`), what the vendor tells one process corrects the figure the
    other draws from: another app spent the bucket down to 200; a Plus shop's bucket is 2,000 at
    100/s; a page of orders asked 300 points and spent 60, and the 240 come back at once."""
    first.acquire(100, Priority.LOW)
    first.observe(maximum=1000, available=200, restore_rate=50)  # another app spent the rest
    first.acquire(10, Priority.LOW)  # the vendor's figure travels with the next draw: 200 - 10 left
    assert pytest.approx(3.8) == second.attempt(380, Ticket(Priority.LOW))
    clock.now += 4
    assert 0 == second.attempt(380, Ticket(Priority.LOW))  # 190 + 200 restored - 380: 10 left
    first.settle(0, 0, Throttle(maximum=2000, available=1500, restore_rate=100))  # a Plus shop
    first.release()  # its connection closes: the figure goes to the ledger, and the process leaves
    assert pytest.approx(4.9) == second.attempt(1500, Ticket(Priority.LOW))  # 10 + 1,000 more: 1,010
    assert (2000.0, 100.0) == (second.maximum, second.restore_rate)
    present(first, second)  # a new connection of the first process
    clock.now += 4.9
    second.acquire(1500, Priority.LOW)  # 0 left
    first.acquire(300, Priority.HIGH)  # waits 3 s
    first.settle(300, spent=60, status=None)  # 240 come back at once: no draw of `first` needed
    assert (True, True, 0) == (first.shared, second.shared, second.attempt(240, Ticket(Priority.LOW)))


@pytest.mark.parametrize("shared", [False, True])
def test_an_order_arriving_during_a_catalogue_sync_is_granted_before_any_further_catalogue_call(shared: bool) -> None:
    clock = Clock()
    if shared:
        ledger = MemoryLedger(clock=clock)
        catalogue, orders = bucket_of(clock, ledger), bucket_of(clock, ledger)
        present(catalogue, orders)
        an_order_waiting_in_one_holds_back_the_catalogue(clock, catalogue, orders)
        assert {0} == {ledger.rows[SHOP, line_name(level)].remaining for level in Priority}
    else:
        bucket = bucket_of(clock)
        an_order_waiting_in_one_holds_back_the_catalogue(clock, bucket, bucket)
        assert {0} == set(bucket.waiting.values())


def test_buckets_on_one_ledger_never_grant_more_points_than_it_holds() -> None:
    clock = Clock()
    first, second = two_present(clock, MemoryLedger(clock=clock))
    never_more_than_the_bucket_holds(clock, first, second)


def test_buckets_in_two_processes_without_a_ledger_would_overrun_the_shop() -> None:
    """What the ledger is for: alone, each process believes it holds the whole bucket."""
    clock = Clock()
    with pytest.raises(AssertionError):
        never_more_than_the_bucket_holds(clock, bucket_of(clock), bucket_of(clock))


def test_the_vendors_figure_heard_by_one_bucket_corrects_the_other() -> None:
    clock = Clock()
    first, second = two_present(clock, MemoryLedger(clock=clock))
    one_hears_shopify_for_both(clock, first, second)


def test_a_small_give_back_travels_with_the_next_draw() -> None:
    """Shared, one ledger write per call: a productSet's answer is passed on with the next call's draw."""
    clock = Clock()
    ledger = MemoryLedger(clock=clock)
    bucket = bucket_of(clock, ledger)
    present(bucket, bucket_of(clock, ledger))
    bucket.acquire(12, Priority.LOW)
    bucket.settle(12, spent=10, status=Throttle(maximum=1000, available=990, restore_rate=50))
    assert 988 == ledger.rows[SHOP, BUCKET].remaining
    bucket.acquire(12, Priority.LOW)
    assert 988 + 2 - 12 == ledger.rows[SHOP, BUCKET].remaining
    bucket.settle(12, spent=10, status=None)
    bucket.release()  # a connection closing passes on what is left
    assert 980 == ledger.rows[SHOP, BUCKET].remaining


def test_a_bucket_row_refills_in_whole_points_and_keeps_the_fraction() -> None:
    bucket = bucket_row(1000, 50)
    fill(bucket, START)
    bucket.remaining = 0
    fill(bucket, START + 0.03)  # 1.5 points: 1, and the half stays in the stamp
    assert (1, pytest.approx(START + 0.02)) == (bucket.remaining, bucket.reset_at)
    fill(bucket, START + 0.04)
    assert 2 == bucket.remaining
    fill(bucket, START + 100)
    assert (1000, START + 100) == (bucket.remaining, bucket.reset_at)


def test_settling_a_bucket_row_lets_the_lower_figure_win() -> None:
    bucket = bucket_row(1000, 50)
    fill(bucket, START)
    bucket.remaining = 100
    settle_bucket(bucket, 30, Throttle(maximum=1000, available=500, restore_rate=50), START)
    assert 130 == bucket.remaining  # points drawn elsewhere still count as available for the vendor
    settle_bucket(bucket, 0, Throttle(maximum=1000, available=40, restore_rate=50), START)
    assert 40 == bucket.remaining  # another app's calls
    settle_bucket(bucket, 0, Throttle(maximum=2000, available=2000, restore_rate=100), START)
    assert (1040, 2000, 20.0) == (bucket.remaining, bucket.limit, bucket.seconds)  # a bigger bucket adds its difference
    settle_bucket(bucket, 0, Throttle(maximum=2000, available=2000, restore_rate=200), START)
    assert (1040, 2000, 10.0) == (bucket.remaining, bucket.limit, bucket.seconds)  # and a faster one fills sooner


# -- presence: a process alone draws here; the ledger only while another process uses the shop -------


@dataclass
class CountedLedger(MemoryLedger):
    """A memory ledger that counts its transactions (each call of it is one)."""

    transactions: int = 0

    def announce(self, *args: object, **kwargs: object) -> Meeting:
        self.transactions += 1
        return super().announce(*args, **kwargs)  # type: ignore[arg-type]

    def depart(self, *args: object, **kwargs: object) -> None:
        self.transactions += 1
        super().depart(*args, **kwargs)  # type: ignore[arg-type]

    def draw(self, *args: object, **kwargs: object) -> Grant:
        self.transactions += 1
        return super().draw(*args, **kwargs)  # type: ignore[arg-type]

    def settle(self, *args: object, **kwargs: object) -> None:
        self.transactions += 1
        super().settle(*args, **kwargs)  # type: ignore[arg-type]

    def leave(self, *args: object, **kwargs: object) -> None:
        self.transactions += 1
        super().leave(*args, **kwargs)  # type: ignore[arg-type]


CALLS, SECONDS = 500, 10.0


def sync(clock: Clock, bucket: CostBucket, calls: int = CALLS, seconds: float = SECONDS,
         beside: CostBucket | None = None) -> None:
    """``calls`` productSets (3 points asked, 2 spent) spread over ``seconds``; ``beside``, another
    process, makes one call a second meanwhile (so it stays present)."""
    step = seconds / calls
    for n in range(calls):
        bucket.acquire(3, Priority.LOW)
        bucket.settle(3, spent=2, status=None)
        if beside is not None and n % round(1 / step) == 0:
            beside.acquire(3, Priority.LOW)
            beside.settle(3, spent=2, status=None)
        clock.now += step


def alone_it_announces_itself_instead_of_drawing(clock: Clock, ledger: BudgetLedger,
                                                 transactions: Callable[[], int]) -> int:
    """A process alone on a shop makes 500 calls over 10 s: it draws them here and announces itself
    every PRESENCE seconds, ⌈10 / PRESENCE⌉ + 1 ledger transactions at most (none per call)."""
    bucket = bucket_of(clock, ledger)
    before = transactions()
    sync(clock, bucket)
    count = transactions() - before
    assert SECONDS / PRESENCE <= count <= math.ceil(SECONDS / PRESENCE) + 1
    assert ([], False) == (clock.sleeps, bucket.shared)
    return count


def shared_it_draws_every_call(clock: Clock, ledger: BudgetLedger, transactions: Callable[[], int]) -> int:
    """The same 500 calls with another process present: each draws through the ledger."""
    first, second = two_present(clock, ledger)
    before = transactions()
    sync(clock, first, beside=second)
    count = transactions() - before
    assert CALLS <= count and (first.shared, second.shared) == (True, True)
    return count


def a_second_process_appears(clock: Clock, first: CostBucket, second: CostBucket, arrives: float) -> None:
    """A catalogue sync alone (productSets of 10 points) drains the shop's bucket and syncs on its
    refill; at ``arrives`` another process starts, with 3 order calls of 50 points. At no moment were
    more points granted than the shop's bucket held (1,000 + 50/s since the start), in the window
    where the first did not yet see the second either (the bucket it held alone is not drawn from
    by the newcomer); within a PRESENCE period (and one of its waits for 10 points, 0.2 s) the first
    draws through the ledger, and the waiting orders hold its catalogue back."""
    granted = Granted([])
    log: list[tuple[float, str, bool]] = []

    def caller(name: str, bucket: CostBucket, points: float, level: Priority, wants: int, due: float) -> Caller:
        inner = granted.caller(clock, name, bucket, points, level, wants, due)

        def attempt(ticket: Ticket) -> float:
            wait = inner.attempt(ticket)
            if wait <= 0:
                log.append((clock.now, name, bucket.shared))
            return wait

        return Caller(name, attempt, inner.ticket, wants, due)

    order = grants(clock, [caller("catalogue", first, 10, Priority.LOW, 200, START),
                           caller("orders", second, 50, Priority.HIGH, 3, arrives)])
    total = 0.0
    for at, _, points in granted.log:
        total += points
        assert total <= 1000 + 50 * (at - START), (at, total)
    assert [("catalogue", False)] == sorted({(name, shared) for at, name, shared in log if at < arrives})
    served = max(at for at, name, _ in log if name == "orders")
    assert {("catalogue", True), ("orders", True)} == {
        (name, shared) for at, name, shared in log if arrives + PRESENCE + 0.21 <= at <= served + 1}
    shape = runs(order)
    assert ["catalogue", "orders", "catalogue"] == [name for name, _ in shape]
    assert shape[0][1] > 100  # the catalogue had drained the full bucket alone and was syncing on its refill
    assert not any(first.waiting.values())  # its caller waiting here moved to the ledger's line, and left it


def the_second_leaves(clock: Clock, first: CostBucket, second: CostBucket, transactions: Callable[[], int]) -> None:
    """Both present and drawing through the ledger, the second stops (its process died: it never
    says so); once it has been gone for GONE, the first draws here again, and its next 500 calls
    cost the ledger its announcements only."""
    present(first, second)
    sync(clock, first, calls=50, seconds=1.0, beside=second)
    assert first.shared
    sync(clock, first, calls=50 * round(GONE + PRESENCE), seconds=GONE + PRESENCE)
    assert not first.shared
    before = transactions()
    sync(clock, first)
    assert transactions() - before <= math.ceil(SECONDS / PRESENCE) + 1


def test_a_bucket_alone_on_a_ledger_announces_itself_and_draws_here() -> None:
    clock = Clock()
    ledger = CountedLedger(clock=clock)
    alone_it_announces_itself_instead_of_drawing(clock, ledger, lambda: ledger.transactions)
    presence = [name for _, name in ledger.rows if name.startswith("presence:")]
    assert (1, 0) == (len(presence), ledger.rows[SHOP, BUCKET].remaining)  # the bucket is held by the process alone


def test_with_another_process_present_every_call_draws_through_the_ledger() -> None:
    clock = Clock()
    ledger = CountedLedger(clock=clock)
    shared_it_draws_every_call(clock, ledger, lambda: ledger.transactions)


def test_a_second_process_appearing_is_seen_within_a_presence_period() -> None:
    clock = Clock()
    ledger = MemoryLedger(clock=clock)
    a_second_process_appears(clock, bucket_of(clock, ledger), bucket_of(clock, ledger), arrives=START + 5)
    assert {0} == {ledger.rows[SHOP, line_name(level)].remaining for level in Priority}


def test_without_the_hold_a_second_process_appearing_would_overrun_the_shop(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the hold is for: were the ledger's bucket left as it stood while the first draws alone,
    the newcomer would draw it too, until the first's next announcement."""

    def no_hold(bucket: Window, now: float) -> Window:
        fill(bucket, now)
        return replace(bucket)

    monkeypatch.setattr(pacing, "hold", no_hold)
    clock = Clock()
    ledger = MemoryLedger(clock=clock)
    with pytest.raises(AssertionError):
        a_second_process_appears(clock, bucket_of(clock, ledger), bucket_of(clock, ledger), arrives=START + 5)


def test_when_the_second_process_has_left_the_first_draws_here_again() -> None:
    clock = Clock()
    ledger = CountedLedger(clock=clock)
    the_second_leaves(clock, bucket_of(clock, ledger), bucket_of(clock, ledger), lambda: ledger.transactions)


def test_a_process_closing_its_connection_leaves_at_once() -> None:
    """A connection closing hands the bucket it held alone back (the figure Shopify last gave) and
    takes its presence away: another process goes alone at its next announcement, not after GONE."""
    clock = Clock()
    ledger = MemoryLedger(clock=clock)
    first, second = bucket_of(clock, ledger), bucket_of(clock, ledger)
    first.acquire(10, Priority.LOW)
    first.settle(10, spent=8, status=Throttle(maximum=1000, available=640, restore_rate=50))  # another app's calls
    assert (False, 0) == (first.shared, ledger.rows[SHOP, BUCKET].remaining)  # alone, and holding the bucket
    present(first, second)
    assert 640 == ledger.rows[SHOP, BUCKET].remaining  # handed back: the shared figure starts from Shopify's
    first.release()
    clock.now += PRESENCE
    second.acquire(10, Priority.LOW)
    assert (False, 640 + 100 - 10) == (second.shared, second.available)  # alone: the figure, 2 s of refill, its call


def test_a_forked_child_announces_itself_as_another_process() -> None:
    """A bucket made before a fork (Celery's prefork workers) is two processes' after it: the child
    takes a new id, and neither holds the bucket for the other."""
    clock = Clock()
    ledger = MemoryLedger(clock=clock)
    parent = bucket_of(clock, ledger)
    parent.acquire(10, Priority.LOW)
    child = replace(parent, pid=-1, lock=threading.Lock())  # what the child sees of it: another pid
    child.acquire(10, Priority.LOW)
    assert (True, False) == (child.shared, child.who == parent.who)
    clock.now += PRESENCE
    parent.acquire(10, Priority.LOW)
    assert parent.shared
