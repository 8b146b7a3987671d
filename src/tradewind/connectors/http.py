"""HTTP for connectors: one request, translated into the error tree, carried by :mod:`transport`.

Retries, 429 waits, pacing and the write fence are the transport's (one layer for every kind of
connector), so one 503 costs exactly the configured attempts, never attempts × attempts, and the
run never fails on a rate limit. What is HTTP's own lives here: which calls are safe to repeat
(by method), how transport failures and status codes read, and ``Retry-After``.

Only what is safe to repeat is repeated. A call is a *read*, an *idempotent* write (PUT, a set
of absolute values, a write under the vendor's idempotency key) or a plain *write* (POST a new
order). A plain write whose answer is lost after it may have reached the vendor — a 5xx, a stall
past the timeout, a reset — raises :class:`~tradewind.errors.OutcomeUnknown` instead of being
sent again: the vendor may have stored it, and only a look-up can tell (the engine's job). A
write refused before it was sent (connection refused, 429) is retried as usual.

Every write is *fenced*: the engine sets :data:`write_fence` for the run, and it is asked right
before each write leaves — after pacing, once the request is built — so a run that lost its
flow's lease sends nothing more.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import structlog

from tradewind.connectors import transport
from tradewind.connectors.retry import RetryPolicy
from tradewind.connectors.transport import CallKind, write_fence
from tradewind.errors import OutcomeUnknown, RateLimited, TradewindError, TransientError

__all__ = ["CallKind", "default_translate", "kind_of", "retry_after_seconds", "send", "write_fence"]

log = structlog.get_logger("tradewind.http")

_BY_METHOD: dict[str, CallKind] = {"GET": "read", "HEAD": "read", "OPTIONS": "read", "PUT": "idempotent",
                                   "DELETE": "idempotent"}


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
    return transport.call(
        lambda: _once(http, build, translate=translate, after=after, kind=kind, fenced=fenced),
        kind=kind or "read", policy=policy, before=before, sleep=sleep,
        fenced=False,  # asked in _once, once the request is built and its method known
    )


def _once(
    http: httpx.Client,
    build: Callable[[], httpx.Request],
    *,
    translate: Translate,
    after: Callable[[httpx.Response], None],
    kind: CallKind | None,
    fenced: bool,
) -> httpx.Response:
    request = build()
    kind = kind or kind_of(request.method)
    if fenced:
        transport.fence(kind)
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
