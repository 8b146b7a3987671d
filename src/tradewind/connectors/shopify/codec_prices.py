"""A variant's price ⇄ Price: one price per variant, converted to the shop's tax basis on write."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from tradewind.connectors.base import Refs
from tradewind.connectors.shopify.codec_common import DEFAULT, Settings, fields_named, to_decimal
from tradewind.errors import RecordError
from tradewind.model import Money, Price
from tradewind.rules import tax


def price_in(node: Mapping[str, Any], settings: Settings = DEFAULT) -> Price:
    """A variant's price as a Price in the default list (Shopify holds one price per variant), in
    the shop's currency and on its tax basis."""
    sku = str(node.get("sku") or "")
    amount = to_decimal(node.get("price")) or Decimal("0")
    with fields_named(sku):
        return Price(sku=sku, amount=Money(amount=amount, currency=settings.currency),
                     includes_vat=bool(settings.taxes_included))


def price_out(price: Price, refs: Refs) -> dict[str, Any]:
    """What the price resource needs to write one variant's price; converted for the shop on write."""
    if price.price_list != "default" or price.customer_reference or price.min_quantity != 1:
        raise RecordError("Shopify holds one price per variant: only price list 'default' (for any customer, "
                          "from quantity 1) can be written; filter other lists out of the flow",
                          field="price_list", record=price.sku)
    return {
        "sku": price.sku, "price": str(price.amount.amount), "currency": price.amount.currency,
        "includesVat": price.includes_vat, "vatRate": None if price.vat_rate is None else str(price.vat_rate),
    }


def price_for_shop(native: Mapping[str, Any], *, taxes_included: bool, currency: str) -> str:
    """The amount to store, converted to the shop's tax setting with ``rules.tax`` when needed."""
    sku = str(native.get("sku"))
    if native.get("currency") != currency:
        raise RecordError(f"price is in {native.get('currency')} but the shop sells in {currency}",
                          field="amount.currency", record=sku)
    return amount_for_shop(native["price"], currency, includes_vat=bool(native.get("includesVat")),
                           vat_rate=native.get("vatRate"), taxes_included=taxes_included, record=sku)


def amount_for_shop(amount: Any, currency: str, *, includes_vat: bool, vat_rate: Any, taxes_included: bool,
                    record: str | None, field: str = "vat_rate") -> str:
    """An amount on the shop's basis: as it is when both agree on VAT, else converted by the rate."""
    money = Money.shared(amount, currency)  # validated as Money(amount=…, currency=…) is
    if includes_vat == taxes_included:
        return str(money.amount)
    rate = to_decimal(vat_rate)
    if rate is None:
        side = "include" if taxes_included else "exclude"
        net_or_gross = "includes" if includes_vat else "excludes"
        raise RecordError(f"the shop's prices {side} tax but this amount {net_or_gross} it, and there is no VAT "
                          "rate to convert with; let the source give VAT rates (Exact Online: vat_rates: true)",
                          field=field, record=record)
    converted = tax.gross_from_net(money, rate) if taxes_included else tax.net_from_gross(money, rate)
    return str(converted.amount)
