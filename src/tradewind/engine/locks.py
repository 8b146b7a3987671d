"""One run per flow at a time: a lease in the store, renewed by a heartbeat while the run lives."""

from __future__ import annotations

import os
import socket
import threading
from datetime import timedelta
from types import TracebackType

import structlog

from tradewind.errors import IntegrityError
from tradewind.store import locks as repo
from tradewind.store.db import Store

LEASE = timedelta(seconds=90)
HEARTBEAT = 20.0

log = structlog.get_logger("tradewind.locks")


def owner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class FlowBusy(Exception):
    """Another live run holds the flow's lease."""

    def __init__(self, flow: str, holder: tuple[str, str | None] | None) -> None:
        self.flow = flow
        self.holder = holder
        who = f"run {holder[1]} on {holder[0]}" if holder else "another run"
        super().__init__(f"flow {flow} is already running ({who}); this trigger is skipped")


class FlowLease:
    """Context manager: take the flow's lease or raise :class:`FlowBusy`; renew it in the
    background; ``check()`` raises IntegrityError if it was lost (then we must stop writing)."""

    def __init__(self, store: Store, flow: str, run_id: str, *, ttl: timedelta = LEASE,
                 heartbeat: float = HEARTBEAT) -> None:
        self.store, self.flow, self.run_id, self.ttl, self.heartbeat = store, flow, run_id, ttl, heartbeat
        self.owner = owner_name()
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease:{flow}", daemon=True)

    def __enter__(self) -> FlowLease:
        if not repo.acquire(self.store, self.flow, self.owner, self.run_id, self.ttl):
            with self.store.begin() as conn:
                raise FlowBusy(self.flow, repo.holder(conn, self.flow))
        self._thread.start()
        return self

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat):
            try:
                with self.store.begin() as conn:
                    if not repo.renew(conn, self.flow, self.run_id, self.ttl):
                        self.lost = True
                        log.error("lease_lost", flow=self.flow, run_id=self.run_id)
                        return
            except Exception as error:  # noqa: BLE001 - keep beating through a passing database hiccup
                log.warning("lease_renew_failed", flow=self.flow, error=str(error))

    def check(self) -> None:
        if self.lost:
            raise IntegrityError(f"flow {self.flow} lost its lease; stopping before writing more")

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        with self.store.begin() as conn:
            repo.release(conn, self.flow, self.run_id)
