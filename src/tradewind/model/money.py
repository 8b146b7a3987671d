"""Money: a Decimal amount with its ISO 4217 currency. Never a float.

Arithmetic across currencies raises, because a silent EUR + USD is a booking error nobody
finds until the accountant does.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Annotated, Any, Self

import pycountry
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

CENT = Decimal("0.01")


def _to_decimal(value: Any) -> Decimal:
    # ValueError (never TypeError or decimal.InvalidOperation), so pydantic reports the field path
    # and the run loop fails this one record instead of the run.
    if isinstance(value, Decimal):  # first: codecs hand over Decimals (JSON is read with parse_float=Decimal)
        number = value
    elif isinstance(value, float):
        # A float has already lost the cents; go through its shortest repr, never its binary value.
        number = Decimal(repr(value))
    elif isinstance(value, int | str) and not isinstance(value, bool):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"cannot read {value!r} as a decimal amount") from None
    else:
        raise ValueError(f"cannot read {value!r} as a decimal amount")
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite amount")
    return number


Amount = Annotated[Decimal, BeforeValidator(_to_decimal)]
"""A Decimal field that accepts strings and ints (and floats only through their repr)."""


@lru_cache(maxsize=1024)
def valid_currency(code: str) -> str:
    """Upper-case ISO 4217 code, or ValueError. Answered once per spelling: every amount of every
    record names one, and a refusal (an exception) is never kept."""
    normalized = code.strip().upper()
    if len(normalized) != 3 or pycountry.currencies.get(alpha_3=normalized) is None:
        raise ValueError(f"{code!r} is not an ISO 4217 currency code")
    return normalized


Currency = Annotated[str, AfterValidator(valid_currency)]
"""An ISO 4217 code, upper case."""


class Money(BaseModel):
    """An amount of one currency."""

    model_config = ConfigDict(frozen=True)

    amount: Amount
    currency: Currency

    @classmethod
    def of(cls, amount: Any, currency: str) -> Money:
        """``Money(amount=…, currency=…)``, validated as such without ``__init__``'s own overhead
        (about a third of a Money's making; codecs make one per amount of every record)."""
        money: Money = cls.__pydantic_validator__.validate_python({"amount": amount, "currency": currency})
        return money

    @classmethod
    def shared(cls, amount: Any, currency: str) -> Money:
        """``Money.of``, made once per spelling (the amount's type and text, and the currency):
        Money is immutable, and the prices of a catalogue repeat a few amounts, each read and
        converted once per record. A refusal is never kept; other types are made each time."""
        if type(amount) not in _SPELLED or type(currency) is not str:
            return cls.of(amount, currency)
        key = (cls, type(amount), str(amount), currency)
        money = _SHARED.get(key)
        if money is None:
            money = cls.of(amount, currency)
            if len(_SHARED) >= _SHARED_MAX:
                _SHARED.clear()  # bounded: a catalogue of ever new amounts starts over
            _SHARED[key] = money
        return money

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(amount=Decimal("0"), currency=currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount - other.amount, currency=self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, float):
            raise TypeError("multiply Money by a Decimal or int, not a float")
        return Money(amount=self.amount * factor, currency=self.currency)

    def __neg__(self) -> Money:
        return Money(amount=-self.amount, currency=self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def rounded(self, quantum: Decimal = CENT) -> Self:
        """Commercial rounding (half up) to cents, the rule invoices use."""
        return self.model_copy(update={"amount": self.amount.quantize(quantum, rounding=ROUND_HALF_UP)})

    def __str__(self) -> str:
        return f"{self.currency} {self.amount}"


_SPELLED = (Decimal, str)
"""Amount types whose text tells the amount exactly (``Decimal("1.0")`` and ``Decimal("1.00")`` apart) and
is always had (an int's may be refused, past 4,300 digits: that refusal stays Money.of's)."""
_SHARED: dict[tuple[type, type, str, str], Any] = {}
_SHARED_MAX = 4096


def total(amounts: list[Money], currency: str) -> Money:
    """Sum a list of Money of one currency (an empty list sums to zero)."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result
