"""The Exact codec under the connection's ``booking`` rules: reverse charge with the VAT number on the
debtor, Exact's own VAT code list read without guessing, and the option's required time zone.

The sandbox tests are tests/e2e/test_booking.py; the Shopify connector does not yet give an order's VAT
number, so reverse charge is tested here, on the codec. An invalid number cannot reach the codec (the
canonical ``Customer`` refuses it), so its policies are tested in tests/rules/test_booking.py only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from tradewind.connectors.exact_online import booking, codec
from tradewind.connectors.exact_online.options import ExactOnlineOptions
from tradewind.errors import RecordError
from tradewind.model import Address, Customer, Entity, Money, Order, OrderLine
from tradewind.rules.settings import BookingRules, VatCodeEntry, VatKind
from tradewind.rules.tax import VatCodeMap

EXACT_CODES = [  # a Dutch division's vat/VATCodes, Percentage a fraction as Exact answers it
    {"Code": "0", "Percentage": 0.0, "VATTransactionType": "S", "IsBlocked": False},
    {"Code": "1", "Percentage": 0.09, "VATTransactionType": "S", "IsBlocked": False},
    {"Code": "2", "Percentage": 0.21, "VATTransactionType": "B", "IsBlocked": False},
    {"Code": "5", "Percentage": 0.0, "VATTransactionType": "S", "IsBlocked": False},
    {"Code": "7", "Percentage": 0.06, "VATTransactionType": "S", "IsBlocked": True},
    {"Code": "P9", "Percentage": 0.12, "VATTransactionType": "P", "IsBlocked": False},
]
OVERRIDES = [VatCodeEntry(code="5", rate=Decimal(0), kind=VatKind.REVERSE_CHARGE),
             VatCodeEntry(code="D1", rate=Decimal(19), kind=VatKind.OSS, country="DE")]


class RecordingRefs:
    """Refs that answer fixed ids and keep the customer payload the codec would have created."""

    def __init__(self) -> None:
        self.debtor: Any = None

    def __call__(self, entity: str, keys: Mapping[str, str | None], payload: Entity | None = None) -> str:
        if entity == "customer":
            self.debtor = payload
            return "cust-1"
        return f"item-{keys['sku']}"


def settings(**rules: Any) -> codec.Settings:
    booked = BookingRules(time_zone="Europe/Amsterdam", vat_codes=OVERRIDES, **rules)
    return codec.Settings(booking=booked, vat_code_map=VatCodeMap(booking.code_entries(EXACT_CODES), OVERRIDES))


def b2b_order(vat_number: str) -> Order:
    """2 mugs at 10.74 net (21% at home) to a company in Berlin that gave ``vat_number``."""
    berlin = Address(line1="Invalidenstr. 1", postcode="10115", city="Berlin", country="DE")
    return Order(number="#2001", created_at=datetime(2026, 5, 12, 10, tzinfo=UTC), currency="EUR",
                 customer=Customer(name="Weber GmbH", email="einkauf@weber.de", vat_number=vat_number),
                 shipping_address=berlin, prices_include_vat=False, total=Money.of("21.48", "EUR"),
                 tax_total=Money.of("0", "EUR"),
                 lines=[OrderLine(sku="MUG-01", quantity=Decimal(2), unit_price=Money.of("10.74", "EUR"),
                                  vat_rate=Decimal(21))])


def test_exact_codes_give_one_domestic_code_per_rate_and_leave_shared_rates_to_the_project() -> None:
    entries = booking.code_entries(EXACT_CODES)
    # 0% is served by 0 and 5: not guessed; 7 is blocked; P9 is a purchase code
    assert {(Decimal(9), "1"), (Decimal(21), "2")} == {(e.rate, e.code) for e in entries}
    assert {VatKind.DOMESTIC} == {e.kind for e in entries}


def test_reverse_charge_books_0_percent_on_the_reverse_charge_code_with_the_vat_number_on_the_debtor() -> None:
    refs = RecordingRefs()
    native = codec.order_out(b2b_order("DE 136 695 976"), refs, settings())
    assert [{"Item": "item-MUG-01", "Description": "MUG-01", "Quantity": Decimal(2),
             "UnitPrice": Decimal("10.7400"), "VATCode": "5"}] == native["SalesOrderLines"]
    assert "DE136695976" == refs.debtor.vat_number
    assert "2026-05-12" == native["OrderDate"]


def test_a_booking_block_needs_the_shops_time_zone() -> None:
    base = {"division": 1, "client_id": "c", "client_secret": "${S}", "refresh_token": "${R}"}
    with pytest.raises(ValidationError, match=r"booking\.time_zone is required"):
        ExactOnlineOptions.model_validate({**base, "booking": {}})
    options = ExactOnlineOptions.model_validate({**base, "shipping_item": "SHIP", "discount_item": "DISC",
                                                 "booking": {"time_zone": "Europe/Amsterdam", "shipping_item": "S2"}})
    rules = options.settings().booking
    assert rules is not None and ("S2", "DISC") == (rules.shipping_item, rules.discount_item)
    assert ExactOnlineOptions.model_validate(base).settings().booking is None


def test_a_codec_called_without_a_zone_refuses_rather_than_guessing() -> None:
    rules = BookingRules(vat_codes=OVERRIDES)
    with pytest.raises(RecordError, match="time_zone"):
        codec.order_out(b2b_order("DE136695976"), RecordingRefs(), codec.Settings(booking=rules))


def test_a_difference_beyond_the_tolerance_is_booked_with_draft_first_in_the_remarks_when_configured() -> None:
    # 10.74 + 2.26 VAT (10.74 × 21% = 2.2554) = 13.00 booked; the shop says 14.00
    order = Order(number="#2002", created_at=datetime(2026, 5, 12, 10, tzinfo=UTC), currency="EUR",
                  customer=Customer(name="Anna", email="anna@example.com"), total=Money.of("14.00", "EUR"),
                  note="leave at the door",
                  lines=[OrderLine(sku="MUG-01", quantity=Decimal(1), unit_price=Money.of("10.74", "EUR"),
                                   vat_rate=Decimal(21))])
    native = codec.order_out(order, RecordingRefs(), settings(on_difference="draft"))
    assert ("DRAFT: difference EUR 1.00 exceeds the tolerance of 0.05: the shop's total is EUR 14.00, the "
            "booking's EUR 13.00\nleave at the door") == native["Remarks"]
    assert [("item-MUG-01", "2")] == [(ln["Item"], ln["VATCode"]) for ln in native["SalesOrderLines"]]
