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

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Interval, bindparam, func, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

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


_FENCE_PG = (update(flow_locks)
             .where(flow_locks.c.flow == bindparam("f_flow"), flow_locks.c.run_id == bindparam("f_run_id"),
                    flow_locks.c.epoch == bindparam("f_epoch"))
             .values(expires_at=func.clock_timestamp() + bindparam("f_ttl", type_=Interval())))
"""PostgreSQL's fence reads the database's clock inside the UPDATE: one statement, not a SELECT first."""

_HOLDS = (select(flow_locks.c.epoch)
          .where(flow_locks.c.flow == bindparam("f_flow"), flow_locks.c.run_id == bindparam("f_run_id"),
                 flow_locks.c.epoch == bindparam("f_epoch")))
"""Whether the row still names the run at its epoch: a read, no commit to write (``Fence.holds``)."""


def fence(conn: Connection, flow: str, run_id: str, epoch: int, ttl: timedelta) -> bool:
    """Confirm the lease is still ours at ``epoch`` and extend it; False when it is not (it expired
    and another run took it). Call right before a write, and as the heartbeat."""
    if conn.dialect.name == "postgresql":
        return bool(conn.execute(_FENCE_PG, {"f_flow": flow, "f_run_id": run_id, "f_epoch": epoch,
                                             "f_ttl": ttl}).rowcount)
    return bool(conn.execute(_FENCE, {"f_flow": flow, "f_run_id": run_id, "f_epoch": epoch,
                                      "f_expires_at": db_now(conn) + ttl}).rowcount)


class Fence:
    """:func:`fence` for one lease, as statement texts compiled once and sent on a pooled DBAPI
    connection, each committed on its own.

    It runs before every write call (a catalogue sync makes one ``productSet`` per product), and
    through a SQLAlchemy ``Connection`` the same UPDATE cost three times what it costs here (a
    transaction object, an execution context, the compiled cache's look-up: ≈90 µs against ≈30 µs on
    SQLite). The statement, the epoch check and the commit are the same; a DBAPI error comes out as
    SQLAlchemy's (``DBAPIError.instance``), its connection discarded from the pool. The pool hands each
    caller (the run, its heartbeat thread) a connection of its own, checked as any other (PostgreSQL's
    pre-ping), so a database restarted meanwhile costs no fence.

    Calling it confirms and renews (an UPDATE); :meth:`holds` only reads whether the row still names
    the run at its epoch — what a write to PostgreSQL needs while a recent renewal is known to hold
    (``engine/locks.py``): the server is still there, and nobody took the row.
    """

    def __init__(self, store: Store, flow: str, run_id: str, epoch: int, ttl: timedelta) -> None:
        self.engine, self.dialect = store.engine, store.engine.dialect
        postgresql = self.dialect.name == "postgresql"
        self.renewal = _Prepared(_FENCE_PG if postgresql else _FENCE, self.dialect)
        self.check = _Prepared(_HOLDS, self.dialect)
        self.ttl = ttl
        self.values: dict[str, Any] = {"f_flow": flow, "f_run_id": run_id, "f_epoch": epoch}
        self.stamp = None if postgresql else flow_locks.c.expires_at.type.bind_processor(self.dialect)

    def _renewing(self) -> dict[str, Any]:
        values = dict(self.values)
        if self.stamp is None:
            values["f_ttl"] = self.ttl
        else:
            values["f_expires_at"] = self.stamp(now() + self.ttl)
        return values

    def __call__(self) -> bool:
        """True while the lease is ours at its epoch (and now extended), False once it is not."""
        return self._send(self.renewal, self._renewing(), lambda cursor: cursor.rowcount == 1)

    def holds(self) -> bool:
        """True while the lease's row names this run at its epoch; renews nothing."""
        return self._send(self.check, self.values, lambda cursor: cursor.fetchone() is not None)

    @property
    def local(self) -> bool:
        """The store is a file on this machine (SQLite), not a server that can go away between two
        writes: only a process here can take the lease, and only once it expired."""
        return self.dialect.name == "sqlite"

    def _send(self, statement: _Prepared, values: dict[str, Any], answer: Callable[[Any], bool]) -> bool:
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                cursor.execute(statement.sql, statement.parameters(values))
                ours = answer(cursor)
            finally:
                cursor.close()
            raw.commit()
        except self.dialect.loaded_dbapi.Error as error:
            raw.invalidate()
            raise DBAPIError.instance(statement.sql, None, error, self.dialect.loaded_dbapi.Error,
                                      hide_parameters=True, dialect=self.dialect) from error
        finally:
            raw.close()
        return ours


class _Prepared:
    """A statement's text for the DBAPI, and its parameters in the order the text wants them."""

    def __init__(self, statement: Any, dialect: Any) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.order = list(compiled.positiontup) if compiled.positional and compiled.positiontup else None

    def parameters(self, values: dict[str, Any]) -> Any:
        return tuple(values[name] for name in self.order) if self.order is not None else values


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
