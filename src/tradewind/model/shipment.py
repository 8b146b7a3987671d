"""Shipments: what left the warehouse for an order, with carrier and tracking."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from tradewind.model.address import Address
from tradewind.model.entity import Entity, UtcDateTime
from tradewind.model.identifiers import SKU
from tradewind.model.money import Amount


class ShipmentLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: SKU
    quantity: Amount


class Shipment(Entity):
    """A delivery of (part of) an order. Split shipments are several Shipments of one order."""

    kind: ClassVar[str] = "shipment"

    number: str = Field(description="Delivery note or shipment number in the source")
    order_number: str
    carrier: str | None = None
    service: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    shipped_at: UtcDateTime | None = None
    lines: list[ShipmentLine] = Field(default_factory=list)
    address: Address | None = None
    notify_customer: bool = True
