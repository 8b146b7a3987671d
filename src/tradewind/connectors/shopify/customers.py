"""Shopify customers: read since a time, found by e-mail, read by GID, created and updated one call each."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

from tradewind.connectors.base import Found, NativeRecord, Page
from tradewind.connectors.shopify import queries
from tradewind.connectors.shopify.client import ShopifyClient, any_of, dig, since_query
from tradewind.connectors.shopify.common import ShopifyResource, batches, last_version, one_of
from tradewind.errors import RejectedByTarget


class CustomersResource(ShopifyResource):
    """Customers keyed by e-mail address."""

    by_id: ClassVar[tuple[str, str, int] | None] = ("customer", queries.CUSTOMER_FIELDS, queries.CUSTOMERS_PAGE)

    def pages(self, client: ShopifyClient, since: str | None) -> Iterator[Page]:
        for nodes in client.paginate(queries.CUSTOMERS, {"query": since_query(since)}, "customers",
                                     queries.CUSTOMERS_PAGE):
            records = [self.record(client, node) for node in nodes]
            yield Page(records, cursor=last_version(records))

    def find_many(self, client: ShopifyClient, keys: Sequence[Mapping[str, str]]) -> list[Found]:
        """By e-mail (case-insensitive); several customers with one address are :class:`Ambiguous`."""
        emails = [(k.get("email") or "").strip().lower() for k in keys]
        found: dict[str, list[NativeRecord]] = defaultdict(list)
        for batch in batches([e for e in emails if e], queries.KEYS_PER_LOOKUP):
            for nodes in client.paginate(queries.CUSTOMERS, {"query": any_of("email", batch)}, "customers",
                                         len(batch)):
                for node in nodes:
                    email = (dig(node, "defaultEmailAddress.emailAddress") or "").strip().lower()
                    if email in batch:
                        found[email].append(self.record(client, node))
        return [one_of(found.get(e, [])) if e else None for e in emails]

    def create(self, client: ShopifyClient, native: dict[str, Any]) -> NativeRecord:
        payload = _keyed(lambda: client.mutate(queries.CUSTOMER_CREATE, {"input": native}, "customerCreate"),
                         native.get("email"))
        return self.record(client, payload["customer"])

    def update(self, client: ShopifyClient, native_id: str, native: dict[str, Any]) -> NativeRecord:
        variables = {"input": {**native, "id": native_id}}
        payload = _keyed(lambda: client.mutate(queries.CUSTOMER_UPDATE, variables, "customerUpdate", idempotent=True),
                         native.get("email"))
        return self.record(client, payload["customer"])


def _keyed(call: Callable[[], dict[str, Any]], key: str | None) -> dict[str, Any]:
    try:
        return call()
    except RejectedByTarget as error:
        error.record = error.record or key
        raise
