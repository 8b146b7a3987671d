"""Marking an order paid in the Shopify sandbox: when Shopify allows it, what it leaves behind, and the two
fields that say so on an order (``canMarkAsPaid``, ``totalOutstandingSet``).

After https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/orderMarkAsPaid and the ``Order`` object's
field docs in the 2026-07 schema (``/work/shared/vendor-specs/shopify/admin-2026-07.graphql``):

* "An order can be marked as paid only if it has a positive outstanding balance and its financial status
  isn't already ``PAID``. The mutation will either create a new sale transaction for the full outstanding
  amount or capture an existing authorized transaction";
* ``canMarkAsPaid``: "Returns ``false`` if the order is already paid, is canceled, has pending Shopify
  Payments transactions, or has a negative payment amount";
* ``displayFinancialStatus`` ``PAID``: "Payment was automatically or manually captured, or the order was
  marked as paid".

The outstanding balance is the total less the successful sales and captures (refunds are given back from
what was paid, so a refunded order has none outstanding). The refusal's wording is **[uncertain]**: the
mutation's page shows no example of it.
"""

from __future__ import annotations

from decimal import Decimal

from tradewind.sandboxes.shopify.common import Record

REFUSED = "Order cannot be marked as paid."
"""The userError of an order Shopify does not allow to mark paid (**[uncertain]** wording)."""
_SETTLED = ("paid", "refunded", "partially_refunded", "voided")


def outstanding(order: Record) -> Decimal:
    """The total less what successful sales and captures took (never below zero)."""
    taken = sum((Decimal(str(t.get("amount") or 0)) for t in order["transactions"]
                 if t.get("kind") in ("sale", "capture") and t.get("status") == "success"), Decimal(0))
    return max(Decimal(str(order["total_price"])) - taken, Decimal(0))


def can_mark_as_paid(order: Record) -> bool:
    """Shopify's ``canMarkAsPaid`` (see the module docstring)."""
    pending_gateway = any(t.get("status") == "pending" and t.get("gateway") == "shopify_payments"
                          for t in order["transactions"])
    return (order.get("cancelled_at") is None and order.get("financial_status") not in _SETTLED
            and not pending_gateway and outstanding(order) > 0)
