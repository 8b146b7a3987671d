"""IP-Soft SOAP sandbox: the service our WSDL models, answered from memory.

IP-Soft publishes no contract, so there is no vendor documentation to follow (the Le New Black
integration articles say only that the connector "uses IP-Soft SOAP API"): this sandbox
implements the *model* WSDL (``connectors/ip_soft/wsdl/ipsoft.wsdl`` and ``ipsoft.xsd``, read here
as files — the sandbox never imports a connector) the way a SOAP 1.1 document/literal service does:

* ``GET {path}?wsdl`` serves the WSDL with ``soap:address`` pointing at this server; the schema
  it imports is served beside it (``GET /soap/ipsoft.xsd``);
* ``POST {path}`` takes an envelope (``text/xml``, ``SOAPAction``), parsed with lxml with entities,
  DTDs and network access off (a DOCTYPE is refused); the body element is validated against the
  XSD, so a missing mandatory field is a ``Client`` fault naming it; the answer is validated too;
* faults are SOAP 1.1 ``Fault`` elements (W3C Note "Simple Object Access Protocol (SOAP) 1.1",
  §4.4 and §6.2: a fault is answered with HTTP 500) with HTTP 500, ``faultcode`` ``soap:Client`` (the request
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

import copy
from collections.abc import Callable, Mapping
from typing import Any

from lxml import etree
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from tradewind.sandboxes._kit import KitMiddleware
from tradewind.sandboxes.ip_soft_store import (
    CONTRACT,
    CUSTOMERS,
    NS,
    NSMAP,
    ORDERS,
    PARSER,
    PRICES,
    PRODUCTS,
    SERVICE_PATH,
    SOAP_ENV,
    STOCK,
    IPSoftSandbox,
    Kind,
    Rec,
    SoapFault,
    record_element,
)

# -- operations ----------------------------------------------------------------------------------

def _texts(element: etree._Element, name: str) -> list[str]:
    return [(e.text or "").strip() for e in element.findall(f"t:{name}", namespaces=NSMAP)]


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
    lists, currency = set(_texts(query, "PriceList")), query.findtext("t:Currency", namespaces=NSMAP)
    return lambda r: (not lists or r["PriceList"] in lists) and (not currency or r["Currency"] == currency)


def _get(kind: Kind, name: str) -> Callable[[IPSoftSandbox, etree._Element], Answer]:
    return lambda state, query: (kind, state.by_keys(kind, _texts(query, name)), None)


def _find_customers(state: IPSoftSandbox, query: etree._Element) -> Answer:
    email = (query.findtext("t:Email", namespaces=NSMAP) or "").strip().lower()
    number = (query.findtext("t:VatNumber", namespaces=NSMAP) or "").strip().upper()
    if not email and not number:
        raise SoapFault("FindCustomers needs Email or VatNumber", code="MISSING_FIELD", field="Email")

    def test(r: Rec) -> bool:
        buyers = r.get("Buyers") or []
        emails = {str(r.get("Email") or "").lower()} | {str(b.get("Email") or "").lower() for b in buyers}
        return (not email or email in emails) and (not number or str(r.get("VatNumber") or "").upper() == number)

    return CUSTOMERS, state.matching(CUSTOMERS, test), None


def _find_orders(state: IPSoftSandbox, query: etree._Element) -> Answer:
    reference = (query.findtext("t:ExternalReference", namespaces=NSMAP) or "").strip()
    return ORDERS, state.matching(ORDERS, lambda r: r.get("ExternalReference") == reference), None


def _create_order(state: IPSoftSandbox, query: etree._Element) -> Answer:
    order = query.find("t:Order", namespaces=NSMAP)
    assert order is not None  # the schema demands it
    return ORDERS, [state.create_order(order)], None


OPERATIONS: dict[str, Callable[[IPSoftSandbox, etree._Element], Answer]] = {
    "ListCustomers": _list(CUSTOMERS), "GetCustomers": _get(CUSTOMERS, "CustomerNumber"),
    "FindCustomers": _find_customers,
    "ListProducts": _list(PRODUCTS), "GetProducts": _get(PRODUCTS, "ProductCode"),
    "ListPrices": _list(PRICES, _prices), "ListStock": _list(STOCK, _in("Warehouse", "Warehouse")),
    "CreateOrder": _create_order, "FindOrders": _find_orders, "GetOrders": _get(ORDERS, "OrderNumber"),
}
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
    body_element = root.find("s:Body", namespaces=NSMAP)
    if body_element is None or len(body_element) == 0:
        raise SoapFault("The envelope has no Body", code="MISSING_FIELD", field="Body")
    return root.find("s:Header", namespaces=NSMAP), body_element[0]


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
        record_element(response, kind, row)
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


__all__ = ["NS", "SERVICE_PATH", "IPSoftSandbox", "create_app"]
