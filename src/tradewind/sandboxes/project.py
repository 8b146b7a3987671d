"""The example project pointed at the local sandboxes: written by ``tradewind demo`` and used by the
end-to-end tests and the benchmark, so all three run the flows a newcomer reads in the demo.

The secrets are the sandboxes' fixed demo values, referenced as ``${PREFIX_…}`` like real ones.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

FLOW_NAMES = ("products", "prices", "stock", "orders")
DEMO_SCHEDULE = {"products": "30s", "prices": "30s", "stock": "20s", "orders": "10s"}

_CONNECTIONS = """\
connections:
  erp:
    connector: exact_online
    base_url: {exact_url}
    division: 123456
    client_id: demo-client
    client_secret: ${{{prefix}_EXACT_CLIENT_SECRET}}
    refresh_token: ${{{prefix}_EXACT_REFRESH_TOKEN}}
    shipping_item: SHIP                 # orders' shipping costs are booked on this service item
    discount_item: DISC
    stock_warehouses: ["1"]             # the warehouse the shop ships from (the shop has one location)
{exact_options}  shop:
    connector: shopify
    shop: demo.myshopify.com
    base_url: {shop_url}
    token: ${{{prefix}_SHOPIFY_TOKEN}}
    taxes_included: false               # Exact prices are net; the shop shows them net too
flows:
"""

_FLOWS = {
    "products": """\
  products:
    from: erp.products
    to: shop.products
%(every)s    filter: "product.active and product.attributes.stock_item"   # service items (SHIP, DISC) stay in the ERP
    mapping:
      default: {vendor: "Tradewind Demo Goods"}
""",
    "prices": """\
  prices:
    from: erp.prices
    to: shop.prices
%(every)s    filter: "price.customer_reference is none"   # general prices only
    write: update
    after: [products]                     # a price waits (parked) for its product
""",
    "stock": """\
  stock:
    from: erp.stock
    to: shop.stock
%(every)s    write: update
    after: [products]
""",
    "orders": """\
  orders:
    from: shop.orders
    to: erp.orders
%(every)s    stage: paid
    write: create
    match: {customer: email}
    create_missing: [customer]
    retry: {max_attempts: 5, backoff: %(backoff)s}
    mapping:
      table:
        PaymentCondition:
          from: "order.payments[0].method if order.payments else ''"
          values: {ideal: IB, paypal: PP}
          default: "30"
""",
}


def secrets(prefix: str) -> dict[str, str]:
    """The environment the project's secret references resolve from."""
    return {f"{prefix}_EXACT_CLIENT_SECRET": "demo-secret", f"{prefix}_EXACT_REFRESH_TOKEN": "demo-refresh",
            f"{prefix}_SHOPIFY_TOKEN": "shpat_demo"}


def sandbox_project(exact_url: str, shop_url: str, *, prefix: str = "DEMO", flows: Sequence[str] = FLOW_NAMES,
                    schedule: dict[str, str] | None = None, retry_backoff: str = "30s",
                    exact_options: Mapping[str, Any] | None = None) -> str:
    """The project file's text: both connections and the chosen flows, each ``every`` its schedule.
    ``exact_options`` adds options to the Exact connection (e.g. lifted ``calls_per_minute`` when
    the sandbox runs without limits and so sends no rate-limit headers to correct the default)."""
    extra = "".join(f"    {key}: {json.dumps(value)}\n" for key, value in (exact_options or {}).items())
    text = _CONNECTIONS.format(exact_url=exact_url, shop_url=shop_url, prefix=prefix, exact_options=extra)
    for name in flows:
        every = f"    every: {schedule[name]}\n" if schedule and name in schedule else ""
        text += _FLOWS[name] % {"every": every, "backoff": retry_backoff}
    return text
