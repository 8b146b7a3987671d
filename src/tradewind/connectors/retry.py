"""How often and how patiently one request is tried again (see :mod:`tradewind.connectors.http`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """How often a transient failure (5xx, timeout, reset) is tried again, and how patiently.

    ``attempts`` counts tries in all (3 = one try and two retries); ``max_rate_limit_wait`` bounds
    the total time spent waiting out 429s for one request.
    """

    attempts: int = 4
    backoff: float = 0.5
    max_backoff: float = 30.0
    max_rate_limit_wait: float = 900.0
