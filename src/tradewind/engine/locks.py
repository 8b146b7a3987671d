"""One run per flow at a time, and fenced: a lease in the store, confirmed before every write.

The lease is renewed by a heartbeat while the run reads, and confirmed (with its epoch) right
before each write leaves — set as the HTTP layer's write fence for the run — so a run that was
paused past its lease and replaced makes no further write. A lease whose holder is provably
gone (same host, its process no longer exists) is taken over at once instead of after it expires.

A renewal holds for a while: nobody can take a live lease before it expires (``ttl`` after the
renewing statement ran, by the database's clock), so for a third of ``ttl`` after sending one a
write needs no renewal of its own; the heartbeat, every quarter of ``ttl``, renews. Within that
window a write to PostgreSQL still reads that the row names the run at its epoch: the server may
have gone away meanwhile, and a run must stop writing at once when nothing could bind its results.
A SQLite store is a file on this machine, which only a process here can lease, and only once the
lease expired: the window is the whole answer there (a catalogue sync writes one product a call,
and a statement per call was a tenth of the engine's own CPU between two calls). The window is
timed on a clock that keeps counting while the process is stopped (SIGSTOP, a debugger) or the
machine sleeps, so a run paused past it renews before its next write, and is refused there once
another run took over.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType

import structlog
from sqlalchemy.exc import SQLAlchemyError

from tradewind.errors import LeaseLost, StoreUnavailable
from tradewind.store import locks as repo
from tradewind.store.db import Store
from tradewind.store.locks import Claimant, Holder

LEASE_ENV = "TRADEWIND_LEASE_SECONDS"


def lease_ttl() -> timedelta:
    """How long a lease lasts without renewal: 90 s, or ``TRADEWIND_LEASE_SECONDS``."""
    return timedelta(seconds=float(os.environ.get(LEASE_ENV) or 90))


log = structlog.get_logger("tradewind.locks")

TRUSTED = 1 / 3
"""Part of the lease's ``ttl`` a confirmation in the store is relied on without asking again: the
other two thirds are margin for clocks that tick at slightly different rates."""

_CLOCK = getattr(time, "CLOCK_BOOTTIME", time.CLOCK_MONOTONIC)


def elapsed() -> float:
    """Seconds on a clock that counts while the process is stopped and, on Linux, while the machine
    sleeps (``CLOCK_BOOTTIME``): a pause shows as time passed, so a confirmation runs out during it."""
    return time.clock_gettime(_CLOCK)


def owner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def process_alive(pid: int) -> bool:
    """Whether a process with ``pid`` runs on this host (a zombie, killed but not yet reaped, is dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


_ACTIVE: set[str] = set()
"""Runs of this process that hold a lease now: a lease of this process's that is not among them
was left behind (its release failed while the database was down) and is free to take."""


def holder_alive(holder: Holder) -> bool | None:
    """True/False for a holder on this host; None when it runs elsewhere (only expiry tells)."""
    if holder.host != socket.gethostname() or holder.pid is None:
        return None
    if holder.pid == os.getpid():
        return holder.run_id in _ACTIVE
    return process_alive(holder.pid)


class FlowBusy(Exception):
    """Another live run holds the flow's lease."""

    def __init__(self, flow: str, holder: Holder | None, alive: bool | None = None) -> None:
        self.flow = flow
        self.holder = holder
        self.alive = alive
        super().__init__(f"flow {flow} is already running ({self.describe()}); this trigger is skipped")

    def describe(self) -> str:
        holder = self.holder
        if holder is None:
            return "another run"
        left = max(0, int((holder.expires_at - datetime.now(UTC)).total_seconds()))
        state = {True: "its process is alive", False: "its process is gone",
                 None: "on another host, liveness unknown"}[self.alive]
        return f"run {(holder.run_id or '')[:8]} on {holder.owner}, {state}; lease ends in {left}s unless renewed"


class FlowLease:
    """Context manager: take the flow's lease or raise :class:`FlowBusy`; renew it in the
    background; :meth:`fence` before each write raises :class:`LeaseLost` once it is not ours."""

    def __init__(self, store: Store, flow: str, run_id: str, *, ttl: timedelta | None = None,
                 heartbeat: float | None = None) -> None:
        self.store, self.flow, self.run_id = store, flow, run_id
        self.ttl = ttl or lease_ttl()
        self.heartbeat = heartbeat if heartbeat is not None else self.ttl.total_seconds() / 4
        self.owner = owner_name()
        self.epoch = 0
        self.lost = False
        self._fence: repo.Fence | None = None  # no lease taken yet: nothing may be written
        self._trusted_until = float("-inf")  # on :func:`elapsed`'s clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease:{flow}", daemon=True)

    def __enter__(self) -> FlowLease:
        who = Claimant(owner=self.owner, host=socket.gethostname(), pid=os.getpid(), run_id=self.run_id)
        sent = elapsed()
        epoch = repo.acquire(self.store, self.flow, who, self.ttl)
        if epoch is None:
            epoch = self._take_over_dead(who)
        self.epoch = epoch
        self._trusted_until = sent + self.ttl.total_seconds() * TRUSTED  # taken: as good as confirmed
        self._fence = repo.Fence(self.store, self.flow, self.run_id, epoch, self.ttl)
        _ACTIVE.add(self.run_id)
        self._thread.start()
        return self

    def _take_over_dead(self, who: Claimant) -> int:
        with self.store.begin() as conn:
            holder = repo.holder(conn, self.flow)
        alive = holder_alive(holder) if holder is not None else None
        if holder is not None and alive is False:
            epoch = repo.acquire(self.store, self.flow, who, self.ttl, take_over=holder.epoch)
            if epoch is not None:
                log.warning("lease_taken_over", flow=self.flow, dead_owner=holder.owner, dead_run=holder.run_id)
                return epoch
        raise FlowBusy(self.flow, holder, alive)

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat):
            try:
                self.confirm()
            except LeaseLost:
                log.error("lease_lost", flow=self.flow, run_id=self.run_id)
                return
            except StoreUnavailable as error:  # keep beating through a passing database hiccup
                log.warning("lease_renew_failed", flow=self.flow, error=str(error))

    def fence(self) -> None:
        """Before a write: the lease is ours at our epoch — within the trusted part of its ``ttl``
        since the last renewal (read again on PostgreSQL), renewed now after it (see the module
        docstring); :class:`LeaseLost` once it is not, :class:`StoreUnavailable` when the store does
        not answer."""
        if self.lost:
            raise LeaseLost(f"flow {self.flow} lost its lease; this run makes no further write")
        if elapsed() >= self._trusted_until:
            self.confirm()
            return
        if self._fence is not None and self._fence.local:
            return  # a file on this machine: the window is the whole answer (see the module docstring)
        try:
            ours = self._fence is not None and self._fence.holds()
        except SQLAlchemyError as error:
            raise StoreUnavailable(f"cannot confirm flow {self.flow}'s lease: {type(error).__name__}") from None
        if not ours:
            self.confirm()  # refused there, and said so once

    def confirm(self) -> None:
        """Confirm, in the store, that the lease is still ours at our epoch, and extend it (renew)."""
        if self.lost:
            raise LeaseLost(f"flow {self.flow} lost its lease; this run makes no further write")
        sent = elapsed()
        try:
            ours = self._fence is not None and self._fence()
        except SQLAlchemyError as error:
            raise StoreUnavailable(f"cannot confirm flow {self.flow}'s lease: {type(error).__name__}") from None
        if not ours:
            self.lost = True
            raise LeaseLost(f"flow {self.flow} lost its lease (another run took over); "
                            "this run makes no further write")
        self._trusted_until = max(self._trusted_until, sent + self.ttl.total_seconds() * TRUSTED)

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        _ACTIVE.discard(self.run_id)
        try:
            with self.store.begin() as conn:
                repo.release(conn, self.flow, self.run_id, self.epoch)
        except SQLAlchemyError:
            log.warning("lease_release_failed", flow=self.flow, run_id=self.run_id)
