"""Call budgets in the store: reservations, corrections and releases on SQLite and PostgreSQL,
threads racing for one window, processes sharing an Exact division and a Shopify shop's cost bucket
served on loopback."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import event

from tests.connectors.test_pacing import (
    SHOP,
    Caller,
    a_second_process_appears,
    alone_it_announces_itself_instead_of_drawing,
    an_order_waiting_in_one_holds_back_the_catalogue,
    bucket_of,
    grants,
    never_more_than_the_bucket_holds,
    one_hears_shopify_for_both,
    present,
    runs,
    shared_it_draws_every_call,
    the_second_leaves,
)
from tests.connectors.test_pacing import Clock as SleepingClock
from tradewind.connectors.base import Priority
from tradewind.connectors.exact_online.connector import ExactOnline, ExactOnlineOptions
from tradewind.connectors.pacing import (
    BUCKET,
    Reading,
    Throttle,
    Ticket,
    Window,
    WindowBudget,
    forget_budgets,
    priority,
)
from tradewind.connectors.retry import RetryPolicy
from tradewind.connectors.shopify import Shopify, ShopifyOptions
from tradewind.errors import RateLimited
from tradewind.sandboxes import exact_online, shopify
from tradewind.sandboxes._serve import Served
from tradewind.store.budgets import StoreBudgets
from tradewind.store.db import Store

START = 1_000_000_000.0  # 40 s into a minute
ACCOUNT = "exact_online:1"


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def specs(per_minute: int = 60, per_day: int = 1000) -> list[Window]:
    return WindowBudget.per_minute_and_day(per_minute, per_day, clock=lambda: START).windows


def left(ledger: StoreBudgets, account: str = ACCOUNT) -> tuple[int, int]:
    windows = ledger.windows(account)
    return windows["minute"].remaining, windows["day"].remaining


def test_first_reservation_makes_full_rows_and_takes_a_block(store: Store) -> None:
    ledger = StoreBudgets(store, clock=Clock())
    grant = ledger.reserve(ACCOUNT, specs(), 5, Priority.HIGH)
    assert (5, 0.0, {"minute": START + 20, "day": START - START % 86400 + 86400}) == (
        grant.calls, grant.wait, grant.resets)
    assert (55, 995) == left(ledger)
    assert {} == ledger.windows("exact_online:2")


def test_blocks_shrink_near_the_end_and_each_priority_keeps_its_reserve(store: Store) -> None:
    ledger = StoreBudgets(store, clock=Clock())
    ledger.reserve(ACCOUNT, specs(per_minute=10), 5, Priority.HIGH)  # a quarter of 10: 2
    ledger.observe(ACCOUNT, [Reading("minute", remaining=3, reset_at=START + 20)])
    refused = ledger.reserve(ACCOUNT, specs(per_minute=10), 5, Priority.LOW)  # 3 left, 2 kept back: 1
    assert (1, 2) == (refused.calls, left(ledger)[0])
    refused = ledger.reserve(ACCOUNT, specs(per_minute=10), 5, Priority.LOW)
    assert (0, 20.0) == (refused.calls, refused.wait)
    assert [1, 1, 0] == [ledger.reserve(ACCOUNT, specs(per_minute=10), 5, Priority.HIGH).calls for _ in range(3)]


def test_vendor_figures_correct_the_rows(store: Store) -> None:
    clock = Clock()
    ledger = StoreBudgets(store, clock=clock)
    ledger.reserve(ACCOUNT, specs(), 5, Priority.HIGH)
    ledger.observe(ACCOUNT, [Reading("minute", limit=100, remaining=None, reset_at=START + 15)])
    assert (95, START + 15) == (left(ledger)[0], ledger.windows(ACCOUNT)["minute"].reset_at)  # 40 more
    ledger.observe(ACCOUNT, [Reading("minute", remaining=30, reset_at=START + 15),
                             Reading("minute", remaining=70, reset_at=START + 15),  # stale: never gives back
                             Reading("day", remaining=0, reset_at=START - 1)])  # a window already over
    assert (30, 995) == left(ledger)


def test_rows_refill_when_their_window_ends(store: Store) -> None:
    clock = Clock()
    ledger = StoreBudgets(store, clock=clock)
    first = ledger.reserve(ACCOUNT, specs(), 5, Priority.HIGH)
    clock.now = START + 21
    again = ledger.reserve(ACCOUNT, specs(), 5, Priority.HIGH)
    assert ({"minute": 1, "day": 0}, START + 80) == (
        {name: again.periods[name] - first.periods[name] for name in again.periods}, again.resets["minute"])
    assert (55, 990) == left(ledger)


def test_release_gives_back_only_to_windows_still_running(store: Store) -> None:
    clock = Clock()
    ledger = StoreBudgets(store, clock=clock)
    grant = ledger.reserve(ACCOUNT, specs(), 5, Priority.HIGH)
    ledger.release(ACCOUNT, grant.periods, 3)
    assert (58, 998) == left(ledger)
    grant = ledger.reserve(ACCOUNT, specs(), 5, Priority.HIGH)
    clock.now = START + 21  # the minute of that grant is over; the day is not
    ledger.release(ACCOUNT, grant.periods, 4)
    assert (60, 997) == left(ledger)


def test_threads_racing_for_one_window_are_granted_exactly_its_limit(store: Store) -> None:
    ledger = StoreBudgets(store)
    windows = WindowBudget.per_minute_and_day(40, 10_000).windows
    granted: list[tuple[int, int]] = []  # calls, minute window they came from

    def drain() -> None:
        while (grant := ledger.reserve(ACCOUNT, windows, 3, Priority.HIGH)).calls:
            granted.append((grant.calls, grant.periods["minute"]))

    threads = [threading.Thread(target=drain) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rows = ledger.windows(ACCOUNT)
    minutes = {period for _, period in granted}  # a minute boundary may fall inside the race
    total = sum(calls for calls, _ in granted)
    assert (total, total) == (40 * len(minutes) - rows["minute"].remaining, 10_000 - rows["day"].remaining)


# -- processes sharing one Exact division ------------------------------------------------------

LIMIT = 20
WANT = 8  # three processes want 24 calls; the division allows 20 a minute
ENVIRON = {"SECRET": "demo-secret", "REFRESH": "demo-refresh"}


def test_orders_waiting_in_one_process_go_before_the_catalogue_of_another(store: Store) -> None:
    """Two processes' budgets on the store's ledger, 10 calls a minute: the catalogue stops at its
    reserve, the orders take it and wait; at the reset the catalogue asks first and is held back
    until the orders' calls are granted (their place in line is a row beside the windows)."""
    clock = Clock()

    def process() -> WindowBudget:
        return WindowBudget.per_minute_and_day(10, 1000, clock=clock, ledger=StoreBudgets(store, clock=clock),
                                               account=ACCOUNT)

    catalogue, orders = process(), process()
    order = grants(clock, [Caller("catalogue", catalogue.attempt, Ticket(Priority.LOW), wants=20),
                           Caller("orders", orders.attempt, Ticket(Priority.HIGH), wants=6, due=START + 1)])
    assert [("catalogue", 8), ("orders", 6), ("catalogue", 12)] == runs(order)
    ledger = StoreBudgets(store, clock=clock)
    assert {"line:high": 0, "line:normal": 0, "line:low": 0} == {
        name: line.remaining for name, line in ledger.lines(ACCOUNT).items()}
    assert {"minute", "day"} == set(ledger.windows(ACCOUNT))


# -- a Shopify cost bucket shared by processes (each a CostBucket on its own handle on the store) ------


def test_buckets_of_two_processes_never_grant_more_points_than_the_shop_holds(store: Store) -> None:
    clock = SleepingClock()
    first, second = (bucket_of(clock, StoreBudgets(store, clock=clock)) for _ in range(2))
    present(first, second)
    never_more_than_the_bucket_holds(clock, first, second)
    row = StoreBudgets(store, clock=clock).windows(SHOP)[BUCKET]
    assert (1000, 20.0) == (row.limit, row.seconds)


def test_an_order_waiting_in_one_process_holds_back_the_catalogue_of_another(store: Store) -> None:
    clock = SleepingClock()
    catalogue, orders = (bucket_of(clock, StoreBudgets(store, clock=clock)) for _ in range(2))
    present(catalogue, orders)
    an_order_waiting_in_one_holds_back_the_catalogue(clock, catalogue, orders)
    assert {0} == {line.remaining for line in StoreBudgets(store, clock=clock).lines(SHOP).values()}


def test_what_shopify_tells_one_process_corrects_what_the_other_draws(store: Store) -> None:
    clock = SleepingClock()
    ledger = StoreBudgets(store, clock=clock)
    first, second = bucket_of(clock, ledger), bucket_of(clock, StoreBudgets(store, clock=clock))
    present(first, second)
    one_hears_shopify_for_both(clock, first, second)
    assert (2000, 20.0) == (ledger.windows(SHOP)[BUCKET].limit, ledger.windows(SHOP)[BUCKET].seconds)
    ledger.settle(SHOP, 0, Throttle(maximum=2000, available=0, restore_rate=200))  # the shop's rate doubled
    assert (2000, 10.0, 0) == (ledger.windows(SHOP)[BUCKET].limit, ledger.windows(SHOP)[BUCKET].seconds,
                               ledger.windows(SHOP)[BUCKET].remaining)


class Counted:
    """Transactions and statements the store's engine ran while counting."""

    def __init__(self, store: Store) -> None:
        self.engine, self.transactions, self.statements = store.engine, 0, 0
        event.listen(self.engine, "begin", self._begin)
        event.listen(self.engine, "before_cursor_execute", self._statement)

    def _begin(self, *args: Any) -> None:
        self.transactions += 1

    def _statement(self, *args: Any) -> None:
        self.statements += 1

    def stop(self) -> None:
        event.remove(self.engine, "begin", self._begin)
        event.remove(self.engine, "before_cursor_execute", self._statement)


def test_a_process_alone_on_a_shop_costs_the_store_its_announcements_only(store: Store) -> None:
    clock = SleepingClock()
    counted = Counted(store)
    try:
        transactions = alone_it_announces_itself_instead_of_drawing(
            clock, StoreBudgets(store, clock=clock), lambda: counted.transactions)
    finally:
        counted.stop()
    ledger = StoreBudgets(store, clock=clock)
    assert (1, 0) == (len(ledger.present(SHOP)), ledger.windows(SHOP)[BUCKET].remaining)  # held by the process
    assert counted.statements <= 4 * transactions  # lock, read, write (+ the rows made on first use)


def test_with_another_process_present_every_call_draws_from_the_store(store: Store) -> None:
    clock = SleepingClock()
    counted = Counted(store)
    try:
        shared_it_draws_every_call(clock, StoreBudgets(store, clock=clock), lambda: counted.transactions)
    finally:
        counted.stop()


def test_a_second_process_appearing_on_the_store_is_seen_within_a_presence_period(store: Store) -> None:
    clock = SleepingClock()
    a_second_process_appears(clock, bucket_of(clock, StoreBudgets(store, clock=clock)),
                             bucket_of(clock, StoreBudgets(store, clock=clock)), arrives=START + 5)
    ledger = StoreBudgets(store, clock=clock)
    assert {0} == {line.remaining for line in ledger.lines(SHOP).values()}
    assert 1 == len(ledger.present(SHOP))  # the orders' process, silent for GONE since, was deleted


def test_when_the_second_process_has_left_the_store_the_first_draws_alone_again(store: Store) -> None:
    clock = SleepingClock()
    counted = Counted(store)
    try:
        the_second_leaves(clock, bucket_of(clock, StoreBudgets(store, clock=clock)),
                          bucket_of(clock, StoreBudgets(store, clock=clock)), lambda: counted.transactions)
    finally:
        counted.stop()
    assert 1 == len(StoreBudgets(store, clock=clock).present(SHOP))  # the one gone was deleted


class HeldBack(Exception):
    """The shared budget asked this process to wait for the next window."""


def _held_back(seconds: float) -> None:
    raise HeldBack(seconds)


def _exact(url: str, store: Store) -> ExactOnline:
    options = ExactOnlineOptions(base_url=url, division=123456, client_id="demo-client", client_secret="${SECRET}",
                                 refresh_token="${REFRESH}", calls_per_minute=LIMIT)
    return ExactOnline(options, ledger=StoreBudgets(store), environ=ENVIRON,
                       retry=RetryPolicy(max_rate_limit_wait=0))  # a 429 is raised, not waited out


def _call(url: str, database: str, barrier: Any, results: Any) -> None:
    """One process: calls the division until it has made ``WANT`` calls or is told to wait."""
    store = Store(database)
    connector = _exact(url, store)
    client = connector.client
    client.budget.sleep = _held_back
    client.access_token()  # the token call is not rate-limited; the race starts after it
    barrier.wait(timeout=60)
    results.put(_race(lambda: client.request("GET", "logistics/Items",
                                             params={"$select": "ID", "$top": "1", "$filter": "Code ne ''"}),
                      WANT, refused="429", connector=connector, store=store))


def _race(call: Callable[[], object], times: int, *, refused: str, connector: Any, store: Store) -> tuple[int, str]:
    """``call`` made ``times`` as orders (no reserve kept back): how many were made, and how it ended —
    ``done``, ``held back`` by the shared budget, or ``refused`` by the vendor."""
    made, outcome = 0, "done"
    try:
        with priority(Priority.HIGH):
            for _ in range(times):
                call()
                made += 1
    except HeldBack:
        outcome = "held back"
    except RateLimited:
        outcome = refused
    finally:
        connector.close()
        store.dispose()
    return made, outcome


def _division_at_the_start_of_a_minute() -> Served:
    """The sandbox's clock runs a few seconds ahead, to the start of its minute window, so the whole
    test falls in one window (its resets then lie a little late by our clock: a ledger errs safe)."""
    app = exact_online.create_app(minutely_limit=LIMIT, rotate_refresh_tokens=False)
    offset = (1 - time.time() % 60) % 60
    app.state.sandbox.clock = lambda: time.time() + offset
    return Served(app)


def test_processes_on_one_division_share_its_minute(store: Store) -> None:
    """Answers are slowed so each process always has a call in flight: the vendor's headers alone
    (a budget per process) then let all three fire when one call is left, and two get a 429."""
    with _division_at_the_start_of_a_minute() as served:
        warm = _exact(served.url, store)
        warm.client.request("GET", "logistics/Items", params={"$select": "ID", "$top": "1", "$filter": "Code ne ''"})
        warm.close()  # the rows now carry the division's own figures: 19 left until its reset
        slow = {"status": 0, "delay": 0.3, "times": 1000, "path_contains": "/Items"}
        httpx.post(f"{served.url}/_sandbox/faults", json=slow).raise_for_status()
        spawn = multiprocessing.get_context("spawn")
        barrier, results = spawn.Barrier(3), spawn.Queue()
        workers = [spawn.Process(target=_call, args=(served.url, store.url, barrier, results)) for _ in range(3)]
        for worker in workers:
            worker.start()
        reports = [results.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(timeout=30)
        calls = httpx.get(f"{served.url}/_sandbox/calls").json()["by_route"]
        answered = served.sandbox.minutely.used
    made = sum(count for count, _ in reports)
    api_calls = sum(n for route, n in calls.items() if route.startswith("GET /api/v1/"))
    assert [0, 0, 0] == [worker.exitcode for worker in workers]
    assert "429" not in [outcome for _, outcome in reports]
    assert (api_calls, answered) == (1 + made, 1 + made)  # every call made was answered: no 429
    assert "held back" in [outcome for _, outcome in reports]  # 24 wanted, and only 19 were left
    assert made <= LIMIT - 1
    assert LIMIT - 1 - made == left(StoreBudgets(store), "exact_online:123456")[0]  # unused calls were handed back


# -- processes sharing one Shopify shop -------------------------------------------------------------

SHOP_TOKEN = "shpat_test_0123456789"
CUSTOMERS_PAGE = "query { customers(first: 50) { nodes { id } } }"  # 52 points
PAGES = 4  # three processes want 12 pages (624 points); the shop's bucket holds 300


def _shop(url: str, store: Store) -> Shopify:
    options = ShopifyOptions(shop="test.myshopify.com", base_url=url, token="${SHOPIFY_TOKEN}", taxes_included=True)
    return Shopify(options, ledger=StoreBudgets(store), environ={"SHOPIFY_TOKEN": SHOP_TOKEN},
                   retry=RetryPolicy(max_rate_limit_wait=0))  # a THROTTLED answer is raised, not waited out


def _read_pages(url: str, database: str, barrier: Any, results: Any) -> None:
    """One process: reads pages of customers until it has read ``PAGES`` or is told to wait."""
    store = Store(database)
    connector = _shop(url, store)
    client = connector.client
    client.bucket.sleep = _held_back
    client.costs[CUSTOMERS_PAGE, ()] = 52  # known from the warm-up's answer, as a process reading twice knows it
    barrier.wait(timeout=60)
    results.put(_race(lambda: client.execute(CUSTOMERS_PAGE), PAGES, refused="THROTTLED", connector=connector,
                      store=store))


def test_processes_on_one_shop_share_its_bucket(store: Store) -> None:
    """Each process alone would believe the bucket its own: the first answer says 248 points are
    left, so each would send four pages. Started at once, they announce themselves to the store: the
    first, alone, holds the bucket and draws its pages in memory; the others see it and draw through
    the store, where the held bucket gives them nothing until it is handed back. No answer is
    THROTTLED, and the pages read fit in the bucket (and the little it restored, 2 points a second)."""
    forget_budgets()
    app = shopify.create_app(token=SHOP_TOKEN, shop="test.myshopify.com", bucket_size=300, restore_rate=2,
                             seed={"customers": [{"id": 500 + i, "email": f"buyer{i}@example.com"} for i in range(60)]})
    with Served(app) as served:
        warm = _shop(served.url, store)
        warm.client.execute(CUSTOMERS_PAGE)
        warm.close()  # handed back: the row carries the shop's own figures: 300 points, 248 left, 2 a second
        started = time.time()
        spawn = multiprocessing.get_context("spawn")
        barrier, results = spawn.Barrier(3), spawn.Queue()
        workers = [spawn.Process(target=_read_pages, args=(served.url, store.url, barrier, results))
                   for _ in range(3)]
        for worker in workers:
            worker.start()
        reports = [results.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(timeout=30)
        elapsed = time.time() - started
    made = sum(count for count, _ in reports)
    assert [0, 0, 0] == [worker.exitcode for worker in workers]
    assert "THROTTLED" not in [outcome for _, outcome in reports]
    assert "held back" in [outcome for _, outcome in reports]  # 12 pages wanted, 4 or 5 fit
    assert made * 52 <= 248 + 2 * elapsed
    assert {0} == {line.remaining for line in StoreBudgets(store).lines("shopify:test.myshopify.com").values()}
