"""The division's reference tables, read once per connection per ``reference_minutes``, not once a run.

A connector lives for one run (the runner opens and closes it), but a process runs the same flows again
and again: VAT codes (``vat/VATCodes``), GL accounts, projects, shipping methods, exchange rates,
payment conditions and the ``warehouse`` option's ID would cost their calls on every orders or refunds
run against Exact's 60 calls a minute. They change seldom, so this process keeps what was read for each
division and store (the budget's ledger scope: two stores never share it), with the moment it was read,
for ``reference_minutes``.

Never stale silently: a booking that fails for a code the kept tables lack (or that Exact refuses) drops
the division's entry (:func:`forget`), so a code added in Exact is read on the next run; ``0`` minutes
reads every run, as before.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class Reference:
    """One division's kept tables: name → (monotonic time read, value)."""

    minutes: float
    clock: Callable[[], float] = time.monotonic
    tables: dict[str, tuple[float, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, name: str, read: Callable[[], T]) -> T:
        """The table ``name`` as kept, else as ``read`` now (kept when ``minutes`` allow)."""
        with self.lock:
            kept = self.tables.get(name)
            if kept is not None and self.clock() - kept[0] < self.minutes * 60:
                return kept[1]  # type: ignore[no-any-return]
        value = read()  # outside the lock: a call may wait for the budget
        if self.minutes > 0:
            with self.lock:
                self.tables[name] = (self.clock(), value)
        return value

    def forget(self) -> None:
        """Drop every kept table: the next use reads them again."""
        with self.lock:
            self.tables.clear()


_kept: dict[str, Reference] = {}
_kept_lock = threading.Lock()


def shared(key: str, minutes: float) -> Reference:
    """This process's kept tables of one division and store (``key``), made on first use."""
    with _kept_lock:
        found = _kept.get(key)
        if found is None or found.minutes != minutes:
            found = _kept[key] = Reference(minutes)
        return found


def forget_all() -> None:
    """Drop every division's kept tables (tests that start sandboxes anew)."""
    with _kept_lock:
        _kept.clear()


def stale(error: BaseException) -> bool:
    """Whether a booking's ``error`` may come from kept tables that lack a code Exact now has, or name
    one it no longer takes: a code missing from a table, a VAT code for a rate, or Exact's refusal."""
    from tradewind.connectors.exact_online.documents import MissingCode
    from tradewind.errors import RejectedByTarget
    return isinstance(error, MissingCode | RejectedByTarget) or "VAT code" in str(error)


@contextmanager
def dropped_when_stale(reference: Reference) -> Iterator[None]:
    """Around a booking's composing and writing: an error that may come from stale tables drops them."""
    try:
        yield
    except Exception as error:
        if stale(error):
            reference.forget()
        raise
