"""The exception tree. The class decides what the run loop does next; code raises the most specific one.

::

    TradewindError
    ├── ConfigError          — project file or connection unusable: stop the flow, name file:line
    │   └── ReauthorisationNeeded — the vendor refused the stored refresh token: a person authorises again
    ├── TransientError       — network, 5xx, timeouts: retried with backoff by the HTTP layer, then the record fails
    │   ├── RateLimited      — carries retry_after; pacing waits, never fails the run
    │   └── OutcomeUnknown   — a write's answer was lost: never re-sent blindly, the engine looks it up first
    ├── StoreUnavailable     — the database cannot be reached: the run stops writing at once and ends cleanly
    ├── RecordError          — this record is wrong: fail this transfer only, keep the vendor's message and field path
    │   ├── MappingError     — a mapping expression failed for this record
    │   ├── MissingReference — a record it refers to is not in the target (yet): parked when a flow brings it
    │   └── RejectedByTarget — the target refused the write (validation, unknown reference)
    └── IntegrityError       — a promise is at risk (binding conflict, lost lock): stop the flow and alert
        └── LeaseLost        — another run took the flow's lease over: this run makes no further write
"""

from __future__ import annotations


class TradewindError(Exception):
    """Root of every error tradewind raises on purpose."""


class ConfigError(TradewindError):
    """The project file or a connection cannot be used as configured.

    ``where`` is ``file:line[:column]`` when the problem has a place in the project file;
    ``hint`` says what to do about it.
    """

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None) -> None:
        self.message = message
        self.where = where
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        return f"{text} (hint: {self.hint})" if self.hint else text


class ReauthorisationNeeded(ConfigError):
    """The vendor refused the connection's refresh token (revoked, expired, or rotated by an exchange
    whose answer never arrived): only a person authorising the app again brings it back."""


class TransientError(TradewindError):
    """A failure that may pass by itself: network trouble, timeouts, 5xx answers."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class RateLimited(TransientError):
    """The vendor asked us to slow down; ``retry_after`` seconds until the budget refills."""

    def __init__(self, message: str, *, retry_after: float, status: int | None = 429) -> None:
        self.retry_after = retry_after
        super().__init__(message, status=status)


class OutcomeUnknown(TransientError):
    """A write that is not idempotent was sent and its answer lost (a 5xx, a stall past the timeout,
    a reset): the vendor may have stored it. It is never re-sent blindly; the engine settles it by
    looking the record up in the target by its natural key (or parks it until the write is visible)."""


class StoreUnavailable(TradewindError):
    """tradewind's own database cannot be reached; nothing more is written until it is back."""


class RecordError(TradewindError):
    """One record cannot be transferred; the others go on.

    ``field`` is the path of the offending field (``lines[2].sku``), ``record`` the record's key.
    """

    def __init__(self, message: str, *, field: str | None = None, record: str | None = None) -> None:
        self.message = message
        self.field = field
        self.record = record
        super().__init__(self.__str__())

    def __str__(self) -> str:
        parts = [self.message]
        if self.field:
            parts.insert(0, f"{self.field}:")
        if self.record:
            parts.insert(0, f"[{self.record}]")
        return " ".join(parts)


class MappingError(RecordError):
    """A mapping expression failed for a record (or, at compile time, for every record)."""


class MissingReference(RecordError):
    """A record this one refers to (an order's customer, a line's product) is not in the target.
    When the flow runs ``after`` the flow that brings such records, the record is parked until then."""

    def __init__(self, message: str, *, entity: str, field: str | None = None, record: str | None = None) -> None:
        self.entity = entity
        super().__init__(message, field=field, record=record)


class RejectedByTarget(RecordError):
    """The target system refused the write; ``message`` is the vendor's own text."""

    def __init__(self, message: str, *, status: int | None = None, field: str | None = None,
                 record: str | None = None) -> None:
        self.status = status
        super().__init__(message, field=field, record=record)


class IntegrityError(TradewindError):
    """A promise of the run loop is at risk; the flow stops and someone is told."""


class LeaseLost(IntegrityError):
    """The run no longer holds its flow's lease (it was paused or cut off past the lease's time and
    another run took over): it makes no further write."""
