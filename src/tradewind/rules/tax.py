"""VAT arithmetic with one documented rounding rule.

Rounding: amounts that are booked (a line's net amount, its VAT, a gross total) are rounded
half-up to cents, per line, as Dutch and Belgian invoices do. Unit prices derived from gross
prices keep four decimals (:data:`UNIT`), because ERPs such as Exact Online accept them and
``quantity × unit`` then lands on the shop's cents far more often than with a rounded unit.
Rates are percentages (``Decimal("21")``), never fractions.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from tradewind.model import Money

CENT = Decimal("0.01")
UNIT = Decimal("0.0001")
"""Precision kept for unit prices computed from gross prices."""

_HUNDRED = Decimal("100")

COMMON_RATES = tuple(Decimal(r) for r in ("0", "5", "5.5", "6", "7", "9", "10", "12", "13", "19", "20", "21", "22",
                                          "23", "24", "25", "27"))
"""Standard and reduced VAT rates in use in the EU, for snapping a rate computed from cents."""


def _factor(rate: Decimal) -> Decimal:
    return 1 + rate / _HUNDRED


def net_from_gross(amount: Money, rate: Decimal, *, quantum: Decimal = CENT) -> Money:
    """The amount without VAT: ``gross / (1 + rate/100)``, rounded half-up to ``quantum``."""
    return Money(amount=amount.amount / _factor(rate), currency=amount.currency).rounded(quantum)


def gross_from_net(amount: Money, rate: Decimal, *, quantum: Decimal = CENT) -> Money:
    """The amount with VAT: ``net × (1 + rate/100)``, rounded half-up to ``quantum``."""
    return Money(amount=amount.amount * _factor(rate), currency=amount.currency).rounded(quantum)


def vat_of_net(amount: Money, rate: Decimal) -> Money:
    """The VAT on a net line amount, rounded half-up to cents (VAT is computed per line)."""
    return Money(amount=amount.amount * rate / _HUNDRED, currency=amount.currency).rounded(CENT)


def rate_of(tax: Money, net: Money, *, candidates: Iterable[Decimal] = ()) -> Decimal:
    """The VAT rate (percent) that turned ``net`` into ``tax``.

    Cents make the quotient inexact (0.11 on 0.50 is 22%, not 21%), so when ``candidates`` are
    given the candidate whose VAT on ``net`` is within a cent of ``tax`` and closest to the
    quotient wins; otherwise the quotient is rounded half-up to one decimal (5.5% survives).
    A zero net amount has rate 0.
    """
    if tax.currency != net.currency:
        raise ValueError(f"cannot combine {tax.currency} with {net.currency}")
    if net.amount == 0:
        return Decimal("0")
    quotient = tax.amount / net.amount * _HUNDRED
    fitting = [c for c in candidates if abs(vat_of_net(net, c).amount - tax.amount) <= CENT]
    if fitting:
        return min(fitting, key=lambda c: abs(c - quotient))
    rounded = quotient.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return rounded.quantize(Decimal("1")) if rounded == rounded.to_integral_value() else rounded
