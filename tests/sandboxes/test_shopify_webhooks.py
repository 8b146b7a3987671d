"""The Shopify sandbox sends webhooks as Shopify does: subscribed with ``webhookSubscriptionCreate``
(checked against Shopify's own schema), signed with the app's secret, retried on a failure."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import graphql
import httpx
import pytest
from graphql import GraphQLSchema
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.shopify import ShopifySandbox, create_app

from .test_shopify_sandbox import REAL_SDL

TOKEN, SECRET = "shpat_hooks", "shpss_hooks_secret"
API = "/admin/api/2026-07/graphql.json"
SUBSCRIBE = """
mutation Subscribe($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
    webhookSubscription { id topic uri format }
    userErrors { field message }
  }
}
"""
SET = """
mutation Set($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) @idempotent(key: "hooks-1") { userErrors { field message } }
}
"""
SEED = {
    "locations": [{"id": 1, "name": "Warehouse"}],
    "products": [{"id": 101, "title": "Hat", "variants": [{"id": 201, "sku": "HAT", "inventory_item_id": 301,
                                                              "price": "20.00"}]}],
    "inventory_levels": [{"sku": "HAT", "location_id": 1, "available": 5}],
}


@dataclass
class Receiver:
    """An HTTP endpoint on loopback that keeps every delivery and answers the queued statuses (then 200)."""

    statuses: list[int] = field(default_factory=list)
    got: list[tuple[dict[str, str], bytes, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        with self.lock:
            status = self.statuses.pop(0) if self.statuses else 200
            self.got.append((dict(request.headers), body, status))
        return Response(status_code=status)

    def wait_for(self, done: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 20
        while not done() and time.monotonic() < deadline:
            time.sleep(0.02)


@pytest.fixture(scope="module")
def real_schema() -> GraphQLSchema:
    if not REAL_SDL.exists():
        pytest.skip(f"Shopify's schema is not beside the checkout ({REAL_SDL})")
    return graphql.build_schema(REAL_SDL.read_text(encoding="utf-8"), assume_valid=True)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, Served]]:
    found = Receiver()
    with Served(Starlette(routes=[Route("/hooks/shop", found.hook, methods=["POST"])])) as served:
        yield found, served


@pytest.fixture
def shop() -> Iterator[tuple[ShopifySandbox, Served]]:
    app = create_app(token=TOKEN, bucket_size=None, seed=SEED, webhook_secret=SECRET,
                     webhook_retry_waits=(0.05, 0.05, 0.05))
    with Served(app) as served:
        yield served.sandbox, served
        served.sandbox.webhooks.stop()


def gql(served: Served, schema: GraphQLSchema, document: str, variables: dict[str, Any]) -> dict[str, Any]:
    assert [] == [e.message for e in graphql.validate(schema, graphql.parse(document))]
    answer = httpx.post(served.url + API, json={"query": document, "variables": variables},
                        headers={"X-Shopify-Access-Token": TOKEN})
    assert 200 == answer.status_code and "errors" not in answer.json(), answer.text
    return answer.json()["data"]  # type: ignore[no-any-return]


def subscribe(served: Served, schema: GraphQLSchema, topic: str, uri: str) -> dict[str, Any]:
    data = gql(served, schema, SUBSCRIBE, {"topic": topic, "sub": {"uri": uri, "format": "JSON"}})
    return data["webhookSubscriptionCreate"]  # type: ignore[no-any-return]


def expected_hmac(body: bytes) -> str:
    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


def test_an_order_webhook_is_signed_and_carries_shopifys_headers(
        shop: tuple[ShopifySandbox, Served], receiver: tuple[Receiver, Served], real_schema: GraphQLSchema) -> None:
    sandbox, served = shop
    hooks, endpoint = receiver
    made = subscribe(served, real_schema, "ORDERS_CREATE", f"{endpoint.url}/hooks/shop")
    assert [] == made["userErrors"] and "ORDERS_CREATE" == made["webhookSubscription"]["topic"]
    order = sandbox.add_order({"email": "ann@example.com", "line_items": [{"sku": "HAT", "quantity": 2,
                                                                           "price": "20.00"}]})
    hooks.wait_for(lambda: len(hooks.got) >= 1)
    [(headers, body, _)] = hooks.got
    assert expected_hmac(body) == headers["x-shopify-hmac-sha256"]
    assert ("orders/create", "demo.myshopify.com", "2026-07") == (
        headers["x-shopify-topic"], headers["x-shopify-shop-domain"], headers["x-shopify-api-version"])
    assert headers["x-shopify-webhook-id"] and headers["x-shopify-event-id"] and headers["x-shopify-triggered-at"]
    sent = json.loads(body)
    assert (order["id"], order["name"], f"gid://shopify/Order/{order['id']}") == (
        sent["id"], sent["name"], sent["admin_graphql_api_id"])
    assert "HAT" == sent["line_items"][0]["sku"]


def test_a_failed_delivery_is_retried_with_the_same_webhook_id(
        shop: tuple[ShopifySandbox, Served], receiver: tuple[Receiver, Served], real_schema: GraphQLSchema) -> None:
    sandbox, served = shop
    hooks, endpoint = receiver
    hooks.statuses = [500, 503]
    subscribe(served, real_schema, "ORDERS_UPDATED", f"{endpoint.url}/hooks/shop")
    order = sandbox.add_order({"line_items": [{"sku": "HAT", "quantity": 1, "price": "20.00"}]})
    sandbox.update_order(order["id"], note="gift wrap")
    hooks.wait_for(lambda: len(hooks.got) >= 3)
    assert [500, 503, 200] == [status for _, _, status in hooks.got]
    assert 1 == len({h["x-shopify-webhook-id"] for h, _, _ in hooks.got})
    assert 1 == len({body for _, body, _ in hooks.got})
    assert {"orders/updated"} == {h["x-shopify-topic"] for h, _, _ in hooks.got}
    assert "gift wrap" == json.loads(hooks.got[0][1])["note"]


def test_retries_stop_after_the_schedule(
        shop: tuple[ShopifySandbox, Served], receiver: tuple[Receiver, Served], real_schema: GraphQLSchema) -> None:
    sandbox, served = shop
    hooks, endpoint = receiver
    hooks.statuses = [500] * 10
    subscribe(served, real_schema, "ORDERS_CREATE", f"{endpoint.url}/hooks/shop")
    sandbox.add_order({"line_items": [{"sku": "HAT", "quantity": 1, "price": "20.00"}]})
    hooks.wait_for(lambda: len(sandbox.webhooks.attempts) >= 4)
    time.sleep(0.3)  # room for a fifth attempt, which must not come
    assert [500] * 4 == [a.status for a in sandbox.webhooks.attempts]  # the first try and 3 retries


def test_a_stock_change_sends_inventory_and_product_updates(
        shop: tuple[ShopifySandbox, Served], receiver: tuple[Receiver, Served], real_schema: GraphQLSchema) -> None:
    _, served = shop
    hooks, endpoint = receiver
    for topic in ("INVENTORY_LEVELS_UPDATE", "PRODUCTS_UPDATE"):
        subscribe(served, real_schema, topic, f"{endpoint.url}/hooks/shop")
    quantities = [{"inventoryItemId": "gid://shopify/InventoryItem/301", "locationId": "gid://shopify/Location/1",
                   "quantity": 9, "changeFromQuantity": 5}]
    result = gql(served, real_schema, SET, {"input": {"name": "available", "reason": "correction",
                                                      "quantities": quantities}})
    assert [] == result["inventorySetQuantities"]["userErrors"]
    hooks.wait_for(lambda: len(hooks.got) >= 2)
    by_topic = {h["x-shopify-topic"]: json.loads(body) for h, body, _ in hooks.got}
    level = by_topic["inventory_levels/update"]
    assert (301, 1, 9) == (level["inventory_item_id"], level["location_id"], level["available"])
    assert "gid://shopify/InventoryLevel/1?inventory_item_id=301" == level["admin_graphql_api_id"]
    product = by_topic["products/update"]
    assert ("gid://shopify/Product/101", 9) == (product["admin_graphql_api_id"],
                                                product["variants"][0]["inventory_quantity"])


def test_a_subscription_needs_an_http_address(shop: tuple[ShopifySandbox, Served], real_schema: GraphQLSchema) -> None:
    _, served = shop
    made = subscribe(served, real_schema, "ORDERS_CREATE", "ftp://example.com/hook")
    assert made["webhookSubscription"] is None
    assert [["webhookSubscription", "uri"]] == [e["field"] for e in made["userErrors"]]
