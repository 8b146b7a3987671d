"""Will a daily call quota run out before the day ends? An estimate from today's consumption rate.

A system account's ``day`` window (kept in the store, corrected by the vendor's ``X-RateLimit-*``
headers on every answer) says how many calls are left and when the window resets. Calls used so far
over the time elapsed since the window began is today's rate; at that rate, the calls the rest of
the day will take are added to those used. When that reaches ``threshold`` × the quota, the day's
quota will run out (or come too close) before it resets.
"""

from __future__ import annotations

from dataclasses import dataclass

from tradewind.connectors.pacing import Window


@dataclass(frozen=True)
class Forecast:
    account: str
    limit: int
    used: int
    projected: int
    """Calls the whole window will have used at today's rate."""
    runs_out_at: float | None
    """Epoch seconds when the calls left are used up at today's rate (None: never before the reset)."""
    reset_at: float


def forecast(account: str, window: Window, now: float) -> Forecast | None:
    """Today's estimate for one account; None before any call of the window was made."""
    start = window.reset_at - window.seconds
    elapsed, left = now - start, max(0.0, window.reset_at - now)
    used = max(0, window.limit - window.remaining)
    if used == 0 or elapsed <= 0 or now >= window.reset_at:
        return None
    rate = used / elapsed
    projected = round(used + rate * left)
    runs_out = now + window.remaining / rate
    return Forecast(account=account, limit=window.limit, used=used, projected=projected,
                    runs_out_at=runs_out if runs_out < window.reset_at else None, reset_at=window.reset_at)


def at_risk(found: Forecast, threshold: float) -> bool:
    return found.projected >= threshold * found.limit
