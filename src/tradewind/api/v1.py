"""The REST API under /api/v1: read the log, and act (run, replay, pause, detail logging).

A thin layer over :class:`~tradewind.engine.services.Services`; every route names its role."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse

from tradewind.api import background, privacy
from tradewind.api.accounts import Principal
from tradewind.api.models import (
    AUTH_RESPONSES,
    BindingOut,
    ConnectionOut,
    DetailIn,
    DetailOut,
    FailureOut,
    FlowOut,
    FlowState,
    Problem,
    ReplayIn,
    ReplayOut,
    RunOut,
    RunStarted,
    SnapshotOut,
    TransferOut,
    TransferPage,
)
from tradewind.api.security import Require
from tradewind.engine.locks import FlowBusy
from tradewind.engine.services import Services
from tradewind.engine.transfers import Outcome, Stage
from tradewind.store.runs import Transfer
from tradewind.store.transfer_search import Query as TransferQuery

log = structlog.get_logger("tradewind.api")
Viewer = Annotated[Principal, Depends(Require("viewer"))]
Operator = Annotated[Principal, Depends(Require("operator"))]
Admin = Annotated[Principal, Depends(Require("admin"))]
Limit = Annotated[int, Query(ge=1, le=1000, description="At most this many rows")]
Name = Annotated[str, Query(min_length=1, max_length=200)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Problem}}

router = APIRouter(prefix="/api/v1", responses={**AUTH_RESPONSES, 422: {"model": Problem}})


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


Svc = Annotated[Services, Depends(services)]


def _flow(svc: Services, name: str) -> Any:
    if name not in svc.project.flows:
        raise HTTPException(404, f"no flow named {name!r}; flows: {', '.join(sorted(svc.project.flows))}")
    return svc.flow(name)


@router.get("/connections", response_model=list[ConnectionOut], tags=["connections"])
def connections(svc: Svc, who: Viewer) -> list[ConnectionOut]:
    """The project's connections: name, connector, detail logging. Never their options or secrets."""
    switched = svc.detail_switches()
    return [ConnectionOut(name=name, connector=c.connector.name, detail_log=c.detail_log or name in switched,
                          detail_until=switched.get(name)) for name, c in svc.project.connections.items()]


@router.post("/connections/{connection}/detail-logging", response_model=DetailOut, tags=["connections"],
             responses=NOT_FOUND)
def detail_logging(connection: str, body: DetailIn, svc: Svc, who: Admin) -> DetailOut:
    """Keep payload snapshots of every transfer through the connection for N days (0 ends it)."""
    if connection not in svc.project.connections:
        raise HTTPException(404, f"no connection named {connection!r}")
    until = svc.detail_logging(connection, body.days, by=who.name)
    log.info("detail_logging", connection=connection, days=body.days, by=who.name)
    return DetailOut(connection=connection, until=until)


def _flow_out(svc: Services, name: str, flow: Any, paused: set[str], jobs: dict[str, str]) -> FlowOut:
    return FlowOut(name=name, source=f"{flow.source.name}.{flow.source_resource}",
                   target=f"{flow.target.name}.{flow.target_resource}", entity=flow.entity,
                   schedule=flow.schedule.describe(), enabled=flow.enabled, paused=name in paused,
                   after=list(flow.after), next_run=jobs.get(name))


def _jobs(request: Request) -> dict[str, str]:
    scheduler = request.app.state.scheduler
    return dict(scheduler.jobs()) if scheduler is not None else {}


@router.get("/flows", response_model=list[FlowOut], tags=["flows"])
def flows(request: Request, svc: Svc, who: Viewer) -> list[FlowOut]:
    paused, jobs = svc.paused(), _jobs(request)
    return [_flow_out(svc, name, f, paused, jobs) for name, f in svc.project.flows.items()]


@router.get("/flows/{flow}", response_model=FlowOut, tags=["flows"], responses=NOT_FOUND)
def flow(flow: str, request: Request, svc: Svc, who: Viewer) -> FlowOut:
    return _flow_out(svc, flow, _flow(svc, flow), svc.paused(), _jobs(request))


@router.post("/flows/{flow}/run", response_model=RunStarted, status_code=202, tags=["flows"],
             responses={**NOT_FOUND, 409: {"model": RunStarted}})
def start_run(flow: str, svc: Svc, who: Operator) -> Any:
    """Start a run now. 202 when it started; 409 with the reason when it did not (the flow is
    running, paused, or waits for a flow it runs after)."""
    _flow(svc, flow)
    reason = background.start_run(svc, flow, trigger="api", by=who.name)
    if reason is not None:
        return JSONResponse(RunStarted(flow=flow, started=False, reason=reason).model_dump(), status_code=409)
    return RunStarted(flow=flow, started=True)


@router.post("/flows/{flow}/replay", response_model=ReplayOut, tags=["flows"], responses=NOT_FOUND)
def replay(flow: str, body: ReplayIn, svc: Svc, who: Operator) -> ReplayOut:
    """Try failed records again now: the ones ``keys`` name, or ``all`` of the flow's."""
    _flow(svc, flow)
    if (body.keys is None) == (not body.all):
        raise HTTPException(422, "give either keys (a list of source ids or business keys) or all: true")
    try:
        report = svc.replay(flow, None if body.all else body.keys)
    except FlowBusy as busy:
        raise HTTPException(409, str(busy)) from None
    log.info("replay_requested", flow=flow, by=who.name, records=report.total)
    result = report.result
    return ReplayOut(flow=flow, total=report.total, run_id=result.run_id if result else None,
                     status=result.status if result else None, counts=dict(result.counts) if result else {},
                     missing=report.missing, still_queued=report.still_queued)


def _pause(svc: Services, flow: str, paused: bool, who: Principal) -> FlowState:
    _flow(svc, flow)
    svc.pause(flow, paused, by=who.name)
    log.info("flow_paused" if paused else "flow_resumed", flow=flow, by=who.name)
    return FlowState(flow=flow, paused=paused)


@router.post("/flows/{flow}/pause", response_model=FlowState, tags=["flows"], responses=NOT_FOUND)
def pause(flow: str, svc: Svc, who: Operator) -> FlowState:
    """Pause a flow: no scheduled or pushed run starts it until it is resumed."""
    return _pause(svc, flow, True, who)


@router.post("/flows/{flow}/resume", response_model=FlowState, tags=["flows"], responses=NOT_FOUND)
def resume(flow: str, svc: Svc, who: Operator) -> FlowState:
    return _pause(svc, flow, False, who)


@router.get("/runs", response_model=list[RunOut], tags=["runs"])
def runs(svc: Svc, who: Viewer, flow: Name | None = None, limit: Limit = 50) -> list[RunOut]:
    return [_run(r, who) for r in svc.runs(flow=flow, limit=limit)]


@router.get("/runs/{run_id}", response_model=RunOut, tags=["runs"], responses=NOT_FOUND)
def run(run_id: Annotated[str, Path(min_length=4, max_length=36)], svc: Svc, who: Viewer) -> RunOut:
    found = svc.run(run_id) if run_id.isalnum() else None
    if found is None:
        raise HTTPException(404, f"no run {run_id!r}")
    return _run(found, who)


def _run(r: Any, who: Principal) -> RunOut:
    out = RunOut.model_validate(r)
    return out.model_copy(update={"error": privacy.mask(out.error, who)})


def _transfer(t: Transfer, who: Principal) -> TransferOut:
    out = TransferOut.model_validate(t)
    return out.model_copy(update={"natural_key": privacy.mask(t.natural_key, who),
                                  "reason": privacy.mask(t.reason, who)})


@router.get("/transfers", response_model=TransferPage, tags=["transfers"])
def transfers(svc: Svc, who: Viewer, flow: Name | None = None,
              run: Annotated[str | None, Query(max_length=36, pattern="^[0-9a-f]+$")] = None,
              stage: Annotated[Stage | None, Query(description="Where the record's journey stopped")] = None,
              outcome: Annotated[Outcome | None, Query(description="How it ended")] = None,
              key: Annotated[str | None, Query(max_length=400, description="Source id or natural key")] = None,
              since: datetime | None = None, until: datetime | None = None,
              before: Annotated[int | None, Query(ge=1, le=2**62, description="Keyset: ids below this")] = None,
              limit: Limit = 100) -> TransferPage:
    """Transfers, newest first, filtered; page on with ``before=next_before``."""
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise HTTPException(422, f"{name} needs a time zone (e.g. 2026-05-01T12:00:00Z)")
    query = TransferQuery(flow=flow, run_id=_run_id(svc, run), stage=stage and stage.value,
                          outcome=outcome and outcome.value, key=key,
                          since=since, until=until, before=before, limit=limit)
    rows = svc.search_transfers(query)
    return TransferPage(items=[_transfer(t, who) for t in rows],
                        next_before=rows[-1].id if len(rows) == limit else None)


def _run_id(svc: Services, prefix: str | None) -> str | None:
    if prefix is None:
        return None
    found = svc.run(prefix)
    return found.id if found else prefix


@router.get("/transfers/{transfer_id}", response_model=TransferOut, tags=["transfers"], responses=NOT_FOUND)
def transfer(transfer_id: Annotated[int, Path(ge=1, le=2**62)], svc: Svc, who: Viewer) -> TransferOut:
    found = svc.transfer(transfer_id)
    if found is None:
        raise HTTPException(404, f"no transfer {transfer_id}")
    return _transfer(found, who)


@router.get("/transfers/{transfer_id}/snapshots", response_model=list[SnapshotOut], tags=["transfers"],
            responses=NOT_FOUND)
def snapshots(transfer_id: Annotated[int, Path(ge=1, le=2**62)], svc: Svc, who: Operator) -> list[SnapshotOut]:
    """The payload at each stage (kept while detail logging was on): personal data, operators only."""
    if svc.transfer(transfer_id) is None:
        raise HTTPException(404, f"no transfer {transfer_id}")
    return [SnapshotOut(stage=stage, payload=payload) for stage, payload in svc.snapshots(transfer_id)]


@router.get("/bindings", response_model=list[BindingOut], tags=["bindings"])
def bindings(svc: Svc, who: Viewer, connection: Name | None = None, entity: Name | None = None,
             state: Annotated[str | None, Query(max_length=10)] = None,
             text: Annotated[str | None, Query(max_length=200)] = None, limit: Limit = 100) -> list[BindingOut]:
    rows = svc.bindings(connection=connection, entity=entity, state=state, text=text, limit=limit)
    return [BindingOut.model_validate(b).model_copy(update={"natural_key": privacy.mask(b.natural_key, who)})
            for b in rows]


@router.get("/failures", response_model=list[FailureOut], tags=["failures"], responses=NOT_FOUND)
def failures(svc: Svc, who: Viewer, flow: Name | None = None,
             key: Annotated[str | None, Query(max_length=400)] = None) -> list[FailureOut]:
    """The retry queue; the records' payloads (personal data) only for operators and admins."""
    if flow is not None:
        _flow(svc, flow)
    personal = privacy.personal(who)
    return [FailureOut(flow=f.flow, source_id=f.source_id, natural_key=privacy.mask(f.natural_key, who),
                       attempts=f.attempts, next_attempt_at=f.next_attempt_at,
                       last_error=privacy.mask(f.last_error, who), parked_on=f.parked_on,
                       payload=f.payload if personal else None)
            for f in svc.failures(flow, key=key)]
