"""Product gates: a product flow exports only products whose variants carry the identifiers it requires.

A shop or marketplace that lists by EAN refuses an article without one, and an ERP article without a
SKU cannot be matched back; such products are better kept out of the export, visibly, than failing
there. The flow option ``require: [sku, ean13]`` names the identifiers; :func:`unmet_requirements`
says which variant lacks which (field and value), and the engine skips the product with that reason.

``ean13`` means a 13-digit EAN with a correct check digit (python-stdnum's ``ean``): an EAN-8 or a
GTIN-14 is not one. A source whose own codec already refuses a variant's SKU or barcode (the
canonical model keeps only valid GTINs) is judged by :func:`refused_field` the same way: skipped
with the reason, not failed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum

from stdnum import ean
from stdnum.exceptions import ValidationError

from tradewind.model import Product, Variant


class Requirement(StrEnum):
    """An identifier every variant of an exported product must carry."""

    SKU = "sku"
    EAN13 = "ean13"


_FIELDS = {Requirement.SKU: "sku", Requirement.EAN13: "ean"}
_VARIANT_FIELD = re.compile(r"variants\[\d+\]\.(sku|ean)")


def ean13_problem(value: str | None) -> str | None:
    """Why ``value`` is not a valid EAN-13, or None."""
    if value is None or not value.strip():
        return "no EAN-13"
    digits = ean.compact(value)
    if len(digits) != 13:
        return f"{value!r} is not an EAN-13 ({len(digits)} digits)"
    try:
        ean.validate(digits)
    except ValidationError as error:
        return f"{value!r} is not a valid EAN-13 ({error})"
    return None


def _variant_problems(variant: Variant, index: int, require: frozenset[Requirement]) -> list[str]:
    where = f"variants[{index}]"
    problems = []
    if Requirement.SKU in require and not variant.sku.strip():
        problems.append(f"{where}.sku: no SKU")
    if Requirement.EAN13 in require and (problem := ean13_problem(variant.ean)) is not None:
        problems.append(f"{where}.ean of SKU {variant.sku}: {problem}")
    return problems


def unmet_requirements(product: Product, require: Iterable[Requirement | str]) -> str | None:
    """Why ``product`` is not exported (every unmet requirement, by variant, field and value), or None."""
    wanted = frozenset(Requirement(r) for r in require)
    problems = [p for i, v in enumerate(product.variants) for p in _variant_problems(v, i, wanted)]
    if not problems:
        return None
    named = ", ".join(sorted(r.value for r in wanted))
    return f"not exported (require: {named}): {'; '.join(problems)}"


def refused_field(field: str | None, message: str, require: Iterable[Requirement | str],
                  record: str | None = None) -> str | None:
    """The skip reason when a source's codec refused a variant field the flow requires, else None.

    ``variants[1].ean`` of product ``record`` refused as ``'8712345678901' is not a valid EAN/GTIN`` under
    ``require: [ean13]`` is a product the gate keeps out, with the codec's reason; any other refusal stays
    a failure.
    """
    match = _VARIANT_FIELD.fullmatch(field or "")
    wanted = {_FIELDS[Requirement(r)] for r in require}
    if match is None or match.group(1) not in wanted:
        return None
    names = ", ".join(sorted(Requirement(r).value for r in require))
    of = f" of product {record}" if record else ""
    return f"not exported (require: {names}): {field}{of}: {message.removeprefix('Value error, ')}"
