"""rules/terms.py: value maps for shipping and payment, and the rate of an order in another currency."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from tests.rules.booking_kit import eur, line, order, rules
from tradewind.model import Customer, Money, Order, OrderLine, PaymentInfo, ShippingLine
from tradewind.rules import terms
from tradewind.rules.settings import BookingRules, BookingType, Ledger
from tradewind.rules.tax import OrderHeld


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def test_shipping_method_by_code_then_title_without_case() -> None:
    shop = order("4.95", [line("MUG", 1, "0.00", "21")], shipping_lines=[ShippingLine(title="PostNL", code="postnl",
                                                                                      price=eur("4.95"))])
    assert "POSTNL" == terms.shipping_method(shop, rules(shipping_methods={"POSTNL": "POSTNL"}))
    assert terms.shipping_method(shop, rules()) is None  # an empty map sends nothing


def test_an_unmapped_value_takes_the_default_or_holds_the_order_naming_it() -> None:
    shop = order("1.00", [line("MUG", 1, "1.00", "21")], payments=[PaymentInfo(method="klarna", amount=eur("1.00"))])
    assert "14" == terms.payment_condition(shop, rules(payment_conditions={"ideal": "IB"},
                                                       default_payment_condition="14"))
    with pytest.raises(OrderHeld, match=r"payment method 'klarna' is not in booking\.payment_conditions"):
        terms.payment_condition(shop, rules(payment_conditions={"ideal": "IB"}))


def test_an_order_in_the_base_currency_has_rate_one() -> None:
    shop = order("1.00", [line("MUG", 1, "1.00", "21")])
    assert terms.Exchange("EUR", "EUR", Decimal(1), "base") == terms.exchange(shop, rules(), "EUR")


def test_a_foreign_order_at_the_erps_rate_the_shops_or_held() -> None:
    mug = OrderLine(sku="MUG", quantity=Decimal(1), unit_price=usd("10.00"), vat_rate=Decimal(21))
    shop = Order(number="#1001", created_at=datetime(2024, 5, 1, 10, tzinfo=UTC), currency="USD",
                 customer=Customer(name="Anna"), lines=[mug], total=usd("10.00"), exchange_rate=Decimal("0.9187654321"))
    assert Decimal("0.9250") == terms.exchange(shop, rules(currency_rate="erp"), "EUR",
                                               erp_rate=Decimal("0.9250")).rate
    assert Decimal("0.918765") == terms.exchange(shop, rules(currency_rate="shop"), "EUR").rate
    with pytest.raises(OrderHeld, match="the ERP has no USD rate for the order's date"):
        terms.exchange(shop, rules(currency_rate="erp"), "EUR", erp_rate=None)
    with pytest.raises(OrderHeld, match="currency_rate: hold holds such orders"):
        terms.exchange(shop, rules(), "EUR")


def test_ledger_per_country_lays_its_values_over_the_default() -> None:
    setting = rules(ledger=Ledger(revenue_account="8000", cost_center="NL", cost_unit="SHOP"),
                    ledger_by_country={"DE": Ledger(revenue_account="8010", cost_center="DE")})
    assert Ledger(revenue_account="8010", cost_center="DE", cost_unit="SHOP") == setting.ledger_for("DE")
    assert Ledger(revenue_account="8000", cost_center="NL", cost_unit="SHOP") == setting.ledger_for("FR")


def test_invoices_and_entries_need_a_journal_and_master_excludes_updates() -> None:
    with pytest.raises(ValidationError, match="booking_type: sales_entry needs journal"):
        BookingRules(booking_type=BookingType.SALES_ENTRY)
    with pytest.raises(ValidationError, match="exclude each other"):
        BookingRules(update_booked_orders=True, erp_master=True)
