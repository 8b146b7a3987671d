"""Marking orders paid: the documents against Shopify's real 2026-07 schema, the payload the codec
writes, and the reasons given for an order Shopify will not mark paid and for a partial payment."""

from __future__ import annotations

from datetime import UTC, datetime

import graphql
import pytest
from graphql.validation import NoDeprecatedCustomRule

from tradewind.connectors.shopify.order_payments import DOCUMENTS, outstanding_in, partial, payment_out, refusal
from tradewind.model import Money, Payment

from .test_schema import schema  # noqa: F401  (the fixture)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_is_valid_for_shopify_and_uses_nothing_deprecated(schema: graphql.GraphQLSchema,  # noqa: F811
                                                                    name: str) -> None:
    document = graphql.parse(DOCUMENTS[name])
    assert [] == [e.message for e in graphql.validate(schema, document, [*graphql.specified_rules,
                                                                          NoDeprecatedCustomRule])]


def payment(**changes: object) -> Payment:
    values: dict[str, object] = {
        "reference": "invoice 26000001", "order_number": "#1001", "invoice_number": "26000001",
        "amount": Money.of("30.00", "EUR"), "invoice_amount": Money.of("73.50", "EUR"),
        "paid_at": datetime(2026, 5, 12, tzinfo=UTC), "paid_in_full": False}
    return Payment.model_validate({**values, **changes})


def test_the_payload_carries_the_order_the_amounts_and_whether_the_invoice_is_settled() -> None:
    assert {"order_number": "#1001", "invoice_number": "26000001", "reference": "invoice 26000001",
            "paid_in_full": False, "amount": "30.00", "currency": "EUR", "invoice_amount": "73.50",
            "paid_at": "2026-05-12T00:00:00+00:00"} == payment_out(payment(), lambda *a, **k: "")


def test_a_partial_payment_says_what_was_received_and_what_is_open() -> None:
    native = payment_out(payment(), lambda *a, **k: "")
    assert ("partial payment: EUR 30.00 of EUR 73.50 received for invoice 26000001; EUR 43.50 open; order #1001 "
            "is not marked paid in the shop until the invoice is paid in full") == partial(native)
    assert Money.of("43.50", "EUR") == payment().open_amount


@pytest.mark.parametrize(("node", "expected"), [
    ({"name": "#1", "displayFinancialStatus": "PAID", "canMarkAsPaid": False}, None),
    ({"name": "#1", "displayFinancialStatus": "PENDING", "canMarkAsPaid": True}, None),
    ({"name": "#1", "displayFinancialStatus": "REFUNDED", "canMarkAsPaid": False,
      "totalOutstandingSet": {"shopMoney": {"amount": "0.0"}}},
     "order #1 cannot be marked as paid in the shop: its payment is refunded (outstanding 0.0; "
     "Order.canMarkAsPaid is false)"),
    ({"name": "#1", "displayFinancialStatus": "PENDING", "canMarkAsPaid": False, "cancelledAt": "2026-05-02"},
     "order #1 cannot be marked as paid in the shop: it is cancelled (outstanding 0; Order.canMarkAsPaid is false)"),
])
def test_why_the_shop_will_not_mark_an_order_paid(node: dict[str, object], expected: str | None) -> None:
    why = refusal(node)
    assert expected == (why.split(" — ")[0] if why else None)


def test_an_order_paid_in_another_currency_is_compared_on_its_presentment_side() -> None:
    """The ERP books a USD order in USD (currency_rate), so its payment is in USD: the shop's outstanding
    balance is read on the side in that currency, and a currency the order has on neither side is none."""
    node = {"totalOutstandingSet": {"shopMoney": {"amount": "12.87", "currencyCode": "EUR"},
                                    "presentmentMoney": {"amount": "13.99", "currencyCode": "USD"}}}
    assert {"amount": "13.99", "currencyCode": "USD"} == outstanding_in(node, "USD")
    assert {"amount": "12.87", "currencyCode": "EUR"} == outstanding_in(node, "EUR")
    assert outstanding_in(node, "GBP") is None
    assert outstanding_in(None, "EUR") is None
