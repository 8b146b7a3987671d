"""The connector registry: a plain dict by name, one class per name."""

from __future__ import annotations

from typing import Any

import pytest

import tradewind.connectors as registry
from tradewind.connectors.base import ConnectionOptions, Connector
from tradewind.errors import ConfigError


@pytest.fixture(autouse=True)
def _own_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    registry.available()  # discover the built-ins into the real registry first
    monkeypatch.setattr(registry, "_registry", dict(registry._registry))


def make(name: str) -> type[Connector]:
    class Made(Connector):
        label = "Made"
        Options = ConnectionOptions

        def account_key(self) -> str:
            return name

        @property
        def client(self) -> Any:
            return None

    Made.name = name
    return Made


def test_unknown_name_is_a_config_error_listing_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="unknown connector 'no_such_system'") as caught:
        registry.get("no_such_system")
    known = registry.available()
    assert known and all(name in (caught.value.hint or "") for name in known)


def test_registered_connector_is_found_by_name() -> None:
    made = registry.connector(make("tradewind_test_system"))
    assert made is registry.get("tradewind_test_system")
    assert "tradewind_test_system" in registry.available()


def test_registering_the_same_class_twice_is_harmless() -> None:
    made = make("tradewind_test_system")
    registry.connector(made)
    assert made is registry.connector(made)


def test_a_second_class_claiming_a_registered_name_raises() -> None:
    registry.connector(make("tradewind_test_system"))
    with pytest.raises(ConfigError, match="two connectors claim the name 'tradewind_test_system'"):
        registry.connector(make("tradewind_test_system"))


def test_a_second_class_cannot_take_a_built_in_name() -> None:
    built_in = registry.available()[0]
    registered = registry.get(built_in)
    with pytest.raises(ConfigError, match=built_in):
        registry.connector(make(built_in))
    assert registered is registry.get(built_in)
