"""The URLs of the Exact Online sandbox and how a collection is read through them: which entity a
path serves (standard, ``bulk/`` and ``sync/`` views), the endpoints Exact refuses to read without
``$filter``, ``$select``/``$expand``, paging with ``__next`` and the verbose OData v2 JSON of a record.

Sources: URLs and 60/1,000-row pages — Exact's list of REST resources
(https://start.exactonline.nl/docs/HlpRestAPIResources.aspx) and the Airbyte Exact source docs;
``$select`` mandatory — the .NET SDK README ("If Select(fields) is not specified you will get an
exception"); envelope ``{"d":{"results":[…],"__next":…}}`` — ossobv ``exactonline/api/unwrap.py``,
picqer ``Connection::parseResponse``; ``$skiptoken`` in ``__next`` — WCF Data Services' server paging.
The mandatory-filter rule is :data:`MANDATORY_FILTER` below, each entry with its sources.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from tradewind.sandboxes.exact_online import deliveries, ledger, odata, payments, receivables
from tradewind.sandboxes.exact_online.schema import (
    ACCOUNTS,
    CONTACTS,
    ITEMS,
    LINES,
    ORDERS,
    PRICES,
    STOCK,
    VATCODES,
    WAREHOUSES,
    Entity,
    ExactError,
    Rec,
    to_json,
)
from tradewind.sandboxes.exact_online.store import Store


@dataclass(frozen=True)
class View:
    """One URL under ``/api/v1/{division}/``: which entity, page size, and whether it is a sync/bulk view."""

    path: str
    entity: Entity
    page_size: int = 60
    mode: str = "standard"  # "standard" | "bulk" | "sync" | "read" (standard, read-only: settings tables)

    @property
    def writable(self) -> bool:
        return self.mode == "standard"

    @property
    def key(self) -> str:
        return "Timestamp" if self.mode == "sync" else self.entity.key

    @property
    def types(self) -> dict[str, str]:
        """Fields visible through this view; ``Timestamp`` exists only on sync endpoints."""
        if self.mode == "sync":
            return {**self.entity.scalars, "Timestamp": "int"}
        return dict(self.entity.types) if self.mode == "standard" else self.entity.scalars


def _views() -> dict[str, View]:
    views = [
        View("logistics/Items", ITEMS), View("bulk/Logistics/Items", ITEMS, 1000, "bulk"),
        View("sync/Logistics/Items", ITEMS, 1000, "sync"),
        View("logistics/SalesItemPrices", PRICES), View("bulk/Logistics/SalesItemPrices", PRICES, 1000, "bulk"),
        View("sync/Logistics/SalesItemPrices", PRICES, 1000, "sync"),
        View("inventory/ItemWarehouses", STOCK), View("sync/Inventory/ItemWarehouses", STOCK, 1000, "sync"),
        View("crm/Accounts", ACCOUNTS), View("bulk/CRM/Accounts", ACCOUNTS, 1000, "bulk"),
        View("sync/CRM/Accounts", ACCOUNTS, 1000, "sync"),
        View("crm/Contacts", CONTACTS), View("bulk/CRM/Contacts", CONTACTS, 1000, "bulk"),
        View("sync/CRM/Contacts", CONTACTS, 1000, "sync"),
        View("salesorder/SalesOrders", ORDERS), View("sync/SalesOrder/SalesOrderHeaders", ORDERS, 1000, "sync"),
        View("salesorder/SalesOrderLines", LINES), View("bulk/SalesOrder/SalesOrderLines", LINES, 1000, "bulk"),
        View("sync/SalesOrder/SalesOrderLines", LINES, 1000, "sync"),
        View("vat/VATCodes", VATCODES, mode="read"), View("inventory/Warehouses", WAREHOUSES, mode="read"),
        *ledger_views(),
        View("salesorder/GoodsDeliveries", deliveries.DELIVERIES),
        View("salesorder/GoodsDeliveryLines", deliveries.DELIVERY_LINES, mode="read"),
        View("sync/Cashflow/PaymentTerms", receivables.TERMS, 1000, "sync"),
        View("cashflow/Receivables", receivables.TERMS, mode="read"),
        View("financialtransaction/BankEntries", payments.BANK_ENTRIES),
        View("financialtransaction/BankEntryLines", payments.BANK_ENTRY_LINES),
    ]
    return {v.path.lower(): v for v in views}


def ledger_views() -> list[View]:
    """Invoices, entries and the settings tables they refer to (:mod:`.ledger`)."""
    return [View("crm/Addresses", ledger.ADDRESSES), View("salesinvoice/SalesInvoices", ledger.INVOICES),
            View("salesinvoice/SalesInvoiceLines", ledger.INVOICE_LINES, mode="read"),
            View("salesinvoice/PrintedSalesInvoices", ledger.PRINTED),
            View("salesentry/SalesEntries", ledger.ENTRIES),
            View("salesentry/SalesEntryLines", ledger.ENTRY_LINES, mode="read"),
            View("financial/ExchangeRates", ledger.RATES, mode="read"),
            View("financial/GLAccounts", ledger.GL_ACCOUNTS, mode="read"),
            View("financial/Journals", ledger.JOURNALS, mode="read"),
            View("hrm/Costcenters", ledger.COST_CENTERS, mode="read"),
            View("hrm/Costunits", ledger.COST_UNITS, mode="read"),
            View("project/Projects", ledger.PROJECTS, mode="read"),
            View("sales/ShippingMethods", ledger.SHIPPING_METHODS, mode="read"),
            View("cashflow/PaymentConditions", ledger.PAYMENT_CONDITIONS, mode="read")]


VIEWS = _views()


# -- mandatory filtering ---------------------------------------------------------------------------

RELEASE_NOTE = ("Exact Online release note 2107, \"App Center: mandatory filtering\" "
                "(https://support.exactonline.com/community/s/knowledge-base#All-All-DNO-ReleaseNote-rn-2107-"
                "rn-appcenter-mandatoryfiltering), summarised in forums.invantive.com \"Impact Exact Online API "
                "adjustments July 1, 2021\" (https://forums.invantive.com/t/impact-exact-online-api-adjustments-"
                "july-1-2021/3507): \"Mandatory filtering on single and bulk endpoints if a sync API is available\"")
REFUSAL = ("picqer/exact-php-client issue #591 (https://github.com/picqer/exact-php-client/issues/591): the "
           "400's text, and the field lists of Accounts (complete) and Items (its start)")
_DOCS = "https://start.exactonline.nl/docs/HlpRestAPIResourcesDetails.aspx?name="


@dataclass(frozen=True)
class MandatoryFilter:
    """Endpoints Exact refuses to read without ``$filter`` because ``counterpart`` (a sync API)
    exists; ``fields`` are those its 400 names (where no refusal of that endpoint has been
    published, the sandbox's own filterable fields of the entity: **[uncertain]**)."""

    paths: tuple[str, ...]
    counterpart: str
    fields: tuple[str, ...]
    sources: tuple[str, ...]

    @property
    def message(self) -> str:
        return ("This endpoint has mandatory filtering applied. A GET request for this endpoint must have a "
                f"$filter parameter with one of the following fields in the url:{','.join(self.fields)}.")


def _rule(paths: str, counterpart: str, fields: str, *pages: str) -> MandatoryFilter:
    return MandatoryFilter(tuple(paths.split()), counterpart, tuple(fields.split(",")),
                           (RELEASE_NOTE, *(f"{_DOCS}{page}" for page in pages)))


#: Every endpoint the sandbox serves that Exact reads only with ``$filter`` (standard and bulk views
#: of an entity with a sync API). Endpoints without a sync API (``vat/VATCodes``) stay open.
MANDATORY_FILTER: tuple[MandatoryFilter, ...] = (
    _rule("logistics/Items bulk/Logistics/Items", "sync/Logistics/Items",
          "Barcode,Class_01,Class_02,Class_03,Class_04,Class_05,Class_06,Class_07,Class_08,Class_09,Class_10,Code,"
          "CostPriceNew,Created,Description,EndDate,ExtraDescription,FreeBoolField_01,FreeBoolField_02,"
          "FreeBoolField_03,FreeBoolField_04,FreeBoolField_05",
          "LogisticsItems", "BulkLogisticsItems", "SyncLogisticsItems"),
    _rule("logistics/SalesItemPrices bulk/Logistics/SalesItemPrices", "sync/Logistics/SalesItemPrices",
          "Account,Created,ID,Item,ItemCode,Modified", "LogisticsSalesItemPrices", "BulkLogisticsSalesItemPrices",
          "SyncLogisticsSalesItemPrices"),
    _rule("inventory/ItemWarehouses", "sync/Inventory/ItemWarehouses",
          "Created,ID,Item,ItemCode,Modified,Warehouse,WarehouseCode", "InventoryItemWarehouses",
          "SyncInventoryItemWarehouses"),
    _rule("crm/Accounts bulk/CRM/Accounts", "sync/CRM/Accounts",
          "Accountant,AccountManager,AddressLine1,AddressLine2,AddressLine3,Blocked,BRIN,BSN,ChamberOfCommerce,City,"
          "Classification1,Classification2,Classification3,Classification4,Classification5,Classification6,"
          "Classification7,Classification8,Classification,Code,CodeAtSupplier,Country,Created,Email,EndDate,Fax,ID,"
          "InvoiceAccount,IsAccountant,IsReseller,IsSales,IsSupplier,MainContact,Modified,Name,Parent,Phone,"
          "Postcode,PriceList,Reseller,RSIN,SearchCode,StartDate,Status,Type,VATNumber",
          "CRMAccounts", "BulkCRMAccounts", "SyncCRMAccounts"),
    _rule("crm/Contacts bulk/CRM/Contacts", "sync/CRM/Contacts", "Account,Created,Email,ID,Modified",
          "CRMContacts", "BulkCRMContacts", "SyncCRMContacts"),
    _rule("salesorder/SalesOrders", "sync/SalesOrder/SalesOrderHeaders",
          "Created,Modified,OrderDate,OrderedBy,OrderID,OrderNumber,YourRef",
          "SalesOrderSalesOrders", "SyncSalesOrderSalesOrderHeaders"),
    _rule("salesorder/SalesOrderLines bulk/SalesOrder/SalesOrderLines", "sync/SalesOrder/SalesOrderLines",
          "ID,Item,OrderID,OrderNumber", "SalesOrderSalesOrderLines", "BulkSalesOrderSalesOrderLines",
          "SyncSalesOrderSalesOrderLines"),
)
FILTER_RULES: dict[str, MandatoryFilter] = {path.lower(): rule for rule in MANDATORY_FILTER for path in rule.paths}


def check_filter(state: Store, view: View, params: Mapping[str, str]) -> None:
    """400 in Exact's words for a collection read without ``$filter`` of a listed endpoint
    (counted in ``state.refusals``); reads by key filter on the key and pass."""
    rule = FILTER_RULES.get(view.path.lower())
    if rule is None or not state.mandatory_filtering or params.get("$filter", "").strip():
        return
    state.refusals[view.path] += 1
    raise ExactError(400, rule.message)


@dataclass(frozen=True)
class Selection:
    """Parsed ``$select``/``$expand``: scalar fields, navigation fields and their own field lists."""

    fields: tuple[str, ...]
    nav: Mapping[str, tuple[str, ...]]
    expand: frozenset[str]


def parse_selection(params: Mapping[str, str], view: View, *, required: bool = True) -> Selection:
    """``$select`` is mandatory on collections (400 otherwise); unknown names fail as WCF fails."""
    text = params.get("$select")
    if not text:
        if required:
            raise ExactError(400, "$select is mandatory")
        text = "*"
    types = view.types
    expand = frozenset(p.strip() for p in params.get("$expand", "").split(",") if p.strip())
    for name in expand:
        if types.get(name) != "nav":
            raise ExactError(400, f"No property '{name}' exists in type '{view.entity.type_name}'.")
    fields: list[str] = []
    nav: dict[str, list[str]] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        head, _, tail = part.partition("/")
        if head == "*":
            fields.extend(n for n, k in types.items() if k != "nav")
            nav.update({n: [] for n, k in types.items() if k == "nav"})
        elif types.get(head) == "nav":
            nav.setdefault(head, []).extend([tail] if tail else [])
        elif head in types and not tail:
            fields.append(head)
        else:
            raise ExactError(400, f"No property '{head}' exists in type '{view.entity.type_name}'.")
    return Selection(tuple(dict.fromkeys(fields)), {k: tuple(v) for k, v in nav.items()}, expand)


class Renderer:
    """Turns stored records into OData v2 verbose JSON objects for one request."""

    def __init__(self, state: Store, base: str) -> None:
        self.state = state
        self.root = f"{base}/api/v1/{state.division}"

    def uri(self, view: View, rec: Rec) -> str:
        if view.mode == "sync":
            return f"{self.root}/{view.path}({rec['Timestamp']}L)"
        return f"{self.root}/{view.path}(guid'{rec[view.entity.key]}')"

    def record(self, view: View, rec: Rec, sel: Selection) -> Rec:
        out: Rec = {"__metadata": {"uri": self.uri(view, rec), "type": view.entity.type_name}}
        types = view.types
        for name in sel.fields:
            out[name] = to_json(types[name], rec.get(name))
        for name, sub in sel.nav.items():
            out[name] = self.lines(name, rec, sub) if name in sel.expand else {
                "__deferred": {"uri": f"{out['__metadata']['uri']}/{name}"}}
        for name in sel.expand - set(sel.nav):
            out[name] = self.lines(name, rec, ())
        return out

    def lines(self, nav: str, parent: Rec, fields: tuple[str, ...]) -> dict[str, Any]:
        path, key = NAV_LINES[nav]
        view = VIEWS[path]
        sel = parse_selection({"$select": ",".join(fields) or "*"}, view)
        lines = sorted(self.state.lookup(view.entity, key, parent[key]), key=lambda ln: ln["LineNumber"])
        return {"results": [self.record(view, ln, sel) for ln in lines]}


NAV_LINES = {"SalesOrderLines": ("salesorder/salesorderlines", "OrderID"),
             "SalesInvoiceLines": ("salesinvoice/salesinvoicelines", "InvoiceID"),
             "SalesEntryLines": ("salesentry/salesentrylines", "EntryID"),
             "GoodsDeliveryLines": ("salesorder/goodsdeliverylines", "EntryID"),
             "BankEntryLines": ("financialtransaction/bankentrylines", "EntryID")}
"""A document's lines: the view that serves them and the key they share with their header."""


def page(state: Store, view: View, params: Mapping[str, str], url: str, base: str) -> dict[str, Any]:
    """One page of a collection, with ``__next`` carrying a WCF-style ``$skiptoken``."""
    check_filter(state, view, params)
    sel = parse_selection(params, view)
    order = [] if view.mode == "sync" else _orderby(params, view)
    rows = state.rows(view, params.get("$filter"), order)
    keyfn = odata.sort_key(order, view.key)
    start = 0
    if "$skiptoken" in params:
        token = odata.token_key(odata.parse_literals(params["$skiptoken"]), order)
        start = bisect.bisect_right(rows, token, key=keyfn)
    else:
        start = _int_param(params, "$skip", 0)
    top = _int_param(params, "$top", None)
    size = view.page_size if top is None else min(view.page_size, top)
    page = rows[start:start + size]
    renderer = Renderer(state, base)
    body: dict[str, Any] = {"results": [renderer.record(view, r, sel) for r in page]}
    if params.get("$inlinecount") == "allpages":
        body["__count"] = str(len(rows))
    remaining = None if top is None else top - len(page)
    if page and start + len(page) < len(rows) and (remaining is None or remaining > 0):
        last = page[-1]
        skiptoken = ",".join(odata.format_literal(last.get(n)) for n, _ in [*order, (view.key, False)])
        body["__next"] = _next_url(url, params, skiptoken, remaining)
    return {"d": body}


def _orderby(params: Mapping[str, str], view: View) -> list[tuple[str, bool]]:
    text = params.get("$orderby")
    if not text:
        return []
    try:
        return odata.parse_orderby(text, view.entity.scalars, view.entity.type_name)
    except odata.ODataError as exc:
        raise ExactError(400, str(exc)) from exc


def _int_param(params: Mapping[str, str], name: str, default: int | None) -> Any:
    raw = params.get(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise ExactError(400, f"Invalid value '{raw}' for query option '{name}'.")
    return int(raw)


def _next_url(url: str, params: Mapping[str, str], token: str, remaining: int | None) -> str:
    pairs = [(k, v) for k, v in params.items() if k not in ("$skiptoken", "$skip", "$top")]
    if remaining is not None:
        pairs.append(("$top", str(remaining)))
    pairs.append(("$skiptoken", token))
    query = urlencode(pairs, quote_via=quote, safe="$,'()/:*")
    return f"{url}?{query}"
