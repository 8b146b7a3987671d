"""What every Shopify codec shares: the connection's :class:`Settings` and the small readers of
Shopify's values (blank strings, MoneyBags, decimals) that turn a bad field into a RecordError."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from tradewind.errors import RecordError
from tradewind.model import Money


@dataclass(frozen=True)
class Settings:
    """What the codec needs of the connection and the shop."""

    currency: str = "EUR"
    """The shop's currency: Shopify's variant prices carry none."""
    taxes_included: bool | None = None
    """Whether the shop's prices include tax; None where nothing needs it (products without a VAT
    basis are written as the source gives them)."""


DEFAULT = Settings()


@contextmanager
def fields_named(record: str | None) -> Iterator[None]:
    """Turn a pydantic validation failure into a RecordError naming the field and the record."""
    try:
        yield
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(p) for p in first["loc"])
        raise RecordError(first["msg"], field=path or None, record=record) from None


def blank(value: Any) -> Any:
    """None for an empty string: Shopify sends "" for a field never filled."""
    return None if value in ("", None) else value


def shop_money(bag: Mapping[str, Any] | None) -> Money | None:
    """``shopMoney`` of a MoneyBag."""
    money = (bag or {}).get("shopMoney")
    if not money:
        return None
    return Money(amount=money["amount"], currency=money["currencyCode"])


def required_money(bag: Mapping[str, Any] | None, where: str, record: str, *, side: str = "shopMoney") -> Money:
    money = bag_money(bag, side)
    if money is None:
        raise RecordError("Shopify sent no amount", field=where, record=record)
    return money


def bag_money(bag: Mapping[str, Any] | None, side: str = "shopMoney") -> Money | None:
    """One side of a MoneyBag: ``shopMoney`` (the shop's currency) or ``presentmentMoney`` (the customer's)."""
    money = (bag or {}).get(side)
    if not money:
        return None
    return Money(amount=money["amount"], currency=money["currencyCode"])


def presentment_side(node: Mapping[str, Any]) -> str:
    """Which side of an order's MoneyBags is the order's money: ``presentmentMoney`` when the customer paid in
    another currency than the shop's (``presentmentCurrencyCode`` ≠ ``currencyCode``), else ``shopMoney``."""
    shown, shop = node.get("presentmentCurrencyCode"), node.get("currencyCode")
    return "presentmentMoney" if shown and shop and shown != shop else "shopMoney"


def to_decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise RecordError(f"{value!r} is not a number") from None
