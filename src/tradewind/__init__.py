"""tradewind keeps webshops, B2B portals and ERP/accounting systems in sync.

The public surface is ``__all__`` (tested): the version, ``Money``, ``SecretRef`` and the error
tree of :mod:`tradewind.errors`. ``Money`` and ``SecretRef`` are loaded on first use, so importing
a pure layer (``tradewind.model``) or a sandbox does not pull in the connector layer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tradewind.errors import (
    ConfigError,
    IntegrityError,
    LeaseLost,
    MappingError,
    MissingReference,
    OutcomeUnknown,
    RateLimited,
    ReauthorisationNeeded,
    RecordError,
    RejectedByTarget,
    StoreUnavailable,
    TradewindError,
    TransientError,
)

if TYPE_CHECKING:
    from tradewind.connectors.base import SecretRef
    from tradewind.model.money import Money

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "IntegrityError",
    "LeaseLost",
    "MappingError",
    "MissingReference",
    "Money",
    "OutcomeUnknown",
    "RateLimited",
    "ReauthorisationNeeded",
    "RecordError",
    "RejectedByTarget",
    "SecretRef",
    "StoreUnavailable",
    "TradewindError",
    "TransientError",
    "__version__",
]

_LAZY = {"Money": "tradewind.model.money", "SecretRef": "tradewind.connectors.base"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tradewind' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
