"""The example project pointed at the local sandboxes: written by ``tradewind demo`` and used by the
end-to-end tests and the benchmark, so all three run the flows a newcomer reads in the demo.

Tests get the four catalogue-and-orders flows (``FLOW_NAMES``) and no booking rules unless they ask; the
demo asks for the order's life after booking too (``DEMO_FLOWS``): shipments back to the shop and refunds
as credit notes, booked by ``DEMO_BOOKING`` (a credit note is composed from the booking rules that booked
its order, docs/refunds-and-invoices.md).

The secrets are the sandboxes' fixed demo values, referenced as ``${PREFIX_…}`` like real ones.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

FLOW_NAMES = ("products", "prices", "stock", "orders")
"""What a project gets by default: the catalogue and the orders."""
DEMO_FLOWS = ("products", "prices", "stock", "orders", "shipments", "refunds")
"""The demo's flows, in dependency order (its first sync runs them so): the order's life after booking too.
Left out, though they exist: ``payments``, since the orders flow books paid orders only (``stage: paid``),
so no payment received in the ERP has an order left to mark paid in the shop; and ``shop_customers``, since
the seed's contacts share their company's phone number, which Shopify allows on one customer only, so a third
of them would fail in the demo ("Phone has already been taken", reported per contact as designed)."""
DEMO_SCHEDULE = {"products": "30s", "prices": "30s", "stock": "20s", "orders": "10s", "shipments": "7s",
                 "refunds": "9s"}
"""Seconds apart from the orders flow's ticks: a flow that runs ``after: [orders]`` is skipped while orders
runs, so on the same interval it would start at the very moment orders does and never run."""
DEMO_BOOKING: dict[str, Any] = {
    "time_zone": "Europe/Amsterdam",
    "booking_type": "sales_order",     # a sales order: the warehouse delivers it (goods deliveries → shipments)
    "journal": "70",                   # the sales journal credit notes are booked in
    "rounding_item": "RND",            # the shop's last cent against Exact's per-line VAT
    "oss": False,                      # Dutch VAT to NL, BE and DE alike: the demo shop is below the OSS threshold
    "vat_codes": [{"code": "0", "rate": 0}, {"code": "5", "rate": 0, "kind": "reverse_charge"}],
}
"""The demo's ``booking:`` rules: Exact's two 0 % codes share a rate, so the project names which is which."""
DEMO_EXACT_OPTIONS: dict[str, Any] = {
    "tracking_urls": {"POSTNL": "https://jouw.postnl.nl/track-and-trace/{number}-NL"}}
"""The demo's extra Exact options: the carrier's track-and-trace link on each fulfillment."""

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
    "shop_customers": """\
  shop_customers:
    from: erp.contacts
    to: shop.customers
%(every)s    filter: "customer.email"              # contacts without an e-mail address have no shop login
""",
    "shipments": """\
  shipments:
    from: erp.shipments
    to: shop.shipments
%(every)s    write: create                         # a goods delivery becomes one fulfillment with its tracking
    after: [orders]
""",
    "refunds": """\
  refunds:
    from: shop.refunds
    to: erp.credit_notes
%(every)s    write: create                         # credit notes are made, never changed
    after: [orders]                       # a refund waits until its order is booked
""",
    "payments": """\
  payments:
    from: erp.payments
    to: shop.order_payments
%(every)s    write: update                         # the order exists; marking it paid is an update
    after: [orders]
""",
}


def secrets(prefix: str) -> dict[str, str]:
    """The environment the project's secret references resolve from."""
    return {f"{prefix}_EXACT_CLIENT_SECRET": "demo-secret", f"{prefix}_EXACT_REFRESH_TOKEN": "demo-refresh",
            f"{prefix}_SHOPIFY_TOKEN": "shpat_demo"}


def sandbox_project(exact_url: str, shop_url: str, *, prefix: str = "DEMO", flows: Sequence[str] = FLOW_NAMES,
                    schedule: Mapping[str, str] | None = None, retry_backoff: str = "30s",
                    exact_options: Mapping[str, Any] | None = None,
                    booking: Mapping[str, Any] | None = None) -> str:
    """The project file's text: both connections and the chosen flows (any of ``FLOW_NAMES``,
    ``shop_customers``, ``shipments``, ``refunds``, ``payments``), each ``every`` its schedule.
    ``exact_options`` adds options to the Exact connection (e.g. lifted ``calls_per_minute`` when
    the sandbox runs without limits and so sends no rate-limit headers to correct the default);
    ``booking`` its booking rules (``refunds`` needs them, with a ``journal``)."""
    unknown = [name for name in flows if name not in _FLOWS]
    if unknown:
        raise ValueError(f"no flow named {', '.join(unknown)} in the sandbox project (known: {', '.join(_FLOWS)})")
    extra = "".join(f"    {key}: {json.dumps(value)}\n" for key, value in (exact_options or {}).items())
    if booking:
        extra += "    booking:                            # how orders are booked (docs/booking-rules.md)\n"
        extra += "".join(f"      {key}: {json.dumps(value)}\n" for key, value in booking.items())
    text = _CONNECTIONS.format(exact_url=exact_url, shop_url=shop_url, prefix=prefix, exact_options=extra)
    for name in flows:
        every = f"    every: {schedule[name]}\n" if schedule and name in schedule else ""
        text += _FLOWS[name] % {"every": every, "backoff": retry_backoff}
    return text
