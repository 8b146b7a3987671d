"""What a flow's status report says, read from the basic log for one period: its runs, the records
they wrote, skipped and failed, the most frequent failure reasons, and what still waits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, func, select

from tradewind.store.tables import failures, runs, transfers

TOP_REASONS = 5


@dataclass(frozen=True)
class FlowPeriod:
    flow: str
    since: datetime
    until: datetime
    runs: dict[str, int] = field(default_factory=dict)
    """status → runs started in the period (dry runs left out)."""
    records: dict[str, int] = field(default_factory=dict)
    """created, updated, skipped, failed, parked → records, summed over those runs."""
    reasons: list[tuple[str, int]] = field(default_factory=list)
    """The most frequent failure reasons in the period, most first."""
    waiting_failed: int = 0
    waiting_parked: int = 0

    @property
    def empty(self) -> bool:
        """No run in the period and nothing waiting: nothing to report."""
        return not self.runs and not self.waiting_failed and not self.waiting_parked


COUNTED = ("received", "created", "updated", "skipped", "failed", "parked")


def flow_period(conn: Connection, flow: str, since: datetime, until: datetime) -> FlowPeriod:
    in_period = (runs.c.flow == flow, runs.c.dry_run.is_(False), runs.c.started_at >= since,
                 runs.c.started_at < until)
    by_status = {row[0]: int(row[1]) for row in conn.execute(
        select(runs.c.status, func.count()).where(*in_period).group_by(runs.c.status))}
    sums = conn.execute(select(*[func.coalesce(func.sum(runs.c[name]), 0) for name in COUNTED])
                        .where(*in_period)).one()
    reasons = conn.execute(
        select(transfers.c.reason, func.count().label("n"))
        .where(transfers.c.run_id.in_(select(runs.c.id).where(*in_period)), transfers.c.outcome == "failed")
        .group_by(transfers.c.reason).order_by(func.count().desc(), transfers.c.reason).limit(TOP_REASONS))
    parked = failures.c.parked_on.is_not(None)
    waiting = {bool(row[0]): int(row[1]) for row in conn.execute(
        select(parked, func.count()).where(failures.c.flow == flow).group_by(parked))}
    return FlowPeriod(flow=flow, since=since, until=until, runs=by_status,
                      records={name: int(value) for name, value in zip(COUNTED, sums, strict=True)},
                      reasons=[(row[0] or "no reason given", int(row[1])) for row in reasons],
                      waiting_failed=waiting.get(False, 0), waiting_parked=waiting.get(True, 0))
