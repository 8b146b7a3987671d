"""A customer's VAT number reaches the rules as given: compact when valid, kept (stripped) when not."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tradewind.model import Customer


@pytest.mark.parametrize(("given", "kept"), [
    ("DE 136 695 976", "DE136695976"),          # valid: compact, as python-stdnum gives it
    ("nl 0044.95445.B01", "NL004495445B01"),
    ("  DE136695977 ", "DE136695977"),           # checksum wrong: kept for the rules to refuse reverse charge
    ("DE 1366-95977", "DE 1366-95977"),          # kept as typed, only stripped
    ("n/a", "n/a"),
])
def test_a_vat_number_is_kept_for_the_rules_to_judge(given: str, kept: str) -> None:
    assert kept == Customer(name="Weber GmbH", vat_number=given).vat_number


@pytest.mark.parametrize("given", ["", "   ", None])
def test_a_blank_vat_number_is_none(given: str | None) -> None:
    assert Customer(name="Weber GmbH", vat_number=given).vat_number is None


def test_a_vat_number_is_still_text() -> None:
    with pytest.raises(ValidationError, match="vat_number"):
        Customer(name="Weber GmbH", vat_number=136695976)  # type: ignore[arg-type]
