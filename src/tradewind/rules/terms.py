"""The order's terms in the ERP's words: shipping method and payment condition through the booking's value
maps, and the rate of an order in another currency than the ERP's base currency.

Value maps never guess: a value the map lacks takes the configured default, or the order is held naming
the value (the user adds it to the map and replays). Currency is never guessed either: an order in a
foreign currency is booked with the rate the flow names (the ERP's own for the business date, or the
shop's) or held with the reason — never as if its amounts were in the base currency.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from tradewind.model import Order
from tradewind.rules.settings import BookingRules, CurrencyRate
from tradewind.rules.tax import OrderHeld

RATE = Decimal("0.000001")
"""Precision of a rate derived from two amounts (the shop's)."""


def mapped(value: str | None, table: Mapping[str, str], default: str | None, *, what: str, option: str,
           field: str) -> str | None:
    """``value`` through ``table`` (compared without case); the default for a value it lacks; held
    naming the value when there is no default. An empty table maps nothing (None)."""
    if not table:
        return None
    lowered = {k.casefold(): v for k, v in table.items()}
    if value is not None and value.casefold() in lowered:
        return lowered[value.casefold()]
    if default is not None:
        return default
    shown = repr(value) if value is not None else "(none)"
    raise OrderHeld(f"{what} {shown} is not in booking.{option} and no default is set", field=field)


def shipping_method(order: Order, rules: BookingRules) -> str | None:
    """The ERP's shipping method code for the order (None: the map is empty, nothing is sent)."""
    return mapped(order.shipping_method, rules.shipping_methods, rules.default_shipping_method,
                  what="shipping method", option="shipping_methods", field="shipping_lines[0].code")


def payment_condition(order: Order, rules: BookingRules) -> str | None:
    """The ERP's payment condition for the order's payment method (None: the map is empty)."""
    return mapped(order.payment_method, rules.payment_conditions, rules.default_payment_condition,
                  what="payment method", option="payment_conditions", field="payments[0].method")


@dataclass(frozen=True)
class Exchange:
    """How an order's amounts relate to the ERP's base currency: ``rate`` base units per unit of the
    order's currency (1 for an order in the base currency), and where it came from."""

    currency: str
    base: str
    rate: Decimal
    source: str  # "base" | "erp" | "shop"

    @property
    def foreign(self) -> bool:
        return self.currency != self.base


def exchange(order: Order, rules: BookingRules, base: str, *, erp_rate: Decimal | None = None) -> Exchange:
    """The rate an order is booked with (see the module docstring). ``erp_rate`` is the ERP's rate for the
    business date, looked up by the connector when ``currency_rate: erp`` (None: the ERP has none)."""
    if order.currency == base:
        return Exchange(order.currency, base, Decimal(1), "base")
    how = rules.currency_rate
    prefix = f"the order is in {order.currency}, the ERP's base currency is {base}"
    if how is CurrencyRate.HOLD:
        raise OrderHeld(f"{prefix}; currency_rate: hold holds such orders", field="currency")
    if how is CurrencyRate.ERP:
        if erp_rate is None or erp_rate <= 0:
            raise OrderHeld(f"{prefix} and the ERP has no {order.currency} rate for the order's date",
                            field="currency")
        return Exchange(order.currency, base, erp_rate, "erp")
    if order.exchange_rate is None or order.exchange_rate <= 0:
        raise OrderHeld(f"{prefix} and the shop gives no rate for it (currency_rate: shop)", field="currency")
    return Exchange(order.currency, base, order.exchange_rate.quantize(RATE), "shop")
