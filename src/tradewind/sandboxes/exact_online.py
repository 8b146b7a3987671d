"""Exact Online REST API sandbox: OAuth2, per-division rate limits, OData v2 verbose JSON.

What it reproduces, and where each behaviour comes from (see also
``/work/shared/reference/vendor-apis.md`` §2, which names commits):

* URLs ``/api/v1/{division}/{service}/{Entity}``, ``/api/v1/current/Me``, ``/api/oauth2/{auth,token}``;
  token JSON with ``expires_in`` as a *string* — picqer/exact-php-client ``src/Picqer/Financials/Exact/Connection.php``
  (``getTimestampFromExpiresIn`` demands ``ctype_digit``), ossobv/exactonline ``exactonline/rawapi.py``.
* Rate-limit headers ``X-RateLimit-{Limit,Remaining,Reset}`` (daily) and ``X-RateLimit-Minutely-*``, resets in
  epoch **milliseconds** — picqer ``Connection::extractRateLimits``; ossobv ``exactonline/http.py`` @ 532b361.
  60/minute and 5,000/day per division (Exact KB via docs.maesn.com/rate-limits); configurable because other
  samples show 100/9,000. Headers may be missing on a 429 (picqer issue #255): ``rate_headers_on_429=False``.
* Envelope ``{"d":{"results":[…],"__next":…}}``, POST → ``{"d":{…}}``, PUT/DELETE → 204 — ossobv
  ``exactonline/api/unwrap.py``; picqer ``parseResponse``. 60 rows per page, 1,000 on ``bulk/`` and ``sync/``
  (Airbyte Exact source docs). ``Timestamp gt N`` sync paging — ossobv ``api/syncsalesitemprices.py``.
* Error envelope ``{"error":{"code":"","message":{"lang":"","value":…}}}`` and ``Forbidden - WrongDivision``
  (picqer ``parseExceptionForErrorMessages``); invalid references on a sales order come back as **500**
  ("Invalid reference: Ordered by" — picqer issue #249), so business validation answers 500 and malformed
  requests (bad JSON, unknown property, bad ``$filter``) answer 400 as WCF Data Services does.
* Field names and which are read-only: picqer ``Item.php``, ``Account.php``, ``SalesOrder.php``,
  ``SalesOrderLine.php`` (they copy ``HlpRestAPIResourcesDetails.aspx?name=LogisticsItems`` …), and
  exactonline/exactonline-api-dotnet-client ``src/ExactOnline.Client.Models/SalesOrder/SalesOrder.cs``.
* Account ``Code`` is "fixed length numeric string with leading spaces, length 18 … the filter parameter [must
  contain] the leading spaces" (Exact's field doc quoted in picqer ``Account.php``, PR #129; ossobv
  ``api/relations.py`` pads with ``'%18s'``). Item ``Code`` is documented only as "Item code" and ossobv
  ``api/items.py`` filters it unpadded, so item codes are stored as given.
* ``IsWebshopItem`` is an ``int`` (0/1, Edm.Byte) per the same field docs; ``VATPercentage`` is a fraction.
* Token rules since 2021-07-01 (Exact KB via docs.maesn.com/rate-limits; forums.invantive.com "Impact Exact
  Online API adjustments July 1, 2021" and "Exact Online error message: Old refresh token used"): each refresh
  rotates the refresh token and a spent one is refused (``invalid_grant``); a new access token at most once per
  9.5 minutes, modelled by ``min_refresh_interval=570`` (off by default, so fixtures may refresh at will). The
  exact error body Exact sends for a too-early refresh is not published: the sandbox answers 400
  ``invalid_request`` with a description **[uncertain]**.

Read-only fields sent on POST/PUT are ignored; unknown fields are refused (400), as WCF does. The control
plane (``/_sandbox/...``) comes from :mod:`tradewind.sandboxes._kit`.

Seed document (``create_app(seed=…)``, ``POST /_sandbox/seed``, and what ``dump()`` returns)::

    {"reset": false, "warehouses": ["1", "2"], "items": [...], "prices": [...], "stock": [...],
     "accounts": [...], "contacts": [...], "sales_orders": [{..., "SalesOrderLines": [...]}]}

Rows use Exact's field names. Missing ``ID``/``Created``/``Modified``/``Timestamp`` are generated, given ones
kept; rows may name their item by ``ItemCode`` and stock rows their warehouse by ``WarehouseCode``; a row
whose ``ID`` exists updates that record.
"""

from __future__ import annotations

import base64
import bisect
import json
import re
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from tradewind.sandboxes import _odata
from tradewind.sandboxes._kit import FixedWindow, Kit, KitMiddleware

Rec = dict[str, Any]

# --------------------------------------------------------------------------- schema


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
            "InvoiceToContactPerson WarehouseID Salesperson Creator Modifier; "
            "str: OrderedByName DeliverToName InvoiceToName Currency YourRef Description Remarks WarehouseCode "
            "StatusDescription DeliveryStatusDescription InvoiceStatusDescription PaymentCondition "
            "PaymentReference ShippingMethod CreatorFullName ModifierFullName; "
            "int: OrderNumber Status DeliveryStatus InvoiceStatus Division; "
            "float: AmountDC AmountFC AmountFCExclVat AmountDiscount AmountDiscountExclVat Discount; "
            "date: OrderDate DeliveryDate Created Modified; nav: SalesOrderLines"),
    frozenset((_COMMON_RO + " OrderedByName DeliverToName InvoiceToName WarehouseCode Status StatusDescription "
               "DeliveryStatus DeliveryStatusDescription InvoiceStatus InvoiceStatusDescription AmountDC AmountFC "
               "AmountFCExclVat AmountDiscount AmountDiscountExclVat").split()),
    (("OrderedBy", "Ordered by"),),
    ("OrderNumber",),
)
LINES = Entity(
    "SalesOrderLines", "Exact.Web.Api.Models.SalesOrder.SalesOrderLine", "ID",
    _schema("guid: ID OrderID Item; "
            "str: ItemCode ItemDescription Description VATCode VATCodeDescription UnitCode Notes; "
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
ENTITIES = {e.name: e for e in (ITEMS, PRICES, STOCK, ACCOUNTS, CONTACTS, ORDERS, LINES, VATCODES)}

#: Exact's Timestamp is a rowversion far above 1, so a first sync with ``Timestamp gt 1`` sees every record.
TIMESTAMP_BASE = 1_000_000_000
STATUS_TEXT = {12: "Open", 20: "Partial", 21: "Complete", 45: "Cancelled"}


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
        View("inventory/ItemWarehouses", STOCK),
        View("crm/Accounts", ACCOUNTS), View("bulk/CRM/Accounts", ACCOUNTS, 1000, "bulk"),
        View("sync/CRM/Accounts", ACCOUNTS, 1000, "sync"),
        View("crm/Contacts", CONTACTS), View("bulk/CRM/Contacts", CONTACTS, 1000, "bulk"),
        View("sync/CRM/Contacts", CONTACTS, 1000, "sync"),
        View("salesorder/SalesOrders", ORDERS), View("sync/SalesOrder/SalesOrderHeaders", ORDERS, 1000, "sync"),
        View("salesorder/SalesOrderLines", LINES), View("bulk/SalesOrder/SalesOrderLines", LINES, 1000, "bulk"),
        View("vat/VATCodes", VATCODES, mode="read"),
    ]
    return {v.path.lower(): v for v in views}


VIEWS = _views()

# --------------------------------------------------------------------------- errors and values


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


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def _trunc(value: datetime) -> datetime:
    """Exact keeps millisecond precision (``/Date(ms)/``), so the sandbox does too."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_DATE_RE = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")


def parse_date(value: Any) -> datetime:
    """``/Date(ms)/`` or an ISO 8601 string (naive = UTC) → aware UTC datetime."""
    if isinstance(value, datetime):
        return _trunc(value if value.tzinfo else value.replace(tzinfo=UTC))
    match = _DATE_RE.fullmatch(str(value))
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, UTC)
    return _trunc(_odata.parse_datetime(str(value)).astimezone(UTC))


def to_json(kind: str, value: Any) -> Any:
    """A stored value as Exact's JSON writes it."""
    if value is None:
        return None
    if kind == "date":
        return f"/Date({_ms(value)})/"
    return value


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return value


def _convert(entity: Entity, name: str, kind: str, value: Any) -> Any:
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
    except (ValueError, TypeError, _odata.ODataError):
        pass
    raise ExactError(400, f"Error processing request stream. The value '{value}' of property '{name}' on type "
                          f"'{entity.type_name}' is not valid.")


def _money(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _dec(value: Any) -> Decimal:
    return Decimal(str(value or 0))


def _pad(code: str) -> str:
    return code.strip().rjust(18)


# --------------------------------------------------------------------------- state


@dataclass
class _Tokens:
    """Issued OAuth2 credentials: refresh tokens, access tokens with their expiry, authorization codes."""

    refresh: set[str] = field(default_factory=set)
    access: dict[str, float] = field(default_factory=dict)
    codes: set[str] = field(default_factory=set)
    refreshed_at: float | None = None
    exchanges: int = 0


class ExactOnlineSandbox:
    """In-memory state of one Exact Online division, with the Python helpers tests and demos use."""

    def __init__(self, *, division: int = 123456, client_id: str = "demo-client", client_secret: str = "demo-secret",
                 refresh_token: str = "demo-refresh", minutely_limit: int | None = 60,
                 daily_limit: int | None = 5000, token_ttl: int = 600, rotate_refresh_tokens: bool = True,
                 rate_headers_on_429: bool = True, require_filter: bool = False,
                 min_refresh_interval: float = 0.0) -> None:
        self.division = division
        self.min_refresh_interval = min_refresh_interval
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_ttl = token_ttl
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.rate_headers_on_429 = rate_headers_on_429
        self.require_filter = require_filter
        self.clock: Callable[[], float] = time.time
        self.lock = threading.RLock()
        self.kit = Kit(error_body=lambda status, message: envelope(message))
        self.tokens = _Tokens(refresh={refresh_token})
        self.minutely = FixedWindow(minutely_limit, 60, clock=lambda: self.clock())
        self.daily = FixedWindow(daily_limit, 86400, clock=lambda: self.clock())
        self._reset_data()

    def _reset_data(self) -> None:
        self.tables: dict[str, dict[str, Rec]] = {name: {} for name in ENTITIES}
        self.indexes: dict[tuple[str, str], dict[Any, set[str]]] = {
            (e.name, f): {} for e in ENTITIES.values() for f in e.indexed}
        self.warehouses: dict[str, Rec] = {}
        self.timestamp = TIMESTAMP_BASE
        self.version = 0
        self._cache: OrderedDict[tuple[Any, ...], list[Rec]] = OrderedDict()
        for code, (fraction, text) in VAT_CODES.items():
            vid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"exact:{self.division}:vat:{code}"))
            self.tables["VATCodes"][vid] = {"ID": vid, "Code": code, "Description": text, "Percentage": fraction,
                                            "Type": "I", "VATTransactionType": "S", "IsBlocked": False}

    # ------------------------------------------------------------------ clock and tokens

    def set_clock(self, clock: Callable[[], float]) -> None:
        """Replace the time source (token expiry, rate windows, Modified) — lets tests skip ahead."""
        self.clock = clock

    def now(self) -> datetime:
        return _trunc(datetime.fromtimestamp(self.clock(), UTC))

    def issue_token(self) -> dict[str, str]:
        """Issue a fresh access/refresh token pair, as a successful grant would."""
        with self.lock:
            access = secrets.token_urlsafe(32)
            self.tokens.access[access] = self.clock() + self.token_ttl
            refresh = secrets.token_urlsafe(24)
            self.tokens.refresh.add(refresh)
            return {"access_token": access, "token_type": "bearer", "expires_in": str(self.token_ttl),
                    "refresh_token": refresh}

    def issue_code(self) -> str:
        with self.lock:
            code = secrets.token_urlsafe(16)
            self.tokens.codes.add(code)
            return code

    def grant(self, form: Mapping[str, str], basic: tuple[str, str] | None) -> tuple[int, dict[str, str]]:
        """The token endpoint's decision: (status, JSON body)."""
        with self.lock:
            client = basic or (form.get("client_id", ""), form.get("client_secret", ""))
            if client != (self.client_id, self.client_secret):
                return 400, {"error": "invalid_client"}
            kind = form.get("grant_type")
            if kind == "refresh_token":
                return self._refresh(form.get("refresh_token"))
            if kind == "authorization_code":
                code = form.get("code")
                if not code or code not in self.tokens.codes:
                    return 400, {"error": "invalid_grant"}
                self.tokens.codes.discard(code)
                return 200, self.issue_token()
            return 400, {"error": "unsupported_grant_type" if kind else "invalid_request"}

    def _refresh(self, token: str | None) -> tuple[int, dict[str, str]]:
        """A refresh-token grant; ``tokens.exchanges`` counts the granted ones."""
        if not token or token not in self.tokens.refresh:
            return 400, {"error": "invalid_grant"}
        last = self.tokens.refreshed_at
        if self.min_refresh_interval and last is not None and self.clock() - last < self.min_refresh_interval:
            return 400, {"error": "invalid_request",
                         "error_description": "Access token requested too early: at most one every 9.5 minutes"}
        self.tokens.refreshed_at = self.clock()
        self.tokens.exchanges += 1
        issued = self.issue_token()
        self.tokens.refresh.discard(issued["refresh_token"])
        if self.rotate_refresh_tokens:
            self.tokens.refresh.discard(token)
            self.tokens.refresh.add(issued["refresh_token"])
        else:
            issued["refresh_token"] = token
        return 200, issued

    def authenticate(self, header: str | None) -> None:
        """401 unless ``Authorization: Bearer <live token>``."""
        scheme, _, token = (header or "").partition(" ")
        expiry = self.tokens.access.get(token.strip()) if scheme.lower() == "bearer" else None
        if expiry is None or expiry <= self.clock():
            raise ExactError(401, "Unauthorized", {"WWW-Authenticate": 'Bearer error="invalid_token"'})

    # ------------------------------------------------------------------ rate limits

    def rate_headers(self) -> dict[str, str]:
        """The six ``X-RateLimit-*`` headers (resets in epoch ms); a lifted limit sends none of its three."""
        windows = [("X-RateLimit", self.daily), ("X-RateLimit-Minutely", self.minutely)]
        headers: dict[str, str] = {}
        for prefix, window in windows:
            if window.limit is not None:
                headers |= {f"{prefix}-Limit": str(window.limit), f"{prefix}-Remaining": str(window.remaining),
                            f"{prefix}-Reset": str(int(window.reset_at * 1000))}
        return headers

    def take_call(self) -> dict[str, str]:
        """Count one API call against the division's windows; 429 when either is exhausted."""
        for window in (self.daily, self.minutely):
            if window.limit is not None and window.remaining <= 0:
                headers = self.rate_headers() if self.rate_headers_on_429 else {}
                raise ExactError(429, "Too many requests", headers)
        self.daily.take()
        self.minutely.take()
        return self.rate_headers()

    # ------------------------------------------------------------------ storage primitives

    def _next_timestamp(self) -> int:
        self.timestamp += 1
        return self.timestamp

    def _index_add(self, entity: Entity, rec: Rec) -> None:
        for name in entity.indexed:
            self.indexes[(entity.name, name)].setdefault(rec.get(name), set()).add(rec[entity.key])

    def _index_drop(self, entity: Entity, rec: Rec) -> None:
        for name in entity.indexed:
            self.indexes[(entity.name, name)].get(rec.get(name), set()).discard(rec[entity.key])

    def lookup(self, entity: Entity, name: str, value: Any) -> list[Rec]:
        """Records whose indexed field ``name`` equals ``value``."""
        keys = self.indexes[(entity.name, name)].get(value, set())
        table = self.tables[entity.name]
        return [table[k] for k in sorted(keys)]

    def _store(self, entity: Entity, rec: Rec) -> Rec:
        table = self.tables[entity.name]
        old = table.get(rec[entity.key])
        if old is not None:
            self._index_drop(entity, old)
        table[rec[entity.key]] = rec
        self._index_add(entity, rec)
        self.version += 1
        return rec

    def _remove(self, entity: Entity, key: str) -> None:
        rec = self.tables[entity.name].pop(key)
        self._index_drop(entity, rec)
        self.version += 1

    def _touch(self, rec: Rec, given: Mapping[str, Any] | None = None) -> None:
        """Every create/update bumps Modified (UTC) and the division's Timestamp, unless a seed gives them."""
        given = given or {}
        rec["Modified"] = given.get("Modified") or self.now()
        rec["Timestamp"] = given.get("Timestamp") or self._next_timestamp()
        self.timestamp = max(self.timestamp, rec["Timestamp"])
        if rec.get("Created") is None:
            rec["Created"] = rec["Modified"]

    def get(self, entity: Entity, key: str) -> Rec:
        rec = self.tables[entity.name].get(key)
        if rec is None:
            raise ExactError(404, f"Resource not found for the segment '{entity.name}'.")
        return rec

    # ------------------------------------------------------------------ writes

    def _values(self, entity: Entity, body: Mapping[str, Any], *, trusted: bool) -> Rec:
        """Convert a request body; unknown properties are refused, read-only ones dropped (unless seeding)."""
        values: Rec = {}
        for name, raw in body.items():
            if name == "__metadata":
                continue
            kind = entity.types.get(name) or ("int" if trusted and name == "Timestamp" else None)
            if kind is None:
                raise ExactError(400, f"The property '{name}' does not exist on type '{entity.type_name}'. Make "
                                      f"sure to only use property names that are defined by the type.")
            if kind == "nav" or (name in entity.read_only and not trusted):
                continue
            values[name] = _convert(entity, name, kind, raw)
        return values

    def _mandatory(self, entity: Entity, rec: Rec) -> None:
        for name, label in entity.mandatory:
            if rec.get(name) in (None, ""):
                raise ExactError(500, f"Mandatory: {label}")

    def _new_record(self, entity: Entity, values: Rec) -> Rec:
        rec: Rec = dict.fromkeys(entity.scalars)
        rec.update(values)
        key = rec.get(entity.key)
        if key is None or key in self.tables[entity.name]:
            rec[entity.key] = str(uuid.uuid4())
        rec["Division"] = self.division
        return rec

    def create(self, entity: Entity, body: Mapping[str, Any], *, trusted: bool = False) -> Rec:
        """POST semantics (``trusted``: a seed, which may set read-only fields and refer to codes)."""
        with self.lock:
            values = self._values(entity, body, trusted=trusted)
            if entity is ORDERS:
                return self._create_order(values, body.get("SalesOrderLines"), trusted=trusted)
            if entity is LINES:
                return self._create_line(values, body, trusted=trusted)
            rec = self._new_record(entity, values)
            self._derive(entity, rec, body, trusted=trusted, new=True)
            self._touch(rec, values if trusted else None)
            return self._stored(entity, rec)

    def update(self, entity: Entity, key: str, body: Mapping[str, Any], *, trusted: bool = False) -> Rec:
        """PUT semantics: merge the given fields, derive, bump Modified/Timestamp."""
        with self.lock:
            rec = dict(self.get(entity, key))
            if entity is ORDERS and body.get("SalesOrderLines") is not None:
                raise ExactError(400, "Deep updates are not supported in PUT operations; change lines through "
                                      "salesorder/SalesOrderLines.")
            values = self._values(entity, body, trusted=trusted)
            values.pop(entity.key, None)
            if entity is ORDERS:
                self._check_fixed_parties(rec, values)
            rec.update(values)
            if entity is LINES:
                return self._update_line(rec, values, trusted=trusted)
            self._derive(entity, rec, body, trusted=trusted, new=False)
            self._touch(rec, values if trusted else None)
            return self._stored(entity, rec)

    def _stored(self, entity: Entity, rec: Rec) -> Rec:
        """Store, then refresh the item's ``Stock`` total when a warehouse row changed (no Modified bump)."""
        self._store(entity, rec)
        if entity is STOCK:
            item = self.tables["Items"][rec["Item"]]
            item["Stock"] = sum(s["CurrentStock"] or 0.0 for s in self.lookup(STOCK, "Item", item["ID"]))
        return rec

    def delete(self, entity: Entity, key: str) -> None:
        """DELETE semantics; an order takes its lines along, a line re-totals its order."""
        with self.lock:
            rec = self.get(entity, key)
            if entity is ORDERS:
                if rec["Status"] != 12:
                    raise ExactError(500, f"Sales order {rec['OrderNumber']} is not open and cannot be deleted")
                for line in self.lookup(LINES, "OrderID", key):
                    self._remove(LINES, line["ID"])
            self._remove(entity, key)
            if entity is LINES:
                self._retotal(rec["OrderID"])

    def _derive(self, entity: Entity, rec: Rec, body: Mapping[str, Any], *, trusted: bool, new: bool) -> None:
        """Per-entity validation and read-only fields Exact fills in itself."""
        deriver = {
            "Items": self._derive_item, "SalesItemPrices": self._derive_price, "ItemWarehouses": self._derive_stock,
            "Accounts": self._derive_account, "Contacts": self._derive_contact,
            "SalesOrders": self._derive_order,
        }[entity.name]
        deriver(rec, body, trusted)
        self._mandatory(entity, rec)

    def _unique(self, entity: Entity, name: str, rec: Rec, label: str) -> None:
        clash = [r for r in self.lookup(entity, name, rec[name]) if r[entity.key] != rec[entity.key]]
        if clash:
            raise ExactError(500, f"{label} already exists: {str(rec[name]).strip()}")

    def _derive_item(self, rec: Rec, body: Mapping[str, Any], trusted: bool) -> None:
        for name, default in (("IsSalesItem", True), ("IsStockItem", True), ("IsPurchaseItem", True),
                              ("IsWebshopItem", 0), ("Unit", "pc"), ("SalesVatCode", "2"),
                              ("CostPriceCurrency", "EUR"), ("StandardSalesPrice", 0.0), ("CostPriceStandard", 0.0)):
            if rec.get(name) is None:
                rec[name] = default
        if rec.get("ItemGroupCode") and rec.get("ItemGroup") is None:
            rec["ItemGroup"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"exact:itemgroup:{rec['ItemGroupCode']}"))
        rec["SalesVatCodeDescription"] = VAT_CODES.get(rec["SalesVatCode"], (0.0, None))[1]
        rec["UnitDescription"] = rec.get("UnitDescription") or {"pc": "Piece"}.get(rec["Unit"], rec["Unit"])
        if rec.get("Code"):
            self._unique(ITEMS, "Code", rec, "Item code")
        rec["Stock"] = sum(s["CurrentStock"] or 0.0 for s in self.lookup(STOCK, "Item", rec["ID"]))

    def _reference(self, entity: Entity, key: Any, label: str) -> Rec:
        rec = self.tables[entity.name].get(key) if key else None
        if rec is None:
            raise ExactError(500, f"Invalid reference: {label}")
        return rec

    def _resolve_code(self, rec: Rec, body: Mapping[str, Any], name: str, entity: Entity, code_field: str,
                      trusted: bool) -> None:
        """Seeds may name an item or account by code instead of by ID."""
        code = body.get(code_field)
        if trusted and rec.get(name) is None and code:
            wanted = _pad(code) if entity is ACCOUNTS else code
            found = self.lookup(entity, "Code", wanted)
            rec[name] = found[0][entity.key] if found else None

    def _derive_price(self, rec: Rec, body: Mapping[str, Any], trusted: bool) -> None:
        self._resolve_code(rec, body, "Item", ITEMS, "ItemCode", trusted)
        item = self._reference(ITEMS, rec.get("Item"), "Item")
        rec.update(ItemCode=item["Code"], ItemDescription=item["Description"], DefaultItemUnit=item["Unit"])
        rec["Unit"] = rec.get("Unit") or item["Unit"]
        rec["Currency"] = rec.get("Currency") or "EUR"
        rec["Quantity"] = rec.get("Quantity") if rec.get("Quantity") is not None else 0.0
        rec["NumberOfItemsPerUnit"] = rec.get("NumberOfItemsPerUnit") or 1.0
        account = self._reference(ACCOUNTS, rec["Account"], "Account") if rec.get("Account") else None
        rec["AccountName"] = account["Name"] if account else None

    def warehouse(self, code: str) -> Rec:
        """The warehouse with ``code``, created on first mention (seeds name warehouses by code)."""
        if code not in self.warehouses:
            wid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"exact:{self.division}:warehouse:{code}"))
            self.warehouses[code] = {"ID": wid, "Code": code, "Description": f"Warehouse {code}"}
        return self.warehouses[code]

    def _warehouse_by_id(self, wid: Any) -> Rec:
        for wh in self.warehouses.values():
            if wh["ID"] == wid:
                return wh
        raise ExactError(500, "Invalid reference: Warehouse")

    def _derive_stock(self, rec: Rec, body: Mapping[str, Any], trusted: bool) -> None:
        self._resolve_code(rec, body, "Item", ITEMS, "ItemCode", trusted)
        item = self._reference(ITEMS, rec.get("Item"), "Item")
        if trusted and rec.get("Warehouse") is None and body.get("WarehouseCode"):
            rec["Warehouse"] = self.warehouse(str(body["WarehouseCode"]))["ID"]
        wh = self._warehouse_by_id(rec.get("Warehouse"))
        rec.update(ItemCode=item["Code"], ItemDescription=item["Description"], WarehouseCode=wh["Code"],
                   WarehouseDescription=wh["Description"])
        for name in ("CurrentStock", "ReservedStock", "PlannedStockIn", "PlannedStockOut"):
            rec[name] = rec.get(name) or 0.0
        rec["ProjectedStock"] = rec["CurrentStock"] + rec["PlannedStockIn"] - rec["PlannedStockOut"]
        clash = [s for s in self.lookup(STOCK, "Item", item["ID"])
                 if s["Warehouse"] == rec["Warehouse"] and s["ID"] != rec["ID"]]
        if clash:
            raise ExactError(500, f"Item {item['Code']} already exists in warehouse {wh['Code']}")

    def _derive_account(self, rec: Rec, body: Mapping[str, Any], trusted: bool) -> None:
        if not rec.get("Code"):
            rec["Code"] = self._next_account_code()
        rec["Code"] = _pad(rec["Code"])
        if len(rec["Code"]) > 18:
            raise ExactError(500, "Code: maximum length is 18")
        self._unique(ACCOUNTS, "Code", rec, "Code")
        for name, default in (("IsSales", True), ("IsSupplier", False), ("Blocked", False), ("Type", "A")):
            if rec.get(name) is None:
                rec[name] = default
        if rec.get("Country"):
            rec["Country"] = rec["Country"].upper()

    def _next_account_code(self) -> str:
        numeric = [int(code) for code in (k.strip() for k in self.indexes[("Accounts", "Code")] if k)
                   if code.isdigit()]
        return str(max(numeric, default=0) + 1)

    def _derive_contact(self, rec: Rec, body: Mapping[str, Any], trusted: bool) -> None:
        account = self._reference(ACCOUNTS, rec.get("Account"), "Account")
        rec.update(AccountCode=account["Code"], AccountName=account["Name"])
        rec["FullName"] = " ".join(p for p in (rec.get("FirstName"), rec.get("MiddleName"), rec.get("LastName")) if p)
        if rec.get("IsMainContact") is None:
            rec["IsMainContact"] = False

    # ------------------------------------------------------------------ sales orders

    def _check_fixed_parties(self, rec: Rec, values: Rec) -> None:
        """OrderedBy/DeliverTo/InvoiceTo "can not be changed" for an existing order (field docs)."""
        for name, label in (("OrderedBy", "Ordered by"), ("DeliverTo", "Deliver to"), ("InvoiceTo", "Invoice to")):
            if name in values and values[name] != rec[name]:
                raise ExactError(500, f"{label}: can not be changed for an existing sales order")

    def _derive_order(self, rec: Rec, body: Mapping[str, Any], trusted: bool) -> None:
        ordered = self._reference(ACCOUNTS, rec.get("OrderedBy"), "Ordered by")
        rec["DeliverTo"] = rec.get("DeliverTo") or ordered["ID"]
        rec["InvoiceTo"] = rec.get("InvoiceTo") or ordered["ID"]
        rec["OrderedByName"] = ordered["Name"]
        rec["DeliverToName"] = self._reference(ACCOUNTS, rec["DeliverTo"], "Deliver to")["Name"]
        rec["InvoiceToName"] = self._reference(ACCOUNTS, rec["InvoiceTo"], "Invoice to")["Name"]
        today = self.now().replace(hour=0, minute=0, second=0, microsecond=0)
        rec["OrderDate"] = rec.get("OrderDate") or today
        rec["DeliveryDate"] = rec.get("DeliveryDate") or rec["OrderDate"]
        rec["Currency"] = rec.get("Currency") or "EUR"
        if rec.get("WarehouseID") is None and self.warehouses:
            rec["WarehouseID"] = next(iter(self.warehouses.values()))["ID"]
        if rec.get("WarehouseID") is not None:
            rec["WarehouseCode"] = self._warehouse_by_id(rec["WarehouseID"])["Code"]
        for name in ("Status", "DeliveryStatus", "InvoiceStatus"):
            rec[name] = rec.get(name) or 12
            rec[f"{name}Description"] = STATUS_TEXT.get(rec[name], "")

    def _order_number(self, rec: Rec) -> None:
        if rec.get("OrderNumber") is None:
            rec["OrderNumber"] = max(self.indexes[("SalesOrders", "OrderNumber")], default=0) + 1
        elif self.lookup(ORDERS, "OrderNumber", rec["OrderNumber"]):
            raise ExactError(500, f"Order number already exists: {rec['OrderNumber']}")

    def _create_order(self, values: Rec, raw_lines: Any, *, trusted: bool) -> Rec:
        rec = self._new_record(ORDERS, values)
        self._mandatory(ORDERS, rec)
        self._derive_order(rec, values, trusted)
        lines = raw_lines.get("results", []) if isinstance(raw_lines, dict) else raw_lines or []
        if not lines:
            raise ExactError(500, "Mandatory: Sales order lines")
        self._order_number(rec)
        built = [self._build_line(rec, line, n, trusted=trusted) for n, line in enumerate(lines, start=1)]
        self._touch(rec, values if trusted else None)
        self._store(ORDERS, rec)
        for line in built:
            self._store(LINES, line)
        self._apply_totals(rec)
        return rec

    def _build_line(self, order: Rec, body: Any, number: int, *, trusted: bool) -> Rec:
        if not isinstance(body, Mapping):
            raise ExactError(400, "Error processing request stream. SalesOrderLines must be a list of objects.")
        values = self._values(LINES, body, trusted=trusted)
        line = self._new_record(LINES, values)
        self._resolve_code(line, body, "Item", ITEMS, "ItemCode", trusted)
        self._mandatory(LINES, line)
        item = self._reference(ITEMS, line.get("Item"), "Item")
        line.update(OrderID=order["OrderID"], OrderNumber=order["OrderNumber"], ItemCode=item["Code"],
                    ItemDescription=item["Description"], UnitCode=item["Unit"])
        line["LineNumber"] = line.get("LineNumber") or number
        line["Description"] = line.get("Description") or item["Description"]
        line["DeliveryDate"] = line.get("DeliveryDate") or order["DeliveryDate"]
        line["VATCode"] = line.get("VATCode") or item["SalesVatCode"]
        if line["VATCode"] not in VAT_CODES:
            raise ExactError(500, "Invalid reference: VAT code")
        if line.get("UnitPrice") is None:
            line["UnitPrice"] = self._price_for(item, order, _dec(line.get("Quantity") or 1))
        self._price_line(line, explicit_net="NetPrice" in values and "Discount" not in values)
        return line

    def _price_for(self, item: Rec, order: Rec, quantity: Decimal) -> float:
        """The sales price Exact proposes: the best-matching SalesItemPrice, else StandardSalesPrice."""
        day = order["OrderDate"]
        candidates = [p for p in self.lookup(PRICES, "Item", item["ID"])
                      if p["Currency"] == order["Currency"] and p["Account"] in (None, order["OrderedBy"])
                      and _dec(p["Quantity"]) <= quantity
                      and (p["StartDate"] is None or p["StartDate"] <= day)
                      and (p["EndDate"] is None or p["EndDate"] > day)]
        if not candidates:
            return float(item["StandardSalesPrice"] or 0.0)
        best = max(candidates, key=lambda p: (p["Account"] is not None, p["Quantity"] or 0.0))
        return float(best["Price"])

    def _price_line(self, line: Rec, *, explicit_net: bool) -> None:
        """NetPrice, Discount (a fraction of UnitPrice), amounts and VAT of one line."""
        quantity = _dec(line.get("Quantity") if line.get("Quantity") is not None else 1)
        unit = _dec(line["UnitPrice"])
        if explicit_net and line.get("NetPrice") is not None:
            net = _dec(line["NetPrice"])
            line["Discount"] = float((unit - net) / unit) if unit else 0.0
        else:
            net = unit * (1 - _dec(line.get("Discount")))
            line["Discount"] = float(_dec(line.get("Discount")))
        pct, text = VAT_CODES[line["VATCode"]]
        amount = Decimal(str(_money(quantity * net)))
        line.update(Quantity=float(quantity), NetPrice=_money(net), AmountFC=float(amount), AmountDC=float(amount),
                    VATPercentage=pct, VATAmount=_money(amount * Decimal(str(pct))), VATCodeDescription=text)
        line["QuantityDelivered"] = line.get("QuantityDelivered") or 0.0
        line["QuantityInvoiced"] = line.get("QuantityInvoiced") or 0.0

    def _apply_totals(self, order: Rec) -> None:
        lines = self.lookup(LINES, "OrderID", order["OrderID"])
        excl = sum((_dec(ln["AmountFC"]) for ln in lines), Decimal(0))
        vat = sum((_dec(ln["VATAmount"]) for ln in lines), Decimal(0))
        discount = sum((_dec(ln["Quantity"]) * (_dec(ln["UnitPrice"]) - _dec(ln["NetPrice"])) for ln in lines),
                       Decimal(0))
        order.update(AmountFCExclVat=_money(excl), AmountFC=_money(excl + vat), AmountDC=_money(excl + vat),
                     AmountDiscount=_money(discount), AmountDiscountExclVat=_money(discount))

    def _retotal(self, order_id: str) -> None:
        order = dict(self.get(ORDERS, order_id))
        self._apply_totals(order)
        self._touch(order)
        self._store(ORDERS, order)

    def _create_line(self, values: Rec, body: Mapping[str, Any], *, trusted: bool) -> Rec:
        order = self._reference(ORDERS, values.get("OrderID"), "Order ID")
        numbers = [ln["LineNumber"] for ln in self.lookup(LINES, "OrderID", order["OrderID"])]
        line = self._build_line(order, body, max(numbers, default=0) + 1, trusted=trusted)
        self._store(LINES, line)
        self._retotal(order["OrderID"])
        return line

    def _update_line(self, line: Rec, values: Rec, *, trusted: bool) -> Rec:
        if "OrderID" in values and values["OrderID"] != self.get(LINES, line["ID"])["OrderID"]:
            raise ExactError(500, "Order ID: can not be changed")
        item = self._reference(ITEMS, line.get("Item"), "Item")
        line.update(ItemCode=item["Code"], ItemDescription=item["Description"], UnitCode=item["Unit"])
        self._price_line(line, explicit_net="NetPrice" in values and "Discount" not in values)
        self._store(LINES, line)
        self._retotal(line["OrderID"])
        return line

    # ------------------------------------------------------------------ queries

    def rows(self, view: View, filter_text: str | None, order: list[tuple[str, bool]]) -> list[Rec]:
        """Filtered and ordered records of a view, cached until the next write (paging stays cheap)."""
        cache_key = (view.path, filter_text, tuple(order), self.version)
        cached = self._cache.get(cache_key)
        if cached is not None:
            self._cache.move_to_end(cache_key)
            return cached
        records: Iterable[Rec] = self.tables[view.entity.name].values()
        if filter_text:
            scalars = {k: v for k, v in view.types.items() if v != "nav"}
            predicate = _odata.compile_filter(filter_text, scalars, view.entity.type_name)
            records = [r for r in records if predicate(r)]
        result = sorted(records, key=_odata.sort_key(order, view.key))
        self._cache[cache_key] = result
        while len(self._cache) > 16:
            self._cache.popitem(last=False)
        return result

    # ------------------------------------------------------------------ seed / dump / helpers

    def seed(self, doc: Mapping[str, Any]) -> dict[str, int]:
        """Load a seed document (Exact field names); ``{"reset": true}`` empties the division first."""
        with self.lock:
            if doc.get("reset"):
                self._reset_data()
            for code in doc.get("warehouses", []):
                self.warehouse(str(code))
            counts: dict[str, int] = {}
            for key, entity in _SEED_KEYS.items():
                rows = doc.get(key, [])
                for row in rows:
                    self._upsert(entity, row)
                counts[key] = len(rows)
            return counts

    def _upsert(self, entity: Entity, row: Mapping[str, Any]) -> None:
        key = row.get(entity.key)
        if key and str(key).lower() in self.tables[entity.name]:
            self.update(entity, str(key).lower(), {k: v for k, v in row.items() if k != "SalesOrderLines"},
                        trusted=True)
        else:
            self.create(entity, row, trusted=True)

    def dump(self) -> dict[str, Any]:
        """The division's records in the seed document's shape (JSON-ready; re-seedable)."""
        with self.lock:
            doc: dict[str, Any] = {"warehouses": sorted(self.warehouses)}
            for key, entity in _SEED_KEYS.items():
                doc[key] = [self._plain(entity, r) for r in self.tables[entity.name].values()]
            return doc

    def _plain(self, entity: Entity, rec: Rec) -> Rec:
        out = {k: _iso(v) for k, v in rec.items()}
        if entity is ORDERS:
            out["SalesOrderLines"] = [{k: _iso(v) for k, v in ln.items()}
                                      for ln in sorted(self.lookup(LINES, "OrderID", rec["OrderID"]),
                                                       key=lambda ln: ln["LineNumber"])]
        return out

    def sales_orders(self) -> list[Rec]:
        """Every sales order with its lines (ISO dates), in order-number order."""
        with self.lock:
            orders = sorted(self.tables["SalesOrders"].values(), key=lambda o: o["OrderNumber"])
            return [self._plain(ORDERS, o) for o in orders]

    def item(self, code: str) -> Rec:
        """The stored item with ``code`` (a copy, ISO dates)."""
        with self.lock:
            found = self.lookup(ITEMS, "Code", code)
            if not found:
                raise KeyError(code)
            return self._plain(ITEMS, found[0])

    def update_item(self, code: str, **fields: Any) -> Rec:
        """Change an item as a user would in Exact (bumps Modified and Timestamp)."""
        with self.lock:
            found = self.lookup(ITEMS, "Code", code)
            if not found:
                raise KeyError(code)
            return self._plain(ITEMS, self.update(ITEMS, found[0]["ID"], fields, trusted=True))

    def set_stock(self, code: str, warehouse: str, current: float) -> Rec:
        """Set an item's CurrentStock in one warehouse (stock counts are not part of this API surface)."""
        with self.lock:
            item = self.lookup(ITEMS, "Code", code)[0]
            wh = self.warehouse(warehouse)
            rows = [s for s in self.lookup(STOCK, "Item", item["ID"]) if s["Warehouse"] == wh["ID"]]
            if rows:
                rec = self.update(STOCK, rows[0]["ID"], {"CurrentStock": current}, trusted=True)
            else:
                rec = self.create(STOCK, {"Item": item["ID"], "Warehouse": wh["ID"], "CurrentStock": current},
                                  trusted=True)
            return self._plain(STOCK, rec)

    def set_order_status(self, order_id: str, *, status: int | None = None, delivery_status: int | None = None,
                         invoice_status: int | None = None) -> Rec:
        """Move an order along (delivery and invoicing happen outside the endpoints emulated here)."""
        changes = {k: v for k, v in (("Status", status), ("DeliveryStatus", delivery_status),
                                     ("InvoiceStatus", invoice_status)) if v is not None}
        with self.lock:
            rec = dict(self.get(ORDERS, order_id))
            rec.update(changes)
            for name in ("Status", "DeliveryStatus", "InvoiceStatus"):
                rec[f"{name}Description"] = STATUS_TEXT.get(rec[name], "")
            self._touch(rec)
            return self._plain(ORDERS, self._store(ORDERS, rec))


_SEED_KEYS: dict[str, Entity] = {
    "items": ITEMS, "accounts": ACCOUNTS, "contacts": CONTACTS, "prices": PRICES, "stock": STOCK,
    "sales_orders": ORDERS,
}

# --------------------------------------------------------------------------- OData rendering


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

    def __init__(self, state: ExactOnlineSandbox, base: str) -> None:
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
            out[name] = self.lines(rec, sub) if name in sel.expand else {
                "__deferred": {"uri": f"{out['__metadata']['uri']}/{name}"}}
        for name in sel.expand - set(sel.nav):
            out[name] = self.lines(rec, ())
        return out

    def lines(self, order: Rec, fields: tuple[str, ...]) -> dict[str, Any]:
        view = VIEWS["salesorder/salesorderlines"]
        sel = parse_selection({"$select": ",".join(fields) or "*"}, view)
        lines = sorted(self.state.lookup(LINES, "OrderID", order["OrderID"]), key=lambda ln: ln["LineNumber"])
        return {"results": [self.record(view, ln, sel) for ln in lines]}


def _page(state: ExactOnlineSandbox, view: View, params: Mapping[str, str], url: str, base: str) -> dict[str, Any]:
    """One page of a collection, with ``__next`` carrying a WCF-style ``$skiptoken``."""
    if state.require_filter and view.mode != "sync" and not params.get("$filter"):
        raise ExactError(400, "$filter is mandatory")
    sel = parse_selection(params, view)
    order = [] if view.mode == "sync" else _orderby(params, view)
    rows = state.rows(view, params.get("$filter"), order)
    keyfn = _odata.sort_key(order, view.key)
    start = 0
    if "$skiptoken" in params:
        token = _odata.token_key(_odata.parse_literals(params["$skiptoken"]), order)
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
        skiptoken = ",".join(_odata.format_literal(last.get(n)) for n, _ in [*order, (view.key, False)])
        body["__next"] = _next_url(url, params, skiptoken, remaining)
    return {"d": body}


def _orderby(params: Mapping[str, str], view: View) -> list[tuple[str, bool]]:
    text = params.get("$orderby")
    if not text:
        return []
    try:
        return _odata.parse_orderby(text, view.entity.scalars, view.entity.type_name)
    except _odata.ODataError as exc:
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


# --------------------------------------------------------------------------- HTTP layer

_JSON = "application/json; charset=utf-8"
_PATH_RE = re.compile(r"^(?P<path>[A-Za-z]+(?:/[A-Za-z]+)+?)(?:\((?P<key>[^)]*)\))?(?P<count>/\$count)?$")


def _json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(payload, status_code=status, headers={"DataServiceVersion": "2.0", **(headers or {})},
                    media_type=_JSON)


def _error(exc: ExactError, headers: Mapping[str, str] | None = None) -> Response:
    return _json(envelope(exc.message), exc.status, {**(headers or {}), **exc.headers})


def _base(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


async def _token(request: Request) -> Response:
    fields = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
    state: ExactOnlineSandbox = request.app.state.sandbox
    status, body = state.grant(fields, _basic(request.headers.get("authorization")))
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _basic(header: str | None) -> tuple[str, str] | None:
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    user, _, password = base64.b64decode(value).decode().partition(":")
    return user, password


async def _authorize(request: Request) -> Response:
    """Consent is implied: redirect straight back with a one-time code (the sandbox has no users)."""
    state: ExactOnlineSandbox = request.app.state.sandbox
    params = request.query_params
    if params.get("client_id") != state.client_id or not params.get("redirect_uri"):
        return PlainTextResponse("invalid client_id or redirect_uri", status_code=400)
    query = urlencode({"code": state.issue_code(), **({"state": params["state"]} if "state" in params else {})})
    separator = "&" if "?" in params["redirect_uri"] else "?"
    return RedirectResponse(f"{params['redirect_uri']}{separator}{query}", status_code=302)


async def _me(request: Request) -> Response:
    state: ExactOnlineSandbox = request.app.state.sandbox
    with state.lock:
        try:
            state.authenticate(request.headers.get("authorization"))
            rate = state.take_call()
        except ExactError as exc:
            return _error(exc)
        try:
            return _json(_me_body(state, request), headers=rate)
        except ExactError as exc:
            return _error(exc, rate)


_ME_TYPES = {"CurrentDivision": "int", "UserID": "guid", "UserName": "str", "FullName": "str", "Email": "str",
             "LanguageCode": "str", "DivisionCustomer": "guid"}


def _me_body(state: ExactOnlineSandbox, request: Request) -> dict[str, Any]:
    text = request.query_params.get("$select")
    if not text:
        raise ExactError(400, "$select is mandatory")
    names = [n.strip() for n in text.split(",") if n.strip()]
    names = list(_ME_TYPES) if names == ["*"] else names
    unknown = [n for n in names if n not in _ME_TYPES]
    if unknown:
        raise ExactError(400, f"No property '{unknown[0]}' exists in type 'Exact.Web.Api.System.Me'.")
    me = {"CurrentDivision": state.division, "UserID": str(uuid.uuid5(uuid.NAMESPACE_URL, "exact:sandbox:user")),
          "UserName": "sandbox", "FullName": "Sandbox User", "Email": "sandbox@example.com", "LanguageCode": "en-NL",
          "DivisionCustomer": str(uuid.uuid5(uuid.NAMESPACE_URL, f"exact:{state.division}:customer"))}
    row: dict[str, Any] = {"__metadata": {"uri": f"{_base(request)}/api/v1/current/Me(guid'{me['UserID']}')",
                          "type": "Exact.Web.Api.System.Me"}}
    row.update({n: me[n] for n in names})
    return {"d": {"results": [row]}}


async def _api(request: Request) -> Response:
    state: ExactOnlineSandbox = request.app.state.sandbox
    body = await request.body()
    with state.lock:
        try:
            state.authenticate(request.headers.get("authorization"))
            if request.path_params["division"] != str(state.division):
                raise ExactError(403, "Forbidden - WrongDivision")
            rate = state.take_call()
        except ExactError as exc:
            return _error(exc)
        try:
            return _dispatch(state, request, body, rate)
        except _odata.ODataError as exc:
            return _error(ExactError(400, str(exc)), rate)
        except ExactError as exc:
            return _error(exc, rate)


def _resolve(rest: str) -> tuple[View, str | None, bool]:
    match = _PATH_RE.match(rest)
    view = VIEWS.get(match.group("path").lower()) if match else None
    if match is None or view is None:
        segment = rest.split("(")[0].rsplit("/", 1)[-1]
        raise ExactError(404, f"Resource not found for the segment '{segment}'.")
    key = match.group("key")
    if key is not None:
        values = _odata.parse_literals(key)
        if len(values) != 1 or view.mode == "sync" or not isinstance(values[0], str):
            raise ExactError(400, f"Bad Request - Error in query syntax: invalid key '{key}'.")
        key = values[0]
    return view, key, bool(match.group("count"))


def _dispatch(state: ExactOnlineSandbox, request: Request, raw: bytes, rate: dict[str, str]) -> Response:
    view, key, count = _resolve(request.path_params["rest"])
    method = request.method
    params = dict(request.query_params)
    url = f"{_base(request)}{quote(request.url.path)}"
    if method == "GET":
        return _get(state, view, key, count, params, request, url, rate)
    if not view.writable:
        raise ExactError(405, f"Method {method} is not allowed on '{view.path}'.")
    if method == "POST" and key is None:
        created = state.create(view.entity, _body(raw))
        if "return=minimal" in request.headers.get("prefer", ""):
            return Response(status_code=204, headers=rate)
        everything = parse_selection({"$select": "*"}, view)
        location = Renderer(state, _base(request)).uri(view, created)
        return _json({"d": Renderer(state, _base(request)).record(view, created, everything)}, 201,
                     {**rate, "Location": location})
    if method == "PUT" and key is not None:
        state.update(view.entity, key, _body(raw))
        return Response(status_code=204, headers=rate)
    if method == "DELETE" and key is not None:
        state.delete(view.entity, key)
        return Response(status_code=204, headers=rate)
    raise ExactError(405, f"Method {method} is not allowed on this resource.")


def _get(state: ExactOnlineSandbox, view: View, key: str | None, count: bool, params: dict[str, str],
         request: Request, url: str, rate: dict[str, str]) -> Response:
    if count:
        rows = state.rows(view, params.get("$filter"), [])
        return Response(str(len(rows)), headers=rate, media_type="text/plain")
    if key is None:
        return _json(_page(state, view, params, url, _base(request)), headers=rate)
    sel = parse_selection(params, view, required=False)
    rec = state.get(view.entity, key)
    return _json({"d": Renderer(state, _base(request)).record(view, rec, sel)}, headers=rate)


def _body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"null")
    except ValueError as exc:
        raise ExactError(400, "Error processing request stream. JSON text specified is not valid.") from exc
    if not isinstance(body, dict):
        raise ExactError(400, "Error processing request stream. A JSON object was expected.")
    return body


# --------------------------------------------------------------------------- factory


def create_app(*, division: int = 123456, client_id: str = "demo-client", client_secret: str = "demo-secret",
               refresh_token: str = "demo-refresh", minutely_limit: int | None = 60, daily_limit: int | None = 5000,
               token_ttl: int = 600, rotate_refresh_tokens: bool = True, seed: Mapping[str, Any] | None = None,
               rate_headers_on_429: bool = True, require_filter: bool = False,
               min_refresh_interval: float = 0.0) -> Starlette:
    """The Exact Online sandbox as an ASGI app; ``app.state.sandbox`` is its :class:`ExactOnlineSandbox`.

    ``None`` limits lift rate limiting (benchmarks). ``rate_headers_on_429=False`` drops the rate headers
    from 429 answers, as some observers report Exact doing; ``require_filter=True`` enforces the announced
    "mandatory filtering" on standard and bulk endpoints; ``min_refresh_interval=570`` refuses a refresh
    sooner than that after the last one, as Exact does.
    """
    state = ExactOnlineSandbox(division=division, client_id=client_id, client_secret=client_secret,
                               refresh_token=refresh_token, minutely_limit=minutely_limit, daily_limit=daily_limit,
                               token_ttl=token_ttl, rotate_refresh_tokens=rotate_refresh_tokens,
                               rate_headers_on_429=rate_headers_on_429, require_filter=require_filter,
                               min_refresh_interval=min_refresh_interval)
    if seed:
        state.seed(seed)
    routes = [
        Route("/api/oauth2/token", _token, methods=["POST"]),
        Route("/api/oauth2/auth", _authorize, methods=["GET"]),
        Route("/api/v1/current/Me", _me, methods=["GET"]),
        Route("/api/v1/{division}/{rest:path}", _api, methods=["GET", "POST", "PUT", "DELETE"]),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(KitMiddleware, kit=state.kit, seed=state.seed,
                                                          dump=state.dump)])
    app.state.sandbox = state
    return app


__all__ = ["ExactOnlineSandbox", "create_app", "envelope"]
