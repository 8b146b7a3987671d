"""The exception tree. The class decides what the run loop does next; code raises the most specific one.

::

    TradewindError
    ├── ConfigError          — project file or connection unusable: stop the flow, name file:line
    ├── TransientError       — network, 5xx, timeouts: retried with backoff by the HTTP layer, then the record fails
    │   └── RateLimited      — carries retry_after; pacing waits, never fails the run
    ├── RecordError          — this record is wrong: fail this transfer only, keep the vendor's message and field path
    │   ├── MappingError     — a mapping expression failed for this record
    │   └── RejectedByTarget — the target refused the write (validation, unknown reference)
    └── IntegrityError       — a promise is at risk (binding conflict, lost lock): stop the flow and alert
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


class RejectedByTarget(RecordError):
    """The target system refused the write; ``message`` is the vendor's own text."""

    def __init__(self, message: str, *, status: int | None = None, field: str | None = None,
                 record: str | None = None) -> None:
        self.status = status
        super().__init__(message, field=field, record=record)


class IntegrityError(TradewindError):
    """A promise of the run loop is at risk; the flow stops and someone is told."""
