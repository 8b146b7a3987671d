"""The Shopify sandbox's fulfillment orders and fulfillmentCreate (2026-07), every document checked
against Shopify's real schema first: partial shipments, tracking, and quantities above what remains."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import GraphQLSchema

from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.shopify import create_app

from .test_shopify_sandbox import TOKEN, Gql, real_schema  # noqa: F401  (the fixture)

SEED = {
    "shop": {"name": "Test Shop", "currency": "EUR"},
    "locations": [{"id": 1, "name": "Warehouse"}],
    "products": [{"id": 100, "title": "Bag", "variants": [{"id": 200, "sku": "BAG-01", "price": "24.50"}]},
                 {"id": 101, "title": "Cap", "variants": [{"id": 201, "sku": "CAP-02", "price": "9.95"}]}],
    "orders": [{"id": 900, "email": "a@example.com", "line_items": [{"sku": "BAG-01", "quantity": 3},
                                                                    {"sku": "CAP-02", "quantity": 1}]}],
}
ORDER = """query($id: ID!) { order(id: $id) { name displayFulfillmentStatus
  fulfillmentOrders(first: 5) { nodes { id status lineItems(first: 10) { nodes {
    id sku totalQuantity remainingQuantity lineItem { id } } } } }
  fulfillments(first: 5) { name status trackingInfo { company number url }
    fulfillmentLineItems(first: 10) { nodes { quantity lineItem { sku } } } } } }"""
CREATE = """mutation($fulfillment: FulfillmentInput!) { fulfillmentCreate(fulfillment: $fulfillment) {
  fulfillment { id name status trackingInfo { company number url } }
  userErrors { field message } } }"""


@pytest.fixture
def gql(real_schema: GraphQLSchema) -> Iterator[Gql]:  # noqa: F811
    with Served(create_app(token=TOKEN, bucket_size=None, seed=SEED)) as served, \
            httpx.Client(base_url=served.url, headers={"X-Shopify-Access-Token": TOKEN}, timeout=10) as http:
        yield Gql(http, real_schema)


def order(gql: Gql) -> dict[str, Any]:
    return gql(ORDER, {"id": "gid://shopify/Order/900"})["order"]  # type: ignore[no-any-return]


def lines(found: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["sku"]: n for n in found["fulfillmentOrders"]["nodes"][0]["lineItems"]["nodes"]}


def test_a_partial_shipment_with_tracking_leaves_the_rest_to_ship(gql: Gql) -> None:
    before = order(gql)
    fo = before["fulfillmentOrders"]["nodes"][0]
    assert ("OPEN", "UNFULFILLED") == (fo["status"], before["displayFulfillmentStatus"])
    bag = lines(before)["BAG-01"]
    answer = gql(CREATE, {"fulfillment": {
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"],
                                         "fulfillmentOrderLineItems": [{"id": bag["id"], "quantity": 2}]}],
        "trackingInfo": {"company": "PostNL", "number": "3SABCD0123456789",
                         "url": "https://postnl.nl/tracktrace/?B=3SABCD0123456789"}}})["fulfillmentCreate"]
    assert [] == answer["userErrors"]
    assert ("#1001-F1", "SUCCESS") == (answer["fulfillment"]["name"], answer["fulfillment"]["status"])
    after = order(gql)
    assert "PARTIALLY_FULFILLED" == after["displayFulfillmentStatus"]
    assert "IN_PROGRESS" == after["fulfillmentOrders"]["nodes"][0]["status"]
    assert {"BAG-01": (3, 1), "CAP-02": (1, 1)} == {
        sku: (n["totalQuantity"], n["remainingQuantity"]) for sku, n in lines(after).items()}
    shipped = after["fulfillments"][0]
    assert [{"company": "PostNL", "number": "3SABCD0123456789",
             "url": "https://postnl.nl/tracktrace/?B=3SABCD0123456789"}] == shipped["trackingInfo"]
    assert [(2, "BAG-01")] == [(n["quantity"], n["lineItem"]["sku"]) for n in shipped["fulfillmentLineItems"]["nodes"]]


def test_more_than_remains_is_refused_and_nothing_changes(gql: Gql) -> None:
    before = order(gql)
    fo, cap = before["fulfillmentOrders"]["nodes"][0], lines(before)["CAP-02"]
    answer = gql(CREATE, {"fulfillment": {"lineItemsByFulfillmentOrder": [
        {"fulfillmentOrderId": fo["id"], "fulfillmentOrderLineItems": [{"id": cap["id"], "quantity": 2}]}]}})
    assert (None, ["Invalid fulfillment order line item quantity requested."]) == (
        answer["fulfillmentCreate"]["fulfillment"], [e["message"] for e in answer["fulfillmentCreate"]["userErrors"]])
    assert before == order(gql)


def test_no_lines_named_ships_every_remaining_unit_and_closes_the_order(gql: Gql) -> None:
    fo = order(gql)["fulfillmentOrders"]["nodes"][0]
    gql(CREATE, {"fulfillment": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"]}]}})
    after = order(gql)
    status = after["fulfillmentOrders"]["nodes"][0]["status"]
    assert ("FULFILLED", "CLOSED") == (after["displayFulfillmentStatus"], status)
    again = gql(CREATE, {"fulfillment": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"]}]}})
    assert again["fulfillmentCreate"]["userErrors"]
