"""Totals as the target ERP computes them, and the cents difference with the shop made visible.

How ERPs compute VAT on a sales order (:class:`~tradewind.rules.settings.VatMethod`):

* **Exact Online: per line.** Each sales order line has its own ``VATCode`` and ``VATPercentage``,
  "the percentage at the moment the sales order is created. It's also used for the default calculation
  of VAT amounts and VAT base amounts", and its own ``VATAmount`` ("VAT amount in the currency of the
  transaction") beside its net ``AmountFC`` (Exact's field reference
  ``HlpRestAPIResourcesDetails.aspx?name=SalesOrderSalesOrderLines``, as copied in picqer/exact-php-client
  ``src/Picqer/Financials/Exact/SalesOrderLine.php``); the sales entry lines document the same for
  invoices: ``VATAmountFC`` "Use this property to specify a VAT amount that differs from the VAT amount
  that is automatically calculated" (``…?name=SalesEntrySalesEntryLines``). So VAT is computed per line
  from the line's net amount, rounded to cents, and the order's VAT is the sum of the lines' VAT.
* Others compute per rate on the total (Moneybird: "de btw per factuur berekend", help.moneybird.nl
  article 103000083692): ``PER_RATE``. Each connector declares its method; ``BookingRules.vat_method`` overrides it.

A line's net amount is ``quantity × unit price − discount`` rounded to cents with the configured
:class:`~tradewind.rules.settings.RoundingMode`. The booking is then compared with the shop's total:
within the tolerance the difference goes on one rounding line at 0% VAT (so the line is exactly the
difference); beyond it, or without a rounding article, the order is held or booked as a draft with
both totals in the reason. Never a silently different amount.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from tradewind.model import Money
from tradewind.rules.settings import BookingRules, OnDifference, RoundingMode, VatKind, VatMethod
from tradewind.rules.tax import CENT, OrderHeld

_HUNDRED = Decimal(100)


class LineRole(StrEnum):
    ARTICLE = "article"
    DISCOUNT = "discount"
    SHIPPING = "shipping"
    ROUNDING = "rounding"
    ADJUSTMENT = "adjustment"
    """A refund's order-level adjustment (:mod:`tradewind.rules.refunds`), on ``adjustment_item``."""


@dataclass(frozen=True)
class BookingLine:
    """One line as the ERP books it: net unit price, whole-line discount (net), VAT rate and code."""

    sku: str
    description: str
    quantity: Decimal
    unit_price: Money
    vat_rate: Decimal
    vat_code: str
    kind: VatKind
    role: LineRole = LineRole.ARTICLE
    discount: Money | None = None
    source: str = ""

    def amount(self, mode: RoundingMode = RoundingMode.HALF_UP) -> Money:
        """``quantity × unit price − discount``, rounded to cents: the net amount the ERP books."""
        gross = self.unit_price.amount * self.quantity
        net = gross - (self.discount.amount if self.discount else Decimal(0))
        return Money(amount=net.quantize(CENT, rounding=mode.decimal), currency=self.unit_price.currency)


@dataclass(frozen=True)
class Totals:
    """A booking's totals as the ERP shows them."""

    net: Money
    vat: Money
    vat_by_rate: dict[Decimal, Money]

    @property
    def total(self) -> Money:
        return self.net + self.vat


def erp_totals(lines: Sequence[BookingLine], method: VatMethod, mode: RoundingMode, currency: str) -> Totals:
    """Net, VAT (per rate) and total of ``lines`` the way an ERP with ``method`` computes them."""
    net: dict[Decimal, Decimal] = {}
    vat: dict[Decimal, Decimal] = {}
    for line in lines:
        amount = line.amount(mode).amount
        net[line.vat_rate] = net.get(line.vat_rate, Decimal(0)) + amount
        if method is VatMethod.PER_LINE:
            vat[line.vat_rate] = vat.get(line.vat_rate, Decimal(0)) + _vat(amount, line.vat_rate, mode)
    if method is VatMethod.PER_RATE:
        vat = {rate: _vat(amount, rate, mode) for rate, amount in net.items()}
    by_rate = {rate: Money(amount=amount, currency=currency) for rate, amount in vat.items()}
    return Totals(net=Money(amount=sum(net.values(), Decimal(0)), currency=currency),
                  vat=Money(amount=sum(vat.values(), Decimal(0)), currency=currency), vat_by_rate=by_rate)


def _vat(amount: Decimal, rate: Decimal, mode: RoundingMode) -> Decimal:
    return (amount * rate / _HUNDRED).quantize(CENT, rounding=mode.decimal)


@dataclass(frozen=True)
class Settlement:
    """The lines to book (with the rounding line, if any), their totals, and what was decided."""

    lines: list[BookingLine]
    totals: Totals
    difference: Money
    vat_difference: Money | None
    draft: bool = False
    reason: str | None = None


def settle(lines: list[BookingLine], *, shop_total: Money, shop_vat: Money | None, rules: BookingRules,
           method: VatMethod, rounding_code: str | None, record: str | None = None) -> Settlement:
    """Compare ``lines`` with the shop's totals and book the difference (see the module docstring).

    ``rounding_code`` is the VAT code of the rounding line (a 0% code). Raises :class:`OrderHeld`
    when the difference is not booked and the flow holds such orders.
    """
    currency = shop_total.currency
    totals = erp_totals(lines, method, rules.rounding, currency)
    difference = shop_total - totals.total
    vat_difference = shop_vat - totals.vat if shop_vat is not None else None
    problem = _problem(difference, vat_difference, totals, shop_total, shop_vat, rules, rounding_code)
    if problem is not None:
        if rules.on_difference is OnDifference.HOLD:
            raise OrderHeld(problem, field="total", record=record)
        return Settlement(list(lines), totals, difference, vat_difference, draft=True, reason=problem)
    if difference.amount == 0:
        return Settlement(list(lines), totals, difference, vat_difference)
    assert rules.rounding_item is not None and rounding_code is not None  # _problem checked both
    rounding = BookingLine(sku=rules.rounding_item, description="Rounding difference", quantity=Decimal(1),
                           unit_price=difference, vat_rate=Decimal(0), vat_code=rounding_code,
                           kind=VatKind.DOMESTIC, role=LineRole.ROUNDING, source="total")
    booked = [*lines, rounding]
    return Settlement(booked, erp_totals(booked, method, rules.rounding, currency), difference, vat_difference)


def _problem(difference: Money, vat_difference: Money | None, totals: Totals, shop_total: Money,
             shop_vat: Money | None, rules: BookingRules, rounding_code: str | None) -> str | None:
    both = (f"the shop's total is {shop_total}, the booking's {totals.total}"
            + (f"; VAT {shop_vat} in the shop, {totals.vat} booked" if shop_vat is not None else ""))
    if abs(difference.amount) > rules.tolerance:
        return f"difference {difference} exceeds the tolerance of {rules.tolerance}: {both}"
    if vat_difference is not None and abs(vat_difference.amount) > rules.tolerance:
        return f"VAT difference {vat_difference} exceeds the tolerance of {rules.tolerance}: {both}"
    if difference.amount != 0 and (rules.rounding_item is None or rounding_code is None):
        return f"difference {difference} and no rounding_item (or 0% VAT code) to book it on: {both}"
    return None

