"""``orderMarkAsPaid`` (the rules are in :mod:`.payments`' docstring): an order Shopify allows to mark paid
gets a successful transaction for its outstanding amount — a capture of its authorization when it has
one, else a manual sale — and becomes ``PAID``; any other is refused with a userError and left as it was."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import GraphQLResolveInfo

from tradewind.sandboxes.shopify.common import View, parse_gid, user_error
from tradewind.sandboxes.shopify.payments import REFUSED, can_mark_as_paid, outstanding
from tradewind.sandboxes.shopify.writes import Writer


class OrderPaymentMutations(Writer):
    """``orderMarkAsPaid``."""

    def order_mark_as_paid(self, info: GraphQLResolveInfo, input: Mapping[str, Any]) -> View:
        with self.sb.lock:
            order = self.store.orders.get(parse_gid(input.get("id"), "Order") or 0)
            if order is None:
                return {"order": None, "userErrors": [user_error(["id"], "Order does not exist")]}
            if not can_mark_as_paid(order):
                return {"order": None, "userErrors": [user_error(["id"], REFUSED)]}
            now = self.sb.now()
            authorized = next((t for t in order["transactions"] if t.get("kind") == "authorization"
                               and t.get("status") == "success"), None)
            order["transactions"].append({
                "id": self.store.next_id(), "kind": "capture" if authorized else "sale", "status": "success",
                "gateway": authorized["gateway"] if authorized else "manual", "amount": str(outstanding(order)),
                "created_at": now, "test": False, "parent_id": authorized["id"] if authorized else None})
            order["financial_status"] = "paid"
            order["updated_at"] = now
            self.store.put("orders", order)
            self.sb.announce("orders/updated", order)
            return {"order": self.views.order(order), "userErrors": []}
