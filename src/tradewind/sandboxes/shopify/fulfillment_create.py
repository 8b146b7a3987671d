"""``fulfillmentCreate`` (the rules are in :mod:`.fulfillments`' docstring): checked whole first, then
applied; a refusal is a userError and writes nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphql import GraphQLResolveInfo

from tradewind.sandboxes.shopify.common import Record, View, gid, parse_gid, user_error
from tradewind.sandboxes.shopify.fulfillments import FulfillmentViews, fulfillment_orders
from tradewind.sandboxes.shopify.writes import Writer

QUANTITY_REFUSED = "Invalid fulfillment order line item quantity requested."
"""Shopify's words for a quantity above what remains (nozzlegear/ShopifySharp#948)."""


class FulfillmentMutations(Writer):
    """``fulfillmentCreate``."""

    def fulfillment_create(self, info: GraphQLResolveInfo, fulfillment: Mapping[str, Any],
                           message: str | None = None) -> View:
        with self.sb.lock:
            order, picks, errors = self._check(fulfillment.get("lineItemsByFulfillmentOrder") or [])
            if errors or order is None:
                return {"fulfillment": None, "userErrors": errors}
            record = self._apply(order, picks, fulfillment.get("trackingInfo") or {})
            return {"fulfillment": FulfillmentViews(self.sb, self.views).fulfillment(order, record), "userErrors": []}

    def _check(self, groups: Sequence[Mapping[str, Any]]) -> tuple[Record | None, list[tuple[Record, int]],
                                                                    list[Any]]:
        """Every (fulfillment order line, quantity) asked for, or the userErrors (nothing is written)."""
        order: Record | None = None
        picks: list[tuple[Record, int]] = []
        for g, group in enumerate(groups):
            found = self._fulfillment_order(group.get("fulfillmentOrderId"))
            path = ["fulfillment", "lineItemsByFulfillmentOrder", str(g), "fulfillmentOrderId"]
            if found is None:
                return None, [], [user_error(path, "Fulfillment order does not exist.")]
            owner, fo = found
            if order is not None and owner["id"] != order["id"]:
                return None, [], [user_error(path, "Fulfillment orders must belong to the same order.")]
            if fo["status"] == "CLOSED":
                return None, [], [user_error(path, f"Fulfillment order {fo['id']} has an unfulfillable status= "
                                                   "closed.")]
            order = owner
            asked = group.get("fulfillmentOrderLineItems")
            if not asked:
                picks += [(line, line["remaining"]) for line in fo["lines"] if line["remaining"]]
                continue
            lines = {gid("FulfillmentOrderLineItem", line["id"]): line for line in fo["lines"]}
            for item in asked:
                line = lines.get(item.get("id"))
                if line is None or not 0 < int(item.get("quantity") or 0) <= line["remaining"]:
                    return None, [], [user_error(["fulfillment"], QUANTITY_REFUSED)]
                picks.append((line, int(item["quantity"])))
        if order is None or not picks:
            return None, [], [user_error(["fulfillment"], QUANTITY_REFUSED)]
        return order, picks, []

    def _fulfillment_order(self, value: Any) -> tuple[Record, Record] | None:
        number = parse_gid(value, "FulfillmentOrder")
        for order_id, fos in self.store.fulfillment_orders.items():
            for fo in fos:
                if fo["id"] == number:
                    return self.store.orders[order_id], fo
        return None

    def _apply(self, order: Record, picks: list[tuple[Record, int]], tracking: Mapping[str, Any]) -> Record:
        for line, quantity in picks:
            line["remaining"] -= quantity
        for fo in fulfillment_orders(self.sb, order):
            left = sum(line["remaining"] for line in fo["lines"])
            fo["status"] = "CLOSED" if not left else "IN_PROGRESS" if left < sum(
                line["total"] for line in fo["lines"]) else fo["status"]
        done = self.store.fulfillments.setdefault(order["id"], [])
        numbers = list(tracking.get("numbers") or []) or ([tracking["number"]] if tracking.get("number") else [])
        urls = list(tracking.get("urls") or []) or ([tracking["url"]] if tracking.get("url") else [])
        record = {"id": self.store.next_id(), "name": f"{order['name']}-F{len(done) + 1}", "created_at": self.sb.now(),
                  "tracking": [{"company": tracking.get("company"), "number": n,
                                "url": urls[i] if i < len(urls) else None} for i, n in enumerate(numbers)],
                  "lines": [{"id": self.store.next_id(), "line_item_id": line["line_item_id"], "quantity": q}
                            for line, q in picks]}
        done.append(record)
        left = sum(line["remaining"] for fo in fulfillment_orders(self.sb, order) for line in fo["lines"])
        self.sb.update_order(order["id"], fulfillment_status="fulfilled" if not left else "partial")
        return record
