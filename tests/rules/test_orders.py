from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from tradewind.errors import RecordError
from tradewind.model import Customer, Discount, Money, Order, OrderLine, ShippingLine
from tradewind.rules.orders import check_totals, compose_lines


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def order(**values: Any) -> Order:
    base: dict[str, Any] = {"number": "#1001", "created_at": datetime(2024, 5, 1, 10, tzinfo=UTC), "currency": "EUR",
                            "customer": Customer(name="Anna de Vries", email="anna@example.com"), "total": eur("0")}
    base.update(values)
    return Order(**base)


def test_gross_prices_with_two_rates_discount_and_shipping() -> None:
    # A shop with prices incl. VAT: 2 × shirt 19.99 (21%), 1 × book 25.00 (9%), 10.00 discount, 4.95 shipping.
    shop = order(prices_include_vat=True, total=eur("59.93"),
                 lines=[OrderLine(sku="TSH-1", title="Shirt", quantity=Decimal(2),
                                  unit_price=eur("19.99"), vat_rate=Decimal(21)),
                        OrderLine(sku="BKS-1", title="Book", quantity=Decimal(1),
                                  unit_price=eur("25.00"), vat_rate=Decimal(9))],
                 discounts=[Discount(code="WELCOME", amount=eur("10.00"))],
                 shipping_lines=[ShippingLine(title="PostNL", price=eur("4.95"))])
    lines = compose_lines(shop, shipping_sku="SHIP", discount_sku="DISC")

    assert ["TSH-1", "BKS-1", "DISC", "DISC", "SHIP"] == [line.sku for line in lines]
    assert eur("16.5207") == lines[0].unit_price  # 19.99 / 1.21
    assert eur("22.9358") == lines[1].unit_price  # 25.00 / 1.09
    # the discount is split over the bases: 39.98 (21%) and 25.00 (9%) of 64.98
    assert [Decimal("21"), Decimal("9")] == [lines[2].vat_rate, lines[3].vat_rate]
    assert eur("-5.0826") == lines[2].unit_price  # 6.15 gross at 21%
    assert eur("-3.5321") == lines[3].unit_price  # 3.85 gross at 9%
    assert Decimal("21") == lines[4].vat_rate  # shipping follows the highest rate of the goods
    assert eur("4.0909") == lines[4].unit_price
    assert eur("0.00") == check_totals(shop, lines)


def test_rounding_leaves_cents_for_compensation() -> None:
    # 3 × 0.99 incl. 21%: per line net 2.45 + VAT 0.51 = 2.96, the shop charged 2.97.
    shop = order(prices_include_vat=True, total=eur("2.97"),
                 lines=[OrderLine(sku="SCK-1", quantity=Decimal(3), unit_price=eur("0.99"), vat_rate=Decimal(21))])
    lines = compose_lines(shop, shipping_sku=None, discount_sku=None)
    assert eur("0.8182") == lines[0].unit_price
    assert eur("2.45") == lines[0].amount
    assert eur("0.01") == check_totals(shop, lines)


def test_net_prices_stay_and_line_discount_is_kept() -> None:
    shop = order(total=eur("24.20"),
                 lines=[OrderLine(sku="MUG-1", quantity=Decimal(2), unit_price=eur("12.50"), discount=eur("5.00"),
                                  vat_rate=Decimal(21))])
    lines = compose_lines(shop, shipping_sku="SHIP", discount_sku="DISC")
    assert eur("12.50") == lines[0].unit_price
    assert eur("20.00") == lines[0].amount
    assert eur("0.00") == check_totals(shop, lines)


def test_rate_from_tax_when_the_shop_gives_no_rate() -> None:
    shop = order(prices_include_vat=True, total=eur("10.90"),
                 lines=[OrderLine(sku="BKS-1", quantity=Decimal(1), unit_price=eur("10.90"), tax=eur("0.90"))])
    lines = compose_lines(shop, shipping_sku=None, discount_sku=None)
    assert Decimal("9") == lines[0].vat_rate
    assert eur("10.00") == lines[0].unit_price.rounded()


def test_gross_kept_when_not_net() -> None:
    shop = order(prices_include_vat=True, total=eur("12.10"),
                 lines=[OrderLine(sku="A", quantity=Decimal(1), unit_price=eur("12.10"), vat_rate=Decimal(21))])
    lines = compose_lines(shop, shipping_sku=None, discount_sku=None, net=False)
    assert eur("12.10") == lines[0].unit_price and lines[0].includes_vat
    assert eur("0.00") == check_totals(shop, lines)


def test_missing_articles_and_rates_name_the_field() -> None:
    with_shipping = order(total=eur("1"), lines=[OrderLine(sku="A", quantity=Decimal(1), unit_price=eur("1"))],
                          shipping_lines=[ShippingLine(title="DHL", price=eur("5"))])
    with pytest.raises(RecordError) as caught:
        compose_lines(with_shipping, shipping_sku=None, discount_sku=None)
    assert "shipping_lines[0]" == caught.value.field

    with_discount = order(total=eur("1"), lines=[OrderLine(sku="A", quantity=Decimal(1), unit_price=eur("1"))],
                          discounts=[Discount(amount=eur("1"))])
    with pytest.raises(RecordError) as caught:
        compose_lines(with_discount, shipping_sku="S", discount_sku=None)
    assert "discounts[0]" == caught.value.field

    gross_no_rate = order(prices_include_vat=True, total=eur("1"),
                          lines=[OrderLine(sku="A", quantity=Decimal(1), unit_price=eur("1")),
                                 OrderLine(sku="B", quantity=Decimal(1), unit_price=eur("1"))])
    with pytest.raises(RecordError) as caught:
        compose_lines(gross_no_rate, shipping_sku=None, discount_sku=None)
    assert "lines[0].vat_rate" == caught.value.field


def test_free_shipping_books_no_line() -> None:
    shop = order(total=eur("1.21"), lines=[OrderLine(sku="A", quantity=Decimal(1),
                                                     unit_price=eur("1"), vat_rate=Decimal(21))],
                 shipping_lines=[ShippingLine(title="Free", price=eur("0"))])
    assert ["A"] == [line.sku for line in compose_lines(shop, shipping_sku=None, discount_sku=None)]
