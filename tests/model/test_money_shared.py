"""Money.shared: Money.of answered once per spelling, refusals as Money.of's."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from tradewind.model import Money


@pytest.mark.parametrize("amount", [Decimal("19.95"), "19.95", " 19.95 ", 19, 0.1, Decimal("-0")])
def test_shared_is_what_of_makes(amount: object) -> None:
    made = Money.shared(amount, "eur")
    assert made == Money.of(amount, "eur")
    assert str(made.amount) == str(Money.of(amount, "eur").amount)


def test_one_spelling_is_made_once_and_spellings_stay_apart() -> None:
    assert Money.shared(Decimal("1.0"), "EUR") is Money.shared(Decimal("1.0"), "EUR")
    assert "1.00" == str(Money.shared(Decimal("1.00"), "EUR").amount)
    assert "1.0" == str(Money.shared(Decimal("1.0"), "EUR").amount)
    assert "USD" == Money.shared(Decimal("1.0"), "USD").currency


@pytest.mark.parametrize(("amount", "currency"), [
    ("n/a", "EUR"), ("NaN", "EUR"), (True, "EUR"), (None, "EUR"), ("1", "EURO"), ("1", None),
    pytest.param(10**5000, "EUR", id="int-past-4300-digits"),
])
def test_a_refusal_is_of_s_each_time(amount: object, currency: object) -> None:
    for _ in range(2):
        with pytest.raises(ValidationError) as shared:
            Money.shared(amount, currency)  # type: ignore[arg-type]
        with pytest.raises(ValidationError) as made:
            Money.of(amount, currency)  # type: ignore[arg-type]
        assert made.value.errors(include_context=False) == shared.value.errors(include_context=False)
        assert str(made.value) == str(shared.value)
