"""Exact Online calls per order: N new shop orders (a share of them by new person buyers) sent to
Exact by the orders flow, counted by the Exact sandbox's call log (``/_sandbox/calls``).

Run as ``python bench/orders_calls.py [--orders 2000] [--new-share 0.3] [--real-limit]``. Both
sandboxes run in this process on loopback, the store is SQLite in a temporary directory. The
catalogue's products are synced first; the figures count only the orders run: its look-ups
(``YourRef``, buyers' e-mail addresses, SKUs), the new accounts and the sales orders.

Without ``--real-limit`` the sandboxes' rate limits are lifted (calls are counted, not paced). With
it, Exact allows 60 calls a minute and 5,000 a day in fixed windows aligned to the clock's minutes
(and Shopify its 1000-point bucket), the engine runs with its default budget, and the orders run
starts at the start of a fresh minute window (the products run's calls are in the window before). It
then reports the wall time against the least time the minimal calls need under that limit (one
POST per order, one per new buyer) and the 429 answers. The sandboxes' windows run on real time:
the engine's pacing reads its own clock (the store's budget ledger and the connector's
``WindowBudget``), which a benchmark cannot move without changing the connector, so a smaller batch
(e.g. ``--orders 200``, ≈ 4 minutes) is the way to run it. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from tradewind.engine.project import load_project
from tradewind.engine.services import Services
from tradewind.log import configure
from tradewind.sandboxes import exact_online, shopify
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.exact_online_data import catalogue, service_items
from tradewind.sandboxes.project import sandbox_project, secrets
from tradewind.sandboxes.shopify_data import random_order
from tradewind.store.db import Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sandboxes import BenchControl  # a sibling script, not a package

EXACT_PER_MINUTE = 60


def add_orders(shop: Any, exact: Any, n: int, new_share: float) -> int:
    """``n`` paid orders in the ``shop`` sandbox, ``new_share`` of them by buyers unknown to the
    ``exact`` sandbox (one order each); the rest by its seeded accounts' e-mail addresses. Returns
    how many new buyers."""
    rng = random.Random(14)
    known = sorted(str(a["Email"]) for a in exact.dump()["accounts"])
    prices = {v["sku"]: Decimal(str(v["price"])) for v in shop.store.variants.values() if v.get("sku")}
    new = 0
    for number in range(n):
        order = random_order(prices, rng=rng)
        if rng.random() < new_share:
            email, new = f"buyer{number}@example.com", new + 1
        else:
            email = rng.choice(known)
        order.update(email=email, customer=None, financial_status="paid")
        shop.add_order(order)
    return new


def fresh_window(exact: Any) -> float:
    """Sleep until the Exact sandbox's minutely window rolls over; the seconds waited."""
    wait = max(0.0, exact.minutely.reset_at - time.time()) + 0.05
    time.sleep(wait)
    return wait


def ceilings(minimal: int) -> dict[str, float]:
    """Least seconds ``minimal`` calls need at 60 a minute, starting with a fresh window: on fixed
    windows (60 at once, the next 60 when the window rolls: the last call goes out at the start of
    window ⌈C/60⌉), the fluid approximation the catalogue benchmark uses (the first 60 free, then
    1 a second), and calls ÷ rate (C ÷ 1 s, no free first window)."""
    return {"fixed windows": 60.0 * (math.ceil(minimal / EXACT_PER_MINUTE) - 1),
            "fluid": max(0.0, minimal - EXACT_PER_MINUTE) * 60 / EXACT_PER_MINUTE,
            "calls ÷ rate": minimal * 60 / EXACT_PER_MINUTE}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--new-share", type=float, default=0.3)
    parser.add_argument("--real-limit", action="store_true",
                        help="Exact 60 calls/min + 5,000/day, Shopify 1000 points at 50/s; report time ÷ ceiling")
    args = parser.parse_args()
    configure("WARNING")  # the run's INFO lines would weigh on its time
    seed = catalogue(products=50, customers=50, seed=11)
    seed["items"].extend(service_items())
    exact_limits: dict[str, Any] = {} if args.real_limit else {"minutely_limit": None, "daily_limit": None}
    exact_app = exact_online.create_app(seed=seed, **exact_limits)
    shop_app = shopify.create_app(**({} if args.real_limit else {"bucket_size": None}))
    exact_sandbox, shop_sandbox = exact_app.state.sandbox, shop_app.state.sandbox
    control = BenchControl(exact_app)  # counts HTTP statuses (429s) beside the kit's calls by route
    exact = Served(control).start()  # type: ignore[arg-type]
    shop = Served(shop_app).start()
    environ = secrets("BENCH")
    os.environ.update(environ)  # secrets are resolved at run time, from the environment
    lifted = {} if args.real_limit else {"calls_per_minute": 1_000_000, "calls_per_day": 1_000_000}
    waited = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/tradewind.yaml"
        with open(path, "w") as file:
            file.write(sandbox_project(exact.url, shop.url, prefix="BENCH", exact_options=lifted))
        store = Store(f"sqlite:///{tmp}/tradewind.db")
        store.upgrade()
        services = Services.open(load_project(path, environ=environ), store)
        try:
            products = services.run_flow("products")
            assert products.status == "succeeded", products.error
            new = add_orders(shop_sandbox, exact_sandbox, args.orders, args.new_share)
            if args.real_limit:
                waited = fresh_window(exact_sandbox)
            control.reset()
            started = time.perf_counter()
            result = services.run_flow("orders")
            elapsed = time.perf_counter() - started
            stats = control.stats()
        finally:
            store.dispose()
            exact.stop()
            shop.stop()
    calls = stats["by_route"]
    total = sum(calls.values())
    refused = int(stats["statuses"].get("429", 0))
    print(f"orders run: {result.status}, counts {dict(result.counts)}")
    print(f"{args.orders} orders, {new} new buyers ({new / args.orders:.0%}): {total} Exact calls, "
          f"{total / args.orders:.3f} per order ({refused} of them answered 429)")
    for route, count in sorted(calls.items(), key=lambda kv: -kv[1]):
        print(f"  {count:6d}  {route}")
    minimal = args.orders + new
    print(f"minimal calls: {minimal} (one POST per order, one per new buyer), {minimal / args.orders:.3f} per order; "
          f"engine ÷ minimal {total / minimal:.3f}")
    if not args.real_limit:
        print(f"wall {elapsed:.1f} s with limits lifted")
        return
    print(f"real limit (Exact 60/min): {elapsed:.1f} s elapsed from the start of a fresh minute window "
          f"(waited {waited:.0f} s for it after the products run)")
    for name, seconds in ceilings(minimal).items():
        print(f"  minimal calls' ceiling, {name}: {seconds:.0f} s → time ÷ ceiling {elapsed / seconds:.2f}"
              if seconds else f"  minimal calls' ceiling, {name}: 0 s")


if __name__ == "__main__":
    main()
