"""Inventory levels ⇄ StockLevel: named quantities read, the ``available`` quantity written."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradewind.connectors.base import Refs
from tradewind.connectors.shopify.codec_common import fields_named
from tradewind.errors import RecordError
from tradewind.model import StockLevel

QUANTITY_NAMES = ("available", "on_hand", "committed", "incoming")


def stock_in(data: Mapping[str, Any]) -> StockLevel:
    """A stock record as the stock resource builds it: SKU, location code and named quantities."""
    quantities = {q["name"]: q["quantity"] for q in data.get("quantities") or []}
    sku = str(data.get("sku") or "")
    with fields_named(sku):
        return StockLevel(
            sku=sku, location=str(data.get("location") or "default"), on_hand=quantities.get("on_hand", 0),
            reserved=quantities.get("committed", 0), incoming=quantities.get("incoming", 0),
            available=quantities.get("available"),
        )


def stock_out(level: StockLevel, refs: Refs) -> dict[str, Any]:
    """The ``available`` quantity to set: ``available`` when known, else on hand minus reserved."""
    quantity = level.available if level.available is not None else level.on_hand - level.reserved
    if quantity != quantity.to_integral_value():
        raise RecordError(f"Shopify counts whole units; {quantity} is not one", field="available", record=level.sku)
    return {"sku": level.sku, "location": level.location, "quantity": int(quantity)}
