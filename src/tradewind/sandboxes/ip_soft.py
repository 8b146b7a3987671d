"""IP-Soft SOAP sandbox: the service our WSDL models, answered from memory.

IP-Soft publishes no contract, so there is no vendor documentation to follow: this sandbox
implements the *model* WSDL (``connectors/ip_soft/wsdl/ipsoft.wsdl`` and ``ipsoft.xsd``, read here
as files — the sandbox never imports a connector) the way a SOAP 1.1 document/literal service does:

* ``GET {path}?wsdl`` serves the WSDL with ``soap:address`` pointing at this server; the schema
  it imports is served beside it (``GET /soap/ipsoft.xsd``);
* ``POST {path}`` takes an envelope (``text/xml``, ``SOAPAction``), parsed with lxml with entities,
  DTDs and network access off (a DOCTYPE is refused); the body element is validated against the
  XSD, so a missing mandatory field is a ``Client`` fault naming it; the answer is validated too;
* faults are SOAP 1.1 ``Fault`` elements with HTTP 500, ``faultcode`` ``soap:Client`` (the request
  is wrong: unknown customer, blocked customer, unknown article, a time without an offset, a missing
  field), ``soap:Client.Authentication`` (wrong or missing ``AuthHeader``) or ``soap:Server``, with a
  ``ServiceFault`` detail (``Code``, ``Field``);
* List operations page by an opaque keyset token over (``ModifiedAt``, key) and filter
  ``ModifiedAt >= ModifiedSince`` (an explicit offset is required; times are compared in UTC).

The kit (:mod:`._kit`) sees each call as ``POST /soap/IPSoftService/<Operation>`` (the operation
taken from ``SOAPAction``), so counts say which operations were called and a fault can target one
(``path_contains: "CreateOrder"``). Injected faults answer as a gateway in front of the service would.

Seed document (``create_app(seed=…)``, ``POST /_sandbox/seed``; ``dump()`` returns the same shape)::

    {"reset": false, "customers": [...], "products": [...], "prices": [...], "stock": [...], "orders": [...]}

Rows use the WSDL's element names; ``Buyers``, ``Variants`` and ``Lines`` are plain lists;
``ModifiedAt`` defaults to now.
"""

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
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from tradewind.sandboxes._kit import Kit, KitMiddleware

Rec = dict[str, Any]

NS = "urn:tradewind:ipsoft-model:v1"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_PATH = "/soap/IPSoftService"
CONTRACT = Path(__file__).resolve().parent.parent / "connectors" / "ip_soft" / "wsdl"
"""The published contract (WSDL and XSD), read as files."""

_N = {"t": NS, "s": SOAP_ENV}
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

def _utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no offset")
    return moment.astimezone(UTC)


def _moment(element: etree._Element | None, name: str) -> datetime | None:
    text = element.findtext(f"t:{name}", namespaces=_N) if element is not None else None
    if not text:
        return None
    try:
        return _utc(text)
    except ValueError:
        raise SoapFault(f"{name} '{text}' needs an explicit offset (Z or +hh:mm): times are compared in UTC",
                        field=name) from None


def _xml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return _utc(value).isoformat().replace("+00:00", "Z")
    return str(value)


def _write(parent: etree._Element, name: str, value: Any) -> None:
    """Append ``value`` as element ``name``: nested types in their sequence order, lists wrapped."""
    if value is None:
        return
    child = etree.SubElement(parent, f"{{{NS}}}{name}")
    nested = NESTED.get(name)
    if nested is None:
        child.text = _xml_text(value)
        return
    item, fields = nested
    for entry in (value if item else [value]):
        target = etree.SubElement(child, f"{{{NS}}}{item}") if item else child
        for key in fields:
            _write(target, key, entry.get(key))


def _record_element(parent: etree._Element, kind: Kind, record: Rec, name: str | None = None) -> None:
    element = etree.SubElement(parent, f"{{{NS}}}{name or kind.item}")
    for key in kind.fields:
        _write(element, key, record.get(key))


def _read(element: etree._Element, fields: Iterable[str]) -> Rec:
    """The children of ``element`` named in ``fields`` as a record (nested types and lists too)."""
    record: Rec = {}
    for name in fields:
        child = element.find(f"t:{name}", namespaces=_N)
        if child is None:
            continue
        nested = NESTED.get(name)
        if nested is None:
            record[name] = (child.text or "").strip()
        elif nested[0] is None:
            record[name] = _read(child, nested[1])
        else:
            record[name] = [_read(e, nested[1]) for e in child.findall(f"t:{nested[0]}", namespaces=_N)]
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
        record["ModifiedAt"] = _utc(row["ModifiedAt"]) if row.get("ModifiedAt") else self.clock()
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
            return json.loads(json.dumps({k: list(v.values()) for k, v in self.records.items()}, default=_xml_text))

    @property
    def orders(self) -> list[Rec]:
        with self.lock:
            return list(self.records["orders"].values())

    # -- auth ------------------------------------------------------------------------------

    def authenticate(self, header: etree._Element | None) -> None:
        auth = header.find("t:AuthHeader", namespaces=_N) if header is not None else None
        if auth is not None:
            key = auth.findtext("t:ApiKey", namespaces=_N)
            user, password = auth.findtext("t:Username", namespaces=_N), auth.findtext("t:Password", namespaces=_N)
            if (key and key == self.api_key) or (not key and user == self.username and password == self.password):
                return
        raise SoapFault("Authentication failed: unknown API key or user name and password",
                        code="AUTHENTICATION_FAILED", faultcode="soap:Client.Authentication")

    # -- reads -----------------------------------------------------------------------------

    def page(self, kind: Kind, query: etree._Element, keep: Callable[[Rec], bool] = lambda r: True) -> tuple[
            list[Rec], str | None]:
        """One page of ``kind`` ordered by (ModifiedAt, key) after the token, modified since the filter."""
        since = _moment(query, "ModifiedSince")
        size = int(query.findtext("t:PageSize", namespaces=_N) or 100)
        after = _token_in(query.findtext("t:PageToken", namespaces=_N))
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
        order = _read(element, ORDERS.fields[:11])
        if _moment(element, "OrderDate") is None:
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
            return self.put("orders", {**order, "OrderDate": _moment(element, "OrderDate"), "OrderNumber": number,
                                       "Status": "Open"})


def _token_out(moment: datetime, key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([moment.isoformat(), key]).encode()).decode()


def _token_in(token: str | None) -> tuple[datetime, str] | None:
    if not token:
        return None
    try:
        moment, key = json.loads(base64.urlsafe_b64decode(token.encode()))
        return _utc(moment), str(key)
    except (ValueError, TypeError):
        raise SoapFault("PageToken is not one this service gave", field="PageToken") from None


# -- operations ----------------------------------------------------------------------------------

def _texts(element: etree._Element, name: str) -> list[str]:
    return [(e.text or "").strip() for e in element.findall(f"t:{name}", namespaces=_N)]


Answer = tuple[Kind, list[Rec], str | None]


def _list(kind: Kind, filters: Callable[[etree._Element], Callable[[Rec], bool]] | None = None) -> Callable[
        [IPSoftSandbox, etree._Element], Answer]:
    def handle(state: IPSoftSandbox, query: etree._Element) -> Answer:
        rows, token = state.page(kind, query, filters(query) if filters else lambda r: True)
        return kind, rows, token
    return handle


def _in(name: str, field: str) -> Callable[[etree._Element], Callable[[Rec], bool]]:
    def build(query: etree._Element) -> Callable[[Rec], bool]:
        wanted = set(_texts(query, name))
        return lambda r: not wanted or str(r.get(field)) in wanted
    return build


def _prices(query: etree._Element) -> Callable[[Rec], bool]:
    lists, currency = set(_texts(query, "PriceList")), query.findtext("t:Currency", namespaces=_N)
    return lambda r: (not lists or r["PriceList"] in lists) and (not currency or r["Currency"] == currency)


def _get(kind: Kind, name: str) -> Callable[[IPSoftSandbox, etree._Element], Answer]:
    return lambda state, query: (kind, state.by_keys(kind, _texts(query, name)), None)


def _find_customers(state: IPSoftSandbox, query: etree._Element) -> Answer:
    email = (query.findtext("t:Email", namespaces=_N) or "").strip().lower()
    number = (query.findtext("t:VatNumber", namespaces=_N) or "").strip().upper()
    if not email and not number:
        raise SoapFault("FindCustomers needs Email or VatNumber", code="MISSING_FIELD", field="Email")

    def test(r: Rec) -> bool:
        buyers = r.get("Buyers") or []
        emails = {str(r.get("Email") or "").lower()} | {str(b.get("Email") or "").lower() for b in buyers}
        return (not email or email in emails) and (not number or str(r.get("VatNumber") or "").upper() == number)

    return CUSTOMERS, state.matching(CUSTOMERS, test), None


def _find_orders(state: IPSoftSandbox, query: etree._Element) -> Answer:
    reference = (query.findtext("t:ExternalReference", namespaces=_N) or "").strip()
    return ORDERS, state.matching(ORDERS, lambda r: r.get("ExternalReference") == reference), None


def _create_order(state: IPSoftSandbox, query: etree._Element) -> Answer:
    order = query.find("t:Order", namespaces=_N)
    assert order is not None  # the schema demands it
    return ORDERS, [state.create_order(order)], None


OPERATIONS: dict[str, Callable[[IPSoftSandbox, etree._Element], Answer]] = {
    "ListCustomers": _list(CUSTOMERS), "GetCustomers": _get(CUSTOMERS, "CustomerNumber"),
    "FindCustomers": _find_customers,
    "ListProducts": _list(PRODUCTS), "GetProducts": _get(PRODUCTS, "ProductCode"),
    "ListPrices": _list(PRICES, _prices), "ListStock": _list(STOCK, _in("Warehouse", "Warehouse")),
    "CreateOrder": _create_order, "FindOrders": _find_orders, "GetOrders": _get(ORDERS, "OrderNumber"),
}
SINGLE = {"CreateOrder"}
"""Operations answering one record (``<Order>``) rather than a list."""


# -- HTTP ----------------------------------------------------------------------------------------

class Contract:
    """The WSDL and XSD as served, and the schema requests and answers are validated against."""

    def __init__(self) -> None:
        self.wsdl = (CONTRACT / "ipsoft.wsdl").read_bytes()
        self.xsd = (CONTRACT / "ipsoft.xsd").read_bytes()
        self.schema = etree.XMLSchema(etree.fromstring(self.xsd, PARSER))

    def wsdl_for(self, address: str) -> bytes:
        tree = etree.fromstring(self.wsdl, PARSER)
        for node in tree.iter("{http://schemas.xmlsoap.org/wsdl/soap/}address"):
            node.set("location", address)
        return bytes(etree.tostring(tree, xml_declaration=True, encoding="utf-8"))

    def check(self, element: etree._Element, *, answer: bool = False) -> None:
        if self.schema.validate(etree.ElementTree(copy.deepcopy(element))):
            return
        error = self.schema.error_log.last_error
        if answer:
            raise SoapFault(f"the service built an invalid answer: {error.message}", code="INTERNAL",
                            faultcode="soap:Server")
        missing = "Missing child" in error.message or "is not a valid value" not in error.message
        raise SoapFault(f"Invalid request: {error.message}", code="MISSING_FIELD" if missing else "INVALID_VALUE",
                        field=error.path)


def _envelope(body_child: etree._Element) -> bytes:
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV, "ips": NS})
    etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body").append(body_child)
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="utf-8"))


def _fault(fault: SoapFault) -> Response:
    element = etree.Element(f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(element, "faultcode").text = fault.faultcode
    etree.SubElement(element, "faultstring").text = fault.message
    detail = etree.SubElement(etree.SubElement(element, "detail"), f"{{{NS}}}ServiceFault")
    etree.SubElement(detail, f"{{{NS}}}Code").text = fault.code
    if fault.field:
        etree.SubElement(detail, f"{{{NS}}}Field").text = fault.field
    return Response(_envelope(element), status_code=500, media_type="text/xml; charset=utf-8")


def _parse(body: bytes) -> tuple[etree._Element | None, etree._Element]:
    try:
        root = etree.fromstring(body, PARSER)
    except etree.XMLSyntaxError as error:
        raise SoapFault(f"The request is not well-formed XML: {error}") from None
    if root.getroottree().docinfo.doctype:
        raise SoapFault("DTDs are not accepted")
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise SoapFault("The request is not a SOAP 1.1 envelope", faultcode="soap:VersionMismatch")
    body_element = root.find("s:Body", namespaces=_N)
    if body_element is None or len(body_element) == 0:
        raise SoapFault("The envelope has no Body", code="MISSING_FIELD", field="Body")
    return root.find("s:Header", namespaces=_N), body_element[0]


def _answer(state: IPSoftSandbox, contract: Contract, header: etree._Element | None,
            request: etree._Element) -> bytes:
    name = etree.QName(request).localname
    handler = OPERATIONS.get(name) if etree.QName(request).namespace == NS else None
    if handler is None:
        raise SoapFault(f"Unknown operation {etree.QName(request).text}", code="INVALID_VALUE")
    state.authenticate(header)
    contract.check(request)
    kind, rows, token = handler(state, request)
    response = etree.Element(f"{{{NS}}}{name}Response", nsmap={"ips": NS})
    for row in rows:
        _record_element(response, kind, row)
    if token:
        etree.SubElement(response, f"{{{NS}}}NextPageToken").text = token
    contract.check(response, answer=True)
    return _envelope(response)


async def _soap(request: Request) -> Response:
    state: IPSoftSandbox = request.app.state.sandbox
    contract: Contract = request.app.state.contract
    if request.method == "GET":
        if "wsdl" not in {k.lower() for k in request.query_params}:
            return Response("Append ?wsdl for the service description", media_type="text/plain")
        address = str(request.url.replace(query="", path=SERVICE_PATH))
        return Response(contract.wsdl_for(address), media_type="text/xml; charset=utf-8")
    try:
        header, body = _parse(await request.body())
        return Response(_answer(state, contract, header, body), media_type="text/xml; charset=utf-8")
    except SoapFault as fault:
        return _fault(fault)


async def _xsd(request: Request) -> Response:
    return Response(request.app.state.contract.xsd, media_type="text/xml; charset=utf-8")


class _OperationInPath:
    """Shows the kit each call as ``{path}/{Operation}`` (from ``SOAPAction``), so counts and
    faults name operations; the service itself dispatches on the body element."""

    def __init__(self, app: Starlette) -> None:
        self.app: ASGIApp = app
        self.state = app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == SERVICE_PATH:
            action = dict(scope.get("headers") or []).get(b"soapaction", b"").decode("latin-1").strip('"')
            operation = action.rpartition("#")[2].rpartition("/")[2]
            if operation.isidentifier():
                scope = {**scope, "path": f"{SERVICE_PATH}/{operation}"}
        await self.app(scope, receive, send)


def create_app(*, seed: Mapping[str, Any] | None = None, api_key: str = "demo-key", username: str = "demo",
               password: str = "demo-password") -> Any:
    """The IP-Soft sandbox as an ASGI app; ``app.state.sandbox`` is its :class:`IPSoftSandbox`."""
    state = IPSoftSandbox(api_key=api_key, username=username, password=password)
    if seed:
        state.seed(seed)
    routes = [Route(SERVICE_PATH, _soap, methods=["GET", "POST"]),
              Route(SERVICE_PATH + "/{operation}", _soap, methods=["POST"]),
              Route("/soap/ipsoft.xsd", _xsd, methods=["GET"])]
    app = Starlette(routes=routes, middleware=[Middleware(KitMiddleware, kit=state.kit, seed=state.seed,
                                                          dump=state.dump)])
    app.state.sandbox = state
    app.state.contract = Contract()
    return _OperationInPath(app)


__all__ = ["IPSoftSandbox", "create_app"]
