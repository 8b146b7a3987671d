"""Product options and variant option values, as ``productSet`` and the bulk variant mutations check them.

Rules and messages after https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/productSet and
https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/productVariantsBulkCreate: at most three
options, no duplicated names or values, every variant naming a value of every option, and the
standalone "Default Title" variant that a bulk create may replace.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradewind.sandboxes.shopify.common import Record, View, is_negative, parse_gid, user_error


def bulk_payload(product: View | None, variants: list[View] | None, errors: list[Any]) -> View:
    return {"product": product, "productVariants": variants, "userErrors": errors}


def slots(variant: Record) -> tuple[str, ...]:
    return tuple(str(variant[k]) for k in ("option1", "option2", "option3") if variant.get(k) is not None)


def is_standalone(variants: list[Record]) -> bool:
    return len(variants) == 1 and slots(variants[0]) == ("Default Title",)


def option_name(option: Mapping[str, Any], product: Record | None) -> str:
    if option.get("name"):
        return str(option["name"])
    number = parse_gid(option.get("id"), "ProductOption")
    known = next((o for o in (product or {}).get("options", []) if o["id"] == number), None)
    return known["name"] if known else ""


def option_values(option: Mapping[str, Any]) -> list[str]:
    return [str(v.get("name") if isinstance(v, Mapping) else v) for v in option.get("values") or []]


def check_options(options: list[Any], path: list[Any] | None = None) -> list[Any]:
    base = path or ["input", "productOptions"]
    if len(options) > 3:
        return [user_error(base, "Can only specify a maximum of 3 options", "OPTIONS_OVER_LIMIT")]
    errors = []
    names = [str(o.get("name") or "").casefold() for o in options]
    for i, option in enumerate(options):
        if names[i] and names.index(names[i]) != i:
            errors.append(
                user_error(
                    [*base, i, "name"], f"Duplicated option name '{option.get('name')}'.", "DUPLICATED_OPTION_NAME"
                )
            )
        values = option_values(option)
        if len(set(values)) != len(values):
            errors.append(user_error([*base, i, "values"], "Duplicated option value.", "DUPLICATED_OPTION_VALUE"))
    return errors


def combination(
    options: list[Any], chosen: list[Mapping[str, Any]], path: list[Any], partial: bool = False
) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
    """Order a variant's option values by the product's options; report unknown names and values."""
    by_name = {str(o.get("name")): option_values(o) for o in options}
    picked: dict[str, str] = {}
    errors = []
    for j, value in enumerate(chosen):
        name = value.get("optionName") or option_by_id(options, value.get("optionId"))
        if name not in by_name:
            errors.append(
                user_error([*path, "optionValues", j], f"Option '{name}' does not exist.", "OPTION_DOES_NOT_EXIST")
            )
        elif value.get("name") not in by_name[name]:
            errors.append(
                user_error(
                    [*path, "optionValues", j],
                    f"Option value '{value.get('name')}' does not exist.",
                    "OPTION_VALUE_DOES_NOT_EXIST",
                )
            )
        else:
            picked[name] = str(value["name"])
    if not errors and not partial and len(picked) != len(by_name) and chosen:
        errors.append(
            user_error([*path, "optionValues"], "Variant must have a value for every option.", "INVALID_VARIANT")
        )
    return tuple(picked.get(name, "") for name in by_name), errors


def merged_combination(product: Record, variant: Record, chosen: list[Mapping[str, Any]]) -> tuple[str, ...] | None:
    """A variant's option values after a partial update of some of them."""
    if not chosen:
        return None
    current = {o["name"]: variant.get(f"option{o['position']}") for o in product["options"]}
    for value in chosen:
        current[value.get("optionName") or option_by_id(product["options"], value.get("optionId")) or ""] = value[
            "name"
        ]
    return tuple(str(current[o["name"]]) for o in product["options"])


def option_by_id(options: list[Any], option_id: Any) -> str | None:
    number = parse_gid(option_id, "ProductOption")
    return next((str(o["name"]) for o in options if o.get("id") == number), None)


def grown_options(options: list[Record], variants: list[Any], replace: bool) -> list[Record]:
    """Bulk create adds new values to existing options (and, replacing the standalone variant, new options)."""
    grown = [] if replace else [dict(o, values=list(o["values"])) for o in options]
    for data in variants:
        for value in data.get("optionValues") or []:
            name = value.get("optionName") or option_by_id(options, value.get("optionId"))
            option = next((o for o in grown if o["name"] == name), None)
            if option is None and replace and name:
                option = {"name": name, "values": []}
                grown.append(option)
            if option is not None and value.get("name") and value["name"] not in option["values"]:
                option["values"].append(value["name"])
    return grown


def price_errors(data: Mapping[str, Any], path: list[Any], code: str) -> list[Any]:
    errors = []
    for key, label in (("price", "Price"), ("compareAtPrice", "Compare at price")):
        if is_negative(data.get(key)):
            errors.append(user_error([*path, key], f"{label} must be greater than or equal to 0", code))
    return errors

