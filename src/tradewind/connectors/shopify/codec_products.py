"""Shopify Product nodes ⇄ products: variants, options and prices on the shop's tax basis."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from tradewind.connectors.base import Refs
from tradewind.connectors.shopify.codec_common import DEFAULT, Settings, blank, fields_named, to_decimal
from tradewind.connectors.shopify.codec_prices import amount_for_shop
from tradewind.errors import RecordError
from tradewind.model import Money, Product, Variant

DEFAULT_OPTION = ("Title", "Default Title")
"""The option Shopify gives a product without options."""


def slugify(key: str) -> str:
    """A product handle from a product key: lower case ASCII letters, digits and single dashes."""
    ascii_text = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if not slug:
        raise RecordError(f"product key {key!r} gives an empty Shopify handle", field="key")
    return slug


def product_in(node: Mapping[str, Any], settings: Settings = DEFAULT) -> Product:
    """A Product node with its variants; ``key`` is the handle, prices in the shop's currency."""
    handle = str(node.get("handle") or "")
    currency = settings.currency
    variant_nodes = ((node.get("variants") or {}).get("nodes")) or []
    variants = [_variant_in(v, i, currency, handle) for i, v in enumerate(variant_nodes)]
    with fields_named(handle):
        return Product(
            key=handle, title=node.get("title") or handle, description=blank(node.get("descriptionHtml")),
            vendor=blank(node.get("vendor")), product_type=blank(node.get("productType")),
            tags=list(node.get("tags") or []), variants=variants, active=node.get("status") == "ACTIVE",
        )


def _variant_in(node: Mapping[str, Any], index: int, currency: str, handle: str) -> Variant:
    where = f"variants[{index}]"
    sku = blank((node.get("sku") or "").strip())
    if sku is None:
        raise RecordError("variant has no SKU in Shopify", field=f"{where}.sku", record=handle)
    options = {o["name"]: o["value"] for o in node.get("selectedOptions") or []}
    if tuple(next(iter(options.items()), ())) == DEFAULT_OPTION and len(options) == 1:
        options = {}
    price, compare = to_decimal(node.get("price")), to_decimal(node.get("compareAtPrice"))
    try:
        return Variant(
            sku=sku, ean=blank(node.get("barcode")), title=blank(node.get("title")), options=options,
            price=None if price is None else Money(amount=price, currency=currency),
            compare_at_price=None if compare is None else Money(amount=compare, currency=currency),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join([where, *(str(p) for p in first["loc"])])
        raise RecordError(first["msg"], field=path, record=handle) from None


def product_out(product: Product, refs: Refs, settings: Settings = DEFAULT) -> dict[str, Any]:
    """A ProductSetInput: the whole product, options and variants in one document, its prices in
    the shop's currency and on the shop's tax basis (converted by the product's VAT rate when the
    source says its prices are gross and the shop's are net, or the other way round)."""
    names = product.option_names
    native: dict[str, Any] = {
        "handle": slugify(product.key), "title": product.title, "descriptionHtml": product.description or "",
        "productType": product.product_type or "", "tags": list(product.tags),
        "status": "ACTIVE" if product.active else "ARCHIVED",
        "productOptions": _options_out(product, names),
        "variants": [_variant_out(v, i, names, product.key) for i, v in enumerate(product.variants)],
    }
    if product.vendor is not None:
        native["vendor"] = product.vendor
    currencies = {m.currency for v in product.variants for m in (v.price, v.compare_at_price) if m is not None}
    if len(currencies) > 1:
        raise RecordError(f"variants are priced in {', '.join(sorted(currencies))}; Shopify holds one currency",
                          field="variants", record=product.key)
    if currencies and (currency := currencies.pop()) != settings.currency:
        raise RecordError(f"prices are in {currency} but the shop sells in {settings.currency}",
                          field="variants.price", record=native["handle"])
    if product.prices_include_vat is not None and settings.taxes_included is not None:
        _prices_for_shop(native, product, settings)
    return native


def _prices_for_shop(native: dict[str, Any], product: Product, settings: Settings) -> None:
    """Variant prices converted to the shop's ``taxesIncluded`` basis (net ERP, gross shop)."""
    assert product.prices_include_vat is not None and settings.taxes_included is not None
    if product.prices_include_vat == settings.taxes_included:
        return
    for index, variant in enumerate(native["variants"]):
        for name in ("price", "compareAtPrice"):
            if variant.get(name) is not None:
                variant[name] = amount_for_shop(
                    variant[name], settings.currency, includes_vat=product.prices_include_vat,
                    vat_rate=product.vat_rate, taxes_included=settings.taxes_included, record=native["handle"],
                    field=f"variants[{index}].{name}")


def _options_out(product: Product, names: list[str]) -> list[dict[str, Any]]:
    if not names:
        return [{"name": DEFAULT_OPTION[0], "position": 1, "values": [{"name": DEFAULT_OPTION[1]}]}]
    options = []
    for position, name in enumerate(names, start=1):
        values = list(dict.fromkeys(v.options[name] for v in product.variants if name in v.options))
        options.append({"name": name, "position": position, "values": [{"name": value} for value in values]})
    return options


def _variant_out(variant: Variant, index: int, names: list[str], key: str) -> dict[str, Any]:
    missing = [n for n in names if n not in variant.options]
    if missing:
        raise RecordError(f"variant {variant.sku} has no value for option {missing[0]!r}; Shopify needs one",
                          field=f"variants[{index}].options.{missing[0]}", record=key)
    values = [{"optionName": n, "name": variant.options[n]} for n in names] or [
        {"optionName": DEFAULT_OPTION[0], "name": DEFAULT_OPTION[1]}]
    return {
        "sku": variant.sku, "barcode": variant.ean, "position": index + 1, "optionValues": values,
        "price": None if variant.price is None else str(variant.price.amount),
        "compareAtPrice": None if variant.compare_at_price is None else str(variant.compare_at_price.amount),
    }
