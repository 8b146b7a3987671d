"""PostgreSQL stopped under a running orders flow (issue 8, item 5).

The store lives on a throwaway cluster of this test's own; the Exact sandbox stops that cluster
the moment it has stored the third order, before answering. The run must then fail cleanly (one
line naming the database, no traceback), write nothing more (at most the one order in flight),
leave no order half-written, and — once the cluster is started again — the next run must take over
the dead run's lease at once and finish from durable state: every paid order in Exact exactly once.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.slice import ENVIRON, start_world
from tests.faults.booking import lift_exact_limits, on_order_booked, tradewind, with_secret_key, world_tally
from tests.faults.harness import report
from tests.faults.pgcluster import DATABASE, Cluster, usable_cluster
from tradewind.store.db import Store

pytestmark = pytest.mark.faults

PAID = 24
STOP_AFTER = 3


@pytest.fixture
def pg_cluster() -> Iterator[Cluster]:
    with usable_cluster() as cluster:
        yield cluster


def _run_orders(project: Path, cluster: Cluster) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **ENVIRON, "TRADEWIND_LOG_LEVEL": "WARNING"}
    return subprocess.run(tradewind("run", "orders", "-p", str(project), "--database", cluster.url), env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def _outage_problems(done: subprocess.CompletedProcess[str], cluster: Cluster) -> list[str]:
    """What the failed run's exit and output break of 'fails cleanly with one line naming the database'."""
    output = done.stdout + done.stderr
    problems = []
    if done.returncode == 0:
        problems.append("the run exited 0 although its database was gone")
    if "Traceback" in output or "sqlalche.me" in output:
        problems.append("a raw traceback / SQLAlchemy error dump was printed")
    if not any(DATABASE in line or f":{cluster.port}" in line for line in output.splitlines()):
        problems.append(f"no line names the database ({DATABASE} at 127.0.0.1:{cluster.port})")
    return problems


def test_a_database_outage_fails_the_run_cleanly_and_the_next_run_books_every_order_once(
        pg_cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with_secret_key(monkeypatch)
    store = Store(pg_cluster.url)
    store.upgrade()
    world = start_world(tmp_path, store, monkeypatch=monkeypatch)
    try:
        lift_exact_limits(world, store)
        assert "succeeded" == world.run("products").status
        world.add_orders(PAID, seed=31)
        world.add_orders(2, seed=32, paid=False)
        stopped_at: list[int] = []

        def outage(order: dict[str, Any]) -> None:
            if not stopped_at and len(world.exact_orders()) >= STOP_AFTER:
                pg_cluster.stop()
                stopped_at.append(len(world.exact_orders()))

        on_order_booked(world.exact.sandbox, outage)
        failed = _run_orders(world.project_path, pg_cluster)
        assert stopped_at, f"the run booked fewer than {STOP_AFTER} orders: {failed.stderr[-3000:]}"
        booked = len(world.exact_orders())
        during = world_tally(world)
        details = [f"outage after order {stopped_at[0]}; the run exited {failed.returncode} having booked {booked}; "
                   f"then {during.line()}", "its output:", (failed.stdout + failed.stderr)[-4000:]]
        problems = _outage_problems(failed, pg_cluster)
        if booked > stopped_at[0] + 1:
            problems.append(f"{booked - stopped_at[0]} orders were booked after the database stopped (at most 1 "
                            "in flight is allowed)")
        if during.duplicates or during.incomplete:
            problems.append(f"half-written or duplicated during the outage: {during.line()}")

        pg_cluster.start()
        store.dispose()
        again = _run_orders(world.project_path, pg_cluster)
        final = world_tally(world)
        details += [f"after the restart the next run exited {again.returncode}", "its output:",
                    (again.stdout + again.stderr)[-4000:]]
        report("database_outage", final, details, capsys)
        if again.returncode != 0:
            problems.append(f"the next run, database back, exited {again.returncode}: "
                            f"{(again.stderr or again.stdout).strip()[-600:]}")
        if not final.clean or final.written != PAID:
            problems.append(f"not every paid order is in Exact exactly once: {final.line()}")
            problems += final.problems[:10]
        assert not problems, "\n".join(problems)
    finally:
        world.exact.stop()
        world.shop.stop()
        store.dispose()
