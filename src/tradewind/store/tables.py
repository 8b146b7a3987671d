"""The tables: runs, transfers, payload snapshots, bindings, cursors, flow locks, the retry queue
and the token store. SQLAlchemy Core; Alembic migrations in ``alembic/`` create them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

from tradewind.store.keys import CleanText, Key


def _stored_time(value: datetime | None, *, naive: bool) -> datetime | None:
    """``value`` in UTC, without its zone for a database that keeps none (SQLite)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store; tradewind keeps aware UTC times only")
    value = value.astimezone(UTC)
    return value.replace(tzinfo=None) if naive else value


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC in Python, whatever the database keeps (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return _stored_time(value, naive=dialect.name == "sqlite")

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any]:
        """``process_bind_param``, then the column type's own processor, as one function that
        remembers its last value: the rows of one executemany share one time stamp object (a
        datetime is immutable, and the pair is replaced at once, so threads never mix halves)."""
        naive = dialect.name == "sqlite"
        impl = self.impl_instance.dialect_impl(dialect).bind_processor(dialect)
        last: list[tuple[Any, Any]] = [(None, None)]

        def process(value: Any) -> Any:
            seen, stored = last[0]
            if value is seen and value is not None:
                return stored
            stored = _stored_time(value, naive=naive)
            if impl is not None:
                stored = impl(stored)
            last[0] = (value, stored)
            return stored

        return process

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], Any]:
        """The column type's own processor, then ``process_result_value``, as one function: a page's
        look-up reads two times a row for a thousand rows."""
        impl = self.impl_instance.dialect_impl(dialect).result_processor(dialect, coltype)

        def process(value: Any) -> Any:
            if impl is not None:
                value = impl(value)
            if value is None:
                return None
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

        return process


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

runs = Table(
    "runs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("flow", String(200), nullable=False, index=True),
    Column("trigger", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("dry_run", Boolean, nullable=False, default=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("heartbeat_at", UtcDateTime),
    Column("owner", String(200)),
    Column("received", Integer, nullable=False, default=0),
    Column("created", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("skipped", Integer, nullable=False, default=0),
    Column("failed", Integer, nullable=False, default=0),
    Column("parked", Integer, nullable=False, default=0, server_default="0"),
    Column("total", Integer),  # records the source says this run will read, when it can tell (progress)
    Column("cursor_from", Text),
    Column("cursor_to", Text),
    Column("error", CleanText),
    Index("ix_runs_started_at", "started_at", "id"),  # the web app's runs list, newest first (keyset)
    Index("ix_runs_flow_started_at", "flow", "started_at"),  # a flow's last run, its runs list
)

transfers = Table(
    "transfers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(36), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("flow", String(200), nullable=False),
    Column("entity", String(40), nullable=False),
    Column("source_id", Key(200), nullable=False),
    Column("natural_key", Key(400)),
    Column("stage", String(20), nullable=False),
    Column("outcome", String(20)),
    Column("reason", CleanText),
    Column("field", Key(200)),
    Column("target_id", Key(200)),
    Column("attempt", Integer, nullable=False, default=1),
    Column("created_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Index("ix_transfers_flow_source", "flow", "source_id"),
    Index("ix_transfers_run_page", "run_id", "id"),  # a run's transfers a page at a time (keyset on id)
    Index("ix_transfers_source_id", "source_id"),  # search by business key across flows (web app)
    Index("ix_transfers_natural_key", "natural_key"),
    Index("ix_transfers_flow_outcome_id", "flow", "outcome", "id"),  # a flow's failed transfers, newest first
)

snapshots = Table(
    "snapshots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("transfer_id", Integer, ForeignKey("transfers.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("stage", String(20), nullable=False),
    Column("payload", CleanText, nullable=False),
    Column("created_at", UtcDateTime, nullable=False, index=True),
)

bindings = Table(
    "bindings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source_connection", String(100), nullable=False),
    Column("entity", String(40), nullable=False),
    Column("source_id", Key(200), nullable=False),
    Column("target_connection", String(100), nullable=False),
    Column("target_id", Key(200)),
    Column("natural_key", Key(400)),
    Column("source_version", Key(100)),
    Column("hash", String(64)),
    Column("state", String(10), nullable=False),
    Column("flow", String(200)),
    Column("epoch", Integer),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("source_connection", "entity", "source_id", "target_connection", name="uq_bindings_record"),
    Index("ix_bindings_target_key", "target_connection", "entity", "natural_key"),
    Index("ix_bindings_source_key", "source_connection", "entity", "natural_key"),
    Index("ix_bindings_target_id", "target_connection", "entity", "target_id"),
)

cursors = Table(
    "cursors",
    metadata,
    Column("flow", String(200), primary_key=True),
    Column("value", Text),
    Column("updated_at", UtcDateTime, nullable=False),
)

flow_locks = Table(
    "flow_locks",
    metadata,
    Column("flow", String(200), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("run_id", String(36)),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("host", String(200)),
    Column("pid", Integer),
    Column("epoch", Integer, nullable=False, server_default="0"),
)

failures = Table(
    "failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("flow", String(200), nullable=False),
    Column("source_id", Key(200), nullable=False),
    Column("payload", CleanText, nullable=False),
    Column("version", Key(100)),
    Column("attempts", Integer, nullable=False, default=1),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_error", CleanText),
    Column("last_run_id", String(36)),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("natural_key", Key(400)),  # the record's business key (``number=#1042``), to find it by
    UniqueConstraint("flow", "source_id", name="uq_failures_record"),
    Column("parked_on", String(200)),  # the flow whose run wakes this record (a missing dependency)
    Index("ix_failures_natural_key", "flow", "natural_key"),
    Index("ix_failures_parked_on", "parked_on"),
)

tokens = Table(
    "tokens",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),  # Fernet-sealed JSON (see store/crypto.py)
    Column("updated_at", UtcDateTime, nullable=False),
)

token_locks = Table(
    "token_locks",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)

call_budgets = Table(
    "call_budgets",
    metadata,
    Column("account", String(200), primary_key=True),  # a system account, e.g. exact_online:123456
    Column("window", String(20), primary_key=True),  # minute, day
    Column("limit", Integer, nullable=False),
    Column("seconds", Double, nullable=False),
    Column("remaining", Integer, nullable=False),  # calls not yet reserved by any process
    Column("reset_at", Double, nullable=False),  # epoch seconds, as vendors send it
    Column("period", Integer, nullable=False),  # windows rolled over: reservations name the one they took from
    Column("updated_at", UtcDateTime, nullable=False),
)

notices = Table(
    "notices",
    metadata,
    Column("key", String(200), primary_key=True),  # reauth:<connection>, quota:<account>:<day>, report:<flow>
    Column("sent_at", UtcDateTime, nullable=False),  # an alert is not sent again while its row stands
    Column("subject", CleanText),
)

inbox = Table(
    "inbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("connection", String(100), nullable=False),
    Column("resource", String(100), nullable=False),
    Column("event_id", Key(200), nullable=False),  # the vendor's event id: a duplicate delivery is stored once
    Column("record_ids", CleanText, nullable=False),  # JSON list of the native ids the event announces
    Column("occurred_at", UtcDateTime),
    Column("received_at", UtcDateTime, nullable=False),
    Column("processed_at", UtcDateTime),
    Column("run_id", String(36)),
    UniqueConstraint("connection", "event_id", name="uq_inbox_event"),
    Index("ix_inbox_waiting", "connection", "resource", "processed_at"),
)

# --- people, machines and switches (the API's access control; issue 12) ---

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),  # argon2id, encoded with its parameters
    Column("role", String(20), nullable=False),  # admin, operator, viewer
    Column("created_at", UtcDateTime, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False, server_default="0"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of the cookie's value: a leaked table opens nothing
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("prefix", String(16), nullable=False),  # the token's first characters, to recognise it in a list
    Column("hash", String(64), nullable=False, unique=True),  # SHA-256 of the whole token (shown once)
    Column("role", String(20), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("address", String(64)),
    Column("succeeded", Boolean, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_login_attempts_name_at", "name", "at"),
)

flow_state = Table(
    "flow_state",
    metadata,
    Column("flow", String(200), primary_key=True),
    Column("paused", Boolean, nullable=False, default=False, server_default="0"),
    Column("changed_by", String(100)),
    Column("changed_at", UtcDateTime, nullable=False),
)

connection_detail = Table(
    "connection_detail",
    metadata,
    Column("connection", String(100), primary_key=True),
    Column("until", UtcDateTime, nullable=False),  # payload snapshots are kept for this connection until then
    Column("changed_by", String(100)),
    Column("changed_at", UtcDateTime, nullable=False),
)

stock_parts = Table(
    "stock_parts",
    metadata,
    Column("scope", String(200), primary_key=True),  # account and summed location (exact_online:123456@MAIN)
    Column("sku", Key(200), primary_key=True),
    Column("warehouse", Key(100), primary_key=True),
    Column("on_hand", String(40), nullable=False),  # decimal text: exact on every database
    Column("reserved", String(40), nullable=False),
    Column("incoming", String(40), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

catalogue_staging = Table(
    "catalogue_staging",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(64), nullable=False),  # one full read (a connector's staging scope)
    Column("group_key", Key(200), nullable=False),  # e.g. an Exact item's model code
    Column("row", Text, nullable=False),  # the row as read (JSON)
    Column("staged_at", UtcDateTime, nullable=False),
    Index("ix_catalogue_staging_scope_group", "scope", "group_key", "id"),
)

prebindings = Table(
    "prebindings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("target_connection", String(100), nullable=False),
    Column("entity", String(40), nullable=False),  # the kind a later flow writes (price, stock)
    Column("natural_key", Key(400), nullable=False),  # e.g. sku=A-1
    Column("target_id", Key(200), nullable=False),
    Column("data", Text, nullable=False),  # what the target holds, as last written or answered (JSON)
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("target_connection", "entity", "natural_key", name="uq_prebindings_record"),
)
