"""Runs and transfers: the basic log, kept indefinitely (counts, times, keys, stages, errors)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from tradewind.store import many, personal
from tradewind.store.db import now
from tradewind.store.keys import as_asked
from tradewind.store.tables import runs, transfers

COUNTERS = ("received", "created", "updated", "skipped", "failed", "parked")


@dataclass(frozen=True)
class Run:
    id: str
    flow: str
    trigger: str
    status: str
    dry_run: bool
    started_at: datetime
    finished_at: datetime | None
    heartbeat_at: datetime | None
    owner: str | None
    received: int
    created: int
    updated: int
    skipped: int
    failed: int
    cursor_from: str | None
    cursor_to: str | None
    error: str | None
    parked: int = 0
    total: int | None = None
    """Records the source said this run will read (None: it cannot tell)."""

    @property
    def done(self) -> int:
        """Records this run has ended (written, skipped, failed or parked)."""
        return self.created + self.updated + self.skipped + self.failed + self.parked

    @property
    def rate(self) -> float | None:
        """Records ended per second, from the start to the last stored heartbeat."""
        seconds = ((self.heartbeat_at or self.started_at) - self.started_at).total_seconds()
        return self.done / seconds if self.done and seconds > 0 else None

    @property
    def eta(self) -> datetime | None:
        """When a running run with a known total will have ended every record, at its rate so far."""
        if self.status != "running" or self.total is None or not self.rate:
            return None
        left = max(0, self.total - self.done)
        return (self.heartbeat_at or self.started_at) + timedelta(seconds=left / self.rate)

    @property
    def progress(self) -> str | None:
        """The figures in one line (``40/130 records · 0.75/s · ETA 12:34:56 UTC``), as the web app's
        run page and the CLI show them; None for a run that ended without a known total."""
        if self.total is None and self.status != "running":
            return None
        parts = [f"{self.done}/{self.total} records" if self.total is not None else f"{self.done} records"]
        if self.rate is not None:
            parts.append(f"{self.rate:.2f}/s")
        if self.eta is not None:
            parts.append(f"ETA {self.eta:%H:%M:%S} UTC")
        return " · ".join(parts)


@dataclass(frozen=True)
class Transfer:
    id: int
    run_id: str
    flow: str
    entity: str
    source_id: str
    natural_key: str | None
    stage: str
    outcome: str | None
    reason: str | None
    field: str | None
    target_id: str | None
    attempt: int
    created_at: datetime
    finished_at: datetime | None


def start(conn: Connection, *, run_id: str, flow: str, trigger: str, dry_run: bool, owner: str,
          cursor_from: str | None, total: int | None = None) -> None:
    stamp = now()
    conn.execute(insert(runs).values(
        id=run_id, flow=flow, trigger=trigger, status="running", dry_run=dry_run, started_at=stamp,
        heartbeat_at=stamp, owner=owner, cursor_from=cursor_from, total=total, **dict.fromkeys(COUNTERS, 0),
    ))


def skipped(conn: Connection, *, run_id: str, flow: str, trigger: str, reason: str) -> None:
    """A trigger that found its flow busy: recorded as a run that did nothing, saying why."""
    stamp = now()
    conn.execute(insert(runs).values(
        id=run_id, flow=flow, trigger=trigger, status="skipped", dry_run=False, started_at=stamp,
        finished_at=stamp, heartbeat_at=stamp, error=reason, **dict.fromkeys(COUNTERS, 0)))


def add_counts(conn: Connection, run_id: str, counts: dict[str, int]) -> None:
    values: dict[str, Any] = {name: runs.c[name] + amount for name, amount in counts.items() if amount}
    values["heartbeat_at"] = now()
    conn.execute(update(runs).where(runs.c.id == run_id).values(**values))


def set_total(conn: Connection, run_id: str, total: int) -> None:
    """Records the run will read, as the source told (live progress: rate and ETA follow)."""
    conn.execute(update(runs).where(runs.c.id == run_id).values(total=total))


def finish(conn: Connection, run_id: str, *, status: str, cursor_to: str | None, error: str | None = None) -> None:
    conn.execute(update(runs).where(runs.c.id == run_id).values(
        status=status, finished_at=now(), cursor_to=cursor_to, error=error))


def interrupt_stale(conn: Connection, flow: str, *, except_run: str) -> int:
    """Runs of ``flow`` left 'running' by a process that died: mark them interrupted."""
    return int(conn.execute(
        update(runs).where(runs.c.flow == flow, runs.c.status == "running", runs.c.id != except_run)
        .values(status="interrupted", finished_at=now(), error="the process running it stopped; lease expired")
    ).rowcount)


def get(conn: Connection, run_id: str) -> Run | None:
    row = conn.execute(select(runs).where(runs.c.id.startswith(run_id))).first()
    return Run(**row._mapping) if row else None


def recent(conn: Connection, *, flow: str | None = None, limit: int = 20) -> list[Run]:
    query = select(runs).order_by(runs.c.started_at.desc()).limit(limit)
    if flow:
        query = query.where(runs.c.flow == flow)
    return [Run(**row._mapping) for row in conn.execute(query)]


def add_transfers(conn: Connection, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert transfer rows (one page) and return their ids in order.

    Rows of distinct source ids (a page: each record is received once) go in multi-row INSERTs
    that return each id with its source id, matched back here. Asking SQLAlchemy to return the ids
    in the rows' order instead makes it send one INSERT per row on SQLite, where no INSERT form ties
    new row ids to the order of the values (its "insertmanyvalues" falls back to row at a time)."""
    if not rows:
        return []
    stamp = now()
    hide = personal.hider(conn)
    values = [{**row, "created_at": stamp, **({"natural_key": hide(row["natural_key"])}
                                              if row.get("natural_key") else {})} for row in rows]
    sources = [str(row["source_id"]) for row in rows]
    if len(rows) > 1 and len(set(sources)) == len(sources):
        stored = as_asked(sources, transfers.c.source_id)
        found = {stored.get(row.source_id, row.source_id): int(row.id)
                 for row in conn.execute(insert(transfers).returning(transfers.c.id, transfers.c.source_id), values)}
        return [found[source] for source in sources]
    result = conn.execute(insert(transfers).returning(transfers.c.id, sort_by_parameter_order=True), values)
    return [int(row.id) for row in result]


_ENDED = insert(transfers)
STARTED = ("run_id", "flow", "entity", "source_id", "attempt", "created_at")


def add_ended(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert transfers whole, as they ended (one executemany, no ids asked back): the run loop
    writes a record's row once, when it ends, unless it keeps snapshots that need the row's id from
    the start. Each dict has every STARTED and ENDING key, and no other."""
    if not rows:
        return
    stamp = now()
    hide = personal.hider(conn)  # e-mail addresses in keys are kept as keyed hashes only
    columns = many.columns_of(rows)
    columns["natural_key"] = list(map(hide, columns["natural_key"]))
    many.execute_columns(conn, _ENDED, columns, {"finished_at": stamp})


ENDING = ("stage", "outcome", "reason", "field", "target_id", "natural_key")
_END = update(transfers).where(transfers.c.id == bindparam("tid")).values(
    finished_at=bindparam("v_finished_at"), **{name: bindparam(f"v_{name}") for name in ENDING})


def end_transfers(conn: Connection, endings: Sequence[dict[str, Any]]) -> None:
    """Store how transfers ended (one executemany); each dict has ``tid`` and every ENDING key."""
    if not endings:
        return
    stamp = now()
    hide = personal.hider(conn)  # e-mail addresses in keys are kept as keyed hashes only
    many.execute_many(conn, _END, [{"tid": e["tid"], "v_finished_at": stamp, **{f"v_{n}": e.get(n) for n in ENDING},
                                    "v_natural_key": hide(e.get("natural_key"))} for e in endings])



def list_transfers(conn: Connection, run_id: str, *, outcome: str | None = None, limit: int = 1000) -> list[Transfer]:
    query = select(transfers).where(transfers.c.run_id == run_id).order_by(transfers.c.id).limit(limit)
    if outcome:
        query = query.where(transfers.c.outcome == outcome)
    return [Transfer(**row._mapping) for row in conn.execute(query)]


def get_transfer(conn: Connection, transfer_id: int) -> Transfer | None:
    row = conn.execute(select(transfers).where(transfers.c.id == transfer_id)).first()
    return Transfer(**row._mapping) if row else None


def history(conn: Connection, flow: str, source_id: str) -> list[Transfer]:
    """Every transfer of one record in one flow, oldest first."""
    rows = conn.execute(select(transfers).where(transfers.c.flow == flow, transfers.c.source_id == source_id)
                        .order_by(transfers.c.id))
    return [Transfer(**row._mapping) for row in rows]


def count_transfers(conn: Connection, run_id: str) -> int:
    return int(conn.execute(select(func.count()).select_from(transfers).where(transfers.c.run_id == run_id)).scalar()
               or 0)
