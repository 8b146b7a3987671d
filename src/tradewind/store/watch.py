"""Aggregates for watching the platform (metrics, alerts): computed from the basic log on demand,
so a scrape or an alert always agrees with what the runs stored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from tradewind.store.tables import call_budgets, failures, inbox, runs, transfers

OUTCOMES = ("created", "updated", "skipped", "failed", "parked")
COMPLETED = ("succeeded", "partial")


@dataclass(frozen=True)
class Budget:
    account: str
    window: str
    limit: int
    remaining: int


def runs_by_status(conn: Connection) -> dict[tuple[str, str], int]:
    """(flow, status) → runs, dry runs left out (they change nothing)."""
    query = (select(runs.c.flow, runs.c.status, func.count()).where(runs.c.dry_run.is_(False))
             .group_by(runs.c.flow, runs.c.status))
    return {(row[0], row[1]): int(row[2]) for row in conn.execute(query)}


def transfers_by_outcome(conn: Connection) -> dict[tuple[str, str], int]:
    """(flow, outcome) → records, summed from the runs' counters (no scan of the transfers table)."""
    sums = [func.coalesce(func.sum(runs.c[name]), 0) for name in OUTCOMES]
    query = select(runs.c.flow, *sums).where(runs.c.dry_run.is_(False)).group_by(runs.c.flow)
    return {(row[0], name): int(row[i + 1]) for row in conn.execute(query) for i, name in enumerate(OUTCOMES)}


def last_completed(conn: Connection) -> dict[str, datetime]:
    """flow → when its last completed run (succeeded or partial) finished."""
    query = (select(runs.c.flow, func.max(runs.c.finished_at))
             .where(runs.c.status.in_(COMPLETED), runs.c.dry_run.is_(False)).group_by(runs.c.flow))
    return {row[0]: row[1] for row in conn.execute(query) if row[1] is not None}


def inbox_depths(conn: Connection) -> dict[str, int]:
    """connection → pushed events waiting."""
    query = (select(inbox.c.connection, func.count()).where(inbox.c.processed_at.is_(None))
             .group_by(inbox.c.connection))
    return {row[0]: int(row[1]) for row in conn.execute(query)}


def queued(conn: Connection) -> dict[tuple[str, str], int]:
    """(flow, state) → records in the retry queue, state ``parked`` (waiting for another flow) or ``failed``."""
    parked = failures.c.parked_on.is_not(None)
    query = select(failures.c.flow, parked, func.count()).group_by(failures.c.flow, parked)
    return {(row[0], "parked" if row[1] else "failed"): int(row[2]) for row in conn.execute(query)}


def budgets(conn: Connection) -> list[Budget]:
    rows = conn.execute(select(call_budgets).where(call_budgets.c.window.not_like("line:%"),  # waiting callers
                                                   call_budgets.c.window.not_like("presence:%"))  # processes
                        .order_by(call_budgets.c.account, call_budgets.c.window))
    return [Budget(account=r.account, window=r.window, limit=r.limit, remaining=r.remaining) for r in rows]


def failure_reasons(conn: Connection, run_ids: Sequence[str]) -> dict[str, int]:
    """reason → failed transfers in the runs ``run_ids`` (an alert's counts per reason)."""
    if not run_ids:
        return {}
    query = (select(transfers.c.reason, func.count()).where(transfers.c.run_id.in_(list(run_ids)),
                                                             transfers.c.outcome == "failed")
             .group_by(transfers.c.reason))
    return {row[0] or "no reason given": int(row[1]) for row in conn.execute(query)}
