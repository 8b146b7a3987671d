"""Every GraphQL document the connector has, and every one it sends in a sync, against Shopify's real schema.

The schema is Shopify's published 2026-07 SDL kept beside the checkout in ``../shared/vendor-specs``
(never copied into the project); a query the real API would refuse fails here, not in a customer's sync.
The connector asks for the same version (``api_version``'s default), so the two cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import graphql
import httpx
import pytest
from graphql.validation import NoDeprecatedCustomRule

from tradewind.connectors.base import Write
from tradewind.connectors.shopify import Shopify, ShopifyOptions, queries
from tradewind.connectors.testing import FAST_RETRY
from tradewind.model import Customer, Money, Price, Product, StockLevel, Variant
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.shopify import create_app

from .test_shopify import ENVIRON, SEED, TOKEN, encode, options


def _repo_root() -> Path:
    here = Path(__file__).resolve()
    return next((p for p in here.parents if (p / "pyproject.toml").is_file()), here.parents[3])


VERSION = ShopifyOptions.model_fields["api_version"].default
SDL = _repo_root().parent / "shared" / "vendor-specs" / "shopify" / f"admin-{VERSION}.graphql"


@pytest.fixture(scope="session")
def schema() -> graphql.GraphQLSchema:
    if not SDL.is_file():
        pytest.skip(f"Shopify's schema is not beside the checkout ({SDL}); CI keeps ../shared/vendor-specs there")
    return graphql.build_schema(SDL.read_text(encoding="utf-8"), assume_valid=True)


def problems(schema: graphql.GraphQLSchema, document: str) -> list[str]:
    return [error.message for error in graphql.validate(schema, graphql.parse(document))]


@pytest.mark.parametrize("name", sorted(queries.DOCUMENTS))
def test_document_is_valid_for_shopify(schema: graphql.GraphQLSchema, name: str) -> None:
    assert [] == problems(schema, queries.DOCUMENTS[name])


@pytest.mark.parametrize("name", sorted(queries.DOCUMENTS))
def test_document_uses_no_deprecated_field(schema: graphql.GraphQLSchema, name: str) -> None:
    """A deprecated field is the next version's removal: the connector moves off it in time."""
    document = graphql.parse(queries.DOCUMENTS[name])
    assert [] == [e.message for e in graphql.validate(schema, document, [NoDeprecatedCustomRule])]


def test_the_connector_asks_for_2026_07() -> None:
    assert "2026-07" == VERSION


def test_every_document_is_listed() -> None:
    assert {"PRODUCTS", "PRODUCT_SET", "VARIANTS_BULK_UPDATE", "INVENTORY_SET", "CUSTOMERS", "CUSTOMER_CREATE",
            "CUSTOMER_UPDATE", "ORDERS", "LOCATIONS", "SHOP"} <= set(queries.DOCUMENTS)


@pytest.fixture
def sent() -> Iterator[tuple[Shopify, list[str]]]:
    documents: list[str] = []

    def record(request: httpx.Request) -> None:
        documents.append(json.loads(request.content)["query"])

    app = create_app(token=TOKEN, shop="test.myshopify.com", seed=SEED, restore_rate=2000)
    with Served(app) as served:
        http = httpx.Client(event_hooks={"request": [record]})
        connection = Shopify(options(served.url), environ=ENVIRON, http=http, retry=FAST_RETRY)
        yield connection, documents
        connection.close()


def test_every_document_sent_in_a_sync_is_valid(schema: graphql.GraphQLSchema,
                                                sent: tuple[Shopify, list[str]]) -> None:
    connection, documents = sent
    client = connection.client
    for name in ("products", "customers", "orders"):
        resource = connection.resource(name)
        for page in resource.pages(client, None):
            resource.find_many(client, [resource.natural_keys_of(resource.decode(r.data)) for r in page.records[:3]])
    products = connection.resource("products")
    product = Product(key="Schema Hat", title="Hat", variants=[Variant(sku="HAT-S", options={"Size": "S"},
                                                                       price=Money.of("9.50", "EUR"))])
    created = products.create(client, encode(products, product))
    products.update(client, created.id, encode(products, product.model_copy(update={"title": "Hat 2"})))
    customers = connection.resource("customers")
    customer = customers.create(client, encode(customers, Customer(name="Ada Byron", email="ada@example.com")))
    customers.update(client, customer.id, encode(customers, Customer(name="Ada King", email="ada@example.com")))
    prices = connection.resource("prices")
    price = prices.find(client, {"sku": "HAT-S"})
    assert price is not None
    prices.write_many(client, [Write(native=encode(prices, Price(sku="HAT-S", amount=Money.of("11", "EUR"),
                                                                includes_vat=True)), native_id=price.id)])
    stock = connection.resource("stock")
    level = StockLevel(sku="HAT-S", location="UTR", available=Decimal(4))
    stock.write_many(client, [Write(native=encode(stock, level))])

    distinct = set(documents)
    assert len(distinct) >= 10
    for document in distinct:
        assert [] == problems(schema, document), document.split("{", 1)[0]
