"""Exact Online records ⇄ canonical entities. Pure: no I/O, no clock beyond ``now`` arguments.

Field names follow the vendor's models (``exactonline-api-dotnet-client`` ``Models/**``):
Items, SalesItemPrices, ItemWarehouses, Accounts + Contacts, SalesOrders + SalesOrderLines.
Native records the connector assembles from several calls are dicts too: a product is
``{"Code": <model code>, "Items": [<Item>, ...]}``, a customer is an Account with its
``"Contacts"`` list, a customer price carries ``"AccountCode"`` beside ``Account`` and, when the
connection reads VAT rates, ``"ItemSalesVatCode"`` (its item's ``SalesVatCode``) beside ``Item``.
What the connection is configured with, and the division's VAT code table read at run time, come
in :class:`Settings`: never as keys inside the records.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from tradewind.connectors.base import Refs
from tradewind.connectors.exact_online import booking
from tradewind.connectors.exact_online.client import format_date, nested, parse_date
from tradewind.connectors.exact_online.documents import DivisionFacts
from tradewind.errors import RecordError
from tradewind.model import (
    Address,
    Contact,
    Customer,
    CustomerKind,
    Discount,
    FulfillmentStatus,
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
from tradewind.rules.orders import ComposedLine, compose_lines
from tradewind.rules.settings import BookingRules
from tradewind.rules.tax import VatCodeMap

M = TypeVar("M", bound=BaseModel)
Row = dict[str, Any]

ITEM_FIELDS = ("ID", "Code", "Description", "Barcode", "ExtraDescription", "Notes", "IsSalesItem", "IsStockItem",
               "IsWebshopItem", "ItemGroupCode", "ItemGroupDescription", "CostPriceStandard", "CostPriceCurrency",
               "EndDate", "StandardSalesPrice", "SalesVatCode", "Modified", "Timestamp")
PRICE_FIELDS = ("ID", "Item", "ItemCode", "Account", "Currency", "Price", "Quantity", "StartDate", "EndDate",
                "Modified", "Timestamp")
STOCK_FIELDS = ("ID", "Item", "ItemCode", "Warehouse", "WarehouseCode", "CurrentStock", "ReservedStock",
                "PlannedStockIn", "Modified")
ACCOUNT_FIELDS = ("ID", "Code", "Name", "Email", "Phone", "VATNumber", "ChamberOfCommerce", "AddressLine1",
                  "AddressLine2", "Postcode", "City", "Country", "Language", "Status", "IsSales", "Modified")
CONTACT_FIELDS = ("ID", "Account", "FirstName", "LastName", "Email", "Phone", "JobTitleDescription")
ORDER_FIELDS = ("OrderID", "OrderNumber", "YourRef", "Description", "OrderDate", "Currency", "OrderedBy",
                "OrderedByName", "InvoiceTo", "DeliverTo", "PaymentCondition", "WarehouseID", "Remarks", "Status",
                "InvoiceStatus", "AmountFC", "AmountFCExclVat", "Modified", "SalesOrderLines")
ORDER_LINE_FIELDS = ("ID", "Item", "ItemCode", "Description", "Quantity", "UnitPrice", "Discount", "AmountFC",
                     "VATAmount", "VATCode", "VATPercentage", "LineNumber")
ORDER_HEADER_WRITABLE = ("YourRef", "Description", "OrderDate", "Currency", "PaymentCondition", "WarehouseID",
                         "Remarks")
"""What an update may change: Exact keeps the customer and lines of an existing order."""


@dataclass(frozen=True)
class Settings:
    """The connection options the codec needs (built from the connector's options)."""

    shipping_item: str | None = None
    discount_item: str | None = None
    payment_condition: str | None = None
    vat_codes: Mapping[str, str] = field(default_factory=dict)
    prices_include_vat: bool = False
    language: str | None = None
    option_fields: Mapping[str, str] = field(default_factory=dict)
    currency: str = "EUR"
    vat_percentages: Mapping[str, float] | None = None
    """The division's sales VAT codes → Exact's fraction (``{"2": 0.21}``), read from
    ``vat/VATCodes`` when the connection gives VAT rates (``vat_rates``); None when it does not."""
    booking: BookingRules | None = None
    """The connection's ``booking`` rules; None keeps the plain order composition."""
    vat_code_map: VatCodeMap | None = None
    """The division's sales VAT codes with the project's overrides, read when ``booking`` is set."""
    division: DivisionFacts | None = None
    """The division's GL accounts, projects, shipping methods and rates by code, read when ``booking`` is set."""

    def vat_rate(self, code: Any) -> Decimal | None:
        """The VAT rate in percent of an item's ``SalesVatCode``; None when not read or unknown."""
        if self.vat_percentages is None or text(code) is None:
            return None
        return percent(self.vat_percentages.get(text(code) or ""))


DEFAULT = Settings()


# -- helpers -------------------------------------------------------------------------------------

def text(value: Any) -> str | None:
    """A trimmed string, None when empty (Exact pads codes and sends empty strings)."""
    if value is None:
        return None
    cleaned = (value if type(value) is str else str(value)).strip()
    return cleaned or None


def build(model: type[M], record: str | None, prefix: str = "", **values: Any) -> M:
    """Build a model; a refused value becomes a RecordError naming the field. Validated as
    ``model(**values)`` is, without ``__init__``'s own overhead (about 1 µs a model; a product
    of three sizes makes four)."""
    try:
        built: M = model.__pydantic_validator__.validate_python(values)
        return built
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(p) for p in first["loc"])
        raise RecordError(first["msg"], field=f"{prefix}{path}", record=record) from exc


def rate_key(rate: Decimal) -> str:
    """``Decimal("21.00")`` → ``"21"``, ``Decimal("5.5")`` → ``"5.5"`` (keys of ``vat_codes``)."""
    return format(plain(rate), "f")


def percent(fraction: Any) -> Decimal | None:
    """Exact's VATPercentage is a fraction (0.21); tradewind keeps percent (21)."""
    if fraction is None:
        return None
    value = Decimal(str(fraction))
    return plain(value * 100 if abs(value) <= 1 else value)


def plain(value: Decimal) -> Decimal:
    """Without trailing zeros and never in exponent form (``20.00`` → ``20``, not ``2E+1``)."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _dec(value: Any, default: str = "0") -> Decimal:
    if type(value) is Decimal:  # as the client reads JSON numbers (parse_float=Decimal): already exact
        return value
    return Decimal(str(value)) if value is not None else Decimal(default)


# -- products (Items grouped by model code) ------------------------------------------------------

ITEM_VAT_CODE = "ItemSalesVatCode"
"""The item's ``SalesVatCode``, joined into a price row by the connector (``vat_rates``) as it
joins ``AccountCode``: vendor data of another endpoint, resolved by ``Settings.vat_percentages``."""


def group_of(item: Row, group_field: str | None) -> str | None:
    """The model code grouping an item with its sizes/colours; None when it stands alone."""
    return text(item.get(group_field)) if group_field else None


def product_in(data: Row, now: datetime | None = None, settings: Settings = DEFAULT) -> Product:
    """``{"Code", "Items"}`` → Product: one variant per item, title shared by the group; variant
    options (size, colour) from the Item fields named in ``settings.option_fields``; its VAT rate
    is its first item's sales VAT code's (a model's sizes share one code)."""
    key = text(data.get("Code")) or ""
    items = sorted(data.get("Items") or [], key=_code)
    if not items:
        raise RecordError("product has no items", field="Items", record=key)
    moment = now or datetime.now(UTC)
    made: Amounts = {}
    variants = [_variant(item, index, key, moment, settings, made) for index, item in enumerate(items)]
    first = items[0]
    return build(Product, key, key=key, title=_title([v.title for v in variants], key), variants=variants,
                 description=text(first.get("ExtraDescription")) or text(first.get("Notes")),
                 product_type=text(first.get("ItemGroupDescription")),
                 attributes={"item_group": text(first.get("ItemGroupCode")),
                             "webshop": bool(first.get("IsWebshopItem")),
                             "stock_item": bool(first.get("IsStockItem"))},
                 vat_rate=settings.vat_rate(first.get("SalesVatCode")), prices_include_vat=settings.prices_include_vat,
                 active=any(v.active for v in variants))


def _code(item: Row) -> str:
    return text(item.get("Code")) or ""


def _title(titles: list[str | None], key: str) -> str:
    """The words the items' descriptions (its variants' titles) share ("Shirt Blue M", "Shirt Blue L"
    → "Shirt Blue"): those the first and the last word list in sorted order share, all the others do."""
    descriptions = [(title or "").split() for title in titles]
    low, high = min(descriptions), max(descriptions)
    shared: list[str] = []
    for word, other in zip(low, high, strict=False):
        if word != other:
            break
        shared.append(word)
    return " ".join(shared) or " ".join(descriptions[0]) or key


Amounts = dict[tuple[type, str, str], Money]
"""A product's Money by the amount's type and spelling and the currency: its sizes mostly share their
price and cost, and Money is immutable, so each is validated once per product."""


def _amount(amount: Any, currency: str, made: Amounts) -> Money:
    spelled = (type(amount), str(amount), currency)
    if spelled not in made:
        made[spelled] = Money.of(amount, currency)
    return made[spelled]


def _variant(item: Row, index: int, key: str, now: datetime, settings: Settings, made: Amounts) -> Variant:
    end = parse_date(item.get("EndDate"))
    cost = item.get("CostPriceStandard")
    currency = text(item.get("CostPriceCurrency"))
    sales = item.get("IsSalesItem")
    price = item.get("StandardSalesPrice")
    options = {name: value for name, field_name in settings.option_fields.items()
               if (value := text(item.get(field_name)))}
    return build(Variant, key, f"variants[{index}].", sku=text(item.get("Code")) or "",
                 ean=text(item.get("Barcode")), title=text(item.get("Description")), options=options,
                 price=_amount(price, settings.currency, made) if price is not None else None,
                 cost_price=_amount(cost, currency, made) if cost is not None and currency else None,
                 active=(sales is None or bool(sales)) and (end is None or end > now))


# -- prices, stock -------------------------------------------------------------------------------

def price_in(data: Row, settings: Settings = DEFAULT) -> Price:
    """A SalesItemPrice; a customer's price has the account's code as list and reference."""
    account = text(data.get("AccountCode")) if data.get("Account") else None
    start, end = _day(data.get("StartDate")), _day(data.get("EndDate"))
    return build(Price, text(data.get("ID")), sku=text(data.get("ItemCode")) or "",
                 price_list=account or "default", customer_reference=account,
                 amount=Money.shared(_dec(data.get("Price")), text(data.get("Currency")) or ""),
                 includes_vat=settings.prices_include_vat, min_quantity=_dec(data.get("Quantity"), "1") or Decimal(1),
                 vat_rate=settings.vat_rate(data.get(ITEM_VAT_CODE)), valid_from=start, valid_until=end)


def _day(value: Any) -> date | None:
    """The day of a price's start or end date; None for none."""
    if isinstance(value, str):
        return _day_of_text(value)
    moment = parse_date(value)
    return moment.date() if moment else None


@lru_cache(maxsize=1024)
def _day_of_text(value: str) -> date | None:
    """Read once per spelling: the prices of one list share their start and end dates (and a refusal,
    an exception, is never kept)."""
    moment = parse_date(value)
    return moment.date() if moment else None


def stock_in(data: Row, settings: Settings = DEFAULT, place: Callable[[str], str] | None = None) -> StockLevel:
    """An ItemWarehouse; ``available`` is left to ``rules.stock``. ``place`` names the location its
    warehouse feeds (:meth:`.rules.stock.Placing.location_of`); without it, the warehouse's code."""
    warehouse = text(data.get("WarehouseCode")) or "default"
    return build(StockLevel, text(data.get("ID")), sku=text(data.get("ItemCode")) or "",
                 location=place(warehouse) if place else warehouse, on_hand=_dec(data.get("CurrentStock")),
                 reserved=_dec(data.get("ReservedStock")), incoming=_dec(data.get("PlannedStockIn")))


# -- customers (Account + Contacts) --------------------------------------------------------------

def customer_in(data: Row, settings: Settings = DEFAULT) -> Customer:
    """An Account with its Contacts. Exact has no person flag: an account is a company when it has
    a VAT number, a Chamber of Commerce number or a contact other than itself."""
    name = text(data.get("Name")) or ""
    contacts = [_contact_in(c) for c in nested(data.get("Contacts"))]
    others = [c for c in contacts if c.full_name and c.full_name != name]
    company = bool(text(data.get("VATNumber")) or text(data.get("ChamberOfCommerce")) or others)
    return build(Customer, text(data.get("Code")) or text(data.get("ID")),
                 type=CustomerKind.COMPANY if company else CustomerKind.PERSON, name=name,
                 email=text(data.get("Email")), phone=text(data.get("Phone")), vat_number=text(data.get("VATNumber")),
                 chamber_of_commerce=text(data.get("ChamberOfCommerce")), language=text(data.get("Language")),
                 reference=text(data.get("Code")), contacts=contacts, billing_address=_address_in(data))


def _contact_in(row: Row) -> Contact:
    return build(Contact, text(row.get("ID")), first_name=text(row.get("FirstName")),
                 last_name=text(row.get("LastName")), email=text(row.get("Email")), phone=text(row.get("Phone")),
                 role=text(row.get("JobTitleDescription")))


def _address_in(row: Row) -> Address | None:
    values = {"line1": text(row.get("AddressLine1")), "line2": text(row.get("AddressLine2")),
              "postcode": text(row.get("Postcode")), "city": text(row.get("City")),
              "country": text(row.get("Country"))}
    return Address(**values) if any(values.values()) else None


def customer_out(customer: Customer, refs: Refs | None = None, settings: Settings = DEFAULT) -> Row:
    """Customer → Account (a sales customer, status C) with the contacts to add for a company."""
    account: Row = {"Name": customer.name, "Email": customer.email, "Phone": customer.phone,
                    "VATNumber": customer.vat_number, "ChamberOfCommerce": customer.chamber_of_commerce,
                    "Language": customer.language or settings.language, "IsSales": True, "Status": "C"}
    if customer.reference:
        account["Code"] = customer.reference
    account.update(_address_out(customer.billing_address))
    people = customer.contacts if customer.type == CustomerKind.COMPANY else []
    account["Contacts"] = [_contact_out(c) for c in people]
    return {k: v for k, v in account.items() if v is not None}


def _address_out(address: Address | None) -> Row:
    if address is None:
        return {}
    line1 = " ".join(p for p in (address.line1, address.house_number) if p) or None
    return {"AddressLine1": line1, "AddressLine2": address.line2, "Postcode": address.postcode,
            "City": address.city, "Country": address.country}


def _contact_out(contact: Contact) -> Row:
    row = {"FirstName": contact.first_name, "LastName": contact.last_name, "Email": contact.email,
           "Phone": contact.phone, "JobTitleDescription": contact.role}
    return {k: v for k, v in row.items() if v is not None}


# -- orders (SalesOrder + SalesOrderLines) -------------------------------------------------------

def order_out(order: Order, refs: Refs, settings: Settings = DEFAULT) -> Row:
    """Order → the document the connection's ``booking`` rules name (:func:`.booking.document_out`: a
    SalesOrder, SalesInvoice or SalesEntry with deep-inserted lines), else a SalesOrder of net prices with
    discount and shipping lines."""
    if settings.booking is not None:
        return booking.document_out(order, refs, settings.vat_code_map, settings.booking,
                                    facts=settings.division or DivisionFacts(),
                                    base_currency=settings.booking.base_currency or settings.currency,
                                    payment_condition=settings.payment_condition)
    who = order.customer
    customer = refs("customer", {"email": who.email, "vat_number": who.vat_number, "reference": who.reference},
                    payload=who)
    composed = compose_lines(order, shipping_sku=settings.shipping_item, discount_sku=settings.discount_item)
    lines = [_line_out(line, refs, settings) for line in composed]
    header: Row = {"OrderedBy": customer, "InvoiceTo": customer, "DeliverTo": customer, "YourRef": order.number,
                   "Description": f"Webshop order {order.number}", "OrderDate": format_date(order.created_at.date()),
                   "Currency": order.currency, "PaymentCondition": settings.payment_condition,
                   "Remarks": order.note, "SalesOrderLines": lines}
    return {k: v for k, v in header.items() if v is not None}


def _line_out(line: ComposedLine, refs: Refs, settings: Settings) -> Row:
    try:
        item = refs("product", {"sku": line.sku})
    except RecordError as error:
        if error.field:
            raise
        raise RecordError(error.message, field=f"{line.source}.sku", record=error.record) from error
    row: Row = {"Item": item, "Description": line.description, "Quantity": line.quantity,
                "UnitPrice": line.unit_price.amount}
    gross = line.unit_price.amount * line.quantity
    if line.discount and gross:
        row["Discount"] = (line.discount.amount / gross).quantize(Decimal("0.00000001"))
    if line.vat_rate is not None and settings.vat_codes:
        code = settings.vat_codes.get(rate_key(line.vat_rate))
        if code is None:
            raise RecordError(f"no Exact VAT code configured for {rate_key(line.vat_rate)}%",
                              field=f"{line.source}.vat_rate")
        row["VATCode"] = code
    return row


def order_update_out(native: Row) -> Row:
    """The header fields an update of an existing sales order may send."""
    return {k: native[k] for k in ORDER_HEADER_WRITABLE if k in native}


_STAGES = {12: OrderStage.OPEN, 20: OrderStage.PARTIALLY_DELIVERED, 21: OrderStage.DELIVERED,
           45: OrderStage.CANCELLED}
_FULFILMENT = {20: FulfillmentStatus.PARTIAL, 21: FulfillmentStatus.FULFILLED}


def order_in(data: Row, settings: Settings = DEFAULT) -> Order:
    """SalesOrder → Order: shipping and discount articles become shipping lines and discounts."""
    currency = text(data.get("Currency")) or ""
    number = text(data.get("YourRef")) or str(data.get("OrderNumber") or "")
    lines, shipping, discounts = [], [], []
    rows = nested(data.get("SalesOrderLines") or data.get("SalesInvoiceLines") or data.get("SalesEntryLines"))
    for index, row in enumerate(sorted(rows, key=lambda r: r.get("LineNumber") or 0)):
        code = text(row.get("ItemCode"))
        if code is not None and code == settings.shipping_item:
            shipping.append(ShippingLine(title=text(row.get("Description")) or code, code=code,
                                         price=_money(row.get("AmountFC"), currency),
                                         vat_rate=percent(row.get("VATPercentage"))))
        elif code is not None and code == settings.discount_item:
            discounts.append(Discount(title=text(row.get("Description")),
                                      amount=-_money(row.get("AmountFC"), currency)))
        else:
            lines.append(_line_in(row, index, currency, number))
    status = data.get("Status")
    stage = OrderStage.INVOICED if data.get("InvoiceStatus") == 21 else _STAGES.get(status or 12, OrderStage.OPEN)
    total, net = data.get("AmountFC"), data.get("AmountFCExclVat")
    day = data.get("OrderDate") or data.get("InvoiceDate") or data.get("EntryDate")
    return build(Order, number, number=number, created_at=parse_date(day),
                 updated_at=parse_date(data.get("Modified")), currency=currency,
                 customer=Customer(name=text(data.get("OrderedByName")) or "unknown"), lines=lines,
                 shipping_lines=shipping, discounts=discounts, total=_money(total, currency),
                 subtotal=_money(net, currency) if net is not None else None,
                 tax_total=_money(_dec(total) - _dec(net), currency) if net is not None else None,
                 stage=stage, fulfillment_status=_FULFILMENT.get(status or 12, FulfillmentStatus.UNFULFILLED),
                 note=text(data.get("Remarks")))


def _money(value: Any, currency: str) -> Money:
    return Money.of(_dec(value), currency)


def _line_in(row: Row, index: int, currency: str, number: str) -> OrderLine:
    quantity, unit = _dec(row.get("Quantity"), "1"), _dec(row.get("UnitPrice"))
    fraction = _dec(row.get("Discount"))
    discount = Money.of(unit * quantity * fraction, currency).rounded() if fraction else None
    vat = row.get("VATAmount")
    return build(OrderLine, number, f"lines[{index}].", sku=text(row.get("ItemCode")) or "",
                 title=text(row.get("Description")), quantity=quantity,
                 unit_price=Money.of(unit, currency),
                 discount=discount, vat_rate=percent(row.get("VATPercentage")),
                 tax=_money(vat, currency) if vat is not None else None)

