"""Shopify Refund nodes → refunds: the lines given back (by position in the order), shipping,
adjustments and the money, in the order's terms.

A refund of an order the customer paid in another currency than the shop's is in that currency, as its
order is (:mod:`.codec_orders`): every MoneyBag read on its ``presentmentMoney`` side.

``subtotalAmountSet`` of a refunded shipping line excludes tax; when the shop's prices include tax
the canonical shipping amount adds it back, so a refund states shipping the way its order states
prices (as :class:`~tradewind.model.refund.Refund` promises). ``totalRefundedSet`` — the money that went
back — is the refund's total.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from tradewind.connectors.shopify.codec_common import bag_money, blank, fields_named, presentment_side, required_money
from tradewind.connectors.shopify.codec_orders import order_in
from tradewind.errors import RecordError
from tradewind.model import Money
from tradewind.model.refund import Refund, RefundAdjustment, RefundLine, RefundTransaction

_RESTOCKED = {"RETURN", "LEGACY_RESTOCK", "CANCEL"}


def refund_in(node: Mapping[str, Any]) -> Refund:
    """A Refund node, with its order's ``name``, ``currencyCode``, ``taxesIncluded`` and ``lineItemIds``
    under ``order`` (as :func:`~tradewind.connectors.shopify.refunds.refund_records` gives them); the whole
    order node under ``order.node`` and the earlier refunds' nodes under ``earlier``, when given."""
    order = node.get("order") or {}
    whole = order_in(order["node"]) if order.get("node") else None
    earlier = [refund_in({**r, "order": {k: v for k, v in order.items() if k != "node"}})
               for r in node.get("earlier") or []]
    number = str(order.get("name") or "")
    record = f"{number} refund {node.get('id')}"
    side = presentment_side(order)
    currency = str((order.get("presentmentCurrencyCode") if side == "presentmentMoney" else order.get("currencyCode"))
                   or "")
    positions = {line_id: i for i, line_id in enumerate(order.get("lineItemIds") or [])}
    shipping, shipping_tax = _shipping(node, currency, bool(order.get("taxesIncluded")), side)
    with fields_named(record):
        return Refund(
            reference=str(node["id"]), order_number=number, created_at=node.get("createdAt") or node["processedAt"],
            updated_at=node.get("updatedAt"), currency=currency, note=blank(node.get("note")),
            lines=[_line(item, i, positions, record, side) for i, item in enumerate(_nodes(node, "refundLineItems"))],
            shipping=shipping, shipping_tax=shipping_tax,
            adjustments=[RefundAdjustment(reason=str(a.get("reason") or "adjustment").lower(),
                                          amount=required_money(a.get("amountSet"), "adjustments.amount", record,
                                                                side=side),
                                          tax=bag_money(a.get("taxAmountSet"), side))
                         for a in _nodes(node, "orderAdjustments")],
            total=required_money(node.get("totalRefundedSet"), "total", record, side=side),
            transactions=[RefundTransaction(method=t.get("gateway") or "unknown",
                                            amount=required_money(t.get("amountSet"), "transactions.amount", record,
                                                                  side=side),
                                            reference=t.get("id"), processed_at=t.get("processedAt"))
                          for t in _nodes(node, "transactions")
                          if t.get("kind") == "REFUND" and t.get("status") == "SUCCESS"],
            order=whole, earlier=earlier,
        )


def _nodes(node: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    return list((node.get(key) or {}).get("nodes") or [])


def _line(item: Mapping[str, Any], index: int, positions: Mapping[str, int], record: str, side: str) -> RefundLine:
    line = item.get("lineItem") or {}
    sku = blank((line.get("sku") or "").strip())
    if sku is None:
        raise RecordError("the refunded line has no SKU in Shopify", field=f"lines[{index}].sku", record=record)
    position = positions.get(str(line.get("id")))
    return RefundLine(sku=sku, quantity=Decimal(str(item.get("quantity") or 0)), line=position,
                      subtotal=bag_money(item.get("subtotalSet"), side), tax=bag_money(item.get("totalTaxSet"), side),
                      restock=str(item.get("restockType")) in _RESTOCKED)


def _shipping(node: Mapping[str, Any], currency: str, gross: bool, side: str) -> tuple[Money | None, Money | None]:
    lines = _nodes(node, "refundShippingLines")
    if not lines:
        return None, None
    subtotal, tax = Money.zero(currency), Money.zero(currency)
    for line in lines:
        subtotal = subtotal + (bag_money(line.get("subtotalAmountSet"), side) or Money.zero(currency))
        tax = tax + (bag_money(line.get("taxAmountSet"), side) or Money.zero(currency))
    return (subtotal + tax if gross else subtotal), tax
