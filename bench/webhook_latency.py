"""Benchmark: how soon a Shopify order reaches the ERP when its webhook announces it.

Starts the Exact Online and Shopify sandboxes and tradewind's API on loopback (SQLite store, the
sandbox project's ``products`` and ``orders`` flows, the sandboxes' rate limits lifted), subscribes
the shop's ``orders/create`` webhook to ``POST /hooks/shop``, adds ``--orders`` paid orders one
every ``--every`` seconds, and prints p50/p95/max from the webhook's receipt by the API to the order
being stored in the Exact sandbox. Prints figures; asserts nothing.

    .venv/bin/python bench/webhook_latency.py [--orders 50] [--every 0.2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tradewind import log
from tradewind.api import create_app
from tradewind.engine.project import load_project
from tradewind.engine.services import Services
from tradewind.sandboxes import exact_online, shopify
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.exact_online_data import catalogue, service_items
from tradewind.sandboxes.project import sandbox_project, secrets
from tradewind.sandboxes.shopify_data import random_order
from tradewind.store.db import Store

SECRET = "shpss_bench_webhooks"
SUBSCRIBE = """mutation($uri: String!) {
  webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: {uri: $uri, format: JSON}) {
    userErrors { message } } }"""


class Receipts:
    """ASGI wrapper in front of the API: the moment each order's webhook body was read, by order name."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.at: dict[str, float] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/hooks/"):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        while not messages or messages[-1].get("more_body"):
            messages.append(await receive())
        name = json.loads(b"".join(m.get("body", b"") for m in messages)).get("name")
        self.at.setdefault(str(name), time.monotonic())

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


def watch_erp(exact: Served, stop: threading.Event) -> dict[str, float]:
    """Poll the Exact sandbox's memory (no HTTP) for new sales orders; the first moment each was seen."""
    seen: dict[str, float] = {}

    def loop() -> None:
        while not stop.wait(0.002):
            now = time.monotonic()
            for order in exact.sandbox.sales_orders():
                seen.setdefault(str(order.get("YourRef")), now)

    threading.Thread(target=loop, name="erp-watch", daemon=True).start()
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=50)
    parser.add_argument("--every", type=float, default=0.2, help="seconds between two new orders")
    args = parser.parse_args()
    log.configure(os.environ.get("TRADEWIND_LOG_LEVEL", "ERROR"))
    environ = {**secrets("BENCH"), "TRADEWIND_WEBHOOK_SECRET_SHOP": SECRET}
    os.environ.update(environ)
    seed = catalogue(products=30, customers=10, seed=3)
    seed["items"].extend(service_items())
    exact = Served(exact_online.create_app(seed=seed, minutely_limit=None, daily_limit=None)).start()
    shop = Served(shopify.create_app(bucket_size=None, webhook_secret=SECRET)).start()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tradewind.yaml"
        path.write_text(sandbox_project(exact.url, shop.url, prefix="BENCH", flows=("products", "orders"),
                                        exact_options={"calls_per_minute": 100000}))
        store = Store(f"sqlite:///{tmp}/tradewind.db")
        store.upgrade()
        services = Services.open(load_project(path, environ=environ), store)
        app = create_app(services)
        receipts = Receipts(app)
        api = Served(receipts)
        try:
            measure(args, services, exact, shop, api.start(), receipts)
        finally:
            shop.sandbox.webhooks.stop()
            app.state.worker.stop()
            for served in (api, exact, shop):
                served.stop()
            store.dispose()


def measure(args: Any, services: Services, exact: Served, shop: Served, api: Served, receipts: Receipts) -> None:
    services.run_flow("products")
    answer = httpx.post(f"{shop.url}/admin/api/2026-07/graphql.json", headers={"X-Shopify-Access-Token": "shpat_demo"},
                        json={"query": SUBSCRIBE, "variables": {"uri": f"{api.url}/hooks/shop"}})
    assert not answer.json()["data"]["webhookSubscriptionCreate"]["userErrors"], answer.text
    stop = threading.Event()
    written = watch_erp(exact, stop)
    rng, state = random.Random(5), shop.sandbox
    names = []
    for _ in range(args.orders):
        order = random_order(state, rng=rng, customers=list(state.store.customers.values()))
        order["financial_status"] = "paid"
        names.append(str(state.add_order(order)["name"]))
        time.sleep(args.every)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(n in written for n in names):
        time.sleep(0.05)
    stop.set()
    report(names, receipts.at, written)


def report(names: list[str], received: dict[str, float], written: dict[str, float]) -> None:
    latencies = sorted(1000 * (written[n] - received[n]) for n in names if n in written and n in received)
    missing = len(names) - len(latencies)
    print(f"orders: {len(names)}   measured: {len(latencies)}   not in the ERP within 60 s: {missing}")
    if len(latencies) >= 2:
        cuts = statistics.quantiles(latencies, n=100, method="inclusive")
        print(f"webhook receipt → order in Exact: p50 {cuts[49]:.0f} ms   p95 {cuts[94]:.0f} ms   "
              f"max {latencies[-1]:.0f} ms")


if __name__ == "__main__":
    main()
