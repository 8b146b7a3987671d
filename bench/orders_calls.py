"""Exact Online calls per order: N new shop orders (a share of them by new person buyers) sent to
Exact by the orders flow, counted by the Exact sandbox's call log (``/_sandbox/calls``).

Run as ``python bench/orders_calls.py [--orders 2000] [--new-share 0.3]``. Both sandboxes run in
this process on loopback with their rate limits lifted (calls are counted, not paced), the store is
SQLite in a temporary directory. The catalogue's products are synced first; the figure counts only
the orders run: its look-ups (``YourRef``, buyers' e-mail addresses, SKUs), the new accounts and the
sales orders. Prints figures; asserts nothing. It does not measure time under the real limit.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
from decimal import Decimal

import httpx

from tradewind.engine.project import load_project
from tradewind.engine.services import Services
from tradewind.sandboxes import exact_online, shopify
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.exact_online_data import catalogue, service_items
from tradewind.sandboxes.project import sandbox_project, secrets
from tradewind.sandboxes.shopify_data import random_order
from tradewind.store.db import Store


def add_orders(shop: Served, exact: Served, n: int, new_share: float) -> int:
    """``n`` paid orders, ``new_share`` of them by buyers unknown to Exact (one order each); the rest
    by the seeded accounts' e-mail addresses. Returns how many new buyers."""
    rng = random.Random(14)
    known = sorted(str(a["Email"]) for a in exact.sandbox.dump()["accounts"])
    prices = {v["sku"]: Decimal(str(v["price"])) for v in shop.sandbox.store.variants.values() if v.get("sku")}
    new = 0
    for number in range(n):
        order = random_order(prices, rng=rng)
        if rng.random() < new_share:
            email, new = f"buyer{number}@example.com", new + 1
        else:
            email = rng.choice(known)
        order.update(email=email, customer=None, financial_status="paid")
        shop.sandbox.add_order(order)
    return new


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--new-share", type=float, default=0.3)
    args = parser.parse_args()
    seed = catalogue(products=50, customers=50, seed=11)
    seed["items"].extend(service_items())
    exact = Served(exact_online.create_app(seed=seed, minutely_limit=None, daily_limit=None)).start()
    shop = Served(shopify.create_app(bucket_size=None)).start()
    environ = secrets("BENCH")
    os.environ.update(environ)  # secrets are resolved at run time, from the environment
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/tradewind.yaml"
        with open(path, "w") as file:
            file.write(sandbox_project(exact.url, shop.url, prefix="BENCH", exact_options={
                "calls_per_minute": 1_000_000, "calls_per_day": 1_000_000}))
        store = Store(f"sqlite:///{tmp}/tradewind.db")
        store.upgrade()
        services = Services.open(load_project(path, environ=environ), store)
        try:
            products = services.run_flow("products")
            assert products.status == "succeeded", products.error
            new = add_orders(shop, exact, args.orders, args.new_share)
            httpx.post(f"{exact.url}/_sandbox/reset-calls").raise_for_status()
            result = services.run_flow("orders")
            calls = httpx.get(f"{exact.url}/_sandbox/calls").json()["by_route"]
        finally:
            store.dispose()
            exact.stop()
            shop.stop()
    total = sum(calls.values())
    print(f"orders run: {result.status}, counts {dict(result.counts)}")
    print(f"{args.orders} orders, {new} new buyers ({new / args.orders:.0%}): {total} Exact calls, "
          f"{total / args.orders:.3f} per order")
    for route, count in sorted(calls.items(), key=lambda kv: -kv[1]):
        print(f"  {count:6d}  {route}")


if __name__ == "__main__":
    main()
