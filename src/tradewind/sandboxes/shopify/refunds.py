"""Refunds of orders: ``Order.refunds`` and the ``refundCreate`` mutation.

After https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/refundCreate and
https://shopify.dev/docs/api/admin-graphql/2026-07/objects/Refund (types as in the 2026-07 SDL kept in
../shared/vendor-specs):

* a refund names order lines (``refundLineItems``: line item and quantity, with a restock type),
  shipping (``shipping``: an ``amount``, or ``fullRefund`` for all that is left of it) and the money
  given back (``transactions`` of kind ``REFUND``, each naming the order and gateway);
  ``totalRefundedSet`` is the sum of those transactions, as on Shopify (a refund without
  transactions records returned goods, not money);
* a refund line's ``subtotalSet`` is its share of the line's discounted total and ``totalTaxSet``
  its share of the line's tax, in proportion to the quantity, rounded to the cent so that the shares
  of every unit add up to the line; ``priceSet`` is the unit price;
* a refund shipping line's ``subtotalAmountSet`` excludes tax and ``taxAmountSet`` is the
  shipping tax's share, whether the shop's prices include tax or not;
* refunding more units than are left on a line, more shipping than is left, or (without
  ``allowOverRefunding``) more money than was paid and not yet refunded is a userError and writes
  nothing; an unknown order or line item too (the messages are the sandbox's own: Shopify documents
  the refusals, not their words);
* since 2026-04 ``refundCreate`` needs ``@idempotent(key: "…")`` (the SDL's caution on the field,
  https://shopify.dev/docs/api/usage/idempotent-requests): without one the answer is a top-level
  ``BAD_REQUEST``; a key seen before answers the first result without refunding again;
* an order the customer paid in another currency than the shop's is refunded in that currency:
  ``currency`` "must be the presentment currency … required for orders where the currency and presentment
  currency differ" (``RefundInput``), amounts as the customer was charged, each MoneyBag with both sides;
* the order's financial status becomes ``PARTIALLY_REFUNDED`` or, once all that was paid went back,
  ``REFUNDED``; ``updatedAt`` moves and ``orders/updated`` is sent.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tradewind.sandboxes.shopify.common import Presented, Record, View, gid, money_bag, presented
from tradewind.sandboxes.shopify.paging import connection

if TYPE_CHECKING:
    from tradewind.sandboxes.shopify.sandbox import ShopifySandbox
    from tradewind.sandboxes.shopify.views import Views

CENT = Decimal("0.01")
KEY_SINCE = "2026-04"
"""The version from which ``refundCreate`` requires ``@idempotent``."""


def dec(value: Any) -> Decimal:
    """A REST amount (text, number or nothing) as a Decimal."""
    return Decimal(str(value if value not in (None, "") else 0))


def share(whole: Decimal, part: int, of: int) -> Decimal:
    """``part`` of ``of`` units' ``whole``, to the cent; all of it exactly when every unit is taken."""
    return whole if part == of else (whole * part / of).quantize(CENT) if of else Decimal(0)


def refunds_of(order: Record) -> list[Record]:
    """The order's refunds (a REST order's ``refunds``), kept on the order record."""
    refunds: list[Record] = order.setdefault("refunds", [])
    return refunds


def by_id(record: Record) -> int:
    return 0


class RefundViews:
    """GraphQL views of refunds (the order's ``refunds`` field resolves through these)."""

    def __init__(self, sandbox: ShopifySandbox, views: Views) -> None:
        self.sb = sandbox
        self.views = views

    def of_order(self, order: Record) -> dict[str, Any]:
        return {"refunds": lambda info, first=None: [self.refund(order, r) for r in refunds_of(order)[:first]]}

    def refund(self, order: Record, r: Record) -> View:
        cur = presented(order)
        lines = {li["id"]: li for li in order["line_items"]}
        shipping = {s["id"]: s for s in order["shipping_lines"]}
        total = sum((dec(t["amount"]) for t in r["transactions"]), Decimal(0))
        return {
            "id": gid("Refund", r["id"]), "createdAt": r["created_at"], "processedAt": r["processed_at"],
            "updatedAt": r["created_at"], "note": r.get("note"), "order": lambda info: self.views.order(order),
            "totalRefundedSet": money_bag(total, cur),
            "refundLineItems": lambda info, **a: connection(a, r["refund_line_items"], by_id, lambda x: {
                "id": gid("RefundLineItem", x["id"]), "quantity": x["quantity"],
                "lineItem": self.views.line_item(lines[x["line_item_id"]], cur),
                "restockType": str(x["restock_type"]).upper(), "restocked": x["restock_type"] != "no_restock",
                "priceSet": money_bag(lines[x["line_item_id"]]["price"], cur),
                "subtotalSet": money_bag(x["subtotal"], cur), "totalTaxSet": money_bag(x["total_tax"], cur)}),
            "refundShippingLines": lambda info, **a: connection(a, r["shipping"], by_id, lambda x: {
                "id": gid("RefundShippingLine", x["id"]),
                "shippingLine": _shipping_line(shipping[x["shipping_line_id"]], cur),
                "subtotalAmountSet": money_bag(x["subtotal"], cur), "taxAmountSet": money_bag(x["tax"], cur)}),
            "orderAdjustments": lambda info, **a: connection(a, r["order_adjustments"], by_id, lambda x: {
                "id": gid("OrderAdjustment", x["id"]), "amountSet": money_bag(x["amount"], cur),
                "taxAmountSet": money_bag(x.get("tax_amount", 0), cur), "reason": str(x["reason"]).upper()}),
            "transactions": lambda info, **a: connection(a, r["transactions"], by_id, lambda t: {
                "id": gid("OrderTransaction", t["id"]), "kind": "REFUND", "status": "SUCCESS", "gateway": t["gateway"],
                "amountSet": money_bag(t["amount"], cur), "createdAt": t["created_at"], "processedAt": t["created_at"],
                "test": False}),
        }


def _shipping_line(line: Record, cur: str | Presented) -> View:
    return {"id": gid("ShippingLine", line["id"]), "title": line["title"], "code": line["code"],
            "source": line["source"], "originalPriceSet": money_bag(line["price"], cur),
            "discountedPriceSet": money_bag(line["discounted_price"], cur), "taxLines": []}
