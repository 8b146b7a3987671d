"""One run per flow at a time, across processes and machines: a fenced lease row per flow.

A lease expires unless renewed, so a run whose process died is detected and the flow can run
again; a live run's lease is never taken over. Each acquisition raises the row's *epoch*: a run
writes only after :func:`fence` confirmed, in the database, that the lease is still its own at
that epoch (and extended it). A run paused past its lease — whose flow another run took over —
is refused at its next write. Times come from the database's clock (PostgreSQL's
``clock_timestamp()``), so machines whose clocks differ still agree on who holds a lease; SQLite
is a local file, so its clock is this machine's.

The row is never deleted: releasing ends it (expired, no run) and keeps the epoch counting up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from tradewind.store.db import Store, now
from tradewind.store.tables import flow_locks

ENDED = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Holder:
    """Who holds (or last held) a flow's lease."""

    owner: str
    run_id: str | None
    host: str | None
    pid: int | None
    epoch: int
    expires_at: datetime


@dataclass(frozen=True)
class Claimant:
    """Who asks for a lease: ``owner`` is ``host:pid`` for people to read."""

    owner: str
    host: str
    pid: int
    run_id: str


def db_now(conn: Connection) -> datetime:
    """The database's time (PostgreSQL), or this machine's for a local SQLite file."""
    if conn.dialect.name == "postgresql":
        value: datetime = conn.execute(select(func.clock_timestamp())).scalar_one()
        return value.astimezone(UTC)
    return now()


def acquire(store: Store, flow: str, who: Claimant, ttl: timedelta, *, take_over: int | None = None) -> int | None:
    """Take the flow's lease if it is free or expired (or, with ``take_over``, if it is still at
    that epoch: its holder is known to be dead). Returns the new epoch, None when refused.
    Atomic on SQLite and PostgreSQL."""
    values = dict(owner=who.owner, host=who.host, pid=who.pid, run_id=who.run_id)
    with store.begin() as conn:
        stamp = db_now(conn)
        free = (flow_locks.c.epoch == take_over) if take_over is not None else (flow_locks.c.expires_at < stamp)
        epoch = conn.execute(
            update(flow_locks).where(flow_locks.c.flow == flow, free)
            .values(**values, epoch=flow_locks.c.epoch + 1, expires_at=stamp + ttl)
            .returning(flow_locks.c.epoch)
        ).scalar()
        if epoch is not None:
            return int(epoch)
    if take_over is not None:
        return None
    try:
        with store.begin() as conn:
            conn.execute(insert(flow_locks).values(flow=flow, **values, epoch=1, expires_at=db_now(conn) + ttl))
        return 1
    except IntegrityError:
        return None


_FENCE = (update(flow_locks)
          .where(flow_locks.c.flow == bindparam("f_flow"), flow_locks.c.run_id == bindparam("f_run_id"),
                 flow_locks.c.epoch == bindparam("f_epoch"))
          .values(expires_at=bindparam("f_expires_at", type_=flow_locks.c.expires_at.type)))
"""Built once: the fence runs before every write, and building a statement costs more than running it."""


def fence(conn: Connection, flow: str, run_id: str, epoch: int, ttl: timedelta) -> bool:
    """Confirm the lease is still ours at ``epoch`` and extend it; False when it is not (it expired
    and another run took it). Call right before a write, and as the heartbeat."""
    return bool(conn.execute(_FENCE, {"f_flow": flow, "f_run_id": run_id, "f_epoch": epoch,
                                      "f_expires_at": db_now(conn) + ttl}).rowcount)


def release(conn: Connection, flow: str, run_id: str, epoch: int) -> None:
    """End our lease (only ours, only at our epoch); the next run takes it at once."""
    conn.execute(
        update(flow_locks)
        .where(flow_locks.c.flow == flow, flow_locks.c.run_id == run_id, flow_locks.c.epoch == epoch)
        .values(run_id=None, expires_at=ENDED)
    )


def holder(conn: Connection, flow: str) -> Holder | None:
    """The lease's current holder, None when nobody holds it."""
    row = conn.execute(select(flow_locks).where(flow_locks.c.flow == flow)).first()
    if row is None or row.run_id is None:
        return None
    return Holder(owner=row.owner, run_id=row.run_id, host=row.host, pid=row.pid, epoch=row.epoch,
                  expires_at=row.expires_at)
