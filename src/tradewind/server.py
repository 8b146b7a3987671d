"""``tradewind serve``: the scheduler and a small status API in one process.

The API is JSON over Starlette: flows, runs, transfers, failures, and a manual trigger. The
dashboard (a later piece) builds on these same endpoints.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, is_dataclass
from datetime import datetime
from typing import Any

import uvicorn
from rich.console import Console
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from tradewind.engine.locks import FlowBusy
from tradewind.engine.runner import RunResult
from tradewind.engine.scheduler import Scheduler
from tradewind.engine.services import Services
from tradewind.errors import ConfigError


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in asdict(value).items()}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def create_api(services: Services, scheduler: Scheduler | None = None) -> Starlette:
    """The status API over ``services``; ``scheduler`` (when given) shows each flow's next run."""

    def flows(request: Request) -> Response:
        jobs = dict(scheduler.jobs()) if scheduler else {}
        return JSONResponse([
            {"name": name, "from": f"{f.source.name}.{f.source_resource}", "to": f"{f.target.name}.{f.target_resource}",
             "schedule": f.schedule.describe(), "enabled": f.enabled, "next_run": jobs.get(name)}
            for name, f in services.project.flows.items()
        ])

    def runs(request: Request) -> Response:
        limit = int(request.query_params.get("limit", "50"))
        return JSONResponse(_plain(services.runs(flow=request.query_params.get("flow"), limit=limit)))

    def transfers(request: Request) -> Response:
        try:
            rows = services.transfers(request.path_params["run_id"], outcome=request.query_params.get("outcome"))
        except ConfigError as error:
            return JSONResponse({"error": str(error)}, status_code=404)
        return JSONResponse(_plain(rows))

    def failures(request: Request) -> Response:
        return JSONResponse(_plain(services.failures(request.query_params.get("flow"))))

    def trigger(request: Request) -> Response:
        name = request.path_params["flow"]
        try:
            services.flow(name)
        except ConfigError as error:
            return JSONResponse({"error": str(error)}, status_code=404)

        def work() -> None:
            try:
                services.run_flow(name, trigger="api")
            except FlowBusy:
                pass

        threading.Thread(target=work, name=f"api-run:{name}", daemon=True).start()
        return JSONResponse({"flow": name, "started": True}, status_code=202)

    def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    def home(request: Request) -> Response:
        rows = "".join(
            f"<tr><td>{r.flow}</td><td>{r.id[:8]}</td><td>{r.status}</td><td>{r.started_at:%Y-%m-%d %H:%M:%S}</td>"
            f"<td>{r.received}</td><td>{r.created}</td><td>{r.updated}</td><td>{r.skipped}</td><td>{r.failed}</td></tr>"
            for r in services.runs(limit=30)
        )
        return HTMLResponse(
            "<!doctype html><title>tradewind</title><h1>tradewind</h1><p>Recent runs (JSON at <a href='/api/runs'>"
            "/api/runs</a>, flows at <a href='/api/flows'>/api/flows</a>).</p><table border=1 cellpadding=4>"
            "<tr><th>flow</th><th>run</th><th>status</th><th>started (UTC)</th><th>received</th><th>created</th>"
            f"<th>updated</th><th>skipped</th><th>failed</th></tr>{rows}</table>"
        )

    return Starlette(routes=[
        Route("/", home),
        Route("/healthz", health),
        Route("/api/flows", flows),
        Route("/api/flows/{flow}/run", trigger, methods=["POST"]),
        Route("/api/runs", runs),
        Route("/api/runs/{run_id}/transfers", transfers),
        Route("/api/failures", failures),
    ])


def report(console: Console) -> Any:
    def on_result(result: RunResult) -> None:
        counts = " ".join(f"{k}={v}" for k, v in result.counts.items() if v)
        console.print(f"[bold]{result.flow}[/bold] run {result.run_id[:8]} {result.status} {counts}")

    return on_result


def serve(services: Services, *, host: str, port: int, console: Console) -> None:
    scheduler = Scheduler(services.project.flows, services.run_flow, waiting_for=services.waiting_for,
                          on_result=report(console))
    scheduler.start()
    console.print(f"tradewind serving {services.project.path}: API on http://{host}:{port}/ ; scheduled: "
                  + ", ".join(f"{n} ({f.schedule.describe()})" for n, f in services.project.flows.items()))
    try:
        uvicorn.run(create_api(services, scheduler), host=host, port=port, log_level="warning")
    finally:
        scheduler.stop()
