"""The web app's buttons: HTML forms posting the session's CSRF token as a ``csrf`` field (a
form cannot send the API's header) to thin routes calling the same Services functions as
/api/v1. Each answers 303 back to the page the form was on, with a notice saying what happened."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import Response

from tradewind.api.accounts import Principal
from tradewind.api.background import start_run
from tradewind.api.security import Require
from tradewind.api.web.render import back
from tradewind.api.web.views import Svc
from tradewind.engine.locks import FlowBusy
from tradewind.engine.services import Replay, Services

log = structlog.get_logger("tradewind.web")
router = APIRouter(include_in_schema=False)
MAX_KEYS = 1000


class FormRequire(Require):
    """:class:`Require` for HTML forms: a session's CSRF token comes in the form's ``csrf`` field."""

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        form = await request.form()
        sent = form.get("csrf")
        return self.check(request, sent if isinstance(sent, str) else "")


Operator = Annotated[Principal, Depends(FormRequire("operator"))]
Admin = Annotated[Principal, Depends(FormRequire("admin"))]
Next = Annotated[str | None, Form(max_length=500)]


def _flow(svc: Services, name: str) -> None:
    if name not in svc.project.flows:
        raise HTTPException(404, f"no flow named {name!r}")


@router.post("/flows/{flow}/run")
def run_now(request: Request, flow: str, svc: Svc, who: Operator, next: Next = None) -> Response:
    """Start a run in the background (as ``POST /api/v1/flows/{flow}/run``), or say why not."""
    _flow(svc, flow)
    reason = start_run(svc, flow, trigger="web", by=who.name)
    if reason is not None:
        return back(request, next, f"Not started: {reason}.")
    return back(request, next, f"Run of {flow} started.")


def _pause(request: Request, svc: Services, flow: str, paused: bool, who: Principal, to: str | None) -> Response:
    _flow(svc, flow)
    svc.pause(flow, paused, by=who.name)
    log.info("flow_paused" if paused else "flow_resumed", flow=flow, by=who.name)
    return back(request, to, f"Flow {flow} {'paused' if paused else 'resumed'}.")


@router.post("/flows/{flow}/pause")
def pause(request: Request, flow: str, svc: Svc, who: Operator, next: Next = None) -> Response:
    return _pause(request, svc, flow, True, who, next)


@router.post("/flows/{flow}/resume")
def resume(request: Request, flow: str, svc: Svc, who: Operator, next: Next = None) -> Response:
    return _pause(request, svc, flow, False, who, next)


@router.post("/flows/{flow}/replay")
def replay(request: Request, flow: str, svc: Svc, who: Operator,
           key: Annotated[list[str] | None, Form(max_length=400)] = None,
           all: Annotated[bool, Form()] = False, next: Next = None) -> Response:
    """Replay the failed records named by ``key`` fields (source ids), or ``all`` of the flow's."""
    _flow(svc, flow)
    keys = list(dict.fromkeys(key or []))[:MAX_KEYS]
    if not keys and not all:
        return back(request, next, "Nothing to replay: choose records, or replay all.")
    try:
        report = svc.replay(flow, None if all else keys)
    except FlowBusy as busy:
        return back(request, next, f"Not replayed: {busy}.")
    log.info("replay_requested", flow=flow, by=who.name, records=report.total)
    return back(request, next, _replayed(report))


def _replayed(report: Replay) -> str:
    if report.result is None:
        return f"Nothing replayed in {report.flow}: no such failed record."
    counts = ", ".join(f"{n} {k}" for k, n in sorted(report.result.counts.items()) if n and k != "received")
    return (f"Replayed {report.total} record(s) of {report.flow}: {counts or 'nothing ended'}; "
            f"{report.still_queued} still queued.")


@router.post("/connections/{connection}/detail-logging")
def detail_logging(request: Request, connection: str, svc: Svc, who: Admin,
                   days: Annotated[int, Form(ge=0, le=365)] = 1, next: Next = None) -> Response:
    """Keep payload snapshots of every transfer through the connection for ``days`` (0 ends it)."""
    if connection not in svc.project.connections:
        raise HTTPException(404, f"no connection named {connection!r}")
    until = svc.detail_logging(connection, days, by=who.name)
    log.info("detail_logging", connection=connection, days=days, by=who.name)
    text = f"until {until:%Y-%m-%d %H:%M} UTC" if days else "ended"
    return back(request, next, f"Detail logging for {connection} {text}.")
