"""Records the shop already holds are found, by every natural key Shopify supports, before anything is
created; a key that matches several shop records is :class:`Ambiguous`, naming them, never one picked.

The sandbox, served on loopback, holds what real shops hold: products under handles the ERP never
gave them, and one SKU on two products (Shopify allows it; handles are unique).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tradewind.connectors.base import Ambiguous, NativeRecord
from tradewind.connectors.pacing import forget_budgets
from tradewind.connectors.shopify import Shopify, ShopifyOptions
from tradewind.connectors.testing import FAST_RETRY
from tradewind.model import Money, Product, Variant
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.shopify import create_app

TOKEN = "shpat_test_0123456789"
ENVIRON = {"SHOPIFY_TOKEN": TOKEN}


def _product(number: int, handle: str, skus: list[str]) -> dict[str, Any]:
    return {"id": number, "title": handle.title(), "handle": handle, "options": [{"name": "Size", "values": skus}],
            "variants": [{"sku": sku, "option1": sku, "price": "10.00"} for sku in skus]}


SEED = {
    "shop": {"name": "Test Shop", "currency": "EUR"},
    "locations": [{"id": 1, "name": "Warehouse Utrecht"}],
    "products": [
        _product(11, "old-scarf-handle", ["SCARF-R", "SCARF-B"]),  # the ERP's wool-scarf, under another handle
        _product(12, "twin-a", ["DUP-1"]),  # one SKU on two products
        _product(13, "twin-b", ["DUP-1", "DUP-2"]),
        _product(14, "split-a", ["SPLIT-1"]),  # one ERP product's SKUs spread over two shop products
        _product(15, "split-b", ["SPLIT-2"]),
        _product(16, "hat", ["HAT-1"]),
        _product(17, "cap", ["CAP-1"]),
        _product(18, "plain", ["OLD-SKU"]),  # found by handle when no SKU is in the shop
        _product(19, "boots", [f"BOOT-{n}" for n in range(36, 48)]),  # 12 variants: more than the inline ten
        *[_product(100 + i, f"shirt-{i}", [f"SHIRT-{i}-S", f"SHIRT-{i}-M"]) for i in range(30)],
    ],
    "customers": [{"id": 501, "email": "Anna@Example.com", "first_name": "Anna"}],
    "orders": [{"id": 801, "name": "#1001", "email": "anna@example.com", "customer": {"id": 501},
                "line_items": [{"sku": "HAT-1", "quantity": 1, "price": "10.00"}]}],
}


@pytest.fixture
def served() -> Iterator[Served]:
    forget_budgets()
    with Served(create_app(token=TOKEN, shop="test.myshopify.com", seed=SEED, restore_rate=2000)) as served:
        yield served


@pytest.fixture
def shop(served: Served) -> Iterator[Shopify]:
    options = ShopifyOptions(shop="test.myshopify.com", base_url=served.url, token="${SHOPIFY_TOKEN}",
                             taxes_included=True, locations={"UTR": "Warehouse Utrecht"})
    connection = Shopify(options, environ=ENVIRON, retry=FAST_RETRY)
    yield connection
    connection.close()


def calls(served: Served) -> int:
    return int(httpx.get(f"{served.url}/_sandbox/calls").json()["total"])


def reset_calls(served: Served) -> None:
    httpx.post(f"{served.url}/_sandbox/reset-calls").raise_for_status()


def product(key: str, *skus: str) -> Product:
    return Product(key=key, title=key.title(), variants=[Variant(sku=s, price=Money.of("10", "EUR")) for s in skus])


def gid(number: int) -> str:
    return f"gid://shopify/Product/{number}"


def test_a_product_is_found_by_its_skus_under_another_handle(shop: Shopify, served: Served) -> None:
    products = shop.resource("products")
    wanted = {
        "scarf": product("Wool Scarf", "SCARF-R", "SCARF-B", "SCARF-G"),  # a new colour: still that product
        "plain": product("Plain", "NEW-SKU"),
        "new": product("Brand New", "NEW-1", "NEW-2"),
        "boots": product("Winter Boots", "BOOT-47"),  # the SKU sits on the twelfth variant
    }
    reset_calls(served)
    found = products.find_many(shop.client, [products.natural_keys_of(p) for p in wanted.values()])
    answers = dict(zip(wanted, found, strict=True))
    assert isinstance(answers["scarf"], NativeRecord) and gid(11) == answers["scarf"].id
    assert "old-scarf-handle" == answers["scarf"].data["handle"]
    assert isinstance(answers["plain"], NativeRecord) and gid(18) == answers["plain"].id
    assert answers["new"] is None
    assert isinstance(answers["boots"], NativeRecord) and gid(19) == answers["boots"].id
    assert 12 == len(answers["boots"].data["variants"]["nodes"])
    # one search OR-ing every SKU and handle, one follow-up for the boots' further variants
    assert 2 == calls(served)
    assert [answers["scarf"]] == [products.find(shop.client, products.natural_keys_of(wanted["scarf"]))]


def test_the_binding_keeps_the_product_key_alone(shop: Shopify) -> None:
    products = shop.resource("products")
    scarf = product("Wool Scarf", "SCARF-R", "SCARF-B")
    assert "key=Wool Scarf" == products.natural_key(scarf)
    assert {"skus": '["SCARF-R", "SCARF-B"]', "key": "Wool Scarf"} == products.natural_keys_of(scarf)


@pytest.mark.parametrize(("wanted", "candidates"), [
    (product("Twin", "DUP-1"), (12, 13)),  # one SKU on two products
    (product("Split", "SPLIT-1", "SPLIT-2"), (14, 15)),  # the SKUs spread over two products
    (product("Cap", "HAT-1"), (16, 17)),  # the SKU on one product, the handle on another
])
def test_keys_matching_several_products_are_ambiguous(shop: Shopify, wanted: Product,
                                                      candidates: tuple[int, ...]) -> None:
    found = shop.resource("products").find(shop.client, shop.resource("products").natural_keys_of(wanted))
    assert Ambiguous(tuple(gid(n) for n in candidates)) == found


def test_a_reference_by_one_sku_finds_its_product(shop: Shopify) -> None:
    products = shop.resource("products")
    found = products.find_many(shop.client, [{"sku": "SCARF-B"}, {"sku": "DUP-2"}, {"sku": "DUP-1"}])
    assert [gid(11), gid(13)] == [f.id for f in found[:2] if isinstance(f, NativeRecord)]
    assert Ambiguous((gid(12), gid(13))) == found[2]


def test_product_lookups_are_batched(shop: Shopify, served: Served) -> None:
    products = shop.resource("products")
    wanted = [product(f"Shirt {i}", f"SHIRT-{i}-S", f"SHIRT-{i}-M") for i in range(30)]
    reset_calls(served)
    found = products.find_many(shop.client, [products.natural_keys_of(p) for p in wanted])
    assert [gid(100 + i) for i in range(30)] == [f.id for f in found if isinstance(f, NativeRecord)]
    assert 2 == calls(served)  # 90 terms, 50 a search; each answer within one page


def test_a_sku_on_two_variants_is_ambiguous_for_prices_and_stock(shop: Shopify) -> None:
    prices = shop.resource("prices").find_many(shop.client, [{"sku": "DUP-1"}, {"sku": "DUP-2"}])
    assert isinstance(prices[0], Ambiguous) and 2 == len(prices[0].candidates)
    assert all("gid://shopify/ProductVariant/" in c for c in prices[0].candidates)
    assert isinstance(prices[1], NativeRecord) and prices[1].id.endswith(f"|{gid(13)}")
    stock = shop.resource("stock")
    levels = stock.find_many(shop.client, [{"sku": "DUP-1", "location": "UTR"}, {"sku": "HAT-1", "location": "UTR"}])
    assert isinstance(levels[0], Ambiguous) and 2 == len(levels[0].candidates)
    assert isinstance(levels[1], NativeRecord)


def test_customers_and_orders_are_found_by_their_keys(shop: Shopify) -> None:
    customers = shop.resource("customers").find_many(shop.client, [{"email": "anna@example.com"},
                                                                   {"email": "nobody@example.com"}])
    assert isinstance(customers[0], NativeRecord) and "gid://shopify/Customer/501" == customers[0].id
    assert customers[1] is None
    order = shop.resource("orders").find(shop.client, {"number": "#1001"})
    assert isinstance(order, NativeRecord) and "gid://shopify/Order/801" == order.id


def test_prices_and_stock_not_bound_are_looked_up_many_skus_a_search(shop: Shopify, served: Served) -> None:
    """200 SKUs (60 in the shop, 140 not): prices in one search (250 fit in 800 points), stock in
    ⌈200/159⌉ = 2 after the locations, not 200 each; each SKU answers the variant holding exactly it."""
    skus = [f"SHIRT-{i}-{size}" for i in range(30) for size in "SM"] + [f"ABSENT-{n}" for n in range(140)]
    reset_calls(served)
    prices = shop.resource("prices").find_many(shop.client, [{"sku": sku} for sku in skus])
    assert 1 == calls(served)
    assert [sku for sku, found in zip(skus, prices, strict=True) if isinstance(found, NativeRecord)] == skus[:60]
    assert all(isinstance(found, NativeRecord) and found.data["sku"] == sku
               for sku, found in zip(skus[:60], prices[:60], strict=True))
    reset_calls(served)
    stock = shop.resource("stock").find_many(shop.client, [{"sku": sku, "location": "UTR"} for sku in skus])
    assert 1 + 2 == calls(served)
    assert [sku for sku, found in zip(skus, stock, strict=True) if isinstance(found, NativeRecord)] == skus[:60]
