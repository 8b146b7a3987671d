"""One call to a vendor, whatever carries it (HTTP, SOAP over HTTP, SFTP): paced, fenced, retried.

Every transport gives :func:`call` an *action* that makes the call once and raises the error tree
(:mod:`tradewind.errors`): ``TransientError`` for what may pass, ``RateLimited`` to wait, and
``OutcomeUnknown`` for a plain write whose answer was lost. Then the promises hold the same for
every connector:

- retries live here only, so one outage costs exactly the configured attempts;
- a 429 is waited out for as long as the vendor says and is not counted as an attempt;
- only what is safe to repeat is repeated: an ``OutcomeUnknown`` is never retried (the engine looks
  the record up instead);
- each attempt first waits for the account's budget (``before``), then — for a write — asks the
  run's :data:`write_fence`, so a run that lost its lease sends nothing more;
- each attempt is counted per account (:mod:`tradewind.connectors.calls`), 429s apart, for ``/metrics``.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from typing import Literal, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type, retry_if_not_exception_type

from tradewind.connectors import calls
from tradewind.connectors.retry import RetryPolicy
from tradewind.errors import OutcomeUnknown, RateLimited, ReauthorisationNeeded, TransientError

T = TypeVar("T")

CallKind = Literal["read", "idempotent", "write"]
"""read: changes nothing; idempotent: sending it twice leaves what sending it once does; write: may not."""

write_fence: contextvars.ContextVar[Callable[[], None] | None] = contextvars.ContextVar("write_fence", default=None)
"""Called right before every write leaves; raises when the run may no longer write (lost lease)."""


def fence(kind: CallKind) -> None:
    """Ask the run's write fence before a write (reads pass)."""
    check = write_fence.get()
    if kind != "read" and check is not None:
        check()


class _Stop:
    """Stop after ``attempts`` transient failures, or when 429 waits exceed their bound."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.transient = 0
        self.rate_waited = 0.0
        self._counted = 0

    def failed(self, error: BaseException | None) -> None:
        """Count one failed attempt."""
        if isinstance(error, RateLimited):
            self.rate_waited += error.retry_after
        else:
            self.transient += 1

    def exhausted(self, error: BaseException | None) -> bool:
        if isinstance(error, RateLimited):
            return self.rate_waited > self.policy.max_rate_limit_wait
        return self.transient >= self.policy.attempts

    def wait(self, error: BaseException | None) -> float:
        if isinstance(error, RateLimited):
            return error.retry_after
        return float(min(self.policy.max_backoff, self.policy.backoff * 2 ** max(0, self.transient - 1)))

    def count(self, state: RetryCallState) -> BaseException | None:
        """Count an attempt's failure once, whether tenacity asks ``wait`` or ``stop`` first
        (tenacity ≥ 8.3 computes the wait before the stop); the failure."""
        error = state.outcome.exception() if state.outcome else None
        if state.attempt_number != self._counted:
            self._counted = state.attempt_number
            self.failed(error)
        return error

    def __call__(self, state: RetryCallState) -> bool:
        return self.exhausted(self.count(state))


def _wait(stop: _Stop) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        return stop.wait(stop.count(state))

    return wait


def _counted(action: Callable[[], T], account: str) -> T:
    """One attempt, counted for ``/metrics``: a 429 as one, a refused refresh token remembered for alerts."""
    try:
        result = action()
    except RateLimited as error:
        calls.COUNTERS.called(account, rate_limited=error.status == 429)
        raise
    except ReauthorisationNeeded as error:
        calls.COUNTERS.called(account)
        calls.COUNTERS.refusal(str(error))
        raise
    except BaseException:
        calls.COUNTERS.called(account)
        raise
    calls.COUNTERS.called(account)
    return result


def call(
    action: Callable[[], T],
    *,
    kind: CallKind,
    policy: RetryPolicy = RetryPolicy(),
    before: Callable[[], None] = lambda: None,
    sleep: Callable[[float], None] = time.sleep,
    fenced: bool = True,
) -> T:
    """Run ``action`` until it succeeds or fails for good (see the module docstring).
    ``fenced=False`` exempts a call that is no record write (an OAuth token exchange).

    The first attempt is made plainly: most calls succeed at once, and tenacity's machinery (built
    per call, as its stop and wait count this call's failures) is set up only for a retry."""
    account = calls.account_of(before)

    def once() -> T:
        before()
        if fenced:
            fence(kind)
        return _counted(action, account)

    try:
        return once()
    except OutcomeUnknown:
        raise
    except TransientError as error:
        stop = _Stop(policy)
        stop.failed(error)
        if stop.exhausted(error):
            raise
        sleep(stop.wait(error))
    retrying = Retrying(
        retry=retry_if_exception_type(TransientError) & retry_if_not_exception_type(OutcomeUnknown),
        stop=stop,
        wait=_wait(stop),
        sleep=sleep,
        reraise=True,
    )
    for attempt in retrying:
        with attempt:
            return once()
    raise AssertionError("tenacity ended without an outcome")  # pragma: no cover - reraise=True
