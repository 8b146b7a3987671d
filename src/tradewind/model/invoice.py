"""Invoices and credit notes."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from tradewind.model.address import Address
from tradewind.model.customer import Customer
from tradewind.model.entity import Entity, UtcDateTime
from tradewind.model.identifiers import SKU
from tradewind.model.money import Amount, Money


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    PAID = "paid"
    CANCELLED = "cancelled"


class InvoiceLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: SKU | None = None
    description: str
    quantity: Amount
    unit_price: Money
    vat_rate: Amount | None = None
    vat_code: str | None = None
    tax: Money | None = None
    net_amount: Money


class Invoice(Entity):
    """A sales invoice; a negative total with ``is_credit_note`` is a credit note."""

    kind: ClassVar[str] = "invoice"

    number: str
    order_number: str | None = None
    customer: Customer
    issued_on: date
    due_on: date | None = None
    currency: str
    lines: list[InvoiceLine] = Field(min_length=1)
    billing_address: Address | None = None
    subtotal: Money
    tax_total: Money
    total: Money
    status: InvoiceStatus = InvoiceStatus.OPEN
    is_credit_note: bool = False
    credits_invoice: str | None = Field(default=None, description="Number of the invoice a credit note corrects")
    updated_at: UtcDateTime | None = None
