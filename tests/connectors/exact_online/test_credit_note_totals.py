"""Property: the sales credit note Exact makes of a refund's credit note has the composed credit note's total,
to the cent, over random bookings and random sequences of partial refunds (the baskets and refunds of
tests/rules/test_refund_properties.py, booked half up as an Exact connection must).

The body is the connector's own (``credit_notes.credit_note_out``: the booked lines reversed, negative
quantities, Exact's ``Discount`` fraction), and Exact's arithmetic is the sandbox's (per line ``AmountFC =
Quantity × UnitPrice × (1 − Discount)`` and its VAT, rounded to cents, summed), as for invoices in
test_invoice_totals.py: it holds only if the translation loses no cent.

The composed credit lines carry a discount of exactly gross − credited amount (a cent amount), so eight
decimals of discount ÷ gross and of (gross − credited) ÷ gross are the same fraction there; a line whose
amount ends in a half cent (as an invoice's 2 × 5.7025 less 0.01 does) is where they part, and the directed
case below shows the cent the first would lose: the fraction is now taken from the credited amount, as for
invoices (``booking.discount_fraction``)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any
from unittest.mock import patch

from hypothesis import event, given, settings
from hypothesis import strategies as st

from tests.connectors.exact_online.test_invoice_totals import OSS, _division
from tests.rules.booking_kit import CODES
from tests.rules.test_booking_properties import baskets
from tests.rules.test_refund_properties import _as_the_shop_refunds, _booked, _refunds
from tradewind.connectors.exact_online import booking, credit_notes
from tradewind.connectors.exact_online.client import dumps
from tradewind.errors import RecordError
from tradewind.model import Money, Order
from tradewind.model.refund import Refund
from tradewind.rules.booking import Booking
from tradewind.rules.refunds import CreditNote, compose_credit_note
from tradewind.rules.rounding import BookingLine, LineRole
from tradewind.rules.settings import BookingRules, VatKind
from tradewind.rules.tax import OrderHeld
from tradewind.sandboxes.exact_online import VAT_CODES, ExactOnlineSandbox
from tradewind.sandboxes.exact_online.ledger import INVOICES


@st.composite
def refunded(draw: st.DrawFn) -> tuple[Order, BookingRules, Booking, list[Refund], bool]:
    """A booking as an Exact connection composes it (half up, Exact's VAT method) and refunds of it."""
    order, rules, _ = draw(baskets())
    rules = BookingRules.model_validate({**rules.model_dump(), "booking_type": "sales_invoice", "journal": "70",
                                         "rounding": "half_up", "time_zone": "Europe/Amsterdam",
                                         "base_currency": order.currency})
    order, booked = _booked(draw, order, rules, booking.METHOD)
    everything = draw(st.booleans())
    count = draw(st.integers(min_value=1, max_value=3))
    return order, rules, booked, _refunds(draw, order, booked, count, everything), everything


@settings(max_examples=200, deadline=None)
@given(refunded(), st.data())
def test_the_credit_note_exact_computes_has_the_composed_credit_notes_total(
        case: tuple[Order, BookingRules, Booking, list[Refund], bool], data: st.DataObject) -> None:
    order, rules, booked, refunds, everything = case
    exact, ids = _division(order, rules)

    def refs(entity: str, keys: Any, payload: Any = None) -> str:
        return ids["customer"] if entity == "customer" else ids[keys["sku"]]

    notes: list[CreditNote] = []
    given = [r for r in refunds if r.lines or (r.shipping and r.shipping.amount)]
    for number, given_refund in enumerate(given):
        try:
            shop = _as_the_shop_refunds(data.draw, order, booked, given_refund, rules, booking.METHOD, notes,
                                        last=everything and number == len(given) - 1)
            note = compose_credit_note(order, booked, shop, rules, method=booking.METHOD, earlier=notes,
                                       vat_codes=CODES)
        except (OrderHeld, RecordError):
            event("held or nothing to credit")
            continue
        row = credit_notes.credit_note_out(order, note, refs, customer=ids["customer"], journal="70",
                                           credited_invoice="26000001", day=date(2024, 6, 1))
        with patch.dict(VAT_CODES, OSS):
            made = exact.create(INVOICES, json.loads(dumps(row)))  # as the JSON body Exact receives
        total = Decimal(str(made["AmountFC"])).quantize(Decimal("0.01"))
        event("draft" if note.draft else "credited")
        assert note.totals.total.amount == total, (
            [(ln.sku, ln.quantity, ln.unit_price.amount, ln.discount, ln.vat_rate, ln.amount().amount)
             for ln in note.lines], [(r.get("Quantity"), r.get("UnitPrice"), r.get("Discount"), r.get("VATCode"))
                                     for r in row["SalesInvoiceLines"]],
            [(ln["AmountFC"], ln["VATAmountFC"]) for ln in exact.tables["SalesInvoiceLines"].values()
             if ln["InvoiceID"] == made["InvoiceID"]])
        if not note.draft:
            notes.append(note)


def test_a_credit_line_ending_in_a_half_cent_is_credited_at_its_rounded_amount() -> None:
    """2 × 5.7025 less 0.01 is 11.395, credited 11.40 (half up); 0.01 ÷ 11.405 at eight decimals (0.00087681)
    would leave Exact 11.39499998, which it rounds to 11.39 — the invoices' lost cent (commit e8f5e42)."""
    line = BookingLine(sku="TEA", description="Tea", quantity=Decimal(-2),
                       unit_price=Money.of(Decimal("5.7025"), "EUR"),
                       vat_rate=Decimal(21), vat_code="2", kind=VatKind.DOMESTIC, role=LineRole.ARTICLE,
                       discount=Money.of(Decimal("-0.01"), "EUR"))
    exact = ExactOnlineSandbox()
    exact.seed({"items": [{"Code": "TEA", "Description": "Tea"}], "accounts": [{"Name": "A B"}]})
    item = next(r["ID"] for r in exact.tables["Items"].values() if r["Code"] == "TEA")
    customer = next(iter(exact.tables["Accounts"].values()))["ID"]
    row = {"Type": credit_notes.CREDIT_NOTE, "OrderedBy": customer, "InvoiceTo": customer, "Journal": "70",
           "Currency": "EUR", "YourRef": "#1001/R1",
           "SalesInvoiceLines": [credit_notes._line(line, lambda entity, keys, payload=None: item)]}
    made = exact.create(INVOICES, json.loads(dumps(row)))
    [credited] = [ln for ln in exact.tables["SalesInvoiceLines"].values() if ln["InvoiceID"] == made["InvoiceID"]]
    assert (Decimal("-11.40"), Decimal("-11.40")) == (line.amount().amount, Decimal(str(credited["AmountFC"])))
