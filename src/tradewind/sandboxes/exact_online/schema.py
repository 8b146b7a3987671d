"""The entity sets of the Exact Online sandbox: their fields, keys and read-only fields, and how a
value travels between Exact's JSON and the stored record.

Field names, types and which are read-only follow Exact's REST reference pages
(``https://start.exactonline.nl/docs/HlpRestAPIResourcesDetails.aspx?name=LogisticsItems``,
``…=LogisticsSalesItemPrices``, ``…=InventoryItemWarehouses``, ``…=CRMAccounts``, ``…=CRMContacts``,
``…=SalesOrderSalesOrders``, ``…=SalesOrderSalesOrderLines``, ``…=VATVATCodes``) as copied by picqer
``Item.php``, ``Account.php``, ``SalesOrder.php``, ``SalesOrderLine.php`` and the .NET SDK's
``SalesOrder.cs``. Dates are ``/Date(ms)/`` (WCF's JSON format, millisecond precision); an invalid
value answers 400 in WCF Data Services' words. Account ``Code`` is left-padded to 18 characters
(Exact's field doc quoted in picqer ``Account.php``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any

from tradewind.sandboxes.exact_online import odata

Rec = dict[str, Any]


def _schema(spec: str) -> dict[str, str]:
    """``"guid: ID Item; str: Code"`` → ``{"ID": "guid", "Item": "guid", "Code": "str"}``."""
    types: dict[str, str] = {}
    for group in filter(None, (g.strip() for g in spec.split(";"))):
        kind, names = group.split(":")
        types.update(dict.fromkeys(names.split(), kind.strip()))
    return types


@dataclass(frozen=True)
class Entity:
    """One Exact entity set: its fields (EDM-ish types), key, read-only fields and mandatory fields."""

    name: str
    type_name: str
    key: str
    types: dict[str, str]
    read_only: frozenset[str]
    mandatory: tuple[tuple[str, str], ...] = ()
    indexed: tuple[str, ...] = ()

    @cached_property
    def scalars(self) -> dict[str, str]:
        """Fields other than navigation properties (what a record stores)."""
        return {k: v for k, v in self.types.items() if v != "nav"}


_COMMON_RO = "Created Modified Creator CreatorFullName Modifier ModifierFullName Division Timestamp"

#: Sales VAT codes of a Dutch division: code → (fraction, description). Served read-only as
#: ``vat/VATCodes`` with ``Percentage`` a fraction (0.21), as Exact answers it.
VAT_CODES: dict[str, tuple[float, str]] = {
    "0": (0.0, "Geen BTW"), "1": (0.09, "BTW laag"), "2": (0.21, "BTW hoog"), "5": (0.0, "BTW verlegd"),
}

ITEMS = Entity(
    "Items", "Exact.Web.Api.Models.Logistics.Item", "ID",
    _schema("guid: ID ItemGroup Creator Modifier; "
            "str: Code Description ExtraDescription Barcode ItemGroupCode ItemGroupDescription Unit UnitDescription "
            "SalesVatCode SalesVatCodeDescription CostPriceCurrency Notes PictureUrl PictureName SearchCode "
            "CreatorFullName ModifierFullName " + " ".join(f"FreeTextField_{i:02}" for i in range(1, 11)) + "; "
            "bool: IsSalesItem IsStockItem IsPurchaseItem; int: IsWebshopItem Division; "
            "float: StandardSalesPrice CostPriceStandard Stock GrossWeight NetWeight; "
            "date: StartDate EndDate Created Modified"),
    frozenset((_COMMON_RO + " ItemGroupDescription UnitDescription SalesVatCodeDescription Stock").split()),
    (("Code", "Code"), ("Description", "Description")),
    ("Code",),
)
PRICES = Entity(
    "SalesItemPrices", "Exact.Web.Api.Models.Logistics.SalesItemPrice", "ID",
    _schema("guid: ID Item Account Creator Modifier; "
            "str: ItemCode ItemDescription Currency Unit DefaultItemUnit AccountName CreatorFullName ModifierFullName; "
            "float: Price Quantity NumberOfItemsPerUnit; int: Division; date: StartDate EndDate Created Modified"),
    frozenset((_COMMON_RO + " ItemCode ItemDescription AccountName DefaultItemUnit").split()),
    (("Item", "Item"),),
    ("Item",),
)
STOCK = Entity(
    "ItemWarehouses", "Exact.Web.Api.Models.Inventory.ItemWarehouse", "ID",
    _schema("guid: ID Item Warehouse Creator Modifier; "
            "str: ItemCode ItemDescription WarehouseCode WarehouseDescription CreatorFullName ModifierFullName; "
            "float: CurrentStock ReservedStock PlannedStockIn PlannedStockOut ProjectedStock ReorderPoint "
            "MaximumStock SafetyStock; int: Division; date: Created Modified"),
    frozenset((_COMMON_RO + " ItemCode ItemDescription WarehouseCode WarehouseDescription CurrentStock ReservedStock "
               "PlannedStockIn PlannedStockOut ProjectedStock").split()),
    (("Item", "Item"), ("Warehouse", "Warehouse")),
    ("Item",),
)
ACCOUNTS = Entity(
    "Accounts", "Exact.Web.Api.Models.CRM.Account", "ID",
    _schema("guid: ID MainContact PriceList Creator Modifier; "
            "str: Code Name Email Phone Website VATNumber ChamberOfCommerce AddressLine1 AddressLine2 AddressLine3 "
            "Postcode City State Country CountryName Status Language PaymentConditionSales SalesVATCode "
            "SalesCurrency SearchCode Remarks Type CreatorFullName ModifierFullName; "
            "bool: IsSales IsSupplier Blocked; int: Division; date: Created Modified"),
    frozenset((_COMMON_RO + " CountryName").split()),
    (("Name", "Name"),),
    ("Code",),
)
CONTACTS = Entity(
    "Contacts", "Exact.Web.Api.Models.CRM.Contact", "ID",
    _schema("guid: ID Account Creator Modifier; "
            "str: AccountCode AccountName FirstName MiddleName LastName FullName Initials Email Phone Mobile "
            "JobTitleDescription Language Notes CreatorFullName ModifierFullName; "
            "bool: IsMainContact; int: Division; date: BirthDate Created Modified"),
    frozenset((_COMMON_RO + " AccountCode AccountName FullName").split()),
    (("Account", "Account"), ("LastName", "Last name")),
    ("Account",),
)
ORDERS = Entity(
    "SalesOrders", "Exact.Web.Api.Models.SalesOrder.SalesOrder", "OrderID",
    _schema("guid: OrderID OrderedBy DeliverTo InvoiceTo OrderedByContactPerson DeliverToContactPerson "
            "InvoiceToContactPerson WarehouseID Salesperson ShippingMethod DeliveryAddress Creator Modifier; "
            "str: OrderedByName DeliverToName InvoiceToName Currency YourRef Description Remarks WarehouseCode "
            "StatusDescription DeliveryStatusDescription InvoiceStatusDescription PaymentCondition "
            "PaymentReference ShippingMethodCode ShippingMethodDescription CreatorFullName ModifierFullName; "
            "int: OrderNumber Status DeliveryStatus InvoiceStatus Division; "
            "float: AmountDC AmountFC AmountFCExclVat AmountDiscount AmountDiscountExclVat Discount; "
            "date: OrderDate DeliveryDate Created Modified; nav: SalesOrderLines"),
    frozenset((_COMMON_RO + " OrderedByName DeliverToName InvoiceToName WarehouseCode Status StatusDescription "
               "ShippingMethodCode ShippingMethodDescription "
               "DeliveryStatus DeliveryStatusDescription InvoiceStatus InvoiceStatusDescription AmountDC AmountFC "
               "AmountFCExclVat AmountDiscount AmountDiscountExclVat").split()),
    (("OrderedBy", "Ordered by"),),
    ("OrderNumber",),
)
LINES = Entity(
    "SalesOrderLines", "Exact.Web.Api.Models.SalesOrder.SalesOrderLine", "ID",
    _schema("guid: ID OrderID Item Project; "
            "str: ItemCode ItemDescription Description VATCode VATCodeDescription UnitCode Notes CostCenter CostUnit; "
            "int: LineNumber OrderNumber Division; "
            "float: Quantity QuantityDelivered QuantityInvoiced UnitPrice NetPrice Discount AmountDC AmountFC "
            "VATAmount VATPercentage; date: DeliveryDate"),
    frozenset(_schema("ro: Division ItemCode ItemDescription OrderNumber VATCodeDescription AmountDC AmountFC "
                      "VATAmount VATPercentage QuantityDelivered QuantityInvoiced UnitCode")),
    (("Item", "Item"),),
    ("OrderID",),
)
VATCODES = Entity(
    "VATCodes", "Exact.Web.Api.Models.VAT.VATCode", "ID",
    _schema("guid: ID Creator Modifier; str: Code Description Type VATTransactionType CreatorFullName "
            "ModifierFullName; float: Percentage; bool: IsBlocked; int: Division; date: Created Modified"),
    frozenset((_COMMON_RO + " Code Description Type VATTransactionType Percentage IsBlocked").split()),
)
#: ``inventory/Warehouses`` (…=InventoryWarehouses): served read-only; a seed names warehouses by code.
WAREHOUSES = Entity(
    "Warehouses", "Exact.Web.Api.Models.Inventory.Warehouse", "ID",
    _schema("guid: ID; str: Code Description"), frozenset(("ID", "Code", "Description")),
)
ENTITIES = {e.name: e for e in (ITEMS, PRICES, STOCK, ACCOUNTS, CONTACTS, ORDERS, LINES, VATCODES, WAREHOUSES)}

#: Exact's Timestamp is a rowversion far above 1, so a first sync with ``Timestamp gt 1`` sees every record.
TIMESTAMP_BASE = 1_000_000_000
STATUS_TEXT = {12: "Open", 20: "Partial", 21: "Complete", 45: "Cancelled"}


class ExactError(Exception):
    """An answer in Exact's error envelope."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def envelope(message: str) -> dict[str, Any]:
    """Exact's error body."""
    return {"error": {"code": "", "message": {"lang": "", "value": message}}}


def ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def trunc(value: datetime) -> datetime:
    """Exact keeps millisecond precision (``/Date(ms)/``), so the sandbox does too."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_DATE_RE = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")


def parse_date(value: Any) -> datetime:
    """``/Date(ms)/`` or an ISO 8601 string (naive = UTC) → aware UTC datetime."""
    if isinstance(value, datetime):
        return trunc(value if value.tzinfo else value.replace(tzinfo=UTC))
    match = _DATE_RE.fullmatch(str(value))
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, UTC)
    return trunc(odata.parse_datetime(str(value)).astimezone(UTC))


def to_json(kind: str, value: Any) -> Any:
    """A stored value as Exact's JSON writes it."""
    if value is None:
        return None
    if kind == "date":
        return f"/Date({ms(value)})/"
    return value


def iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return value


def convert(entity: Entity, name: str, kind: str, value: Any) -> Any:
    """A JSON request value → stored value, or 400 as WCF answers a value it cannot read."""
    if value is None:
        return None
    try:
        if kind == "guid":
            text = str(value).lower()
            return text if _GUID.fullmatch(text) else str(uuid.UUID(text))
        if kind == "date":
            return parse_date(value)
        if kind == "bool" and isinstance(value, bool):
            return value
        if kind == "int" and not isinstance(value, bool):
            return int(value)
        if kind == "float" and not isinstance(value, bool):
            return float(value)
        if kind == "str" and isinstance(value, str):
            return value
    except (ValueError, TypeError, odata.ODataError):
        pass
    raise ExactError(400, f"Error processing request stream. The value '{value}' of property '{name}' on type "
                          f"'{entity.type_name}' is not valid.")


def money(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def dec(value: Any) -> Decimal:
    return Decimal(str(value or 0))


def pad(code: str) -> str:
    return code.strip().rjust(18)
