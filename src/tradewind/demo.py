"""``tradewind demo``: Exact Online and Shopify sandboxes on loopback, seeded with a realistic
catalogue and customers, and the example project's flows running on their schedules against SQLite — a
newcomer sees flows working in a minute, and an order's whole life: booked in Exact, shipped by the
warehouse (in full or in part) and fulfilled in the shop with tracking, refunded in the shop and credited
in Exact. People's acts in the two systems (orders, deliveries,
returns) come from :mod:`tradewind.sandboxes.activity`, each at its own pace.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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
from tradewind.sandboxes import activity, exact_online, shopify
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.activity import Pace
from tradewind.sandboxes.exact_online_data import catalogue, service_items
from tradewind.sandboxes.project import (
    DEMO_BOOKING,
    DEMO_EXACT_OPTIONS,
    DEMO_FLOWS,
    DEMO_SCHEDULE,
    sandbox_project,
    secrets,
)
from tradewind.store.db import Store

DEMO_SECRETS = secrets("DEMO")
WEBHOOK_SECRET_ENV = "TRADEWIND_WEBHOOK_SECRET_SHOP"
_SUBSCRIBE = """mutation($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) { userErrors { message } }
}"""
_MADE = {"shipments": ("fulfillment", "with tracking in the shop"), "refunds": ("credit note", "in Exact"),
         "shop_customers": ("customer account", "in the shop")}
"""What a flow's created records are, said beside its result line."""


def rounding_item() -> dict[str, Any]:
    """The service item RND the booking rules put the shop's last cent on (a non-stock item: it stays in Exact)."""
    item = dict(service_items()[0])
    item.update(ID=str(uuid.uuid5(uuid.NAMESPACE_URL, "demo:RND")), Code="RND", Description="Rounding difference",
                SalesVatCode="0")
    return item


def start_sandboxes(products: int) -> tuple[Served, Served]:
    """Both sandboxes on free loopback ports with the vendors' real rate limits on; the shop signs its
    webhooks with ``TRADEWIND_WEBHOOK_SECRET_SHOP``, which the API's receiver checks them with."""
    seed = catalogue(products=products)
    seed["items"].extend([*service_items(), rounding_item()])
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


def write_project(directory: Path, exact_url: str, shop_url: str,
                  schedule: Mapping[str, str] = DEMO_SCHEDULE) -> Path:
    """The project file, naming the demo's database so ``tradewind runs -p …`` reads the same one."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "tradewind.yaml"
    header = ("# Written by `tradewind demo`: the example project pointed at local sandboxes.\n"
              f"settings:\n  database_url: {demo_database(directory)}\n")
    path.write_text(header + sandbox_project(exact_url, shop_url, flows=DEMO_FLOWS, schedule=schedule,
                                             exact_options=DEMO_EXACT_OPTIONS, booking=DEMO_BOOKING))
    return path


@dataclass
class Demo:
    """The running demo: sandboxes, the project's services, the API, the scheduler and people's acts."""

    exact: Served
    shop: Served
    path: Path
    store: Store
    services: Services
    console: Console
    api: Served | None = None
    scheduler: Scheduler | None = None
    stop_acting: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def open(cls, *, products: int, directory: Path, console: Console,
             schedule: Mapping[str, str] = DEMO_SCHEDULE) -> Demo:
        """Seeded sandboxes, the project file pointed at them, and its services over the demo's database."""
        os.environ.update({k: v for k, v in DEMO_SECRETS.items() if k not in os.environ})
        os.environ.setdefault(WEBHOOK_SECRET_ENV, token_urlsafe(24))
        exact, shop = start_sandboxes(products)
        try:
            path = write_project(directory, exact.url, shop.url, schedule)
            store = Store(demo_database(directory))
            store.upgrade()
            services = Services.open(load_project(path), store)
        except BaseException:
            _stop(exact)
            _stop(shop)
            raise
        console.print(f"Exact Online sandbox: {exact.url}   Shopify sandbox: {shop.url}")
        console.print(f"project: {path}   database: {store.url}")
        return cls(exact, shop, path, store, services, console)

    def begin(self, port: int, pace: Pace) -> None:
        """Serve the API (webhooks from the shop land there), sync once in dependency order, then start the
        schedules and people's acts."""
        self.scheduler = Scheduler(self.services.project.flows, self.services.run_flow,
                                   waiting_for=self.services.waiting_for, on_result=self.said)
        app = create_app(self.services, self.scheduler)
        app.state.worker.on_result = lambda result: self.said(result, webhook=True)
        self.api = Served(app, port=port).start()
        subscribe_orders(self.shop, self.api.url)
        password = demo_user(self.store)
        self.console.print(f"web app and API: {self.api.url}/  (log in as [bold]demo[/bold] / [bold]{password}[/bold]; "
                           f"API docs at {self.api.url}/docs)")
        self.console.print(f"first sync, in dependency order: {', '.join(DEMO_FLOWS)}")
        for name in DEMO_FLOWS:
            self.said(self.services.run_flow(name, trigger="demo"))
        logging.getLogger("apscheduler").setLevel(logging.ERROR)  # "skipped: still running" is no news in a demo
        self.scheduler.start(run_now=False)
        self.console.print("[dim]from now on: shop orders arrive, the warehouse ships booked orders in Exact, "
                           "customers return shipped goods and the shop refunds them[/dim]")
        rng = random.Random(pace.seed)
        exact, shop = self.exact.sandbox, self.shop.sandbox
        acts: dict[str, tuple[float, Callable[[], str | None]]] = {
            "orders": (pace.orders, lambda: activity.new_order(shop, rng, pace.orders_at_most)),
            "shipments": (pace.shipments, lambda: activity.ship(exact, rng)),
            "refunds": (pace.refunds, lambda: activity.refund(shop, self.shop.url, rng))}
        for name, (seconds, act) in acts.items():
            activity.every(seconds, act, self.stop_acting, self._say_dim, name)

    def said(self, result: RunResult, *, webhook: bool = False) -> None:
        """One line per run: the flow, its status and counts, and what its created records are."""
        created = result.counts.get("created", 0)
        noun, where = _MADE.get(result.flow, ("", ""))
        made = f"  [green]→ {created} {noun}{'s' if created > 1 else ''} {where}[/green]" if created and noun else ""
        via = ("  [green]← order arrived via webhook[/green]" if created else "  (webhook)") if webhook else ""
        self.console.print(f"[bold]{result.flow:14}[/bold] {result.status:9} {_counts(result)}{made}{via}")

    def _say_dim(self, line: str) -> None:
        self.console.print(f"[dim]{line}[/dim]", highlight=False)

    def wait(self, deadline: float | None, until: Callable[[Demo], bool] | None = None) -> None:
        """Until ``deadline`` (``time.monotonic``; None: for ever), or sooner once ``until(self)`` holds."""
        while deadline is None or time.monotonic() < deadline:
            if until is not None and until(self):
                return
            time.sleep(0.5)

    def close(self) -> None:
        """Stop acting, the schedules, the API and the sandboxes; then print the summary."""
        self.stop_acting.set()
        if self.scheduler is not None:
            self.scheduler.stop()
        self.shop.sandbox.webhooks.stop()
        if self.api is not None:
            self.api.app.state.worker.stop()  # type: ignore[attr-defined]
        for served in (self.api, self.exact, self.shop):
            if served is not None:
                _stop(served)
        _summary(self.services, self.console)
        self.console.print(activity.order_life(self.exact.sandbox, self.shop.sandbox).line(), highlight=False)


def run_demo(*, products: int, duration: float | None, directory: Path, port: int, console: Console,
             pace: Pace = Pace(), schedule: Mapping[str, str] = DEMO_SCHEDULE,
             until: Callable[[Demo], bool] | None = None) -> Demo:
    """Run until Ctrl-C, or ``duration`` seconds counted from the start (the first sync included), or
    sooner once ``until`` holds (tests: "a fulfillment reached the shop"); the stopped demo is returned,
    its sandboxes' state still readable."""
    deadline = None if duration is None else time.monotonic() + duration
    demo = Demo.open(products=products, directory=directory, console=console, schedule=schedule)
    try:
        demo.begin(port, pace)
        demo.wait(deadline, until)
    finally:
        demo.close()
    return demo


def _counts(result: RunResult) -> str:
    return " ".join(f"{k}={v}" for k, v in result.counts.items() if v)


def demo_user(store: Store) -> str:
    """The demo's admin user ``demo`` with a fresh password (printed: it is a local demo)."""
    password = token_urlsafe(12)
    accounts = Accounts(store)
    if not accounts.reset_password("demo", password):
        accounts.add_user("demo", password, "admin")
    return password


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
