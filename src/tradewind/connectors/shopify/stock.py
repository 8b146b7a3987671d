"""Stock written with compare-and-swap, as ``inventorySetQuantities`` requires from Admin API 2026-04.

Since 2026-04 every quantity carries ``changeFromQuantity`` and the mutation ``@idempotent(key:)``
(https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/inventorySetQuantities,
https://shopify.dev/docs/apps/build/orders-fulfillment/inventory-management-apps/manage-quantities-states#compare-and-swap,
https://shopify.dev/docs/api/usage/implementing-idempotency). Here:

* ``changeFromQuantity`` is the ``available`` quantity this connection last read or wrote for the
  level: levels the engine looked up (``find_many``) and levels written are remembered per
  connection (one run); a level not known yet is read first, so nothing is overwritten blindly;
* ``CHANGE_FROM_QUANTITY_STALE`` (the shop sold or counted meanwhile) re-reads those levels and
  sends them once more; a second conflict fails the record, to be tried again on a later run;
* the idempotency key digests the quantities sent with a nonce of the connection: a call retried
  after a lost answer carries the same key, so Shopify applies it once, while a later run (another
  connection) sending the same values is a new operation, as Shopify's "distinct requests need
  different keys" asks.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from tradewind.connectors.base import NativeRecord, Write
from tradewind.connectors.shopify import queries
from tradewind.connectors.shopify.client import ShopifyClient

STALE = "CHANGE_FROM_QUANTITY_STALE"
_KNOWN = "stock_available"
_NONCE = "idempotency_nonce"


def known(client: ShopifyClient) -> dict[str, int | None]:
    """Level id (``<item>|<location>``) → its ``available`` quantity as last read or written
    (None: the item is not stocked there, so there is nothing to compare)."""
    levels: dict[str, int | None] = client.cache.setdefault(_KNOWN, {})
    return levels


def remember(client: ShopifyClient, record: NativeRecord) -> None:
    """Keep the ``available`` quantity of a level read from the shop."""
    quantities = {q.get("name"): q.get("quantity") for q in record.data.get("quantities") or []}
    available = quantities.get("available")
    known(client)[record.id] = None if available is None else int(available)


def quantity(write: Write, last: int | None) -> dict[str, Any]:
    """One ``InventoryQuantityInput``: the quantity to set, and the one it replaces."""
    item, _, location = str(write.native_id).partition("|")
    return {"inventoryItemId": item, "locationId": location, "quantity": int(write.native["quantity"]),
            "changeFromQuantity": last}


def set_quantities(client: ShopifyClient, quantities: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One ``inventorySetQuantities`` call; its payload. Marked idempotent: it sets absolute values
    under compare-and-swap and carries a key, so a lost answer may be sent again."""
    change = {"name": "available", "reason": "correction", "quantities": [dict(q) for q in quantities]}
    data = client.execute(queries.INVENTORY_SET, {"input": change, "key": idempotency_key(client, change)},
                          idempotent=True)
    payload = data.get("inventorySetQuantities") or {}
    return dict(payload)


def idempotency_key(client: ShopifyClient, change: Mapping[str, Any]) -> str:
    """A key stable for one call and its retries, distinct between connections (runs)."""
    nonce: str = client.cache.setdefault(_NONCE, uuid.uuid4().hex)
    digest = hashlib.sha256(json.dumps(change, sort_keys=True).encode()).hexdigest()
    return f"tradewind-{nonce[:16]}-{digest[:32]}"


def wrote(client: ShopifyClient, quantities: Sequence[Mapping[str, Any]]) -> None:
    """Remember what a successful call set: the next write of these levels compares against it."""
    levels = known(client)
    for q in quantities:
        levels[f"{q['inventoryItemId']}|{q['locationId']}"] = int(q["quantity"])


def stale_positions(payload: Mapping[str, Any]) -> set[int]:
    """Positions in ``quantities`` that Shopify refused as a compare conflict."""
    positions = set()
    for error in payload.get("userErrors") or []:
        path = [str(p) for p in error.get("field") or []]
        if error.get("code") == STALE and "quantities" in path:
            rest = path[path.index("quantities") + 1:]
            if rest and rest[0].isdigit():
                positions.add(int(rest[0]))
    return positions
