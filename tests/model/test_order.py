"""Orders: one currency throughout, line totals and discount totals."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from tradewind.model import Money, Order, OrderLine


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def order(**changes: Any) -> Order:
    fields: dict[str, Any] = {
        "number": "#1001",
        "created_at": datetime(2026, 5, 1, 10, 0, tzinfo=UTC),
        "currency": "EUR",
        "customer": {"name": "Ann Smit", "email": "ann@example.com"},
        "lines": [{"sku": "A-1", "quantity": "2", "unit_price": eur("10.00")}],
        "total": eur("20.00"),
    }
    fields.update(changes)
    return Order.model_validate(fields)


def test_a_valid_order() -> None:
    assert Decimal("2") == order().quantity_total


def test_line_in_another_currency_is_refused_naming_it() -> None:
    lines = [{"sku": "A-1", "quantity": "1", "unit_price": Money.of("10", "USD")}]
    with pytest.raises(ValidationError, match="order #1001 is in EUR but has amounts in USD"):
        order(lines=lines)


def test_total_in_another_currency_is_refused_naming_it() -> None:
    with pytest.raises(ValidationError, match="amounts in GBP"):
        order(total=Money.of("20", "GBP"))


@pytest.mark.parametrize("changes", [
    {"discounts": [{"code": "SPRING", "amount": Money.of("5", "USD")}]},
    {"shipping_lines": [{"title": "PostNL", "price": Money.of("4.95", "USD")}]},
    {"payments": [{"method": "ideal", "amount": Money.of("20", "USD")}]},
    {"subtotal": Money.of("20", "USD")},
    {"tax_total": Money.of("3.47", "USD")},
    {"lines": [{"sku": "A-1", "quantity": "2", "unit_price": eur("10"), "discount": Money.of("1", "USD")}]},
    {"lines": [{"sku": "A-1", "quantity": "2", "unit_price": eur("10"), "tax": Money.of("1", "USD")}]},
], ids=["discount", "shipping", "payment", "subtotal", "tax_total", "line_discount", "line_tax"])
def test_any_amount_in_another_currency_is_refused_naming_it(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="amounts in USD"):
        order(**changes)


def test_discount_total_sums_order_discounts() -> None:
    discounted = order(discounts=[{"code": "SPRING", "amount": eur("5.00")}, {"title": "auto", "amount": eur("1.50")}])
    assert eur("6.50") == discounted.discount_total


def test_discount_total_without_discounts_is_zero_in_order_currency() -> None:
    assert Money.zero("EUR") == order().discount_total


def test_line_net_total_is_quantity_times_price_less_line_discount() -> None:
    line = OrderLine(sku="A-1", quantity=Decimal("3"), unit_price=eur("9.95"), discount=eur("2.00"))
    assert eur("27.85") == line.net_total


def test_line_net_total_without_discount() -> None:
    line = OrderLine(sku="A-1", quantity=Decimal("1.5"), unit_price=eur("9.95"))
    assert eur("14.925") == line.net_total


def test_order_needs_a_line() -> None:
    with pytest.raises(ValidationError, match="lines"):
        order(lines=[])


def test_naive_created_at_is_refused() -> None:
    with pytest.raises(ValidationError, match="no time zone"):
        order(created_at=datetime(2026, 5, 1, 10, 0))
