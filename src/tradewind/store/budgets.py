"""Call budgets in the store: one row per system account and window, shared by every process.

Each reservation, correction or release is one short transaction that first locks the account's
rows: its first statement writes, so SQLite takes its write lock at once (``BEGIN IMMEDIATE``
semantics; others wait on the busy timeout), and PostgreSQL holds the rows ``FOR UPDATE``. The
rules applied under the lock are :mod:`tradewind.connectors.pacing`'s, so another backend (Redis,
with scale-out) only has to provide the lock and the rows.

Beside an account's windows, its lines of waiting callers (``line:high``, ``line:normal``,
``line:low``: how many wait, and until when their places hold) are rows of the same table, so an
order call waiting in one process holds back catalogue calls in every other. A cost bucket
(Shopify's) is one more row, ``points`` (:data:`~tradewind.connectors.pacing.BUCKET`): ``limit``
its maximum, ``seconds`` the time it takes to fill (maximum ÷ restore rate), ``remaining`` the
points available at ``reset_at``, from which it refills; and each process using it has a row
``presence:<who>`` (:func:`~tradewind.connectors.pacing.presence_row`: present until ``reset_at``),
renewed every few seconds and deleted when gone.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from tradewind.connectors.base import Priority
from tradewind.connectors.pacing import (
    BUCKET,
    Grant,
    Holding,
    Meeting,
    Reading,
    Throttle,
    Window,
    correct,
    draw_in_turn,
    give_back,
    hand_back,
    is_line,
    is_presence,
    line_name,
    lines,
    meet,
    presence_row,
    settle_bucket,
    stamp,
    step_out,
    take_in_turn,
)
from tradewind.store.db import Store, now
from tradewind.store.tables import call_budgets as table


class StoreBudgets:
    """A :class:`~tradewind.connectors.pacing.BudgetLedger` backed by the database."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock
        self.scope = "store:" + hashlib.sha256(store.url.encode()).hexdigest()[:16]

    def reserve(self, account: str, windows: Sequence[Window], want: int, level: Priority,
                readings: Sequence[Reading] = (), queued: bool = False) -> Grant:
        with self.store.begin() as conn:
            _lock(conn, account)
            _create(conn, account, [*windows, *lines()])
            rows = _rows(conn, account)
            _correct(rows, readings, self.clock())
            queues = {name: row for name, row in rows.items() if is_line(name)}
            grant = take_in_turn([rows[spec.name] for spec in windows], queues, want, level, self.clock(), queued)
            _save(conn, account, rows)
        return grant

    def leave(self, account: str, level: Priority) -> None:
        with self.store.begin() as conn:
            _lock(conn, account)
            rows = _rows(conn, account)
            if line_name(level) in rows:
                step_out(rows[line_name(level)], self.clock())
                _save(conn, account, rows)

    def observe(self, account: str, readings: Sequence[Reading]) -> None:
        with self.store.begin() as conn:
            _lock(conn, account)
            rows = _rows(conn, account)
            _correct(rows, readings, self.clock())
            _save(conn, account, rows)

    def release(self, account: str, periods: Mapping[str, int], calls: int) -> None:
        with self.store.begin() as conn:
            _lock(conn, account)
            rows = _rows(conn, account)
            for name, period in periods.items():
                if name in rows:
                    give_back(rows[name], period, calls, self.clock())
            _save(conn, account, rows)

    def draw(self, account: str, bucket: Window, points: int, level: Priority, back: int = 0,
             status: Throttle | None = None, queued: bool = False) -> Grant:
        with self.store.begin() as conn:
            _lock(conn, account)
            rows = _made(conn, account, _rows(conn, account), bucket)
            settle_bucket(rows[bucket.name], back, status, self.clock())
            queues = {name: row for name, row in rows.items() if is_line(name)}
            grant = draw_in_turn(rows[bucket.name], queues, points, level, self.clock(), queued)
            _save(conn, account, {bucket.name: rows[bucket.name], **queues})
        return grant

    def settle(self, account: str, back: int, status: Throttle | None) -> None:
        with self.store.begin() as conn:
            _lock(conn, account)
            rows = _rows(conn, account)
            if BUCKET in rows:
                settle_bucket(rows[BUCKET], back, status, self.clock())
                _save(conn, account, {BUCKET: rows[BUCKET]})

    def announce(self, account: str, who: str, bucket: Window, held: Holding | None = None, back: int = 0,
                 status: Throttle | None = None) -> Meeting:
        with self.store.begin() as conn:
            _lock(conn, account)
            rows = _made(conn, account, _rows(conn, account), bucket)
            now = self.clock()
            own, others, gone = stamp({name: row for name, row in rows.items() if is_presence(name)}, who, now)
            row = rows[bucket.name]
            settle_bucket(row, back, status, now)
            meeting = meet(row, others, held, now)
            _put(conn, account, [row, own])
            if gone:
                conn.execute(delete(table).where(table.c.account == account, table.c.window.in_(gone)))
        return meeting

    def depart(self, account: str, who: str, held: Holding | None = None, back: int = 0,
               status: Throttle | None = None) -> None:
        with self.store.begin() as conn:
            _lock(conn, account)
            rows = _rows(conn, account)
            conn.execute(delete(table).where(table.c.account == account,
                                             table.c.window == presence_row(who, 0.0).name))
            if BUCKET in rows:
                settle_bucket(rows[BUCKET], back, status, self.clock())
                if held is not None:
                    hand_back(rows[BUCKET], held, self.clock())
                _save(conn, account, {BUCKET: rows[BUCKET]})

    def windows(self, account: str) -> dict[str, Window]:
        """The account's shared windows as stored (for status pages and tests), its lines and the
        presence of processes apart."""
        with self.store.begin() as conn:
            return {name: row for name, row in _rows(conn, account).items()
                    if not is_line(name) and not is_presence(name)}

    def present(self, account: str) -> dict[str, Window]:
        """The processes using the account's bucket as stored: present until ``reset_at``."""
        with self.store.begin() as conn:
            return {name: row for name, row in _rows(conn, account).items() if is_presence(name)}

    def lines(self, account: str) -> dict[str, Window]:
        """The account's lines of waiting callers as stored: ``remaining`` callers, until ``reset_at``."""
        with self.store.begin() as conn:
            return {name: row for name, row in _rows(conn, account).items() if is_line(name)}


def _lock(conn: Connection, account: str) -> None:
    """A write that changes nothing: the database's write lock (SQLite) or the rows' locks (PostgreSQL)."""
    conn.execute(update(table).where(table.c.account == account).values(remaining=table.c.remaining))


def _create(conn: Connection, account: str, windows: Sequence[Window]) -> None:
    """Rows for windows the account has none for yet, full; a row another process made first stays."""
    have = set(conn.execute(select(table.c.window).where(table.c.account == account)).scalars())
    missing = [dict(account=account, window=spec.name, limit=spec.limit, seconds=spec.seconds,
                    remaining=spec.limit, reset_at=spec.reset_at, period=0, updated_at=now())
               for spec in windows if spec.name not in have]
    if missing:
        conn.execute(_insert_new(conn), missing)


def _made(conn: Connection, account: str, rows: dict[str, Window], bucket: Window) -> dict[str, Window]:
    """``rows``, with the bucket and lines made first if missing (first use: a statement less after)."""
    if {bucket.name, *(line.name for line in lines())} <= set(rows):
        return rows
    _create(conn, account, [bucket, *lines()])
    return _rows(conn, account)


def _put(conn: Connection, account: str, rows: Sequence[Window]) -> None:
    """Rows written whether they exist or not, in one statement (a process's first presence)."""
    module: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = module.insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["account", "window"],
        set_={column: statement.excluded[column] for column in ("limit", "seconds", "remaining", "reset_at",
                                                                "period", "updated_at")})
    written = now()
    conn.execute(statement, [dict(account=account, window=w.name, limit=w.limit, seconds=w.seconds,
                                  remaining=w.remaining, reset_at=w.reset_at, period=w.period, updated_at=written)
                             for w in rows])


def _insert_new(conn: Connection) -> Any:
    module: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing(index_elements=["account", "window"])


def _rows(conn: Connection, account: str) -> dict[str, Window]:
    found = conn.execute(select(table).where(table.c.account == account).with_for_update())
    return {row.window: Window(row.window, row.limit, row.seconds, row.remaining, row.reset_at, row.period)
            for row in found}


def _correct(rows: Mapping[str, Window], readings: Sequence[Reading], at: float) -> None:
    for reading in readings:
        if reading.window in rows:
            correct(rows[reading.window], reading, at)


def _save(conn: Connection, account: str, rows: Mapping[str, Window]) -> None:
    if not rows:
        return
    statement = (update(table)
                 .where(table.c.account == bindparam("b_account"), table.c.window == bindparam("b_window"))
                 .values(limit=bindparam("b_limit"), seconds=bindparam("b_seconds"), remaining=bindparam("b_remaining"),
                         reset_at=bindparam("b_reset_at"), period=bindparam("b_period"),
                         updated_at=bindparam("b_updated_at")))
    stamp = now()
    conn.execute(statement, [dict(b_account=account, b_window=w.name, b_limit=w.limit, b_seconds=w.seconds,
                                  b_remaining=w.remaining,
                                  b_reset_at=w.reset_at, b_period=w.period, b_updated_at=stamp)
                          for w in rows.values()])


def in_window(conn: Connection, name: str) -> list[tuple[str, Window]]:
    """Every account's window ``name`` (``day``) as stored, by account: what a quota check reads."""
    rows = conn.execute(select(table).where(table.c.window == name).order_by(table.c.account))
    return [(row.account, Window(row.window, row.limit, row.seconds, row.remaining, row.reset_at, row.period))
            for row in rows]
