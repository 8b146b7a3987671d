"""The SalesEntries body crediting a refund of an order booked as a sales entry (connectors/exact_online/
credit_entries.py), on the booking of tests/rules/test_refunds.py: SHIRT 36.00 (21 %), BOOK 10.00 (9 %), SHIP 5.00
(21 %), 60.51 with VAT. Each credit line takes the dimensions of the booked line it reverses; an order-level
adjustment goes on the GL account ``adjustment_item`` names, with the first booked line's cost centre and unit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tests.rules.test_refunds import book, credit, refund, rules, shop_order
from tradewind.connectors.exact_online.credit_entries import credit_entry_out
from tradewind.connectors.exact_online.documents import DivisionFacts
from tradewind.model.refund import RefundLine
from tradewind.rules.tax import OrderHeld

d = Decimal
ENTRY = rules(discount_item=None, adjustment_item="8900", booking_type="sales_entry", journal="70")
FACTS = DivisionFacts(ids={"GLAccounts": {"8000": "gl-8000", "8010": "gl-8010", "8900": "gl-8900"}})


def _booked() -> dict[str, Any]:
    """The booked entry as Exact answers it (lines in LineNumber order; the book on another cost unit)."""
    return {"EntryID": "e-1", "EntryNumber": 7, "Customer": "acc-1", "Journal": "70", "Currency": "EUR", "Rate": 1.0,
            "SalesEntryLines": [
                {"LineNumber": 3, "Description": "PostNL", "GLAccount": "gl-8000", "CostCenter": "NL",
                 "CostUnit": "SHOP"},
                {"LineNumber": 1, "Description": "SHIRT", "GLAccount": "gl-8000", "CostCenter": "NL",
                 "CostUnit": "SHOP"},
                {"LineNumber": 2, "Description": "BOOK", "GLAccount": "gl-8010", "CostCenter": "NL",
                 "CostUnit": "B2B"}]}


def _lines(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(ln["GLAccount"], ln["CostCenter"], ln["CostUnit"], ln["VATCode"], ln["Quantity"], ln["AmountFC"])
            for ln in body["SalesEntryLines"]]


def _out(given: Any) -> dict[str, Any]:
    shop = shop_order()
    booking = book(shop, ENTRY)
    note = credit(shop, booking, ENTRY, given)
    return credit_entry_out(shop, note, booking, _booked(), ENTRY, facts=FACTS, journal="70", day=date(2024, 5, 8),
                            foreign=False)


def test_each_credit_line_goes_where_its_booked_line_went() -> None:
    body = _out(refund("R1", "10.90", RefundLine(sku="BOOK", quantity=d(1))))
    assert [("gl-8010", "NL", "B2B", "1", d(-1), d("-10.00"))] == _lines(body)
    assert {"Customer": "acc-1", "Journal": "70", "YourRef": "#1001/RR1", "Currency": "EUR",
            "Description": "Refund of order #1001: credits sales entry 7", "EntryDate": "2024-05-08"} == {
        k: v for k, v in body.items() if k != "SalesEntryLines"}


def test_an_adjustment_goes_on_the_adjustment_account_with_the_first_lines_cost_centre() -> None:
    """10.00 back without lines: 8.20 at 21 % (6.78 net) and 1.80 at 9 % (1.65 net), on 8900."""
    assert [("gl-8900", "NL", "SHOP", "2", d(-1), d("-6.78")), ("gl-8900", "NL", "SHOP", "1", d(-1), d("-1.65"))] == (
        _lines(_out(refund("R1", "10.00"))))


def test_a_credit_the_rules_would_draft_is_held_a_sales_entry_has_no_draft() -> None:
    shop = shop_order()
    drafting = ENTRY.model_copy(update={"on_difference": "draft", "adjustment_item": None})
    booking = book(shop, drafting)
    note = credit(shop, booking, drafting, refund("R1", "25.00", RefundLine(sku="SHIRT", quantity=d(1))))
    with pytest.raises(OrderHeld, match="a sales entry has no draft"):
        credit_entry_out(shop, note, booking, _booked(), drafting, facts=FACTS, journal="70", day=date(2024, 5, 8),
                         foreign=False)
