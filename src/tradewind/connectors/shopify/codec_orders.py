"""Shopify Order nodes → orders: lines, shipping, discounts, payments and the buyer as the order shows them.

An order's amounts are the customer's: when the customer paid in another currency than the shop's
(``presentmentCurrencyCode`` ≠ ``currencyCode``, "the shop currency when the order was placed"), every
MoneyBag is read on its ``presentmentMoney`` side and the order is in that currency, with
``exchange_rate`` the shop's own rate at checkout: ``totalPriceSet`` shop money ÷ presentment money (shop units
per unit of the order's currency), so ``currency_rate: shop`` books it the way the shop converted it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from tradewind.connectors.shopify.codec_common import (
    bag_money,
    blank,
    fields_named,
    presentment_side,
    required_money,
)
from tradewind.connectors.shopify.codec_customers import address_in, email_of, phone_of
from tradewind.errors import RecordError
from tradewind.model import (
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
    ShippingLine,
)

_FINANCIAL = {"EXPIRED": FinancialStatus.VOIDED}
_FULFILLMENT = {"FULFILLED": FulfillmentStatus.FULFILLED, "PARTIALLY_FULFILLED": FulfillmentStatus.PARTIAL}
_PAID_KINDS = {"SALE", "CAPTURE"}
VAT_ATTRIBUTES = frozenset({"vatnumber", "vatno", "vatid", "vatregistrationnumber", "btwnummer", "ustidnr",
                            "numerotva", "taxregistrationid"})
"""Checkout attribute keys that hold the buyer's VAT number, compared without case, spaces or punctuation
(``vat_number``, ``VAT number``, ``VAT-ID``, ``BTW-nummer``, ``USt-IdNr.``): what EU VAT checkout apps write."""


def order_in(node: Mapping[str, Any]) -> Order:
    """An Order node with lines, shipping, discounts, payments and the customer as the order shows it."""
    number = str(node.get("name") or node.get("id"))
    side = presentment_side(node)
    currency = str(node.get("presentmentCurrencyCode") if side == "presentmentMoney" else node.get("currencyCode")
                   or "")
    lines = [_line_in(line, i, number, side)
             for i, line in enumerate((node.get("lineItems") or {}).get("nodes") or [])]
    if not lines:
        raise RecordError("order has no lines", field="lines", record=number)
    total = required_money(node.get("totalPriceSet"), "total", number, side=side)
    fulfillment = _FULFILLMENT.get(str(node.get("displayFulfillmentStatus")), FulfillmentStatus.UNFULFILLED)
    financial = _financial(node.get("displayFinancialStatus"))
    terms = node.get("paymentTerms") or {}
    with fields_named(number):
        return Order(
            number=number, created_at=node["createdAt"], updated_at=node.get("updatedAt"), currency=currency,
            customer=_order_customer(node, number), lines=lines, discounts=_discounts(node, lines, currency, side),
            shipping_lines=_shipping_in(node, number, side), payments=_payments(node, total, financial, side),
            billing_address=address_in(node.get("billingAddress")),
            shipping_address=address_in(node.get("shippingAddress")),
            prices_include_vat=bool(node.get("taxesIncluded")), subtotal=bag_money(node.get("subtotalPriceSet"), side),
            tax_total=bag_money(node.get("totalTaxSet"), side), total=total, financial_status=financial,
            exchange_rate=exchange_rate(node) if side == "presentmentMoney" else None,
            fulfillment_status=fulfillment, stage=_stage(node, fulfillment), note=blank(node.get("note")),
            tags=list(node.get("tags") or []), payment_terms=blank(terms.get("paymentTermsName")),
            payment_due_days=terms.get("dueInDays"),
        )


RATE = Decimal("0.0000000001")
"""Precision kept of the shop's rate: ten decimals, beyond what two cent amounts can tell apart."""


def exchange_rate(node: Mapping[str, Any]) -> Decimal | None:
    """Shop units per unit of the customer's currency: the order total's shop money ÷ its presentment money
    (None without both, or for a total of nothing)."""
    bag = node.get("totalPriceSet") or {}
    shop, shown = bag_money(bag, "shopMoney"), bag_money(bag, "presentmentMoney")
    if shop is None or shown is None or shown.amount == 0:
        return None
    return (shop.amount / shown.amount).quantize(RATE)


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


def _taxes(tax_lines: list[Mapping[str, Any]], currency: str, side: str) -> tuple[Decimal | None, Money | None]:
    """Summed rate (percent) and amount of a line's tax lines; None when it has none."""
    if not tax_lines:
        return None, None
    rate = sum((Decimal(str(t.get("ratePercentage") or 0)) for t in tax_lines), Decimal("0"))
    amount = Money.zero(currency)
    for line in tax_lines:
        amount = amount + (bag_money(line.get("priceSet"), side) or Money.zero(currency))
    return rate.normalize() if rate else Decimal("0"), amount


def _line_in(node: Mapping[str, Any], index: int, number: str, side: str) -> OrderLine:
    where = f"lines[{index}]"
    sku = blank((node.get("sku") or "").strip())
    if sku is None:
        title = node.get("name") or node.get("title") or "?"
        raise RecordError(f"line {title!r} has no SKU in Shopify, so no ERP article can be matched",
                          field=f"{where}.sku", record=number)
    unit = required_money(node.get("originalUnitPriceSet"), f"{where}.unit_price", number, side=side)
    discount = bag_money(node.get("totalDiscountSet"), side)
    rate, tax_amount = _taxes(list(node.get("taxLines") or []), unit.currency, side)
    try:
        return OrderLine(sku=sku, title=blank(node.get("name")) or blank(node.get("title")),
                         quantity=Decimal(str(node.get("quantity") or 0)), unit_price=unit,
                         discount=discount if discount and discount.amount else None, vat_rate=rate, tax=tax_amount)
    except ValidationError as exc:
        raise RecordError(exc.errors()[0]["msg"], field=where, record=number) from None


def _shipping_in(node: Mapping[str, Any], number: str, side: str) -> list[ShippingLine]:
    lines = []
    for i, line in enumerate((node.get("shippingLines") or {}).get("nodes") or []):
        price = required_money(line.get("originalPriceSet"), f"shipping_lines[{i}].price", number, side=side)
        rate, amount = _taxes(list(line.get("taxLines") or []), price.currency, side)
        lines.append(ShippingLine(title=line.get("title") or "Shipping", code=blank(line.get("code")), price=price,
                                  vat_rate=rate, tax=amount))
    return lines


def _discounts(node: Mapping[str, Any], lines: list[OrderLine], currency: str, side: str) -> list[Discount]:
    """Order-level discounts: the codes, with the part of the discount *not* already on the lines.

    Shopify allocates every discount (codes included) to the lines' ``totalDiscountSet``; what is
    left of ``totalDiscountsSet`` (a shipping discount) is the order-level amount, so the lines and
    the discounts never count one euro twice.
    """
    codes = [str(c) for c in node.get("discountCodes") or []]
    total = bag_money(node.get("totalDiscountsSet"), side) or Money.zero(currency)
    on_lines = Money.zero(currency)
    for line in lines:
        on_lines = on_lines + (line.discount or Money.zero(currency))
    rest = total - on_lines
    if not codes and not rest.amount:
        return []
    return [Discount(code=", ".join(codes) or None, title="discount codes" if codes else "order discount",
                     amount=rest if rest.amount > 0 else Money.zero(currency))]


def _payments(node: Mapping[str, Any], total: Money, financial: FinancialStatus, side: str) -> list[PaymentInfo]:
    """Successful sales and captures; without any, the gateways named (amount 0 unless paid in full)."""
    paid = [t for t in node.get("transactions") or [] if t.get("kind") in _PAID_KINDS and t.get("status") == "SUCCESS"]
    if paid:
        return [PaymentInfo(method=t.get("gateway") or "unknown", amount=bag_money(t.get("amountSet"), side) or total,
                            paid_at=t.get("processedAt")) for t in paid]
    amount = total if financial is FinancialStatus.PAID else Money.zero(total.currency)
    return [PaymentInfo(method=name, amount=amount) for name in node.get("paymentGatewayNames") or []]


def vat_number_of(node: Mapping[str, Any]) -> str | None:
    """The buyer's VAT number as given: the B2B company location's tax registration id, else the first
    checkout attribute named like one (:data:`VAT_ATTRIBUTES`). Not judged here: the rules decide."""
    purchaser = node.get("purchasingEntity") or {}
    settings = (purchaser.get("location") or {}).get("taxSettings") or {}
    registered = blank(str(settings.get("taxRegistrationId") or "").strip())
    if registered:
        return registered
    for attribute in node.get("customAttributes") or []:
        key = "".join(ch for ch in str(attribute.get("key") or "").casefold() if ch.isalnum())
        value = blank(str(attribute.get("value") or "").strip())
        if key in VAT_ATTRIBUTES and value:
            return value
    return None


def _order_customer(node: Mapping[str, Any], number: str) -> Customer:
    """The buyer as the order shows them: a company when the billing address (or the B2B purchasing
    company) names one, with the VAT number the order carries."""
    customer = node.get("customer") or {}
    billing = address_in(node.get("billingAddress"))
    shipping = address_in(node.get("shippingAddress"))
    email = blank(node.get("email")) or email_of(customer)
    phone = blank(node.get("phone")) or phone_of(customer)
    first, last = blank(customer.get("firstName")), blank(customer.get("lastName"))
    person = " ".join(p for p in (first, last) if p) or blank(customer.get("displayName")) or (
        billing.name if billing else None)
    purchaser = (node.get("purchasingEntity") or {}).get("company") or {}
    company = (billing.company if billing else None) or blank(purchaser.get("name"))
    with fields_named(number):
        contacts = [Contact(first_name=first, last_name=last or person, email=email, phone=phone)] if company else []
        return Customer(
            type=CustomerKind.COMPANY if company else CustomerKind.PERSON, name=company or person or email or "Guest",
            email=email, phone=phone, vat_number=vat_number_of(node), contacts=contacts, billing_address=billing,
            shipping_address=shipping, source_id=blank(customer.get("id")),
        )
