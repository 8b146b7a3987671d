"""Properties of the booking over random baskets, rates, discounts, shipping, currencies and rounding:
the booking's total is the shop's (the difference on the rounding line) or the order is held with both
totals; no cent appears or disappears in discounts; no float is ever produced."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from tests.rules.booking_kit import CODES
from tradewind.model import Address, Customer, Discount, Money, Order, OrderLine, ShippingLine
from tradewind.rules.booking import Booking, compose_booking
from tradewind.rules.orders import allocate
from tradewind.rules.rounding import LineRole
from tradewind.rules.settings import BookingRules, VatMethod
from tradewind.rules.tax import OrderHeld

CENT = Decimal("0.01")
cents = st.integers(min_value=1, max_value=20_000).map(lambda c: Decimal(c) * CENT)


@st.composite
def baskets(draw: st.DrawFn) -> tuple[Order, BookingRules, VatMethod]:
    currency = draw(st.sampled_from(["EUR", "USD", "SEK", "GBP"]))
    gross = draw(st.booleans())
    lines = []
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        quantity, unit = draw(st.integers(min_value=1, max_value=6)), draw(cents)
        off = draw(st.integers(min_value=0, max_value=int(quantity * unit / CENT))) * CENT
        lines.append(OrderLine(sku=f"SKU-{len(lines)}", quantity=Decimal(quantity), unit_price=Money.of(unit, currency),
                               discount=Money.of(off, currency) if off else None,
                               vat_rate=draw(st.sampled_from([Decimal(0), Decimal(9), Decimal(21)]))))
    goods = sum((ln.quantity * ln.unit_price.amount - (ln.discount.amount if ln.discount else 0) for ln in lines),
                Decimal(0))
    shipping = draw(st.integers(min_value=0, max_value=1_500)) * CENT
    order_discount = draw(st.integers(min_value=0, max_value=int((goods + shipping) / CENT))) * CENT
    noise = draw(st.integers(min_value=-8, max_value=8)) * CENT
    total = _shop_total(lines, shipping, order_discount, gross) + noise
    discounts = [Discount(code="CODE", amount=Money.of(order_discount, currency))] if order_discount else []
    order = Order(number="#1", created_at=datetime(2024, 5, 1, 10, tzinfo=UTC), currency=currency,
                  customer=Customer(name="A B"), lines=lines, prices_include_vat=gross,
                  discounts=discounts,
                  shipping_lines=[ShippingLine(title="Post", price=Money.of(shipping, currency))],
                  shipping_address=Address(country=draw(st.sampled_from(["NL", "DE"]))),
                  total=Money.of(total, currency))
    rules = BookingRules(shipping_item="SHIP", rounding_item="ROUND",
                         discount_item=draw(st.sampled_from(["DISC", None])),
                         rounding=draw(st.sampled_from(["half_up", "half_even"])),
                         tolerance=draw(st.sampled_from([Decimal(0), Decimal("0.02"), Decimal("0.05")])),
                         on_difference=draw(st.sampled_from(["hold", "draft"])))
    return order, rules, draw(st.sampled_from(list(VatMethod)))


def _shop_total(lines: list[OrderLine], shipping: Decimal, discount: Decimal, gross: bool) -> Decimal:
    """What a shop charges: gross prices as they are; net prices plus VAT per line (discount at the top rate)."""
    amounts = [(ln.quantity * ln.unit_price.amount - (ln.discount.amount if ln.discount else 0), ln.vat_rate)
               for ln in lines] + [(shipping, Decimal(21)), (-discount, Decimal(21))]
    if gross:
        return sum((amount for amount, _ in amounts), Decimal(0))
    return sum(((amount * (1 + rate / Decimal(100))).quantize(CENT) for amount, rate in amounts), Decimal(0))


def _no_float(value: Any) -> None:
    assert not isinstance(value, float)
    if isinstance(value, Money):
        assert isinstance(value.amount, Decimal)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            _no_float(getattr(value, field.name))
    elif isinstance(value, list | tuple):
        for item in value:
            _no_float(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_float(key)
            _no_float(item)


@settings(max_examples=300, deadline=None)
@given(baskets())
def test_the_booking_total_is_the_shops_or_the_order_is_held(case: tuple[Order, BookingRules, VatMethod]) -> None:
    order, rules, method = case
    try:
        booking = compose_booking(order, rules, vat_codes=CODES, method=method, shop_zone="Europe/Amsterdam")
    except OrderHeld as held:
        event("held")
        assert f"the shop's total is {order.total}, the booking's" in held.message
        return
    _no_float(booking)
    rounding = [line for line in booking.lines if line.role is LineRole.ROUNDING]
    event("draft" if booking.draft else "rounding line" if rounding else "exact")
    if booking.draft:
        assert not rounding and booking.reason and str(order.total) in booking.reason
        return
    assert abs(booking.difference.amount) <= rules.tolerance
    assert order.total == booking.totals.total  # not a cent more or less than the shop charged
    assert [booking.difference] == [line.amount(rules.rounding) for line in rounding] or (
        not rounding and booking.difference.amount == 0)
    if not order.prices_include_vat:
        _discounts_are_whole(order, rules, booking)


def _discounts_are_whole(order: Order, rules: BookingRules, booking: Booking) -> None:
    """With net prices every discount cent is booked: on discount lines or on the lines themselves."""
    shop = sum((ln.discount.amount for ln in order.lines if ln.discount), Decimal(0)) + order.discount_total.amount
    if rules.discount_item:
        booked = -sum((ln.amount(rules.rounding).amount for ln in booking.lines if ln.role is LineRole.DISCOUNT),
                      Decimal(0))
    else:
        booked = sum((ln.discount.amount for ln in booking.lines if ln.discount), Decimal(0))
    assert shop == booked


@given(st.integers(min_value=0, max_value=100_000),
       st.lists(st.integers(min_value=-5_000, max_value=50_000), min_size=1, max_size=8))
def test_allocation_keeps_every_cent_and_never_exceeds_a_line(amount: int, weights: list[int]) -> None:
    lines = [Decimal(w) * CENT for w in weights]
    whole = sum((w for w in lines if w > 0), Decimal(0))
    discount = min(Decimal(amount) * CENT, whole)
    parts = allocate(discount, lines, field="discounts[0]")
    assert discount == sum(parts, Decimal(0))
    assert all(Decimal(0) <= part <= max(line, Decimal(0)) for part, line in zip(parts, lines, strict=True))
