"""Reading by id (``get``): a webhook's or a replay's records, read again from the shop by GID.

One call per batch (a page's worth, so a call costs what a page does), answers in the order asked,
the record as it is now, None for a record deleted since or a GID of another kind."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tradewind.connectors.pacing import forget_budgets
from tradewind.connectors.shopify import Shopify, queries
from tradewind.connectors.testing import FAST_RETRY
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.shopify import create_app

from .test_shopify import ENVIRON, SEED, TOKEN, calls, options, reset_calls, sandbox_of


@pytest.fixture
def served() -> Iterator[Served]:
    forget_budgets()
    with Served(create_app(seed=SEED, token=TOKEN, shop="test.myshopify.com", restore_rate=2000)) as served:
        yield served


@pytest.fixture
def connection(served: Served) -> Iterator[Shopify]:
    instance = Shopify(options(served.url), environ=ENVIRON, retry=FAST_RETRY)
    yield instance
    instance.close()


def test_products_are_read_by_gid_in_order_one_call_per_batch(connection: Shopify, served: Served) -> None:
    store = sandbox_of(served).store
    numbers = sorted(store.products)[::-1]  # 31 products: two batches of 25
    store.products[numbers[3]]["title"] = "Changed since announced"
    del store.products[numbers[7]]
    ids = [f"gid://shopify/Product/{n}" for n in numbers] + ["gid://shopify/Order/800"]
    products = connection.resource("products")
    reset_calls(served)
    found = products.get(connection.client, ids)
    assert 2 + 1 == calls(served)  # two batches, and the sneaker's variants beyond the inline ten
    assert [i if n != numbers[7] else None for i, n in zip(ids, numbers, strict=False)] + [None] == \
        [r.id if r else None for r in found]
    changed = found[3]
    assert changed is not None and "Changed since announced" == products.decode(changed.data).title


def test_customers_and_orders_are_read_by_gid(connection: Shopify, served: Served) -> None:
    store = sandbox_of(served).store
    customers, orders = connection.resource("customers"), connection.resource("orders")
    wanted = [f"gid://shopify/Customer/{n}" for n in sorted(store.customers)[:3]][::-1]
    reset_calls(served)
    assert wanted == [r.id for r in customers.get(connection.client, wanted) if r]
    assert 1 == calls(served)
    numbers = [n for n in sorted(store.orders) if n != 799][:queries.ORDERS_PAGE + 1]  # 799: lines beyond ten
    gids = [f"gid://shopify/Order/{n}" for n in numbers] + ["gid://shopify/Order/123456789"]
    reset_calls(served)
    found = orders.get(connection.client, gids)
    assert 2 == calls(served)  # six orders and one gone: two batches of five
    assert gids[:-1] == [r.id for r in found[:-1] if r] and found[-1] is None
    assert all(orders.decode(r.data).number.startswith("#") for r in found if r)
