"""Call budgets per system account, shared by every flow on that account.

Exact Online counts calls per company per minute and per day; Shopify counts query cost points
in a leaky bucket. Both are modelled here and fed from the vendor's own headers on every answer,
so two flows on one Exact division never overrun its 60 calls a minute between them. When the
budget runs short, calls of lower :class:`~tradewind.connectors.base.Priority` (catalogue) wait
for the next window while orders and payments still go through.

The priority of a call comes from a context variable the engine sets for the flow it runs.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tradewind.connectors.base import Priority

current_priority: contextvars.ContextVar[Priority] = contextvars.ContextVar("priority", default=Priority.NORMAL)

Sleep = Callable[[float], None]
Clock = Callable[[], float]


@contextmanager
def priority(level: Priority) -> Iterator[None]:
    """Run the calls made inside at ``level``."""
    token = current_priority.set(level)
    try:
        yield
    finally:
        current_priority.reset(token)


@dataclass
class Window:
    """A fixed call window: ``limit`` calls, ``remaining`` left, refilled at ``reset_at`` (epoch s)."""

    name: str
    limit: int
    seconds: float
    remaining: int
    reset_at: float

    def roll(self, now: float) -> None:
        if now >= self.reset_at:
            periods = int((now - self.reset_at) // self.seconds) + 1
            self.reset_at += periods * self.seconds
            self.remaining = self.limit


RESERVE = {Priority.HIGH: 0.0, Priority.NORMAL: 0.1, Priority.LOW: 0.2}
"""Share of each window kept back from a priority: catalogue calls stop at 20% left."""


@dataclass
class WindowBudget:
    """Calls-per-window budget (minute and day), corrected from the vendor's headers.

    ``acquire`` blocks until a call may be made; ``observe`` takes the vendor's own count.
    """

    windows: list[Window]
    clock: Clock = time.time
    sleep: Sleep = time.sleep
    lock: threading.Condition = field(default_factory=threading.Condition)
    waited: float = 0.0

    @classmethod
    def per_minute_and_day(cls, per_minute: int, per_day: int, clock: Clock = time.time,
                           sleep: Sleep = time.sleep) -> WindowBudget:
        now = clock()
        return cls(
            windows=[
                Window("minute", per_minute, 60.0, per_minute, now - now % 60 + 60),
                Window("day", per_day, 86400.0, per_day, now - now % 86400 + 86400),
            ],
            clock=clock,
            sleep=sleep,
        )

    def _wait_needed(self, level: Priority) -> float:
        now = self.clock()
        wait = 0.0
        for window in self.windows:
            window.roll(now)
            reserve = int(window.limit * RESERVE[level])
            if window.remaining <= reserve:
                wait = max(wait, window.reset_at - now)
        return wait

    def acquire(self, level: Priority | None = None) -> None:
        level = current_priority.get() if level is None else level
        while True:
            with self.lock:
                wait = self._wait_needed(level)
                if wait <= 0:
                    for window in self.windows:
                        window.remaining -= 1
                    return
            self.waited += wait
            self.sleep(min(wait, 5.0) + 0.01)

    def observe(self, name: str, *, limit: int | None, remaining: int | None, reset_at: float | None) -> None:
        """Take the vendor's figures for window ``name``; they win over our own count."""
        with self.lock:
            for window in self.windows:
                if window.name != name:
                    continue
                if limit is not None:
                    window.limit = limit
                if remaining is not None:
                    window.remaining = min(remaining, window.remaining) if reset_at is None else remaining
                if reset_at is not None:
                    window.reset_at = reset_at

    def exhausted(self, name: str, reset_at: float | None) -> None:
        """The vendor answered 429 for window ``name``: nothing is left until ``reset_at``."""
        with self.lock:
            for window in self.windows:
                if window.name == name:
                    window.remaining = 0
                    if reset_at is not None:
                        window.reset_at = max(reset_at, self.clock())


@dataclass
class CostBucket:
    """A leaky bucket of cost points (Shopify GraphQL): ``available`` points, refilled at ``restore_rate``/s.

    ``acquire(cost)`` waits until the bucket holds ``cost`` points (plus a reserve for lower
    priorities); ``observe`` takes the vendor's ``throttleStatus`` after each answer.
    """

    maximum: float = 1000.0
    restore_rate: float = 50.0
    available: float = 1000.0
    clock: Clock = time.monotonic
    sleep: Sleep = time.sleep
    stamp: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)
    waited: float = 0.0

    def _refill(self) -> None:
        now = self.clock()
        self.available = min(self.maximum, self.available + (now - self.stamp) * self.restore_rate)
        self.stamp = now

    def acquire(self, cost: float, level: Priority | None = None) -> None:
        level = current_priority.get() if level is None else level
        needed = min(cost + self.maximum * RESERVE[level], self.maximum)
        while True:
            with self.lock:
                self._refill()
                if self.available >= needed:
                    self.available -= cost
                    return
                wait = (needed - self.available) / self.restore_rate
            self.waited += wait
            self.sleep(wait + 0.01)

    def refund(self, points: float) -> None:
        with self.lock:
            self.available = min(self.maximum, self.available + points)

    def observe(self, *, maximum: float, available: float, restore_rate: float) -> None:
        with self.lock:
            self.maximum, self.available, self.restore_rate = maximum, available, restore_rate
            self.stamp = self.clock()


_budgets: dict[str, object] = {}
_budgets_lock = threading.Lock()


def shared_budget(account_key: str, factory: Callable[[], object]) -> object:
    """The one budget of a system account in this process, made by ``factory`` on first use."""
    with _budgets_lock:
        if account_key not in _budgets:
            _budgets[account_key] = factory()
        return _budgets[account_key]


def forget_budgets() -> None:
    """Drop every shared budget (tests that start sandboxes anew)."""
    with _budgets_lock:
        _budgets.clear()
