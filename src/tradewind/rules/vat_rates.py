"""EU member states' VAT rates as data, with dates of validity, for OSS bookings.

No well-kept package fits: ``eu-vat-rates-data`` (PyPI) has today's standard and reduced rates as
floats without dates, ``duty27-eu-vat`` standard rates only, ``eurovat`` stopped in April 2024 (before
Finland's, Slovakia's, Estonia's and Romania's changes). So the rates are ours, kept here with
their sources, from the start of the One-Stop-Shop (1 July 2021) on:

* European Commission, DG TAXUD, "VAT rates applied in the Member States of the European Union"
  (editions of 1 July 2021, 1 January 2024 and 1 January 2025) and the Commission's Taxes in Europe
  Database (TEDB), as republished daily by ``eu-vat-rates-data`` 2026.9.29 (cross-checked for today's rates);
* standard-rate changes as dated in ``duty27-eu-vat`` 0.1.0 (data as of 2026-10-04);
* the changes below, each by its national law as reported in the Commission's document:
  CZ 1 Jan 2024 (10 % and 15 % merged into 12 %); EE 1 Jan 2024 (20 → 22), 1 Jan 2025 (press 5 → 9,
  accommodation 9 → 13), 1 Jul 2025 (22 → 24); FI 1 Sep 2024 (24 → 25.5), 1 Jan 2025 (14 → 13.5);
  LU 1 Jan 2023 – 31 Dec 2023 (every rate but the super-reduced one a point lower); SK 1 Jan 2025
  (20 → 23, 10 → 19 and 5); RO 1 Aug 2025 (19 → 21, 5 and 9 → 11); LT 9 → 12 (TEDB shows 12 in 2026;
  the date 1 Jan 2026 is to be confirmed against the Commission's 2026 edition).

Rates of regions with their own (Corsica and the French overseas departments, the Azores and Madeira,
some Greek islands, Jungholz and Mittelberg, Livigno) and special rates for single products (Austria's
4.9 %, Ireland's 4.8 % livestock rate) are not kept: a product group that needs one is mapped in the
project file (``BookingRules.reduced_rates``).

A rate class is ``standard``, ``reduced`` (several where a country has several), ``super_reduced``,
``parking`` or ``zero``. Rates are percentages as Decimals. A day before 1 July 2021 has no OSS
and is refused rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


class RateClass(StrEnum):
    """The class of a VAT rate: a product keeps its class when it crosses a border (OSS)."""

    STANDARD = "standard"
    REDUCED = "reduced"
    SUPER_REDUCED = "super_reduced"
    PARKING = "parking"
    ZERO = "zero"


@dataclass(frozen=True)
class CountryRates:
    """One country's rates over one period (``until`` exclusive, ``None`` = still in force)."""

    country: str
    since: date
    until: date | None
    standard: Decimal
    reduced: tuple[Decimal, ...] = ()
    super_reduced: Decimal | None = None
    parking: Decimal | None = None

    def of_class(self, rate_class: RateClass) -> tuple[Decimal, ...]:
        """The rates of ``rate_class`` (zero is always there: exempt and zero-rated supplies)."""
        return {RateClass.STANDARD: (self.standard,), RateClass.REDUCED: self.reduced,
                RateClass.SUPER_REDUCED: _some(self.super_reduced), RateClass.PARKING: _some(self.parking),
                RateClass.ZERO: (Decimal(0),)}[rate_class]

    def class_of(self, rate: Decimal) -> RateClass | None:
        """The class ``rate`` has here, standard first (a rate both reduced and parking is reduced)."""
        for rate_class in RateClass:
            if rate in self.of_class(rate_class):
                return rate_class
        return None


def _some(rate: Decimal | None) -> tuple[Decimal, ...]:
    return () if rate is None else (rate,)


OSS_START = date(2021, 7, 1)
"""The One-Stop-Shop began on 1 July 2021; earlier days are refused."""


def _d(*rates: str) -> tuple[Decimal, ...]:
    return tuple(Decimal(r) for r in rates)


def _p(country: str, since: date, until: date | None, standard: str, reduced: tuple[str, ...] = (),
       super_reduced: str | None = None, parking: str | None = None) -> CountryRates:
    return CountryRates(country, since, until, Decimal(standard), _d(*reduced),
                        Decimal(super_reduced) if super_reduced else None, Decimal(parking) if parking else None)


_S = OSS_START
_PERIODS: tuple[CountryRates, ...] = (
    _p("AT", _S, None, "20", ("10", "13")),
    _p("BE", _S, None, "21", ("6", "12"), parking="12"),
    _p("BG", _S, None, "20", ("9",)),
    _p("CY", _S, None, "19", ("5", "9"), super_reduced="3"),
    _p("CZ", _S, date(2024, 1, 1), "21", ("10", "15")),
    _p("CZ", date(2024, 1, 1), None, "21", ("12",)),
    _p("DE", _S, None, "19", ("7",)),
    _p("DK", _S, None, "25"),
    _p("EE", _S, date(2024, 1, 1), "20", ("5", "9")),
    _p("EE", date(2024, 1, 1), date(2025, 1, 1), "22", ("5", "9")),
    _p("EE", date(2025, 1, 1), date(2025, 7, 1), "22", ("9", "13")),
    _p("EE", date(2025, 7, 1), None, "24", ("9", "13")),
    _p("ES", _S, None, "21", ("10",), super_reduced="4"),
    _p("FI", _S, date(2024, 9, 1), "24", ("10", "14")),
    _p("FI", date(2024, 9, 1), date(2025, 1, 1), "25.5", ("10", "14")),
    _p("FI", date(2025, 1, 1), None, "25.5", ("10", "13.5")),
    _p("FR", _S, None, "20", ("5.5", "10"), super_reduced="2.1"),
    _p("GR", _S, None, "24", ("6", "13")),
    _p("HR", _S, None, "25", ("5", "13")),
    _p("HU", _S, None, "27", ("5", "18")),
    _p("IE", _S, None, "23", ("9", "13.5")),
    _p("IT", _S, None, "22", ("5", "10"), super_reduced="4"),
    _p("LT", _S, date(2026, 1, 1), "21", ("5", "9")),
    _p("LT", date(2026, 1, 1), None, "21", ("5", "12")),
    _p("LU", _S, date(2023, 1, 1), "17", ("8", "14"), super_reduced="3", parking="14"),
    _p("LU", date(2023, 1, 1), date(2024, 1, 1), "16", ("7", "13"), super_reduced="3", parking="13"),
    _p("LU", date(2024, 1, 1), None, "17", ("8", "14"), super_reduced="3", parking="14"),
    _p("LV", _S, None, "21", ("5", "12")),
    _p("MT", _S, None, "18", ("5", "7"), parking="12"),
    _p("NL", _S, None, "21", ("9",)),
    _p("PL", _S, None, "23", ("5", "8")),
    _p("PT", _S, None, "23", ("6", "13"), parking="13"),
    _p("RO", _S, date(2025, 8, 1), "19", ("5", "9")),
    _p("RO", date(2025, 8, 1), None, "21", ("11",)),
    _p("SE", _S, None, "25", ("6", "12")),
    _p("SI", _S, None, "22", ("5", "9.5")),
    _p("SK", _S, date(2025, 1, 1), "20", ("10",)),
    _p("SK", date(2025, 1, 1), None, "23", ("5", "19")),
)

EU_MEMBERS = frozenset(p.country for p in _PERIODS)
"""The 27 member states (ISO 3166 codes; Greece is GR here, EL only in VAT numbers)."""


def is_eu(country: str) -> bool:
    """Whether ``country`` (ISO 3166 alpha-2) is an EU member state."""
    return country.upper() in EU_MEMBERS


def rates_on(country: str, day: date) -> CountryRates:
    """The rates in force in ``country`` on ``day``; ``LookupError`` outside the EU or before OSS."""
    if day < OSS_START:
        raise LookupError(f"no EU rates kept before {OSS_START.isoformat()} (the start of OSS)")
    for period in _PERIODS:
        if period.country == country.upper() and period.since <= day and (period.until is None or day < period.until):
            return period
    raise LookupError(f"{country} is not an EU member state")
