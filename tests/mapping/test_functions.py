"""The vocabulary: closed, documented, and exact with numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from tradewind.mapping import FILTERS, FUNCTIONS, TESTS, compiler, describe, functions

REQUIRED = {"decimal", "money", "round", "upper", "lower", "trim", "truncate", "replace", "regex_replace",
            "default", "join", "split", "slug", "digits", "date", "now", "country_name", "pad", "first", "last",
            "sum_of", "lookup"}


def test_every_entry_is_documented_with_a_signature_and_an_example() -> None:
    docs = describe()
    assert REQUIRED <= {doc.name for doc in docs}
    for doc in docs:
        assert doc.signature.strip(), doc.name
        assert doc.doc.strip(), doc.name
        assert "Example:" in doc.doc, doc.name
        assert doc.kind in {"filter/function", "function", "test"}


def test_the_environment_exposes_exactly_the_vocabulary() -> None:
    assert dict(FILTERS) == compiler._ENV.filters
    assert dict(FUNCTIONS) == compiler._ENV.globals
    assert dict(TESTS) == compiler._ENV.tests


def test_signature_reads_like_a_call() -> None:
    assert "round(value, places=0)" == next(doc.signature for doc in describe() if doc.name == "round")


@pytest.mark.parametrize(("value", "places", "expected"), [
    (Decimal("2.345"), 2, Decimal("2.35")),
    (Decimal("2.5"), 0, Decimal(3)),
    (Decimal("-2.5"), 0, Decimal(-3)),
    (2.675, 2, Decimal("2.68")),  # a float goes through its shortest text, not its binary value
    ("0.125", 2, Decimal("0.13")),
])
def test_round_is_half_up_and_decimal(value: object, places: int, expected: Decimal) -> None:
    result = functions.round_half_up(value, places)
    assert expected == result
    assert isinstance(result, Decimal)


def test_money_formats_two_places() -> None:
    assert "49.90" == functions.money(Decimal("49.9"))
    assert "0.01" == functions.money("0.005")
    assert "1000.00" == functions.money(1000)


def test_decimal_refuses_what_is_not_a_number() -> None:
    for bad in (True, "abc", "NaN"):
        with pytest.raises((TypeError, ValueError)):
            functions.to_decimal(bad)


def test_pad_left_pads_and_keeps_long_text() -> None:
    assert "             12345" == functions.pad("12345", 18)
    assert "000123" == functions.pad(123, 6, "0")
    assert "TOO-LONG" == functions.pad("TOO-LONG", 3)


def test_country_name() -> None:
    assert "Netherlands" == functions.country_name("nl")
    assert "Belgium" == functions.country_name("BEL")
    with pytest.raises(ValueError, match="not an ISO 3166 country code"):
        functions.country_name("XX")


def test_date_needs_aware_times_and_defaults_to_utc() -> None:
    moment = datetime(2024, 3, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert "2024-03-02" == functions.format_date(moment)
    assert "2024-03-02T05:30:00+01:00" == functions.format_date(moment, "iso", "Europe/Amsterdam")
    with pytest.raises(ValueError, match="no timezone"):
        functions.format_date(datetime(2024, 3, 1))
    assert UTC == functions.now().tzinfo


def test_text_functions() -> None:
    assert "cafe-creme-250g" == functions.slug("Café Crème 250g")
    assert "310201234567" == functions.digits("+31 (0)20-123 4567")
    assert "Deliver at" == functions.truncate("Deliver at the back door", 10)
    assert "Deliver..." == functions.truncate("Deliver at the back door", 10, "...")
    assert "Dorpsstraat 1" == functions.join(["Dorpsstraat", 1, None, ""], " ")
    assert "1234 AB" == functions.regex_replace("NL 1234 AB", r"^NL\s*", "")
    assert ["Jan", "de Vries"] == functions.split("Jan de Vries", " ", 1)
    assert "" == functions.upper(None)


def test_sum_of_and_lookup() -> None:
    lines = [{"total": {"amount": Decimal("19.95")}}, {"total": {"amount": "39.90"}}, {"total": None}]
    assert Decimal("59.85") == functions.sum_of(lines, "total.amount")
    with pytest.raises(ValueError, match="cannot read field"):
        functions.sum_of([{"a": 1}], "__class__")
    assert "IB" == functions.lookup({"ideal": "IB"}, "ideal", "30")
    assert "30" == functions.lookup({"ideal": "IB"}, "klarna", "30")


def test_default_treats_none_as_missing() -> None:
    assert "-" == functions.default(None, "-")
    assert 0 == functions.default(0, "-")
    assert "-" == functions.default(0, "-", boolean=True)
