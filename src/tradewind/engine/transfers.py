"""A transfer in flight: one record's journey through a run, and its possible endings."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from tradewind.connectors.base import NativeRecord
from tradewind.mapping import FieldChange
from tradewind.model import Entity
from tradewind.store.bindings import Binding


class Stage(StrEnum):
    RECEIVED = "received"
    DECODED = "decoded"
    MAPPED = "mapped"
    PENDING = "pending"
    WRITTEN = "written"
    SKIPPED = "skipped"
    FAILED = "failed"
    PARKED = "parked"


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    SKIPPED = "skipped"
    FAILED = "failed"
    PLANNED = "planned"
    MATCHED = "matched"  # found already in the target and bound, nothing written
    PARKED = "parked"  # waits for a record another flow brings; tried again once that flow has run
    UNKNOWN = "unknown"  # a write's answer was lost and the target does not show it yet: re-checked later


@dataclass
class Transfer:
    """Working state of one record; the ``transfers`` row mirrors its ending."""

    record: NativeRecord
    id: int = 0
    """Its row's id once stored; 0 while only in memory (a row is stored when the transfer ends)."""
    received_at: datetime | None = None
    attempt: int = 1
    stage: Stage = Stage.RECEIVED
    entity: Entity | None = None
    natural_key: str = ""
    keys: dict[str, str] = dataclasses.field(default_factory=dict)
    binding: Binding | None = None
    encoded: dict[str, Any] | None = None  # the target connector's encoding, before the flow's mapping
    native: dict[str, Any] | None = None  # what a create sends: the encoding with the mapping applied
    hash: str | None = None
    target_id: str | None = None
    action: str | None = None  # "create" | "update" | "finish" (a found record completed: Resource.unfinished)
    outcome: Outcome | None = None
    reason: str | None = None
    field: str | None = None
    answer: dict[str, Any] | None = None
    found: NativeRecord | None = None  # the target record an update was decided against (Write.found)
    changes: list[FieldChange] = dataclasses.field(default_factory=list)
    keep_failure: bool = False
    failed_before: bool = False
    """The retry queue held this record when it was received: only then has an ending a row to clear
    there (one run per flow, and the queue is written only when a page closes)."""
    view: dict[str, Any] | None = None  # the entity as expressions read it (loop.expression_context)
    parked_on: str | None = None
    needs: list[Any] = dataclasses.field(default_factory=list)  # dependencies to create first (engine/refs.py)

    @property
    def done(self) -> bool:
        return self.stage in (Stage.WRITTEN, Stage.SKIPPED, Stage.FAILED, Stage.PARKED)

    def skip(self, reason: str) -> None:
        self.stage, self.outcome, self.reason = Stage.SKIPPED, Outcome.SKIPPED, reason

    def fail(self, reason: str, field: str | None = None) -> None:
        self.stage, self.outcome, self.reason, self.field = Stage.FAILED, Outcome.FAILED, reason, field

    def park(self, reason: str, on: str) -> None:
        """Waits for flow ``on`` to bring what this record needs; not a failure, not counted as an attempt."""
        self.stage, self.outcome, self.reason, self.parked_on = Stage.PARKED, Outcome.PARKED, reason, on

    def written(self, target_id: str, outcome: Outcome) -> None:
        self.stage, self.outcome, self.target_id = Stage.WRITTEN, outcome, target_id
