"""The web app's pages (GET, viewer role): overview, runs, a run, a transfer with its record's
history, failures grouped by reason, search by business key. Thin: each asks Services, hides
personal data from viewers (api/privacy.py), and renders a template."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import FileResponse, HTMLResponse

from tradewind.api import privacy
from tradewind.api.accounts import Principal
from tradewind.api.security import Require
from tradewind.api.web import chart, diff, groups
from tradewind.api.web.render import page
from tradewind.api.web.search import find_records
from tradewind.engine.services import Services
from tradewind.store.runs import Run, Transfer
from tradewind.store.transfer_search import Query as TransferQuery

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(Require("viewer"))]
PAGE = 100
STAGES = ("received", "mapped", "written", "answer")
"""Snapshot stages in the order a record passes them (``written``: the payload as sent)."""
STATIC = __file__.rsplit("/", 1)[0] + "/static/tradewind.css"
RunId = Annotated[str, Path(min_length=4, max_length=36, pattern="^[0-9a-fA-F-]+$")]
Before = Annotated[int | None, Query(ge=1, le=2**62)]
Text = Annotated[str | None, Query(max_length=200)]


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


Svc = Annotated[Services, Depends(services)]


@router.get("/static/tradewind.css")
def stylesheet() -> FileResponse:
    return FileResponse(STATIC, media_type="text/css")


def _jobs(request: Request) -> dict[str, str]:
    scheduler = request.app.state.scheduler
    return dict(scheduler.jobs()) if scheduler is not None else {}


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, svc: Svc, who: Viewer) -> HTMLResponse:
    dash = svc.dashboard(14)
    paused, jobs, switched = svc.paused(), _jobs(request), svc.detail_switches()
    flows = [dict(name=name, flow=flow, paused=name in paused, last=dash.last.get(name), next_run=jobs.get(name),
                  failed=dash.queued.get((name, "failed"), 0), parked=dash.queued.get((name, "parked"), 0),
                  events=dash.inbox.get(flow.source.name, 0) if svc.flows_reading(flow.source.name,
                                                                                   flow.source_resource) else 0)
             for name, flow in sorted(svc.project.flows.items())]
    connections = [dict(name=name, connector=c.connector.name, always=c.detail_log, until=switched.get(name))
                   for name, c in sorted(svc.project.connections.items())]
    drawn = chart.daily_chart(dash.days, datetime.now(UTC).date())
    return page(request, "overview.html", flows=flows, connections=connections, chart=drawn,
                now=datetime.now(UTC))


@router.get("/runs", response_class=HTMLResponse)
def runs(request: Request, svc: Svc, who: Viewer, flow: Text = None, status: Text = None,
         before: Annotated[str | None, Query(max_length=36, pattern="^[0-9a-fA-F-]+$")] = None) -> HTMLResponse:
    """Runs newest first, 50 a page; ``before`` is the id of the last run of the page before."""
    after = svc.run(before) if before else None
    rows = svc.runs_page(flow=flow or None, status=status or None, limit=50,
                         before=(after.started_at, after.id) if after else None)
    return page(request, "runs.html", runs=rows, flow=flow or "", status=status or "",
                flows=sorted(svc.project.flows), next_before=rows[-1].id if len(rows) == 50 else None)


def _run(svc: Services, run_id: str) -> Run:
    found = svc.run(run_id)
    if found is None:
        raise HTTPException(404, f"no run {run_id!r}")
    return found


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run(request: Request, run_id: RunId, svc: Svc, who: Viewer, before: Before = None,
        outcome: Annotated[str | None, Query(max_length=20)] = None) -> HTMLResponse:
    """A run's figures (refreshed while it runs) and its transfers, newest first, a page at a time."""
    found = _run(svc, run_id)
    rows = svc.search_transfers(TransferQuery(run_id=found.id, outcome=outcome or None, before=before, limit=PAGE))
    return page(request, "run.html", run=found, transfers=rows, outcome=outcome or "",
                progress=getattr(found, "progress", None),
                next_before=rows[-1].id if len(rows) == PAGE else None)


def _snapshots(svc: Services, history: list[Transfer]) -> dict[int, list[tuple[str, Any]]]:
    order = {stage: n for n, stage in enumerate(STAGES)}
    kept = {t.id: svc.snapshots(t.id) for t in history}
    return {tid: sorted(shots, key=lambda s: order.get(s[0], len(order))) for tid, shots in kept.items() if shots}


def _compare(history: list[Transfer], shots: dict[int, list[tuple[str, Any]]], current: Transfer) -> Any:
    """The record's data before and after its last change: the received payload of ``current``
    (or the latest transfer kept with snapshots) beside the one kept before it that differs."""
    kept = [t for t in history if t.id in shots and t.id <= current.id]
    received = [(t, dict(shots[t.id]).get("received")) for t in kept if "received" in dict(shots[t.id])]
    if len(received) < 2:
        return None
    new_t, new = received[-1]
    for old_t, old in reversed(received[:-1]):
        if old != new:
            rows = diff.side_by_side(old, new)
            return dict(old=old_t, new=new_t, rows=rows, changed=diff.changed(rows))
    return None


@router.get("/transfers/{transfer_id}", response_class=HTMLResponse)
def transfer(request: Request, transfer_id: Annotated[int, Path(ge=1, le=2**62)], svc: Svc,
             who: Viewer) -> HTMLResponse:
    """One transfer, every transfer of the same record in its flow, the payload at each stage
    (operators: personal data) and the change since the previous version."""
    found = svc.transfer(transfer_id)
    if found is None:
        raise HTTPException(404, f"no transfer {transfer_id}")
    history = svc.history(found.flow, found.source_id)
    shots = _snapshots(svc, history) if privacy.personal(who) else {}
    waiting = svc.failures(found.flow, key=found.source_id)
    return page(request, "transfer.html", transfer=found, history=history, shots=shots,
                compare=_compare(history, shots, found), waiting=waiting, stages=STAGES)


@router.get("/failures", response_class=HTMLResponse)
def failures(request: Request, svc: Svc, who: Viewer, flow: Text = None) -> HTMLResponse:
    """The retry queue grouped by reason (values of each record left out), parked records with the
    flow they wait for; replay per record, per group, per flow."""
    queued = svc.queued(flow or None)
    found = groups.group(queued)
    return page(request, "failures.html", groups=found, total=len(queued), flow=flow or "",
                flows=sorted(svc.project.flows))


@router.get("/search", response_class=HTMLResponse)
def search(request: Request, svc: Svc, who: Viewer,
           q: Annotated[str | None, Query(max_length=400)] = None) -> HTMLResponse:
    """A record's whole history by what people know: order number, SKU, e-mail, source id."""
    key = (q or "").strip()
    records = find_records(svc, key) if key else []
    return page(request, "search.html", q=key, records=records)
