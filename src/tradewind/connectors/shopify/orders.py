"""Shopify orders: read since a time with their lines, found by name (``#1001``), read by GID."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

from tradewind.connectors.base import Found, NativeRecord, Page
from tradewind.connectors.shopify import queries
from tradewind.connectors.shopify.client import ShopifyClient, any_of, since_query
from tradewind.connectors.shopify.common import ShopifyResource, batches, last_version, one_of


class OrdersResource(ShopifyResource):
    """Orders keyed by their name (``#1001``); each page's cursor is its last order's ``updatedAt``."""

    by_id: ClassVar[tuple[str, str, int] | None] = ("order", queries.ORDER_FIELDS, queries.ORDERS_PAGE)

    def record(self, client: ShopifyClient, node: dict[str, Any]) -> NativeRecord:
        client.complete(node, "lineItems", queries.ORDER_LINES_REST, "order.lineItems")
        return super().record(client, node)

    def pages(self, client: ShopifyClient, since: str | None) -> Iterator[Page]:
        for nodes in client.paginate(queries.ORDERS, {"query": since_query(since)}, "orders", queries.ORDERS_PAGE):
            records = [self.record(client, node) for node in nodes]
            yield Page(records, cursor=last_version(records))

    def find_many(self, client: ShopifyClient, keys: Sequence[Mapping[str, str]]) -> list[Found]:
        """By name (``#1001``); several orders with one name are :class:`Ambiguous`."""
        numbers = [k.get("number") or "" for k in keys]
        found: dict[str, list[NativeRecord]] = defaultdict(list)
        for batch in batches([n for n in numbers if n], queries.ORDERS_PAGE):
            for nodes in client.paginate(queries.ORDERS, {"query": any_of("name", batch)}, "orders", len(batch)):
                for node in nodes:
                    if node.get("name") in batch:
                        found[node["name"]].append(self.record(client, node))
        return [one_of(found.get(n, [])) if n else None for n in numbers]
