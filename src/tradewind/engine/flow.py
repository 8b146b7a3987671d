"""What the engine runs: connections and flows, as loaded and checked from the project file.

:mod:`tradewind.engine.project` builds these from ``tradewind.yaml``; everything here is
already validated (connector known, options typed, expressions compiled, schedule parsed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from tradewind.connectors.base import ConnectionOptions, Connector, Resource, TokenStore
from tradewind.connectors.pacing import BudgetLedger
from tradewind.connectors.retry import RetryPolicy
from tradewind.mapping import CompiledFilter, CompiledMapping
from tradewind.rules.products import Requirement
from tradewind.rules.stages import SendStage

WritePolicy = Literal["upsert", "create", "update"]
"""Records with no bound target id are always looked up by natural key first (so nothing is
created twice). Then — upsert: update what was found, create the rest; create: create what was
not found, never update (orders booked in an ERP); update: update what was found, fail the rest."""


@dataclass(frozen=True)
class Connection:
    """A configured connector: which one, its typed options, whether payloads are kept."""

    name: str
    connector: type[Connector]
    options: ConnectionOptions
    detail_log: bool = False
    detail_retention_days: int | None = None
    """Overrides ``settings.detail_retention_days`` for flows through this connection."""

    def open(self, *, tokens: TokenStore | None = None, environ: Mapping[str, str] | None = None,
             retry: RetryPolicy | None = None, ledger: BudgetLedger | None = None, **kwargs: Any) -> Connector:
        """The connector for this connection; ``ledger`` shares its call budget with other processes."""
        return self.connector(self.options, tokens=tokens, environ=environ, retry=retry, ledger=ledger, **kwargs)


@dataclass(frozen=True)
class Schedule:
    """When a flow runs by itself: every ``interval``, or by ``cron`` (5 fields, UTC)."""

    interval: timedelta | None = None
    cron: str | None = None

    def describe(self) -> str:
        if self.interval is not None:
            return f"every {int(self.interval.total_seconds())}s"
        if self.cron is not None:
            return f"cron {self.cron}"
        return "manual"


@dataclass(frozen=True)
class RetrySpec:
    """How failed records are tried again on later runs: at most ``max_attempts``, waiting
    ``backoff`` × 2^(attempt-1) between tries."""

    max_attempts: int = 5
    backoff: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class Flow:
    """Moves one entity from a source resource to a target resource."""

    name: str
    source: Connection
    source_resource: str
    target: Connection
    target_resource: str
    schedule: Schedule = field(default_factory=Schedule)
    filter: CompiledFilter | None = None
    stage: SendStage | None = None
    """Order flows: the stage an order must reach before it is sent (:mod:`tradewind.rules.stages`)."""
    require: frozenset[Requirement] = frozenset()
    """Product flows: identifiers every variant must carry to be exported (:mod:`tradewind.rules.products`)."""
    mapping: CompiledMapping | None = None
    write: WritePolicy = "upsert"
    match: Mapping[str, str] = field(default_factory=dict)
    create_missing: frozenset[str] = frozenset({"customer"})
    retry: RetrySpec = field(default_factory=RetrySpec)
    batch_size: int | None = None
    enabled: bool = True
    cursor: str | None = None
    """The source cursor field named in the project file; None means the resource's own."""
    after: tuple[str, ...] = ()
    """Flows this one depends on (``after: [products]``): it does not start while they run or before
    their first run, and its records whose dependency is missing are parked until they have run."""

    @property
    def entity(self) -> str:
        return self.source_res.entity.kind

    @property
    def source_res(self) -> Resource[Any]:
        return self.source.connector.resources[self.source_resource]

    @property
    def target_res(self) -> Resource[Any]:
        return self.target.connector.resources[self.target_resource]


@dataclass
class Project:
    """A loaded project file: its connections and flows, and where it came from."""

    path: str
    connections: dict[str, Connection]
    flows: dict[str, Flow]
    settings: dict[str, Any] = field(default_factory=dict)
    setting_sources: dict[str, str] = field(default_factory=dict)
    """Where each setting came from (an environment variable, ``file:line:col``, or ``default``)."""
    notify: Any = None
    """The ``notify:`` block (a :class:`~tradewind.engine.project.schema.NotifySpec`), or None."""
