"""Orders: lines, discounts, shipping, payments, VAT per line, status and stage."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tradewind.model.address import Address
from tradewind.model.customer import Customer
from tradewind.model.entity import Entity, UtcDateTime
from tradewind.model.identifiers import SKU
from tradewind.model.money import Amount, Money


class FinancialStatus(StrEnum):
    PENDING = "pending"
    AUTHORIZED = "authorized"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"


class FulfillmentStatus(StrEnum):
    UNFULFILLED = "unfulfilled"
    PARTIAL = "partial"
    FULFILLED = "fulfilled"


class OrderStage(StrEnum):
    """Where the order is in its life, whatever system it lives in."""

    OPEN = "open"
    CONFIRMED = "confirmed"
    PARTIALLY_DELIVERED = "partially_delivered"
    DELIVERED = "delivered"
    INVOICED = "invoiced"
    CANCELLED = "cancelled"


class TaxLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rate: Amount = Field(description="Percent, e.g. 21")
    amount: Money
    title: str | None = None


class OrderLine(BaseModel):
    """One ordered article. ``unit_price`` before discount; VAT as the shop computed it."""

    model_config = ConfigDict(extra="forbid")

    sku: SKU
    title: str | None = None
    quantity: Amount
    unit_price: Money
    discount: Money | None = Field(default=None, description="Discount on the whole line")
    vat_rate: Amount | None = None
    tax: Money | None = None

    @property
    def net_total(self) -> Money:
        gross = self.unit_price * self.quantity
        return gross - self.discount if self.discount else gross


class Discount(BaseModel):
    """An order-level discount (a code or an automatic discount)."""

    model_config = ConfigDict(extra="forbid")

    code: str | None = None
    title: str | None = None
    amount: Money


class ShippingLine(BaseModel):
    """A shipping method the buyer chose and its price: ``title`` as shown at checkout (``PostNL``), ``code``
    the carrier's or app's code for it (``POSTNL``) — what a value map translates into the ERP's method."""

    model_config = ConfigDict(extra="forbid")

    title: str
    code: str | None = None
    price: Money
    vat_rate: Amount | None = None
    tax: Money | None = None


class PaymentInfo(BaseModel):
    """A payment made on the order in the shop (gateway, amount)."""

    model_config = ConfigDict(extra="forbid")

    method: str = Field(description="Gateway or payment method name, e.g. 'ideal', 'paypal'")
    amount: Money
    reference: str | None = None
    paid_at: UtcDateTime | None = None


class Order(Entity):
    """A sales order as placed in a shop or portal. ``number`` is the shop's order number."""

    kind: ClassVar[str] = "order"

    number: str = Field(description="The order number customers see (e.g. #1001); the ERP keeps it in its reference")
    created_at: UtcDateTime
    updated_at: UtcDateTime | None = None
    currency: str
    customer: Customer
    lines: list[OrderLine] = Field(min_length=1)
    discounts: list[Discount] = Field(default_factory=list)
    shipping_lines: list[ShippingLine] = Field(default_factory=list)
    payments: list[PaymentInfo] = Field(default_factory=list)
    billing_address: Address | None = None
    shipping_address: Address | None = None
    prices_include_vat: bool = False
    subtotal: Money | None = None
    tax_total: Money | None = None
    total: Money
    exchange_rate: Amount | None = Field(
        default=None, description="Units of the shop's own currency per unit of ``currency``, when the order is "
                                  "in the customer's (presentment) currency: shop money ÷ presentment money")
    financial_status: FinancialStatus = FinancialStatus.PENDING
    fulfillment_status: FulfillmentStatus = FulfillmentStatus.UNFULFILLED
    stage: OrderStage = OrderStage.OPEN
    note: str | None = None
    tags: list[str] = Field(default_factory=list)
    payment_terms: str | None = Field(
        default=None, description="The payment terms the shop agreed with the buyer (a B2B order's 'Net 30'), "
                                  "the key a value map translates into the ERP's payment condition")
    payment_due_days: int | None = Field(default=None, ge=0, description="Days after issue the payment is due")

    def _amounts(self) -> list[Money]:
        """Every amount the order carries: totals, lines, discounts, shipping and payments."""
        amounts = [self.total, self.subtotal, self.tax_total]
        for line in self.lines:
            amounts += [line.unit_price, line.discount, line.tax]
        amounts += [discount.amount for discount in self.discounts]
        for shipping in self.shipping_lines:
            amounts += [shipping.price, shipping.tax]
        amounts += [payment.amount for payment in self.payments]
        return [money for money in amounts if money is not None]

    @model_validator(mode="after")
    def _one_currency(self) -> Order:
        odd = sorted({m.currency for m in self._amounts() if m.currency != self.currency})
        if odd:
            raise ValueError(f"order {self.number} is in {self.currency} but has amounts in {', '.join(odd)}")
        return self

    @property
    def discount_total(self) -> Money:
        total = Money.zero(self.currency)
        for discount in self.discounts:
            total = total + discount.amount
        return total

    @property
    def shipping_method(self) -> str | None:
        """The first shipping line's code, else its title: the key a value map translates."""
        first = next(iter(self.shipping_lines), None)
        return (first.code or first.title) if first else None

    @property
    def payment_method(self) -> str | None:
        """The first payment's method (the shop's gateway, e.g. ``mollie``): the key a value map translates."""
        return self.payments[0].method if self.payments else None

    @property
    def delivery_address(self) -> Address | None:
        """Where the goods go: the shipping address, else the billing address."""
        return self.shipping_address or self.billing_address

    @property
    def quantity_total(self) -> Decimal:
        return sum((line.quantity for line in self.lines), Decimal("0"))
