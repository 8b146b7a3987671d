"""Call budgets per system account, shared by every flow on that account.

Exact Online counts calls per company per minute and per day; Shopify counts query cost points
in a leaky bucket. Both are modelled here and fed from the vendor's own headers on every answer,
so two flows on one Exact division never overrun its 60 calls a minute between them. When the
budget runs short, calls of lower :class:`~tradewind.connectors.base.Priority` (catalogue) wait
for the next window while orders and payments still go through: each priority but the highest
stops at a reserve of every window (:data:`RESERVE`), and callers that wait queue in a *line* per
priority, so while an order call waits no catalogue call is granted — when the window resets, the
order goes first, in whichever process or thread it waits (:func:`take_in_turn`). A cost bucket
keeps no reserve: its line alone puts a waiting order first (:func:`draw_in_turn`).

Across processes (several ``tradewind`` processes or Celery workers on one account) the figures
live in a :class:`BudgetLedger` (the store's, in :mod:`tradewind.store.budgets`): a process
reserves window calls in small blocks, so the ledger is written once per block, not per call, and
sends the vendor's latest figures along with its next reservation; it draws bucket points per call,
but only while another process uses the shop, and alone announces itself every few seconds
(:class:`CostBucket` says why). The rules a ledger applies (:func:`take_in_turn`, :func:`correct`,
:func:`give_back`, :func:`draw_in_turn`, :func:`settle_bucket`, :func:`stamp`, :func:`meet`) are
here, so every backend applies the same ones.

The priority of a call comes from a context variable the engine sets for the flow it runs.
"""

from __future__ import annotations

import base64
import contextvars
import hashlib
import math
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Protocol

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
    """A fixed call window: ``limit`` calls, ``remaining`` left, refilled at ``reset_at`` (epoch s).

    ``period`` counts the windows rolled over, so calls reserved in one window are never given
    back to a later one, even after the vendor moved ``reset_at``.
    """

    name: str
    limit: int
    seconds: float
    remaining: int
    reset_at: float
    period: int = 0

    def roll(self, now: float) -> None:
        if now >= self.reset_at:
            periods = int((now - self.reset_at) // self.seconds) + 1
            self.reset_at += periods * self.seconds
            self.period += periods
            self.remaining = self.limit


RESERVE = {Priority.HIGH: 0.0, Priority.NORMAL: 0.1, Priority.LOW: 0.2}
"""Share of each window kept back from a priority: catalogue calls stop at 20% left.

Windows only: an order call that finds a window spent waits for its reset (up to a minute), so the
reserve is what lets it through at once. A cost bucket refills continuously: an order call that
finds it drained by the catalogue stands in line, which stops every catalogue grant, and waits only
its own cost's refill (10 points at 50/s: 0.2 s) — while a reserve of 20% would cost every
catalogue sync its refill (200 points: 4 s) once."""

LINE_SECONDS = 15.0
"""How long a place in a line holds unless renewed. A waiting caller renews it at each try (at most
5 s apart), so the place of a process that died without leaving lapses within this time."""
TURN_SECONDS = 0.5
"""How long a caller waits when a more urgent caller is in line (and would itself be served)."""


def line_name(level: Priority) -> str:
    """The line of callers waiting at ``level`` (``line:high``), kept beside the windows."""
    return f"line:{level.name.lower()}"


def lines() -> list[Window]:
    """Empty lines, one per priority: a :class:`Window` whose ``remaining`` counts the callers in
    line and whose ``reset_at`` is when the last place lapses (``limit`` 0: a lapsed line is empty)."""
    return [Window(line_name(level), 0, LINE_SECONDS, 0, 0.0) for level in Priority]


def is_line(name: str) -> bool:
    return name.startswith("line:")


@dataclass
class Ticket:
    """One caller's wait for a call at ``level``: whether it stands in its line."""

    level: Priority
    queued: bool = False
    shared: bool = False
    """A cost bucket's caller stands in the ledger's line, not this process's (the bucket may switch)."""


@dataclass(frozen=True)
class Reading:
    """What one answer's headers said of window ``window``; None where they said nothing."""

    window: str
    limit: int | None = None
    remaining: int | None = None
    reset_at: float | None = None


@dataclass(frozen=True)
class Grant:
    """A ledger's answer to a reservation: ``calls`` granted (0: try again in ``wait`` seconds),
    and the shared windows as they stand after it (their ``period`` tells which windows the calls
    belong to, their ``reset_at`` when those end)."""

    calls: int
    """Calls granted; from a cost bucket, points."""
    wait: float = 0.0
    windows: tuple[Window, ...] = ()
    queued: bool = False
    """Refused, the caller now stands in its line (granted: it left it)."""

    @property
    def resets(self) -> dict[str, float]:
        return {window.name: window.reset_at for window in self.windows}

    @property
    def periods(self) -> dict[str, int]:
        return {window.name: window.period for window in self.windows}


class BudgetLedger(Protocol):
    """Where the windows of system accounts are kept for every process that calls them.

    ``scope`` names the shared figures (e.g. a hash of the database URL): one process keeps one
    :class:`WindowBudget` per account and scope. ``windows`` describe the account's windows (made
    with ``remaining = limit`` on first use); ``readings`` are vendor figures not yet passed on.
    """

    scope: str

    def reserve(self, account: str, windows: Sequence[Window], want: int, level: Priority,
                readings: Sequence[Reading] = (), queued: bool = False) -> Grant:
        """Calls by :func:`take_in_turn`; ``queued``: the caller stands in its line already."""

    def leave(self, account: str, level: Priority) -> None:
        """A caller in line at ``level`` stopped waiting without a grant."""

    def observe(self, account: str, readings: Sequence[Reading]) -> None: ...

    def release(self, account: str, periods: Mapping[str, int], calls: int) -> None: ...

    def draw(self, account: str, bucket: Window, points: int, level: Priority, back: int = 0,
             status: Throttle | None = None, queued: bool = False) -> Grant:
        """``points`` from the account's cost bucket (made from ``bucket`` on first use) by
        :func:`draw_in_turn`, after :func:`settle_bucket` with what the caller passes on."""

    def settle(self, account: str, back: int, status: Throttle | None) -> None:
        """:func:`settle_bucket` on its own: points given back, the vendor's figure."""

    def announce(self, account: str, who: str, bucket: Window, held: Holding | None = None, back: int = 0,
                 status: Throttle | None = None) -> Meeting:
        """Process ``who`` uses the account's cost bucket (made from ``bucket`` on first use): its
        presence is stamped, what it owes settled, and :func:`meet` says whether it draws alone."""

    def depart(self, account: str, who: str, held: Holding | None = None, back: int = 0,
               status: Throttle | None = None) -> None:
        """Process ``who`` stops using the bucket for now: what it owes and holds goes back, its
        presence goes."""


def floor(window: Window, level: Priority) -> int:
    """Calls of ``window`` kept back from ``level``."""
    return int(window.limit * RESERVE[level])


def take(windows: Sequence[Window], want: int, level: Priority, now: float) -> Grant:
    """Take up to ``want`` calls from every window at once, above ``level``'s reserve.

    Fewer when little is left (a quarter of the headroom, at least one), so one process does not
    sit on calls another needs; none, with the wait until the tightest window resets, when a
    window is at its reserve.
    """
    for window in windows:
        window.roll(now)
    headroom = min((window.remaining - floor(window, level) for window in windows), default=want)
    if headroom <= 0:
        wait = max(window.reset_at - now for window in windows if window.remaining <= floor(window, level))
        return Grant(0, wait=wait, windows=_copies(windows))
    calls = min(want, max(1, headroom // 4))
    for window in windows:
        window.remaining -= calls
    return Grant(calls, windows=_copies(windows))


def take_in_turn(windows: Sequence[Window], queues: Mapping[str, Window], want: int, level: Priority, now: float,
                 queued: bool = False) -> Grant:
    """:func:`take`, in turn: nothing for ``level`` while a more urgent caller stands in line.

    A caller refused takes (or renews) its place in its own line; granted, it leaves it. So when a
    window runs dry and resets, the order call that waited is served before any catalogue call that
    waited with it, whichever asks first; the catalogue is told to try again shortly.
    ``queues`` are the account's :func:`lines` by name.
    """
    for queue in queues.values():
        queue.roll(now)
    own = queues[line_name(level)]
    ahead = any(queues[line_name(other)].remaining > 0 for other in Priority if other < level)
    if ahead:
        for window in windows:
            window.roll(now)
        _stand(own, queued, now)
        wait = max([TURN_SECONDS, *(w.reset_at - now for w in windows if w.remaining <= floor(w, level))])
        return Grant(0, wait=wait, windows=_copies(windows), queued=True)
    grant = take(windows, want, level, now)
    if grant.calls:
        if queued:
            own.remaining = max(0, own.remaining - 1)
        return grant
    _stand(own, queued, now)
    return replace(grant, queued=True)


def _stand(line: Window, queued: bool, now: float) -> None:
    """Take a place in ``line`` (or renew it: a lapsed line still holds the one renewing)."""
    line.remaining = max(1, line.remaining) if queued else line.remaining + 1
    line.reset_at = now + line.seconds


def step_out(line: Window, now: float) -> None:
    """Leave ``line`` without a grant."""
    line.roll(now)
    line.remaining = max(0, line.remaining - 1)


def correct(window: Window, reading: Reading, now: float) -> None:
    """Correct a shared window from the vendor's figures.

    A reading of a window already over is ignored. A higher limit adds its difference. The vendor's
    reset wins. Its remaining is an upper bound, as calls reserved elsewhere and not yet made still
    count as remaining for the vendor: so the lower figure wins, and a stale answer never gives
    calls back.
    """
    window.roll(now)
    if reading.reset_at is not None and reading.reset_at <= now:
        return
    if reading.limit is not None and reading.limit != window.limit:
        window.remaining = max(0, window.remaining + reading.limit - window.limit)
        window.limit = reading.limit
    if reading.reset_at is not None:
        window.reset_at = reading.reset_at
    if reading.remaining is not None:
        window.remaining = max(0, min(window.remaining, reading.remaining))


def give_back(window: Window, period: int, calls: int, now: float) -> None:
    """Return calls reserved in window ``period`` and not made, if that window is still running."""
    window.roll(now)
    if window.period == period:
        window.remaining = min(window.limit, window.remaining + calls)


def _copies(windows: Sequence[Window]) -> tuple[Window, ...]:
    return tuple(replace(window) for window in windows)


# -- a cost bucket as a ledger row -----------------------------------------------------------------

BUCKET = "points"
"""The name of an account's cost bucket beside its lines: a :class:`Window` that refills all the
time — ``limit`` points at most, full ``seconds`` after empty, ``remaining`` whole points counted
at ``reset_at`` (refill runs from there; the fraction of a point earned stays in that stamp)."""


@dataclass(frozen=True)
class Throttle:
    """The vendor's bucket as an answer left it (Shopify's ``throttleStatus``)."""

    maximum: float
    available: float
    restore_rate: float

    def after(self, seconds: float) -> Throttle:
        """The same bucket ``seconds`` later, refilled (what a reading passed on later stands for)."""
        return replace(self, available=min(self.maximum, self.available + max(0.0, seconds) * self.restore_rate))


def bucket_row(maximum: float, restore_rate: float) -> Window:
    """A full bucket row, as made on first use (its stamp is set by the first :func:`fill`)."""
    return Window(BUCKET, int(maximum), maximum / restore_rate, int(maximum), 0.0)


def fill(bucket: Window, now: float) -> None:
    """Refill ``bucket`` to ``now`` at ``limit / seconds`` points a second, in whole points."""
    rate = bucket.limit / bucket.seconds
    gained = int(max(0.0, now - bucket.reset_at) * rate + 1e-6)  # 0.02 s × 50 is 0.999… in floats
    if bucket.remaining + gained >= bucket.limit:
        bucket.remaining, bucket.reset_at = bucket.limit, now
    else:
        bucket.remaining += gained
        bucket.reset_at += gained / rate


def draw_in_turn(bucket: Window, queues: Mapping[str, Window], points: int, level: Priority, now: float,
                 queued: bool = False) -> Grant:
    """``points`` from ``bucket`` at once, in turn: none while a more urgent caller stands in line.

    No reserve is kept back (see :data:`RESERVE`): the line alone puts a waiting order first. A
    caller refused takes (or renews) its place in its line and is told how long the refill to its
    points takes; granted, it leaves the line. A call costing more than the bucket holds when full
    is granted the full bucket (the vendor refuses such a query anyway, with its own message).
    """
    for queue in queues.values():
        queue.roll(now)
    fill(bucket, now)
    points = min(points, bucket.limit)
    own = queues[line_name(level)]
    ahead = any(queues[line_name(other)].remaining > 0 for other in Priority if other < level)
    if not ahead and bucket.remaining >= points:
        bucket.remaining -= points
        if queued:
            own.remaining = max(0, own.remaining - 1)
        return Grant(points, windows=(replace(bucket),))
    _stand(own, queued, now)
    refill = max(0.0, (points - bucket.remaining) * bucket.seconds / bucket.limit - (now - bucket.reset_at))
    return Grant(0, wait=max(refill, TURN_SECONDS) if ahead else refill, windows=(replace(bucket),), queued=True)


def settle_bucket(bucket: Window, back: int, status: Throttle | None, now: float) -> None:
    """Correct a bucket row after answers: ``back`` points drawn and not spent return, then the
    vendor's figure (refilled to the moment it is passed on: :meth:`Throttle.after`) bounds it.

    A new maximum adds its difference, a new restore rate holds from now. The vendor's available
    points are an upper bound, as points drawn elsewhere for calls not yet answered still count as
    available for the vendor: so the lower figure wins (another app's calls, or a THROTTLED answer,
    lower it; points drawn and not yet given back come back with ``back``, never from a reading).
    """
    fill(bucket, now)
    bucket.remaining = min(bucket.limit, bucket.remaining + back)
    if status is None:
        return
    maximum = int(status.maximum)
    if maximum > 0 and maximum != bucket.limit:
        bucket.remaining = max(0, bucket.remaining + maximum - bucket.limit)
        bucket.limit = maximum
    if status.restore_rate > 0:
        bucket.seconds = bucket.limit / status.restore_rate
    bucket.remaining = max(0, min(bucket.remaining, int(status.available)))


# -- presence: the ledger's bucket is drawn from only while several processes use the shop ---------

PRESENCE = 2.0
"""Seconds between a bucket's announcements of its process to the ledger (by the bucket's clock,
with a call: no thread), and the longest a newly started process goes unseen by one already alone."""
GONE = 3 * PRESENCE
"""A process not announced for this long has left the shop (or is stuck in one long call)."""
HOLD = 1.5 * PRESENCE
"""How long a process alone holds the ledger's bucket: past its next announcement, with a margin."""
PRESENT = "presence:"
"""Rows ``presence:<who>`` (:func:`presence_row`) beside an account's bucket and lines."""


def presence_row(who: str, now: float) -> Window:
    """Process ``who`` is present until ``reset_at`` (the table's ``window`` holds 20 characters:
    ``who`` is 11)."""
    return Window(PRESENT + who, 0, GONE, 0, now + GONE)


def is_presence(name: str) -> bool:
    return name.startswith(PRESENT)


def process_id() -> str:
    """11 characters naming this process on this host, and a nonce: each bucket is its own party
    (two in one process, as tests make, do not see themselves as one)."""
    seed = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(8)}".encode()
    return base64.urlsafe_b64encode(hashlib.sha256(seed).digest()).decode()[:11]


def stamp(presence: Mapping[str, Window], who: str, now: float) -> tuple[Window, bool, list[str]]:
    """``who``'s presence row renewed, whether another process is present, and the rows of those
    gone (to delete)."""
    own = presence_row(who, now)
    others = any(row.reset_at > now for name, row in presence.items() if name != own.name)
    gone = [name for name, row in presence.items() if row.reset_at <= now and name != own.name]
    return own, others, gone


@dataclass(frozen=True)
class Holding:
    """What a process alone hands back: its own figure of the bucket (``available`` as it stands),
    and until when (ledger's clock) it holds the ledger's bucket."""

    figure: Throttle
    until: float


@dataclass(frozen=True)
class Meeting:
    """A ledger's answer to an announcement: whether another process uses the bucket (draw through
    the ledger), else the bucket as it stood before this process's hold (the figure to start from),
    held until ``held_until``."""

    shared: bool
    bucket: Window
    held_until: float | None = None


def meet(bucket: Window, others: bool, held: Holding | None, now: float) -> Meeting:
    """A process announced itself: with others present it draws through the ledger, handing back
    the bucket it held alone (:func:`hand_back`); alone it holds the bucket (:func:`hold`)."""
    if others:
        if held is not None:
            hand_back(bucket, held, now)
        return Meeting(True, replace(bucket))
    return Meeting(False, hold(bucket, now), now + HOLD)


def hold(bucket: Window, now: float) -> Window:
    """The bucket, held by a process alone until ``now + HOLD``: its figure as it stands, then
    empty and refilling from ``now + HOLD`` only. A process arriving meanwhile draws nothing until
    the holder's next announcement (at most :data:`PRESENCE` away) sees it and hands the bucket
    back, so the points the holder draws without the ledger are never drawn twice."""
    fill(bucket, now)
    figure = replace(bucket)
    bucket.remaining, bucket.reset_at = 0, now + HOLD
    return figure


def hand_back(bucket: Window, held: Holding, now: float) -> None:
    """The holder's own figure (Shopify's last ``throttleStatus``, brought forward by its own draws
    and refill) becomes the ledger's. Within the hold nobody else drew, so it replaces the row;
    after it (the holder was idle past it) others may have drawn from the row's refill since, so
    the lower figure wins (:func:`settle_bucket`)."""
    if now >= held.until:
        settle_bucket(bucket, 0, held.figure, now)
        return
    if held.figure.maximum > 0 and held.figure.restore_rate > 0:
        bucket.limit = int(held.figure.maximum)
        bucket.seconds = bucket.limit / held.figure.restore_rate
    bucket.remaining, bucket.reset_at = max(0, min(bucket.limit, int(held.figure.available))), now


@dataclass
class MemoryLedger:
    """A :class:`BudgetLedger` in this process's memory: for tests, and the rules' plainest use."""

    clock: Clock = time.time
    scope: str = "memory"
    rows: dict[tuple[str, str], Window] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _rows(self, account: str, names: Sequence[str]) -> list[Window]:
        return [self.rows[account, name] for name in names if (account, name) in self.rows]

    def _lines(self, account: str) -> dict[str, Window]:
        for line in lines():
            self.rows.setdefault((account, line.name), line)
        return {line.name: self.rows[account, line.name] for line in lines()}

    def reserve(self, account: str, windows: Sequence[Window], want: int, level: Priority,
                readings: Sequence[Reading] = (), queued: bool = False) -> Grant:
        with self.lock:
            for spec in windows:
                self.rows.setdefault((account, spec.name), replace(spec, remaining=spec.limit))
            self._correct(account, readings)
            return take_in_turn(self._rows(account, [spec.name for spec in windows]), self._lines(account), want,
                                level, self.clock(), queued)

    def leave(self, account: str, level: Priority) -> None:
        with self.lock:
            step_out(self._lines(account)[line_name(level)], self.clock())

    def observe(self, account: str, readings: Sequence[Reading]) -> None:
        with self.lock:
            self._correct(account, readings)

    def release(self, account: str, periods: Mapping[str, int], calls: int) -> None:
        with self.lock:
            for window in self._rows(account, list(periods)):
                give_back(window, periods[window.name], calls, self.clock())

    def _correct(self, account: str, readings: Sequence[Reading]) -> None:
        for reading in readings:
            for window in self._rows(account, [reading.window]):
                correct(window, reading, self.clock())

    def draw(self, account: str, bucket: Window, points: int, level: Priority, back: int = 0,
             status: Throttle | None = None, queued: bool = False) -> Grant:
        with self.lock:
            row = self.rows.setdefault((account, bucket.name), replace(bucket, remaining=bucket.limit))
            settle_bucket(row, back, status, self.clock())
            return draw_in_turn(row, self._lines(account), points, level, self.clock(), queued)

    def settle(self, account: str, back: int, status: Throttle | None) -> None:
        with self.lock:
            if (account, BUCKET) in self.rows:
                settle_bucket(self.rows[account, BUCKET], back, status, self.clock())

    def announce(self, account: str, who: str, bucket: Window, held: Holding | None = None, back: int = 0,
                 status: Throttle | None = None) -> Meeting:
        with self.lock:
            now = self.clock()
            row = self.rows.setdefault((account, bucket.name), replace(bucket, remaining=bucket.limit))
            self._lines(account)
            settle_bucket(row, back, status, now)
            own, others, gone = stamp(self._presence(account), who, now)
            self.rows[account, own.name] = own
            for name in gone:
                del self.rows[account, name]
            return meet(row, others, held, now)

    def depart(self, account: str, who: str, held: Holding | None = None, back: int = 0,
               status: Throttle | None = None) -> None:
        with self.lock:
            self.rows.pop((account, presence_row(who, 0.0).name), None)
            if (account, BUCKET) in self.rows:
                row = self.rows[account, BUCKET]
                settle_bucket(row, back, status, self.clock())
                if held is not None:
                    hand_back(row, held, self.clock())

    def _presence(self, account: str) -> dict[str, Window]:
        return {name: row for (owner, name), row in self.rows.items() if owner == account and is_presence(name)}


@dataclass
class Held:
    """Calls reserved from a ledger and not yet made, in windows ``periods`` ending at ``resets``."""

    calls: int
    resets: dict[str, float]
    periods: dict[str, int]


@dataclass
class WindowBudget:
    """Calls-per-window budget (minute and day), corrected from the vendor's headers.

    ``acquire`` blocks until a call may be made; ``observe`` takes the vendor's own count. Without a
    ``ledger`` the windows are this process's; with one they are shared under ``account``: calls are
    reserved a ``block`` at a time, kept per priority (a block reserved for catalogue calls obeyed
    the catalogue's reserve, so any call may use it; a block reserved for orders serves only calls
    as urgent), and handed back by :meth:`release`.
    """

    windows: list[Window]
    clock: Clock = time.time
    sleep: Sleep = time.sleep
    lock: threading.Condition = field(default_factory=threading.Condition)
    waited: float = 0.0
    ledger: BudgetLedger | None = None
    account: str = ""
    block: int | None = None
    """Calls reserved at a time; None: 5, or a twelfth of the tightest window when that is more
    (a lifted limit then costs the ledger a write per thousands of calls, not per five)."""
    held: dict[Priority, Held] = field(default_factory=dict)
    readings: dict[str, Reading] = field(default_factory=dict)
    queues: dict[str, Window] = field(default_factory=lambda: {line.name: line for line in lines()})
    """This process's lines of waiting callers (without a ledger; with one, the ledger's)."""

    @classmethod
    def per_minute_and_day(cls, per_minute: int, per_day: int, clock: Clock = time.time,
                           sleep: Sleep = time.sleep, *, ledger: BudgetLedger | None = None,
                           account: str = "") -> WindowBudget:
        now = clock()
        return cls(
            windows=[
                Window("minute", per_minute, 60.0, per_minute, now - now % 60 + 60),
                Window("day", per_day, 86400.0, per_day, now - now % 86400 + 86400),
            ],
            clock=clock,
            sleep=sleep,
            ledger=ledger,
            account=account,
        )

    def acquire(self, level: Priority | None = None) -> None:
        ticket = Ticket(current_priority.get() if level is None else level)
        try:
            while (wait := self.attempt(ticket)) > 0:
                self.waited += wait
                self.sleep(min(wait, 5.0) + 0.01)
        finally:
            if ticket.queued:
                self.leave(ticket)

    def attempt(self, ticket: Ticket) -> float:
        """One try for a call at ``ticket.level``: 0 when granted, else the seconds to wait before
        the next try (the ticket then stands in its line, which a more urgent one's stand holds
        back). :meth:`acquire` loops over it; a caller that gives up calls :meth:`leave`."""
        with self.lock:
            if self.ledger is None:
                grant = take_in_turn(self.windows, self.queues, 1, ticket.level, self.clock(), ticket.queued)
                ticket.queued = grant.queued
                return 0.0 if grant.calls else grant.wait
            return self._take_shared(self.ledger, ticket)

    def leave(self, ticket: Ticket) -> None:
        """``ticket`` stops waiting without a call: its place in line goes."""
        with self.lock:
            if ticket.queued:
                if self.ledger is None:
                    step_out(self.queues[line_name(ticket.level)], self.clock())
                else:
                    self.ledger.leave(self.account, ticket.level)
                ticket.queued = False

    def _take_shared(self, ledger: BudgetLedger, ticket: Ticket) -> float:
        """One call from a held block, else a new block from the ledger; the wait when refused."""
        level = ticket.level
        self._drop_ended(ledger)
        for held_level in sorted(self.held, reverse=True):
            held = self.held[held_level]
            if held_level >= level and held.calls > 0:
                held.calls -= 1
                if ticket.queued:
                    ledger.leave(self.account, level)
                    ticket.queued = False
                return 0.0
        readings = list(self.readings.values())
        self.readings.clear()
        grant = ledger.reserve(self.account, self.windows, self._want(), level, readings, ticket.queued)
        ticket.queued = grant.queued
        self.windows = [replace(window) for window in grant.windows] or self.windows
        if not grant.calls:
            return max(grant.wait, 0.01)
        self.held[level] = Held(grant.calls - 1, grant.resets, grant.periods)
        return 0.0

    def _want(self) -> int:
        if self.block is not None:
            return self.block
        return max(5, min((window.limit for window in self.windows), default=5) // 12)

    def _drop_ended(self, ledger: BudgetLedger) -> None:
        """Blocks of a window that has ended are dropped; what they held goes back to the windows
        still running (a block of the ended minute still counts against the day)."""
        now = self.clock()
        for level, held in list(self.held.items()):
            if min(held.resets.values(), default=now) <= now:
                del self.held[level]
                if held.calls:
                    ledger.release(self.account, held.periods, held.calls)

    def release(self) -> None:
        """Pass the vendor's last figures on and hand calls reserved and not made back to the
        ledger (when a connection closes)."""
        with self.lock:
            if self.ledger is None:
                return
            if self.readings:
                self.ledger.observe(self.account, list(self.readings.values()))
                self.readings.clear()
            self._give_back(self.ledger)

    def _give_back(self, ledger: BudgetLedger) -> None:
        held, self.held = self.held, {}
        for block in held.values():
            if block.calls:
                ledger.release(self.account, block.periods, block.calls)

    def _held_calls(self) -> int:
        return sum(held.calls for held in self.held.values())

    def observe(self, name: str, *, limit: int | None, remaining: int | None, reset_at: float | None) -> None:
        """Take the vendor's figures for window ``name``; they win over our own count.

        With a ledger they travel with the next reservation, less the calls this process holds
        (the vendor counts those as remaining, but they are ours).
        """
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
            if self.ledger is not None:
                free = None if remaining is None else max(0, remaining - self._held_calls())
                self._note(Reading(name, limit=limit, remaining=free, reset_at=reset_at))

    def _note(self, reading: Reading) -> None:
        """Keep a reading for the ledger; held calls end when the vendor says their window ends."""
        self.readings[reading.window] = reading
        if reading.reset_at is not None and reading.reset_at > self.clock():
            for held in self.held.values():
                if reading.window in held.resets:
                    held.resets[reading.window] = reading.reset_at

    def exhausted(self, name: str, reset_at: float | None) -> None:
        """The vendor answered 429 for window ``name``: nothing is left until ``reset_at``.

        With a ledger, held calls go back first (the day still has them) and the window is marked
        empty at once for every process.
        """
        with self.lock:
            reset_at = None if reset_at is None else max(reset_at, self.clock())
            for window in self.windows:
                if window.name == name:
                    window.remaining = 0
                    if reset_at is not None:
                        window.reset_at = reset_at
            if self.ledger is not None:
                self._give_back(self.ledger)
                self.readings.pop(name, None)
                self.ledger.observe(self.account, [Reading(name, remaining=0, reset_at=reset_at)])


@dataclass
class CostBucket:
    """A leaky bucket of cost points (Shopify GraphQL): ``available`` points, refilled at ``restore_rate``/s.

    ``acquire(cost)`` waits until the bucket holds ``cost`` points and no more urgent call waits;
    :meth:`settle` takes what the answer said (points spent, the vendor's ``throttleStatus``). Without
    the line, a catalogue call needing less than a waiting order page (a ``productSet`` against 700
    points of orders) would take the points each time they came back. No reserve is kept back from
    the catalogue (:data:`RESERVE` says why).

    Without a ``ledger`` the bucket is this process's. With one it is shared under ``account`` by
    every process on the shop, but drawn from through the ledger only while another process uses
    the shop. Almost always one process does (``tradewind serve`` runs its flows as threads, which
    this bucket and its lines serve), and a draw through the ledger (one short transaction: ≈0.5 ms
    CPU on SQLite, ≈2 ms on PostgreSQL) would cost a catalogue sync of 1,000 products half a second
    of CPU. So a process alone draws here, as without a ledger, and only announces itself
    (:meth:`announce`): at most once every :data:`PRESENCE` seconds, with a call, in one transaction
    that stamps its presence, says whether another process announced itself within :data:`GONE`,
    and, alone, *holds* the ledger's bucket (:func:`hold`: empty for others until just past its
    next announcement). While another process is present, every call draws its points from the
    ledger; switching to that, the process first hands the ledger its own figure (Shopify's last
    ``throttleStatus`` brought forward by its draws and the refill: :func:`hand_back`), so the
    shared figure starts from the truth; when the others have been gone for :data:`GONE`, it takes
    the ledger's figure and draws here again.

    A newly started process goes unseen by one alone until the latter's next call, at most
    :data:`PRESENCE` later (a process making no call draws nothing, and its hold lapses). That is
    acceptable because the newcomer draws nothing meanwhile: the bucket it draws from is held, and
    its first call waits at most :data:`HOLD` and its points' refill. Where the hold fails (the
    clocks of two hosts apart by more than its margin), a little is overdrawn, a few seconds' refill
    at most, and nothing is lost: every answer's ``throttleStatus`` corrects each process, and a
    THROTTLED answer is waited out by the transport, never a failed record.

    Shared, points are drawn per call, not in blocks as :class:`WindowBudget` reserves: points held
    in a block would not lapse as a window's calls do (a leaky bucket never resets, and the ledger's
    figure, capped at the maximum, forgets a block held while the shop's bucket is full, so the block
    would be spent twice), and a catalogue's block would keep points from an order waiting in
    another process. What an answer says travels with the process's next draw; a give-back of
    :data:`FLUSH_SHARE` of the bucket or more (a query's requested cost less its actual: hundreds of
    points for a page of orders) is written at once, so a process busy elsewhere does not sit on
    points others wait for.
    """

    maximum: float = 1000.0
    restore_rate: float = 50.0
    available: float = 1000.0
    clock: Clock = time.monotonic
    sleep: Sleep = time.sleep
    stamp: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)
    waited: float = 0.0
    waiting: dict[Priority, int] = field(default_factory=dict)
    """Callers waiting here, by priority (while shared, they stand in the ledger's lines)."""
    ledger: BudgetLedger | None = None
    account: str = ""
    back: float = 0.0
    """Points drawn from the ledger and not spent, not yet handed back."""
    status: Throttle | None = None
    """The vendor's last figure not yet passed on to the ledger, read at ``status_at``."""
    status_at: float = 0.0
    who: str = field(default_factory=process_id)
    """This process (and bucket) to the ledger; renewed in a forked child (:attr:`pid`)."""
    pid: int = field(default_factory=os.getpid)
    shared: bool = False
    """Another process uses the shop: calls draw through the ledger."""
    announced: float | None = None
    """When (bucket's clock) this process last announced itself; None: at its next call."""
    held_until: float | None = None
    """Alone, when (ledger's clock) this process's hold on the ledger's bucket ends."""

    def _refill(self) -> None:
        now = self.clock()
        self.available = min(self.maximum, self.available + (now - self.stamp) * self.restore_rate)
        self.stamp = now

    def acquire(self, cost: float, level: Priority | None = None) -> None:
        ticket = Ticket(current_priority.get() if level is None else level)
        try:
            while (wait := self.attempt(cost, ticket)) > 0:
                self.waited += wait
                # with a ledger, try again at least every PRESENCE s: a place in its line lapses
                # unless renewed, and this process's presence unless announced
                self.sleep((wait if self.ledger is None else min(wait, PRESENCE)) + 0.01)
        finally:
            if ticket.queued:  # a call granted at once never stood in line: nothing to leave
                self.leave(ticket)

    def attempt(self, cost: float, ticket: Ticket) -> float:
        """One try for ``cost`` points: 0 when taken, else the seconds to wait (the ticket then
        stands in line; while a more urgent one does, no point goes to ``ticket``)."""
        if self.ledger is not None:
            self.announce()
            if self.shared:
                return self._draw(self.ledger, cost, ticket)
            if ticket.queued and ticket.shared:
                self.leave(ticket)  # it stood in the ledger's line; from now on in this process's
        level = ticket.level
        needed = min(cost, self.maximum)
        with self.lock:
            self._refill()
            ahead = any(count for other, count in self.waiting.items() if other < level)
            if not ahead and self.available >= needed:
                self.available -= cost
                self._step_out(ticket)
                return 0.0
            if not ticket.queued:
                self.waiting[level] = self.waiting.get(level, 0) + 1
                ticket.queued, ticket.shared = True, False
            wait = max(0.0, (needed - self.available) / self.restore_rate)
            return max(wait, TURN_SECONDS) if ahead else wait

    def announce(self, force: bool = False) -> None:
        """Announce this process to the ledger if :data:`PRESENCE` seconds have passed since it last
        did (or ``force``), and draw alone or shared from now on as the ledger says (:func:`meet`)."""
        ledger = self.ledger
        with self.lock:
            if ledger is None:
                return
            if os.getpid() != self.pid:  # a forked child: the parent's presence and hold are not its own
                self.who, self.pid, self.announced, self.held_until = process_id(), os.getpid(), None, None
                self.back, self.status = 0.0, None
            now = self.clock()
            if not force and self.announced is not None and now - self.announced < PRESENCE:
                return
            self.announced = now
            spec = bucket_row(self.maximum, self.restore_rate)
            meeting = ledger.announce(self.account, self.who, spec, self._holding(), *self._owed())
            if not meeting.shared and self.held_until is None:  # alone from now on: start from the ledger's figure
                row = meeting.bucket
                self.maximum, self.restore_rate = float(row.limit), row.limit / row.seconds
                self.available, self.stamp = float(row.remaining), now
            self.shared, self.held_until = meeting.shared, meeting.held_until

    def _holding(self) -> Holding | None:
        """This process's figure, if it holds the ledger's bucket (alone)."""
        if self.held_until is None:
            return None
        self._refill()
        return Holding(Throttle(self.maximum, self.available, self.restore_rate), self.held_until)

    def _draw(self, ledger: BudgetLedger, cost: float, ticket: Ticket) -> float:
        """One draw of ``cost`` points from the ledger, passing on what earlier answers said."""
        if ticket.queued and not ticket.shared:
            self.leave(ticket)  # it stood in this process's line; from now on in the ledger's
        with self.lock:
            back, status = self._owed()
            spec = bucket_row(self.maximum, self.restore_rate)
            grant = ledger.draw(self.account, spec, math.ceil(cost), ticket.level, back, status, ticket.queued)
            ticket.queued, ticket.shared = grant.queued, True
            for row in grant.windows:  # this process's view of the shared bucket, for status and tests
                self.maximum, self.restore_rate = float(row.limit), row.limit / row.seconds
                self.available, self.stamp = float(row.remaining), self.clock()
            return 0.0 if grant.calls else max(grant.wait, 0.01)

    def _owed(self) -> tuple[int, Throttle | None]:
        """What this process owes the ledger, taken: whole points given back (the fraction stays),
        and the vendor's last figure as it stands now."""
        back = int(self.back)
        self.back -= back
        status, self.status = self.status, None
        return back, None if status is None else status.after(self.clock() - self.status_at)

    def leave(self, ticket: Ticket) -> None:
        with self.lock:
            if ticket.queued and ticket.shared and self.ledger is not None:
                self.ledger.leave(self.account, ticket.level)
                ticket.queued = False
            self._step_out(ticket)

    def _step_out(self, ticket: Ticket) -> None:
        if ticket.queued:
            self.waiting[ticket.level] = max(0, self.waiting.get(ticket.level, 0) - 1)
            ticket.queued = False

    def refund(self, points: float) -> None:
        with self.lock:
            self.available = min(self.maximum, self.available + points)

    def observe(self, *, maximum: float, available: float, restore_rate: float) -> None:
        """The vendor's bucket: it replaces ours, or shared, corrects the ledger's (:meth:`settle`)."""
        if self.shared:
            self.settle(0.0, 0.0, Throttle(maximum, available, restore_rate))
            return
        with self.lock:
            self.maximum, self.available, self.restore_rate = maximum, available, restore_rate
            self.stamp = self.clock()

    def settle(self, acquired: float, spent: float, status: Throttle | None) -> None:
        """After an answer: ``acquired`` points were taken for the call, ``spent`` of them spent (0
        when it was THROTTLED or failed), ``status`` the vendor's bucket after it, if it said.

        Drawing here, the vendor's figure replaces ours (it counts its own give-back), or without
        one the points not spent come back. Shared, both are kept for the next draw, and written at
        once when the give-back is :data:`FLUSH_SHARE` of the bucket or more.
        """
        unspent = max(0.0, acquired - spent)
        if not self.shared:
            if status is not None:
                self.observe(maximum=status.maximum, available=status.available, restore_rate=status.restore_rate)
            else:
                self.refund(unspent)
            return
        with self.lock:
            self.back += unspent
            if status is not None:
                self.status, self.status_at = status, self.clock()
            if self.back >= self.maximum * FLUSH_SHARE and self.ledger is not None:
                self.ledger.settle(self.account, *self._owed())

    def release(self) -> None:
        """When a connection closes: what the answers said, and the bucket this process holds
        alone, go to the ledger, and the process leaves it (its next call announces it again)."""
        with self.lock:
            if self.ledger is None:
                return
            if self.announced is not None:
                self.ledger.depart(self.account, self.who, self._holding(), *self._owed())
                self.announced = self.held_until = None
            elif self.back >= 1 or self.status is not None:
                self.ledger.settle(self.account, *self._owed())


FLUSH_SHARE = 0.05
"""Share of a shared bucket that, given back after one answer, is written to the ledger at once
rather than with the next draw (50 points of Shopify's 1,000: a second of its refill)."""


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
