"""Which VAT rates a shop books under its ``booking`` rules, so an online check can tell whether
the ERP's VAT codes cover them before an order fails on a missing code.

The rates are those the booking can reach on ``day``: every rate of the home country (domestic),
and, with ``oss`` on, each other member state's rates of the classes the home rates have (a product
keeps its class across a border, :func:`~tradewind.rules.tax.destination_rate`) but zero, as
zero-rated goods sold to consumers abroad are rare (such a line still fails naming its rate when
booked); 0% for reverse charge (when on) and for exports. Reverse-charge and export codes serve every country.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tradewind.rules.settings import BookingRules, VatKind
from tradewind.rules.tax import VatCodeMap
from tradewind.rules.vat_rates import EU_MEMBERS, RateClass, rates_on

Rate = tuple[Decimal, VatKind, str | None]
"""A rate in percent, its kind and its country (None: any country)."""


@dataclass(frozen=True)
class Gap:
    """The rates of one kind and country that have no VAT code."""

    kind: VatKind
    country: str | None
    rates: tuple[Decimal, ...]

    def describe(self) -> str:
        listed = ", ".join(f"{rate}%" for rate in self.rates)
        where = f" in {self.country}" if self.country else ""
        return f"no {self.kind.value} VAT code for {listed}{where}"


def rates_in_use(rules: BookingRules, day: date) -> list[Rate]:
    """The rates a booking under ``rules`` may look a code up for on ``day`` (see the module doc)."""
    home = rates_on(rules.home_country, day)
    home_rates = sorted({r for cls in RateClass for r in home.of_class(cls)}, reverse=True)
    found: list[Rate] = [(rate, VatKind.DOMESTIC, rules.home_country) for rate in home_rates]
    if rules.oss:
        classes = {home.class_of(rate) for rate in home_rates} - {None, RateClass.ZERO}
        for country in sorted(EU_MEMBERS - {rules.home_country}):
            there = rates_on(country, day)
            rates = sorted({r for cls in RateClass if cls in classes for r in there.of_class(cls)}, reverse=True)
            found.extend((rate, VatKind.OSS, country) for rate in rates)
    if rules.reverse_charge:
        found.append((Decimal(0), VatKind.REVERSE_CHARGE, None))
    found.append((Decimal(0), VatKind.EXPORT, None))
    return found


def gaps(codes: VatCodeMap, rates: list[Rate]) -> list[Gap]:
    """The rates ``codes`` cannot serve, grouped by kind and country in the order given."""
    missing: dict[tuple[VatKind, str | None], list[Decimal]] = {}
    for rate, kind, country in rates:
        if codes.covers([(rate, kind, country)]):
            missing.setdefault((kind, country), []).append(rate)
    return [Gap(kind, country, tuple(found)) for (kind, country), found in missing.items()]
