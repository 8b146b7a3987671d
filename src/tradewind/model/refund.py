"""Refunds: what a shop gave back on an order — lines with quantities, shipping, adjustments, money.

A refund is its own record (a shop refunds an order several times, partly each time), kept apart
from the order so that each partial refund becomes one credit note. Amounts are stated the way the
order states its prices (``prices_include_vat``: gross, else net); ``total`` is the money that went
back to the customer, VAT included.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tradewind.model.entity import Entity, UtcDateTime
from tradewind.model.identifiers import SKU
from tradewind.model.money import Amount, Money
from tradewind.model.order import Order


class RefundLine(BaseModel):
    """Part of one order line given back: ``line`` is the order line's position (0-based), which
    tells two lines of one SKU apart; without it the SKU finds the line."""

    model_config = ConfigDict(extra="forbid")

    sku: SKU
    quantity: Amount = Field(gt=0)
    line: int | None = Field(default=None, ge=0, description="Position of the refunded line in the order's lines")
    subtotal: Money | None = Field(default=None, description="What the shop refunded for it, after discounts")
    tax: Money | None = None
    restock: bool = False


class RefundAdjustment(BaseModel):
    """An amount refunded on the order as a whole, not on a line (a refund discrepancy, a goodwill gesture)."""

    model_config = ConfigDict(extra="forbid")

    reason: str
    amount: Money
    tax: Money | None = None


class RefundTransaction(BaseModel):
    """Money moved back to the customer by one gateway."""

    model_config = ConfigDict(extra="forbid")

    method: str
    amount: Money
    reference: str | None = None
    processed_at: UtcDateTime | None = None


class Refund(Entity):
    """One refund of a shop order. ``reference`` is the shop's id for it, unique per shop."""

    kind: ClassVar[str] = "refund"

    reference: str = Field(description="The shop's id of the refund")
    order_number: str = Field(description="The refunded order's number (e.g. #1001)")
    created_at: UtcDateTime
    currency: str
    lines: list[RefundLine] = Field(default_factory=list)
    shipping: Money | None = Field(default=None, description="Shipping refunded, as the order states prices")
    shipping_tax: Money | None = None
    adjustments: list[RefundAdjustment] = Field(default_factory=list)
    total: Money = Field(description="Money returned to the customer, VAT included")
    tax_total: Money | None = None
    transactions: list[RefundTransaction] = Field(default_factory=list)
    note: str | None = None
    updated_at: UtcDateTime | None = None
    order: Order | None = Field(default=None, description="The refunded order as the shop holds it: a credit note "
                                "reverses the order's booking, composed again from it by the same rules")
    earlier: list[Refund] = Field(default_factory=list, description="The order's refunds made before this one, "
                                  "oldest first: a credit note credits what they have not")

    @model_validator(mode="after")
    def _one_currency(self) -> Refund:
        amounts = [self.total, self.tax_total, self.shipping, self.shipping_tax]
        amounts += [m for line in self.lines for m in (line.subtotal, line.tax)]
        amounts += [m for a in self.adjustments for m in (a.amount, a.tax)]
        amounts += [t.amount for t in self.transactions]
        odd = sorted({m.currency for m in amounts if m is not None and m.currency != self.currency})
        if odd:
            raise ValueError(f"refund {self.reference} of {self.order_number} is in {self.currency} but has "
                             f"amounts in {', '.join(odd)}")
        if self.total.amount < 0:
            raise ValueError(f"refund {self.reference} of {self.order_number} gives back a negative total "
                             f"({self.total})")
        return self
