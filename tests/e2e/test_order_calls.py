"""Every call counts, for orders: a page of new orders costs Exact one ``or``-filtered look-up per kind
of key (the orders' ``YourRef``, the buyers' e-mail addresses, the lines' SKUs) for the whole page, one
POST per order and one per new person customer — not a look-up of each per order. Counted by the
Exact sandbox (``/_sandbox/calls``), never timed (bench/orders_calls.py measures the ratio at scale).

The page: 20 new orders, 14 by buyers whose e-mail address is on an Exact account (the 5 seeded
accounts), 6 by 6 new buyers (persons: created as accounts without contacts), over 5 distinct SKUs.
"""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.slice import World, start_world
from tradewind.sandboxes.shopify_data import random_order
from tradewind.store.db import Store

PAGE = 20
NEW_BUYERS = 6


def add_page(world: World) -> list[str]:
    """The page of orders; the 5 SKUs they use."""
    shop, exact = world.shop.sandbox, world.exact.sandbox
    known = sorted(str(a["Email"]) for a in exact.dump()["accounts"])
    skus = sorted(v["sku"] for v in shop.store.variants.values())[:5]
    rng = random.Random(7)
    for n in range(PAGE):
        order: dict[str, Any] = random_order(dict.fromkeys(skus, Decimal("10.00")), rng=rng)
        email = f"new{n}@example.com" if n < NEW_BUYERS else known[n % len(known)]
        order.update(email=email, customer=None, financial_status="paid")
        order["billing_address"]["first_name"] = f"Buyer{n}"
        order["line_items"] = [dict(line, sku=skus[(n + i) % 5]) for i, line in enumerate(order["line_items"])]
        shop.add_order(order)
    return skus


def test_a_page_of_new_orders_costs_batched_look_ups_and_one_post_each(
        tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    world = start_world(tmp_path, store, monkeypatch=monkeypatch)
    try:
        assert "succeeded" == world.run("products").status
        add_page(world)
        world.reset_calls()
        result = world.run("orders")
        assert (PAGE, 0, NEW_BUYERS) == (result.counts["created"], result.counts["failed"],
                                         result.counts["customer_created"]), result
        calls = {route.replace("/api/v1/123456/", ""): n for route, n in world.calls(world.exact).items()}
        assert {
            "GET crm/Accounts": 1,              # the 11 buyers' e-mail addresses, one or-filter
            "GET bulk/CRM/Contacts": 1,         # the 5 accounts found, their contacts in one or-filter
            "GET bulk/Logistics/Items": 1,      # the 5 SKUs and the shipping item, one or-filter
            "GET salesorder/SalesOrders": 1,    # the 20 YourRefs, one or-filter: none booked yet
            "POST crm/Accounts": NEW_BUYERS,    # each new person once, nothing read back
            "POST salesorder/SalesOrders": PAGE,
        } == calls
        assert PAGE == len(world.exact_orders())
    finally:
        world.exact.stop()
        world.shop.stop()
