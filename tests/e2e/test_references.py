"""References as a step of their own: a customer is created for an order only when the order will
be written, with a transfer of its own, bound as the shop's customer — so a customers flow later
finds it instead of refusing two source records for one target record."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.slice import World, start_world
from tradewind.store.db import Store
from tradewind.store.runs import list_transfers

CUSTOMERS_FLOW = """\
  customers:
    from: shop.customers
    to: erp.customers
    match: {customer: email}
"""


@pytest.fixture
def world(tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    w = start_world(tmp_path, store, monkeypatch=monkeypatch, extra_flows=CUSTOMERS_FLOW)
    w.run("products")
    yield w
    w.exact.stop()
    w.shop.stop()


def accounts(world: World) -> list[str]:
    return [a["Email"] for a in world.exact.sandbox.dump()["accounts"]]


def test_an_order_that_fails_creates_no_customer(world: World) -> None:
    order = world.add_orders(1, seed=31)[0]
    world.shop.sandbox.store.orders[order["id"]]["line_items"][0]["sku"] = "NOT-IN-EXACT"
    before = accounts(world)
    result = world.run("orders")
    assert (1, 0) == (result.counts["failed"], result.counts.get("customer_created", 0)), result
    assert before == accounts(world)


def test_a_customer_created_for_an_order_has_its_own_transfer_and_source_identity(world: World,
                                                                                  store: Store) -> None:
    shop = world.shop.sandbox
    buyer = shop.seed_customer({"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"})
    order = world.add_orders(1, seed=32)[0]
    stored = shop.store.orders[order["id"]]
    stored.update(email=buyer["email"], customer={"id": buyer["id"]})
    result = world.run("orders")
    assert (1, 1) == (result.counts["created"], result.counts["customer_created"]), result
    with store.begin() as conn:
        transfers = list_transfers(conn, result.run_id)
    by_entity = {t.entity: t for t in transfers}
    assert "customer" in by_entity and "created" == by_entity["customer"].outcome
    assert f"gid://shopify/Customer/{buyer['id']}" == by_entity["customer"].source_id
    assert "with new customer" in (by_entity["order"].reason or "")
    customers = world.run("customers")
    assert 0 == customers.counts.get("failed", 0), customers
    assert 1 == accounts(world).count("ada@example.com")
