"""``tradewind serve``: one process running the scheduler and serving an ASGI application over
it — the REST API, webhook receiver and login pages of :mod:`tradewind.api`, which the CLI hands
in (the layers keep ``server`` and ``api`` apart: this module knows processes, not routes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import uvicorn
from rich.console import Console
from starlette.types import ASGIApp

from tradewind.engine.runner import RunResult
from tradewind.engine.scheduler import Scheduler
from tradewind.engine.services import Services

MakeApp = Callable[[Scheduler], ASGIApp]


def report(console: Console) -> Callable[[RunResult], None]:
    def on_result(result: RunResult) -> None:
        counts = " ".join(f"{k}={v}" for k, v in result.counts.items() if v)
        console.print(f"[bold]{result.flow}[/bold] run {result.run_id[:8]} {result.status} {counts}")

    return on_result


def scheduler_for(services: Services, console: Console) -> Scheduler:
    """The flows' scheduler; it asks ``waiting_for``, so paused flows and waiting dependencies are skipped,
    and hears every run (``listeners``), so a flow deferred behind a dependency runs once that completes
    however it was started (schedule, webhook, API)."""
    return Scheduler(services.project.flows, services.run_flow, waiting_for=services.waiting_for,
                     on_result=report(console), chores=services.chores, listeners=services.listeners)


def serve(services: Services, make_app: MakeApp, *, host: str, port: int, console: Console) -> None:
    scheduler = scheduler_for(services, console)
    app = make_app(scheduler)
    scheduler.start()
    console.print(f"tradewind serving {services.project.path}: http://{host}:{port}/ (API at /docs); scheduled: "
                  + ", ".join(f"{n} ({f.schedule.describe()})" for n, f in services.project.flows.items()))
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)
    finally:
        _stop_worker(app)
        scheduler.stop()


def _stop_worker(app: Any) -> None:
    worker = getattr(getattr(app, "state", None), "worker", None)
    if worker is not None:
        worker.stop()
