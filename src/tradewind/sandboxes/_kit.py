"""Shared machinery of the sandboxes: call counting, fault injection, rate-limit windows.

Every sandbox wraps its vendor routes in :class:`KitMiddleware`. The middleware

* counts each vendor call (method + path) so tests and benchmarks can compare calls made
  with the minimum needed;
* applies queued faults. A fault *before* the route (the default) answers ``status`` with the
  vendor's error body (``bare: true`` sends a proxy's plain-text page instead), after stalling
  ``delay`` seconds if given; the vendor never sees the request. A fault *after* the route
  (``after: true``) lets the vendor route run — the write is stored — and then loses its answer:
  ``status`` replaces it (503, or a bare 500), ``delay`` holds it back past the client's timeout
  (``status: 0`` sends the real answer late, if anyone still listens), or ``reset: true`` sends
  the status line and headers and then drops the connection before the body (the client sees a
  transport error: httpx raises ``RemoteProtocolError``). Stalls end early when the client hangs
  up, so a stopped server never waits for them;
* injects random faults into a share of vendor calls (*chaos*), each of one of these kinds:
  ``429`` (a storm of ``storm`` 429 answers with ``Retry-After: retry_after``), ``503_before``,
  ``500_before`` (bare), ``stall_before`` (``delay`` seconds, then 504), ``503_after``,
  ``500_after`` (bare), ``stall_after`` and ``reset_after``. The draws come from ``seed``, so a
  run with the same calls in the same order gets the same faults;
* serves a small control plane under ``/_sandbox/`` that is *not* part of any vendor API:

  ``GET  /_sandbox/calls``   → ``{"total": n, "by_route": {"GET /path": n}}``
  ``POST /_sandbox/reset-calls``
  ``POST /_sandbox/faults``  ← ``{"status": 503, "times": 1, "path_contains": "Items",
  "delay": 0, "retry_after": 2, "after": false, "reset": false, "bare": false}``
  ``POST /_sandbox/chaos``   ← ``{"rate": 0.2, "seed": 7, "kinds": ["503_after", ...],
  "path_contains": "/api/v1/", "delay": 31, "retry_after": 1, "storm": 3}`` (all kinds when
  ``kinds`` is left out); ``{"rate": 0}`` turns chaos off and keeps the counts
  ``GET  /_sandbox/chaos``   → ``{"rate": 0.2, ..., "drawn": n, "injected": {"503_after": n}}``
  ``POST /_sandbox/seed``    ← sandbox-specific seed document (delegated to ``seed``)
  ``GET  /_sandbox/state``   → sandbox-specific dump (delegated to ``dump``)

Queued faults are taken before chaos is drawn. Rate limits differ per vendor, so each sandbox
applies its own rules with the two helpers here: :class:`FixedWindow` (calls per window, Exact
Online style) and :class:`LeakyBucket` (cost points restored per second, Shopify GraphQL style).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTROL_PREFIX = "/_sandbox"
DEFAULT_STALL = 31.0
"""Seconds a chaos stall lasts unless told: just past the connectors' default 30 s timeout."""


@dataclass
class Fault:
    """One injected fault: answer ``status`` (or stall ``delay`` seconds) ``times`` times; with
    ``after`` the vendor route runs first and its answer is lost (replaced, delayed or reset)."""

    status: int = 503
    times: int = 1
    path_contains: str | None = None
    delay: float = 0.0
    retry_after: float | None = None
    body: Any = None
    after: bool = False
    reset: bool = False
    bare: bool = False
    method: str | None = None
    """Only calls with this HTTP method (``POST`` hits the write, not the look-up on the same path)."""

    def matches(self, path: str, method: str = "GET") -> bool:
        return (self.path_contains is None or self.path_contains in path) and \
            (self.method is None or self.method.upper() == method.upper())


CHAOS_KINDS: dict[str, Fault] = {
    "429": Fault(status=429),
    "503_before": Fault(status=503),
    "500_before": Fault(status=500, bare=True),
    "stall_before": Fault(status=504),
    "503_after": Fault(status=503, after=True),
    "500_after": Fault(status=500, bare=True, after=True),
    "stall_after": Fault(status=0, after=True),
    "reset_after": Fault(after=True, reset=True),
}
"""The kinds chaos draws from; stalls get the chaos ``delay``, 429s its ``retry_after`` and ``storm``."""


@dataclass
class Chaos:
    """Random faults in ``rate`` of the vendor calls whose path contains ``path_contains``."""

    rate: float = 0.0
    seed: int = 0
    kinds: list[str] = field(default_factory=lambda: list(CHAOS_KINDS))
    path_contains: str | None = None
    delay: float = DEFAULT_STALL
    retry_after: float = 1.0
    storm: int = 3
    drawn: int = field(default=0, init=False)
    injected: Counter[str] = field(default_factory=Counter, init=False)
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.kinds) - set(CHAOS_KINDS))
        if unknown or not self.kinds or not 0 <= self.rate <= 1:
            raise ValueError(f"chaos needs 0 <= rate <= 1 and kinds from {sorted(CHAOS_KINDS)}, "
                             f"got rate {self.rate} and kinds {unknown or self.kinds}")
        self._rng = random.Random(self.seed)

    def draw(self, path: str) -> tuple[str, Fault] | None:
        """The fault for this call, if chaos strikes it (caller holds the kit's lock)."""
        if self.rate <= 0 or (self.path_contains is not None and self.path_contains not in path):
            return None
        self.drawn += 1
        if self._rng.random() >= self.rate:
            return None
        kind = self._rng.choice(self.kinds)
        self.injected[kind] += 1
        fault = CHAOS_KINDS[kind]
        if kind == "429":
            storm = replace(fault, retry_after=self.retry_after, times=self.storm, path_contains=self.path_contains)
            return kind, storm
        return kind, replace(fault, delay=self.delay if kind.startswith("stall") else 0.0)

    def report(self) -> dict[str, Any]:
        return {"rate": self.rate, "seed": self.seed, "kinds": self.kinds, "path_contains": self.path_contains,
                "delay": self.delay, "retry_after": self.retry_after, "storm": self.storm, "drawn": self.drawn,
                "injected": dict(self.injected)}


ErrorBody = Callable[[int, str], Any]


@dataclass
class Kit:
    """State shared by a sandbox's middleware and routes."""

    error_body: ErrorBody = lambda status, message: {"error": message}
    calls: Counter[str] = field(default_factory=Counter)
    faults: list[Fault] = field(default_factory=list)
    chaos: Chaos = field(default_factory=Chaos)
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

    def set_chaos(self, chaos: Chaos) -> None:
        """Start (or with ``rate`` 0 stop) chaos; stopping keeps the counts of what was injected."""
        with self.lock:
            if chaos.rate <= 0:
                self.chaos.rate = 0.0
            else:
                self.chaos = chaos

    def take_fault(self, path: str, method: str = "GET") -> Fault | None:
        """The queued fault for this call, else chaos's draw (a 429 storm queues the rest of itself)."""
        with self.lock:
            for fault in self.faults:
                if fault.matches(path, method):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
            drawn = self.chaos.draw(path)
            if drawn is None:
                return None
            fault = drawn[1]
            if fault.times > 1:
                self.faults.append(replace(fault, times=fault.times - 1))
            return fault

    def fault_response(self, fault: Fault) -> Response:
        reason = _REASONS.get(fault.status, "Injected fault")
        headers = {"Retry-After": _fmt(fault.retry_after)} if fault.retry_after is not None else {}
        if fault.bare:  # what a proxy or a crashed worker sends: no vendor error body
            return PlainTextResponse(reason, status_code=fault.status, headers=headers)
        body = fault.body if fault.body is not None else self.error_body(fault.status, reason)
        return JSONResponse(body, status_code=fault.status, headers=headers)


_REASONS = {
    429: "Too many requests",
    500: "Internal Server Error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


def _fmt(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:.1f}"


async def _stall(seconds: float, receive: Receive) -> list[Message]:
    """Wait ``seconds`` or until the client hangs up. Returns the request messages read while
    listening for the hang-up, so a route that runs afterwards still gets its body."""
    read: list[Message] = []

    async def listen() -> None:
        while not read or read[-1]["type"] != "http.disconnect":
            read.append(await receive())

    try:
        await asyncio.wait_for(listen(), seconds)
    except TimeoutError:
        pass
    return read


def _replaying(read: list[Message], receive: Receive) -> Receive:
    pending = list(read)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


_RESETTING: contextvars.ContextVar[bool] = contextvars.ContextVar("sandbox_resetting", default=False)


class _QuietResets(logging.Filter):
    """uvicorn logs an error for a response left unfinished; for an injected reset that is the point."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (_RESETTING.get() and "without completing response" in record.getMessage())


logging.getLogger("uvicorn.error").addFilter(_QuietResets())


def _reset_start(held: list[Message]) -> Message:
    """The held answer's status line and headers, framed so that a body must follow (a 204 becomes
    a 200 announcing one byte): closing the connection then is an error the client cannot miss."""
    start = next(m for m in held if m["type"] == "http.response.start")
    size = sum(len(m.get("body", b"")) for m in held if m["type"] == "http.response.body")
    status = start["status"] if size else 200
    framing = (b"content-length", b"transfer-encoding")
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() not in framing]
    return {"type": "http.response.start", "status": status,
            "headers": [*headers, (b"content-length", str(max(size, 1)).encode())]}


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
        fault = self.kit.take_fault(path, scope["method"])
        if fault is None:
            await self.app(scope, receive, send)
        elif fault.after:
            await self._after(fault, scope, receive, send)
        else:
            await self._before(fault, scope, receive, send)

    async def _before(self, fault: Fault, scope: Scope, receive: Receive, send: Send) -> None:
        """Stall and/or answer the fault; the vendor route runs only after a stall without status."""
        read = await _stall(fault.delay, receive) if fault.delay else []
        if fault.status:
            await self.kit.fault_response(fault)(scope, receive, send)
        else:
            await self.app(scope, _replaying(read, receive), send)

    async def _after(self, fault: Fault, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the vendor route (it stores the write), then lose its answer."""
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        if fault.reset:
            _RESETTING.set(True)
            await send(_reset_start(held))
            return  # the server closes the connection mid-response
        if fault.delay:
            await _stall(fault.delay, receive)
        if fault.status:
            await self.kit.fault_response(fault)(scope, receive, send)
            return
        for message in held:
            await send(message)

    async def _control(self, request: Request, action: str) -> Response:
        handlers: dict[tuple[str, str], Callable[[Request], Awaitable[Any]]] = {
            ("GET", "/calls"): self._calls,
            ("POST", "/reset-calls"): self._reset_calls,
            ("POST", "/faults"): self._faults,
            ("GET", "/chaos"): self._chaos_report,
            ("POST", "/chaos"): self._chaos,
            ("POST", "/seed"): self._seed,
            ("GET", "/state"): self._state,
        }
        handler = handlers.get((request.method, action))
        if handler is None:
            return JSONResponse({"error": f"no control action {request.method} {action}"}, status_code=404)
        try:
            return JSONResponse(await handler(request))
        except (TypeError, ValueError) as error:
            return JSONResponse({"error": str(error)}, status_code=400)

    async def _calls(self, request: Request) -> Any:
        return {"total": self.kit.total_calls, "by_route": dict(self.kit.calls)}

    async def _reset_calls(self, request: Request) -> Any:
        self.kit.reset_calls()
        return {"total": 0}

    async def _faults(self, request: Request) -> Any:
        payload = json.loads(await request.body() or b"{}")
        self.kit.inject(Fault(**payload))
        return {"queued": len(self.kit.faults)}

    async def _chaos(self, request: Request) -> Any:
        self.kit.set_chaos(Chaos(**json.loads(await request.body() or b"{}")))
        return await self._chaos_report(request)

    async def _chaos_report(self, request: Request) -> Any:
        with self.kit.lock:
            return self.kit.chaos.report()

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
