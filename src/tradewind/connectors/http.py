"""Shared HTTP plumbing for connectors: one request, paced, retried by tenacity, errors translated.

Retries live here and only here (one layer), so one 503 costs exactly the configured attempts,
never attempts × attempts. A 429 is waited out for as long as the vendor says and does not
count as an attempt: the run never fails on a rate limit.

Only what is safe to repeat is repeated. A call is a *read*, an *idempotent* write (PUT, a set
of absolute values, a write under the vendor's idempotency key) or a plain *write* (POST a new
order). A plain write whose answer is lost after it may have reached the vendor — a 5xx, a stall
past the timeout, a reset — raises :class:`~tradewind.errors.OutcomeUnknown` instead of being
sent again: the vendor may have stored it, and only a look-up can tell (the engine's job). A
write refused before it was sent (connection refused, 429) is retried as usual.

Every write is *fenced*: the engine sets :data:`write_fence` for the run, and it is called right
before each write leaves, after pacing, so a run that lost its flow's lease sends nothing more.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from typing import Literal

import httpx
import structlog
from tenacity import RetryCallState, Retrying, retry_if_exception_type, retry_if_not_exception_type

from tradewind.connectors.retry import RetryPolicy
from tradewind.errors import OutcomeUnknown, RateLimited, TradewindError, TransientError

log = structlog.get_logger("tradewind.http")

CallKind = Literal["read", "idempotent", "write"]
"""read: changes nothing; idempotent: sending it twice leaves what sending it once does; write: may not."""

_BY_METHOD: dict[str, CallKind] = {"GET": "read", "HEAD": "read", "OPTIONS": "read", "PUT": "idempotent",
                                   "DELETE": "idempotent"}

write_fence: contextvars.ContextVar[Callable[[], None] | None] = contextvars.ContextVar("write_fence", default=None)
"""Called right before every write leaves; raises when the run may no longer write (lost lease)."""


def kind_of(method: str) -> CallKind:
    """The default kind of a call by its HTTP method (POST and PATCH are plain writes)."""
    return _BY_METHOD.get(method.upper(), "write")


def retry_after_seconds(response: httpx.Response, default: float = 1.0) -> float:
    """Seconds from a ``Retry-After`` header (delta seconds; HTTP dates fall back to ``default``)."""
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else default
    except ValueError:
        return default


Translate = Callable[[httpx.Response], TradewindError | None]
"""Turns an answer into the error it means (None when it is a success)."""


class _Stop:
    """Stop after ``attempts`` transient failures, or when 429 waits exceed their bound."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.transient = 0
        self.rate_waited = 0.0
        self._counted = 0

    def count(self, state: RetryCallState) -> None:
        """Count an attempt's failure once, whether tenacity asks ``wait`` or ``stop`` first
        (tenacity ≥ 8.3 computes the wait before the stop)."""
        if state.attempt_number == self._counted:
            return
        self._counted = state.attempt_number
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RateLimited):
            self.rate_waited += error.retry_after
        else:
            self.transient += 1

    def __call__(self, state: RetryCallState) -> bool:
        self.count(state)
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RateLimited):
            return self.rate_waited > self.policy.max_rate_limit_wait
        return self.transient >= self.policy.attempts


def _wait(policy: RetryPolicy, stop: _Stop) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        stop.count(state)
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RateLimited):
            return error.retry_after
        return float(min(policy.max_backoff, policy.backoff * 2 ** max(0, stop.transient - 1)))

    return wait


def send(
    http: httpx.Client,
    build: Callable[[], httpx.Request],
    *,
    translate: Translate,
    policy: RetryPolicy = RetryPolicy(),
    before: Callable[[], None] = lambda: None,
    after: Callable[[httpx.Response], None] = lambda response: None,
    sleep: Callable[[float], None] = time.sleep,
    kind: CallKind | None = None,
    fenced: bool = True,
) -> httpx.Response:
    """Send a request built by ``build`` until it succeeds or fails for good.

    ``before`` paces (waits for the account's budget); ``after`` reads rate-limit headers from
    every answer, errors included; ``translate`` names the error an answer means. ``kind``
    defaults by method (see the module docstring); ``fenced=False`` exempts a call that is no
    record write (an OAuth token exchange) from the run's write fence.
    """
    stop = _Stop(policy)
    retrying = Retrying(
        retry=retry_if_exception_type(TransientError) & retry_if_not_exception_type(OutcomeUnknown),
        stop=stop,
        wait=_wait(policy, stop),
        sleep=sleep,
        reraise=True,
    )
    for attempt in retrying:
        with attempt:
            return _once(http, build, translate=translate, before=before, after=after, kind=kind, fenced=fenced)
    raise AssertionError("tenacity ended without an outcome")  # pragma: no cover - reraise=True


def _once(
    http: httpx.Client,
    build: Callable[[], httpx.Request],
    *,
    translate: Translate,
    before: Callable[[], None],
    after: Callable[[httpx.Response], None],
    kind: CallKind | None,
    fenced: bool,
) -> httpx.Response:
    before()
    request = build()
    kind = kind or kind_of(request.method)
    fence = write_fence.get()
    if fenced and kind != "read" and fence is not None:
        fence()
    where = f"{request.method} {request.url.path}"
    try:
        response = http.send(request)
    except (httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise TransientError(f"{where}: timed out before sending ({type(exc).__name__})") from exc
    except httpx.ConnectError as exc:
        raise TransientError(f"{where}: not sent ({type(exc).__name__}: {exc})") from exc
    except httpx.TimeoutException as exc:
        raise _lost(kind, f"{where}: timed out ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise _lost(kind, f"{where}: {type(exc).__name__}: {exc}") from exc
    after(response)
    error = translate(response)
    if error is not None:
        log.info("http_error", method=request.method, path=request.url.path, status=response.status_code,
                 error=type(error).__name__)
        if kind == "write" and type(error) is TransientError:
            raise OutcomeUnknown(f"{error}; the write may have been stored", status=error.status) from error
        raise error
    return response


def _lost(kind: CallKind, message: str) -> TransientError:
    """A transport failure after the request may have left: retryable unless a plain write."""
    if kind == "write":
        return OutcomeUnknown(f"{message}; the write may have been stored")
    return TransientError(message)


def default_translate(response: httpx.Response, message: str | None = None) -> TradewindError | None:
    """The status-code part of translation shared by connectors: 429 and 5xx are transient."""
    status = response.status_code
    if status == 429:
        return RateLimited(message or "rate limited", retry_after=retry_after_seconds(response))
    if status >= 500 or status == 408:
        return TransientError(message or f"server answered {status}", status=status)
    return None
