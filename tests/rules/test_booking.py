"""One test per booking rule, numbers spelled out: shop order in, booking out, to the cent."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from tests.rules.booking_kit import CODES, booked, eur, line, order, rules
from tradewind.errors import RecordError
from tradewind.model import Discount, Order, ShippingLine
from tradewind.rules.booking import Booking, compose_booking
from tradewind.rules.settings import BookingRules, VatKind, VatMethod
from tradewind.rules.tax import OrderHeld


def book(shop: Order, setting: BookingRules | None = None, **kwargs: Any) -> Booking:
    return compose_booking(shop, setting or rules(), vat_codes=CODES, method=VatMethod.PER_LINE,
                           shop_zone="Europe/Amsterdam", **kwargs)


def test_two_rates_a_discount_code_and_shipping() -> None:
    # 2 × shirt 19.99 (21%) + book 25.00 (9%) − code WELCOME 10.00 + shipping 4.95 = 59.93, VAT 8.45.
    shop = order("59.93", [line("TSH-1", 2, "19.99", "21"), line("BKS-1", 1, "25.00", "9")],
                 discounts=[Discount(code="WELCOME", amount=eur("10.00"))],
                 shipping_lines=[ShippingLine(title="PostNL", price=eur("4.95"))], tax_total=eur("8.45"))
    booking = book(shop)
    # the code is allocated by amount: 5.72 shirts, 3.57 book, 0.71 shipping (of 69.93), then per rate:
    # 21%: 6.43 gross → 5.31 net; 9%: 3.57 gross → 3.28 net.
    assert [("TSH-1", "2", "16.5207", "21", "2"), ("BKS-1", "1", "22.9358", "9", "1"),
            ("SHIP", "1", "4.0909", "21", "2"), ("DISC", "1", "-5.31", "21", "2"),
            ("DISC", "1", "-3.28", "9", "1"), ("ROUND", "1", "0.01", "0", "0")] == booked(booking.lines)
    # Exact's VAT per line: 6.94 + 0.86 − 1.12 (21%) and 2.06 − 0.30 (9%) = 8.44; net 51.48 + 0.01 rounding
    assert (eur("51.49"), eur("8.44"), eur("59.93")) == (booking.totals.net, booking.totals.vat, booking.totals.total)
    assert (eur("0.01"), eur("0.01")) == (booking.difference, booking.vat_difference)


def test_discounts_as_line_discounts() -> None:
    shop = order("59.93", [line("TSH-1", 2, "19.99", "21", discount=eur("4.00")), line("BKS-1", 1, "25.00", "9")],
                 discounts=[Discount(code="WELCOME", amount=eur("6.00"))],
                 shipping_lines=[ShippingLine(title="PostNL", price=eur("4.95"))])
    booking = book(shop, rules(discount_item=None))
    # 6.00 over 35.98 / 25.00 / 4.95 (65.93): 3.27 + 2.28 + 0.45; shirts 4.00 + 3.27 = 7.27 gross → 6.01 net
    assert [eur("6.01"), eur("2.09"), eur("0.37")] == [b.discount for b in booking.lines[:3]]
    assert [eur("27.03"), eur("20.85"), eur("3.72")] == [b.amount() for b in booking.lines[:3]]
    assert eur("59.93") == booking.totals.total


def test_a_discount_never_exceeds_its_line() -> None:
    too_much = order("0", [line("TSH-1", 1, "19.99", "21", discount=eur("20.00"))])
    with pytest.raises(RecordError) as caught:
        book(too_much)
    assert "lines[0].discount" == caught.value.field and "more than 100%" in caught.value.message
    over_order = order("0", [line("TSH-1", 1, "19.99", "21")], discounts=[Discount(amount=eur("20.00"))])
    with pytest.raises(RecordError, match="exceeds the amount it applies to"):
        book(over_order)


def test_oss_consumer_in_germany_gross_kept() -> None:
    # NL shop, book (NL 9%, reduced) and shirt (NL 21%, standard) to a consumer in Germany: DE 7% and 19%,
    # the gross prices kept: 25.00 / 1.07 and 19.99 / 1.19.
    shop = order("44.99", [line("BKS-1", 1, "25.00", "9"), line("TSH-1", 1, "19.99", "21")], country="DE")
    booking = book(shop)
    assert VatKind.OSS is booking.treatment.kind
    assert [("BKS-1", "1", "23.3645", "7", "D2"), ("TSH-1", "1", "16.7983", "19", "D1")] == booked(booking.lines)
    assert (eur("40.16"), eur("4.83"), eur("44.99")) == (booking.totals.net, booking.totals.vat,
                                                         booking.totals.total)
    assert booking.rounding_line is None


def test_oss_consumer_in_germany_destination_pricing() -> None:
    # the domestic net is kept (25.00 / 1.09 = 22.94, 19.99 / 1.21 = 16.52), German VAT on top:
    # 22.94 + 1.61 + 16.52 + 3.14 = 44.21, what the shop charged with destination pricing.
    shop = order("44.21", [line("BKS-1", 1, "25.00", "9"), line("TSH-1", 1, "19.99", "21")], country="DE")
    booking = book(shop, rules(oss_pricing="destination"))
    assert [("BKS-1", "1", "22.9358", "7", "D2"), ("TSH-1", "1", "16.5207", "19", "D1")] == booked(booking.lines)
    assert (eur("3.14") + eur("1.61"), eur("44.21")) == (booking.totals.vat, booking.totals.total)


def test_oss_consumer_in_belgium_needs_the_product_group() -> None:
    shop = order("25.00", [line("BKS-1", 1, "25.00", "9")], country="BE")
    with pytest.raises(RecordError) as caught:
        book(shop)  # Belgium has two reduced rates, 6% and 12%
    assert "lines[0].vat_rate" == caught.value.field
    assert "BE has several reduced rates (6%, 12%)" in caught.value.message and "not mapped" in caught.value.message

    booking = book(shop, rules(reduced_rates={"books": {"BE": "6"}}), groups={"BKS-1": "books"})
    # 25.00 / 1.06 = 23.5849 → 23.58 + VAT 1.41 = 24.99; the shop's 0.01 on the rounding line
    assert [("BKS-1", "1", "23.5849", "6", "B3"), ("ROUND", "1", "0.01", "0", "0")] == booked(booking.lines)
    assert eur("25.00") == booking.totals.total


def test_reverse_charge_with_a_valid_vat_number() -> None:
    shop = order("100.00", [line("MCH-1", 1, "121.00", "21")], country="DE")
    booking = book(shop, vat_number="DE 136 695 976")
    assert (VatKind.REVERSE_CHARGE, "DE136695976") == (booking.treatment.kind, booking.treatment.vat_number)
    assert [("MCH-1", "1", "100.0000", "0", "5")] == booked(booking.lines)
    assert (eur("0.00"), eur("100.00")) == (booking.totals.vat, booking.totals.total)


def test_reverse_charge_refused_for_an_invalid_vat_number() -> None:
    shop = order("121.00", [line("MCH-1", 1, "121.00", "21")], country="DE")
    # charge_vat (default): the sale is a consumer's, under OSS: 121.00 / 1.19 = 101.68 + 19.32 VAT
    booking = book(shop, vat_number="DE136695977")
    assert VatKind.OSS is booking.treatment.kind and "DE136695977" in booking.treatment.reason
    assert [("MCH-1", "1", "101.6807", "19", "D1")] == booked(booking.lines)
    assert (eur("19.32"), eur("121.00")) == (booking.totals.vat, booking.totals.total)
    with pytest.raises(OrderHeld) as caught:
        book(shop, rules(invalid_vat_number="hold"), vat_number="DE136695977")
    assert "customer.vat_number" == caught.value.field and "is invalid" in caught.value.message
    # a VIES hook that does not confirm the number is the same as an invalid one
    held = rules(invalid_vat_number="hold", vies_check=True)
    with pytest.raises(OrderHeld, match="VIES does not confirm VAT number DE136695976"):
        book(shop, held, vat_number="DE136695976", vies=lambda number: False)


def test_export_outside_the_eu() -> None:
    shop = order("16.52", [line("TSH-1", 1, "19.99", "21")], country="US")
    booking = book(shop)
    assert VatKind.EXPORT is booking.treatment.kind
    assert [("TSH-1", "1", "16.5207", "0", "6")] == booked(booking.lines)
    assert eur("16.52") == booking.totals.total


def test_a_vat_code_missing_fails_with_rate_and_country() -> None:
    shop = order("19.99", [line("TSH-1", 1, "19.99", "21")], country="FR")
    with pytest.raises(RecordError) as caught:
        book(shop)
    assert "no oss VAT code for 20% in FR" in caught.value.message and "lines[0].vat_rate" == caught.value.field


def test_cents_difference_inside_the_tolerance() -> None:
    # 3 × 0.99 incl. 21%: 0.8182 × 3 = 2.45 net + 0.51 VAT = 2.96; the shop charged 2.97
    booking = book(order("2.97", [line("SCK-1", 3, "0.99", "21")]))
    assert [("SCK-1", "3", "0.8182", "21", "2"), ("ROUND", "1", "0.01", "0", "0")] == booked(booking.lines)
    assert (eur("2.97"), eur("0.01")) == (booking.totals.total, booking.difference)


def test_cents_difference_outside_the_tolerance() -> None:
    shop = order("3.10", [line("SCK-1", 3, "0.99", "21")])
    with pytest.raises(OrderHeld) as caught:
        book(shop)
    assert "EUR 0.14 exceeds the tolerance of 0.05" in caught.value.message
    assert "the shop's total is EUR 3.10, the booking's EUR 2.96" in caught.value.message
    draft = book(shop, rules(on_difference="draft"))
    assert draft.draft and draft.rounding_line is None and "EUR 3.10" in (draft.reason or "")


def test_a_difference_without_a_rounding_article_is_never_silent() -> None:
    with pytest.raises(OrderHeld, match="no rounding_item"):
        book(order("2.97", [line("SCK-1", 3, "0.99", "21")]), rules(rounding_item=None))


def test_per_rate_vat_differs_from_per_line() -> None:
    # five lines of 0.50 net at 21%: per line 5 × 0.11 = 0.55, per rate 2.50 × 21% = 0.53 (0.525 half up)
    lines = [line(f"A{i}", 1, "0.50", "21") for i in range(5)]
    per_line = book(order("3.05", lines, gross=False))
    per_rate = compose_booking(order("3.03", lines, gross=False), rules(), vat_codes=CODES,
                               method=VatMethod.PER_RATE, shop_zone="Europe/Amsterdam")
    assert (eur("0.55"), eur("0.53")) == (per_line.totals.vat, per_rate.totals.vat)


def test_quantity_policy() -> None:
    lines = [line("TSH-1", 1, "12.10", "21"), line("OLD-1", -1, "12.10", "21"), line("NIL-1", 0, "5.00", "21")]
    with pytest.raises(RecordError) as caught:
        book(order("0.00", lines))  # refuse is the default
    assert "lines[1].quantity" == caught.value.field
    dropped = book(order("12.10", lines), rules(quantity_policy="drop"))
    assert ["TSH-1"] == [b.sku for b in dropped.lines]
    returned = book(order("0.00", lines), rules(quantity_policy="return"))
    assert [("TSH-1", "1", "10.0000", "21", "2"), ("OLD-1", "-1", "10.0000", "21", "2")] == booked(returned.lines)


def test_order_just_after_local_midnight_takes_the_local_date_and_quarter_rates() -> None:
    # 30 June 2025 22:30 UTC is 1 July 00:30 in Amsterdam: Q3, and Estonia's 24% (22% until 30 June)
    shop = order("19.99", [line("TSH-1", 1, "19.99", "21")], country="EE",
                 created_at=datetime(2025, 6, 30, 22, 30, tzinfo=UTC))
    booking = book(shop)
    assert date(2025, 7, 1) == booking.business_date
    assert [("TSH-1", "1", "16.1210", "24", "E24")] == booked(booking.lines)  # 19.99 / 1.24, VAT 3.87
    a_minute_before = shop.model_copy(update={"created_at": datetime(2025, 6, 30, 21, 59, tzinfo=UTC)})
    # 23:59 on 30 June in Amsterdam: 22%; 16.39 net + 3.61 VAT = 20.00, so −0.01 on the rounding line
    assert [("TSH-1", "1", "16.3852", "22", "E22"), ("ROUND", "1", "-0.01", "0", "0")] == booked(
        book(a_minute_before).lines)
