"""The project file's schema: the pydantic models of ``settings``, ``connections`` and ``flows``,
with the limits and small parsers their checks share. :mod:`tradewind.engine.reference` renders them."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

from tradewind.engine.flow import WritePolicy
from tradewind.mapping import MappingSpec
from tradewind.rules.products import Requirement
from tradewind.rules.stages import SendStage
from tradewind.store.db import DEFAULT_URL, URL_ENV

MAX_ATTEMPTS = 20
"""Tries per failed record: with backoff doubling from at most 7 days, the last wait still fits a datetime."""
MAX_BATCH_SIZE = 1000
"""Records per write batch: the run loop holds at most this many records across pages."""
MAX_INTERVAL = timedelta(days=7)
"""Longest ``every`` and retry ``backoff``; rarer runs are a cron schedule."""

class SettingsSpec(BaseModel):
    """Process-wide settings; each may also come from ``TRADEWIND_<NAME>`` in the environment, which wins."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    database_url: str = Field(
        default=DEFAULT_URL, examples=["postgresql://tradewind@db/tradewind"],
        description="Where runs, transfers and bindings are kept (SQLAlchemy URL): SQLite by default, PostgreSQL "
                    "for production. A password belongs in the environment, never in the file")
    detail_retention_days: int = Field(
        default=14, ge=1, le=3650, examples=[14],
        description="Days the payload snapshots of detail-logged connections are kept before they are purged")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            make_url(value)
        except (ArgumentError, ValueError):
            raise ValueError("not a database URL (e.g. postgresql://tradewind@db/tradewind or "
                             "sqlite:///tradewind.db)") from None  # the value itself may hold a password
        return value


SETTINGS_ENV: dict[str, str] = {name: f"TRADEWIND_{name.upper()}" for name in SettingsSpec.model_fields}
"""The environment variable of each setting (``database_url`` → ``TRADEWIND_DATABASE_URL``)."""
assert SETTINGS_ENV["database_url"] == URL_ENV


class ConnectionSpec(BaseModel):
    """A connection: ``connector`` and ``detail_log`` are reserved; every other key is an option of the connector."""

    model_config = ConfigDict(extra="allow", frozen=True)

    connector: str = Field(
        examples=["exact_online"], description="Registered name of the connector (`tradewind connectors list`)")
    detail_log: bool = Field(
        default=False, examples=[False],
        description="Keep payload snapshots of every transfer through this connection (purged after "
                    "`settings.detail_retention_days`)")
    detail_retention_days: int | None = Field(
        default=None, ge=1, le=3650, examples=[7],
        description="Days payload snapshots and failed records' kept payloads of flows through this connection "
                    "are kept (default: `settings.detail_retention_days`); a flow between two connections keeps "
                    "them for the shorter of the two")


class RetryOptions(BaseModel):
    """How failed records are tried again on later runs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_attempts: int = Field(
        default=5, ge=1, le=MAX_ATTEMPTS, examples=[5],
        description=f"Tries per record before it stays failed (replayable by hand); at most {MAX_ATTEMPTS}")
    backoff: str = Field(
        default="5m", examples=["5m"],
        description="Wait before the second try, doubled for each next one (`30s`, `5m`, `1h`, `1d`; at most `7d`)")


class FlowSpec(BaseModel):
    """A flow: one entity from a source resource to a target resource."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: str = Field(alias="from", examples=["erp.products"], description="Source as `connection.resource`")
    to: str = Field(
        examples=["shop.products"],
        description="Target as `connection.resource`; it must hold the same entity kind as the source")
    every: str | None = Field(
        default=None, examples=["15m"],
        description="Run at this interval (`30s`, `5m`, `1h`, `1d`; at most `7d`); with neither `every` nor `cron` "
                    "the flow runs only when started by hand")
    cron: str | None = Field(
        default=None, examples=["*/15 * * * *"],
        description="Run on this 5-field cron schedule, in UTC (instead of `every`)")
    filter: str | None = Field(
        default=None, examples=["order.financial_status == 'paid'"],
        description="Jinja2 expression over the canonical entity, named by its kind (`product`, `order`); "
                    "records for which it is false are skipped with the reason")
    stage: SendStage | None = Field(
        default=None, examples=["paid"],
        description="Order flows: send an order only once it has reached this stage — placed (not cancelled), "
                    "authorized, paid, fulfilled, or completed (paid and fulfilled). Earlier ones are skipped "
                    "with the reason ('waiting for stage paid; order is pending') and sent by the run after "
                    "the shop marks them")
    require: list[Requirement] = Field(
        default_factory=list, examples=[["sku", "ean13"]],
        description="Product flows: export only products whose every variant has these — sku, ean13 (13 digits, "
                    "correct check digit); others are skipped with the variant, field and value named")
    write: WritePolicy = Field(
        default="upsert", examples=["upsert"],
        description="Records not yet bound are first looked up in the target by natural key, so nothing is created "
                    "twice. upsert: update what exists, create the rest; create: create what does not exist, never "
                    "update (orders booked in an ERP); update: update what exists, fail the rest")
    mapping: MappingSpec | None = Field(
        default=None,
        description="Adjustments on top of the connector's translation: `set`, `table`, `default`, `create_only`")
    match: dict[str, str] = Field(
        default_factory=dict, examples=[{"customer": "email"}],
        description="Per referenced entity kind, the natural key used to find it in the target")
    create_missing: list[str] | None = Field(
        default=None, examples=[["customer"]],
        description="Entity kinds this flow may create in the target when a reference is not found "
                    "(default: customer)")
    retry: RetryOptions = Field(default_factory=RetryOptions, description="Retries of failed records on later runs")
    cursor: str | None = Field(
        default=None, examples=["updatedAt"],
        description="Source field changes are read by; only the cursor the resource declares (a modification time "
                    "or sync token) is accepted")
    batch_size: int | None = Field(
        default=None, ge=1, le=MAX_BATCH_SIZE, examples=[100],
        description="Records per write call where the target has bulk writes (default: the resource's own); at "
                    f"most {MAX_BATCH_SIZE:,}, the records a run holds between pages")
    enabled: bool = Field(default=True, examples=[True], description="A disabled flow is checked but never scheduled")
    after: list[str] = Field(
        default_factory=list, examples=[["products"]],
        description="Flows this one depends on: its scheduled runs wait while they run and until their first "
                    "completed run, then run once as soon as that run completes (even on the same interval), "
                    "and a record whose dependency is missing (a price for a product not yet "
                    "created) is parked — not failed — and tried again by itself once that flow has run")


Event = Literal["failed_runs", "failed_records", "reauthorisation", "quota"]
EVENTS: tuple[Event, ...] = ("failed_runs", "failed_records", "reauthorisation", "quota")


class ReportSpec(BaseModel):
    """A status report of one flow by e-mail."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    every: Literal["daily", "weekly"] = Field(
        default="daily", examples=["weekly"],
        description="daily: the last 24 hours, sent every day; weekly: the last 7 days, sent every 7 days")
    skip_empty: bool = Field(
        default=True, examples=[True], description="Send nothing when the flow had no run and nothing waits")


class NotifySpec(BaseModel):
    """Alerts and status reports by e-mail. The environment wins over the file (as for settings): `TRADEWIND_NOTIFY_TO`, `_FROM`, `_SMTP_HOST`, `_SMTP_PORT`, `_SMTP_USER`, `_SMTP_PASSWORD`, `_STARTTLS`, `_APP_URL`, `_WINDOW_MINUTES`."""  # noqa: E501

    model_config = ConfigDict(extra="forbid", frozen=True)

    to: list[str] = Field(
        default_factory=list, examples=[["ops@example.com"]],
        description="Recipients; with none, no mail is sent")
    sender: str = Field(default="tradewind@localhost", examples=["tradewind@example.com"],
                        description="The From address")
    smtp_host: str = Field(default="localhost", examples=["smtp.example.com"], description="SMTP server")
    smtp_port: int = Field(default=25, ge=1, le=65535, examples=[587], description="SMTP port")
    smtp_user: str | None = Field(default=None, examples=["tradewind"], description="SMTP login name")
    smtp_password: str | None = Field(
        default=None, examples=["${SMTP_PASSWORD}"],
        description="SMTP password, only as a `${ENV}` reference (secrets are never written in the file)")
    starttls: bool = Field(default=False, examples=[True], description="Upgrade the SMTP connection with STARTTLS")
    app_url: str | None = Field(default=None, examples=["https://tradewind.example.com"],
                                description="Base URL of the web app, for links in mails")
    window: str = Field(
        default="15m", examples=["15m"],
        description="Alerts are grouped per flow over this window: at most one mail per flow and window")
    events: list[Event] = Field(
        default_factory=lambda: list(EVENTS),
        examples=[["failed_runs", "reauthorisation"]],
        description="What is alerted: failed runs, failed records (grouped per window), a connection that needs "
                    "re-authorisation (one mail until it recovers), a daily call quota that will run out (one mail "
                    "a day)")
    quota_threshold: float = Field(
        default=1.0, gt=0, le=1, examples=[0.9],
        description="Alert when today's calls, at today's rate, will reach this share of the daily quota before "
                    "the day ends (1.0: when it will run out)")
    reports: dict[str, ReportSpec] = Field(
        default_factory=dict, examples=[{"orders": {"every": "daily"}}],
        description="Status reports by flow name: runs, records written, skipped and failed, the top failure "
                    "reasons and what waits")

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        parse_interval(value)
        return value

    @field_validator("smtp_password")
    @classmethod
    def _password(cls, value: str | None) -> str | None:
        if value is not None and not _SECRET_REF.match(value.strip()):
            raise ValueError("secrets are never written in the project file: write smtp_password as a "
                             "${ENV_NAME} reference and set the variable")
        return value


class ProjectSpec(BaseModel):
    """The whole project file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    settings: SettingsSpec = Field(default_factory=SettingsSpec, description="Process-wide settings (optional)")
    connections: dict[str, ConnectionSpec] = Field(description="Configured connectors, by a name flows use")
    flows: dict[str, FlowSpec] = Field(default_factory=dict, description="Flows, by name")
    notify: NotifySpec | None = Field(default=None, description="Alerts and status reports by e-mail (optional)")


EXTENSION_PREFIX = "x-"
"""Top-level keys starting with ``x-`` are ignored: a place for YAML anchors shared by flows (``<<: *defaults``)."""

WRITE_NEEDS: dict[str, tuple[str, ...]] = {"upsert": ("create", "update"), "create": ("create",),
                                           "update": ("update",)}
"""The capabilities a target resource needs for each write policy."""

_SECRET_REF = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")
_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
"""A connection's or flow's name."""
ENDPOINT = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_-]*)$")
"""A flow's ``from``/``to``: ``connection.resource``."""
_STABLE_FIELD = re.compile(r"^(id|ID|Id|.+Id|.+ID|.+_id|[Cc]ode|.+Code|.+_code|[Nn]umber|.+Number|.+_number|"
                           r"[Cc]reated.*)$")


def parse_interval(text: str) -> timedelta:
    """``30s``, ``5m``, ``15m``, ``1h``, ``1d`` up to :data:`MAX_INTERVAL` → timedelta; a ValueError saying why not."""
    match = _INTERVAL.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not an interval")
    digits, unit = match.groups()
    amount = int(digits) if len(digits.lstrip("0")) <= 9 else None  # longer than any sane interval in seconds
    if amount == 0:
        raise ValueError(f"{text!r} is not a positive interval")
    if amount is None or timedelta(**{_UNITS[unit]: amount}) > MAX_INTERVAL:
        raise ValueError(f"{text!r} is longer than {MAX_INTERVAL.days} days")
    return timedelta(**{_UNITS[unit]: amount})


def is_stable_field(name: str) -> bool:
    """Whether a field looks like one that never changes on update (ids, codes, numbers, creation times)."""
    return _STABLE_FIELD.match(name) is not None
