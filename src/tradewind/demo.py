"""``tradewind demo``: Exact Online and Shopify sandboxes on loopback, seeded with a realistic
catalogue and customers, new shop orders trickling in, and the four flows of the example project
running on their schedules against SQLite — a newcomer sees flows working in a minute.
"""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path
from secrets import token_urlsafe
from typing import Any

import httpx
from rich.console import Console

from tradewind.api import Accounts, create_app
from tradewind.engine.project import load_project
from tradewind.engine.runner import RunResult
from tradewind.engine.scheduler import Scheduler
from tradewind.engine.services import Services
from tradewind.sandboxes import exact_online, shopify
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.exact_online_data import catalogue, service_items
from tradewind.sandboxes.project import DEMO_SCHEDULE, FLOW_NAMES, sandbox_project, secrets
from tradewind.store.db import Store

DEMO_SECRETS = secrets("DEMO")
WEBHOOK_SECRET_ENV = "TRADEWIND_WEBHOOK_SECRET_SHOP"
_SUBSCRIBE = """mutation($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) { userErrors { message } }
}"""


def start_sandboxes(products: int) -> tuple[Served, Served]:
    """Both sandboxes on free loopback ports with the vendors' real rate limits on; the shop signs its
    webhooks with ``TRADEWIND_WEBHOOK_SECRET_SHOP``, which the API's receiver checks them with."""
    seed = catalogue(products=products)
    seed["items"].extend(service_items())
    exact = Served(exact_online.create_app(seed=seed)).start()
    shop = Served(shopify.create_app(webhook_secret=os.environ[WEBHOOK_SECRET_ENV])).start()
    return exact, shop


def subscribe_orders(shop: Served, api_url: str) -> None:
    """Subscribe the shop's order webhooks to the API, as a Shopify app does at install."""
    for topic in ("ORDERS_CREATE", "ORDERS_UPDATED"):
        answer = httpx.post(f"{shop.url}/admin/api/2026-07/graphql.json", headers={
            "X-Shopify-Access-Token": DEMO_SECRETS["DEMO_SHOPIFY_TOKEN"]}, json={
            "query": _SUBSCRIBE, "variables": {"topic": topic, "uri": f"{api_url}/hooks/shop"}})
        answer.raise_for_status()


def demo_database(directory: Path) -> str:
    return f"sqlite:///{(directory / 'tradewind.db').resolve()}"


def write_project(directory: Path, exact_url: str, shop_url: str) -> Path:
    """The project file, naming the demo's database so ``tradewind runs -p …`` reads the same one."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "tradewind.yaml"
    header = ("# Written by `tradewind demo`: the example project pointed at local sandboxes.\n"
              f"settings:\n  database_url: {demo_database(directory)}\n")
    path.write_text(header + sandbox_project(exact_url, shop_url, schedule=DEMO_SCHEDULE))
    return path


def trickle_orders(shop: Served, stop: threading.Event, console: Console, every: float = 4.0) -> None:
    """Add a random shop order every few seconds once the shop has products (most of them paid)."""
    state = shop.sandbox
    rng = random.Random(7)
    while not stop.wait(every):
        if not state.products_by_sku():
            continue
        order = state.add_random_orders(1, seed=rng.randrange(1 << 30))[0]
        console.print(f"[dim]shop: new order {order.get('name')} ({order.get('financial_status', '')})[/dim]")


def run_demo(*, products: int, duration: float | None, directory: Path, port: int, console: Console) -> None:
    """Run until Ctrl-C, or ``duration`` seconds counted from the start (the first sync included)."""
    deadline = None if duration is None else time.monotonic() + duration
    os.environ.update({k: v for k, v in DEMO_SECRETS.items() if k not in os.environ})
    os.environ.setdefault(WEBHOOK_SECRET_ENV, token_urlsafe(24))
    exact, shop = start_sandboxes(products)
    path = write_project(directory, exact.url, shop.url)
    store = Store(demo_database(directory))
    store.upgrade()
    services = Services.open(load_project(path), store)
    console.print(f"Exact Online sandbox: {exact.url}   Shopify sandbox: {shop.url}")
    console.print(f"project: {path}   database: {store.url}")

    def on_result(result: RunResult) -> None:
        console.print(f"[bold]{result.flow:8}[/bold] {result.status:9} {_counts(result)}")

    scheduler = Scheduler(services.project.flows, services.run_flow, waiting_for=services.waiting_for,
                          on_result=on_result)
    stop = threading.Event()
    trickle = threading.Thread(target=trickle_orders, args=(shop, stop, console), daemon=True)
    app = create_app(services, scheduler)
    app.state.worker.on_result = lambda result: console.print(
        f"[bold]{result.flow:8}[/bold] {result.status:9} {_counts(result)}"
        + ("  [green]← order arrived via webhook[/green]" if result.counts.get("created") else "  (webhook)"))
    api = Served(app, port=port)
    try:
        api.start()
        subscribe_orders(shop, api.url)
        password = demo_user(store)
        console.print(f"web app and API: {api.url}/  (log in as [bold]demo[/bold] / [bold]{password}[/bold]; "
                      f"API docs at {api.url}/docs)")
        console.print("first sync, in dependency order: products, prices, stock, orders")
        for name in FLOW_NAMES:
            on_result(services.run_flow(name, trigger="demo"))
        scheduler.start(run_now=False)
        trickle.start()
        _wait(deadline)
    finally:
        stop.set()
        scheduler.stop()
        shop.sandbox.webhooks.stop()
        app.state.worker.stop()
        for served in (api, exact, shop):
            _stop(served)
        _summary(services, console)


def _counts(result: RunResult) -> str:
    return " ".join(f"{k}={v}" for k, v in result.counts.items() if v)


def demo_user(store: Store) -> str:
    """The demo's admin user ``demo`` with a fresh password (printed: it is a local demo)."""
    password = token_urlsafe(12)
    accounts = Accounts(store)
    if not accounts.reset_password("demo", password):
        accounts.add_user("demo", password, "admin")
    return password


def _wait(deadline: float | None) -> None:
    """Sleep until ``deadline`` (``time.monotonic``), or for ever."""
    while deadline is None or time.monotonic() < deadline:
        time.sleep(0.5)


def _stop(served: Any) -> None:
    if served.thread.is_alive():
        served.stop()


def _summary(services: Services, console: Console) -> None:
    runs = services.runs(limit=200)
    totals: dict[str, int] = {}
    for run in runs:
        for name in ("created", "updated", "skipped", "failed"):
            totals[name] = totals.get(name, 0) + getattr(run, name)
    console.print(f"demo stopped after {len(runs)} runs: " + " ".join(f"{k}={v}" for k, v in totals.items()))
