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
    paid_in_full: bool = Field(default=True, description=(
        "Whether the invoice (or order) is settled by what was received so far; False for a partial payment, "
        "which a shop must not mark paid"))
    invoice_amount: Money | None = Field(default=None, description=(
        "What the invoice asks in all, in the payment's currency: with ``amount`` it says how much is still open"))

    @property
    def open_amount(self) -> Money | None:
        """What remains to be paid (None when the invoice's amount is not known)."""
        return None if self.invoice_amount is None else self.invoice_amount - self.amount
