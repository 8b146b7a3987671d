"""The overview's queries on SQLite and PostgreSQL: each flow's last run, per-day sums of the runs'
counters in UTC days, keyset pages of runs, the retry queue without payloads."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update

from tradewind.store import failures, overview, runs
from tradewind.store.db import Store
from tradewind.store.tables import runs as runs_table


def add_run(conn: object, run_id: str, flow: str, started: datetime, **counts: int) -> None:
    runs.start(conn, run_id=run_id, flow=flow, trigger="manual", dry_run=False, owner="test",  # type: ignore[arg-type]
               cursor_from=None)
    runs.add_counts(conn, run_id, counts)  # type: ignore[arg-type]
    conn.execute(update(runs_table).where(runs_table.c.id == run_id).values(started_at=started))  # type: ignore[attr-defined]


def test_days_sum_the_runs_counters_per_utc_day(store: Store) -> None:
    with store.begin() as conn:
        add_run(conn, "a" * 32, "orders", datetime(2026, 5, 1, 23, 59, tzinfo=UTC), created=3, updated=2, failed=1)
        add_run(conn, "b" * 32, "products", datetime(2026, 5, 1, 0, 0, tzinfo=UTC), created=10, skipped=4)
        add_run(conn, "c" * 32, "orders", datetime(2026, 5, 2, 0, 0, 1, tzinfo=UTC), updated=7, failed=2)
        add_run(conn, "d" * 32, "orders", datetime(2026, 4, 29, tzinfo=UTC), created=100)  # before the window
        days = overview.daily(conn, datetime(2026, 4, 30, tzinfo=UTC))
    assert [overview.Day(day=date(2026, 5, 1), written=15, skipped=4, failed=1),
            overview.Day(day=date(2026, 5, 2), written=7, skipped=0, failed=2)] == days


def test_last_runs_and_keyset_pages_of_runs(store: Store) -> None:
    start = datetime(2026, 5, 1, tzinfo=UTC)
    with store.begin() as conn:
        for n in range(5):
            add_run(conn, f"{n:032x}", "orders" if n % 2 == 0 else "products", start + timedelta(minutes=n))
        add_run(conn, "f" * 32, "orders", start + timedelta(minutes=4))  # same start as run 4: the id breaks the tie
        last = overview.last_runs(conn, ["orders", "products", "stock"])
        first = overview.runs_page(conn, limit=3)
        second = overview.runs_page(conn, limit=3, before=(first[-1].started_at, first[-1].id))
        only_orders = overview.runs_page(conn, flow="orders", limit=10)
    assert {"orders", "products"} == set(last)
    assert f"{3:032x}" == last["products"].id
    assert ["f" * 32, f"{4:032x}", f"{3:032x}"] == [r.id for r in first]
    assert [f"{2:032x}", f"{1:032x}", f"{0:032x}"] == [r.id for r in second]
    assert ["f" * 32, f"{4:032x}", f"{2:032x}", f"{0:032x}"] == [r.id for r in only_orders]


def test_the_queue_is_listed_without_payloads(store: Store) -> None:
    with store.begin() as conn:
        failures.record(conn, flow="orders", source_id="7", payload={"email": "jan@example.com"}, version=None,
                        attempts=2, next_attempt_at=datetime(2026, 5, 1, tzinfo=UTC), error="boom", run_id="r",
                        natural_key="number=#1007", parked_on=None)
        found = overview.queued(conn)
    assert [("orders", "7", "number=#1007", 2, "boom", None)] == [
        (q.flow, q.source_id, q.natural_key, q.attempts, q.last_error, q.parked_on) for q in found]
    assert not hasattr(found[0], "payload")
