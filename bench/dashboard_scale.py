"""Every list and search the API and the web app run, timed on a PostgreSQL store holding a million transfers.

    .venv/bin/python bench/dashboard_scale.py [--transfers 1000000] [--runs 5000] [--flows 8]
        [--failures 20000] [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--keep]

A fresh database (``tradewind_bench_<random>``) is made by the migrations, then filled by COPY:
``--runs`` runs spread over ``--flows`` flows and 60 days, ``--transfers`` transfers among them
(one in 20 failed, with one of a few reasons; one flow's natural keys are e-mail addresses, stored
as keyed hashes), payload-free queued records, and the tables analysed. Each query is then run 5
times and its best and median times printed against the 0.5 s target. Figures only, nothing asserted.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tradewind.store import failures, overview, personal, reports, runs, transfer_search, watch
from tradewind.store.db import Store

TARGET = 0.5
REASONS = ["sku: SKU is empty", "price: not a number", "RejectedByTarget: Artikel bestaat niet",
           "customer: VAT number invalid", "outcome unknown: the write's answer was lost"]
T_END = datetime(2026, 12, 1, tzinfo=UTC)


def _copy(store: Store, table: str, columns: list[str], rows: Any) -> None:
    """COPY rows (tuples) into ``table`` through psycopg's copy protocol, in one stream."""
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)
        raw.commit()
    finally:
        raw.close()


def fill(store: Store, *, n_transfers: int, n_runs: int, n_flows: int, n_failures: int) -> dict[str, Any]:
    rng = random.Random(7)
    flows = [f"flow_{i}" for i in range(n_flows)]
    flows[0] = "customers"
    with store.begin() as conn:
        hide = personal.hider(conn)
    run_rows, run_ids = [], []
    per_run = n_transfers // n_runs
    for i in range(n_runs):
        flow = flows[i % n_flows]
        started = T_END - timedelta(days=60) + timedelta(seconds=i * 60 * 60 * 24 * 60 / n_runs)
        failed = per_run // 20
        run_id = uuid.uuid4().hex
        run_ids.append((run_id, flow, started))
        run_rows.append((run_id, flow, "schedule", "partial" if failed else "succeeded", False, started,
                         started + timedelta(seconds=30), started + timedelta(seconds=30), "bench", per_run,
                         per_run - failed - 10, 5, 5, failed, 0, None, None, None))
    _copy(store, "runs", ["id", "flow", "trigger", "status", "dry_run", "started_at", "finished_at", "heartbeat_at",
                          "owner", "received", "created", "updated", "skipped", "failed", "parked", "cursor_from",
                          "cursor_to", "error"], run_rows)

    def transfer_rows() -> Any:
        for index in range(n_transfers):
            run_id, flow, started = run_ids[min(index // per_run, n_runs - 1)]
            failed = index % 20 == 0
            record = index % (n_transfers // 4)  # each record moves about four times
            key = hide(f"email=person{record}@example.com") if flow == "customers" else f"sku=SKU-{record:07d}"
            yield (run_id, flow, "customer" if flow == "customers" else "product", f"src-{record:07d}", key,
                   "write", "failed" if failed else "created", rng.choice(REASONS) if failed else None, None,
                   None if failed else f"tgt-{record}", 1, started, started + timedelta(seconds=1))

    clock = time.perf_counter()
    _copy(store, "transfers", ["run_id", "flow", "entity", "source_id", "natural_key", "stage", "outcome", "reason",
                               "field", "target_id", "attempt", "created_at", "finished_at"], transfer_rows())
    copied = time.perf_counter() - clock

    def failure_rows() -> Any:
        for i in range(n_failures):
            flow = flows[i % n_flows]
            key = hide(f"email=person{i}@example.com") if flow == "customers" else f"sku=SKU-{i:07d}"
            yield (flow, f"src-{i:07d}", "null", None, 1 + i % 5, T_END, rng.choice(REASONS), run_ids[-1][0], T_END,
                   key, None if i % 10 else flows[1])

    _copy(store, "failures", ["flow", "source_id", "payload", "version", "attempts", "next_attempt_at", "last_error",
                              "last_run_id", "updated_at", "natural_key", "parked_on"], failure_rows())
    with store.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    return {"flows": flows, "run_ids": run_ids, "copy_seconds": copied}


def queries(store: Store, facts: dict[str, Any]) -> dict[str, Callable[[sa.Connection], object]]:
    flows: list[str] = facts["flows"]
    run_id, flow, started = facts["run_ids"][len(facts["run_ids"]) // 2]
    oldest = transfer_search.Query(limit=100, before=200)
    Q = transfer_search.Query
    return {
        "runs list (newest 50)": lambda c: overview.runs_page(c),
        "runs list, one flow": lambda c: overview.runs_page(c, flow=flow),
        "runs list, failed status": lambda c: overview.runs_page(c, status="failed"),
        "runs list, deep page": lambda c: overview.runs_page(c, before=(started, run_id)),
        "runs.recent (CLI/API)": lambda c: runs.recent(c, limit=50),
        "last run per flow": lambda c: overview.last_runs(c, flows),
        "dashboard (60 days)": lambda c: overview.dashboard(c, flows, T_END - timedelta(days=60)),
        "a run's transfers (first page)": lambda c: runs.list_transfers(c, run_id, limit=100),
        "a run's failed transfers": lambda c: runs.list_transfers(c, run_id, outcome="failed", limit=100),
        "transfers, newest 100": lambda c: transfer_search.page(c, Q()),
        "transfers, one flow": lambda c: transfer_search.page(c, Q(flow=flow)),
        "transfers, one flow failed": lambda c: transfer_search.page(c, Q(flow=flow, outcome="failed")),
        "transfers, failed (all flows)": lambda c: transfer_search.page(c, Q(outcome="failed")),
        "transfers, a day": lambda c: transfer_search.page(c, Q(since=started, until=started + timedelta(days=1))),
        "transfers, deep page (keyset)": lambda c: transfer_search.page(c, oldest),
        "search by source id": lambda c: transfer_search.page(c, Q(key="src-0123456")),
        "search by SKU key": lambda c: transfer_search.page(c, Q(key="sku=SKU-0123457")),
        "search by e-mail (hashed)": lambda c: transfer_search.page(c, Q(key="email=Person123456@example.com")),
        "a record's history": lambda c: runs.history(c, flow, "src-0123456"),
        "failures, one flow": lambda c: failures.all_for(c, flows[1]),
        "failures --key by e-mail": lambda c: failures.all_for(c, "customers", key="person8@example.com",
                                                                key_names=("email",)),
        "failures grouped (queue)": lambda c: overview.queued(c),
        "failure reasons of 50 runs": lambda c: watch.failure_reasons(c, [r[0] for r in facts["run_ids"][:50]]),
        "status report period (7 days)": lambda c: reports.flow_period(c, flow, T_END - timedelta(days=7), T_END),
        "metrics: runs by status": lambda c: watch.runs_by_status(c),
        "metrics: transfers by outcome": lambda c: watch.transfers_by_outcome(c),
        "metrics: queued records": lambda c: watch.queued(c),
    }


def time_all(store: Store, found: dict[str, Callable[[sa.Connection], object]]) -> list[tuple[str, float, float]]:
    figures = []
    for name, query in found.items():
        took = []
        for _ in range(5):
            with store.begin() as conn:
                start = time.perf_counter()
                query(conn)
                took.append(time.perf_counter() - start)
        figures.append((name, min(took), statistics.median(took)))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transfers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5_000)
    parser.add_argument("--flows", type=int, default=8)
    parser.add_argument("--failures", type=int, default=20_000)
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    name = f"tradewind_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(args.admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    store = Store(args.admin_url.rsplit("/", 1)[0] + f"/{name}")
    try:
        store.upgrade()
        started = time.perf_counter()
        facts = fill(store, n_transfers=args.transfers, n_runs=args.runs, n_flows=args.flows,
                     n_failures=args.failures)
        print(f"filled {args.transfers:,} transfers, {args.runs:,} runs, {args.failures:,} queued records in "
              f"{time.perf_counter() - started:.1f} s (transfers by COPY: {facts['copy_seconds']:.1f} s)")
        figures = time_all(store, queries(store, facts))
        width = max(len(n) for n, _, _ in figures)
        print(f"{'query':<{width}}  {'best':>8}  {'median':>8}  target {TARGET} s")
        for query_name, best, median in figures:
            flag = "ok" if median < TARGET else "SLOW"
            print(f"{query_name:<{width}}  {best * 1000:7.1f}ms  {median * 1000:7.1f}ms  {flag}")
    finally:
        store.dispose()
        if not args.keep:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
