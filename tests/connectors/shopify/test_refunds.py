"""Refunds in the Shopify sandbox (``refundCreate``, ``Order.refunds``) read through the connector's refunds
resource into canonical refunds, to the cent; every document checked against Shopify's real 2026-07 schema.

The order (as in tests/rules/test_refunds.py): 2 shirts at EUR 24.20 incl. 21% with EUR 4.84 off the line
(tax 7.56), a book at EUR 10.90 incl. 9% (tax 0.90) and shipping EUR 6.05 incl. 21% (tax 1.05): EUR 60.51.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import graphql
import httpx
import pytest

from tradewind.connectors.pacing import forget_budgets
from tradewind.connectors.shopify import Shopify
from tradewind.connectors.shopify.codec_refunds import refund_in
from tradewind.connectors.shopify.refunds import DOCUMENTS
from tradewind.connectors.testing import FAST_RETRY
from tradewind.model import Money
from tradewind.model.refund import Refund, RefundLine, RefundTransaction
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.shopify import create_app

from .test_schema import SDL
from .test_shopify import ENVIRON, TOKEN, options, sandbox_of

API = "/admin/api/2026-07/graphql.json"
SEED = {
    "shop": {"name": "Test Shop", "currency": "EUR"},
    "products": [{"id": 1, "title": "Shirt", "variants": [{"sku": "SHIRT", "price": "24.20"}]},
                 {"id": 2, "title": "Book", "variants": [{"sku": "BOOK", "price": "10.90"}]}],
    "orders": [{
        "id": 900, "order_number": 1001, "email": "anna@example.com", "taxes_included": True,
        "created_at": "2024-05-01T10:00:00Z", "updated_at": "2024-05-01T10:00:00Z",
        "line_items": [
            {"id": 11, "sku": "SHIRT", "quantity": 2, "price": "24.20", "total_discount": "4.84",
             "tax_lines": [{"title": "BTW 21%", "rate": 0.21, "price": "7.56"}]},
            {"id": 12, "sku": "BOOK", "quantity": 1, "price": "10.90",
             "tax_lines": [{"title": "BTW 9%", "rate": 0.09, "price": "0.90"}]}],
        "shipping_lines": [{"id": 21, "title": "PostNL", "price": "6.05",
                            "tax_lines": [{"title": "BTW 21%", "rate": 0.21, "price": "1.05"}]}],
        "transactions": [{"kind": "sale", "gateway": "mollie", "amount": "60.51"}],
        "payment_gateway_names": ["mollie"]}],
}
REFUND = """
mutation Refund($input: RefundInput!, $key: String!) {
  refundCreate(input: $input) @idempotent(key: $key) {
    refund { id totalRefundedSet { shopMoney { amount currencyCode } } }
    order { displayFinancialStatus }
    userErrors { field message }
  }
}
"""


@pytest.fixture(scope="module")
def real_schema() -> graphql.GraphQLSchema:
    if not SDL.is_file():
        pytest.skip(f"Shopify's schema is not beside the checkout ({SDL})")
    return graphql.build_schema(SDL.read_text(encoding="utf-8"), assume_valid=True)


@pytest.fixture
def served() -> Iterator[Served]:
    forget_budgets()
    with Served(create_app(seed=SEED, token=TOKEN, shop="test.myshopify.com", bucket_size=None)) as served:
        yield served


@pytest.fixture
def connection(served: Served) -> Iterator[Shopify]:
    instance = Shopify(options(served.url), environ=ENVIRON, retry=FAST_RETRY)
    yield instance
    instance.close()


def refund(served: Served, schema: graphql.GraphQLSchema, key: str, *, lines: tuple[tuple[int, int], ...] = (),
           shipping: dict[str, Any] | None = None, money: str | None = None) -> dict[str, Any]:
    assert [] == [e.message for e in graphql.validate(schema, graphql.parse(REFUND))]
    order = "gid://shopify/Order/900"
    given: dict[str, Any] = {"orderId": order, "refundLineItems": [
        {"lineItemId": f"gid://shopify/LineItem/{n}", "quantity": q, "restockType": "RETURN"} for n, q in lines]}
    if shipping is not None:
        given["shipping"] = shipping
    if money is not None:
        given["transactions"] = [{"orderId": order, "kind": "REFUND", "gateway": "mollie", "amount": money}]
    answer = httpx.post(f"{served.url}{API}", headers={"X-Shopify-Access-Token": TOKEN},
                        json={"query": REFUND, "variables": {"input": given, "key": key}})
    assert 200 == answer.status_code
    return answer.json()["data"]["refundCreate"]  # type: ignore[no-any-return]


def refunds(connection: Shopify, since: str | None = None) -> list[Refund]:
    resource = connection.resource("refunds")
    return [resource.decode(r.data) for page in resource.pages(connection.client, since) for r in page.records]


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_documents_are_valid_for_shopify(real_schema: graphql.GraphQLSchema, name: str) -> None:
    assert [] == [e.message for e in graphql.validate(real_schema, graphql.parse(DOCUMENTS[name]))]


def test_a_partial_refund_read_back_as_a_canonical_refund(served: Served, connection: Shopify,
                                                         real_schema: graphql.GraphQLSchema) -> None:
    made = refund(served, real_schema, "r-1", lines=((11, 1),), money="21.78")
    assert ([], "PARTIALLY_REFUNDED", "21.78") == (made["userErrors"], made["order"]["displayFinancialStatus"],
                                                   made["refund"]["totalRefundedSet"]["shopMoney"]["amount"])
    [got] = refunds(connection)
    stamp = sandbox_of(served).store.orders[900]["refunds"][0]["created_at"]
    assert Refund(reference=made["refund"]["id"], order_number="#1001", created_at=stamp, updated_at=stamp,
                  currency="EUR", lines=[RefundLine(sku="SHIRT", quantity=Decimal(1), line=0,
                                                    subtotal=Money.of("21.78", "EUR"), tax=Money.of("3.78", "EUR"),
                                                    restock=True)],
                  total=Money.of("21.78", "EUR"),
                  transactions=[RefundTransaction(method="mollie", amount=Money.of("21.78", "EUR"),
                                                  reference=got.transactions[0].reference,
                                                  processed_at=got.transactions[0].processed_at)]) == got.model_copy(
        update={"order": None})
    assert got.order is not None and ("#1001", ["SHIRT", "BOOK"], Decimal("60.51")) == (
        got.order.number, [ln.sku for ln in got.order.lines], got.order.total.amount)


def test_the_rest_with_shipping_and_the_order_is_refunded(served: Served, connection: Shopify,
                                                          real_schema: graphql.GraphQLSchema) -> None:
    refund(served, real_schema, "r-1", lines=((11, 1),), money="21.78")
    rest = refund(served, real_schema, "r-2", lines=((11, 1), (12, 1)), shipping={"fullRefund": True}, money="38.73")
    assert ([], "REFUNDED") == (rest["userErrors"], rest["order"]["displayFinancialStatus"])
    first, second = refunds(connection)
    assert [("SHIRT", 0, Decimal("21.78"), Decimal("3.78")), ("BOOK", 1, Decimal("10.90"), Decimal("0.90"))] == [
        (ln.sku, ln.line, ln.subtotal.amount, ln.tax.amount) for ln in second.lines  # type: ignore[union-attr]
    ]
    assert (Decimal("6.05"), Decimal("1.05"), Decimal("38.73")) == (
        second.shipping.amount, second.shipping_tax.amount, second.total.amount)  # type: ignore[union-attr]
    assert Decimal("60.51") == first.total.amount + second.total.amount
    assert ([], [first.reference]) == ([r.reference for r in first.earlier], [r.reference for r in second.earlier])


def test_refusals_write_nothing(served: Served, connection: Shopify, real_schema: graphql.GraphQLSchema) -> None:
    too_many = refund(served, real_schema, "r-1", lines=((11, 3),))
    assert [["refundLineItems", "0", "quantity"]] == [e["field"] for e in too_many["userErrors"]]
    too_much = refund(served, real_schema, "r-2", lines=((11, 1),), money="70.00")
    assert "Refund amount 70.00 exceeds the refundable amount 60.51" == too_much["userErrors"][0]["message"]
    shipping = refund(served, real_schema, "r-3", shipping={"amount": "7.00"})
    assert [["shipping", "amount"]] == [e["field"] for e in shipping["userErrors"]]
    assert [] == refunds(connection)


def test_a_key_seen_before_refunds_once(served: Served, connection: Shopify,
                                        real_schema: graphql.GraphQLSchema) -> None:
    first = refund(served, real_schema, "same", lines=((12, 1),), money="10.90")
    again = refund(served, real_schema, "same", lines=((12, 1),), money="10.90")
    assert first["refund"]["id"] == again["refund"]["id"]
    assert 1 == len(refunds(connection))
    answer = httpx.post(f"{served.url}{API}", headers={"X-Shopify-Access-Token": TOKEN}, json={
        "query": "mutation R($input: RefundInput!) { refundCreate(input: $input) { userErrors { message } } }",
        "variables": {"input": {"orderId": "gid://shopify/Order/900"}}}).json()
    assert "BAD_REQUEST" == answer["errors"][0]["extensions"]["code"]


def test_refunds_are_read_again_only_for_orders_changed_since_the_cursor(served: Served, connection: Shopify,
                                                                         real_schema: graphql.GraphQLSchema) -> None:
    refund(served, real_schema, "r-1", lines=((12, 1),), money="10.90")
    later = datetime.now(UTC).replace(year=datetime.now(UTC).year + 1).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert 1 == len(refunds(connection, "2024-01-01T00:00:00Z"))
    assert [] == refunds(connection, later)


def test_codec_names_a_refunded_line_without_sku() -> None:
    node = {"id": "gid://shopify/Refund/1", "processedAt": "2024-05-02T10:00:00Z",
            "order": {"name": "#1001", "currencyCode": "EUR", "lineItemIds": []},
            "totalRefundedSet": {"shopMoney": {"amount": "1.00", "currencyCode": "EUR"}},
            "refundLineItems": {"nodes": [{"quantity": 1, "lineItem": {"id": "x", "sku": ""}}]}}
    with pytest.raises(Exception, match="no SKU") as failed:
        refund_in(node)
    assert "lines[0].sku" == failed.value.field  # type: ignore[attr-defined]
