"""End to end: the Shopify sandbox's own signed ``orders/create`` webhook reaches ``POST /hooks/shop``
(secret from the connection's ``webhook_secret`` option), and the order is booked in the Exact
sandbox; the same delivery again, and a later ``orders/updated`` of the order, book nothing twice."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.slice import ENVIRON, World
from tradewind.api import create_app
from tradewind.engine.project import load_project
from tradewind.engine.services import Services
from tradewind.sandboxes import exact_online, shopify
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.exact_online_data import catalogue, service_items
from tradewind.sandboxes.project import sandbox_project
from tradewind.store.db import Store

SECRET = "shpss_from_sandbox"
SUBSCRIBE = """mutation($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) {
    userErrors { message } } }"""


def until(done: Callable[[], object], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        time.sleep(0.05)


def project_text(exact: Served, shop: Served) -> str:
    text = sandbox_project(exact.url, shop.url, prefix="E2E", retry_backoff="1s")
    token = "    token: ${E2E_SHOPIFY_TOKEN}\n"
    assert token in text
    return text.replace(token, token + "    webhook_secret: ${E2E_SHOPIFY_WEBHOOK_SECRET}\n")


@pytest.fixture
def world(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[World, Served]]:
    environ = {**ENVIRON, "E2E_SHOPIFY_WEBHOOK_SECRET": SECRET}
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TRADEWIND_WEBHOOK_SECRET_SHOP", raising=False)  # the option is the only key
    seed = catalogue(products=6, customers=5, seed=11)
    seed["items"].extend(service_items())
    exact = Served(exact_online.create_app(seed=seed, minutely_limit=None, daily_limit=None)).start()
    shop = Served(shopify.create_app(bucket_size=None, webhook_secret=SECRET,
                                     webhook_retry_waits=(0.2, 0.4, 0.8))).start()
    path = tmp_path / "tradewind.yaml"
    path.write_text(project_text(exact, shop))
    services = Services.open(load_project(path, environ=environ), store)
    app = create_app(services)
    api = Served(app).start()
    try:
        yield World(exact=exact, shop=shop, project_path=path, services=services), api
    finally:
        shop.sandbox.webhooks.stop()
        app.state.worker.stop()
        for served in (api, exact, shop):
            served.stop()


def test_a_sandbox_order_webhook_books_the_order_once(world: tuple[World, Served]) -> None:
    shop_world, api = world
    shop_world.run("products")
    for topic in ("ORDERS_CREATE", "ORDERS_UPDATED"):
        answer = httpx.post(f"{shop_world.shop.url}/admin/api/2026-07/graphql.json",
                            json={"query": SUBSCRIBE, "variables": {"topic": topic, "uri": f"{api.url}/hooks/shop"}},
                            headers={"X-Shopify-Access-Token": "shpat_demo"})
        assert [] == answer.json()["data"]["webhookSubscriptionCreate"]["userErrors"]
    hooks = shop_world.shop.sandbox.webhooks
    order = shop_world.add_orders(1, seed=5)[0]
    until(lambda: shop_world.exact_orders())
    booked = shop_world.exact_orders()
    assert 1 == len(booked) and order["name"] in str(booked[0])
    assert [200] == [a.status for a in hooks.attempts]  # signed as the receiver expects, accepted first time
    assert {"webhook"} == {r.trigger for r in shop_world.services.runs(flow="orders")}

    booked_again(shop_world, lambda: hooks.redeliver(hooks.attempts[0].webhook_id))  # the same delivery twice
    booked_again(shop_world, lambda: shop_world.shop.sandbox.update_order(order["id"], note="leave at the door"))
    assert booked == shop_world.exact_orders()


def booked_again(shop_world: World, event: Callable[[], object]) -> None:
    """Send ``event`` and wait for its delivery and the run it wakes; the ERP must be as it was."""
    hooks = shop_world.shop.sandbox.webhooks
    before, runs, sent = shop_world.exact_orders(), orders_runs(shop_world), len(hooks.attempts)
    event()
    until(lambda: len(hooks.attempts) > sent and orders_runs(shop_world) > runs)
    assert 200 == hooks.attempts[-1].status
    assert orders_runs(shop_world) > runs  # the event was processed…
    assert before == shop_world.exact_orders()  # …and changed nothing in the ERP


def orders_runs(shop_world: World) -> int:
    return len(shop_world.services.runs(flow="orders", limit=1000))
