"""``POST /hooks/{connection}``: Shopify's signature checked over the raw body, the event stored
once per event id before the 200, then processed apart: an order announced arrives in the ERP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
from sqlalchemy import select

from tests.api.conftest import WEBHOOK_SECRET, Api
from tradewind.api.hooks import resource_for
from tradewind.store.tables import inbox as table


def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    """As Shopify signs: base64 of the HMAC-SHA256 of the raw body under the app's secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def deliver(api: Api, payload: dict[str, Any], *, event: str, topic: str = "orders/paid",
            signature: str | None = "good", connection: str = "shop") -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = {"X-Shopify-Topic": topic, "X-Shopify-Event-Id": event, "Content-Type": "application/json",
               "X-Shopify-Triggered-At": "2026-05-01T12:00:00.000Z"}
    if signature is not None:
        headers["X-Shopify-Hmac-Sha256"] = sign(body) if signature == "good" else signature
    return httpx.post(f"{api.url}/hooks/{connection}", content=body, headers=headers)


def stored(api: Api) -> list[str]:
    """Every event id in the inbox, processed or waiting."""
    with api.world.services.store.begin() as conn:
        return list(conn.execute(select(table.c.event_id)).scalars())


def test_a_bad_or_missing_signature_is_refused_and_nothing_stored(api: Api) -> None:
    order = {"id": 1, "admin_graphql_api_id": "gid://shopify/Order/1"}
    assert 401 == deliver(api, order, event="bad", signature=sign(b"another body")).status_code
    assert 401 == deliver(api, order, event="missing", signature=None).status_code
    assert 401 == deliver(api, order, event="wrong-key", signature=sign(json.dumps(order).encode(), "guess"))\
        .status_code
    assert 401 == deliver(api, order, event="erp", connection="erp").status_code  # not a webshop
    assert not {"bad", "missing", "wrong-key", "erp"} & set(stored(api))


def test_topics_map_to_resources() -> None:
    assert ["orders", "orders", "products", "customers", "stock", None] == [
        resource_for(t) for t in ("orders/create", "orders/paid", "products/update", "customers/create",
                                  "inventory_levels/update", "app/uninstalled")]


def test_an_order_webhook_is_stored_once_and_the_order_booked_in_the_erp(api: Api) -> None:
    world = api.world
    world.run("products")
    order = world.add_orders(1, seed=9)[0]
    first = deliver(api, order, event="evt-1")
    assert (200, {"stored": True, "duplicate": False}) == (first.status_code, first.json())
    again = deliver(api, order, event="evt-1")  # Shopify retries a delivery it thinks was lost
    assert (200, True) == (again.status_code, again.json()["duplicate"])
    assert 1 == stored(api).count("evt-1")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not world.exact_orders():
        time.sleep(0.1)
    booked = world.exact_orders()
    assert 1 == len(booked), booked
    assert order["name"] in json.dumps(booked[0])
    runs = world.services.runs(flow="orders")
    assert {"webhook"} == {r.trigger for r in runs}


def test_an_unread_topic_is_acknowledged_and_ignored(api: Api) -> None:
    answer = deliver(api, {"id": 5}, event="evt-app", topic="app/uninstalled")
    assert 200 == answer.status_code and answer.json()["stored"] is False
