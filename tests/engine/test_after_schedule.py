"""A scheduled flow that runs ``after`` another on the same interval: each tick finds the dependency
just starting, so the dependent is deferred and runs once when the dependency's run completes —
not skipped tick after tick — and a failed dependency run does not start it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.engine.memory import T0, System, flow, opener
from tradewind.engine.flow import Project, Schedule
from tradewind.engine.locks import FlowLease
from tradewind.engine.runner import Runner, RunResult
from tradewind.engine.scheduler import Scheduler
from tradewind.engine.services import Services
from tradewind.store.db import Store
from tradewind.store.runs import Run

EVERY = Schedule(interval=timedelta(seconds=60))  # one tick in the test: the start; no second one comes


def _services(store: Store) -> Services:
    erp = System()
    for i in range(4):
        erp.add({"key": f"P{i}", "title": f"Product {i}", "sku": f"SKU-{i}", "price": "10.00"},
                modified=T0 + timedelta(seconds=i))
    flows = {"x": replace(flow("x"), schedule=EVERY), "d": replace(flow("d"), schedule=EVERY, after=("x",))}
    project = Project(path="memory.yaml", connections={}, flows=flows)
    return Services(project=project, store=store, runner=Runner(store, opener=opener(erp, System())))


def _until(done: Callable[[], bool], what: str) -> None:
    """Wait for something the scheduler's threads do; the limit only keeps a broken build from hanging."""
    limit = time.monotonic() + 20
    while not done():
        assert time.monotonic() < limit, f"gave up waiting: {what}"
        time.sleep(0.02)


def _finished(services: Services, name: str) -> list[Run]:
    return [r for r in services.runs(flow=name) if r.status != "running"]


def test_a_dependent_on_the_same_interval_runs_once_after_its_dependency(store: Store) -> None:
    services = _services(store)
    inside, release = threading.Event(), threading.Event()

    def gate(counts: dict[str, int]) -> None:  # x holds its lease here until the test lets it go
        inside.set()
        release.wait(20)

    def run_flow(name: str, **kwargs: Any) -> RunResult:
        return services.run_flow(name, progress=gate if name == "x" else None, **kwargs)

    scheduler = Scheduler(services.project.flows, run_flow, waiting_for=services.waiting_for,
                          listeners=services.listeners)
    scheduler.start()  # both flows' first ticks fire now, together
    try:
        _until(inside.is_set, "x started")
        _until(lambda: "d" in scheduler.deferred, "d's tick found x running (or never completed)")
        assert [] == services.runs(flow="d")  # skipped, not run beside x
        release.set()
        _until(lambda: bool(_finished(services, "d")), "d ran after x")
    finally:
        release.set()
        scheduler.stop()
    [x] = services.runs(flow="x")
    [d] = services.runs(flow="d")  # once, and nothing recorded as skipped
    assert ("succeeded", "succeeded") == (x.status, d.status)
    assert x.finished_at is not None and d.started_at >= x.finished_at
    assert set() == scheduler.deferred


def test_a_failed_dependency_run_does_not_start_the_dependent(store: Store) -> None:
    services = _services(store)
    scheduler = Scheduler(services.project.flows, services.run_flow, waiting_for=services.waiting_for,
                          listeners=services.listeners)
    scheduler.start(run_now=False)  # the next ticks are a minute away
    try:
        ticks = dict(scheduler.jobs())
        with FlowLease(store, "x", "someone-else-run"):
            scheduler._job("d")  # what d's trigger calls while x runs
        assert {"d"} == scheduler.deferred and [] == services.runs(flow="d")
        failed = RunResult(run_id="r1", flow="x", status="failed", counts={}, error="source down")
        scheduler.run_ended(failed)
        assert ticks == dict(scheduler.jobs())  # d not moved: it waits for its own tick or a completed x
        assert {"d"} == scheduler.deferred
        scheduler.run_ended(replace(failed, status="succeeded", error=None))
        # moved to now and fired at once (the scheduler's thread may beat this line, so no look at
        # ``deferred`` in between); that tick finds x never completed (the result above was told, not
        # run): deferred again, not looped, its next tick an interval after the requeued one
        def next_tick() -> datetime:
            return datetime.fromisoformat(dict(scheduler.jobs())["d"])

        _until(lambda: "d" in scheduler.deferred and next_tick() > datetime.fromisoformat(ticks["d"]),
               "d's requeued tick, deferred again")
        assert next_tick() > datetime.now(UTC)
    finally:
        scheduler.stop()
    assert [] == services.runs(flow="d")
