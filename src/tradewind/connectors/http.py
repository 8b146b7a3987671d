"""Shared HTTP plumbing for connectors: one request, paced, retried by tenacity, errors translated.

Retries live here and only here (one layer), so one 503 costs exactly the configured attempts,
never attempts × attempts. A 429 is waited out for as long as the vendor says and does not
count as an attempt: the run never fails on a rate limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import structlog
from tenacity import RetryCallState, Retrying, retry_if_exception_type

from tradewind.connectors.retry import RetryPolicy
from tradewind.errors import RateLimited, TradewindError, TransientError

log = structlog.get_logger("tradewind.http")


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
) -> httpx.Response:
    """Send a request built by ``build`` until it succeeds or fails for good.

    ``before`` paces (waits for the account's budget); ``after`` reads rate-limit headers from
    every answer, errors included; ``translate`` names the error an answer means.
    """
    stop = _Stop(policy)
    retrying = Retrying(
        retry=retry_if_exception_type(TransientError),
        stop=stop,
        wait=_wait(policy, stop),
        sleep=sleep,
        reraise=True,
    )
    for attempt in retrying:
        with attempt:
            return _once(http, build, translate=translate, before=before, after=after)
    raise AssertionError("tenacity ended without an outcome")  # pragma: no cover - reraise=True


def _once(
    http: httpx.Client,
    build: Callable[[], httpx.Request],
    *,
    translate: Translate,
    before: Callable[[], None],
    after: Callable[[httpx.Response], None],
) -> httpx.Response:
    before()
    request = build()
    try:
        response = http.send(request)
    except httpx.TimeoutException as exc:
        raise TransientError(f"{request.method} {request.url.path}: timed out ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise TransientError(f"{request.method} {request.url.path}: {type(exc).__name__}: {exc}") from exc
    after(response)
    error = translate(response)
    if error is not None:
        log.info("http_error", method=request.method, path=request.url.path, status=response.status_code,
                 error=type(error).__name__)
        raise error
    return response


def default_translate(response: httpx.Response, message: str | None = None) -> TradewindError | None:
    """The status-code part of translation shared by connectors: 429 and 5xx are transient."""
    status = response.status_code
    if status == 429:
        return RateLimited(message or "rate limited", retry_after=retry_after_seconds(response))
    if status >= 500 or status == 408:
        return TransientError(message or f"server answered {status}", status=status)
    return None
