"""Payments received and refunds (credits) given."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from tradewind.model.entity import Entity, UtcDateTime
from tradewind.model.money import Money


class PaymentKind(StrEnum):
    PAYMENT = "payment"
    REFUND = "refund"


class Payment(Entity):
    """Money moving for an order or invoice; refunds are credits of a payment."""

    kind: ClassVar[str] = "payment"

    reference: str = Field(description="The payment provider's or bank's transaction reference")
    type: PaymentKind = PaymentKind.PAYMENT
    amount: Money
    method: str | None = None
    order_number: str | None = None
    invoice_number: str | None = None
    paid_at: UtcDateTime
