"""Shopify refunds: read from the orders they belong to (``Order.refunds``), one record per refund.

Shopify has no query of refunds by themselves: a refund is read with its order, and creating one
moves the order's ``updatedAt`` (as does every other change of the order). So the resource pages
through orders changed since the cursor, asks each for its refunds, and yields every refund as its
own record (keyed by the refund's GID, its order's name and line item ids alongside for the codec);
a page's cursor is its last order's ``updatedAt``. A credit note reverses the order's booking, so each
refund carries its whole order (read by name, one call per page of orders that have refunds) and the
order's earlier refunds (already in the answer). A refund read again because its order changed
later carries the same content, so the engine's hashes skip it.

Calls: one per :data:`ORDERS_PAGE` orders changed since the cursor, and one more when some have refunds.
Read-only. An order with more than 25 lines or 5 refunds is read only that far (a limit of this first version,
named in docs/refunds-and-invoices.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from tradewind.connectors.base import Found, NativeRecord, Page
from tradewind.connectors.shopify import queries
from tradewind.connectors.shopify.client import ShopifyClient, any_of, since_query
from tradewind.connectors.shopify.common import ShopifyResource, batches, one_of

ORDERS_PAGE = 3
"""Orders per page: each brings up to 5 refunds with their lines, shipping, adjustments and transactions
(about 800 points of query cost requested, under Shopify's single-query limit of 1,000)."""

MONEY = "{ shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }"
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
      id name updatedAt currencyCode presentmentCurrencyCode taxesIncluded
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
            full = full_orders(client, [str(o["name"]) for o in orders if o.get("refunds")])
            records = [record for order in orders for record in refund_records(order, full.get(str(order.get("name"))))]
            yield Page(records, cursor=orders[-1].get("updatedAt") if orders else None)

    def find_many(self, client: ShopifyClient, keys: Sequence[Mapping[str, str]]) -> list[Found]:
        """By the refund's id (``reference``) among its order's (``order_number``) refunds."""
        found: list[Found] = []
        for key in keys:
            name, reference = key.get("order_number") or "", key.get("reference") or ""
            matches = []
            for orders in client.paginate(ORDER_REFUNDS, {"query": f'name:"{name}"'}, "orders", 1):
                full = full_orders(client, [name]) if orders else {}
                matches += [r for order in orders if order.get("name") == name
                            for r in refund_records(order, full.get(name)) if r.id == reference]
            found.append(one_of(matches))
        return found


def full_orders(client: ShopifyClient, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Order nodes by name, as the orders resource reads them (all lines): one call per five names."""
    found: dict[str, dict[str, Any]] = {}
    for batch in batches(sorted(set(names)), queries.ORDERS_PAGE):
        for nodes in client.paginate(queries.ORDERS, {"query": any_of("name", batch)}, "orders", len(batch)):
            for node in nodes:
                if node.get("name") in batch:
                    client.complete(node, "lineItems", queries.ORDER_LINES_REST, "order.lineItems")
                    found[node["name"]] = node
    return found


def refund_records(order: Mapping[str, Any], full: Mapping[str, Any] | None = None) -> list[NativeRecord]:
    """Each refund of an order node as a record, with what the codec needs of its order, the whole order
    (``full``, when read) and the refunds made before it (``earlier``, oldest first)."""
    context: dict[str, Any] = {key: order.get(key) for key in ("name", "currencyCode", "presentmentCurrencyCode",
                                                               "taxesIncluded")}
    context["lineItemIds"] = [line.get("id") for line in (order.get("lineItems") or {}).get("nodes") or []]
    refunds = sorted(order.get("refunds") or [], key=lambda r: (str(r.get("createdAt") or ""), str(r["id"])))
    whole = {**context, "node": full} if full is not None else context
    return [NativeRecord(id=refund["id"], data={**refund, "order": whole, "earlier": refunds[:i]},
                         version=refund.get("updatedAt")) for i, refund in enumerate(refunds)]
