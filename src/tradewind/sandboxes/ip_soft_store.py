"""The IP-Soft sandbox's state: records per kind, written to and read from XML in the WSDL's
element order, paged by a keyset token. The HTTP side is :mod:`tradewind.sandboxes.ip_soft`."""

from __future__ import annotations

import base64
import copy
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import etree

from tradewind.sandboxes._kit import Kit

Rec = dict[str, Any]

NS = "urn:tradewind:ipsoft-model:v1"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_PATH = "/soap/IPSoftService"
CONTRACT = Path(__file__).resolve().parent.parent / "connectors" / "ip_soft" / "wsdl"
"""The published contract (WSDL and XSD), read as files."""

NSMAP = {"t": NS, "s": SOAP_ENV}
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                         huge_tree=False, remove_comments=True)
MAX_PAGE = 500

# element order of each complex type (xsd:sequence), and the wrapped lists ---------------------

ADDRESS = ("Name", "Street", "HouseNumber", "AddressLine2", "PostalCode", "City", "Region", "CountryCode", "Phone")
BUYER = ("FirstName", "LastName", "Email", "Phone", "Role")
VARIANT = ("Sku", "Ean13", "Size", "Active")
LINE = ("Sku", "Ean13", "Description", "Quantity", "UnitPrice", "DiscountAmount", "VatRate")
NESTED: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "BillingAddress": (None, ADDRESS), "DeliveryAddress": (None, ADDRESS), "Buyers": ("Buyer", BUYER),
    "Variants": ("Variant", VARIANT), "Lines": ("Line", LINE)}


@dataclass(frozen=True)
class Kind:
    """One record kind: its key, element order, and the element of a record in answers."""

    name: str
    item: str
    fields: tuple[str, ...]
    key: Callable[[Rec], str]


CUSTOMERS = Kind("customers", "Customer", ("CustomerNumber", "Name", "CustomerGroup", "Currency", "Email", "Phone",
                                           "VatNumber", "ChamberOfCommerce", "Language", "Blocked", "BillingAddress",
                                           "DeliveryAddress", "Buyers", "ModifiedAt"),
                 lambda r: str(r["CustomerNumber"]))
PRODUCTS = Kind("products", "Product", ("ProductCode", "Description", "LongDescription", "Brand", "Category",
                                        "Collection", "Colour", "Composition", "VatRate", "Active", "Variants",
                                        "ModifiedAt"), lambda r: str(r["ProductCode"]))
PRICES = Kind("prices", "Price", ("EntryId", "PriceList", "CustomerGroup", "Currency", "Sku", "UnitPrice",
                                  "IncludesVat", "MinQuantity", "ValidFrom", "ValidUntil", "ModifiedAt"),
              lambda r: str(r["EntryId"]))
STOCK = Kind("stock", "Stock", ("Sku", "Warehouse", "OnHand", "Reserved", "Incoming", "AvailableToSell",
                                "ModifiedAt"), lambda r: f"{r['Warehouse']}/{r['Sku']}")
ORDERS = Kind("orders", "Order", ("ExternalReference", "CustomerNumber", "OrderDate", "Currency", "PricesIncludeVat",
                                  "Remark", "DeliveryAddress", "ShippingCost", "OrderDiscount", "TotalAmount", "Lines",
                                  "OrderNumber", "Status", "ModifiedAt"), lambda r: str(r["OrderNumber"]))
KINDS = {k.name: k for k in (CUSTOMERS, PRODUCTS, PRICES, STOCK, ORDERS)}


class SoapFault(Exception):
    """Answered as a SOAP 1.1 Fault (HTTP 500)."""

    def __init__(self, message: str, *, code: str = "INVALID_VALUE", field: str | None = None,
                 faultcode: str = "soap:Client") -> None:
        super().__init__(message)
        self.message, self.code, self.field, self.faultcode = message, code, field, faultcode


# -- values ------------------------------------------------------------------------------------

def utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no offset")
    return moment.astimezone(UTC)


def moment(element: etree._Element | None, name: str) -> datetime | None:
    text = element.findtext(f"t:{name}", namespaces=NSMAP) if element is not None else None
    if not text:
        return None
    try:
        return utc(text)
    except ValueError:
        raise SoapFault(f"{name} '{text}' needs an explicit offset (Z or +hh:mm): times are compared in UTC",
                        field=name) from None


def xml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return utc(value).isoformat().replace("+00:00", "Z")
    return str(value)


def write(parent: etree._Element, name: str, value: Any) -> None:
    """Append ``value`` as element ``name``: nested types in their sequence order, lists wrapped."""
    if value is None:
        return
    child = etree.SubElement(parent, f"{{{NS}}}{name}")
    nested = NESTED.get(name)
    if nested is None:
        child.text = xml_text(value)
        return
    item, fields = nested
    for entry in (value if item else [value]):
        target = etree.SubElement(child, f"{{{NS}}}{item}") if item else child
        for key in fields:
            write(target, key, entry.get(key))


def record_element(parent: etree._Element, kind: Kind, record: Rec, name: str | None = None) -> None:
    element = etree.SubElement(parent, f"{{{NS}}}{name or kind.item}")
    for key in kind.fields:
        write(element, key, record.get(key))


def read_record(element: etree._Element, fields: Iterable[str]) -> Rec:
    """The children of ``element`` named in ``fields`` as a record (nested types and lists too)."""
    record: Rec = {}
    for name in fields:
        child = element.find(f"t:{name}", namespaces=NSMAP)
        if child is None:
            continue
        nested = NESTED.get(name)
        if nested is None:
            record[name] = (child.text or "").strip()
        elif nested[0] is None:
            record[name] = read_record(child, nested[1])
        else:
            record[name] = [read_record(e, nested[1]) for e in child.findall(f"t:{nested[0]}", namespaces=NSMAP)]
    return record


# -- state ---------------------------------------------------------------------------------------

@dataclass
class IPSoftSandbox:
    """In-memory IP-Soft: records per kind by key, credentials, and the kit."""

    api_key: str = "demo-key"
    username: str = "demo"
    password: str = "demo-password"
    records: dict[str, dict[str, Rec]] = field(default_factory=lambda: {k: {} for k in KINDS})
    kit: Kit = field(default_factory=Kit)
    lock: threading.RLock = field(default_factory=threading.RLock)
    next_order: int = 50001
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def put(self, kind: str, row: Mapping[str, Any]) -> Rec:
        """Store a row (``ModifiedAt`` now unless given); a row with a known key replaces it."""
        spec = KINDS[kind]
        record = {k: copy.deepcopy(v) for k, v in row.items() if k in spec.fields and v is not None}
        record["ModifiedAt"] = utc(row["ModifiedAt"]) if row.get("ModifiedAt") else self.clock()
        with self.lock:
            self.records[kind][spec.key(record)] = record
        return record

    def touch(self, kind: str, key: str, **changes: Any) -> Rec:
        """Change a record as a user of the ERP would: its ``ModifiedAt`` becomes now."""
        with self.lock:
            record = {**self.records[kind][key], **changes, "ModifiedAt": self.clock()}
            self.records[kind][key] = record
        return record

    def seed(self, document: Mapping[str, Any]) -> dict[str, int]:
        with self.lock:
            if document.get("reset"):
                self.records = {k: {} for k in KINDS}
            for kind in KINDS:
                for row in document.get(kind) or []:
                    self.put(kind, row)
            return {kind: len(rows) for kind, rows in self.records.items()}

    def dump(self) -> dict[str, list[Rec]]:
        with self.lock:
            return json.loads(json.dumps({k: list(v.values()) for k, v in self.records.items()}, default=xml_text))

    @property
    def orders(self) -> list[Rec]:
        with self.lock:
            return list(self.records["orders"].values())

    # -- auth ------------------------------------------------------------------------------

    def authenticate(self, header: etree._Element | None) -> None:
        auth = header.find("t:AuthHeader", namespaces=NSMAP) if header is not None else None
        if auth is not None:
            key = auth.findtext("t:ApiKey", namespaces=NSMAP)
            user = auth.findtext("t:Username", namespaces=NSMAP)
            password = auth.findtext("t:Password", namespaces=NSMAP)
            if (key and key == self.api_key) or (not key and user == self.username and password == self.password):
                return
        raise SoapFault("Authentication failed: unknown API key or user name and password",
                        code="AUTHENTICATION_FAILED", faultcode="soap:Client.Authentication")

    # -- reads -----------------------------------------------------------------------------

    def page(self, kind: Kind, query: etree._Element, keep: Callable[[Rec], bool] = lambda r: True) -> tuple[
            list[Rec], str | None]:
        """One page of ``kind`` ordered by (ModifiedAt, key) after the token, modified since the filter."""
        since = moment(query, "ModifiedSince")
        size = int(query.findtext("t:PageSize", namespaces=NSMAP) or 100)
        after = _token_in(query.findtext("t:PageToken", namespaces=NSMAP))
        with self.lock:
            rows = sorted(self.records[kind.name].values(), key=lambda r: (r["ModifiedAt"], kind.key(r)))
        rows = [r for r in rows if (since is None or r["ModifiedAt"] >= since) and keep(r)]
        if after is not None:
            rows = [r for r in rows if (r["ModifiedAt"], kind.key(r)) > after]
        chunk = rows[:min(size, MAX_PAGE)]
        more = len(rows) > len(chunk)
        return chunk, _token_out(chunk[-1]["ModifiedAt"], kind.key(chunk[-1])) if more else None

    def by_keys(self, kind: Kind, keys: Iterable[str]) -> list[Rec]:
        with self.lock:
            return [self.records[kind.name][k] for k in keys if k in self.records[kind.name]]

    def matching(self, kind: Kind, test: Callable[[Rec], bool]) -> list[Rec]:
        with self.lock:
            return [r for r in self.records[kind.name].values() if test(r)]

    # -- orders ----------------------------------------------------------------------------

    def create_order(self, element: etree._Element) -> Rec:
        order = read_record(element, ORDERS.fields[:11])
        if moment(element, "OrderDate") is None:
            raise SoapFault("OrderDate is mandatory", code="MISSING_FIELD", field="OrderDate")
        with self.lock:
            customer = self.records["customers"].get(order["CustomerNumber"])
            if customer is None:
                raise SoapFault(f"Unknown customer '{order['CustomerNumber']}'", code="UNKNOWN_CUSTOMER",
                                field="CustomerNumber")
            if customer.get("Blocked") in (True, "true"):
                raise SoapFault(f"Customer '{order['CustomerNumber']}' is blocked", code="BLOCKED_CUSTOMER",
                                field="CustomerNumber")
            skus = {v["Sku"] for p in self.records["products"].values() for v in p.get("Variants") or []}
            for n, line in enumerate(order["Lines"]):
                if line["Sku"] not in skus:
                    raise SoapFault(f"Unknown article '{line['Sku']}'", code="UNKNOWN_ARTICLE",
                                    field=f"Lines.Line[{n}].Sku")
            number = f"SO{self.next_order}"
            self.next_order += 1
            return self.put("orders", {**order, "OrderDate": moment(element, "OrderDate"), "OrderNumber": number,
                                       "Status": "Open"})


def _token_out(moment: datetime, key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([moment.isoformat(), key]).encode()).decode()


def _token_in(token: str | None) -> tuple[datetime, str] | None:
    if not token:
        return None
    try:
        moment, key = json.loads(base64.urlsafe_b64decode(token.encode()))
        return utc(moment), str(key)
    except (ValueError, TypeError):
        raise SoapFault("PageToken is not one this service gave", field="PageToken") from None
