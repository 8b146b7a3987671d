"""Every Exact flow, run end to end against a sandbox that refuses what Exact refuses: no read
without ``$filter`` on an endpoint with a sync counterpart (Exact's "mandatory filtering" since
2021), and no token refresh sooner than 570 s after the last one over hours of sandbox time."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tradewind.connectors.exact_online import ExactOnline, ExactOnlineOptions
from tradewind.connectors.exact_online.auth import TOKEN_MARGIN
from tradewind.connectors.pacing import forget_budgets
from tradewind.connectors.testing import FAST_RETRY
from tradewind.engine.project import load_project
from tradewind.engine.services import Services
from tradewind.sandboxes import exact_online, shopify
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.exact_online.auth import MIN_REFRESH_INTERVAL
from tradewind.sandboxes.exact_online_data import catalogue, service_items
from tradewind.sandboxes.project import sandbox_project, secrets
from tradewind.sandboxes.shopify_data import random_order
from tradewind.store.db import Store

ENVIRON = secrets("MF")
ONE_WAREHOUSE = ('    stock_warehouses: ["1"]             # the warehouse the shop ships from (the shop has one '
                 'location)\n')
CUSTOMERS = """\
  customers:
    from: erp.customers
    to: shop.customers
"""


@pytest.fixture
def world(tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Services, Any, Any]]:
    """The demo project with every Exact flow, ``vat_rates`` on and stock with its default options."""
    forget_budgets()
    for name, value in ENVIRON.items():
        monkeypatch.setenv(name, value)
    seed = catalogue(products=15, customers=4, seed=5)
    seed["items"].extend(service_items())
    with Served(exact_online.create_app(seed=seed, minutely_limit=None, daily_limit=None,
                                        min_refresh_interval=MIN_REFRESH_INTERVAL)) as exact, \
            Served(shopify.create_app(bucket_size=None)) as shop:
        text = sandbox_project(exact.url, shop.url, prefix="MF", retry_backoff="1s",
                               exact_options={"vat_rates": True})
        assert ONE_WAREHOUSE in text
        path = tmp_path / "tradewind.yaml"
        path.write_text(text.replace(ONE_WAREHOUSE, "") + CUSTOMERS)
        services = Services.open(load_project(path, environ=ENVIRON), store)
        yield services, exact.sandbox, shop.sandbox


def test_every_flow_sends_no_refused_read(world: tuple[Services, Any, Any]) -> None:
    services, exact, shop = world
    assert exact.mandatory_filtering
    for name in ("products", "prices", "stock", "customers"):
        result = services.run_flow(name)
        assert result.counts.get("received", 0) > 0, (name, result)
    customers = list(shop.store.customers.values())
    for number in range(3):
        order = random_order(shop, rng=random.Random(number), customers=customers)
        shop.add_order({**order, "financial_status": "paid"})
    orders = services.run_flow("orders")
    assert orders.counts.get("received", 0) == 3, orders
    assert 3 == len(exact.sales_orders())
    for name in ("products", "prices", "stock", "customers"):  # incremental reads filter too
        services.run_flow(name)
    assert {} == dict(exact.refusals)
    assert 0 == exact.tokens.too_early


class Clock:
    """Sandbox time shared by the sandbox and the connector's client."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_no_refresh_sooner_than_exact_allows_over_hours(store: Store) -> None:
    """Access tokens last 600 s and are replaced ``TOKEN_MARGIN`` s early: never sooner than 570 s
    after the last refresh, so a run of three hours in sandbox time, a call every 45 s, passes
    with the rule on and refreshes once per token, not more."""
    assert 600 - TOKEN_MARGIN >= MIN_REFRESH_INTERVAL
    forget_budgets()
    clock = Clock()
    app = exact_online.create_app(seed=catalogue(products=3, customers=1, seed=2), minutely_limit=None,
                                  daily_limit=None, min_refresh_interval=MIN_REFRESH_INTERVAL)
    app.state.sandbox.set_clock(clock)
    with Served(app) as served:
        options = ExactOnlineOptions(base_url=served.url, division=123456, client_id="demo-client",
                                     client_secret="${MF_EXACT_CLIENT_SECRET}",
                                     refresh_token="${MF_EXACT_REFRESH_TOKEN}", calls_per_minute=1_000_000,
                                     calls_per_day=100_000_000)
        connection = ExactOnline(options, environ=ENVIRON, retry=FAST_RETRY)
        client = connection.client
        client.clock = clock  # before the first token: the token keeper takes the client's clock
        stock = connection.resource("stock")
        steps = 3 * 3600 // 45
        for _ in range(steps):
            clock.now += 45
            assert list(stock.pages(client, None))
        calls = httpx.get(f"{served.url}/_sandbox/calls").json()["by_route"]
    sandbox = served.sandbox
    assert 0 == sandbox.tokens.too_early
    assert sandbox.tokens.exchanges == calls["POST /api/oauth2/token"]
    assert 3 * 3600 // 600 <= sandbox.tokens.exchanges <= 3 * 3600 // 570 + 1
    assert {} == dict(sandbox.refusals)
