"""Prices: an amount for one SKU in one price list."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

from pydantic import Field

from tradewind.model.entity import Entity
from tradewind.model.identifiers import SKU
from tradewind.model.money import Amount, Money


class Price(Entity):
    """The selling price of a SKU. ``includes_vat`` says whether ``amount`` is gross."""

    kind: ClassVar[str] = "price"

    sku: SKU
    price_list: str = Field(default="default", description="Price list code; 'default' is the general list")
    amount: Money
    includes_vat: bool = False
    vat_rate: Amount | None = None
    min_quantity: Amount = Decimal("1")
    valid_from: date | None = None
    valid_until: date | None = None
    customer_reference: str | None = Field(default=None, description="Set for a customer-specific price")
