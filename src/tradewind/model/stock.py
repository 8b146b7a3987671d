"""Stock levels per SKU and location."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from pydantic import Field

from tradewind.model.entity import Entity
from tradewind.model.identifiers import SKU
from tradewind.model.money import Amount


class StockLevel(Entity):
    """Quantities of one SKU at one location (warehouse, store)."""

    kind: ClassVar[str] = "stock"

    sku: SKU
    location: str = Field(default="default", description="Warehouse or location code in the source")
    on_hand: Amount = Decimal("0")
    reserved: Amount = Decimal("0")
    incoming: Amount = Decimal("0")
    available: Amount | None = Field(
        default=None, description="Free to sell; when the source does not say, rules.stock computes it"
    )
