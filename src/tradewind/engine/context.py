"""What every step of a run can see: the flow, the open connections, the store, the counters."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import structlog

from tradewind.connectors.base import Connector, Resource
from tradewind.engine.binder import Binder, Pair
from tradewind.engine.cursors import Cursor
from tradewind.engine.flow import Flow
from tradewind.engine.transfers import Transfer
from tradewind.store.db import Store

BatchHook = Callable[[list[Transfer], "RunContext"], None]


@dataclass
class Hooks:
    """Callables run around the batch steps, named after the step they follow or precede."""

    before_write: list[BatchHook] = field(default_factory=list)
    after_write: list[BatchHook] = field(default_factory=list)
    after_bind: list[BatchHook] = field(default_factory=list)


@dataclass
class RunContext:
    flow: Flow
    run_id: str
    store: Store
    binder: Binder
    source: Connector
    target: Connector
    cursor: Cursor = field(default_factory=lambda: Cursor(kind=None, stored=None))
    dry_run: bool = False
    full: bool = False
    hooks: Hooks = field(default_factory=Hooks)
    refs: Any = None
    counts: Counter[str] = field(default_factory=Counter)
    plan: list[Transfer] = field(default_factory=list)
    handled: dict[str, str | None] = field(default_factory=dict)
    epoch: int = 0
    events_only: bool = False
    total: int | None = None
    """Records this run will read, when known (a replay's chosen records, a source page that tells)."""
    """Read just the records pushed events announced (a run woken by a webhook), not the cursor's."""
    """The flow lease's epoch this run writes under (recorded on every intent)."""
    log: Any = field(default_factory=lambda: structlog.get_logger("tradewind.run"))

    @property
    def pair(self) -> Pair:
        return Pair(source=self.flow.source.name, entity=self.flow.entity, target=self.flow.target.name)

    @cached_property
    def source_res(self) -> Resource[Any]:
        """The flow's source resource, looked up once per run (the steps ask for it per record)."""
        return self.source.resource(self.flow.source_resource)

    @cached_property
    def target_res(self) -> Resource[Any]:
        """The flow's target resource, looked up once per run (the steps ask for it per record)."""
        return self.target.resource(self.flow.target_resource)

    @property
    def detail(self) -> bool:
        """Keep payload snapshots when detail logging is on for either end of the flow."""
        return self.flow.source.detail_log or self.flow.target.detail_log
