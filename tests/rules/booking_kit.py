"""Shared makers for the booking-rule tests: an NL shop, Exact's NL VAT codes plus OSS codes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tradewind.model import Address, Customer, Money, Order, OrderLine
from tradewind.rules.settings import BookingRules, VatCodeEntry, VatKind
from tradewind.rules.tax import VatCodeMap


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def line(sku: str, quantity: int, price: str, rate: str, **values: Any) -> OrderLine:
    return OrderLine(sku=sku, title=sku, quantity=Decimal(quantity), unit_price=eur(price), vat_rate=Decimal(rate),
                     **values)


def order(total: str, lines: list[OrderLine], *, country: str = "NL", gross: bool = True, **values: Any) -> Order:
    base: dict[str, Any] = {
        "number": "#1001", "created_at": datetime(2024, 5, 1, 10, tzinfo=UTC), "currency": "EUR",
        "customer": Customer(name="Anna de Vries", email="anna@example.com"), "total": eur(total),
        "lines": lines, "prices_include_vat": gross, "shipping_address": Address(country=country)}
    base.update(values)
    return Order(**base)


ERP_CODES = [
    VatCodeEntry(code="2", rate=Decimal(21)), VatCodeEntry(code="1", rate=Decimal(9)),
    VatCodeEntry(code="0", rate=Decimal(0)),
    VatCodeEntry(code="5", rate=Decimal(0), kind=VatKind.REVERSE_CHARGE),
    VatCodeEntry(code="6", rate=Decimal(0), kind=VatKind.EXPORT),
    VatCodeEntry(code="D1", rate=Decimal(19), kind=VatKind.OSS, country="DE"),
    VatCodeEntry(code="D2", rate=Decimal(7), kind=VatKind.OSS, country="DE"),
    VatCodeEntry(code="D0", rate=Decimal(0), kind=VatKind.OSS, country="DE"),
    VatCodeEntry(code="B1", rate=Decimal(21), kind=VatKind.OSS, country="BE"),
    VatCodeEntry(code="B3", rate=Decimal(6), kind=VatKind.OSS, country="BE"),
    VatCodeEntry(code="E22", rate=Decimal(22), kind=VatKind.OSS, country="EE"),
    VatCodeEntry(code="E24", rate=Decimal(24), kind=VatKind.OSS, country="EE"),
]
CODES = VatCodeMap(ERP_CODES)


def rules(**values: Any) -> BookingRules:
    base: dict[str, Any] = {"discount_item": "DISC", "shipping_item": "SHIP", "rounding_item": "ROUND"}
    base.update(values)
    return BookingRules(**base)


def booked(lines: list[Any]) -> list[tuple[str, str, str, str, str]]:
    """(sku, quantity, unit price, VAT rate, VAT code) of each booked line, as text."""
    return [(b.sku, str(b.quantity), str(b.unit_price.amount), str(b.vat_rate), b.vat_code) for b in lines]
