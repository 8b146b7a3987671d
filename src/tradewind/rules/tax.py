"""VAT arithmetic with one documented rounding rule.

Rounding: amounts that are booked (a line's net amount, its VAT, a gross total) are rounded
half-up to cents, per line, as Dutch and Belgian invoices do. Unit prices derived from gross
prices keep four decimals (:data:`UNIT`), because ERPs such as Exact Online accept them and
``quantity × unit`` then lands on the shop's cents far more often than with a rounded unit.
Rates are percentages (``Decimal("21")``), never fractions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from stdnum.eu import vat
from stdnum.exceptions import ValidationError

from tradewind.errors import RecordError
from tradewind.model import Money, Order
from tradewind.rules.settings import BookingRules, InvalidVatNumber, VatCodeEntry, VatKind
from tradewind.rules.vat_rates import is_eu, rates_on

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


# ---------------------------------------------------------------- VAT codes, treatments, OSS rates
# (see docs/booking-rules.md for a worked example of each)


class OrderHeld(RecordError):
    """The order is not booked, by the flow's configuration, for the reason given (a failed transfer
    the user can replay once the cause is fixed)."""


class VatCodeMap:
    """The ERP's VAT codes by kind, rate and country, so a line is never booked on another rate.

    Built from the ERP's own list (the connector reads it, e.g. Exact's ``vat/VATCodes``) with the
    project file's entries laid over it: an override with the same kind, country and rate replaces
    the ERP's entry. A code without a country serves every country for its kind and rate, except OSS
    codes, which always name their country.
    """

    def __init__(self, erp: Iterable[VatCodeEntry], overrides: Iterable[VatCodeEntry] = ()) -> None:
        self._codes: dict[tuple[VatKind, str | None, Decimal], str] = {}
        for entry in [*erp, *overrides]:
            self._codes[(entry.kind, entry.country, _norm(entry.rate))] = entry.code

    def code_for(self, rate: Decimal, kind: VatKind, country: str | None, *, field: str | None = None) -> str:
        """The code for ``rate`` of ``kind`` in ``country``, or :class:`RecordError` naming both."""
        key = _norm(rate)
        code = self._codes.get((kind, country, key)) or self._codes.get((kind, None, key))
        if code is None:
            where = f" in {country}" if country else ""
            raise RecordError(f"no {kind.value} VAT code for {key}%{where} in the ERP's VAT codes or the project "
                              f"file; the line is not booked on another rate", field=field)
        return code

    def covers(self, rates: Iterable[tuple[Decimal, VatKind, str | None]]) -> list[str]:
        """The rates (of kind, in country) this map has no code for, for an online check's warning."""
        missing = []
        for rate, kind, country in rates:
            try:
                self.code_for(rate, kind, country)
            except RecordError as error:
                missing.append(error.message)
        return missing


def _norm(rate: Decimal) -> Decimal:
    """21, 21.0 and 21.00 are one rate; 5.5 stays 5.5."""
    normal = rate.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal


@dataclass(frozen=True)
class Treatment:
    """How an order's VAT is treated: its kind, the country whose rates apply, and why."""

    kind: VatKind
    country: str
    reason: str
    vat_number: str | None = None


VatNumberCheck = Callable[[str], bool]
"""A confirmation of a VAT number (VIES), injected by the connector layer: rules do no I/O."""


def destination(order: Order, home: str) -> str:
    """Where the goods go: the shipping address, else the billing address, else home."""
    for address in (order.shipping_address, order.billing_address, order.customer.shipping_address,
                    order.customer.billing_address):
        if address is not None and address.country:
            return address.country
    return home


def treatment(order: Order, rules: BookingRules, *, vat_number: str | None = None,
              vies: VatNumberCheck | None = None) -> Treatment:
    """Domestic, OSS, reverse charge or export for ``order`` (``vat_number`` as the shop gave it,
    default the customer's); an invalid number under the ``hold`` policy raises :class:`OrderHeld`."""
    home, country = rules.home_country, destination(order, rules.home_country)
    if country == home:
        return Treatment(VatKind.DOMESTIC, home, f"shipped within {home}")
    if not is_eu(country):
        return Treatment(VatKind.EXPORT, country, f"exported to {country}, outside the EU")
    number = vat_number if vat_number is not None else order.customer.vat_number
    if number and rules.reverse_charge:
        problem = vat_number_problem(number, home, vies if rules.vies_check else None)
        if problem is None:
            return Treatment(VatKind.REVERSE_CHARGE, country, f"intra-EU B2B to {country} with VAT number "
                                                              f"{vat.compact(number)}", vat.compact(number))
        if rules.invalid_vat_number is InvalidVatNumber.HOLD:
            raise OrderHeld(f"no reverse charge: {problem}", field="customer.vat_number")
        return _b2c(rules, country, f"no reverse charge ({problem}); ")
    return _b2c(rules, country, "")


def _b2c(rules: BookingRules, country: str, why: str) -> Treatment:
    if rules.oss:
        return Treatment(VatKind.OSS, country, f"{why}sale to a consumer in {country} under OSS")
    return Treatment(VatKind.DOMESTIC, rules.home_country, f"{why}sale to {country} with domestic VAT (OSS off)")


def vat_number_problem(number: str, home: str, vies: VatNumberCheck | None = None) -> str | None:
    """Why ``number`` cannot carry reverse charge (format, checksum, home country, VIES), or None."""
    try:
        compact = vat.validate(number)
    except ValidationError as error:
        return f"VAT number {number!r} is invalid ({error})"
    prefix = "GR" if compact[:2] == "EL" else compact[:2]
    if prefix == home:
        return f"VAT number {compact} is from {home}, the seller's own country"
    if vies is not None and not vies(compact):
        return f"VIES does not confirm VAT number {compact}"
    return None


def destination_rate(domestic_rate: Decimal, rules: BookingRules, country: str, day: date, *,
                     group: str | None = None, field: str | None = None) -> Decimal:
    """``country``'s rate of the same class as ``domestic_rate`` (the product's rate at home) on ``day``.

    A rate already of ``country`` (the shop applied the destination's rate) is kept. Where ``country``
    has several rates of the class, the project maps the product's group to one
    (``reduced_rates``); an unmapped case raises :class:`RecordError` with the reason.
    """
    try:
        home, there = rates_on(rules.home_country, day), rates_on(country, day)
    except LookupError as error:
        raise RecordError(f"no OSS rate for {country} on {day.isoformat()}: {error}", field=field) from None
    rate_class = home.class_of(_norm(domestic_rate))
    if rate_class is None:
        if there.class_of(_norm(domestic_rate)) is not None:
            return _norm(domestic_rate)
        raise RecordError(f"{_norm(domestic_rate)}% is not a {rules.home_country} rate on {day.isoformat()}, so "
                          f"its class (and {country}'s rate) is unknown", field=field)
    mapped = rules.reduced_rates.get(group or "", {}).get(country) if group else None
    if mapped is not None:
        return _norm(mapped)
    candidates = there.of_class(rate_class)
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise RecordError(f"{country} has no {rate_class.value} rate on {day.isoformat()} for a product at "
                          f"{_norm(domestic_rate)}% in {rules.home_country}", field=field)
    listed = ", ".join(f"{r}%" for r in candidates)
    raise RecordError(f"{country} has several {rate_class.value} rates ({listed}) and product group "
                      f"{group or '(none)'!r} is not mapped to one in booking.reduced_rates", field=field)
