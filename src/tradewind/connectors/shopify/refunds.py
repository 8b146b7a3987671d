"""Shopify refunds: read from the orders they belong to (``Order.refunds``), one record per refund.

Shopify has no query of refunds by themselves: a refund is read with its order, and creating one
moves the order's ``updatedAt`` (as does every other change of the order). So the resource pages
through orders changed since the cursor, asks each for its refunds, and yields every refund as its
own record (keyed by the refund's GID, its order's name and line item ids alongside for the codec);
a page's cursor is its last order's ``updatedAt``. A refund read again because its order changed
later carries the same content, so the engine's hashes skip it.

Calls: one per :data:`ORDERS_PAGE` orders changed since the cursor. Read-only. An order with more than 25
lines or 5 refunds is read only that far (a limit of this first version, named in docs/refunds-and-invoices.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from tradewind.connectors.base import Found, NativeRecord, Page
from tradewind.connectors.shopify.client import ShopifyClient, since_query
from tradewind.connectors.shopify.common import ShopifyResource, one_of

ORDERS_PAGE = 3
"""Orders per page: each brings up to 5 refunds with their lines, shipping, adjustments and transactions
(about 800 points of query cost requested, under Shopify's single-query limit of 1,000)."""

MONEY = "{ shopMoney { amount currencyCode } }"
REFUND_FIELDS = f"""
fragment RefundFields on Refund {{
  id createdAt processedAt updatedAt note
  totalRefundedSet {MONEY}
  refundLineItems(first: 25) {{
    nodes {{ quantity restockType lineItem {{ id sku }} subtotalSet {MONEY} totalTaxSet {MONEY} }}
  }}
  refundShippingLines(first: 2) {{ nodes {{ subtotalAmountSet {MONEY} taxAmountSet {MONEY} }} }}
  orderAdjustments(first: 3) {{ nodes {{ reason amountSet {MONEY} taxAmountSet {MONEY} }} }}
  transactions(first: 3) {{ nodes {{ id kind status gateway processedAt amountSet {MONEY} }} }}
}}
"""

ORDER_REFUNDS = """
query OrderRefunds($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes {
      id name updatedAt currencyCode taxesIncluded
      lineItems(first: 25) { nodes { id sku } }
      refunds(first: 5) { ...RefundFields }
    }
    pageInfo { hasNextPage endCursor }
  }
}
""" + REFUND_FIELDS
"""Orders changed since a time with their refunds (``updated_at:>='…'``), or those of given names."""

DOCUMENTS = {"ORDER_REFUNDS": ORDER_REFUNDS}
"""Every executable document of this module (validated against Shopify's schema in the tests)."""


class RefundsResource(ShopifyResource):
    """Refunds keyed by their GID; the natural key is the order's name with the refund's id."""

    def pages(self, client: ShopifyClient, since: str | None) -> Iterator[Page]:
        for orders in client.paginate(ORDER_REFUNDS, {"query": since_query(since)}, "orders", ORDERS_PAGE):
            records = [record for order in orders for record in refund_records(order)]
            yield Page(records, cursor=orders[-1].get("updatedAt") if orders else None)

    def find_many(self, client: ShopifyClient, keys: Sequence[Mapping[str, str]]) -> list[Found]:
        """By the refund's id (``reference``) among its order's (``order_number``) refunds."""
        found: list[Found] = []
        for key in keys:
            name, reference = key.get("order_number") or "", key.get("reference") or ""
            matches = []
            for orders in client.paginate(ORDER_REFUNDS, {"query": f'name:"{name}"'}, "orders", 1):
                matches += [r for order in orders if order.get("name") == name for r in refund_records(order)
                            if r.id == reference]
            found.append(one_of(matches))
        return found


def refund_records(order: Mapping[str, Any]) -> list[NativeRecord]:
    """Each refund of an order node as a record, with what the codec needs of its order."""
    context = {key: order.get(key) for key in ("name", "currencyCode", "taxesIncluded")}
    context["lineItemIds"] = [line.get("id") for line in (order.get("lineItems") or {}).get("nodes") or []]
    return [NativeRecord(id=refund["id"], data={**refund, "order": context}, version=refund.get("updatedAt"))
            for refund in order.get("refunds") or []]
