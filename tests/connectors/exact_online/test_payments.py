"""Exact receivables as payments (pure): which sync rows are payments received, one invoice's matched
terms as a full or partial payment, and the shop's order number they carry."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tradewind.connectors.exact_online.payments import payment_in, received
from tradewind.errors import RecordError
from tradewind.model import Money

ENTRY = "6f1c3b2a-0000-4000-8000-000000000001"


def term(**changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "ID": "6f1c3b2a-0000-4000-8000-0000000000aa", "Timestamp": 1001, "TransactionEntryID": ENTRY, "LineType": 20,
        "TransactionType": 20, "Status": 50, "IsFullyPaid": True, "AmountFC": 73.5, "TransactionAmountFC": 73.5,
        "Currency": "EUR", "InvoiceNumber": 26000001, "EntryNumber": 26000001, "OrderNumber": None, "YourRef": "#1001",
        "LastPaymentDate": "/Date(1778544000000)/", "Modified": "/Date(1778544000000)/"}
    return {**row, **changes}


@pytest.mark.parametrize(("changes", "kept"), [
    ({}, True), ({"Status": 20}, False), ({"LineType": 22}, False), ({"TransactionType": 40}, False),
    ({"TransactionType": 21}, False),
])
def test_only_matched_receipts_of_sales_entries_are_payments(changes: dict[str, object], kept: bool) -> None:
    assert kept == received(term(**changes))


def test_a_settled_invoice_is_paid_in_full_for_its_total() -> None:
    found = payment_in({"TransactionEntryID": ENTRY, "ShopOrderNumber": "#1001", "Terms": [term()]})
    assert ("#1001", "26000001", True, Money.of("73.50", "EUR"), Money.of("73.50", "EUR")) == (
        found.order_number, found.invoice_number, found.paid_in_full, found.amount, found.invoice_amount)
    assert datetime(2026, 5, 12, tzinfo=UTC) == found.paid_at


def test_matched_parts_without_full_payment_are_a_partial_payment_of_what_they_received() -> None:
    parts = [term(IsFullyPaid=False, AmountFC=30.0), term(IsFullyPaid=False, AmountFC=13.5)]
    found = payment_in({"TransactionEntryID": ENTRY, "ShopOrderNumber": "#1001", "Terms": parts})
    assert (False, Decimal("43.5"), Decimal("30.0")) == (found.paid_in_full, found.amount.amount,
                                                         found.open_amount.amount if found.open_amount else None)


def test_an_invoice_not_booked_from_the_shop_fails_naming_it() -> None:
    with pytest.raises(RecordError, match="invoice 26000001 has no YourRef"):
        payment_in({"TransactionEntryID": ENTRY, "ShopOrderNumber": None, "Terms": [term(YourRef=None)]})
