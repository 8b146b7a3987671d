from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tests.rules.booking_kit import ERP_CODES, line, order
from tradewind.errors import RecordError
from tradewind.rules.orders import allocate, business_date
from tradewind.rules.settings import BookingRules, VatCodeEntry, VatKind
from tradewind.rules.tax import VatCodeMap, destination_rate, treatment, vat_number_problem
from tradewind.rules.vat_rates import EU_MEMBERS, RateClass, rates_on


def test_rates_have_dates_of_validity() -> None:
    assert 27 == len(EU_MEMBERS)
    assert Decimal("24") == rates_on("FI", date(2024, 8, 31)).standard
    assert Decimal("25.5") == rates_on("FI", date(2024, 9, 1)).standard
    assert (Decimal("10"), Decimal("13.5")) == rates_on("FI", date(2025, 1, 1)).reduced
    assert Decimal("16") == rates_on("LU", date(2023, 6, 1)).standard
    assert RateClass.SUPER_REDUCED is rates_on("FR", date(2024, 1, 1)).class_of(Decimal("2.1"))
    with pytest.raises(LookupError, match="not an EU member"):
        rates_on("CH", date(2024, 1, 1))
    with pytest.raises(LookupError, match="before 2021-07-01"):
        rates_on("DE", date(2021, 6, 30))


def test_destination_rate_keeps_the_class() -> None:
    rules, day = BookingRules(), date(2024, 5, 1)
    assert Decimal("7") == destination_rate(Decimal("9"), rules, "DE", day)
    assert Decimal("27") == destination_rate(Decimal("21"), rules, "HU", day)
    assert Decimal("0") == destination_rate(Decimal("0"), rules, "DE", day)
    assert Decimal("19") == destination_rate(Decimal("19"), rules, "DE", day)  # the shop applied DE's rate
    with pytest.raises(RecordError, match="DK has no reduced rate"):
        destination_rate(Decimal("9"), rules, "DK", day)
    with pytest.raises(RecordError, match="13% is not a NL rate"):
        destination_rate(Decimal("13"), rules, "DK", day)


def test_vat_code_map_by_kind_rate_and_country_with_overrides() -> None:
    codes = VatCodeMap(ERP_CODES, [VatCodeEntry(code="21H", rate=Decimal("21.00"))])
    assert "21H" == codes.code_for(Decimal("21"), VatKind.DOMESTIC, "NL")
    assert "D1" == codes.code_for(Decimal("19.0"), VatKind.OSS, "DE")
    assert "5" == codes.code_for(Decimal("0"), VatKind.REVERSE_CHARGE, "DE")
    with pytest.raises(RecordError, match="no oss VAT code for 19% in CY"):
        codes.code_for(Decimal("19"), VatKind.OSS, "CY")  # never DE's 19% code for Cyprus
    assert ["no oss VAT code for 20% in AT in the ERP's VAT codes or the project file; the line is not booked on "
            "another rate"] == codes.covers([(Decimal(19), VatKind.OSS, "DE"), (Decimal(20), VatKind.OSS, "AT")])
    with pytest.raises(ValueError, match="needs the country"):
        VatCodeEntry(code="X", rate=Decimal(20), kind="oss")


def test_treatment_by_destination_and_vat_number() -> None:
    rules = BookingRules()
    assert VatKind.DOMESTIC is treatment(order("1", [line("A", 1, "1", "21")]), rules).kind
    assert VatKind.DOMESTIC is treatment(order("1", [line("A", 1, "1", "21")], country="DE"),
                                         BookingRules(oss=False)).kind
    assert "seller's own country" in (vat_number_problem("NL004495445B01", "NL") or "")
    assert vat_number_problem("BE0403019261", "NL") is None


def test_business_date_is_the_shops_date_not_utcs() -> None:
    # 31 March 2024 22:30 UTC: 1 April 00:30 in Amsterdam (summer time), a new VAT quarter
    assert date(2024, 4, 1) == business_date(datetime(2024, 3, 31, 22, 30, tzinfo=UTC), "Europe/Amsterdam")
    assert date(2024, 12, 31) == business_date(datetime(2024, 12, 31, 22, 59, tzinfo=UTC), "Europe/Amsterdam")
    assert date(2025, 1, 1) == business_date(datetime(2024, 12, 31, 23, 0, tzinfo=UTC), "Europe/Amsterdam")
    with pytest.raises(ValueError):
        business_date(datetime(2024, 1, 1), "Europe/Amsterdam")


def test_allocation_is_exact_to_the_cent() -> None:
    assert [Decimal("3.34"), Decimal("3.33"), Decimal("3.33")] == allocate(
        Decimal("10.00"), [Decimal("20.00"), Decimal("20.00"), Decimal("20.00")], field="discounts[0]")
    assert [Decimal("0"), Decimal("5.00")] == allocate(Decimal("5.00"), [Decimal("-3"), Decimal("8")], field="d")
