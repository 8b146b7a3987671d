"""A shop order booked the way an accountant expects: :func:`compose_booking`.

The steps, each a rule of its own module:

1. the business date: the order's own date in the shop's zone (:func:`~tradewind.rules.orders.business_date`);
2. the VAT treatment: domestic, OSS, reverse charge or export (:func:`~tradewind.rules.tax.treatment`);
3. each article line's booked rate (the destination's rate of the same class under OSS, 0% for reverse
   charge and exports) and the net price (from the gross at the rate the pricing says);
4. discounts: a line's own, and order-level discounts allocated over the lines by amount to the cent;
   booked per rate on the discount article, or on the lines (``discount_booking``);
5. shipping at its own rate, else the highest rate of the goods;
6. a VAT code per line from the ERP's codes (never another rate's);
7. totals as the ERP computes them, and the difference with the shop on the rounding line, or the
   order held or drafted (:func:`~tradewind.rules.rounding.settle`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, tzinfo
from decimal import Decimal

from tradewind.errors import RecordError
from tradewind.model import Money, Order, OrderLine, ShippingLine
from tradewind.rules.orders import allocate, business_date, kept_lines, line_discount, stated_rate
from tradewind.rules.rounding import BookingLine, LineRole, Settlement, Totals, settle
from tradewind.rules.settings import BookingRules, DiscountBooking, OssPricing, VatKind, VatMethod
from tradewind.rules.tax import (
    CENT,
    COMMON_RATES,
    UNIT,
    Treatment,
    VatCodeMap,
    VatNumberCheck,
    destination_rate,
    rate_of,
    treatment,
)

_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Booking:
    """What to book, and why: lines, the ERP's totals, the treatment, the date, and the difference with
    the shop (on the rounding line when within tolerance; otherwise ``draft`` with ``reason``)."""

    lines: list[BookingLine]
    totals: Totals
    treatment: Treatment
    business_date: date
    difference: Money
    vat_difference: Money | None
    draft: bool = False
    reason: str | None = None

    @property
    def rounding_line(self) -> BookingLine | None:
        return next((line for line in self.lines if line.role is LineRole.ROUNDING), None)


@dataclass
class _Priced:
    """A line in the shop's terms (gross or net as the order states), with its rates decided."""

    source: str
    sku: str
    description: str
    quantity: Decimal
    unit: Decimal
    discount: Decimal  # signed like the line: a return's discount lowers what is returned
    shop_rate: Decimal
    booked_rate: Decimal
    role: LineRole

    @property
    def remaining(self) -> Decimal:
        return (self.quantity * self.unit - self.discount).quantize(CENT)


def compose_booking(order: Order, rules: BookingRules, *, vat_codes: VatCodeMap, method: VatMethod,
                    shop_zone: str | tzinfo, groups: Mapping[str, str] | None = None,
                    vies: VatNumberCheck | None = None, vat_number: str | None = None) -> Booking:
    """The booking of ``order`` under ``rules`` (see the module docstring).

    ``method`` is how the target ERP computes VAT (its connector declares it); ``groups`` maps SKUs to
    product groups for ``reduced_rates``; ``vies`` confirms VAT numbers when ``vies_check`` is on.
    Raises :class:`RecordError` (a field named) for what cannot be booked right, and
    :class:`~tradewind.rules.tax.OrderHeld` when the flow holds the order.
    """
    day = business_date(order.created_at, rules.time_zone or shop_zone)
    how = treatment(order, rules, vat_number=vat_number, vies=vies)
    composer = _Composer(order, rules, vat_codes, how, day, groups or {})
    priced = [composer.article(index, line) for index, line in kept_lines(order, rules.quantity_policy)]
    priced += [composer.shipping(index, line, priced) for index, line in enumerate(order.shipping_lines)
               if line.price.amount != 0]
    _allocate_order_discounts(order, priced)
    settled: Settlement = settle(composer.book(priced), shop_total=order.total, shop_vat=order.tax_total,
                                 rules=rules, method=rules.vat_method or method,
                                 rounding_code=composer.rounding_code(), record=order.number)
    return Booking(settled.lines, settled.totals, how, day, settled.difference, settled.vat_difference,
                   settled.draft, settled.reason)


def _allocate_order_discounts(order: Order, priced: list[_Priced]) -> None:
    """Order-level discounts over goods and shipping, in proportion to what is left of each line."""
    for index, discount in enumerate(order.discounts):
        parts = allocate(discount.amount.amount, [p.remaining for p in priced], field=f"discounts[{index}]")
        for line, part in zip(priced, parts, strict=True):
            line.discount += part


class _Composer:
    def __init__(self, order: Order, rules: BookingRules, codes: VatCodeMap, how: Treatment, day: date,
                 groups: Mapping[str, str]) -> None:
        self.order, self.rules, self.codes, self.how, self.day, self.groups = order, rules, codes, how, day, groups
        self.gross = order.prices_include_vat

    def article(self, index: int, line: OrderLine) -> _Priced:
        field = f"lines[{index}]"
        rate = stated_rate(line, self.gross)
        if rate is None:
            raise RecordError("no VAT rate is known for this line (neither a rate nor a tax amount)",
                              field=f"{field}.vat_rate")
        discount = line_discount(line, f"{field}.discount")
        return _Priced(field, line.sku, line.title or line.sku, line.quantity, line.unit_price.amount,
                       discount if line.quantity > 0 else -discount, rate,
                       self._booked(rate, self.groups.get(line.sku), f"{field}.vat_rate"), LineRole.ARTICLE)

    def shipping(self, index: int, line: ShippingLine, articles: list[_Priced]) -> _Priced:
        field = f"shipping_lines[{index}]"
        if self.rules.shipping_item is None:
            raise RecordError("the order has shipping costs but no shipping_item is configured", field=field)
        rate = line.vat_rate
        if rate is None and line.tax is not None:
            base = line.price - line.tax if self.gross else line.price
            rate = rate_of(line.tax, base, candidates=COMMON_RATES)
        if rate is None:  # ancillary costs follow the main supply: the highest rate of the goods
            rate = max((a.shop_rate for a in articles), default=None)
        if rate is None:
            raise RecordError("no VAT rate is known for shipping", field=f"{field}.vat_rate")
        return _Priced(field, self.rules.shipping_item, line.title, Decimal(1), line.price.amount, Decimal(0),
                       rate, self._booked(rate, None, f"{field}.vat_rate"), LineRole.SHIPPING)

    def _booked(self, rate: Decimal, group: str | None, field: str) -> Decimal:
        kind = self.how.kind
        if kind is VatKind.DOMESTIC:
            return rate
        if kind is VatKind.OSS:
            return destination_rate(rate, self.rules, self.how.country, self.day, group=group, field=field)
        return Decimal(0)

    def _strip(self, p: _Priced) -> Decimal | None:
        """The rate the shop's gross price contains (None: prices are net)."""
        if not self.gross:
            return None
        if self.how.kind is VatKind.OSS and self.rules.oss_pricing is OssPricing.GROSS_KEPT:
            return p.booked_rate
        return p.shop_rate

    def _net(self, amount: Decimal, rate: Decimal | None, quantum: Decimal) -> Money:
        value = amount / (1 + rate / _HUNDRED) if rate is not None else amount
        return Money(amount=value.quantize(quantum, rounding=self.rules.rounding.decimal),
                     currency=self.order.currency)

    def code(self, rate: Decimal, field: str) -> str:
        country = self.rules.home_country if self.how.kind is VatKind.DOMESTIC else self.how.country
        return self.codes.code_for(rate, self.how.kind, country, field=field)

    def book(self, priced: list[_Priced]) -> list[BookingLine]:
        on_lines = self.rules.discounts_as is DiscountBooking.LINE
        lines = []
        for p in priced:
            strip = self._strip(p)
            discount = self._net(p.discount, strip, CENT) if on_lines and p.discount else None
            lines.append(BookingLine(sku=p.sku, description=p.description, quantity=p.quantity,
                                     unit_price=self._net(p.unit, strip, UNIT), vat_rate=p.booked_rate,
                                     vat_code=self.code(p.booked_rate, f"{p.source}.vat_rate"), kind=self.how.kind,
                                     role=p.role, discount=discount, source=p.source))
        return lines if on_lines else lines + self._discount_lines(priced)

    def _discount_lines(self, priced: list[_Priced]) -> list[BookingLine]:
        """One negative line per booked rate (and the rate the gross contains) on the discount article."""
        groups: dict[tuple[Decimal, Decimal | None], Decimal] = {}
        for p in priced:
            if p.discount:
                key = (p.booked_rate, self._strip(p))
                groups[key] = groups.get(key, Decimal(0)) + p.discount
        assert self.rules.discount_item is not None  # discounts_as is ARTICLE only with an item
        return [BookingLine(sku=self.rules.discount_item, description=f"Discount {rate}% VAT", quantity=Decimal(1),
                            unit_price=-self._net(amount, strip, CENT), vat_rate=rate,
                            vat_code=self.code(rate, "discounts"), kind=self.how.kind, role=LineRole.DISCOUNT,
                            source="discounts")
                for (rate, strip), amount in groups.items()]

    def rounding_code(self) -> str | None:
        if self.rules.rounding_vat_code:
            return self.rules.rounding_vat_code
        try:
            return self.codes.code_for(Decimal(0), VatKind.DOMESTIC, self.rules.home_country)
        except RecordError:
            return None
