"""Stock under Shopify's compare-and-swap: the quantity last read is sent, a conflict is read again."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
import structlog

from tradewind.connectors.base import Ambiguous, Found, NativeRecord, Prebinding, Write
from tradewind.connectors.shopify import Shopify
from tradewind.connectors.shopify.client import _warned
from tradewind.connectors.testing import FAST_RETRY
from tradewind.model import StockLevel
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.shopify import ShopifySandbox, create_app

from .test_shopify import ENVIRON, SEED, TOKEN, calls, encode, options, reset_calls, sandbox_of

SKU, LOCATION = "SHIRT-0-S", "UTR"  # seeded with 5 available at Warehouse Utrecht


@pytest.fixture
def served() -> Iterator[Served]:
    app = create_app(token=TOKEN, shop="test.myshopify.com", seed=SEED, restore_rate=2000)
    with Served(app) as server:
        yield server


def connect(served: Served, before_write: Callable[[], None] | None = None) -> Shopify:
    """A connection whose every ``inventorySetQuantities`` is preceded by ``before_write`` (a sale
    in the shop at that very moment)."""

    def hook(request: httpx.Request) -> None:
        if before_write is not None and b"inventorySetQuantities" in request.content:
            before_write()

    http = httpx.Client(event_hooks={"request": [hook]})
    return Shopify(options(served.url), environ=ENVIRON, http=http, retry=FAST_RETRY)


def sell_one(shop: ShopifySandbox) -> Callable[[], None]:
    def sale() -> None:
        with shop.lock:
            variant = shop.store.variant_by_sku(SKU)
            assert variant is not None
            (level,) = [lvl for lvl in shop.store.item_levels(variant["inventory_item_id"]) if lvl["location_id"] == 1]
            level.update(available=level["available"] - 1, on_hand=level["on_hand"] - 1)

    return sale


def write(connection: Shopify, available: int, native_id: str | None = None, found: Found = None) -> Write:
    """A write as the engine hands it: with the record it was decided against, when it has one."""
    stock = connection.resource("stock")
    level = StockLevel(sku=SKU, location=LOCATION, available=Decimal(available))
    assert not isinstance(found, Ambiguous)
    return Write(native=encode(stock, level), native_id=native_id, key=SKU, found=found)


def found_id(served: Served) -> str:
    connection = connect(served)
    found = connection.resource("stock").find(connection.client, {"sku": SKU, "location": LOCATION})
    connection.close()
    assert isinstance(found, NativeRecord)
    return str(found.id)


def test_the_quantity_read_in_the_look_up_is_sent_as_change_from(served: Served) -> None:
    connection = connect(served)
    stock = connection.resource("stock")
    (found,) = stock.find_many(connection.client, [{"sku": SKU, "location": LOCATION}])
    assert isinstance(found, NativeRecord)
    reset_calls(served)
    (result,) = stock.write_many(connection.client, [write(connection, 9, found.id, found)])
    assert result.error is None and 1 == calls(served)  # handed from the look-up: no read before writing
    assert 9 == sandbox_of(served).inventory(SKU, "Warehouse Utrecht")
    (digest, _), = sandbox_of(served).idempotency.values()
    assert [5] == [q["changeFromQuantity"] for q in json.loads(digest)["quantities"]]


def test_a_bound_level_not_looked_up_is_read_before_it_is_written(served: Served) -> None:
    level = found_id(served)
    connection = connect(served)
    reset_calls(served)
    (result,) = connection.resource("stock").write_many(connection.client, [write(connection, 7, level)])
    assert result.error is None and 3 == calls(served)  # the shop's locations (once a run), one read, one write
    assert 7 == sandbox_of(served).inventory(SKU, "Warehouse Utrecht")


def test_a_compare_conflict_is_read_again_and_retried_once(served: Served) -> None:
    level = found_id(served)
    shop = sandbox_of(served)
    sold: list[int] = []

    def first_write_races_a_sale() -> None:
        if not sold:
            sell_one(shop)()
            sold.append(1)

    connection = connect(served, first_write_races_a_sale)
    stock = connection.resource("stock")
    (found,) = stock.find_many(connection.client, [{"sku": SKU, "location": LOCATION}])
    reset_calls(served)
    (result,) = stock.write_many(connection.client, [write(connection, 12, level, found)])
    assert result.error is None
    assert 3 == calls(served)  # refused as stale, read again, written
    assert 12 == shop.inventory(SKU, "Warehouse Utrecht")
    sent = sorted(json.loads(digest)["quantities"][0]["changeFromQuantity"] for digest, _ in shop.idempotency.values())
    assert [4, 5] == sent  # 5 as first read (stale: one was sold), then 4 as read again


def test_a_level_that_keeps_moving_fails_and_is_never_overwritten(served: Served) -> None:
    level = found_id(served)
    shop = sandbox_of(served)
    connection = connect(served, sell_one(shop))
    stock = connection.resource("stock")
    (found,) = stock.find_many(connection.client, [{"sku": SKU, "location": LOCATION}])
    (result,) = stock.write_many(connection.client, [write(connection, 12, level, found)])
    assert result.error is not None and "changeFromQuantity" in (result.error.field or "")
    assert 5 - 2 == shop.inventory(SKU, "Warehouse Utrecht")  # two sales, no overwrite


def test_a_lost_answer_sent_again_is_applied_once(served: Served) -> None:
    level = found_id(served)
    connection = connect(served)
    stock = connection.resource("stock")
    (found,) = stock.find_many(connection.client, [{"sku": SKU, "location": LOCATION}])
    reset_calls(served)
    fault = {"status": 503, "times": 1, "path_contains": "graphql", "after": True}
    httpx.post(f"{served.url}/_sandbox/faults", json=fault).raise_for_status()
    (result,) = stock.write_many(connection.client, [write(connection, 8, level, found)])
    assert result.error is None
    assert 2 == calls(served)  # the same key again: Shopify answers the first result, no conflict
    assert 8 == sandbox_of(served).inventory(SKU, "Warehouse Utrecht")
    assert 1 == len(sandbox_of(served).idempotency)


def test_each_connection_uses_its_own_keys(served: Served) -> None:
    level = found_id(served)
    for _ in range(2):  # the same values in two runs are two operations, not one
        connection = connect(served)
        stock = connection.resource("stock")
        (found,) = stock.find_many(connection.client, [{"sku": SKU, "location": LOCATION}])
        stock.write_many(connection.client, [write(connection, 5, level, found)])
        sell_one(sandbox_of(served))()
    assert 2 == len(sandbox_of(served).idempotency)


def test_an_unsupported_version_is_served_as_the_oldest_and_warned_once() -> None:
    app = create_app(token=TOKEN, shop="test.myshopify.com", seed=SEED, restore_rate=2000)
    app.state.sandbox.clock = lambda: datetime(2027, 10, 2, tzinfo=UTC)  # 2026-07 is past its support
    _warned.clear()
    with Served(app) as served, structlog.testing.capture_logs() as logs:
        connection = connect(served)
        for name in ("customers", "orders"):
            resource = connection.resource(name)
            next(iter(resource.pages(connection.client, None)))
        connection.close()
    warnings = [e for e in logs if e["event"] == "shopify_api_version_served"]
    assert [("2026-07", "2027-01")] == [(e["asked"], e["served"]) for e in warnings]


def test_a_level_adopted_without_its_quantity_is_read_before_it_is_written(served: Served) -> None:
    level = found_id(served)
    item, _, _ = level.partition("|")
    connection = connect(served)
    stock = connection.resource("stock")
    told = Prebinding("stock", f"sku={SKU}", item, {})  # a product's answer on an update: no quantity
    adopted = stock.adopt(connection.client, {"sku": SKU, "location": LOCATION}, told, level)
    assert adopted is not None and level == adopted.id
    reset_calls(served)
    (result,) = stock.write_many(connection.client, [write(connection, 6, level, adopted)])
    assert result.error is None and 3 == calls(served)  # locations (once a run), read, written: never blind
    (digest, _), = sandbox_of(served).idempotency.values()
    assert [5] == [q["changeFromQuantity"] for q in json.loads(digest)["quantities"]]


def test_a_level_adopted_with_the_quantity_last_written_is_not_read(served: Served) -> None:
    level = found_id(served)
    item, _, location = level.partition("|")
    connection = connect(served)
    stock = connection.resource("stock")
    told = Prebinding("stock", f"sku={SKU}", item, {"levels": {location: 5}})  # kept in the store by the last run
    adopted = stock.adopt(connection.client, {"sku": SKU, "location": LOCATION}, told, level)
    reset_calls(served)
    (result,) = stock.write_many(connection.client, [write(connection, 6, level, adopted)])
    assert result.error is None and 1 == calls(served)
    assert 6 == sandbox_of(served).inventory(SKU, "Warehouse Utrecht")
