"""Paid at once, or due in so many days: what an order's payment method means for its invoice.

A webshop's iDEAL, card or PayPal payment is settled before the goods leave, so its invoice is
registered as paid on the day (IEX's "facturen als betaald registreren per betaalmethode"); a bank
transfer, "pay after delivery" (Klarna, Riverty) or a B2B account gets a payment term. The flow's
:class:`PaymentMethods` map decides, by the shop's method name (case and spacing ignored); a method
the map does not name takes the configured default, or is held naming the method, so an unknown
gateway is never booked as paid by guess.

A method's terms may also name what the ERP needs to act on them: ``journal``, the bank (or PSP clearing)
journal where a method paid at once is received (Shopify Payments, Mollie, PayPal each settle into their
own clearing account), and ``condition``, the ERP's payment condition code, when the ERP's conditions
cannot be told apart by their days (Exact's "Direct", "iDEAL betaald" and "PayPal betaald" are all 0 days).

The map is the ``payments:`` block of an ERP connection's ``booking:`` rules (docs/refunds-and-invoices.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tradewind.errors import RecordError


class MethodTerms(BaseModel):
    """One payment method: paid at once, or due ``days`` after the invoice date."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    paid: bool = Field(default=False, description="Settled when the order is placed: register the invoice as paid")
    days: int = Field(default=0, ge=0, description="Payment term in days (for a method not paid at once)")
    journal: str | None = Field(default=None, description="Bank or cash journal (code) where a payment by this "
                                                          "method is booked, e.g. the Shopify Payments or Mollie "
                                                          "clearing account's; required by Exact for paid methods")
    condition: str | None = Field(default=None, description="The ERP's payment condition code for this method; "
                                                            "unset: the ERP's one condition with these days")


class PaymentMethods(BaseModel):
    """The flow's payment-method map, e.g. ``{ideal: {paid: true}, banktransfer: {days: 14}}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    methods: dict[str, MethodTerms] = Field(default_factory=dict, description="Shop payment method → its terms")
    default: MethodTerms | None = Field(default=None, description="For a method the map lacks; unset: such an "
                                                                  "order's invoice is held, naming the method")

    @field_validator("methods")
    @classmethod
    def _normalised(cls, value: dict[str, MethodTerms]) -> dict[str, MethodTerms]:
        normal = {_key(name): terms for name, terms in value.items()}
        if len(normal) != len(value):
            raise ValueError("two payment methods differ only in case or spacing")
        return normal


@dataclass(frozen=True)
class InvoicePayment:
    """What the invoice of an order paid by ``method`` gets: paid on ``paid_on``, or due on ``due_on``."""

    method: str
    paid: bool
    due_on: date
    paid_on: date | None = None
    terms: MethodTerms | None = field(default=None, compare=False)
    """The map's entry that decided (its journal and condition), when one did."""


def invoice_payment(method: str | None, issued_on: date, methods: PaymentMethods, *,
                    paid_on: date | None = None, record: str | None = None) -> InvoicePayment:
    """The terms of an invoice issued on ``issued_on`` for an order paid by ``method``.

    A method paid at once is paid on ``paid_on`` (the shop's payment date), else on the invoice
    date, and due that day. Raises :class:`OrderHeld` naming the method when the map has no entry and
    no default, and :class:`RecordError` when the order names no method at all and there is no default.
    """
    from tradewind.rules.tax import OrderHeld  # tax imports settings, which holds this map: import late

    terms = terms_for(method, methods)
    if terms is None:
        if not method:
            raise RecordError("the order names no payment method and the payment map has no default",
                              field="payments", record=record)
        raise OrderHeld(f"payment method {method!r} is not in the payment map (known: "
                        f"{', '.join(sorted(methods.methods)) or 'none'}) and there is no default",
                        field="payments[0].method", record=record)
    name = method or "default"
    if terms.paid:
        day = paid_on or issued_on
        return InvoicePayment(name, paid=True, due_on=issued_on, paid_on=day, terms=terms)
    return InvoicePayment(name, paid=False, due_on=issued_on + timedelta(days=terms.days), terms=terms)


def terms_for(method: str | None, methods: PaymentMethods) -> MethodTerms | None:
    """The terms of ``method`` (case and spacing ignored), else the default; None when neither."""
    terms = methods.methods.get(_key(method)) if method else None
    return terms if terms is not None else methods.default


def _key(name: str | None) -> str:
    return "".join((name or "").split()).casefold()
