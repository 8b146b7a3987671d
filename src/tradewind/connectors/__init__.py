"""Layer 4: connectors, one package per kind of system, found by name in a plain registry.

Built-in connectors are the sub-packages of this package that define a :class:`Connector`
subclass decorated with :func:`connector`; third-party packages register through the
``tradewind.connectors`` entry-point group (the entry point names a Connector subclass).
"""

from __future__ import annotations

import importlib
import pkgutil
from importlib.metadata import entry_points
from typing import TypeVar

from tradewind.connectors.base import Connector
from tradewind.errors import ConfigError

C = TypeVar("C", bound=type[Connector])

_registry: dict[str, type[Connector]] = {}
_discovered = False


def connector(cls: C) -> C:
    """Register a connector class under its ``name``. Two classes for one name is an error."""
    existing = _registry.get(cls.name)
    if existing is not None and existing is not cls:
        raise ConfigError(f"two connectors claim the name {cls.name!r}: {existing.__module__} and {cls.__module__}")
    _registry[cls.name] = cls
    return cls


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    _discovered = True
    for module in pkgutil.iter_modules(__path__):
        if module.ispkg:
            importlib.import_module(f"{__name__}.{module.name}")
    for entry in entry_points(group="tradewind.connectors"):
        connector(entry.load())


def get(name: str) -> type[Connector]:
    """The connector class registered as ``name``, or a ConfigError listing the known ones."""
    _discover()
    try:
        return _registry[name]
    except KeyError:
        raise ConfigError(f"unknown connector {name!r}", hint=f"known connectors: {', '.join(available())}") from None


def available() -> list[str]:
    _discover()
    return sorted(_registry)


__all__ = ["Connector", "available", "connector", "get"]
