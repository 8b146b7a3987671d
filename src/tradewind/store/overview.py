"""What the web app's overview and lists ask of the basic log: each flow's last run, volumes and
failures per day, a page of runs, the retry queue without its payloads. Each is one query on an
index (see migration 0013) or a sum over the runs' own counters, never a scan of the transfers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Date, Select, cast, func, select, tuple_

from tradewind.store import watch
from tradewind.store.runs import Run
from tradewind.store.tables import failures, runs


@dataclass(frozen=True)
class Day:
    """One day's (UTC) records handled by runs: written (created + updated), skipped, failed."""

    day: date
    written: int
    skipped: int
    failed: int


@dataclass(frozen=True)
class Dashboard:
    """The overview: each flow's last run, per-day volumes, and what waits (failed and parked
    records per flow, pushed events per connection)."""

    last: dict[str, Run]
    days: list[Day]
    queued: dict[tuple[str, str], int]
    inbox: dict[str, int]


def dashboard(conn: Connection, flows: Sequence[str], since: datetime) -> Dashboard:
    return Dashboard(last=last_runs(conn, flows), days=daily(conn, since), queued=watch.queued(conn),
                     inbox=watch.inbox_depths(conn))


@dataclass(frozen=True)
class Queued:
    """A record in the retry queue, without its payload (personal data; the pages never need it)."""

    flow: str
    source_id: str
    natural_key: str | None
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    parked_on: str | None


def _runs() -> Select[Any]:
    """The columns a :class:`Run` holds (a column added for another reader does not break it)."""
    return select(*[runs.c[name] for name in Run.__dataclass_fields__])


def last_runs(conn: Connection, flows: Sequence[str]) -> dict[str, Run]:
    """flow → its latest run (dry runs included: they are what a person last did)."""
    found = {}
    for flow in flows:
        row = conn.execute(_runs().where(runs.c.flow == flow).order_by(runs.c.started_at.desc()).limit(1)).first()
        if row is not None:
            found[flow] = Run(**row._mapping)
    return found


def _utc_day(conn: Connection) -> Any:
    if conn.dialect.name == "postgresql":
        return cast(func.timezone("UTC", runs.c.started_at), Date)
    return func.date(runs.c.started_at)  # SQLite keeps UTC without a zone


def daily(conn: Connection, since: datetime) -> list[Day]:
    """Per UTC day since ``since``, summed from the runs' counters (dry runs left out); days without
    runs are absent."""
    day = _utc_day(conn).label("day")
    query = (select(day, func.sum(runs.c.created + runs.c.updated), func.sum(runs.c.skipped),
                    func.sum(runs.c.failed))
             .where(runs.c.started_at >= since, runs.c.dry_run.is_(False)).group_by(day).order_by(day))
    return [Day(day=_as_date(row[0]), written=int(row[1] or 0), skipped=int(row[2] or 0), failed=int(row[3] or 0))
            for row in conn.execute(query)]


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def runs_page(conn: Connection, *, flow: str | None = None, status: str | None = None,
              before: tuple[datetime, str] | None = None, limit: int = 50) -> list[Run]:
    """Runs newest first; the next page is ``before=(started_at, id)`` of the last one shown."""
    query = _runs().order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(limit)
    if flow is not None:
        query = query.where(runs.c.flow == flow)
    if status is not None:
        query = query.where(runs.c.status == status)
    if before is not None:
        query = query.where(tuple_(runs.c.started_at, runs.c.id) < tuple_(*before))
    return [Run(**row._mapping) for row in conn.execute(query)]


def queued(conn: Connection, flow: str | None = None) -> list[Queued]:
    """The retry queue (or one flow's), in flow and source id order, without payloads."""
    columns = [failures.c[name] for name in Queued.__dataclass_fields__]
    query = select(*columns).order_by(failures.c.flow, failures.c.source_id)
    if flow is not None:
        query = query.where(failures.c.flow == flow)
    return [Queued(**row._mapping) for row in conn.execute(query)]
