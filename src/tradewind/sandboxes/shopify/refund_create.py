"""``refundCreate`` (the rules are in :mod:`.refunds`' docstring): checked whole first, then applied;
a refusal is a userError and writes nothing."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo

from tradewind.sandboxes.shopify.common import Record, View, gid, parse_gid, user_error
from tradewind.sandboxes.shopify.inventory import MISSING_DIRECTIVE, idempotency_key
from tradewind.sandboxes.shopify.refunds import CENT, KEY_SINCE, RefundViews, dec, refunds_of, share
from tradewind.sandboxes.shopify.versions import at_least
from tradewind.sandboxes.shopify.writes import Writer


class RefundMutations(Writer):
    """``refundCreate``: checked whole first, then applied (see the module docstring)."""

    def refund_create(self, info: GraphQLResolveInfo, input: Mapping[str, Any]) -> View:
        key = idempotency_key(info)
        if at_least(info.context.get("version"), KEY_SINCE) and (key is None or not key.strip()):
            raise GraphQLError(MISSING_DIRECTIVE, extensions={"code": "BAD_REQUEST"})
        digest = json.dumps(input, sort_keys=True, default=str)
        with self.sb.lock:
            if key is not None and key in self.sb.idempotency:
                seen, payload = self.sb.idempotency[key]
                if seen == digest:
                    return payload  # type: ignore[no-any-return]
                return {"refund": None, "order": None, "userErrors": [user_error(
                    None, "The same idempotency key cannot be used with different operation parameters.")]}
            payload = self._create(input)
            if key is not None:
                self.sb.idempotency[key] = (digest, payload)
            return payload

    def _create(self, input: Mapping[str, Any]) -> View:
        order = self.store.orders.get(parse_gid(input.get("orderId"), "Order") or 0)
        if order is None:
            return _refused(["orderId"], "Order does not exist")
        shown = order.get("presentment_currency") or order["currency"]
        if shown != order["currency"] and input.get("currency") != shown:  # RefundInput.currency
            return _refused(["currency"], f"The refund's currency must be the presentment currency, {shown}")
        lines, errors = self._lines(order, input.get("refundLineItems") or [])
        shipping, more = self._shipping(order, input.get("shipping"))
        money, most = self._transactions(order, input.get("transactions") or [], bool(input.get("allowOverRefunding")))
        errors += more + most
        if errors:
            return {"refund": None, "order": None, "userErrors": errors}
        now = self.sb.now()
        refund = {"id": self.store.next_id(), "created_at": now, "processed_at": now, "note": input.get("note"),
                  "refund_line_items": lines, "shipping": shipping, "order_adjustments": [], "transactions": money}
        refunds_of(order).append(refund)
        self._settle(order, now)
        return {"refund": RefundViews(self.sb, self.views).refund(order, refund),
                "order": self.views.order(order), "userErrors": []}

    def _lines(self, order: Record, asked: Sequence[Mapping[str, Any]]) -> tuple[list[Record], list[Any]]:
        by_gid = {gid("LineItem", li["id"]): li for li in order["line_items"]}
        done = _refunded_units(order)
        lines: list[Record] = []
        for i, item in enumerate(asked):
            line = by_gid.get(str(item.get("lineItemId")))
            if line is None:
                return [], [user_error(["refundLineItems", str(i), "lineItemId"], "Line item does not exist")]
            ordered, before, quantity = int(line["quantity"]), done.get(line["id"], 0), int(item.get("quantity") or 0)
            if not 0 < quantity <= ordered - before:
                return [], [user_error(["refundLineItems", str(i), "quantity"],
                                       f"Quantity cannot refund more items than were purchased ({ordered - before} "
                                       "left to refund)")]
            done[line["id"]] = before + quantity
            amount = dec(line["price"]) * ordered - dec(line["total_discount"])
            tax = sum((dec(t["price"]) for t in line["tax_lines"]), Decimal(0))
            lines.append({"id": self.store.next_id(), "line_item_id": line["id"], "quantity": quantity,
                          "restock_type": str(item.get("restockType") or "NO_RESTOCK").lower(),
                          "subtotal": share(amount, before + quantity, ordered) - share(amount, before, ordered),
                          "total_tax": share(tax, before + quantity, ordered) - share(tax, before, ordered)})
        return lines, []

    def _shipping(self, order: Record, asked: Mapping[str, Any] | None) -> tuple[list[Record], list[Any]]:
        if not asked or not order["shipping_lines"]:
            return [], []
        charged = sum((dec(s["discounted_price"]) for s in order["shipping_lines"]), Decimal(0))
        before = sum((dec(x["amount"]) for r in refunds_of(order) for x in r["shipping"]), Decimal(0))
        amount = charged - before if asked.get("fullRefund") else dec(asked.get("amount"))
        if amount <= 0 or amount > charged - before:
            return [], [user_error(["shipping", "amount"], f"Shipping refund amount must be more than 0 and at "
                                                           f"most {charged - before}")]
        tax = sum((dec(t["price"]) for s in order["shipping_lines"] for t in s["tax_lines"]), Decimal(0))
        share = ((tax * (before + amount) / charged) - (tax * before / charged)).quantize(CENT) if charged else tax
        subtotal = amount - share if order["taxes_included"] else amount
        return [{"id": self.store.next_id(), "shipping_line_id": order["shipping_lines"][0]["id"], "amount": amount,
                 "subtotal": subtotal, "tax": share}], []

    def _transactions(self, order: Record, asked: Sequence[Mapping[str, Any]], over: bool
                      ) -> tuple[list[Record], list[Any]]:
        paid = dec(order["total_price"])
        before = sum((dec(t["amount"]) for r in refunds_of(order) for t in r["transactions"]), Decimal(0))
        money: list[Record] = []
        for i, t in enumerate(asked):
            if t.get("kind") != "REFUND" or t.get("orderId") != gid("Order", order["id"]):
                return [], [user_error(["transactions", str(i)], "Transaction must be a refund of this order")]
            money.append({"id": self.store.next_id(), "gateway": t.get("gateway"), "amount": dec(t.get("amount")),
                          "created_at": self.sb.now()})
        total = sum((t["amount"] for t in money), Decimal(0))
        if not over and before + total > paid:
            return [], [user_error(["transactions"], f"Refund amount {total} exceeds the refundable amount "
                                                     f"{paid - before}")]
        return money, []

    def _settle(self, order: Record, now: str) -> None:
        given = sum((dec(t["amount"]) for r in refunds_of(order) for t in r["transactions"]), Decimal(0))
        if given:
            order["financial_status"] = "refunded" if given >= dec(order["total_price"]) else "partially_refunded"
        order["updated_at"] = now
        self.store.put("orders", order)
        self.sb.announce("orders/updated", order)


def _refunded_units(order: Record) -> dict[int, int]:
    done: dict[int, int] = {}
    for refund in refunds_of(order):
        for line in refund["refund_line_items"]:
            done[line["line_item_id"]] = done.get(line["line_item_id"], 0) + int(line["quantity"])
    return done


def _refused(path: list[str], message: str) -> View:
    return {"refund": None, "order": None, "userErrors": [user_error(path, message)]}
