"""Product gates: products whose variants lack a required SKU or valid EAN-13 are not exported, with the reason."""

from __future__ import annotations

import pytest

from tradewind.model import Product, Variant
from tradewind.rules.products import Requirement, ean13_problem, refused_field, unmet_requirements


def product(*variants: tuple[str, str | None]) -> Product:
    return Product(key="TSH", title="Shirt", variants=[Variant(sku=sku, ean=ean) for sku, ean in variants])


def test_a_product_whose_variants_all_have_a_valid_ean13_is_exported() -> None:
    shirt = product(("TSH-S", "8712345678906"), ("TSH-M", "4006381333931"))
    assert unmet_requirements(shirt, [Requirement.SKU, Requirement.EAN13]) is None


def test_a_variant_without_an_ean_keeps_the_product_out_naming_variant_field_and_sku() -> None:
    shirt = product(("TSH-S", "8712345678906"), ("TSH-M", None))
    assert "not exported (require: ean13, sku): variants[1].ean of SKU TSH-M: no EAN-13" == \
        unmet_requirements(shirt, ["sku", "ean13"])


def test_an_ean8_is_not_an_ean13() -> None:
    # 96385074 is a valid EAN-8 (the model keeps it), but not the 13 digits a listing needs
    shirt = product(("TSH-S", "96385074"))
    assert "not exported (require: ean13): variants[0].ean of SKU TSH-S: '96385074' is not an EAN-13 (8 digits)" \
        == unmet_requirements(shirt, ["ean13"])


def test_every_unmet_requirement_is_named() -> None:
    shirt = product(("TSH-S", None), ("TSH-M", "96385074"))
    reason = unmet_requirements(shirt, ["ean13"]) or ""
    assert "variants[0].ean of SKU TSH-S: no EAN-13; variants[1].ean of SKU TSH-M: '96385074'" in reason


def test_without_ean13_required_a_missing_ean_is_fine() -> None:
    assert unmet_requirements(product(("TSH-S", None)), ["sku"]) is None


@pytest.mark.parametrize(("value", "problem"), [
    ("8712345678906", None),
    ("871 2345 67890 6", None),
    ("8712345678901", "'8712345678901' is not a valid EAN-13 (The number's checksum or check digit is invalid.)"),
    ("", "no EAN-13"),
    ("12345678901234", "'12345678901234' is not an EAN-13 (14 digits)"),
])
def test_ean13_checks_length_and_check_digit(value: str, problem: str | None) -> None:
    assert problem == ean13_problem(value)


def test_a_barcode_the_source_refused_is_a_gate_skip_only_when_required() -> None:
    message = "'8712345678901' is not a valid EAN/GTIN (The number's checksum or check digit is invalid.)"
    assert f"not exported (require: ean13, sku): variants[2].ean of product TSH: {message}" == \
        refused_field("variants[2].ean", message, ["sku", "ean13"], "TSH")
    assert refused_field("variants[2].ean", message, ["sku"]) is None        # not required: still a failure
    assert refused_field("variants[2].price", "bad", ["sku", "ean13"]) is None
    assert refused_field(None, "bad", ["sku"]) is None
    assert "not exported (require: sku): variants[0].sku: SKU is empty" == \
        refused_field("variants[0].sku", "SKU is empty", ["sku"])
