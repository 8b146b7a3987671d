"""A run paused (SIGSTOP) past its lease while a second run takes over (issue 8, item 2).

The first ``tradewind run orders`` is stopped by the Exact sandbox right after its first order
is stored, before the answer leaves, so it resumes in the middle of a decided batch. Once its
lease has expired a second run takes over and books the rest; then the first is resumed. It
must make no further write, end saying it lost its lease, and no order may be booked twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.e2e.slice import ENVIRON, World, start_world
from tests.faults.booking import lift_exact_limits, on_order_booked, tradewind, with_secret_key, world_tally
from tests.faults.harness import report
from tradewind.store.db import Store
from tradewind.store.tables import flow_locks

pytestmark = pytest.mark.faults

LEASE_SECONDS = 3
PAID = 12


def _writes(calls: dict[str, int]) -> int:
    """Exact calls that change something (token exchanges aside)."""
    return sum(n for route, n in calls.items()
               if route.split()[0] in ("POST", "PUT", "PATCH", "DELETE") and "/oauth2/" not in route)


def _wait_past_lease(store: Store, flow: str) -> None:
    """Until the flow's lease row says it has expired (the paused holder cannot renew it)."""
    deadline = time.monotonic() + 10 * LEASE_SECONDS + 30
    while time.monotonic() < deadline:
        with store.begin() as conn:
            expires = conn.execute(select(flow_locks.c.expires_at).where(flow_locks.c.flow == flow)).scalar()
        if expires is None or expires < datetime.now(UTC):
            time.sleep(0.5)  # a margin for the database's clock
            return
        time.sleep(0.2)
    pytest.fail(f"the paused run's lease on {flow} never expired (is TRADEWIND_LEASE_SECONDS honoured?)")


@pytest.fixture
def world(tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> Any:
    with_secret_key(monkeypatch)
    monkeypatch.setenv("TRADEWIND_LEASE_SECONDS", str(LEASE_SECONDS))
    w = start_world(tmp_path, store, monkeypatch=monkeypatch)
    lift_exact_limits(w, store)
    yield w
    w.exact.stop()
    w.shop.stop()


def test_a_run_paused_past_its_lease_writes_nothing_more_after_another_took_over(
        world: World, store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert "succeeded" == world.run("products").status
    world.add_orders(PAID, seed=41)
    env = {**os.environ, **ENVIRON, "TRADEWIND_LOG_LEVEL": "WARNING"}
    command = tradewind("run", "orders", "-p", str(world.project_path), "--database", store.url)
    booked: Counter[str] = Counter()  # orders stored per phase: first, second, resumed
    phase = ["first"]
    paused = threading.Event()
    first: subprocess.Popen[str] | None = None

    def pause_first(order: dict[str, Any]) -> None:
        booked[phase[0]] += 1
        if not paused.is_set() and first is not None:
            os.kill(first.pid, signal.SIGSTOP)  # its first order is stored; the answer waits
            paused.set()

    on_order_booked(world.exact.sandbox, pause_first)
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert paused.wait(90), "the first run booked no order"
        _wait_past_lease(store, "orders")
        phase[0] = "second"
        second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
        phase[0] = "resumed"
        world.reset_calls()
        os.kill(first.pid, signal.SIGCONT)
        out, err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            os.kill(first.pid, signal.SIGCONT)
            first.kill()
            first.wait()
    resumed_writes = _writes(world.calls(world.exact))
    result = world_tally(world)
    report(f"paused_lease_{store.engine.dialect.name}", result, [
        f"orders booked by phase {dict(booked)}; writes after resuming {resumed_writes}",
        f"second run (exit {second.returncode}):", (second.stdout + second.stderr)[-3000:],
        f"resumed first run (exit {first.returncode}):", (out + err)[-3000:]], capsys)
    problems = []
    if second.returncode != 0:
        problems.append(f"the second run did not take over the expired lease (exit {second.returncode})")
    if resumed_writes or booked["resumed"]:
        problems.append(f"the resumed run made {resumed_writes} write(s) ({booked['resumed']} orders) after "
                        "losing its lease")
    if "lease" not in (out + err).lower() or first.returncode == 0:
        problems.append(f"the resumed run did not end reporting its lost lease (exit {first.returncode})")
    if "Traceback" in err:
        problems.append("the resumed run printed a traceback")
    if not result.clean or result.written != PAID:
        problems.append(f"not every paid order is in Exact exactly once: {result.line()}")
        problems += result.problems[:10]
    assert not problems, "\n".join(problems)
