"""Shared machinery of the sandboxes: call counting, fault injection, rate-limit windows.

Every sandbox wraps its vendor routes in :class:`KitMiddleware`. The middleware

* counts each vendor call (method + path) so tests and benchmarks can compare calls made
  with the minimum needed;
* applies queued faults (an HTTP status with the vendor's error body, or a delay longer than
  the client's timeout) before the vendor route sees the request;
* serves a small control plane under ``/_sandbox/`` that is *not* part of any vendor API:

  ``GET  /_sandbox/calls``   → ``{"total": n, "by_route": {"GET /path": n}}``
  ``POST /_sandbox/reset-calls``
  ``POST /_sandbox/faults``  ← ``{"status": 503, "times": 1, "path_contains": "Items",
  "delay": 0, "retry_after": 2}``
  ``POST /_sandbox/seed``    ← sandbox-specific seed document (delegated to ``seed``)
  ``GET  /_sandbox/state``   → sandbox-specific dump (delegated to ``dump``)

Rate limits differ per vendor, so each sandbox applies its own rules with the two helpers
here: :class:`FixedWindow` (calls per window, Exact Online style) and :class:`LeakyBucket`
(cost points restored per second, Shopify GraphQL style).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

CONTROL_PREFIX = "/_sandbox"


@dataclass
class Fault:
    """One injected fault: answer ``status`` (or stall ``delay`` seconds) ``times`` times."""

    status: int = 503
    times: int = 1
    path_contains: str | None = None
    delay: float = 0.0
    retry_after: float | None = None
    body: Any = None

    def matches(self, path: str) -> bool:
        return self.path_contains is None or self.path_contains in path


ErrorBody = Callable[[int, str], Any]


@dataclass
class Kit:
    """State shared by a sandbox's middleware and routes."""

    error_body: ErrorBody = lambda status, message: {"error": message}
    calls: Counter[str] = field(default_factory=Counter)
    faults: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def count(self, method: str, path: str) -> None:
        with self.lock:
            self.calls[f"{method} {path}"] += 1

    def reset_calls(self) -> None:
        with self.lock:
            self.calls.clear()

    def inject(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def fault_response(self, fault: Fault) -> Response:
        reason = _REASONS.get(fault.status, "Injected fault")
        body = fault.body if fault.body is not None else self.error_body(fault.status, reason)
        headers = {"Retry-After": _fmt(fault.retry_after)} if fault.retry_after is not None else {}
        return JSONResponse(body, status_code=fault.status, headers=headers)


_REASONS = {
    429: "Too many requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


def _fmt(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:.1f}"


Seeder = Callable[[Any], Any]
Dumper = Callable[[], Any]


class KitMiddleware:
    """ASGI middleware: control plane, call counting and fault injection around a vendor app."""

    def __init__(self, app: ASGIApp, kit: Kit, seed: Seeder, dump: Dumper) -> None:
        self.app = app
        self.kit = kit
        self.seed = seed
        self.dump = dump

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(CONTROL_PREFIX):
            response = await self._control(Request(scope, receive), path[len(CONTROL_PREFIX):])
            await response(scope, receive, send)
            return
        self.kit.count(scope["method"], path)
        fault = self.kit.take_fault(path)
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status:
                await self.kit.fault_response(fault)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _control(self, request: Request, action: str) -> Response:
        handlers: dict[tuple[str, str], Callable[[Request], Awaitable[Any]]] = {
            ("GET", "/calls"): self._calls,
            ("POST", "/reset-calls"): self._reset_calls,
            ("POST", "/faults"): self._faults,
            ("POST", "/seed"): self._seed,
            ("GET", "/state"): self._state,
        }
        handler = handlers.get((request.method, action))
        if handler is None:
            return JSONResponse({"error": f"no control action {request.method} {action}"}, status_code=404)
        return JSONResponse(await handler(request))

    async def _calls(self, request: Request) -> Any:
        return {"total": self.kit.total_calls, "by_route": dict(self.kit.calls)}

    async def _reset_calls(self, request: Request) -> Any:
        self.kit.reset_calls()
        return {"total": 0}

    async def _faults(self, request: Request) -> Any:
        payload = json.loads(await request.body() or b"{}")
        self.kit.inject(Fault(**payload))
        return {"queued": len(self.kit.faults)}

    async def _seed(self, request: Request) -> Any:
        return self.seed(json.loads(await request.body() or b"{}"))

    async def _state(self, request: Request) -> Any:
        return self.dump()


class FixedWindow:
    """``limit`` calls per ``seconds``-long window, the window starting at a fixed boundary.

    ``limit=None`` lifts the limit (benchmarks measure the engine, not the vendor's ceiling).
    """

    def __init__(self, limit: int | None, seconds: float, clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self.seconds = seconds
        self.clock = clock
        self.used = 0
        self.window_start = self._boundary(clock())
        self._lock = threading.Lock()

    def _boundary(self, now: float) -> float:
        return now - (now % self.seconds)

    def _roll(self) -> None:
        now = self.clock()
        if now >= self.window_start + self.seconds:
            self.window_start = self._boundary(now)
            self.used = 0

    def take(self) -> bool:
        """Count one call; False when the window is exhausted (the call is then not counted)."""
        with self._lock:
            self._roll()
            if self.limit is not None and self.used >= self.limit:
                return False
            self.used += 1
            return True

    @property
    def remaining(self) -> int:
        with self._lock:
            self._roll()
            return 10**9 if self.limit is None else max(0, self.limit - self.used)

    @property
    def reset_at(self) -> float:
        """Epoch seconds at which the current window ends."""
        return self.window_start + self.seconds


class LeakyBucket:
    """A cost bucket of ``size`` points that refills ``restore_rate`` points per second."""

    def __init__(self, size: float, restore_rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.size = size
        self.restore_rate = restore_rate
        self.clock = clock
        self._available = size
        self._stamp = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self.clock()
        self._available = min(self.size, self._available + (now - self._stamp) * self.restore_rate)
        self._stamp = now

    def take(self, cost: float) -> bool:
        """Take ``cost`` points; False (nothing taken) when fewer are available."""
        with self._lock:
            self._refill()
            if cost > self._available:
                return False
            self._available -= cost
            return True

    def refund(self, points: float) -> None:
        with self._lock:
            self._available = min(self.size, self._available + points)

    @property
    def available(self) -> float:
        with self._lock:
            self._refill()
            return self._available
