"""The API's answers as pydantic models: the OpenAPI document at /docs is generated from them,
and schemathesis checks every answer against it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ConnectionOut(Out):
    name: str
    connector: str
    detail_log: bool = Field(description="Payload snapshots kept for this connection (project file or switch)")
    detail_until: datetime | None = Field(description="Detail logging switched on from the API until then")


class FlowOut(Out):
    name: str
    source: str
    target: str
    entity: str
    schedule: str
    enabled: bool
    paused: bool
    after: list[str]
    next_run: str | None


class RunOut(Out):
    id: str
    flow: str
    trigger: str
    status: str
    dry_run: bool
    started_at: datetime
    finished_at: datetime | None
    received: int
    created: int
    updated: int
    skipped: int
    failed: int
    parked: int
    error: str | None
    total: int | None = None
    """Progress: records the run will read, when its source can tell."""
    done: int = 0
    """Progress: records ended (written, skipped, failed or parked)."""
    rate: float | None = None
    """Progress: records ended per second, up to the run's last heartbeat."""
    eta: datetime | None = None
    """Progress: when a running run with a known total will be done, at its rate so far."""


class TransferOut(Out):
    id: int
    run_id: str
    flow: str
    entity: str
    source_id: str
    natural_key: str | None
    stage: str
    outcome: str | None
    reason: str | None
    field: str | None
    target_id: str | None
    attempt: int
    created_at: datetime
    finished_at: datetime | None


class TransferPage(BaseModel):
    items: list[TransferOut]
    next_before: int | None = Field(description="Pass as `before` for the next (older) page; null on the last")


class SnapshotOut(BaseModel):
    stage: str
    payload: Any


class BindingOut(Out):
    id: int
    source_connection: str
    entity: str
    source_id: str
    target_connection: str
    target_id: str | None
    natural_key: str | None
    state: str
    flow: str | None
    updated_at: datetime


class FailureOut(BaseModel):
    flow: str
    source_id: str
    natural_key: str | None
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    parked_on: str | None
    payload: dict[str, Any] | None = Field(description="The source record; only for operators and admins")


class RunStarted(BaseModel):
    flow: str
    started: bool
    reason: str | None = Field(default=None, description="Why the run did not start")


class ReplayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keys: list[str] | None = Field(default=None, min_length=1, max_length=1000,
                                   description="Source ids or business keys (#1042, a SKU, an e-mail)")
    all: bool = Field(default=False, description="Replay every failed record of the flow")


class ReplayOut(BaseModel):
    flow: str
    total: int
    run_id: str | None
    status: str | None
    counts: dict[str, int]
    missing: list[str] = Field(description="Keys that named no failed record")
    still_queued: int


class FlowState(BaseModel):
    flow: str
    paused: bool


class DetailIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: int = Field(ge=0, le=90, description="Days to keep payload snapshots; 0 switches it off")


class DetailOut(BaseModel):
    connection: str
    until: datetime


class Problem(BaseModel):
    detail: Any


AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No valid session or API token"},
    403: {"model": Problem, "description": "The role may not do this, or a session's write lacks its CSRF token"},
}
"""What every route behind a role may answer besides its own results (OpenAPI, checked by schemathesis)."""
HTML_PAGE: dict[str, Any] = {"content": {"text/html": {}}}
"""A response that is a web page (the login form shown again with its message)."""
