"""Calls made to vendors, counted in this process: every attempt, the 429s among them, and the
refresh tokens a vendor refused — per system account (``exact_online:123456``, as call budgets are kept).

:func:`tradewind.connectors.transport.call` is the one place a vendor is called, so it counts here;
``/metrics`` and the alerts read :data:`COUNTERS` (connectors never import the surfaces). The figures
are this process's since it started, as Prometheus counters are: a scrape of each process adds them up.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field

from tradewind.connectors import pacing

UNATTRIBUTED = "unattributed"

calling_as: ContextVar[str | None] = ContextVar("calling_as", default=None)
"""The account calls are counted under when their pacing does not name it (a token exchange, a file drop)."""


@dataclass
class Counters:
    """Process-wide call counts by account; thread-safe."""

    calls: Counter[str] = field(default_factory=Counter)
    rate_limited: Counter[str] = field(default_factory=Counter)
    refused: dict[str, float] = field(default_factory=dict)
    """Messages of refused refresh tokens (:class:`~tradewind.errors.ReauthorisationNeeded`) → when last seen."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def called(self, account: str, *, rate_limited: bool = False) -> None:
        with self.lock:
            self.calls[account] += 1
            if rate_limited:
                self.rate_limited[account] += 1

    def refusal(self, message: str) -> None:
        with self.lock:
            self.refused[message] = time.time()
            while len(self.refused) > 100:  # the oldest go: only recent refusals are asked about
                del self.refused[min(self.refused, key=self.refused.__getitem__)]

    def was_refused(self, message: str | None) -> bool:
        """Whether ``message`` (a run's error) is a refused refresh token's."""
        with self.lock:
            return message is not None and message in self.refused

    def snapshot(self) -> tuple[dict[str, int], dict[str, int]]:
        with self.lock:
            return dict(self.calls), dict(self.rate_limited)

    def clear(self) -> None:
        with self.lock:
            self.calls.clear()
            self.rate_limited.clear()
            self.refused.clear()


COUNTERS = Counters()


def account_of(before: Callable[[], None]) -> str:
    """The account a call is made for, from its pacing: the budget whose ``acquire`` (or whose
    owner's budget or bucket) paces it is the account's one shared budget in this process."""
    owner = getattr(before, "__self__", None)
    candidates = (owner, getattr(owner, "budget", None), getattr(getattr(owner, "client", None), "bucket", None))
    with pacing._budgets_lock:
        known = {id(budget): key for key, budget in pacing._budgets.items()}
    for candidate in candidates:
        if candidate is not None and id(candidate) in known:
            return known[id(candidate)].split("@", 1)[0]  # a ledger's scope is no part of the account
    return calling_as.get() or UNATTRIBUTED
