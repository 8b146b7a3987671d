"""The payment-method map: paid at once, a payment term, the default, or held naming the method."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from tradewind.errors import RecordError
from tradewind.rules.payments import InvoicePayment, PaymentMethods, invoice_payment
from tradewind.rules.settings import BookingRules
from tradewind.rules.tax import OrderHeld

ISSUED = date(2026, 3, 30)
MAP = PaymentMethods.model_validate({"methods": {"iDEAL": {"paid": True}, "shopify_payments": {"paid": True},
                                                 "Bank Transfer": {"days": 14}, "klarna": {"days": 30}}})


def test_a_method_paid_at_once_registers_the_invoice_paid_on_the_payment_date() -> None:
    assert InvoicePayment("ideal", paid=True, due_on=ISSUED, paid_on=date(2026, 3, 29)) == \
        invoice_payment("ideal", ISSUED, MAP, paid_on=date(2026, 3, 29))
    assert date(2026, 3, 30) == invoice_payment("shopify_payments", ISSUED, MAP).paid_on


def test_a_method_with_a_term_is_due_that_many_days_later_across_a_month_end() -> None:
    assert InvoicePayment("banktransfer", paid=False, due_on=date(2026, 4, 13)) == \
        invoice_payment("banktransfer", ISSUED, MAP)
    assert date(2026, 4, 29) == invoice_payment("Klarna", ISSUED, MAP).due_on


def test_an_unknown_method_is_held_naming_it() -> None:
    with pytest.raises(OrderHeld) as held:
        invoice_payment("cash_on_delivery", ISSUED, MAP, record="#1001")
    assert "payment method 'cash_on_delivery' is not in the payment map (known: banktransfer, ideal, klarna, " \
           "shopify_payments) and there is no default" == held.value.message
    assert ("#1001", "payments[0].method") == (held.value.record, held.value.field)


def test_an_unknown_method_takes_the_default_when_configured() -> None:
    with_default = PaymentMethods.model_validate({**MAP.model_dump(), "default": {"days": 8}})
    assert InvoicePayment("cash_on_delivery", paid=False, due_on=date(2026, 4, 7)) == \
        invoice_payment("cash_on_delivery", ISSUED, with_default)
    assert date(2026, 4, 7) == invoice_payment(None, ISSUED, with_default).due_on
    with pytest.raises(RecordError, match="names no payment method"):
        invoice_payment(None, ISSUED, MAP)


def test_the_map_refuses_two_spellings_of_one_method_and_negative_terms() -> None:
    with pytest.raises(ValidationError, match="differ only in case or spacing"):
        PaymentMethods.model_validate({"methods": {"iDEAL": {"paid": True}, "ideal": {"days": 3}}})
    with pytest.raises(ValidationError):
        PaymentMethods.model_validate({"methods": {"klarna": {"days": -1}}})


def test_a_method_names_its_journal_and_erp_condition_and_the_invoice_payment_carries_them() -> None:
    methods = PaymentMethods.model_validate({"methods": {"iDEAL": {"paid": True, "journal": "20", "condition": "IB"}}})
    decided = invoice_payment("ideal", ISSUED, methods)
    assert decided.terms is not None and ("20", "IB") == (decided.terms.journal, decided.terms.condition)
    with pytest.raises(ValidationError):
        PaymentMethods.model_validate({"methods": {"ideal": {"paid": True, "bank": "20"}}})  # unknown key


def test_the_booking_rules_take_the_map_but_not_beside_the_older_payment_conditions() -> None:
    rules = BookingRules.model_validate({"payments": {"methods": {"ideal": {"paid": True, "journal": "20"}},
                                                      "default": {"days": 8}}})
    assert rules.payments is not None and 8 == rules.payments.default.days  # type: ignore[union-attr]
    with pytest.raises(ValidationError, match="payments and payment_conditions exclude each other"):
        BookingRules.model_validate({"payments": {"default": {"days": 8}}, "payment_conditions": {"ideal": "IB"}})
