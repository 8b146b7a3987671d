"""The slice's world for end-to-end tests: both sandboxes on loopback, a project file, a store."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tradewind.engine.project import load_project
from tradewind.engine.services import Services
from tradewind.sandboxes import exact_online, shopify
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.exact_online_data import catalogue, service_items
from tradewind.sandboxes.project import sandbox_project, secrets
from tradewind.sandboxes.shopify_data import random_order
from tradewind.store.db import Store

ENVIRON = secrets("E2E")


@dataclass
class World:
    exact: Served
    shop: Served
    project_path: Path
    services: Services

    def run(self, flow: str, **kwargs: Any) -> Any:
        return self.services.run_flow(flow, **kwargs)

    def calls(self, served: Served) -> dict[str, int]:
        return dict(httpx.get(f"{served.url}/_sandbox/calls").json()["by_route"])

    def reset_calls(self) -> None:
        for served in (self.exact, self.shop):
            httpx.post(f"{served.url}/_sandbox/reset-calls").raise_for_status()

    def fault(self, served: Served, **fault: Any) -> None:
        httpx.post(f"{served.url}/_sandbox/faults", json=fault).raise_for_status()

    def add_orders(self, n: int, *, seed: int = 1, paid: bool = True) -> list[dict[str, Any]]:
        state = self.shop.sandbox
        rng = random.Random(seed)
        customers = list(state.store.customers.values())
        added = []
        for _ in range(n):
            order = random_order(state, rng=rng, customers=customers)
            order["financial_status"] = "paid" if paid else "pending"
            added.append(state.add_order(order))
        return added

    def exact_orders(self) -> list[dict[str, Any]]:
        return list(self.exact.sandbox.sales_orders())


def start_world(tmp_path: Path, store: Store, *, products: int = 12, exact_extra: dict[str, Any] | None = None,
                monkeypatch: Any = None, extra_flows: str = "") -> World:
    seed = catalogue(products=products, customers=5, seed=11)
    seed["items"].extend(service_items())
    for key, rows in (exact_extra or {}).items():
        seed[key].extend(rows)
    exact = Served(exact_online.create_app(seed=seed, minutely_limit=None, daily_limit=None)).start()
    shop = Served(shopify.create_app(bucket_size=None)).start()
    path = tmp_path / "tradewind.yaml"
    path.write_text(sandbox_project(exact.url, shop.url, prefix="E2E", retry_backoff="1s") + extra_flows)
    if monkeypatch is not None:
        for name, value in ENVIRON.items():
            monkeypatch.setenv(name, value)
    services = Services.open(load_project(path, environ=ENVIRON), store)
    return World(exact=exact, shop=shop, project_path=path, services=services)
