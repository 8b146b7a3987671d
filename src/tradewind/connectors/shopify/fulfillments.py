"""Shopify fulfillments: shipments from the ERP written as ``fulfillmentCreate`` on the order's
fulfillment orders, with tracking company, number and URL and the shipped lines.

After https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/fulfillmentCreate: a fulfillment
names, per fulfillment order, the fulfillment order line items and quantities it ships; the order's
fulfillment orders (``Order.fulfillmentOrders``) say what remains to ship of each line. So a write
reads the order's open fulfillment orders (one call), places each shipped SKU's quantity on lines
with units remaining, and creates the fulfillment (one call). A shipment of more than remains fails
naming the SKU and both quantities, before anything is sent (Shopify refuses it too). Partial
shipments are what Shopify allows: the order shows ``PARTIALLY_FULFILLED`` until the last unit ships.

A fulfillment carries no reference of ours, so it is found again (crash recovery, a lost answer) by
its order and tracking number: a shipment without a tracking number cannot be found, and a second
write of it is refused by Shopify as more than remains, never shipped twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from tradewind.connectors.base import Found, NativeRecord, Refs
from tradewind.connectors.shopify.client import ShopifyClient, any_of, dig
from tradewind.connectors.shopify.common import NotReadable, batches, one_of
from tradewind.errors import RecordError
from tradewind.model import Shipment

ORDER_LOOKUPS = 10
"""Orders per search for fulfillments (each with up to 20 fulfillments inline)."""

FULFILLMENTS_BY_ORDER_NAME = """
query FulfillmentsByOrderName($query: String!, $first: Int!) {
  orders(first: $first, query: $query) {
    nodes { id name fulfillments(first: 20) { id name status trackingInfo(first: 5) { company number url } } }
  }
}
"""

OPEN_FULFILLMENT_ORDERS = """
query OpenFulfillmentOrders($id: ID!) {
  order(id: $id) {
    id name
    fulfillmentOrders(first: 5) { nodes { id status lineItems(first: 50) { nodes { id sku remainingQuantity } } } }
  }
}
"""

FULFILLMENT_CREATE = """
mutation FulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id name status trackingInfo(first: 5) { company number url } }
    userErrors { field message }
  }
}
"""

DOCUMENTS = {"FULFILLMENTS_BY_ORDER_NAME": FULFILLMENTS_BY_ORDER_NAME,
             "OPEN_FULFILLMENT_ORDERS": OPEN_FULFILLMENT_ORDERS, "FULFILLMENT_CREATE": FULFILLMENT_CREATE}
"""What this module sends (validated against Shopify's schema by the tests)."""


def shipment_out(shipment: Shipment, refs: Refs) -> dict[str, Any]:
    """The fulfillment to create: the shop order (by its number), lines by SKU, tracking."""
    tracking = {"company": shipment.carrier, "number": shipment.tracking_number, "url": shipment.tracking_url}
    return {"order": refs("order", {"number": shipment.order_number}), "order_number": shipment.order_number,
            "number": shipment.number, "notify": shipment.notify_customer,
            "tracking": {k: v for k, v in tracking.items() if v} if shipment.tracking_number else None,
            "lines": [{"sku": line.sku, "quantity": str(line.quantity)} for line in shipment.lines]}


def fulfillment_in(node: Mapping[str, Any]) -> Shipment:
    """A fulfillment as this resource answers it (what it shipped is the shop's to tell)."""
    tracking: Mapping[str, Any] = next(iter(node.get("trackingInfo") or []), {})
    return Shipment(number=str(node.get("name") or node.get("id") or ""), order_number=str(node.get("order") or ""),
                    carrier=tracking.get("company"), tracking_number=tracking.get("number"),
                    tracking_url=tracking.get("url"))


class FulfillmentsResource(NotReadable):
    """Fulfillments of shop orders, created from shipments; found by order and tracking number."""

    def find_many(self, client: ShopifyClient, keys: Sequence[Mapping[str, str]]) -> list[Found]:
        names = [k.get("order_number") or "" for k in keys]
        held: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for batch in batches([n for n in names if n], ORDER_LOOKUPS):
            data = client.execute(FULFILLMENTS_BY_ORDER_NAME, {"query": any_of("name", batch), "first": len(batch)})
            for node in dig(data, "orders.nodes") or []:
                if node.get("name") in batch:
                    held[node["name"]].extend(node.get("fulfillments") or [])
        return [self._one(held.get(k.get("order_number") or "", []), k.get("tracking_number")) for k in keys]

    def _one(self, fulfillments: list[dict[str, Any]], tracking: str | None) -> Found:
        if not tracking:
            return None
        return one_of(NativeRecord(id=f["id"], data=f) for f in fulfillments
                      if tracking in {t.get("number") for t in f.get("trackingInfo") or []})

    def create(self, client: ShopifyClient, native: dict[str, Any]) -> NativeRecord:
        order = dig(client.execute(OPEN_FULFILLMENT_ORDERS, {"id": native["order"]}), "order")
        if not order:
            raise RecordError(f"order {native.get('order_number')} is not in the shop", field="order_number")
        by_order = placed(order, native["lines"])
        fulfillment: dict[str, Any] = {"notifyCustomer": bool(native.get("notify")), "lineItemsByFulfillmentOrder": [
            {"fulfillmentOrderId": fo, "fulfillmentOrderLineItems": items} for fo, items in by_order.items()]}
        if native.get("tracking"):
            fulfillment["trackingInfo"] = native["tracking"]
        payload = client.mutate(FULFILLMENT_CREATE, {"fulfillment": fulfillment}, "fulfillmentCreate")
        made = payload["fulfillment"]
        return NativeRecord(id=made["id"], data={**made, "order": native["order"]})


def placed(order: Mapping[str, Any], lines: Sequence[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each shipped SKU's quantity on fulfillment order lines with units remaining (open orders in
    the order Shopify lists them); more than remains fails naming the SKU and both quantities."""
    open_lines = [(fo["id"], line) for fo in dig(order, "fulfillmentOrders.nodes") or []
                  if fo.get("status") in ("OPEN", "IN_PROGRESS") for line in dig(fo, "lineItems.nodes") or []]
    left = {line["id"]: int(line.get("remainingQuantity") or 0) for _, line in open_lines}
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for shipped in lines:
        sku, wanted = str(shipped["sku"]), Decimal(str(shipped["quantity"]))
        if wanted != wanted.to_integral_value():
            raise RecordError(f"Shopify ships whole units; {wanted} of {sku} is not one", field="lines.quantity")
        need = int(wanted)
        remaining = sum(left[line["id"]] for _, line in open_lines if line.get("sku") == sku)
        if need > remaining:
            raise RecordError(f"order {order.get('name')} has {remaining} of {sku} left to ship; the shipment ships "
                              f"{need}", field="lines.quantity", record=sku)
        for fo, line in open_lines:
            take = min(need, left[line["id"]]) if line.get("sku") == sku else 0
            if take:
                out[fo].append({"id": line["id"], "quantity": take})
                left[line["id"]] -= take
                need -= take
    return dict(out)
