"""Money: Decimal with an ISO 4217 currency, never a float."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from tradewind.model import Money, total


def test_a_float_goes_through_its_repr() -> None:
    assert Decimal("0.1") == Money.of(0.1, "EUR").amount
    assert Decimal("0.3") == (Money.of(0.1, "EUR") + Money.of(0.2, "EUR")).amount


def test_strings_and_ints_become_decimals() -> None:
    assert Decimal("19.95") == Money.of(" 19.95 ", "EUR").amount
    assert Decimal("7") == Money.of(7, "EUR").amount


@pytest.mark.parametrize("amount", ["n/a", "", None, True, [1], "NaN", "Infinity"])
def test_amount_that_is_no_number_is_a_validation_error_naming_the_field(amount: object) -> None:
    with pytest.raises(ValidationError) as caught:
        Money.of(amount, "EUR")
    assert ("amount",) == caught.value.errors()[0]["loc"]


def test_currency_is_upper_cased() -> None:
    assert "EUR" == Money.of("1", " eur ").currency


@pytest.mark.parametrize("code", ["EURO", "XYZ", "", "E1"])
def test_currency_outside_iso_4217_is_refused(code: str) -> None:
    with pytest.raises(ValidationError, match="ISO 4217"):
        Money.of("1", code)


def test_adding_two_currencies_raises() -> None:
    with pytest.raises(ValueError, match="cannot combine EUR with USD"):
        Money.of("1", "EUR") + Money.of("1", "USD")


def test_subtracting_and_comparing_two_currencies_raises() -> None:
    with pytest.raises(ValueError, match="USD"):
        Money.of("1", "EUR") - Money.of("1", "USD")
    with pytest.raises(ValueError, match="USD"):
        _ = Money.of("1", "EUR") < Money.of("1", "USD")


def test_arithmetic_in_one_currency() -> None:
    assert Money.of("12.50", "EUR") == Money.of("10.25", "EUR") + Money.of("2.25", "EUR")
    assert Money.of("8.00", "EUR") == Money.of("10.25", "EUR") - Money.of("2.25", "EUR")
    assert Money.of("-3", "EUR") == -Money.of("3", "EUR")
    assert Money.of("1", "EUR") < Money.of("2", "EUR")


@pytest.mark.parametrize(("amount", "expected"), [
    ("2.675", "2.68"), ("-2.675", "-2.68"), ("2.665", "2.67"), ("2.674", "2.67"), ("0.005", "0.01"),
])
def test_rounded_is_half_up(amount: str, expected: str) -> None:
    assert Money.of(expected, "EUR") == Money.of(amount, "EUR").rounded()


def test_rounded_keeps_the_exact_quantum() -> None:
    assert "2.70" == str(Money.of("2.7", "EUR").rounded().amount)


def test_multiplying_by_decimal_or_int() -> None:
    assert Money.of("7.50", "EUR") == Money.of("2.50", "EUR") * 3
    assert Money.of("0.25", "EUR") == Money.of("2.50", "EUR") * Decimal("0.1")


def test_multiplying_by_a_float_raises() -> None:
    with pytest.raises(TypeError, match="float"):
        Money.of("2.50", "EUR") * 0.1  # type: ignore[operator]


def test_money_is_frozen() -> None:
    money = Money.of("1", "EUR")
    with pytest.raises(ValidationError):
        money.amount = Decimal("2")  # type: ignore[misc]


def test_total_sums_one_currency_and_empty_is_zero() -> None:
    assert Money.of("3.30", "EUR") == total([Money.of("1.10", "EUR"), Money.of("2.20", "EUR")], "EUR")
    assert Money.zero("USD") == total([], "usd")
    with pytest.raises(ValueError, match="USD"):
        total([Money.of("1", "USD")], "EUR")


def test_str_shows_currency_and_amount() -> None:
    assert "EUR 19.95" == str(Money.of("19.95", "EUR"))
