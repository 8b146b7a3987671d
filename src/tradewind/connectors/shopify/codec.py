"""Shopify GraphQL nodes ⇄ canonical entities. Pure functions: no I/O.

Shopify's price fields (``ProductVariant.price``) are bare decimals, and whether they include tax
is a shop setting: what a codec needs of the connection and the shop comes in a :class:`Settings`
that the bound resource builds (the shop's currency, its ``taxesIncluded``), never from keys
inside the records. Every decoder turns a bad field into a :class:`RecordError` naming the field,
so one odd record never stops a page.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from tradewind.connectors.base import Refs
from tradewind.errors import RecordError
from tradewind.model import (
    Address,
    Contact,
    Customer,
    CustomerKind,
    Discount,
    FinancialStatus,
    FulfillmentStatus,
    Money,
    Order,
    OrderLine,
    OrderStage,
    PaymentInfo,
    Price,
    Product,
    ShippingLine,
    StockLevel,
    Variant,
)
from tradewind.rules import tax


@dataclass(frozen=True)
class Settings:
    """What the codec needs of the connection and the shop."""

    currency: str = "EUR"
    """The shop's currency: Shopify's variant prices carry none."""
    taxes_included: bool | None = None
    """Whether the shop's prices include tax; None where nothing needs it (products without a VAT
    basis are written as the source gives them)."""


DEFAULT = Settings()

DEFAULT_OPTION = ("Title", "Default Title")
"""The option Shopify gives a product without options."""

# -- helpers ------------------------------------------------------------------------------------


@contextmanager
def fields_named(record: str | None) -> Iterator[None]:
    """Turn a pydantic validation failure into a RecordError naming the field and the record."""
    try:
        yield
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(p) for p in first["loc"])
        raise RecordError(first["msg"], field=path or None, record=record) from None


def slugify(key: str) -> str:
    """A product handle from a product key: lower case ASCII letters, digits and single dashes."""
    ascii_text = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if not slug:
        raise RecordError(f"product key {key!r} gives an empty Shopify handle", field="key")
    return slug


def _blank(value: Any) -> Any:
    return None if value in ("", None) else value


def _money(bag: Mapping[str, Any] | None) -> Money | None:
    """``shopMoney`` of a MoneyBag."""
    money = (bag or {}).get("shopMoney")
    if not money:
        return None
    return Money(amount=money["amount"], currency=money["currencyCode"])


def _required_money(bag: Mapping[str, Any] | None, where: str, record: str) -> Money:
    money = _money(bag)
    if money is None:
        raise RecordError("Shopify sent no amount", field=where, record=record)
    return money


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise RecordError(f"{value!r} is not a number") from None


# -- addresses ----------------------------------------------------------------------------------


def address_in(node: Mapping[str, Any] | None) -> Address | None:
    """A MailingAddress; Shopify keeps the house number inside ``address1``."""
    if not node:
        return None
    name = _blank(node.get("name")) or " ".join(p for p in (node.get("firstName"), node.get("lastName")) if p) or None
    return Address(
        name=name, company=_blank(node.get("company")), line1=_blank(node.get("address1")),
        line2=_blank(node.get("address2")), postcode=_blank(node.get("zip")), city=_blank(node.get("city")),
        region=_blank(node.get("provinceCode")) or _blank(node.get("province")),
        country=_blank(node.get("countryCodeV2")), phone=_blank(node.get("phone")),
    )


def split_name(name: str | None) -> tuple[str | None, str | None]:
    """First and last name from a full name (the first word, the rest)."""
    parts = (name or "").split(None, 1)
    if not parts:
        return None, None
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])


def address_out(address: Address, *, company: str | None = None) -> dict[str, Any]:
    """A MailingAddressInput; the house number joins ``address1`` as Shopify expects."""
    first, last = split_name(address.name)
    line1 = " ".join(p for p in (address.line1, address.house_number) if p) or None
    return _without_none({
        "firstName": first, "lastName": last, "company": address.company or company, "address1": line1,
        "address2": address.line2, "zip": address.postcode, "city": address.city, "countryCode": address.country,
        "provinceCode": address.region, "phone": address.phone,
    })


def _without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


# -- products -----------------------------------------------------------------------------------


def product_in(node: Mapping[str, Any], settings: Settings = DEFAULT) -> Product:
    """A Product node with its variants; ``key`` is the handle, prices in the shop's currency."""
    handle = str(node.get("handle") or "")
    currency = settings.currency
    variant_nodes = ((node.get("variants") or {}).get("nodes")) or []
    variants = [_variant_in(v, i, currency, handle) for i, v in enumerate(variant_nodes)]
    with fields_named(handle):
        return Product(
            key=handle, title=node.get("title") or handle, description=_blank(node.get("descriptionHtml")),
            vendor=_blank(node.get("vendor")), product_type=_blank(node.get("productType")),
            tags=list(node.get("tags") or []), variants=variants, active=node.get("status") == "ACTIVE",
        )


def _variant_in(node: Mapping[str, Any], index: int, currency: str, handle: str) -> Variant:
    where = f"variants[{index}]"
    sku = _blank((node.get("sku") or "").strip())
    if sku is None:
        raise RecordError("variant has no SKU in Shopify", field=f"{where}.sku", record=handle)
    options = {o["name"]: o["value"] for o in node.get("selectedOptions") or []}
    if tuple(next(iter(options.items()), ())) == DEFAULT_OPTION and len(options) == 1:
        options = {}
    price, compare = _decimal(node.get("price")), _decimal(node.get("compareAtPrice"))
    try:
        return Variant(
            sku=sku, ean=_blank(node.get("barcode")), title=_blank(node.get("title")), options=options,
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


# -- prices -------------------------------------------------------------------------------------


def price_in(node: Mapping[str, Any], settings: Settings = DEFAULT) -> Price:
    """A variant's price as a Price in the default list (Shopify holds one price per variant), in
    the shop's currency and on its tax basis."""
    sku = str(node.get("sku") or "")
    amount = _decimal(node.get("price")) or Decimal("0")
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
    money = Money(amount=amount, currency=currency)
    if includes_vat == taxes_included:
        return str(money.amount)
    rate = _decimal(vat_rate)
    if rate is None:
        side = "include" if taxes_included else "exclude"
        net_or_gross = "includes" if includes_vat else "excludes"
        raise RecordError(f"the shop's prices {side} tax but this amount {net_or_gross} it, and there is no VAT "
                          "rate to convert with; let the source give VAT rates (Exact Online: vat_rates: true)",
                          field=field, record=record)
    converted = tax.gross_from_net(money, rate) if taxes_included else tax.net_from_gross(money, rate)
    return str(converted.amount)


# -- stock --------------------------------------------------------------------------------------

QUANTITY_NAMES = ("available", "on_hand", "committed", "incoming")


def stock_in(data: Mapping[str, Any]) -> StockLevel:
    """A stock record as the stock resource builds it: SKU, location code and named quantities."""
    quantities = {q["name"]: q["quantity"] for q in data.get("quantities") or []}
    sku = str(data.get("sku") or "")
    with fields_named(sku):
        return StockLevel(
            sku=sku, location=str(data.get("location") or "default"), on_hand=quantities.get("on_hand", 0),
            reserved=quantities.get("committed", 0), incoming=quantities.get("incoming", 0),
            available=quantities.get("available"),
        )


def stock_out(level: StockLevel, refs: Refs) -> dict[str, Any]:
    """The ``available`` quantity to set: ``available`` when known, else on hand minus reserved."""
    quantity = level.available if level.available is not None else level.on_hand - level.reserved
    if quantity != quantity.to_integral_value():
        raise RecordError(f"Shopify counts whole units; {quantity} is not one", field="available", record=level.sku)
    return {"sku": level.sku, "location": level.location, "quantity": int(quantity)}


# -- customers ----------------------------------------------------------------------------------


def _email_of(node: Mapping[str, Any] | None) -> str | None:
    return _blank(((node or {}).get("defaultEmailAddress") or {}).get("emailAddress"))


def _phone_of(node: Mapping[str, Any] | None) -> str | None:
    """``defaultPhoneNumber.phoneNumber``, or ``phone`` (deprecated in 2026-07) of an older answer."""
    node = node or {}
    return _blank((node.get("defaultPhoneNumber") or {}).get("phoneNumber")) or _blank(node.get("phone"))


def _addresses_of(node: Mapping[str, Any]) -> list[Any]:
    """``addressesV2.nodes``, or ``addresses`` (deprecated in 2026-07) of an older answer."""
    connection = node.get("addressesV2")
    if isinstance(connection, Mapping):
        return list(connection.get("nodes") or [])
    return list(node.get("addresses") or [])


def customer_in(node: Mapping[str, Any]) -> Customer:
    """A Customer node; a company on the default address makes a company with the person as contact."""
    email = _email_of(node)
    default = node.get("defaultAddress")
    billing = address_in(default)
    others = [a for a in _addresses_of(node) if a and a != default]
    person = Contact(first_name=_blank(node.get("firstName")), last_name=_blank(node.get("lastName")),
                     email=email, phone=_phone_of(node)) if email or node.get("lastName") else None
    company = billing.company if billing else None
    name = company or _blank(node.get("displayName")) or (person.full_name if person else None) or email or "?"
    with fields_named(email or node.get("id")):
        return Customer(
            type=CustomerKind.COMPANY if company else CustomerKind.PERSON, name=name, email=email,
            phone=_phone_of(node), tax_exempt=bool(node.get("taxExempt")),
            contacts=[person] if company and person else [], billing_address=billing,
            shipping_address=address_in(others[0]) if others else None,
        )


def customer_out(customer: Customer, refs: Refs) -> dict[str, Any]:
    """A CustomerInput; a company's first contact gives the person's name, the company its address."""
    contact = customer.contacts[0] if customer.contacts else None
    if customer.type is CustomerKind.COMPANY:
        first, last = (contact.first_name, contact.last_name) if contact else (None, customer.name)
    else:
        first, last = split_name(customer.name)
    company = customer.name if customer.type is CustomerKind.COMPANY else None
    addresses = [address_out(a, company=company) for a in (customer.billing_address, customer.shipping_address) if a]
    if len(addresses) == 2 and addresses[0] == addresses[1]:
        addresses.pop()
    if not addresses and company:
        addresses = [{"company": company}]
    return _without_none({
        "email": customer.email, "firstName": first, "lastName": last, "phone": customer.phone,
        "taxExempt": customer.tax_exempt, "addresses": addresses,
    })


# -- orders -------------------------------------------------------------------------------------

_FINANCIAL = {"EXPIRED": FinancialStatus.VOIDED}
_FULFILLMENT = {"FULFILLED": FulfillmentStatus.FULFILLED, "PARTIALLY_FULFILLED": FulfillmentStatus.PARTIAL}
_PAID_KINDS = {"SALE", "CAPTURE"}


def order_in(node: Mapping[str, Any]) -> Order:
    """An Order node with lines, shipping, discounts, payments and the customer as the order shows it."""
    number = str(node.get("name") or node.get("id"))
    currency = str(node.get("currencyCode") or "")
    lines = [_line_in(line, i, number) for i, line in enumerate((node.get("lineItems") or {}).get("nodes") or [])]
    if not lines:
        raise RecordError("order has no lines", field="lines", record=number)
    total = _required_money(node.get("totalPriceSet"), "total", number)
    fulfillment = _FULFILLMENT.get(str(node.get("displayFulfillmentStatus")), FulfillmentStatus.UNFULFILLED)
    financial = _financial(node.get("displayFinancialStatus"))
    with fields_named(number):
        return Order(
            number=number, created_at=node["createdAt"], updated_at=node.get("updatedAt"), currency=currency,
            customer=_order_customer(node, number), lines=lines, discounts=_discounts(node, lines, currency),
            shipping_lines=_shipping_in(node, number), payments=_payments(node, total, financial),
            billing_address=address_in(node.get("billingAddress")),
            shipping_address=address_in(node.get("shippingAddress")),
            prices_include_vat=bool(node.get("taxesIncluded")), subtotal=_money(node.get("subtotalPriceSet")),
            tax_total=_money(node.get("totalTaxSet")), total=total, financial_status=financial,
            fulfillment_status=fulfillment, stage=_stage(node, fulfillment), note=_blank(node.get("note")),
            tags=list(node.get("tags") or []),
        )


def _financial(status: Any) -> FinancialStatus:
    text = str(status or "PENDING")
    if text in _FINANCIAL:
        return _FINANCIAL[text]
    try:
        return FinancialStatus(text.lower())
    except ValueError:
        return FinancialStatus.PENDING


def _stage(node: Mapping[str, Any], fulfillment: FulfillmentStatus) -> OrderStage:
    if node.get("cancelledAt"):
        return OrderStage.CANCELLED
    return {FulfillmentStatus.FULFILLED: OrderStage.DELIVERED,
            FulfillmentStatus.PARTIAL: OrderStage.PARTIALLY_DELIVERED}.get(fulfillment, OrderStage.OPEN)


def _taxes(tax_lines: list[Mapping[str, Any]], currency: str) -> tuple[Decimal | None, Money | None]:
    """Summed rate (percent) and amount of a line's tax lines; None when it has none."""
    if not tax_lines:
        return None, None
    rate = sum((Decimal(str(t.get("ratePercentage") or 0)) for t in tax_lines), Decimal("0"))
    amount = Money.zero(currency)
    for line in tax_lines:
        amount = amount + (_money(line.get("priceSet")) or Money.zero(currency))
    return rate.normalize() if rate else Decimal("0"), amount


def _line_in(node: Mapping[str, Any], index: int, number: str) -> OrderLine:
    where = f"lines[{index}]"
    sku = _blank((node.get("sku") or "").strip())
    if sku is None:
        title = node.get("name") or node.get("title") or "?"
        raise RecordError(f"line {title!r} has no SKU in Shopify, so no ERP article can be matched",
                          field=f"{where}.sku", record=number)
    unit = _required_money(node.get("originalUnitPriceSet"), f"{where}.unit_price", number)
    discount = _money(node.get("totalDiscountSet"))
    rate, tax_amount = _taxes(list(node.get("taxLines") or []), unit.currency)
    try:
        return OrderLine(sku=sku, title=_blank(node.get("name")) or _blank(node.get("title")),
                         quantity=Decimal(str(node.get("quantity") or 0)), unit_price=unit,
                         discount=discount if discount and discount.amount else None, vat_rate=rate, tax=tax_amount)
    except ValidationError as exc:
        raise RecordError(exc.errors()[0]["msg"], field=where, record=number) from None


def _shipping_in(node: Mapping[str, Any], number: str) -> list[ShippingLine]:
    lines = []
    for i, line in enumerate((node.get("shippingLines") or {}).get("nodes") or []):
        price = _required_money(line.get("originalPriceSet"), f"shipping_lines[{i}].price", number)
        rate, amount = _taxes(list(line.get("taxLines") or []), price.currency)
        lines.append(ShippingLine(title=line.get("title") or "Shipping", code=_blank(line.get("code")), price=price,
                                  vat_rate=rate, tax=amount))
    return lines


def _discounts(node: Mapping[str, Any], lines: list[OrderLine], currency: str) -> list[Discount]:
    """Order-level discounts: the codes, with the part of the discount *not* already on the lines.

    Shopify allocates every discount (codes included) to the lines' ``totalDiscountSet``; what is
    left of ``totalDiscountsSet`` (a shipping discount) is the order-level amount, so the lines and
    the discounts never count one euro twice.
    """
    codes = [str(c) for c in node.get("discountCodes") or []]
    total = _money(node.get("totalDiscountsSet")) or Money.zero(currency)
    on_lines = Money.zero(currency)
    for line in lines:
        on_lines = on_lines + (line.discount or Money.zero(currency))
    rest = total - on_lines
    if not codes and not rest.amount:
        return []
    return [Discount(code=", ".join(codes) or None, title="discount codes" if codes else "order discount",
                     amount=rest if rest.amount > 0 else Money.zero(currency))]


def _payments(node: Mapping[str, Any], total: Money, financial: FinancialStatus) -> list[PaymentInfo]:
    """Successful sales and captures; without any, the gateways named (amount 0 unless paid in full)."""
    paid = [t for t in node.get("transactions") or [] if t.get("kind") in _PAID_KINDS and t.get("status") == "SUCCESS"]
    if paid:
        return [PaymentInfo(method=t.get("gateway") or "unknown", amount=_money(t.get("amountSet")) or total,
                            paid_at=t.get("processedAt")) for t in paid]
    amount = total if financial is FinancialStatus.PAID else Money.zero(total.currency)
    return [PaymentInfo(method=name, amount=amount) for name in node.get("paymentGatewayNames") or []]


def _order_customer(node: Mapping[str, Any], number: str) -> Customer:
    """The buyer as the order shows them: a company when the billing address names one."""
    customer = node.get("customer") or {}
    billing = address_in(node.get("billingAddress"))
    shipping = address_in(node.get("shippingAddress"))
    email = _blank(node.get("email")) or _email_of(customer)
    phone = _blank(node.get("phone")) or _phone_of(customer)
    first, last = _blank(customer.get("firstName")), _blank(customer.get("lastName"))
    person = " ".join(p for p in (first, last) if p) or _blank(customer.get("displayName")) or (
        billing.name if billing else None)
    company = billing.company if billing else None
    with fields_named(number):
        contacts = [Contact(first_name=first, last_name=last or person, email=email, phone=phone)] if company else []
        return Customer(
            type=CustomerKind.COMPANY if company else CustomerKind.PERSON, name=company or person or email or "Guest",
            email=email, phone=phone, contacts=contacts, billing_address=billing, shipping_address=shipping,
            source_id=_blank(customer.get("id")),
        )

