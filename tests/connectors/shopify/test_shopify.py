"""Shopify against its sandbox over loopback: the shared contract plus what is peculiar to Shopify."""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, ClassVar, cast

import httpx
import pytest
from graphql import GraphQLObjectType

from tradewind.connectors.base import NativeRecord, Priority, Refs, Resource, Write
from tradewind.connectors.pacing import CostBucket, forget_budgets, priority
from tradewind.connectors.shopify import Shopify, ShopifyOptions
from tradewind.connectors.testing import FAST_RETRY, ConnectorContract
from tradewind.errors import ConfigError, RecordError
from tradewind.model import Address, Customer, Entity, Money, Price, Product, StockLevel, Variant
from tradewind.rules.orders import check_totals, compose_lines
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.shopify import ShopifySandbox, create_app
from tradewind.sandboxes.shopify_data import random_order

TOKEN = "shpat_test_0123456789"
ENVIRON = {"SHOPIFY_TOKEN": TOKEN}
LOCATIONS = {"UTR": "Warehouse Utrecht", "AMS": "Store Amsterdam"}
PAST = "2024-02-01T10:{:02d}:00Z"


def _product(i: int) -> dict[str, Any]:
    sizes = ["S", "M", "L"][: 1 + i % 3]
    return {
        "id": 100 + i, "title": f"Shirt {i}", "handle": f"shirt-{i}", "vendor": "Acme", "product_type": "Shirts",
        "status": "active", "created_at": PAST.format(i), "updated_at": PAST.format(i),
        "options": [{"name": "Size", "values": sizes}],
        "variants": [{"sku": f"SHIRT-{i}-{s}", "option1": s, "price": "25.00", "created_at": PAST.format(i),
                      "updated_at": PAST.format(i)} for s in sizes],
    }


def _big_product() -> dict[str, Any]:
    """Twelve variants: more than the inline slice, so the rest comes with a follow-up query."""
    sizes = [f"EU{n}" for n in range(36, 48)]
    return {
        "id": 99, "title": "Sneaker", "handle": "sneaker", "status": "active", "created_at": PAST.format(0),
        "updated_at": PAST.format(0), "options": [{"name": "Size", "values": sizes}],
        "variants": [{"sku": f"SNEAK-{s}", "option1": s, "price": "89.95"} for s in sizes],
    }


def _customer(i: int) -> dict[str, Any]:
    return {
        "id": 500 + i, "email": f"buyer{i}@example.com", "first_name": f"Buyer{i}", "last_name": "Jansen",
        "created_at": PAST.format(i % 60), "updated_at": PAST.format(i % 60),
        "addresses": [{"address1": "Damrak 1", "city": "Amsterdam", "zip": "1012 JS", "country_code": "NL",
                       "company": "Jansen BV" if i % 5 == 0 else None, "default": True}],
    }


def _orders(customers: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    rng = random.Random(11)
    catalogue = {f"SHIRT-{i}-S": Decimal("25.00") for i in range(8)}
    orders = []
    for n in range(count):
        order = random_order(catalogue, rng=rng, customers=customers)
        order.update({"id": 800 + n, "created_at": PAST.format(n), "updated_at": PAST.format(n)})
        orders.append(order)
    many = random_order({f"SHIRT-{i}-S": Decimal("25.00") for i in range(30)}, rng=rng)
    vat = [{"title": "BTW 21%", "rate": 0.21, "price": "4.34"}]
    many["line_items"] = [{"sku": f"SHIRT-{i}-S", "quantity": 1, "price": "25.00", "tax_lines": vat} for i in range(12)]
    many.update({"id": 799, "created_at": PAST.format(59), "updated_at": PAST.format(59)})
    return [*orders, many]


CUSTOMERS = [_customer(i) for i in range(55)]
SEED = {
    "shop": {"name": "Test Shop", "currency": "EUR"},
    "locations": [{"id": 1, "name": "Warehouse Utrecht"}, {"id": 2, "name": "Store Amsterdam"}],
    "products": [_product(i) for i in range(30)] + [_big_product()],
    "inventory_levels": [{"sku": "SHIRT-0-S", "location_id": 1, "available": 5}],
    "customers": CUSTOMERS,
    "orders": _orders(CUSTOMERS, 12),
}


def options(base_url: str, **extra: Any) -> ShopifyOptions:
    values: dict[str, Any] = {"shop": "test.myshopify.com", "base_url": base_url, "token": "${SHOPIFY_TOKEN}",
                              "taxes_included": True, "locations": LOCATIONS, **extra}
    return ShopifyOptions(**values)


def sandbox_of(served: Served) -> ShopifySandbox:
    return cast(ShopifySandbox, served.server.config.app.state.sandbox)  # type: ignore[union-attr]


def encode(resource: Resource[Any], entity: Entity) -> dict[str, Any]:
    assert resource.encode is not None
    return resource.encode(entity, cast(Refs, None))


def calls(served: Served) -> int:
    return int(httpx.get(f"{served.url}/_sandbox/calls").json()["total"])


def reset_calls(served: Served) -> None:
    httpx.post(f"{served.url}/_sandbox/reset-calls").raise_for_status()


class TestShopify(ConnectorContract):
    connector = Shopify
    def harness(self) -> Served:
        return Served(create_app(seed=self.seed(), **self.sandbox_options))
    # A Shopify-for-enterprise plan (2000 points/second), so honest pacing costs the suite little time.
    sandbox_options: ClassVar[dict[str, Any]] = {"token": TOKEN, "shop": "test.myshopify.com", "restore_rate": 2000}
    environ: ClassVar[dict[str, str]] = ENVIRON
    expected_counts: ClassVar[dict[str, int]] = {"products": 31, "customers": 55, "orders": 13}
    roundtrip_fields: ClassVar[dict[str, list[str]]] = {
        "products": ["key", "title", "description", "vendor", "product_type", "tags", "active", "variants"],
        "customers": ["type", "name", "email", "phone", "billing_address"],
    }

    def options(self, base_url: str) -> ShopifyOptions:
        return options(base_url)

    def seed(self) -> dict[str, Any]:
        return SEED

    def samples(self) -> dict[str, Entity]:
        return {
            "products": Product(
                key="wool-scarf", title="Wool scarf", description="<p>Warm</p>", vendor="Acme", product_type="Scarves",
                tags=["winter"], variants=[
                    Variant(sku="SCARF-R", title="Red", options={"Colour": "Red"}, price=Money.of("30.00", "EUR"),
                            ean="8712345000011"),
                    Variant(sku="SCARF-B", title="Blue", options={"Colour": "Blue"}, price=Money.of("31.00", "EUR"),
                            compare_at_price=Money.of("35.00", "EUR")),
                ],
            ),
            "customers": Customer(
                name="Jan de Boer", email="jan.deboer@example.com", phone="+31612345678",
                billing_address=Address(name="Jan de Boer", line1="Coolsingel 31", postcode="3011 AD",
                                        city="Rotterdam", country="NL"),
            ),
        }

    def change(self, sandbox_state: Any, resource: str) -> str:
        store = sandbox_state.store
        if resource == "refunds":  # a refund of the first order: the order changes with it
            order = store.orders[min(store.orders)]
            number, now = store.next_id(), sandbox_state.now()
            order.setdefault("refunds", []).append({
                "id": number, "created_at": now, "processed_at": now, "refund_line_items": [], "shipping": [],
                "order_adjustments": [], "transactions": []})
            order["updated_at"] = now
            return f"gid://shopify/Refund/{number}"
        records, kind = {"products": (store.products, "Product"), "customers": (store.customers, "Customer"),
                         "orders": (store.orders, "Order")}[resource]
        number = min(records)
        records[number]["note" if resource != "products" else "title"] = "changed"
        records[number]["updated_at"] = sandbox_state.now()
        return f"gid://shopify/{kind}/{number}"

    def invalid(self, resource: str) -> dict[str, Any] | None:
        if resource == "customers":
            return {"email": "not-an-address", "lastName": "Nobody"}
        return {"handle": "no-title", "title": "", "productOptions": [], "variants": []}

    # -- Shopify's own -------------------------------------------------------------------------

    def test_prices_are_written_in_one_call_per_product(self, connection: Shopify, served: Served) -> None:
        prices = connection.resource("prices")
        skus = ["SHIRT-2-S", "SHIRT-2-M", "SHIRT-2-L", "SHIRT-5-S", "SHIRT-5-M", "SHIRT-5-L", "SHIRT-8-S"]
        found = prices.find_many(connection.client, [{"sku": s} for s in skus])
        assert all(found)
        writes = [Write(native=encode(prices, Price(sku=s, amount=Money.of("19.95", "EUR"), includes_vat=True)),
                        native_id=f.id, key=s) for s, f in zip(skus, found, strict=True) if f]
        reset_calls(served)
        results = prices.write_many(connection.client, writes)
        assert [None] * len(skus) == [r.error for r in results]
        assert 3 == calls(served)
        variants = sandbox_of(served).products_by_sku()
        assert {Decimal("19.95")} == {Decimal(str(_variant(variants, s)["price"])) for s in skus}

    def test_a_bound_price_is_written_without_a_lookup(self, connection: Shopify, served: Served) -> None:
        found = connection.resource("prices").find(connection.client, {"sku": "SHIRT-3-S"})
        assert found is not None and "|gid://shopify/Product/" in found.id
        fresh = Shopify(options(served.url), environ=self.environ, retry=FAST_RETRY)  # a later run: empty caches
        prices = fresh.resource("prices")
        write = Write(native=encode(prices, Price(sku="SHIRT-3-S", amount=Money.of("21.00", "EUR"), includes_vat=True)),
                      native_id=found.id, key="SHIRT-3-S")
        reset_calls(served)
        assert [None] == [r.error for r in prices.write_many(fresh.client, [write])]
        assert 1 == calls(served)
        assert Decimal("21.00") == Decimal(str(_variant(sandbox_of(served).products_by_sku(), "SHIRT-3-S")["price"]))
        fresh.close()

    def test_price_without_variant_or_in_wrong_list_fails_alone(self, connection: Shopify) -> None:
        prices = connection.resource("prices")
        found = prices.find(connection.client, {"sku": "SHIRT-1-S"})
        assert found is not None and prices.find(connection.client, {"sku": "NO-SUCH-SKU"}) is None
        good = Price(sku="SHIRT-1-S", amount=Money.of("10.00", "EUR"), includes_vat=False, vat_rate=Decimal("21"))
        results = prices.write_many(connection.client, [
            Write(native=encode(prices, good), native_id=found.id, key="SHIRT-1-S"),
            Write(native=encode(prices, Price(sku="NO-SUCH-SKU", amount=Money.of("1", "EUR"))), key="x"),
        ])
        assert results[0].record is not None and "12.10" == results[0].record.data["price"]  # net 10 + 21% VAT
        assert results[1].error is not None and "sync products first" in results[1].error.message
        with pytest.raises(RecordError, match="price list 'default'"):
            encode(prices, Price(sku="SHIRT-1-S", price_list="b2b", amount=Money.of("1", "EUR")))

    def test_stock_is_written_in_one_call(self, connection: Shopify, served: Served) -> None:
        stock = connection.resource("stock")
        levels = [StockLevel(sku=f"SHIRT-{i}-S", location="UTR" if i % 2 else "AMS", on_hand=Decimal(10 + i),
                             reserved=Decimal(1))
                  for i in range(12)]
        found = stock.find_many(connection.client, [stock.natural_keys_of(level) for level in levels])
        assert all(found)
        writes = [Write(native=encode(stock, level), native_id=f.id if f else None, key=level.sku,
                        found=f if isinstance(f, NativeRecord) else None)  # as the engine hands them
                  for level, f in zip(levels, found, strict=True)]
        reset_calls(served)
        results = stock.write_many(connection.client, writes)
        assert [None] * 12 == [r.error for r in results]
        assert 1 == calls(served)
        state = sandbox_of(served)
        assert 9 + 3 == state.inventory("SHIRT-3-S", "Warehouse Utrecht")
        assert 9 + 4 == state.inventory("SHIRT-4-S", "Store Amsterdam")
        again = stock.find(connection.client, {"sku": "SHIRT-3-S", "location": "UTR"})
        assert again is not None and Decimal(12) == stock.decode(again.data).available

    def test_found_price_and_stock_tell_whether_they_already_hold_the_values(self, connection: Shopify) -> None:
        prices, stock = connection.resource("prices"), connection.resource("stock")
        found = prices.find(connection.client, {"sku": "SHIRT-1-S"})
        assert found is not None
        current = Decimal(str(found.data["price"]))
        same = Price(sku="SHIRT-1-S", amount=Money.of(str(current), "EUR"), includes_vat=True)
        other = Price(sku="SHIRT-1-S", amount=Money.of(str(current + 1), "EUR"), includes_vat=True)
        assert prices.holds(found, encode(prices, same)) and not prices.holds(found, encode(prices, other))
        level = stock.find(connection.client, {"sku": "SHIRT-1-S", "location": "UTR"})
        assert level is not None
        available = stock.decode(level.data).available
        assert available is not None
        now = StockLevel(sku="SHIRT-1-S", location="UTR", available=available)
        more = StockLevel(sku="SHIRT-1-S", location="UTR", available=available + 1)
        assert stock.holds(level, encode(stock, now)) and not stock.holds(level, encode(stock, more))

    def test_stock_for_unknown_sku_or_location_fails_alone(self, connection: Shopify) -> None:
        stock = connection.resource("stock")
        levels = [StockLevel(sku="SHIRT-1-S", location="UTR", available=Decimal(3)),
                  StockLevel(sku="NOPE", location="UTR", available=Decimal(3)),
                  StockLevel(sku="SHIRT-1-S", location="XXX", available=Decimal(3))]
        results = stock.write_many(connection.client, [Write(native=encode(stock, x), key=x.sku) for x in levels])
        assert results[0].record is not None
        assert results[1].error is not None and "sync products first" in results[1].error.message
        assert results[2].error is not None and "location" == results[2].error.field

    def test_find_many_batches_natural_keys(self, connection: Shopify, served: Served) -> None:
        products = connection.resource("products")
        keys = [{"key": f"shirt-{i}"} for i in range(30)] + [{"key": "Sneaker"}, {"key": "no-such-product"}]
        reset_calls(served)
        found = products.find_many(connection.client, keys)
        assert 31 == sum(1 for f in found if f) and found[-1] is None
        sneaker = found[30]
        assert sneaker is not None and 12 == len(sneaker.data["variants"]["nodes"])
        assert 2 + 1 == calls(served)  # two searches of 25 handles, one follow-up for the sneaker's variants
        reset_calls(served)
        customers = connection.resource("customers").find_many(
            connection.client, [{"email": f"BUYER{i}@example.com"} for i in range(55)])
        assert all(customers) and 2 == calls(served)

    def test_throttled_answers_are_waited_out(self, served_tiny: Served) -> None:
        state = sandbox_of(served_tiny)
        connection = Shopify(options(served_tiny.url), environ=ENVIRON, retry=FAST_RETRY)
        with priority(Priority.HIGH):
            assert state.bucket is not None
            state.bucket.take(state.bucket.available)  # another app drained the shop's bucket
            records = [r for page in connection.resource("products").pages(connection.client, None)
                       for r in page.records]
        assert 31 == len(records)
        assert calls(served_tiny) > 3  # at least one THROTTLED answer was sent again
        connection.close()

    def test_429_throttling_is_waited_out_too(self) -> None:
        app = create_app(token=TOKEN, seed=SEED, bucket_size=700, restore_rate=5000, throttle_status=429)
        with Served(app) as served:
            connection = Shopify(options(served.url), environ=ENVIRON, retry=FAST_RETRY)
            bucket = app.state.sandbox.bucket
            bucket.take(bucket.available)
            with priority(Priority.HIGH):
                pages = connection.resource("customers").pages(connection.client, None)
                assert 55 == sum(len(page.records) for page in pages)
            connection.close()

    def test_order_line_without_sku_fails_that_order_only(self, connection: Shopify, served: Served) -> None:
        state = sandbox_of(served)
        state.add_order({"id": 990, "email": "x@example.com", "created_at": PAST.format(30),
                         "updated_at": PAST.format(30), "line_items": [
                             {"sku": "SHIRT-1-S", "quantity": 1, "price": "25.00"},
                             {"sku": None, "title": "Gift wrap", "quantity": 1, "price": "2.50"}]})
        orders = connection.resource("orders")
        records = [r for page in orders.pages(connection.client, None) for r in page.records]
        failed = []
        for record in records:
            try:
                orders.decode(record.data)
            except RecordError as error:
                failed.append(error)
        assert 14 == len(records) and 1 == len(failed)
        assert "lines[1].sku" == failed[0].field and failed[0].record and failed[0].record.startswith("#")

    def test_orders_decode_to_balanced_totals(self, connection: Shopify) -> None:
        orders = connection.resource("orders")
        for page in orders.pages(connection.client, None):
            for record in page.records:
                order = orders.decode(record.data)
                lines = compose_lines(order, shipping_sku="SHIP", discount_sku="DISC")
                assert abs(check_totals(order, lines).amount) <= Decimal("0.05"), order.number

    def test_big_product_comes_with_all_its_variants(self, connection: Shopify) -> None:
        products = connection.resource("products")
        found = products.find(connection.client, {"key": "sneaker"})
        assert found is not None and 12 == len(products.decode(found.data).variants)

    def test_two_connections_share_one_bucket(self, served: Served) -> None:
        first = Shopify(options(served.url), environ=ENVIRON)
        second = Shopify(options(served.url, locations={}), environ=ENVIRON)
        other = Shopify(options(served.url, shop="other.myshopify.com"), environ=ENVIRON)
        assert first.client.bucket is second.client.bucket
        assert isinstance(first.client.bucket, CostBucket) and other.client.bucket is not first.client.bucket
        next(iter(first.resource("customers").pages(first.client, None)))
        assert second.client.bucket.available < second.client.bucket.maximum
        for connection in (first, second, other):
            connection.close()

    def test_refused_token_is_a_config_error_without_retries(self, served: Served) -> None:
        connection = Shopify(options(served.url), environ={"SHOPIFY_TOKEN": "shpat_wrong_token"}, retry=FAST_RETRY)
        reset_calls(served)
        with pytest.raises(ConfigError) as caught:
            next(iter(connection.resource("orders").pages(connection.client, None)))
        assert 1 == calls(served) and "shpat_wrong_token" not in str(caught.value)
        connection.close()

    def test_drafts_when_publishing_is_off(self, served: Served) -> None:
        connection = Shopify(options(served.url, publish=False, vendor="House brand"), environ=ENVIRON)
        products = connection.resource("products")
        sample = Product(key="Draft Hat", title="Hat", variants=[Variant(sku="HAT-1", price=Money.of("9", "EUR"))])
        created = products.create(connection.client, encode(products, sample))
        assert "DRAFT" == created.data["status"] and "House brand" == created.data["vendor"]
        assert "draft-hat" == created.data["handle"]
        updated = products.update(connection.client, created.id, encode(products, sample))
        assert "DRAFT" == updated.data["status"]  # never activated by tradewind
        connection.close()

    def test_shop_settings_are_read_once(self, served: Served) -> None:
        shop_type = sandbox_of(served).schema.get_type("Shop")
        if not isinstance(shop_type, GraphQLObjectType) or "taxesIncluded" not in shop_type.fields:
            pytest.skip("the sandbox's Shop type lacks taxesIncluded (Shopify's 2025-04 schema has it)")
        connection = Shopify(options(served.url, taxes_included=None), environ=ENVIRON)
        prices = connection.resource("prices")
        reset_calls(served)
        prices.find_many(connection.client, [{"sku": "SHIRT-1-S"}])
        prices.find_many(connection.client, [{"sku": "SHIRT-2-S"}])
        assert 3 == calls(served)
        connection.close()

    @pytest.fixture
    def served_tiny(self) -> Iterator[Served]:
        forget_budgets()
        # restores slowly enough (700 points take 1.4 s) that a drained bucket is still short when the
        # first call arrives on a busy machine; at 5,000/s it could refill before the call and throttle nothing
        app = create_app(token=TOKEN, shop="test.myshopify.com", seed=SEED, bucket_size=700, restore_rate=500)
        with Served(app) as served:
            yield served


def _variant(by_sku: dict[str, Any], sku: str) -> dict[str, Any]:
    product = by_sku[sku]
    return next(v for v in product.get("variants", []) if v.get("sku") == sku) if "variants" in product else product
