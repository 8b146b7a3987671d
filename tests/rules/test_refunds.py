"""Credit notes of shop refunds, worked to the cent (docs/refunds-and-invoices.md shows the same numbers).

The order: 2 shirts at EUR 24.20 incl. 21% with EUR 4.84 off the line, a book at EUR 10.90 incl. 9%,
shipping EUR 6.05 incl. 21%: EUR 60.51 in all, booked by an NL shop in Exact (VAT per line).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.rules.booking_kit import CODES, eur, line, order, rules
from tradewind.errors import RecordError
from tradewind.model import Discount, Order, ShippingLine
from tradewind.model.refund import Refund, RefundLine
from tradewind.rules.booking import Booking, compose_booking
from tradewind.rules.refunds import CreditNote, compose_credit_note
from tradewind.rules.settings import BookingRules, VatMethod
from tradewind.rules.tax import OrderHeld


def shop_order(total: str = "60.51", **values: Any) -> Order:
    return order(total, [line("SHIRT", 2, "24.20", "21", discount=eur("4.84")), line("BOOK", 1, "10.90", "9")],
                 shipping_lines=[ShippingLine(title="PostNL", price=eur("6.05"), vat_rate=Decimal(21))], **values)


def book(shop: Order, setting: BookingRules) -> Booking:
    return compose_booking(shop, setting, vat_codes=CODES, method=VatMethod.PER_LINE, shop_zone="Europe/Amsterdam")


def refund(reference: str, total: str, *lines: RefundLine, shipping: str | None = None, tax: str | None = None
           ) -> Refund:
    return Refund(reference=reference, order_number="#1001", created_at=datetime(2024, 5, 8, 9, tzinfo=UTC),
                  currency="EUR", lines=list(lines), shipping=eur(shipping) if shipping else None,
                  total=eur(total), tax_total=eur(tax) if tax else None)


def credit(shop: Order, booking: Booking, setting: BookingRules, given: Refund,
           earlier: tuple[CreditNote, ...] = ()) -> CreditNote:
    return compose_credit_note(shop, booking, given, setting, method=VatMethod.PER_LINE, earlier=earlier,
                               vat_codes=CODES)


def credited(note: CreditNote) -> list[tuple[str, str, str, str, str, str]]:
    """(sku, quantity, unit price, discount, VAT code, amount) of each credit line, as text."""
    return [(c.sku, str(c.quantity), str(c.unit_price.amount), str(c.discount.amount) if c.discount else "-",
             c.vat_code, str(c.amount().amount)) for c in note.lines]


LINE_DISCOUNTS = rules(discount_item=None)


def test_the_booking_the_examples_start_from() -> None:
    booking = book(shop_order(), LINE_DISCOUNTS)
    assert (Decimal("51.00"), Decimal("9.51"), Decimal("60.51")) == (
        booking.totals.net.amount, booking.totals.vat.amount, booking.totals.total.amount)


def test_one_of_two_discounted_shirts_credits_the_discounted_price() -> None:
    shop = shop_order()
    booking = book(shop, LINE_DISCOUNTS)
    note = credit(shop, booking, LINE_DISCOUNTS, refund("R1", "21.78", RefundLine(sku="SHIRT", quantity=Decimal(1))))
    assert [("SHIRT", "-1", "20.0000", "-2.0000", "2", "-18.00")] == credited(note)
    assert (Decimal("-18.00"), Decimal("-3.78"), Decimal("-21.78")) == (
        note.totals.net.amount, note.totals.vat.amount, note.totals.total.amount)
    assert Decimal("0.00") == note.difference.amount and not note.draft


def test_the_rest_in_a_second_refund_credits_exactly_the_booking() -> None:
    shop = shop_order()
    booking = book(shop, LINE_DISCOUNTS)
    first = credit(shop, booking, LINE_DISCOUNTS, refund("R1", "21.78", RefundLine(sku="SHIRT", quantity=Decimal(1))))
    second = credit(shop, booking, LINE_DISCOUNTS,
                    refund("R2", "38.73", RefundLine(sku="SHIRT", quantity=Decimal(1)),
                           RefundLine(sku="BOOK", quantity=Decimal(1)), shipping="6.05"), earlier=(first,))
    assert [("SHIRT", "-1", "20.0000", "-2.0000", "2", "-18.00"), ("BOOK", "-1", "10.0000", "-", "1", "-10.00"),
            ("SHIP", "-1", "5.00", "-", "2", "-5.00")] == credited(second)
    assert Decimal("-38.73") == second.totals.total.amount
    assert booking.totals.total.amount == first.credited.amount + second.credited.amount == Decimal("60.51")


def test_discount_on_the_discount_article_is_credited_with_the_line_that_carried_it() -> None:
    setting = rules()  # discount_item DISC: one discount line per rate
    shop = shop_order()
    booking = book(shop, setting)
    assert ("DISC", "-4.00") == next((b.sku, str(b.amount().amount)) for b in booking.lines if b.sku == "DISC")
    note = credit(shop, booking, setting, refund("R1", "21.78", RefundLine(sku="SHIRT", quantity=Decimal(1))))
    assert [("SHIRT", "-1", "20.0000", "-", "2", "-20.00"), ("DISC", "-1", "-2.00", "-", "2", "2.00")] == \
        credited(note)
    assert Decimal("-21.78") == note.totals.total.amount


def test_an_order_discount_is_credited_in_the_share_the_booking_gave_the_line() -> None:
    # EUR 12.10 off the order, spread over shirts 43.56, book 10.90 and shipping 6.05: 1.21 of it on shipping,
    # which the shop charged 4.84 (net 4.00); refunding that credits the shipping line whole
    shop = shop_order(total="48.41", discounts=[Discount(code="SPRING", amount=eur("12.10"))])
    booking = book(shop, LINE_DISCOUNTS)
    note = credit(shop, booking, LINE_DISCOUNTS, refund("R1", "4.84", shipping="4.84"))
    assert [("SHIP", "-1", "4.00", "-", "2", "-4.00")] == credited(note)
    assert (Decimal("-4.84"), Decimal("0.00")) == (note.totals.total.amount, note.difference.amount)
    half = credit(shop, booking, LINE_DISCOUNTS, refund("R1", "2.42", shipping="2.42"))
    assert [("SHIP", "-1", "2.00", "-", "2", "-2.00")] == credited(half)


def test_a_cent_from_a_four_decimal_price_goes_on_the_rounding_line() -> None:
    # 3 x 0.99 incl. 21%: net 0.8182 a piece, booked 2.45 + 0.51 VAT, and the shop's 0.01 on the rounding line
    shop = order("2.97", [line("PEN", 3, "0.99", "21")])
    booking = book(shop, LINE_DISCOUNTS)
    assert Decimal("2.97") == booking.totals.total.amount
    first = credit(shop, booking, LINE_DISCOUNTS, refund("R1", "0.99", RefundLine(sku="PEN", quantity=Decimal(1))))
    assert [("PEN", "-1", "0.8182", "0.0018", "2", "-0.82")] == credited(first)
    assert (Decimal("-0.82"), Decimal("-0.17"), Decimal("-0.99")) == (
        first.totals.net.amount, first.totals.vat.amount, first.totals.total.amount)
    rest = credit(shop, booking, LINE_DISCOUNTS, refund("R2", "1.98", RefundLine(sku="PEN", quantity=Decimal(2))),
                  earlier=(first,))
    assert Decimal("2.97") == first.credited.amount + rest.credited.amount


def test_more_than_was_booked_is_refused_naming_the_line() -> None:
    shop = shop_order()
    booking = book(shop, LINE_DISCOUNTS)
    first = credit(shop, booking, LINE_DISCOUNTS, refund("R1", "43.56", RefundLine(sku="SHIRT", quantity=Decimal(2))))
    with pytest.raises(RecordError) as failed:
        credit(shop, booking, LINE_DISCOUNTS, refund("R2", "21.78", RefundLine(sku="SHIRT", quantity=Decimal(1))),
               earlier=(first,))
    assert ("lines[0].quantity", "refunds 3 of SHIRT in all, but 2 were booked") == (
        failed.value.field, failed.value.message)
    with pytest.raises(RecordError, match=r"refunds 7\.00 of shipping in all, but the order charged 6\.05 for it"):
        credit(shop, booking, LINE_DISCOUNTS, refund("R3", "7.00", shipping="7.00"))


def test_a_refund_that_differs_from_its_lines_is_held_with_both_totals() -> None:
    shop = shop_order()
    booking = book(shop, LINE_DISCOUNTS)
    with pytest.raises(OrderHeld, match=r"the shop's total is EUR -25\.00, the booking's EUR -21\.78"):
        credit(shop, booking, LINE_DISCOUNTS, refund("R1", "25.00", RefundLine(sku="SHIRT", quantity=Decimal(1))))
    drafting = rules(discount_item=None, on_difference="draft")
    note = credit(shop, booking, drafting, refund("R1", "25.00", RefundLine(sku="SHIRT", quantity=Decimal(1))))
    assert note.draft and note.reason and "difference EUR -3.22 exceeds the tolerance" in note.reason


def test_credit_notes_never_exceed_the_booking_in_total() -> None:
    shop = shop_order()
    booking = book(shop, LINE_DISCOUNTS)
    # the shop refunded 4 cents more than the shirt's share: within the tolerance, on the rounding line
    first = credit(shop, booking, LINE_DISCOUNTS, refund("R1", "21.82", RefundLine(sku="SHIRT", quantity=Decimal(1))))
    assert (Decimal("-21.82"), ["ROUND"]) == (first.totals.total.amount, [c.sku for c in first.lines][-1:])
    rest = refund("R2", "38.73", RefundLine(sku="SHIRT", quantity=Decimal(1)),
                  RefundLine(sku="BOOK", quantity=Decimal(1)), shipping="6.05")
    with pytest.raises(OrderHeld, match=r"credit notes would credit 60.55 in all, more than the booking's total 60.51"):
        credit(shop, booking, LINE_DISCOUNTS, rest, earlier=(first,))
    rest = rest.model_copy(update={"total": eur("38.69")})
    last = credit(shop, booking, LINE_DISCOUNTS, rest, earlier=(first,))
    assert Decimal("60.51") == first.credited.amount + last.credited.amount


def test_a_sku_on_two_lines_needs_the_line_named() -> None:
    shop = order("48.40", [line("SHIRT", 1, "24.20", "21"), line("SHIRT", 1, "24.20", "21")])
    booking = book(shop, LINE_DISCOUNTS)
    with pytest.raises(RecordError, match="SKU SHIRT is on 2 lines of the order"):
        credit(shop, booking, LINE_DISCOUNTS, refund("R1", "24.20", RefundLine(sku="SHIRT", quantity=Decimal(1))))
    note = credit(shop, booking, LINE_DISCOUNTS,
                  refund("R1", "24.20", RefundLine(sku="SHIRT", quantity=Decimal(1), line=1)))
    assert ["lines[1]"] == [c.source for c in note.lines]


ADJUSTING = rules(discount_item=None, adjustment_item="GOODWILL")


def test_a_goodwill_refund_without_lines_is_spread_over_the_booked_rates() -> None:
    """EUR 10.00 back on the order as a whole: of the 60.51 booked, 49.61 is at 21% (shirts 43.56, shipping 6.05)
    and 10.90 at 9%, so 8.20 and 1.80 (to the cent, largest remainder); net 6.78 + 1.42 VAT, 1.65 + 0.15 VAT."""
    shop = shop_order()
    booking = book(shop, ADJUSTING)
    note = credit(shop, booking, ADJUSTING, refund("R1", "10.00"))
    assert [("GOODWILL", "-1", "6.78", "-", "2", "-6.78"),
            ("GOODWILL", "-1", "1.65", "-", "1", "-1.65")] == credited(note)
    assert (Decimal("-8.43"), Decimal("-1.57"), Decimal("-10.00")) == (
        note.totals.net.amount, note.totals.vat.amount, note.totals.total.amount)
    assert not note.draft


def test_money_beyond_the_lines_is_an_adjustment_over_what_is_left_at_each_rate() -> None:
    """One shirt back (21.78) and 25.00 refunded: 3.22 more, spread over what is left after the shirt — 27.83 at
    21% and 10.90 at 9%: 2.31 (1.91 net + 0.40) and 0.91 (0.83 + 0.07); the last cent on the rounding line."""
    shop = shop_order()
    booking = book(shop, ADJUSTING)
    note = credit(shop, booking, ADJUSTING, refund("R1", "25.00", RefundLine(sku="SHIRT", quantity=Decimal(1))))
    assert [
        ("SHIRT", "-1", "20.0000", "-2.0000", "2", "-18.00"),
        ("GOODWILL", "-1", "1.91", "-", "2", "-1.91"),
        ("GOODWILL", "-1", "0.83", "-", "1", "-0.83"),
        ("ROUND", "1", "-0.01", "-", "0", "-0.01"),
    ] == credited(note)
    assert Decimal("-25.00") == note.totals.total.amount


def test_without_an_adjustment_item_a_goodwill_refund_is_held_saying_so() -> None:
    shop = shop_order()
    booking = book(shop, LINE_DISCOUNTS)
    with pytest.raises(OrderHeld, match=r"gives back EUR 10\.00 on the order as a whole, not on its lines: set "
                                        r"booking\.adjustment_item"):
        credit(shop, booking, LINE_DISCOUNTS, refund("R1", "10.00"))


def test_an_adjustment_never_credits_more_than_is_left() -> None:
    shop = shop_order()
    booking = book(shop, ADJUSTING)
    with pytest.raises(OrderHeld, match=r"adjustment of 70\.00 is more than is left to credit on the order's "
                                        r"booking \(60\.51\)"):
        credit(shop, booking, ADJUSTING, refund("R1", "70.00"))
    goodwill = credit(shop, booking, ADJUSTING, refund("R1", "50.00"))  # 40.99 at 21%, 9.01 (8.27 net) at 9%
    everything = refund("R2", "10.51", RefundLine(sku="SHIRT", quantity=Decimal(2)),
                        RefundLine(sku="BOOK", quantity=Decimal(1)), shipping="6.05")
    with pytest.raises(OrderHeld, match=r"more than the booking's total 60\.51"):
        credit(shop, booking, ADJUSTING, everything.model_copy(update={"total": eur("60.51")}), earlier=(goodwill,))
    with pytest.raises(OrderHeld, match=r"net at 9% VAT \(code 1\), more than the booking booked there \(10\.00\)"):
        credit(shop, booking, ADJUSTING, refund("R2", "10.51", RefundLine(sku="BOOK", quantity=Decimal(1))),
               earlier=(goodwill,))
