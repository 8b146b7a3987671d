"""The Shopify sandbox's orderMarkAsPaid (2026-07), every document checked against Shopify's real schema
first: a pending manual order becomes PAID with a transaction for its outstanding amount; an order paid
already, cancelled or refunded is refused with a userError and left as it was."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import GraphQLSchema

from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.shopify import create_app

from .test_shopify_sandbox import TOKEN, Gql, real_schema  # noqa: F401  (the fixture)

LINE = [{"sku": "BAG-01", "quantity": 3, "price": "24.50"}]
SEED = {
    "shop": {"name": "Test Shop", "currency": "EUR"},
    "products": [{"id": 100, "title": "Bag", "variants": [{"id": 200, "sku": "BAG-01", "price": "24.50"}]}],
    "orders": [
        {"id": 901, "financial_status": "pending", "payment_gateway_names": ["Bank Deposit"], "line_items": LINE},
        {"id": 902, "financial_status": "paid", "line_items": LINE,
         "transactions": [{"kind": "sale", "status": "success", "amount": "73.50", "gateway": "shopify_payments"}]},
        {"id": 903, "financial_status": "pending", "cancelled_at": "2026-05-02T10:00:00Z", "line_items": LINE},
        {"id": 904, "financial_status": "authorized", "line_items": LINE, "transactions": [
            {"kind": "authorization", "status": "success", "amount": "73.50", "gateway": "paypal"}]},
    ],
}
STATE = """query($id: ID!) { order(id: $id) { name displayFinancialStatus canMarkAsPaid fullyPaid
  totalOutstandingSet { shopMoney { amount currencyCode } } transactions(first: 5) { kind status gateway
  amountSet { shopMoney { amount } } } } }"""
MARK = """mutation($input: OrderMarkAsPaidInput!) { orderMarkAsPaid(input: $input) {
  order { id displayFinancialStatus canMarkAsPaid } userErrors { field message } } }"""


@pytest.fixture
def gql(real_schema: GraphQLSchema) -> Iterator[Gql]:  # noqa: F811
    with Served(create_app(token=TOKEN, bucket_size=None, seed=SEED)) as served, \
            httpx.Client(base_url=served.url, headers={"X-Shopify-Access-Token": TOKEN}, timeout=10) as http:
        yield Gql(http, real_schema)


def state(gql: Gql, number: int) -> dict[str, Any]:
    return gql(STATE, {"id": f"gid://shopify/Order/{number}"})["order"]  # type: ignore[no-any-return]


def mark(gql: Gql, number: int) -> dict[str, Any]:
    return gql(MARK, {"input": {"id": f"gid://shopify/Order/{number}"}})["orderMarkAsPaid"]  # type: ignore[no-any-return]


def test_a_pending_manual_order_becomes_paid_with_a_sale_for_its_outstanding_amount(gql: Gql) -> None:
    before = state(gql, 901)
    assert ("PENDING", True, "73.5") == (before["displayFinancialStatus"], before["canMarkAsPaid"],
                                         before["totalOutstandingSet"]["shopMoney"]["amount"])
    answer = mark(gql, 901)
    assert ([], "PAID", False) == (answer["userErrors"], answer["order"]["displayFinancialStatus"],
                                   answer["order"]["canMarkAsPaid"])
    after = state(gql, 901)
    assert ("0.0", True) == (after["totalOutstandingSet"]["shopMoney"]["amount"], after["fullyPaid"])
    assert [("SALE", "SUCCESS", "manual", "73.5")] == [
        (t["kind"], t["status"], t["gateway"], t["amountSet"]["shopMoney"]["amount"]) for t in after["transactions"]]


@pytest.mark.parametrize("number", [902, 903])
def test_an_order_paid_already_or_cancelled_is_refused_and_left_alone(gql: Gql, number: int) -> None:
    before = state(gql, number)
    assert before["canMarkAsPaid"] is False
    answer = mark(gql, number)
    assert (None, [{"field": ["id"], "message": "Order cannot be marked as paid."}]) == \
        (answer["order"], answer["userErrors"])
    assert before == state(gql, number)


def test_an_authorized_order_is_captured(gql: Gql) -> None:
    assert [] == mark(gql, 904)["userErrors"]
    assert ["AUTHORIZATION", "CAPTURE"] == [t["kind"] for t in state(gql, 904)["transactions"]]


def test_an_unknown_order_is_a_user_error(gql: Gql) -> None:
    assert [{"field": ["id"], "message": "Order does not exist"}] == mark(gql, 999)["userErrors"]
