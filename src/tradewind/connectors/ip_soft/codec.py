"""IP-Soft records ⇄ canonical entities: pure functions over the element names of our WSDL model.

A native record is the plain data :func:`.client.plain` makes of zeep's answer (element names as
keys, decimals and times as text). A customer's real WSDL with other names changes this module
and :mod:`.client`, nothing else.

The brief's rule for orders lives in :func:`order_out`: an order must name a known IP-Soft
customer by its customer number; without one it is blocked with that reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from tradewind.connectors.base import NativeRecord, Refs
from tradewind.connectors.ip_soft.client import MODIFIED, utc_text
from tradewind.errors import RecordError
from tradewind.model import (
    Address,
    Contact,
    Customer,
    CustomerKind,
    Discount,
    Money,
    Order,
    OrderLine,
    OrderStage,
    Price,
    Product,
    ShippingLine,
    StockLevel,
    Variant,
)

Row = dict[str, Any]


def _items(row: Row, wrapper: str, item: str) -> list[Row]:
    """``{"Buyers": {"Buyer": [...]}}`` → the list (absent or empty → [])."""
    inner = row.get(wrapper) or {}
    return list(inner.get(item) or []) if isinstance(inner, Mapping) else []


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _dec(value: Any) -> str:
    """A decimal as the service reads it: plain notation, never a float."""
    return format(Decimal(str(value)), "f")


def record(row: Row, native_id: str) -> NativeRecord:
    """A native record, versioned by its modification time."""
    return NativeRecord(id=native_id, data=row, version=_text(row.get(MODIFIED)))


# -- native ids ------------------------------------------------------------------------------

def customer_id(row: Row) -> str:
    return str(row["CustomerNumber"])


def product_id(row: Row) -> str:
    return str(row["ProductCode"])


def price_id(row: Row) -> str:
    return str(row["EntryId"])


def stock_id(row: Row) -> str:
    """Stock has no id of its own: warehouse and SKU name it."""
    return f"{row['Warehouse']}/{row['Sku']}"


def order_id(row: Row) -> str:
    return str(row["OrderNumber"])


# -- addresses -------------------------------------------------------------------------------

def address_in(row: Row | None) -> Address | None:
    if not row:
        return None
    return Address(name=_text(row.get("Name")), line1=_text(row.get("Street")),
                   house_number=_text(row.get("HouseNumber")), line2=_text(row.get("AddressLine2")),
                   postcode=_text(row.get("PostalCode")), city=_text(row.get("City")),
                   region=_text(row.get("Region")), country=_text(row.get("CountryCode")),
                   phone=_text(row.get("Phone")))


def address_out(address: Address | None) -> Row | None:
    if address is None:
        return None
    values = {"Name": address.company or address.name, "Street": address.line1, "HouseNumber": address.house_number,
              "AddressLine2": address.line2, "PostalCode": address.postcode, "City": address.city,
              "Region": address.region, "CountryCode": address.country, "Phone": address.phone}
    return {k: v for k, v in values.items() if v is not None}


# -- customers -------------------------------------------------------------------------------

def customer_in(row: Row) -> Customer:
    """A debtor with its billing address and buyers; the customer group is kept as a reference
    (``references["customer_group"]``) so a portal can give the customer its price list."""
    buyers = [Contact(first_name=_text(b.get("FirstName")), last_name=_text(b.get("LastName")),
                      email=_text(b.get("Email")), phone=_text(b.get("Phone")), role=_text(b.get("Role")))
              for b in _items(row, "Buyers", "Buyer")]
    group = _text(row.get("CustomerGroup"))
    return Customer(type=CustomerKind.COMPANY, name=str(row["Name"]).strip(), email=_text(row.get("Email")),
                    phone=_text(row.get("Phone")), vat_number=_text(row.get("VatNumber")),
                    chamber_of_commerce=_text(row.get("ChamberOfCommerce")), language=_text(row.get("Language")),
                    reference=customer_id(row), references={"customer_group": group} if group else {},
                    contacts=buyers, billing_address=address_in(row.get("BillingAddress")),
                    shipping_address=address_in(row.get("DeliveryAddress")))


# -- products --------------------------------------------------------------------------------

def product_in(row: Row) -> Product:
    """A model with its sizes as variants. Colour, category and composition become attributes
    (and the colour a variant option, beside the size) so a portal can filter on them."""
    colour = _text(row.get("Colour"))
    attributes = {"category": _text(row.get("Category")), "colour": colour,
                  "composition": _text(row.get("Composition")), "collection": _text(row.get("Collection"))}
    variants = []
    for variant in _items(row, "Variants", "Variant"):
        options = {"colour": colour, "size": _text(variant.get("Size"))}
        variants.append(Variant(sku=str(variant["Sku"]), ean=_text(variant.get("Ean13")),
                                title=_text(variant.get("Size")),
                                options={k: v for k, v in options.items() if v is not None},
                                active=variant.get("Active") is not False))
    vat = row.get("VatRate")
    return Product(key=product_id(row), title=str(row["Description"]).strip(),
                   description=_text(row.get("LongDescription")), vendor=_text(row.get("Brand")),
                   product_type=_text(row.get("Category")), attributes={k: v for k, v in attributes.items() if v},
                   variants=variants, vat_rate=Decimal(str(vat)) if vat is not None else None,
                   active=row.get("Active") is not False)


# -- prices and stock ------------------------------------------------------------------------

def price_in(row: Row) -> Price:
    """One price-list entry; a list serves one customer group in one currency."""
    minimum = row.get("MinQuantity")
    return Price(sku=str(row["Sku"]), price_list=str(row["PriceList"]),
                 amount=Money.of(row["UnitPrice"], str(row["Currency"])), includes_vat=bool(row.get("IncludesVat")),
                 min_quantity=Decimal(str(minimum)) if minimum is not None else Decimal("1"),
                 valid_from=row.get("ValidFrom"), valid_until=row.get("ValidUntil"))


def stock_in(row: Row) -> StockLevel:
    """Quantities of one SKU in one warehouse; ``available`` is IP-Soft's available-to-sell."""
    return StockLevel(sku=str(row["Sku"]), location=str(row["Warehouse"]), on_hand=row["OnHand"],
                      reserved=Decimal(str(row.get("Reserved") or 0)), incoming=Decimal(str(row.get("Incoming") or 0)),
                      available=row["AvailableToSell"])


# -- orders ----------------------------------------------------------------------------------

_STAGES = {"open": OrderStage.OPEN, "confirmed": OrderStage.CONFIRMED,
           "partially delivered": OrderStage.PARTIALLY_DELIVERED, "delivered": OrderStage.DELIVERED,
           "invoiced": OrderStage.INVOICED, "cancelled": OrderStage.CANCELLED}


def customer_number(order: Order, refs: Refs) -> str:
    """The IP-Soft customer the order is booked on, resolved through ``refs`` (the flow's match
    rule; the B2B default is the customer's IP-Soft reference). Customers are mastered in IP-Soft
    and never created from an order: an unknown or missing reference blocks the order."""
    customer = order.customer
    named = customer.reference or customer.references.get("ip_soft")
    keys = {"reference": named, "email": customer.email, "vat_number": customer.vat_number}
    try:
        return refs("customer", keys)
    except RecordError as error:
        said = f"customer reference {named!r}" if named else f"customer {customer.name!r} has no customer reference"
        raise RecordError(f"order {order.number} is blocked: {said} is not a valid IP-Soft customer "
                          f"({error.message})", field="customer.reference", record=order.number) from error


def order_out(order: Order, refs: Refs) -> Row:
    """A ``NewOrder``: the portal's number in ``ExternalReference`` (found again by FindOrders)."""
    lines = [{"Sku": line.sku, "Description": line.title, "Quantity": _dec(line.quantity),
              "UnitPrice": _dec(line.unit_price.amount),
              "DiscountAmount": _dec(line.discount.amount) if line.discount else None,
              "VatRate": _dec(line.vat_rate) if line.vat_rate is not None else None} for line in order.lines]
    shipping = sum((s.price.amount for s in order.shipping_lines), Decimal("0"))
    native: Row = {
        "ExternalReference": order.number, "CustomerNumber": customer_number(order, refs),
        "OrderDate": utc_text(order.created_at), "Currency": order.currency,
        "PricesIncludeVat": order.prices_include_vat, "Remark": order.note,
        "DeliveryAddress": address_out(order.shipping_address or order.billing_address),
        "ShippingCost": _dec(shipping) if order.shipping_lines else None,
        "OrderDiscount": _dec(order.discount_total.amount) if order.discounts else None,
        "TotalAmount": _dec(order.total.amount),
        "Lines": {"Line": [{k: v for k, v in line.items() if v is not None} for line in lines]},
    }
    return {k: v for k, v in native.items() if v is not None}


def order_in(row: Row) -> Order:
    """A sales order as IP-Soft holds it; the customer is known by its number only."""
    currency = str(row["Currency"])
    number = str(row["CustomerNumber"])
    lines = [OrderLine(sku=str(li["Sku"]), title=_text(li.get("Description")), quantity=li["Quantity"],
                       unit_price=Money.of(li["UnitPrice"], currency),
                       discount=Money.of(li["DiscountAmount"], currency) if li.get("DiscountAmount") else None,
                       vat_rate=li.get("VatRate")) for li in _items(row, "Lines", "Line")]
    shipping = row.get("ShippingCost")
    discount = row.get("OrderDiscount")
    total = row.get("TotalAmount")
    if total is None:
        total = sum((line.net_total.amount for line in lines), Decimal("0")) + Decimal(str(shipping or 0)) \
            - Decimal(str(discount or 0))
    return Order(number=str(row["ExternalReference"]), created_at=row["OrderDate"], updated_at=row.get(MODIFIED),
                 currency=currency, customer=Customer(type=CustomerKind.COMPANY, name=number, reference=number),
                 lines=lines, prices_include_vat=bool(row.get("PricesIncludeVat")),
                 shipping_lines=[ShippingLine(title="Shipping", price=Money.of(shipping, currency))] if shipping
                 else [],
                 discounts=[Discount(amount=Money.of(discount, currency))] if discount else [],
                 shipping_address=address_in(row.get("DeliveryAddress")), total=Money.of(total, currency),
                 stage=_STAGES.get(str(row.get("Status") or "").lower(), OrderStage.OPEN),
                 note=_text(row.get("Remark")))
