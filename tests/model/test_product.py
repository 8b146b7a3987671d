"""Products with variants."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from tradewind.model import Product


def product(*variants: dict[str, Any]) -> Product:
    return Product.model_validate({"key": "TSHIRT", "title": "T-shirt", "variants": list(variants)})


def test_duplicate_sku_is_refused_naming_it() -> None:
    with pytest.raises(ValidationError, match="SKU 'TS-M' appears twice in product 'TSHIRT'"):
        product({"sku": "TS-M"}, {"sku": "TS-L"}, {"sku": "TS-M"})


def test_skus_are_compared_after_trimming() -> None:
    with pytest.raises(ValidationError, match="TS-M"):
        product({"sku": "TS-M"}, {"sku": " TS-M "})


def test_product_needs_a_variant() -> None:
    with pytest.raises(ValidationError, match="variants"):
        product()


def test_option_names_in_first_seen_order() -> None:
    shirt = product(
        {"sku": "TS-M-RED", "options": {"size": "M", "colour": "red"}},
        {"sku": "TS-L-WOOL", "options": {"size": "L", "material": "wool", "colour": "blue"}},
        {"sku": "TS-XL", "options": {"fit": "slim"}},
    )
    assert ["size", "colour", "material", "fit"] == shirt.option_names


def test_invalid_ean_on_a_variant_names_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        product({"sku": "TS-M", "ean": "4006381333932"})
    assert ("variants", 0, "ean") == caught.value.errors()[0]["loc"]


def test_unknown_field_is_refused() -> None:
    with pytest.raises(ValidationError, match="colour"):
        Product.model_validate({"key": "K", "title": "T", "variants": [{"sku": "A"}], "colour": "red"})
