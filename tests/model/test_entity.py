"""The entity base: aware-UTC datetimes, content hashes, the registry of kinds, the public names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import TypeAdapter, ValidationError

import tradewind.model as model
from tradewind.model import ENTITIES, Entity, UtcDateTime, content_hash

utc: TypeAdapter[datetime] = TypeAdapter(UtcDateTime)


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValidationError, match="no time zone"):
        utc.validate_python(datetime(2026, 5, 1, 10, 0))


def test_other_zone_is_normalised_to_utc() -> None:
    amsterdam_summer = timezone(timedelta(hours=2))
    value = utc.validate_python(datetime(2026, 5, 1, 12, 0, tzinfo=amsterdam_summer))
    assert datetime(2026, 5, 1, 10, 0, tzinfo=UTC) == value
    assert UTC == value.tzinfo


def test_iso_text_with_offset_is_normalised_to_utc() -> None:
    value = utc.validate_python("2026-05-01T12:00:00+02:00")
    assert (datetime(2026, 5, 1, 10, 0, tzinfo=UTC), UTC) == (value, value.tzinfo)


def test_content_hash_is_stable_across_key_order() -> None:
    one = {"sku": "A-1", "price": {"amount": "9.95", "currency": "EUR"}, "tags": ["x", "y"]}
    two = {"tags": ["x", "y"], "price": {"currency": "EUR", "amount": "9.95"}, "sku": "A-1"}
    assert content_hash(one) == content_hash(two)


def test_content_hash_differs_for_different_content() -> None:
    base = {"sku": "A-1", "price": Decimal("9.95"), "tags": ["x", "y"]}
    assert content_hash(base) != content_hash({**base, "price": Decimal("9.96")})
    assert content_hash(base) != content_hash({**base, "tags": ["y", "x"]})
    assert content_hash(base) != content_hash({**base, "extra": None})


def test_content_hash_is_sha256_hex() -> None:
    digest = content_hash({"a": 1})
    assert (64, True) == (len(digest), all(c in "0123456789abcdef" for c in digest))


def test_entities_registry_holds_every_entity_by_its_kind() -> None:
    exported = {
        obj for name in model.__all__
        if isinstance(obj := getattr(model, name), type) and issubclass(obj, Entity) and obj is not Entity
    }
    assert exported == set(ENTITIES.values())
    assert {cls.kind: cls for cls in exported} == ENTITIES
    expected_kinds = {"product", "price", "stock", "customer", "order", "shipment", "invoice", "payment", "refund"}
    assert expected_kinds == set(ENTITIES)


def test_model_all_names_exist_once() -> None:
    missing = [name for name in model.__all__ if not hasattr(model, name)]
    assert [] == missing
    assert len(set(model.__all__)) == len(model.__all__)
