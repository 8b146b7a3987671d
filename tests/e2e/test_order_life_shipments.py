"""Shipments from Exact (goods deliveries) to the shop as fulfillments with tracking: a partial
shipment, then the rest (docs/order-life.md, "Shipments"). Both sandboxes on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.order_life import order_life_world
from tests.e2e.slice import World
from tradewind.sandboxes.exact_online.schema import ExactError
from tradewind.store.db import Store
from tradewind.store.runs import list_transfers

SHIPMENTS = """\
  shipments:
    from: erp.shipments
    to: shop.shipments
    write: create
    after: [orders]
"""
TRACKING_URLS = '    tracking_urls: {POSTNL: "https://jouw.postnl.nl/track-and-trace/{number}-NL"}\n'
ADDRESS = {"first_name": "Anna", "last_name": "de Vries", "address1": "Keizersgracht 1", "city": "Amsterdam",
           "zip": "1015 CJ", "country_code": "NL"}


@pytest.fixture
def world(tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    w = order_life_world(tmp_path, store, monkeypatch, erp_options='    stock_warehouses: ["1"]\n' + TRACKING_URLS,
                         flows=SHIPMENTS)
    yield w
    w.exact.stop()
    w.shop.stop()


def three_bags(world: World) -> dict[str, Any]:
    """A paid order of 3 bags at 24.50 (73.50 with 12.76 VAT at 21%), booked in Exact with its number as YourRef."""
    order = world.shop.sandbox.add_order({
        "email": "anna@example.com", "financial_status": "paid", "currency": "EUR", "taxes_included": True,
        "billing_address": ADDRESS, "shipping_address": ADDRESS,
        "line_items": [{"sku": "BAG-01", "title": "Canvas bag", "quantity": 3, "price": "24.50",
                        "tax_lines": [{"title": "BTW 21%", "rate": 0.21, "price": "12.76"}]}]})
    booked = world.run("orders")
    assert 1 == booked.counts.get("created", 0), booked
    return order


def shop_order(world: World, order: dict[str, Any]) -> dict[str, Any]:
    shop = world.shop.sandbox
    return {"status": shop.store.orders[order["id"]]["fulfillment_status"],
            "remaining": [ln["remaining"] for fo in shop.store.fulfillment_orders[order["id"]] for ln in fo["lines"]],
            "fulfillments": [(f["tracking"], [ln["quantity"] for ln in f["lines"]])
                             for f in shop.store.fulfillments.get(order["id"], [])]}


def test_a_partial_shipment_reaches_the_shop_with_tracking_and_the_rest_follows(world: World) -> None:
    order = three_bags(world)
    assert order["name"] == world.exact_orders()[0]["YourRef"]
    world.exact.sandbox.deliver(order["name"], {"BAG-01": 2}, tracking_number="3SABCD0123456789",
                                shipping_method="POSTNL")
    first = world.run("shipments")
    assert (1, 0) == (first.counts.get("created", 0), first.counts.get("failed", 0)), first
    url = "https://jouw.postnl.nl/track-and-trace/3SABCD0123456789-NL"
    assert {"status": "partial", "remaining": [1],
            "fulfillments": [([{"company": "PostNL", "number": "3SABCD0123456789", "url": url}], [2])]} == \
        shop_order(world, order)

    world.reset_calls()
    again = world.run("shipments")  # nothing new in Exact: nothing written
    assert 0 == again.counts.get("created", 0) + again.counts.get("failed", 0), again
    # the delivery at the cursor is read again, its order's YourRef is not: kept with the reference tables
    calls = world.calls(world.exact)
    assert not [route for route in calls if "salesorder/SalesOrders" in route], calls

    world.exact.sandbox.deliver(order["name"], {"BAG-01": 1}, tracking_number="3SABCD0123456790",
                                shipping_method="POSTNL")
    last = world.run("shipments")
    assert 1 == last.counts.get("created", 0), last
    state = shop_order(world, order)
    assert ("fulfilled", [0], [2, 1]) == (state["status"], state["remaining"],
                                          [sum(q) for _, q in state["fulfillments"]])
    assert 21 == world.exact_orders()[0]["DeliveryStatus"]  # complete in Exact too
    with pytest.raises(ExactError, match="exceeds the quantity still to deliver"):
        world.exact.sandbox.deliver(order["name"], {"BAG-01": 1})


def test_a_shipment_of_an_order_the_shop_does_not_know_fails_naming_it(world: World, store: Store) -> None:
    order = three_bags(world)
    with world.shop.sandbox.lock:  # the shop lost the order (deleted by hand)
        world.shop.sandbox.store.remove("orders", order["id"])
    world.exact.sandbox.deliver(order["name"], {"BAG-01": 1}, tracking_number="3SABCD0123456789")
    result = world.run("shipments")
    assert 1 == result.counts.get("failed", 0), result
    with store.begin() as conn:
        (transfer,) = list_transfers(conn, result.run_id)
    assert f"order {order['name']} is not in the shop" == transfer.reason
