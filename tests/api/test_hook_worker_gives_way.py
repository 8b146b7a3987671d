"""Webhook runs of a flow give way to a flow deferred behind it: while the scheduler says one is
about to start, the worker does not start the dependency again (the events wait in the inbox), then
runs it once; and a real scheduler, wired by ``create_app``, says so only between the move and the start."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from tests.engine.memory import T0, System, flow, opener
from tradewind.api import create_app
from tradewind.api.hooks import HookWorker
from tradewind.engine.flow import Project, Schedule
from tradewind.engine.runner import Runner
from tradewind.engine.scheduler import Scheduler
from tradewind.engine.services import Services
from tradewind.store.db import Store


def _services(store: Store) -> Services:
    erp = System()
    erp.add({"key": "P1", "title": "Product 1", "sku": "SKU-1", "price": "10.00"}, modified=T0)
    every = Schedule(interval=timedelta(seconds=60))
    flows = {"orders": replace(flow("orders"), schedule=every),
             "payments": replace(flow("payments"), schedule=every, after=("orders",))}
    return Services(project=Project(path="memory.yaml", connections={}, flows=flows), store=store,
                    runner=Runner(store, opener=opener(erp, System())))


def _until(done: Callable[[], bool], what: str) -> None:
    limit = time.monotonic() + 20  # only keeps a broken build from hanging
    while not done():
        assert time.monotonic() < limit, f"gave up waiting: {what}"
        time.sleep(0.02)


def test_the_worker_waits_while_a_dependent_is_due_then_runs_once(store: Store) -> None:
    services = _services(store)
    asked: list[int] = []  # orders' runs seen each time the worker asked

    def give_way(name: str) -> str | None:
        asked.append(len(services.runs(flow=name)))
        return "flow payments, which runs after orders, starts first" if len(asked) < 3 else None

    worker = HookWorker(services, retry_seconds=0.01, give_way=give_way)
    try:
        worker.wake(["orders"])
        _until(lambda: bool(services.runs(flow="orders")), "the orders run")
    finally:
        worker.stop()
    assert [0, 0, 0] == asked  # no run while told to give way
    assert ["webhook"] == [r.trigger for r in services.runs(flow="orders")]


def test_create_app_lets_the_scheduler_hear_event_runs_and_answer_give_way(store: Store) -> None:
    services = _services(store)
    scheduler = Scheduler(services.project.flows, services.run_flow, waiting_for=services.waiting_for)
    app = create_app(services, scheduler)
    assert scheduler.run_ended in services.listeners and app.state.worker.give_way == scheduler.give_way
    create_app(services, scheduler)
    assert 1 == services.listeners.count(scheduler.run_ended)  # heard once, however often wired
    scheduler.start(run_now=False)
    try:
        scheduler._job("payments")  # its tick: orders never completed, so deferred
        assert None is scheduler.give_way("orders")  # deferred is not due: events are not held back
        services.run_for_events("orders")  # a webhook run completes: payments moved to now
        _until(lambda: bool(services.runs(flow="payments")), "payments after the webhook run of orders")
        assert None is scheduler.give_way("orders")  # it started: nothing to give way to
    finally:
        scheduler.stop()
        app.state.worker.stop()
    assert ["succeeded"] == [r.status for r in services.runs(flow="payments")]
