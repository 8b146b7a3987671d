"""Identifiers with a published standard: EAN/GTIN, EU VAT numbers, IBAN, ISO country codes."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from tradewind.model import GTIN, IBAN, SKU, CountryCode, VatNumber

gtin: TypeAdapter[str] = TypeAdapter(GTIN)
vat: TypeAdapter[str] = TypeAdapter(VatNumber)
iban: TypeAdapter[str] = TypeAdapter(IBAN)
country: TypeAdapter[str] = TypeAdapter(CountryCode)
sku: TypeAdapter[str] = TypeAdapter(SKU)


@pytest.mark.parametrize(("given", "expected"), [
    ("4006381333931", "4006381333931"),
    ("4006-3813-3393-1", "4006381333931"),
    ("96385074", "96385074"),  # EAN-8
])
def test_valid_ean_is_kept_compact(given: str, expected: str) -> None:
    assert expected == gtin.validate_python(given)


@pytest.mark.parametrize("given", ["4006381333932", "400638133393", "ABCDEFGHIJKLM"])
def test_invalid_ean_is_refused_naming_it(given: str) -> None:
    with pytest.raises(ValidationError, match=given):
        gtin.validate_python(given)


@pytest.mark.parametrize(("given", "expected"), [
    ("NL004495445B01", "NL004495445B01"),
    ("nl 0044.95445.B01", "NL004495445B01"),
    ("DE136695976", "DE136695976"),
    ("BE0403019261", "BE0403019261"),
])
def test_valid_eu_vat_number_is_kept_compact(given: str, expected: str) -> None:
    assert expected == vat.validate_python(given)


@pytest.mark.parametrize("given", ["NL123456789B01", "DE136695977", "XX123456789", "NL"])
def test_invalid_eu_vat_number_is_refused_naming_it(given: str) -> None:
    with pytest.raises(ValidationError, match="not a valid EU VAT number") as caught:
        vat.validate_python(given)
    assert given in str(caught.value)


def test_valid_iban_is_kept_compact() -> None:
    assert "GB82WEST12345698765432" == iban.validate_python("GB82 WEST 1234 5698 7654 32")
    assert "NL91ABNA0417164300" == iban.validate_python("NL91ABNA0417164300")


def test_iban_with_wrong_check_digits_is_refused() -> None:
    with pytest.raises(ValidationError, match="not a valid IBAN"):
        iban.validate_python("NL91ABNA0417164301")


@pytest.mark.parametrize(("given", "expected"), [("nl", "NL"), (" be ", "BE"), ("DE", "DE")])
def test_country_code_is_upper_cased(given: str, expected: str) -> None:
    assert expected == country.validate_python(given)


@pytest.mark.parametrize("given", ["XX", "NLD", "Netherlands", ""])
def test_country_code_outside_iso_3166_alpha_2_is_refused(given: str) -> None:
    with pytest.raises(ValidationError, match="ISO 3166"):
        country.validate_python(given)


def test_sku_is_trimmed_and_never_empty() -> None:
    assert "A-1" == sku.validate_python("  A-1 ")
    with pytest.raises(ValidationError, match="SKU is empty"):
        sku.validate_python("   ")
