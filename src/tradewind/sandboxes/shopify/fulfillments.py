"""Fulfillment orders and fulfillments: what the shop still has to ship of an order, and what it shipped.

After https://shopify.dev/docs/api/admin-graphql/2026-07/objects/FulfillmentOrder and
https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/fulfillmentCreate (types as in the
2026-07 SDL kept in ../shared/vendor-specs):

* an order gets one fulfillment order per location that ships it when it is created; here one, at
  the shop's first active location, made on first use, with a line per order line that requires
  shipping (``totalQuantity`` = the ordered quantity, ``remainingQuantity`` what is left to ship);
* ``fulfillmentCreate`` fulfils, per fulfillment order, the lines named with their quantities, or
  every remaining unit when none are named; the fulfillment orders must belong to one order. A
  quantity above what remains, or a line of another fulfillment order, is refused as a userError
  ("Invalid fulfillment order line item quantity requested.", the words Shopify answers —
  nozzlegear/ShopifySharp#948) and nothing is written;
* a fulfillment order with every unit shipped is ``CLOSED``, one partly shipped ``IN_PROGRESS``;
  the order's ``displayFulfillmentStatus`` follows: ``PARTIALLY_FULFILLED``, then ``FULFILLED``;
* a fulfillment is ``SUCCESS`` with its tracking info (company, number, url as given) and its lines,
  named ``#1001-F1``, ``#1001-F2`` in order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tradewind.sandboxes.shopify.common import Record, View, gid, presented
from tradewind.sandboxes.shopify.paging import connection

if TYPE_CHECKING:
    from tradewind.sandboxes.shopify.sandbox import ShopifySandbox
    from tradewind.sandboxes.shopify.views import Views


def fulfillment_orders(sandbox: ShopifySandbox, order: Record) -> list[Record]:
    """The order's fulfillment orders, made on first use."""
    held = sandbox.store.fulfillment_orders
    if order["id"] not in held:
        store = sandbox.store
        location = next(iter(store.active_locations()), None)
        lines = [{"id": store.next_id(), "line_item_id": li["id"], "total": int(li["quantity"]),
                  "remaining": int(li["quantity"])}
                 for li in order["line_items"] if li.get("requires_shipping", True)]
        held[order["id"]] = [{"id": store.next_id(), "order_id": order["id"], "status": "OPEN",
                              "location_id": location["id"] if location else None, "lines": lines}]
    return held[order["id"]]


def by_id(record: Record) -> int:
    return 0


class FulfillmentViews:
    """GraphQL views of fulfillment orders and fulfillments (the order's fields resolve through these)."""

    def __init__(self, sandbox: ShopifySandbox, views: Views) -> None:
        self.sb = sandbox
        self.views = views

    def of_order(self, order: Record) -> dict[str, Any]:
        """The order's ``fulfillmentOrders`` and ``fulfillments`` fields."""
        return {
            "fulfillmentOrders": lambda info, **a: connection(
                a, fulfillment_orders(self.sb, order), by_id, lambda fo: self.fulfillment_order(order, fo)),
            "fulfillments": lambda info, first=None, query=None: [
                self.fulfillment(order, f) for f in self.sb.store.fulfillments.get(order["id"], [])[:first]],
        }

    def fulfillment_order(self, order: Record, fo: Record) -> View:
        lines = {li["id"]: li for li in order["line_items"]}
        return {
            "id": gid("FulfillmentOrder", fo["id"]), "orderId": gid("Order", order["id"]),
            "orderName": order["name"], "status": fo["status"],
            "lineItems": lambda info, **a: connection(a, fo["lines"], by_id, lambda line: {
                "id": gid("FulfillmentOrderLineItem", line["id"]), "totalQuantity": line["total"],
                "remainingQuantity": line["remaining"], "sku": lines[line["line_item_id"]].get("sku"),
                "lineItem": self.views.line_item(lines[line["line_item_id"]], presented(order))}),
        }

    def fulfillment(self, order: Record, f: Record) -> View:
        lines = {li["id"]: li for li in order["line_items"]}
        return {
            "id": gid("Fulfillment", f["id"]), "name": f["name"], "status": "SUCCESS", "createdAt": f["created_at"],
            "order": lambda info: self.views.order(order),
            "trackingInfo": lambda info, first=None: [dict(t) for t in f["tracking"][:first]],
            "fulfillmentLineItems": lambda info, **a: connection(a, f["lines"], by_id, lambda line: {
                "id": gid("FulfillmentLineItem", line["id"]), "quantity": line["quantity"],
                "lineItem": self.views.line_item(lines[line["line_item_id"]], presented(order))}),
        }
