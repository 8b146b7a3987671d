"""Shopify Admin GraphQL API sandbox: a local emulator that follows Shopify's documentation.

It runs real GraphQL (graphql-core) against ``_shopify_schema.graphql``, a hand-written subset of
Shopify's 2025-04 Admin schema that a test proves identical, name for name and type for type, to
the published SDL; resolvers read an in-memory store seeded from snake_case REST-shaped records.

Wire contract, with sources:

* ``POST /admin/api/{YYYY-MM}/graphql.json``, header ``X-Shopify-Access-Token``; a wrong or missing
  token answers 401 ``{"errors": "[API] Invalid API key or access token (unrecognized login or wrong
  password)"}``; the version is echoed in ``X-Shopify-API-Version``
  (https://shopify.dev/docs/api/admin-graphql, https://shopify.dev/docs/api/usage/response-codes;
  ``Shopify/shopify_python_api`` ``shopify/base.py`` sends the header). A body without ``query``
  answers 400 ``{"errors": {"query": "Required parameter missing or invalid"}}``.
* Calculated query cost (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits and
  https://shopify.dev/docs/api/usage/limits): scalars and enums 0, objects 1, connections
  ``2 + (first|last) × cost of one node``, mutations 10. The requested cost is taken from a leaky
  bucket before execution and ``requested − actual`` refunded after; every answer carries
  ``extensions.cost{requestedQueryCost, actualQueryCost, throttleStatus{maximumAvailable,
  currentlyAvailable, restoreRate}}``. Bucket 1000 / restore 50 per second by default (the values in
  most recorded traffic; the current page lists 100–2000 points/second by plan, hence configurable).
  When the bucket is short: HTTP 200, ``errors[0].extensions.code == "THROTTLED"``, no ``data``,
  ``actualQueryCost: null`` (community.shopify.com/t/throttled/254776; Shopify/cli PR #8317 says
  GraphQL throttles with 200 — ``throttle_status=429`` switches to the uncertain alternative).
  A query whose requested cost exceeds 1000 is refused with ``MAX_COST_EXCEEDED`` and the message
  Shopify/shopify-app-js#577 quotes ("Query cost is N, which exceeds the single query max cost
  limit (1000)...").
* Relay connections, ``first``/``last`` required ("you must provide one of first or last",
  gnikyt/Basic-Shopify-API#22), at most 250 per page (https://shopify.dev/docs/api/usage/limits),
  opaque base64 cursors.
* ``query:`` search syntax (https://shopify.dev/docs/api/usage/search-syntax), see
  :mod:`._shopify_search`; unknown search fields are ignored with a warning in
  ``extensions.search`` as Shopify does.
* Business errors are ``userErrors{field message code}`` with HTTP 200; ``field`` is a path of
  strings (``["input", "variants", "0", "price"]``). Codes are the 2025-04 enums of each mutation.
* GIDs ``gid://shopify/<Type>/<n>``; times are UTC ISO 8601 with ``Z`` at second precision; every
  write bumps ``updatedAt`` (inventory writes bump the variant and product too, as Shopify's
  ``products/update`` webhooks on stock changes show).

Shopify allows the same SKU on several variants, so the sandbox does too.

Seed document (``create_app(seed=...)``, ``POST /_sandbox/seed``; ``GET /_sandbox/state`` dumps the
same shape)::

    {"shop": {"name", "email", "currency", "myshopify_domain"},
     "locations": [{"id", "name", "active"}],
     "products": [{"id", "title", "handle", "body_html", "vendor", "product_type",
                   "status": "active|draft|archived", "tags": "a, b" | ["a", "b"],
                   "created_at", "updated_at", "options": [{"name", "values": [...]}],
                   "variants": [{"id", "sku", "barcode", "price": "12.50", "compare_at_price",
                                 "option1", "option2", "option3", "position", "taxable",
                                 "inventory_item_id", "inventory_management": "shopify" | None,
                                 "inventory_quantity", "created_at", "updated_at"}]}],
     "inventory_levels": [{"inventory_item_id" | "sku", "location_id", "available", "on_hand"}],
     "customers": [{"id", "email", "first_name", "last_name", "phone", "note", "tax_exempt",
                    "tags", "state", "created_at", "updated_at",
                    "addresses": [{"first_name", "last_name", "company", "address1", "address2",
                                   "city", "province", "province_code", "country", "country_code",
                                   "zip", "phone", "default"}]}],
     "orders": [{"id", "name": "#1001", "order_number", "email", "phone", "note", "tags",
                 "created_at", "updated_at", "processed_at", "cancelled_at", "closed_at",
                 "financial_status": "paid|pending|authorized|...", "fulfillment_status": None|"fulfilled",
                 "currency", "taxes_included", "customer": {"id"}, "billing_address", "shipping_address",
                 "line_items": [{"id", "variant_id", "product_id", "sku", "title", "variant_title",
                                 "vendor", "quantity", "price", "total_discount", "taxable",
                                 "requires_shipping", "tax_lines": [{"title", "rate", "price"}]}],
                 "shipping_lines": [{"id", "title", "code", "source", "price", "discounted_price",
                                     "tax_lines": [...]}],
                 "discount_codes": [{"code", "amount", "type"}], "payment_gateway_names": [...],
                 "transactions": [{"id", "kind", "status", "gateway", "amount", "created_at"}],
                 "subtotal_price", "total_discounts", "total_shipping_price", "total_tax", "total_price"}]}

Missing ids, timestamps, handles, inventory items and order totals are filled in. The
``inventory_quantity`` shorthand stocks a variant at the first location.
"""

from __future__ import annotations

import base64
import itertools
import json
import random
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import graphql
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tradewind.sandboxes._kit import Kit, KitMiddleware, LeakyBucket
from tradewind.sandboxes._shopify_search import Field, compile_query, exact_terms
from tradewind.sandboxes.shopify_data import random_order

INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
RATE_LIMIT_DOCS = "https://shopify.dev/api/usage/rate-limits"
MAX_QUERY_COST = 1000
MAX_PAGE_SIZE = 250
UNLIMITED = 1_000_000.0
INVENTORY_NAMES = (
    "available",
    "committed",
    "damaged",
    "incoming",
    "on_hand",
    "quality_control",
    "reserved",
    "safety_stock",
)
INVENTORY_REASONS = frozenset(
    [
        "correction",
        "cycle_count_available",
        "damaged",
        "movement_created",
        "movement_updated",
        "movement_received",
        "movement_canceled",
        "other",
        "promotion",
        "quality_control",
        "received",
        "reservation_created",
        "reservation_deleted",
        "reservation_updated",
        "restock",
        "safety_stock",
        "shrinkage",
    ]
)
SUBSET_SDL = Path(__file__).with_name("_shopify_schema.graphql")
_VERSION = re.compile(r"^(\d{4}-(01|04|07|10)|unstable)$")

Record = dict[str, Any]
View = dict[str, Any]


# --------------------------------------------------------------------------- ids, money, time


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def parse_gid(value: Any, kind: str) -> int | None:
    """The number in ``gid://shopify/<kind>/<n>`` (query string ignored); None when not that kind."""
    match = re.fullmatch(rf"gid://shopify/{kind}/(\d+)(\?.*)?", str(value or ""))
    return int(match.group(1)) if match else None


def _money(value: Any) -> str:
    """Shopify's ``Money`` scalar: a decimal string with two places (``"12.50"``)."""
    return f"{Decimal(str(value)):.2f}"


def _decimal(value: Any) -> str:
    """Shopify's ``Decimal`` scalar as it serialises amounts: ``"12.5"``, ``"10.0"``."""
    number = Decimal(str(value)).normalize()
    return f"{number:.1f}" if number == number.to_integral_value() else format(number, "f")


def _parse_decimal(value: Any) -> str:
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise GraphQLError(f"invalid decimal {value!r}") from exc
    if not number.is_finite():
        raise GraphQLError(f"invalid decimal {value!r}")
    return str(number)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _tags(value: Any) -> list[str]:
    if isinstance(value, str):
        return [tag.strip() for tag in value.split(",") if tag.strip()]
    return [str(tag) for tag in value or []]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-") or "product"


def _bag(amount: Any, currency: str) -> View:
    money = {"amount": _decimal(amount or 0), "currencyCode": currency}
    return {"shopMoney": money, "presentmentMoney": money}


# --------------------------------------------------------------------------- schema


def build_schema() -> GraphQLSchema:
    """The subset schema with Shopify's scalar formats attached."""
    schema = graphql.build_schema(SUBSET_SDL.read_text(encoding="utf-8"))
    money = schema.type_map["Money"]
    decimal = schema.type_map["Decimal"]
    assert isinstance(money, graphql.GraphQLScalarType) and isinstance(decimal, graphql.GraphQLScalarType)
    money.serialize = _money  # type: ignore[method-assign]
    money.parse_value = _parse_decimal  # type: ignore[method-assign]
    money.parse_literal = _literal(_parse_decimal)  # type: ignore[method-assign]
    decimal.serialize = _decimal  # type: ignore[method-assign]
    decimal.parse_value = _parse_decimal  # type: ignore[method-assign]
    decimal.parse_literal = _literal(_parse_decimal)  # type: ignore[method-assign]
    return schema


def _literal(parse: Callable[[Any], str]) -> Callable[..., str]:
    def parse_literal(node: graphql.ValueNode, variables: dict[str, Any] | None = None) -> str:
        return parse(graphql.value_from_ast_untyped(node, variables))

    return parse_literal


# --------------------------------------------------------------------------- store


def _fold(value: Any) -> str:
    """The key of an exact search term: :func:`._shopify_search._exact_match` compares case-folded strings."""
    return str(value).casefold()


def _same(value: Any) -> Any:
    return value


class _Index:
    """One table's ids by the values of one field, so a look-up by value need not scan the table.

    ``values`` reads a record's values, ``normal`` turns a value into its key (None stays None: no
    search term matches it, but the Python helpers may look it up). The index remembers the keys it
    filed each id under, so filing a record again after an in-place edit moves it; and it answers in
    table order (the order ids were first filed, i.e. inserted), the order a scan would find them.
    """

    def __init__(self, values: Callable[[Record], Iterable[Any]], normal: Callable[[Any], Any] = _fold) -> None:
        self.values = values
        self.normal = normal
        self.ids: dict[Any, set[int]] = {}
        self.keys: dict[int, frozenset[Any]] = {}
        self.rank: dict[int, int] = {}
        self.counter = itertools.count()

    def key(self, value: Any) -> Any:
        return None if value is None else self.normal(value)

    def file(self, record: Record) -> None:
        """(Re-)file ``record`` under its current values."""
        number = record["id"]
        new = frozenset(self.key(value) for value in self.values(record))
        old = self.keys.get(number, frozenset())
        if new == old and number in self.rank:
            return
        for key in old - new:
            self._unlink(key, number)
        for key in new - old:
            self.ids.setdefault(key, set()).add(number)
        self.keys[number] = new
        self.rank.setdefault(number, next(self.counter))

    def drop(self, number: int) -> None:
        for key in self.keys.pop(number, frozenset()):
            self._unlink(key, number)
        self.rank.pop(number, None)

    def find(self, value: Any) -> list[int]:
        """Ids filed under ``value``'s key, in table order."""
        return sorted(self.ids.get(self.key(value), ()), key=self.rank.__getitem__)

    def _unlink(self, key: Any, number: int) -> None:
        ids = self.ids[key]
        ids.discard(number)
        if not ids:
            del self.ids[key]


def _one(key: str) -> Callable[[Record], list[Any]]:
    """A record's single value of ``key``, as a search field or an index reads it."""
    return lambda record: [record.get(key)]


def _new_indexes() -> dict[str, dict[str, _Index]]:
    """Per table, the fields looked up by value: exact search terms, uniqueness checks, parent links."""
    return {
        "products": {"handle": _Index(_one("handle"))},
        "variants": {
            "sku": _Index(_one("sku")),
            "barcode": _Index(_one("barcode")),
            "product_id": _Index(_one("product_id"), _same),
            "inventory_item_id": _Index(_one("inventory_item_id"), _same),
        },
        "customers": {"email": _Index(_one("email")), "phone": _Index(_one("phone"))},
        "orders": {
            "name": _Index(lambda o: [o["name"], o["name"].lstrip("#")]),
            "email": _Index(_one("email")),
        },
    }


@dataclass
class Store:
    """Records in REST-like snake_case, keyed by numeric id, with indexes for look-ups by value.

    Invariant: every record of an indexed table is filed in each of its table's indexes under the
    values it holds now. Hence records enter and leave those tables only through :meth:`put` and
    :meth:`remove`, and code that edits an indexed field in place calls :meth:`put` again. Levels
    enter through :meth:`stock` and leave through :meth:`drop_item`, which keep ``item_locations``.
    """

    shop: Record = field(default_factory=dict)
    locations: dict[int, Record] = field(default_factory=dict)
    products: dict[int, Record] = field(default_factory=dict)
    variants: dict[int, Record] = field(default_factory=dict)
    items: dict[int, Record] = field(default_factory=dict)
    levels: dict[tuple[int, int], Record] = field(default_factory=dict)
    customers: dict[int, Record] = field(default_factory=dict)
    orders: dict[int, Record] = field(default_factory=dict)
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))
    floor: int = 1000
    indexes: dict[str, dict[str, _Index]] = field(default_factory=_new_indexes)
    item_locations: dict[int, dict[int, None]] = field(default_factory=dict)
    """Per inventory item, the locations it has a level at, in the order the levels were added."""

    def next_id(self, wanted: Any = None) -> int:
        """``wanted`` when given (seeding), else a fresh id above every id seen."""
        if wanted is not None:
            self.floor = max(self.floor, int(wanted))
            return int(wanted)
        number = next(self.counter)
        while number <= self.floor:
            number = next(self.counter)
        self.floor = number
        return number

    # ----- indexed tables

    def put(self, table: str, record: Record) -> Record:
        """Insert ``record`` into ``table``, or re-file it after an in-place edit of an indexed field."""
        getattr(self, table)[record["id"]] = record
        for index in self.indexes[table].values():
            index.file(record)
        return record

    def remove(self, table: str, number: int) -> None:
        del getattr(self, table)[number]
        for index in self.indexes[table].values():
            index.drop(number)

    def find(self, table: str, name: str, value: Any) -> list[Record]:
        """Records of ``table`` whose field ``name`` holds ``value`` (case-folded for text), in table order."""
        rows = getattr(self, table)
        return [rows[number] for number in self.indexes[table][name].find(value)]

    def product_by_handle(self, handle: Any, exclude: int | None = None) -> Record | None:
        """The first product other than ``exclude`` whose handle is exactly ``handle`` (case matters)."""
        found = self.find("products", "handle", handle)
        return next((p for p in found if p["handle"] == handle and p["id"] != exclude), None)

    def variant_by_sku(self, sku: Any) -> Record | None:
        """The first variant whose SKU is exactly ``sku``: Shopify allows a SKU on several variants."""
        return next((v for v in self.find("variants", "sku", sku) if v.get("sku") == sku), None)

    def product_variants(self, product_id: int) -> list[Record]:
        found = self.find("variants", "product_id", product_id)
        return sorted(found, key=lambda v: (v["position"], v["id"]))

    def variant_of_item(self, item_id: int) -> Record | None:
        return next(iter(self.find("variants", "inventory_item_id", item_id)), None)

    # ----- inventory levels

    def stock(self, level: Record) -> Record:
        """Add ``level`` unless its item already has one at its location; returns the stored level."""
        item_id, location_id = level["inventory_item_id"], level["location_id"]
        self.item_locations.setdefault(item_id, {})[location_id] = None
        return self.levels.setdefault((item_id, location_id), level)

    def drop_item(self, item_id: int) -> None:
        """Forget an inventory item and its levels (its variant is gone)."""
        self.items.pop(item_id, None)
        for location_id in self.item_locations.pop(item_id, {}):
            del self.levels[(item_id, location_id)]

    def item_levels(self, item_id: int) -> list[Record]:
        return [self.levels[(item_id, location_id)] for location_id in self.item_locations.get(item_id, {})]

    def location_levels(self, location_id: int) -> list[Record]:
        return [lvl for (_, loc), lvl in self.levels.items() if loc == location_id]

    def active_locations(self) -> list[Record]:
        return sorted((loc for loc in self.locations.values() if loc["active"]), key=lambda loc: loc["id"])

    def available(self, item_id: int) -> int:
        return sum(int(lvl["available"]) for lvl in self.item_levels(item_id))


# --------------------------------------------------------------------------- the sandbox


class ShopifySandbox:
    """State, rules and Python helpers of one emulated shop (``app.state.sandbox``)."""

    def __init__(
        self,
        *,
        token: str,
        shop: str,
        bucket_size: float | None,
        restore_rate: float,
        throttle_status: int,
    ) -> None:
        self.token = token
        self.shop_domain = shop
        self.throttle_status = throttle_status
        self.bucket = LeakyBucket(bucket_size, restore_rate) if bucket_size is not None else None
        self.kit = Kit(error_body=lambda status, message: {"errors": message})
        self.schema = build_schema()
        self.lock = threading.RLock()
        self.clock: Callable[[], datetime] = _utcnow
        self.store = Store()
        self.seed({})

    # ----- time

    def now(self) -> str:
        return _stamp(self.clock())

    # ----- seed and dump

    def seed(self, document: Mapping[str, Any]) -> dict[str, int]:
        """Replace all state with ``document`` (see the module docstring for its shape)."""
        with self.lock:
            self.store = Store()
            self._seed_shop(document.get("shop") or {})
            for location in document.get("locations") or [{"name": "Shop location"}]:
                self._add_location(location)
            for product in document.get("products") or []:
                self._seed_product(product)
            for level in document.get("inventory_levels") or []:
                self._seed_level(level)
            for customer in document.get("customers") or []:
                self._seed_customer(customer)
            for order in document.get("orders") or []:
                self.add_order(order)
            return {name: len(getattr(self.store, name)) for name in ("locations", "products", "customers", "orders")}

    def _seed_shop(self, shop: Mapping[str, Any]) -> None:
        self.store.shop = {
            "name": shop.get("name", "Demo Shop"),
            "email": shop.get("email", "owner@example.com"),
            "currency": shop.get("currency", "EUR"),
            "myshopify_domain": shop.get("myshopify_domain", self.shop_domain),
        }

    def _add_location(self, location: Mapping[str, Any]) -> Record:
        number = self.store.next_id(location.get("id"))
        record = {
            "id": number,
            "name": location.get("name", f"Location {number}"),
            "active": location.get("active", True),
        }
        self.store.locations[number] = record
        return record

    def _seed_product(self, product: Mapping[str, Any]) -> None:
        now = self.now()
        record = self._new_product(product, now)
        options = product.get("options") or [{"name": "Title", "values": ["Default Title"]}]
        record["options"] = [
            self._option(opt.get("name"), opt.get("values") or [], i + 1) for i, opt in enumerate(options)
        ]
        variants = product.get("variants") or [{"option1": "Default Title"}]
        for position, variant in enumerate(variants, start=1):
            self._seed_variant(record, variant, position)

    def _new_product(self, fields: Mapping[str, Any], now: str) -> Record:
        number = self.store.next_id(fields.get("id"))
        title = fields.get("title") or ""
        record = {
            "id": number,
            "title": title,
            "handle": fields.get("handle") or self._free_handle(_slug(title)),
            "body_html": fields.get("body_html") or "",
            "vendor": fields.get("vendor") or self.store.shop.get("name", ""),
            "product_type": fields.get("product_type") or "",
            "status": str(fields.get("status") or "active").lower(),
            "tags": _tags(fields.get("tags")),
            "created_at": fields.get("created_at") or now,
            "updated_at": fields.get("updated_at") or fields.get("created_at") or now,
            "options": [],
        }
        return self.store.put("products", record)

    def _option(self, name: Any, values: Iterable[Any], position: int) -> Record:
        return {"id": self.store.next_id(), "name": str(name), "position": position, "values": [str(v) for v in values]}

    def _free_handle(self, base: str, exclude: int | None = None) -> str:
        """``base``, or ``base-1``, ``base-2``… whichever no other product holds."""
        handle, n = base, 0
        while self.store.product_by_handle(handle, exclude) is not None:
            n += 1
            handle = f"{base}-{n}"
        return handle

    def _seed_variant(self, product: Record, variant: Mapping[str, Any], position: int) -> None:
        record = self._new_variant(product, variant, position, variant.get("created_at") or product["created_at"])
        record["updated_at"] = variant.get("updated_at") or product["updated_at"]
        quantity = variant.get("inventory_quantity")
        locations = self.store.active_locations()
        if quantity is not None and locations:
            self.store.levels[(record["inventory_item_id"], locations[0]["id"])].update(
                available=int(quantity), on_hand=int(quantity)
            )

    def _new_variant(self, product: Record, fields: Mapping[str, Any], position: int, now: str) -> Record:
        item_id = self.store.next_id(fields.get("inventory_item_id"))
        tracked = fields.get("inventory_management", "shopify") == "shopify"
        self.store.items[item_id] = {"id": item_id, "tracked": tracked, "created_at": now, "updated_at": now}
        number = self.store.next_id(fields.get("id"))
        record = {
            "id": number,
            "product_id": product["id"],
            "sku": fields.get("sku"),
            "barcode": fields.get("barcode"),
            "price": str(fields.get("price") or "0.00"),
            "compare_at_price": fields.get("compare_at_price"),
            "position": fields.get("position") or position,
            "taxable": fields.get("taxable", True),
            "option1": fields.get("option1")
            or (product["options"][0]["values"][0] if product["options"] else "Default Title"),
            "option2": fields.get("option2"),
            "option3": fields.get("option3"),
            "inventory_item_id": item_id,
            "created_at": now,
            "updated_at": now,
        }
        self.store.put("variants", record)
        for location in self.store.active_locations():
            self._stock(item_id, location["id"], now)
        return record

    def _stock(self, item_id: int, location_id: int, now: str) -> Record:
        level = {
            "id": self.store.next_id(),
            "inventory_item_id": item_id,
            "location_id": location_id,
            "available": 0,
            "on_hand": 0,
            "created_at": now,
            "updated_at": now,
        }
        return self.store.stock(level)

    def _seed_level(self, level: Mapping[str, Any]) -> None:
        item_id = level.get("inventory_item_id")
        if item_id is None:
            variant = self.store.variant_by_sku(level.get("sku"))
            if variant is None:
                raise ValueError(f"inventory level for unknown sku {level.get('sku')!r}")
            item_id = variant["inventory_item_id"]
        location_id = int(level.get("location_id") or self.store.active_locations()[0]["id"])
        record = self._stock(int(item_id), location_id, self.now())
        available = int(level.get("available", 0))
        record.update(available=available, on_hand=int(level.get("on_hand", available)))
        if level.get("updated_at"):
            record["updated_at"] = level["updated_at"]

    def _seed_customer(self, customer: Mapping[str, Any]) -> Record:
        now = self.now()
        number = self.store.next_id(customer.get("id"))
        record: Record = {
            "id": number,
            "email": customer.get("email"),
            "first_name": customer.get("first_name"),
            "last_name": customer.get("last_name"),
            "phone": customer.get("phone"),
            "note": customer.get("note"),
            "tax_exempt": bool(customer.get("tax_exempt", False)),
            "tags": _tags(customer.get("tags")),
            "state": str(customer.get("state") or "disabled").lower(),
            "created_at": customer.get("created_at") or now,
            "updated_at": customer.get("updated_at") or customer.get("created_at") or now,
            "addresses": [],
        }
        record["addresses"] = [self._address(a) for a in customer.get("addresses") or []]
        if record["addresses"] and not any(a["default"] for a in record["addresses"]):
            record["addresses"][0]["default"] = True
        return self.store.put("customers", record)

    def _address(self, address: Mapping[str, Any] | None) -> Record:
        fields = dict(address or {})
        keys = (
            "first_name",
            "last_name",
            "company",
            "address1",
            "address2",
            "city",
            "province",
            "province_code",
            "zip",
            "phone",
        )
        record: Record = {key: fields.get(key) for key in keys}
        record["country_code"] = fields.get("country_code")
        record["country"] = fields.get("country") or _COUNTRIES.get(str(fields.get("country_code")))
        record["id"] = self.store.next_id(fields.get("id"))
        record["default"] = bool(fields.get("default", False))
        return record

    def add_order(self, order: Mapping[str, Any]) -> Record:
        """Store a REST-shaped order, filling ids, names, timestamps and totals; returns the record."""
        with self.lock:
            return self.store.put("orders", _complete_order(self, dict(order)))

    def add_random_orders(self, n: int, *, seed: int | None = None) -> list[Record]:
        """Add ``n`` realistic orders over existing SKUs and customers (the demo's trickle)."""
        rng = random.Random(seed)
        customers = list(self.store.customers.values())
        return [self.add_order(random_order(self, rng=rng, customers=customers)) for _ in range(n)]

    def dump(self) -> dict[str, Any]:
        """The whole state in the seed shape."""
        with self.lock:
            store = self.store
            return {
                "shop": dict(store.shop),
                "locations": [dict(loc) for loc in store.locations.values()],
                "products": [self._dump_product(p) for p in store.products.values()],
                "inventory_levels": [
                    {
                        "inventory_item_id": item,
                        "location_id": loc,
                        "available": lvl["available"],
                        "on_hand": lvl["on_hand"],
                        "updated_at": lvl["updated_at"],
                    }
                    for (item, loc), lvl in store.levels.items()
                ],
                "customers": [_dump_customer(c) for c in store.customers.values()],
                "orders": [_dump_order(o) for o in store.orders.values()],
            }

    def _dump_product(self, product: Record) -> Record:
        out = {key: value for key, value in product.items() if key != "options"}
        out["tags"] = ", ".join(product["tags"])
        out["options"] = [
            {"id": o["id"], "name": o["name"], "position": o["position"], "values": list(o["values"])}
            for o in product["options"]
        ]
        out["variants"] = [self._dump_variant(v) for v in self.store.product_variants(product["id"])]
        return out

    def _dump_variant(self, variant: Record) -> Record:
        out = dict(variant)
        item = self.store.items[variant["inventory_item_id"]]
        out["inventory_management"] = "shopify" if item["tracked"] else None
        out["inventory_quantity"] = self.store.available(item["id"])
        out["title"] = _variant_title(variant)
        return out

    # ----- helpers for tests and the demo

    def products_by_sku(self) -> dict[str, Record]:
        """Each SKU's variant (REST shape, with ``product_id``); the last one wins for a shared SKU."""
        with self.lock:
            return {v["sku"]: self._dump_variant(v) for v in self.store.variants.values() if v.get("sku")}

    def inventory(self, sku: str, location: int | str | None = None, name: str = "available") -> int:
        """Quantity ``name`` of ``sku`` at ``location`` (id, GID or name; default: all locations)."""
        with self.lock:
            variant = self.store.variant_by_sku(sku)
            if variant is None:
                raise KeyError(sku)
            levels = [
                lvl
                for lvl in self.store.item_levels(variant["inventory_item_id"])
                if location is None or self._is_location(lvl["location_id"], location)
            ]
            return sum(int(lvl.get(name, 0)) for lvl in levels)

    def _is_location(self, location_id: int, wanted: int | str) -> bool:
        record = self.store.locations[location_id]
        return wanted in (location_id, str(location_id), gid("Location", location_id), record["name"])

    # ----- GraphQL execution

    def execute(self, body: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        """Run one GraphQL request; returns (HTTP status, JSON body)."""
        try:
            document = graphql.parse(body["query"])
        except GraphQLError as error:
            return 200, {"errors": [error.formatted]}
        errors = graphql.validate(self.schema, document)
        if errors:
            return 200, {"errors": [e.formatted for e in errors]}
        operation = graphql.get_operation_ast(document, body.get("operationName"))
        if operation is None:
            return 200, {"errors": [{"message": "An operation name is required"}]}
        variables = body.get("variables") or {}
        requested = query_cost(self.schema, document, operation, variables)
        if requested > MAX_QUERY_COST:
            return 200, {"errors": [_max_cost_error(requested)], "extensions": self._cost(requested, None)}
        if self.bucket is not None and not self.bucket.take(requested):
            return self.throttle_status, {"errors": [_THROTTLED], "extensions": self._cost(requested, None)}
        return 200, self._run(document, operation, variables, requested, body.get("operationName"))

    def _run(
        self,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
        requested: int,
        operation_name: str | None,
    ) -> dict[str, Any]:
        context: dict[str, Any] = {"search": []}
        with self.lock:
            result = graphql.execute_sync(
                self.schema,
                document,
                root_value=_Root(self),
                context_value=context,
                variable_values=dict(variables),
                operation_name=operation_name,
            )
        actual = min(requested, query_cost(self.schema, document, operation, variables, result.data or {}))
        if self.bucket is not None:
            self.bucket.refund(requested - actual)
        extensions = self._cost(requested, actual)
        if context["search"]:
            extensions["search"] = context["search"]
        return {**result.formatted, "extensions": extensions}

    def _cost(self, requested: int, actual: int | None) -> dict[str, Any]:
        if self.bucket is None:
            status = {"maximumAvailable": UNLIMITED, "currentlyAvailable": int(UNLIMITED), "restoreRate": UNLIMITED}
        else:
            status = {
                "maximumAvailable": float(self.bucket.size),
                "currentlyAvailable": int(self.bucket.available),
                "restoreRate": float(self.bucket.restore_rate),
            }
        return {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": status}}


_COUNTRIES = {
    "NL": "Netherlands",
    "BE": "Belgium",
    "DE": "Germany",
    "FR": "France",
    "GB": "United Kingdom",
    "LU": "Luxembourg",
    "AT": "Austria",
    "US": "United States",
}

_THROTTLED = {"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": RATE_LIMIT_DOCS}}


def _max_cost_error(cost: int) -> dict[str, Any]:
    message = (
        f"Query cost is {cost}, which exceeds the single query max cost limit ({MAX_QUERY_COST}).\n\n"
        "See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n"
        "cost of a query is calculated.\n\n"
        "To query larger amounts of data with fewer limits, bulk operations should be used instead.\n"
        "See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n"
    )
    return {
        "message": message,
        "extensions": {
            "code": "MAX_COST_EXCEEDED",
            "cost": cost,
            "maxCost": MAX_QUERY_COST,
            "documentation": RATE_LIMIT_DOCS,
        },
    }


def _jsonable(record: Record) -> Record:
    return json.loads(json.dumps(record, default=str))


def _dump_order(order: Record) -> Record:
    out = _jsonable(order)
    out["tags"] = ", ".join(order["tags"])
    customer_id = out.pop("customer_id", None)
    out["customer"] = {"id": customer_id} if customer_id else None
    return out


def _dump_customer(customer: Record) -> Record:
    out = _jsonable(customer)
    out["tags"] = ", ".join(customer["tags"])
    out["default_address"] = next((a for a in out["addresses"] if a["default"]), None)
    return out


def _variant_title(variant: Record) -> str:
    return " / ".join(str(variant[k]) for k in ("option1", "option2", "option3") if variant.get(k))


# --------------------------------------------------------------------------- orders


def _complete_order(sandbox: ShopifySandbox, order: Record) -> Record:
    """Fill what a REST order always has: ids, number and name, timestamps, line details, totals."""
    store, now = sandbox.store, sandbox.now()
    order["id"] = store.next_id(order.get("id"))
    number = order.get("order_number") or 1000 + len(store.orders) + 1
    order["order_number"] = int(number)
    order.setdefault("name", f"#{number}")
    order.setdefault("created_at", now)
    order.setdefault("processed_at", order["created_at"])
    order.setdefault("updated_at", order["created_at"])
    for key, default in (
        ("cancelled_at", None),
        ("closed_at", None),
        ("fulfillment_status", None),
        ("note", None),
        ("phone", None),
        ("email", None),
        ("financial_status", "paid"),
        ("taxes_included", True),
        ("currency", store.shop.get("currency", "EUR")),
    ):
        order.setdefault(key, default)
    order["tags"] = _tags(order.get("tags"))
    for key in ("billing_address", "shipping_address"):
        order[key] = sandbox._address(order[key]) if order.get(key) else None
    customer = order.pop("customer", None) or {}
    order["customer_id"] = order.get("customer_id") or customer.get("id")
    order.setdefault("discount_codes", [])
    order.setdefault("payment_gateway_names", [])
    order["line_items"] = [_complete_line(sandbox, line) for line in order.get("line_items") or []]
    order["shipping_lines"] = [_complete_shipping(store, line) for line in order.get("shipping_lines") or []]
    order["transactions"] = [_complete_transaction(store, t, order) for t in order.get("transactions") or []]
    _complete_totals(order)
    return order


def _complete_line(sandbox: ShopifySandbox, line: Record) -> Record:
    store = sandbox.store
    line = dict(line)
    variant = store.variants.get(int(line["variant_id"])) if line.get("variant_id") else None
    if variant is None and line.get("sku"):
        variant = store.variant_by_sku(line["sku"])
    product = store.products.get(variant["product_id"]) if variant else None
    line["id"] = store.next_id(line.get("id"))
    line.setdefault("variant_id", variant and variant["id"])
    line.setdefault("product_id", product and product["id"])
    line.setdefault("sku", variant and variant["sku"])
    line.setdefault("title", product["title"] if product else line.get("name", ""))
    title = _variant_title(variant) if variant else None
    line.setdefault("variant_title", None if title == "Default Title" else title)
    line.setdefault(
        "name", f"{line['title']} - {line['variant_title']}" if line.get("variant_title") else line["title"]
    )
    line.setdefault("vendor", product and product["vendor"])
    line.setdefault("price", variant["price"] if variant else "0.00")
    line.setdefault("quantity", 1)
    line.setdefault("total_discount", "0.00")
    line.setdefault("taxable", True)
    line.setdefault("requires_shipping", True)
    line.setdefault("tax_lines", [])
    return line


def _complete_shipping(store: Store, line: Record) -> Record:
    line = dict(line)
    line["id"] = store.next_id(line.get("id"))
    line.setdefault("title", "Standard")
    line.setdefault("code", line["title"])
    line.setdefault("source", "shopify")
    line.setdefault("price", "0.00")
    line.setdefault("discounted_price", line["price"])
    line.setdefault("tax_lines", [])
    return line


def _complete_transaction(store: Store, transaction: Record, order: Record) -> Record:
    transaction = dict(transaction)
    transaction["id"] = store.next_id(transaction.get("id"))
    transaction.setdefault("kind", "sale")
    transaction.setdefault("status", "success")
    transaction.setdefault("gateway", (order["payment_gateway_names"] or ["manual"])[0])
    transaction.setdefault("created_at", order["processed_at"])
    transaction.setdefault("test", False)
    return transaction


def _complete_totals(order: Record) -> None:
    lines, shipping = order["line_items"], order["shipping_lines"]
    gross = sum((Decimal(str(li["price"])) * int(li["quantity"]) for li in lines), Decimal(0))
    line_discounts = sum((Decimal(str(li["total_discount"])) for li in lines), Decimal(0))
    ship = sum((Decimal(str(s["discounted_price"])) for s in shipping), Decimal(0))
    tax = sum((Decimal(str(t["price"])) for li in [*lines, *shipping] for t in li["tax_lines"]), Decimal(0))
    order.setdefault("total_discounts", str(line_discounts))
    order.setdefault("subtotal_price", str(gross - line_discounts))
    order.setdefault("total_shipping_price", str(ship))
    order.setdefault("total_tax", str(tax))
    total = Decimal(str(order["subtotal_price"])) + ship + (Decimal(0) if order["taxes_included"] else tax)
    order.setdefault("total_price", str(total))
    order["tax_lines"] = order.get("tax_lines") or _sum_tax_lines([*lines, *shipping])


def _sum_tax_lines(lines: Iterable[Record]) -> list[Record]:
    totals: dict[tuple[str, str], Decimal] = {}
    for line in lines:
        for tax in line["tax_lines"]:
            key = (tax["title"], str(tax["rate"]))
            totals[key] = totals.get(key, Decimal(0)) + Decimal(str(tax["price"]))
    return [{"title": title, "rate": float(rate), "price": str(amount)} for (title, rate), amount in totals.items()]


# --------------------------------------------------------------------------- connections


def _check_page_size(args: Mapping[str, Any]) -> None:
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        raise GraphQLError("you must provide one of first or last")
    for name in ("first", "last"):
        size = args.get(name)
        if size is not None and not 0 <= size <= MAX_PAGE_SIZE:
            raise GraphQLError(f"The '{name}' argument must be between 0 and {MAX_PAGE_SIZE}.")


def _encode_cursor(key: tuple[Any, int]) -> str:
    raw = json.dumps({"last_id": key[1], "last_value": key[0]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[Any, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return data["last_value"], int(data["last_id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise GraphQLError(f"Invalid cursor for current pagination sort: {cursor!r}") from exc


def connection(
    args: Mapping[str, Any], records: Iterable[Record], sort: Callable[[Record], Any], view: Callable[[Record], View]
) -> View:
    """A Relay connection over ``records`` ordered by ``(sort(record), id)``; ``reverse`` flips it."""
    _check_page_size(args)
    ordered = sorted(((sort(r), r["id"]), r) for r in records)
    keys = [key for key, _ in ordered]
    reverse = bool(args.get("reverse"))
    start, end = 0, len(ordered)
    if args.get("after"):
        start = _after_index(keys, _decode_cursor(args["after"]), reverse)
    if args.get("before"):
        end = _before_index(keys, _decode_cursor(args["before"]), reverse)
    window = list(range(start, max(start, end)))
    if args.get("first") is not None:
        window = window[: args["first"]]
    if args.get("last") is not None:
        window = window[len(window) - args["last"] :] if args["last"] else []
    sequence = ordered[::-1] if reverse else ordered
    edges = [{"cursor": _encode_cursor(sequence[i][0]), "node": view(sequence[i][1])} for i in window]
    return {
        "edges": edges,
        "nodes": [edge["node"] for edge in edges],
        "pageInfo": {
            "hasNextPage": bool(window) and window[-1] < len(ordered) - 1,
            "hasPreviousPage": bool(window) and window[0] > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def _after_index(keys: list[tuple[Any, int]], cursor: tuple[Any, int], reverse: bool) -> int:
    import bisect

    return len(keys) - bisect.bisect_left(keys, cursor) if reverse else bisect.bisect_right(keys, cursor)


def _before_index(keys: list[tuple[Any, int]], cursor: tuple[Any, int], reverse: bool) -> int:
    import bisect

    return len(keys) - bisect.bisect_right(keys, cursor) if reverse else bisect.bisect_left(keys, cursor)


# --------------------------------------------------------------------------- views (GraphQL objects)


class _Views:
    """Turn store records into dicts the default resolver reads; callables take arguments."""

    def __init__(self, sandbox: ShopifySandbox) -> None:
        self.sb = sandbox

    @property
    def store(self) -> Store:
        return self.sb.store

    def shop(self) -> View:
        shop = self.store.shop
        return {
            "name": shop["name"],
            "email": shop["email"],
            "myshopifyDomain": shop["myshopify_domain"],
            "currencyCode": shop["currency"],
            "taxesIncluded": bool(shop.get("taxes_included", True)),
        }

    def product(self, p: Record) -> View:
        variants = self.store.product_variants(p["id"])
        return {
            "id": gid("Product", p["id"]),
            "title": p["title"],
            "handle": p["handle"],
            "descriptionHtml": p["body_html"],
            "vendor": p["vendor"],
            "productType": p["product_type"],
            "status": p["status"].upper(),
            "tags": p["tags"],
            "createdAt": p["created_at"],
            "updatedAt": p["updated_at"],
            "totalInventory": sum(self.store.available(v["inventory_item_id"]) for v in variants),
            "options": lambda info, first=None: [self.option(o, variants) for o in p["options"][:first]],
            "variants": lambda info, **a: connection(
                a, self.store.product_variants(p["id"]), _VARIANT_SORTS[a["sortKey"]], self.variant
            ),
            "variantsCount": {"count": len(variants), "precision": "EXACT"},
        }

    def option(self, option: Record, variants: list[Record]) -> View:
        slot = f"option{option['position']}"
        used = {v.get(slot) for v in variants}
        values = [
            {"id": gid("ProductOptionValue", option["id"] * 100 + i), "name": value, "hasVariants": value in used}
            for i, value in enumerate(option["values"])
        ]
        return {
            "id": gid("ProductOption", option["id"]),
            "name": option["name"],
            "position": option["position"],
            "values": option["values"],
            "optionValues": values,
        }

    def variant(self, v: Record) -> View:
        product = self.store.products[v["product_id"]]
        item = self.store.items[v["inventory_item_id"]]
        return {
            "id": gid("ProductVariant", v["id"]),
            "title": _variant_title(v),
            "sku": v["sku"],
            "barcode": v["barcode"],
            "price": v["price"],
            "compareAtPrice": v["compare_at_price"],
            "position": v["position"],
            "taxable": v["taxable"],
            "selectedOptions": [
                {"name": o["name"], "value": v.get(f"option{o['position']}")} for o in product["options"]
            ],
            "inventoryItem": lambda info: self.item(item),
            "inventoryQuantity": self.store.available(item["id"]),
            "product": lambda info: self.product(product),
            "createdAt": v["created_at"],
            "updatedAt": v["updated_at"],
        }

    def item(self, item: Record) -> View:
        variant = self.store.variant_of_item(item["id"]) or {}
        return {
            "id": gid("InventoryItem", item["id"]),
            "sku": variant.get("sku"),
            "tracked": item["tracked"],
            "variant": lambda info: self.variant(variant),
            "createdAt": item["created_at"],
            "updatedAt": item["updated_at"],
            "inventoryLevel": lambda info, locationId: self._level_at(item["id"], locationId),
            "inventoryLevels": lambda info, **a: connection(a, self.store.item_levels(item["id"]), _by_id, self.level),
        }

    def _level_at(self, item_id: int, location_gid: str) -> View | None:
        level = self.store.levels.get((item_id, parse_gid(location_gid, "Location") or 0))
        return self.level(level) if level else None

    def level(self, lvl: Record) -> View:
        item_id, location_id = lvl["inventory_item_id"], lvl["location_id"]
        return {
            "id": f"{gid('InventoryLevel', lvl['id'])}?inventory_item_id={item_id}",
            "item": lambda info: self.item(self.store.items[item_id]),
            "location": lambda info: self.location(self.store.locations[location_id]),
            "quantities": lambda info, names: [self._quantity(lvl, name) for name in names],
            "createdAt": lvl["created_at"],
            "updatedAt": lvl["updated_at"],
        }

    def _quantity(self, lvl: Record, name: str) -> View:
        if name not in INVENTORY_NAMES:
            raise GraphQLError(
                f"'{name}' is not a valid inventory quantity name. Valid names: {', '.join(INVENTORY_NAMES)}."
            )
        quantity_id = f"{gid('InventoryQuantity', lvl['id'])}?inventory_item_id={lvl['inventory_item_id']}&name={name}"
        return {"id": quantity_id, "name": name, "quantity": int(lvl.get(name, 0)), "updatedAt": lvl["updated_at"]}

    def location(self, loc: Record) -> View:
        return {
            "id": gid("Location", loc["id"]),
            "name": loc["name"],
            "isActive": loc["active"],
            "inventoryLevels": lambda info, **a: connection(
                a, self.store.location_levels(loc["id"]), _by_id, self.level
            ),
        }

    def customer(self, c: Record) -> View:
        default = next((a for a in c["addresses"] if a["default"]), None)
        name = " ".join(part for part in (c["first_name"], c["last_name"]) if part)
        return {
            "id": gid("Customer", c["id"]),
            "email": c["email"],
            "defaultEmailAddress": {"emailAddress": c["email"]} if c["email"] else None,
            "firstName": c["first_name"],
            "lastName": c["last_name"],
            "displayName": name or c["email"] or c["phone"] or "",
            "phone": c["phone"],
            "note": c["note"],
            "taxExempt": c["tax_exempt"],
            "tags": c["tags"],
            "state": c["state"].upper(),
            "defaultAddress": address_view(default),
            "addresses": lambda info, first=None: [address_view(a) for a in c["addresses"][:first]],
            "createdAt": c["created_at"],
            "updatedAt": c["updated_at"],
        }

    def order(self, o: Record) -> View:
        cur = o["currency"]
        customer = self.store.customers.get(o["customer_id"] or 0)
        return {
            "id": gid("Order", o["id"]),
            "name": o["name"],
            "email": o["email"],
            "phone": o["phone"],
            "note": o["note"],
            "tags": o["tags"],
            "createdAt": o["created_at"],
            "updatedAt": o["updated_at"],
            "processedAt": o["processed_at"],
            "cancelledAt": o["cancelled_at"],
            "closed": o["closed_at"] is not None,
            "fullyPaid": o["financial_status"] == "paid",
            "displayFinancialStatus": str(o["financial_status"]).upper() if o["financial_status"] else None,
            "displayFulfillmentStatus": _FULFILLMENT.get(o["fulfillment_status"], "UNFULFILLED"),
            "currencyCode": cur,
            "taxesIncluded": o["taxes_included"],
            "totalPriceSet": _bag(o["total_price"], cur),
            "subtotalPriceSet": _bag(o["subtotal_price"], cur),
            "totalTaxSet": _bag(o["total_tax"], cur),
            "totalShippingPriceSet": _bag(o["total_shipping_price"], cur),
            "totalDiscountsSet": _bag(o["total_discounts"], cur),
            "customer": lambda info: self.customer(customer) if customer else None,
            "billingAddress": address_view(o.get("billing_address")),
            "shippingAddress": address_view(o.get("shipping_address")),
            "lineItems": lambda info, **a: connection(a, o["line_items"], _by_id, lambda li: self.line_item(li, cur)),
            "shippingLines": lambda info, **a: connection(
                a, o["shipping_lines"], _by_id, lambda s: _shipping_view(s, cur)
            ),
            "taxLines": [_tax_view(t, cur) for t in o["tax_lines"]],
            "discountCodes": [d["code"] for d in o["discount_codes"]],
            "paymentGatewayNames": o["payment_gateway_names"],
            "transactions": lambda info, first=None: [_transaction_view(t, cur) for t in o["transactions"][:first]],
        }

    def line_item(self, li: Record, cur: str) -> View:
        variant = self.store.variants.get(li["variant_id"] or 0)
        product = self.store.products.get(li["product_id"] or 0)
        price, discount = Decimal(str(li["price"])), Decimal(str(li["total_discount"]))
        unit = (price - discount / max(int(li["quantity"]), 1)).quantize(Decimal("0.01"))
        return {
            "id": gid("LineItem", li["id"]),
            "sku": li["sku"],
            "title": li["title"],
            "name": li["name"],
            "variantTitle": li["variant_title"],
            "vendor": li["vendor"],
            "quantity": li["quantity"],
            "requiresShipping": li["requires_shipping"],
            "taxable": li["taxable"],
            "variant": lambda info: self.variant(variant) if variant else None,
            "product": lambda info: self.product(product) if product else None,
            "originalUnitPriceSet": _bag(price, cur),
            "discountedUnitPriceSet": _bag(unit, cur),
            "totalDiscountSet": _bag(discount, cur),
            "taxLines": lambda info, first=None: [_tax_view(t, cur) for t in li["tax_lines"][:first]],
        }


_FULFILLMENT = {
    None: "UNFULFILLED",
    "fulfilled": "FULFILLED",
    "partial": "PARTIALLY_FULFILLED",
    "restocked": "RESTOCKED",
    "in_progress": "IN_PROGRESS",
    "on_hold": "ON_HOLD",
    "scheduled": "SCHEDULED",
}


def _by_id(record: Record) -> int:
    """Sort key for ``ID`` order: connection() already breaks ties by id."""
    return 0


_VARIANT_SORTS: dict[str, Callable[[Record], Any]] = {
    "ID": _by_id,
    "POSITION": lambda v: v["position"],
    "SKU": lambda v: v["sku"] or "",
    "TITLE": lambda v: _variant_title(v).casefold(),
}


def address_view(a: Record | None) -> View | None:
    if not a:
        return None
    name = " ".join(part for part in (a.get("first_name"), a.get("last_name")) if part)
    return {
        "id": gid("MailingAddress", a["id"]),
        "address1": a.get("address1"),
        "address2": a.get("address2"),
        "city": a.get("city"),
        "company": a.get("company"),
        "country": a.get("country"),
        "countryCodeV2": a.get("country_code"),
        "firstName": a.get("first_name"),
        "lastName": a.get("last_name"),
        "name": name or None,
        "phone": a.get("phone"),
        "province": a.get("province"),
        "provinceCode": a.get("province_code"),
        "zip": a.get("zip"),
    }


def _tax_view(tax: Record, cur: str) -> View:
    rate = float(tax["rate"])
    return {
        "title": tax["title"],
        "rate": rate,
        "ratePercentage": round(rate * 100, 4),
        "priceSet": _bag(tax["price"], cur),
    }


def _shipping_view(line: Record, cur: str) -> View:
    return {
        "id": gid("ShippingLine", line["id"]),
        "title": line["title"],
        "code": line["code"],
        "source": line["source"],
        "originalPriceSet": _bag(line["price"], cur),
        "discountedPriceSet": _bag(line["discounted_price"], cur),
        "taxLines": [_tax_view(t, cur) for t in line["tax_lines"]],
    }


def _transaction_view(t: Record, cur: str) -> View:
    return {
        "id": gid("OrderTransaction", t["id"]),
        "kind": str(t["kind"]).upper(),
        "status": str(t["status"]).upper(),
        "gateway": t["gateway"],
        "amountSet": _bag(t["amount"], cur),
        "createdAt": t["created_at"],
        "processedAt": t["created_at"],
        "test": bool(t["test"]),
    }


# --------------------------------------------------------------------------- searchable lists


@dataclass(frozen=True)
class _Listing:
    """What a top-level connection searches, how it sorts and which view it returns.

    ``lookups`` gives, for some ``exact`` fields, the records that may hold a value (from the
    store's indexes): a superset of the matches of ``field:value``, never missing one.
    """

    records: Callable[[], Iterable[Record]]
    fields: Mapping[str, Field]
    default: Field
    sorts: Mapping[str, Callable[[Record], Any]]
    view: Callable[[Record], View]
    lookups: Mapping[str, Callable[[str], Iterable[Record]]] = field(default_factory=dict)


def _listings(sb: ShopifySandbox, views: _Views) -> dict[str, _Listing]:
    def skus(p: Record) -> list[Any]:
        return [v["sku"] for v in sb.store.product_variants(p["id"])]

    def barcodes(p: Record) -> list[Any]:
        return [v["barcode"] for v in sb.store.product_variants(p["id"])]

    def lookup(table: str, name: str) -> Callable[[str], list[Record]]:
        return lambda value: sb.store.find(table, name, value)

    def products_by(name: str) -> Callable[[str], list[Record]]:
        """Products by a field of their variants (``sku``, ``barcode``), through the variants' index."""
        return lambda value: [sb.store.products[v["product_id"]] for v in sb.store.find("variants", name, value)]

    stamps = {
        "created_at": Field(_one("created_at"), "date"),
        "updated_at": Field(_one("updated_at"), "date"),
        "id": Field(_one("id"), "number"),
    }
    products = _Listing(
        records=lambda: sb.store.products.values(),
        fields={
            **stamps,
            "sku": Field(skus),
            "barcode": Field(barcodes),
            "title": Field(_one("title"), "text"),
            "status": Field(_one("status")),
            "handle": Field(_one("handle")),
            "vendor": Field(_one("vendor"), "text"),
            "product_type": Field(_one("product_type"), "text"),
            "tag": Field(lambda p: p["tags"]),
        },
        default=Field(lambda p: [p["title"], p["vendor"], p["product_type"], *p["tags"], *skus(p)], "text"),
        sorts={
            "ID": _by_id,
            "CREATED_AT": lambda p: p["created_at"],
            "UPDATED_AT": lambda p: p["updated_at"],
            "TITLE": lambda p: p["title"].casefold(),
        },
        view=views.product,
        lookups={"handle": lookup("products", "handle"), "sku": products_by("sku"), "barcode": products_by("barcode")},
    )
    variants = _Listing(
        records=lambda: sb.store.variants.values(),
        fields={
            **stamps,
            "sku": Field(_one("sku")),
            "barcode": Field(_one("barcode")),
            "product_id": Field(_one("product_id"), "number"),
            "title": Field(lambda v: [_variant_title(v)], "text"),
        },
        default=Field(lambda v: [v["sku"], v["barcode"], _variant_title(v)], "text"),
        sorts=_VARIANT_SORTS,
        view=views.variant,
        lookups={"sku": lookup("variants", "sku"), "barcode": lookup("variants", "barcode")},
    )
    customers = _Listing(
        records=lambda: sb.store.customers.values(),
        fields={
            **stamps,
            "email": Field(_one("email")),
            "phone": Field(_one("phone")),
            "first_name": Field(_one("first_name"), "text"),
            "last_name": Field(_one("last_name"), "text"),
            "state": Field(_one("state")),
            "tag": Field(lambda c: c["tags"]),
        },
        default=Field(lambda c: [c["first_name"], c["last_name"], c["email"], c["phone"]], "text"),
        sorts={
            "ID": _by_id,
            "CREATED_AT": lambda c: c["created_at"],
            "UPDATED_AT": lambda c: c["updated_at"],
            "NAME": lambda c: f"{c['first_name'] or ''} {c['last_name'] or ''}".casefold(),
        },
        view=views.customer,
        lookups={"email": lookup("customers", "email"), "phone": lookup("customers", "phone")},
    )
    orders = _Listing(
        records=lambda: sb.store.orders.values(),
        fields={
            **stamps,
            "processed_at": Field(_one("processed_at"), "date"),
            "financial_status": Field(_one("financial_status")),
            "fulfillment_status": Field(lambda o: [o["fulfillment_status"] or "unfulfilled"]),
            "name": Field(lambda o: [o["name"], o["name"].lstrip("#")]),
            "email": Field(_one("email")),
            "customer_id": Field(_one("customer_id"), "number"),
            "tag": Field(lambda o: o["tags"]),
            "sku": Field(lambda o: [li["sku"] for li in o["line_items"]]),
        },
        default=Field(lambda o: [o["name"], o["email"]], "text"),
        sorts={
            "ID": _by_id,
            "CREATED_AT": lambda o: o["created_at"],
            "UPDATED_AT": lambda o: o["updated_at"],
            "PROCESSED_AT": lambda o: o["processed_at"],
            "ORDER_NUMBER": lambda o: o["order_number"],
        },
        view=views.order,
        lookups={"name": lookup("orders", "name"), "email": lookup("orders", "email")},
    )
    locations = _Listing(
        records=lambda: sb.store.locations.values(),
        fields={"id": Field(_one("id"), "number"), "name": Field(_one("name"), "text")},
        default=Field(lambda loc: [loc["name"]], "text"),
        sorts={"ID": _by_id, "NAME": lambda loc: loc["name"].casefold()},
        view=views.location,
    )
    return {
        "products": products,
        "productVariants": variants,
        "customers": customers,
        "orders": orders,
        "locations": locations,
    }


def _listing_connection(listing: _Listing, info: GraphQLResolveInfo, args: Mapping[str, Any]) -> View:
    query = args.get("query")
    matches, warnings = compile_query(query, listing.fields, listing.default)
    if warnings:
        info.context["search"].append({"path": info.path.as_list(), "query": query, "warnings": warnings})
    records = [r for r in _candidates(listing, query) if matches(r)]
    if args.get("includeInactive") is False:
        records = [r for r in records if r.get("active", True)]
    return connection(args, records, listing.sorts[args["sortKey"]], listing.view)


def _candidates(listing: _Listing, query: str | None) -> Iterable[Record]:
    """The records a search may match: index hits when it only ORs ``field:value`` on indexed fields, else all.

    The caller still applies the whole predicate, so the answer is the same as a full scan's; and
    :func:`connection` orders by (sort key, id), so the candidates' order does not matter.
    """
    terms = exact_terms(query, listing.fields)
    if terms is None or any(name not in listing.lookups for name, _ in terms):
        return listing.records()
    found: dict[int, Record] = {}
    for name, value in terms:
        for record in listing.lookups[name](value):
            found[record["id"]] = record
    return found.values()


# --------------------------------------------------------------------------- root resolvers


def _user_error(path: Iterable[Any] | None, message: str, code: str | None = None) -> dict[str, Any]:
    return {"field": [str(part) for part in path] if path is not None else None, "message": message, "code": code}


def _negative(value: Any) -> bool:
    return value is not None and Decimal(str(value)) < 0


class _Root(dict[str, Any]):
    """Root value: query and mutation fields by name, as the default resolver reads a mapping."""

    def __init__(self, sandbox: ShopifySandbox) -> None:
        super().__init__()
        self.sb = sandbox
        self.views = _Views(sandbox)
        for name, listing in _listings(sandbox, self.views).items():
            self[name] = _bind_listing(listing)
        self.update(
            product=self._by_gid("Product", "products", self.views.product),
            productVariant=self._by_gid("ProductVariant", "variants", self.views.variant),
            customer=self._by_gid("Customer", "customers", self.views.customer),
            order=self._by_gid("Order", "orders", self.views.order),
            inventoryItem=self._by_gid("InventoryItem", "items", self.views.item),
            location=self._location,
            inventoryLevel=self._inventory_level,
            shop=lambda info: self.views.shop(),
        )
        mutations = _Mutations(sandbox, self.views)
        self.update(
            productSet=mutations.product_set,
            productCreate=mutations.product_create,
            productUpdate=mutations.product_update,
            productVariantsBulkCreate=mutations.variants_bulk_create,
            productVariantsBulkUpdate=mutations.variants_bulk_update,
            inventorySetQuantities=mutations.inventory_set_quantities,
            customerCreate=mutations.customer_create,
            customerUpdate=mutations.customer_update,
        )

    def _by_gid(self, kind: str, table: str, view: Callable[[Record], View]) -> Callable[..., View | None]:
        def resolve(info: GraphQLResolveInfo, id: str) -> View | None:
            record = getattr(self.sb.store, table).get(parse_gid(id, kind) or 0)
            return view(record) if record else None

        return resolve

    def _location(self, info: GraphQLResolveInfo, id: str | None = None) -> View | None:
        if id is None:
            active = self.sb.store.active_locations()
            return self.views.location(active[0]) if active else None
        record = self.sb.store.locations.get(parse_gid(id, "Location") or 0)
        return self.views.location(record) if record else None

    def _inventory_level(self, info: GraphQLResolveInfo, id: str) -> View | None:
        number = parse_gid(id, "InventoryLevel")
        level = next((lvl for lvl in self.sb.store.levels.values() if lvl["id"] == number), None)
        return self.views.level(level) if level else None


def _bind_listing(listing: _Listing) -> Callable[..., View]:
    return lambda info, **args: _listing_connection(listing, info, args)


# --------------------------------------------------------------------------- mutations

_PRODUCT_FIELDS = (
    ("title", "title"),
    ("descriptionHtml", "body_html"),
    ("vendor", "vendor"),
    ("productType", "product_type"),
    ("tags", "tags"),
)
_ADDRESS_KEYS = {
    "address1": "address1",
    "address2": "address2",
    "city": "city",
    "company": "company",
    "countryCode": "country_code",
    "firstName": "first_name",
    "lastName": "last_name",
    "phone": "phone",
    "provinceCode": "province_code",
    "zip": "zip",
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_INVENTORY = 1_000_000_000


class _Mutations:
    """The write side: validate everything first (userErrors, nothing written), then apply."""

    def __init__(self, sandbox: ShopifySandbox, views: _Views) -> None:
        self.sb = sandbox
        self.views = views

    @property
    def store(self) -> Store:
        return self.sb.store

    # ----- products

    def product_set(self, info: GraphQLResolveInfo, **kw: Any) -> View:
        data: dict[str, Any] = kw["input"]
        product, errors = self._product_for_set(kw.get("identifier") or {})
        errors = errors or self._check_product_set(product, data)
        if errors:
            return {"product": None, "productSetOperation": None, "userErrors": errors}
        now = self.sb.now()
        if product is None:
            handle = data.get("handle") or (kw.get("identifier") or {}).get("handle")
            product = self.sb._new_product({"title": data.get("title"), "handle": handle}, now)
        self._apply_product_fields(product, data)
        if data.get("productOptions") is not None:
            product["options"] = self._set_options(product, data["productOptions"])
        if data.get("variants") is not None:
            self._set_variants(product, data["variants"], now)
        elif not self.store.product_variants(product["id"]):
            self._default_variant(product, now)
        product["updated_at"] = now
        view = self.views.product(product)
        if kw.get("synchronous", True):
            return {"product": view, "productSetOperation": None, "userErrors": []}
        operation = {
            "id": gid("ProductSetOperation", self.store.next_id()),
            "product": view,
            "status": "COMPLETE",
            "userErrors": [],
        }
        return {"product": None, "productSetOperation": operation, "userErrors": []}

    def _product_for_set(self, identifier: Mapping[str, Any]) -> tuple[Record | None, list[dict[str, Any]]]:
        if identifier.get("id"):
            product = self.store.products.get(parse_gid(identifier["id"], "Product") or 0)
            if product is None:
                return None, [_user_error(["identifier", "id"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")]
            return product, []
        if identifier.get("handle"):
            return self.store.product_by_handle(identifier["handle"]), []
        return None, []

    def _check_product_set(self, product: Record | None, data: Mapping[str, Any]) -> list[dict[str, Any]]:
        errors = []
        if product is None and not (data.get("title") or "").strip():
            errors.append(_user_error(["input", "title"], "Title can't be blank", "INVALID_INPUT"))
        errors += self._check_handle(data.get("handle"), product, ["input", "handle"], "HANDLE_NOT_UNIQUE")
        options, variants = data.get("productOptions"), data.get("variants")
        if variants is not None and options is None:
            errors.append(
                _user_error(
                    ["input", "productOptions"],
                    "Product options input is required when updating variants.",
                    "PRODUCT_OPTIONS_INPUT_MISSING",
                )
            )
        if options is not None and variants is None:
            errors.append(
                _user_error(
                    ["input", "variants"],
                    "Variants input is required when updating product options.",
                    "VARIANTS_INPUT_MISSING",
                )
            )
        if options is not None and variants is not None:
            errors += _check_options(options) or self._check_set_variants(product, options, variants)
        return errors

    def _check_handle(self, handle: str | None, product: Record | None, path: list[str], code: str | None) -> list[Any]:
        owner = self.store.product_by_handle(handle) if handle else None
        if owner is None or (product is not None and owner["id"] == product["id"]):
            return []
        return [_user_error(path, f"Handle '{handle}' already in use. Please provide a new handle.", code)]

    def _check_set_variants(self, product: Record | None, options: list[Any], variants: list[Any]) -> list[Any]:
        if len(variants) > 2048:
            return [
                _user_error(
                    ["input", "variants"], "Products can't have more than 2048 variants.", "VARIANTS_OVER_LIMIT"
                )
            ]
        errors: list[dict[str, Any]] = []
        seen: set[tuple[str, ...]] = set()
        own = {v["id"] for v in self.store.product_variants(product["id"])} if product else set()
        for i, variant in enumerate(variants):
            path = ["input", "variants", i]
            combo, problems = _combination(options, variant.get("optionValues") or [], path)
            errors += problems
            if combo in seen and not problems:
                errors.append(
                    _user_error(path, f"The variant '{' / '.join(combo)}' already exists.", "INVALID_VARIANT")
                )
            seen.add(combo)
            if variant.get("id") and parse_gid(variant["id"], "ProductVariant") not in own:
                errors.append(
                    _user_error([*path, "id"], "Product variant does not exist", "PRODUCT_VARIANT_DOES_NOT_EXIST")
                )
            errors += _price_errors(variant, path, "INVALID_VARIANT")
            errors += self._check_inventory_inputs(variant.get("inventoryQuantities") or [], path)
        return errors

    def _check_inventory_inputs(self, quantities: list[Any], path: list[Any]) -> list[Any]:
        errors = []
        for j, q in enumerate(quantities):
            if q["name"] not in ("available", "on_hand"):
                errors.append(
                    _user_error(
                        [*path, "inventoryQuantities", j, "name"],
                        "The quantity name must be either 'available' or 'on_hand'.",
                        "INVALID_INPUT",
                    )
                )
            if parse_gid(q["locationId"], "Location") not in self.store.locations:
                errors.append(
                    _user_error(
                        [*path, "inventoryQuantities", j, "locationId"], "Location does not exist", "INVALID_INPUT"
                    )
                )
        return errors

    def _apply_product_fields(self, product: Record, data: Mapping[str, Any]) -> None:
        for source, target in _PRODUCT_FIELDS:
            if data.get(source) is not None:
                product[target] = list(data[source]) if target == "tags" else data[source]
        if data.get("status"):
            product["status"] = str(data["status"]).lower()
        if data.get("handle"):
            product["handle"] = data["handle"]
        self.store.put("products", product)

    def _set_options(self, product: Record, options: Sequence[Mapping[str, Any]]) -> list[Record]:
        existing = {o["name"]: o for o in product["options"]}
        result = []
        for position, option in enumerate(options, start=1):
            name = _option_name(option, product)
            values = [v.get("name") for v in option.get("values") or []]
            record = self.sb._option(name, values, position)
            record["id"] = existing[name]["id"] if name in existing else record["id"]
            result.append(record)
        return result

    def _set_variants(self, product: Record, variants: list[Mapping[str, Any]], now: str) -> None:
        existing = self.store.product_variants(product["id"])
        by_combo = {_slots(v): v for v in existing}
        kept: set[int] = set()
        for position, data in enumerate(variants, start=1):
            combo, _ = _combination(product["options"], data.get("optionValues") or [], [])
            record = self._match_variant(data, by_combo.get(combo), kept)
            if record is None:
                record = self.sb._new_variant(product, {}, position, now)
            self._apply_variant(record, data, combo, now)
            record["position"] = data.get("position") or position
            self._set_inventory(record, data.get("inventoryQuantities") or [], now)
            kept.add(record["id"])
        for variant in existing:
            if variant["id"] not in kept:
                self._delete_variant(variant)

    def _match_variant(self, data: Mapping[str, Any], by_combo: Record | None, kept: set[int]) -> Record | None:
        if data.get("id"):
            return self.store.variants.get(parse_gid(data["id"], "ProductVariant") or 0)
        return by_combo if by_combo is not None and by_combo["id"] not in kept else None

    def _apply_variant(self, record: Record, data: Mapping[str, Any], combo: tuple[str, ...] | None, now: str) -> None:
        if combo:
            for slot in range(3):
                record[f"option{slot + 1}"] = combo[slot] if slot < len(combo) else None
        for source, target in (
            ("price", "price"),
            ("compareAtPrice", "compare_at_price"),
            ("barcode", "barcode"),
            ("taxable", "taxable"),
            ("sku", "sku"),
        ):
            if source in data:
                record[target] = (
                    _money(data[source]) if source in ("price", "compareAtPrice") and data[source] else data[source]
                )
        item_input = data.get("inventoryItem") or {}
        if "sku" in item_input:
            record["sku"] = item_input["sku"]
        self.store.put("variants", record)
        item = self.store.items[record["inventory_item_id"]]
        if item_input.get("tracked") is not None:
            item["tracked"] = item_input["tracked"]
        item["updated_at"] = record["updated_at"] = now

    def _set_inventory(self, variant: Record, quantities: Sequence[Mapping[str, Any]], now: str) -> None:
        for q in quantities:
            location_id = parse_gid(q.get("locationId"), "Location") or 0
            level = self.sb._stock(variant["inventory_item_id"], location_id, now)
            amount = int(q.get("quantity", q.get("availableQuantity", 0)))
            delta = amount - int(level[q.get("name", "available")])
            level.update(available=level["available"] + delta, on_hand=level["on_hand"] + delta, updated_at=now)

    def _delete_variant(self, variant: Record) -> None:
        self.store.remove("variants", variant["id"])
        self.store.drop_item(variant["inventory_item_id"])

    def _default_variant(self, product: Record, now: str) -> None:
        if not product["options"]:
            product["options"] = [self.sb._option("Title", ["Default Title"], 1)]
        first = {f"option{o['position']}": (o["values"] or ["Default Title"])[0] for o in product["options"]}
        self.sb._new_variant(product, first, 1, now)

    def product_create(self, info: GraphQLResolveInfo, product: Mapping[str, Any] | None = None, **_: Any) -> View:
        data = dict(product or {})
        errors = [] if (data.get("title") or "").strip() else [_user_error(["title"], "Title can't be blank")]
        errors += self._check_handle(data.get("handle"), None, ["handle"], None)
        options = [{"name": o.get("name"), "values": o.get("values") or []} for o in data.get("productOptions") or []]
        errors += _check_options(options, path=["productOptions"])
        if errors:
            return {"product": None, "shop": self.views.shop(), "userErrors": errors}
        now = self.sb.now()
        record = self.sb._new_product({"title": data["title"], "handle": data.get("handle")}, now)
        self._apply_product_fields(record, data)
        record["options"] = self._set_options(record, options) if options else []
        self._default_variant(record, now)
        return {"product": self.views.product(record), "shop": self.views.shop(), "userErrors": []}

    def product_update(self, info: GraphQLResolveInfo, product: Mapping[str, Any] | None = None, **_: Any) -> View:
        data = dict(product or {})
        record = self.store.products.get(parse_gid(data.get("id"), "Product") or 0)
        if record is None:
            return {"product": None, "userErrors": [_user_error(["id"], "Product does not exist")]}
        errors = self._check_handle(data.get("handle"), record, ["handle"], None)
        if "title" in data and not (data["title"] or "").strip():
            errors.append(_user_error(["title"], "Title can't be blank"))
        if errors:
            return {"product": None, "userErrors": errors}
        self._apply_product_fields(record, data)
        record["updated_at"] = self.sb.now()
        return {"product": self.views.product(record), "userErrors": []}

    # ----- variants in bulk

    def variants_bulk_create(self, info: GraphQLResolveInfo, productId: str, variants: list[Any], **kw: Any) -> View:
        product = self.store.products.get(parse_gid(productId, "Product") or 0)
        if product is None:
            return _bulk(None, None, [_user_error(["productId"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")])
        standalone = _is_standalone(self.store.product_variants(product["id"]))
        replace = standalone and kw.get("strategy") == "REMOVE_STANDALONE_VARIANT"
        options = _grown_options(product["options"], variants, replace)
        errors = self._check_bulk_create(product, options, variants, replace)
        if errors:
            return _bulk(None, None, errors)
        now = self.sb.now()
        if replace:
            for variant in self.store.product_variants(product["id"]):
                self._delete_variant(variant)
        product["options"] = [
            self.sb._option(o["name"], o["values"], i + 1) | {"id": o.get("id") or self.store.next_id()}
            for i, o in enumerate(options)
        ]
        created = []
        offset = len(self.store.product_variants(product["id"]))
        for i, data in enumerate(variants, start=1):
            combo, _ = _combination(product["options"], data.get("optionValues") or [], [])
            record = self.sb._new_variant(product, {}, offset + i, now)
            self._apply_variant(record, data, combo, now)
            quantities = [
                {"locationId": q["locationId"], "quantity": q["availableQuantity"]}
                for q in data.get("inventoryQuantities") or []
            ]
            self._set_inventory(record, quantities, now)
            created.append(record)
        product["updated_at"] = now
        return _bulk(self.views.product(product), [self.views.variant(v) for v in created], [])

    def _check_bulk_create(
        self, product: Record, options: list[Record], variants: list[Any], replace: bool
    ) -> list[Any]:
        errors: list[dict[str, Any]] = []
        existing = set() if replace else {_slots(v) for v in self.store.product_variants(product["id"])}
        for i, data in enumerate(variants):
            path = ["variants", i]
            if not data.get("optionValues"):
                errors.append(
                    _user_error(path, "You need to add option values for this variant", "NEED_TO_ADD_OPTION_VALUES")
                )
                continue
            combo, problems = _combination(options, data["optionValues"], path)
            if problems:
                errors.append(
                    _user_error(
                        path,
                        "Option values provided for unknown options",
                        "OPTION_VALUES_FOR_NUMBER_OF_UNKNOWN_OPTIONS",
                    )
                )
            elif combo in existing:
                errors.append(
                    _user_error(path, f"The variant '{' / '.join(combo)}' already exists.", "VARIANT_ALREADY_EXISTS")
                )
            existing.add(combo)
            errors += _price_errors(data, path, "GREATER_THAN_OR_EQUAL_TO")
            for j, q in enumerate(data.get("inventoryQuantities") or []):
                if parse_gid(q["locationId"], "Location") not in self.store.locations:
                    errors.append(
                        _user_error(
                            [*path, "inventoryQuantities", j, "locationId"],
                            "Location does not exist",
                            "TRACKED_VARIANT_LOCATION_NOT_FOUND",
                        )
                    )
        return errors

    def variants_bulk_update(self, info: GraphQLResolveInfo, productId: str, variants: list[Any], **kw: Any) -> View:
        product = self.store.products.get(parse_gid(productId, "Product") or 0)
        if product is None:
            return _bulk(None, None, [_user_error(["productId"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")])
        own = {v["id"]: v for v in self.store.product_variants(product["id"])}
        checked = [
            (data, self._check_bulk_update(product, own, data, ["variants", i])) for i, data in enumerate(variants)
        ]
        errors = [error for _, problems in checked for error in problems]
        if errors and not kw.get("allowPartialUpdates"):
            return _bulk(self.views.product(product), None, errors)
        now = self.sb.now()
        updated = []
        for data, problems in checked:
            if problems:
                continue
            record = own[parse_gid(data["id"], "ProductVariant") or 0]
            combo = _merged_combination(product, record, data.get("optionValues") or [])
            self._apply_variant(record, data, combo, now)
            updated.append(record)
        if updated:
            product["updated_at"] = now
        return _bulk(self.views.product(product), [self.views.variant(v) for v in updated], errors)

    def _check_bulk_update(
        self, product: Record, own: Mapping[int, Record], data: Mapping[str, Any], path: list[Any]
    ) -> list[Any]:
        if not data.get("id"):
            return [_user_error([*path, "id"], "Product variant is missing ID attribute", "PRODUCT_VARIANT_ID_MISSING")]
        if parse_gid(data["id"], "ProductVariant") not in own:
            return [_user_error([*path, "id"], "Product variant does not exist", "PRODUCT_VARIANT_DOES_NOT_EXIST")]
        errors = _price_errors(data, path, "GREATER_THAN_OR_EQUAL_TO")
        if data.get("inventoryQuantities") is not None:
            errors.append(
                _user_error(
                    [*path, "inventoryQuantities"],
                    "Inventory quantities can only be provided during create. "
                    "To update inventory for existing variants, use inventoryAdjustQuantities.",
                    "NO_INVENTORY_QUANTITIES_ON_VARIANTS_UPDATE",
                )
            )
        if data.get("optionValues"):
            errors += _combination(product["options"], data["optionValues"], path, partial=True)[1]
        return errors

    # ----- inventory

    def inventory_set_quantities(self, info: GraphQLResolveInfo, input: Mapping[str, Any]) -> View:
        errors = self._check_set_quantities(input)
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        now, name = self.sb.now(), input["name"]
        changes = []
        for q in input["quantities"]:
            item_id = parse_gid(q["inventoryItemId"], "InventoryItem") or 0
            location_id = parse_gid(q["locationId"], "Location") or 0
            level = self.store.levels[(item_id, location_id)]
            delta = int(q["quantity"]) - int(level[name])
            level.update(available=level["available"] + delta, on_hand=level["on_hand"] + delta, updated_at=now)
            changes += [
                {
                    "name": n,
                    "delta": delta,
                    "quantityAfterChange": level[n],
                    "item_id": item_id,
                    "location_id": location_id,
                }
                for n in ("available", "on_hand")
            ]
            self._touch_item(item_id, now)
        group = {
            "id": gid("InventoryAdjustmentGroup", self.store.next_id()),
            "createdAt": now,
            "reason": input["reason"],
            "referenceDocumentUri": input.get("referenceDocumentUri"),
            "changes": lambda info, **f: [self._change_view(c) for c in changes if _change_matches(c, f)],
        }
        return {"inventoryAdjustmentGroup": group, "userErrors": []}

    def _check_set_quantities(self, data: Mapping[str, Any]) -> list[Any]:
        errors = []
        if data["name"] not in ("available", "on_hand"):
            errors.append(
                _user_error(
                    ["input", "name"], "The quantity name must be either 'available' or 'on_hand'.", "INVALID_NAME"
                )
            )
        if data["reason"] not in INVENTORY_REASONS:
            errors.append(_user_error(["input", "reason"], "The specified reason is invalid.", "INVALID_REASON"))
        seen: set[tuple[str, str]] = set()
        for i, q in enumerate(data["quantities"]):
            path = ["input", "quantities", i]
            pair = (q["inventoryItemId"], q["locationId"])
            if pair in seen:
                errors.append(
                    _user_error(
                        path,
                        "The combination of inventoryItemId and locationId must be unique.",
                        "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                    )
                )
            seen.add(pair)
            errors += self._check_quantity(q, path, data)
        return errors

    def _check_quantity(self, q: Mapping[str, Any], path: list[Any], data: Mapping[str, Any]) -> list[Any]:
        item_id = parse_gid(q["inventoryItemId"], "InventoryItem")
        location_id = parse_gid(q["locationId"], "Location")
        if item_id not in self.store.items:
            return [
                _user_error(
                    [*path, "inventoryItemId"],
                    "The specified inventory item could not be found.",
                    "INVALID_INVENTORY_ITEM",
                )
            ]
        if location_id not in self.store.locations:
            return [
                _user_error([*path, "locationId"], "The specified location could not be found.", "INVALID_LOCATION")
            ]
        level = self.store.levels.get((item_id, location_id))
        if level is None:
            return [
                _user_error(
                    [*path, "locationId"],
                    "The specified inventory item is not stocked at the location.",
                    "ITEM_NOT_STOCKED_AT_LOCATION",
                )
            ]
        if q["quantity"] > MAX_INVENTORY:
            return [
                _user_error(
                    [*path, "quantity"],
                    f"The quantity can't be higher than {MAX_INVENTORY:,}.",
                    "INVALID_QUANTITY_TOO_HIGH",
                )
            ]
        if q["quantity"] < -MAX_INVENTORY:
            return [
                _user_error(
                    [*path, "quantity"],
                    f"The quantity can't be lower than -{MAX_INVENTORY:,}.",
                    "INVALID_QUANTITY_TOO_LOW",
                )
            ]
        return self._check_compare(q, path, data, level)

    def _check_compare(
        self, q: Mapping[str, Any], path: list[Any], data: Mapping[str, Any], level: Record
    ) -> list[Any]:
        if data.get("ignoreCompareQuantity"):
            return []
        if q.get("compareQuantity") is None:
            return [
                _user_error(
                    [*path, "compareQuantity"],
                    "The compareQuantity argument must be given to each quantity or ignored using "
                    "ignoreCompareQuantity.",
                    "COMPARE_QUANTITY_REQUIRED",
                )
            ]
        if int(q["compareQuantity"]) != int(level[data["name"]]):
            return [
                _user_error(
                    [*path, "compareQuantity"],
                    "The compareQuantity argument no longer matches the persisted quantity.",
                    "COMPARE_QUANTITY_STALE",
                )
            ]
        return []

    def _touch_item(self, item_id: int, now: str) -> None:
        self.store.items[item_id]["updated_at"] = now
        variant = self.store.variant_of_item(item_id)
        if variant:
            variant["updated_at"] = now
            self.store.products[variant["product_id"]]["updated_at"] = now

    def _change_view(self, change: Record) -> View:
        return {
            "name": change["name"],
            "delta": change["delta"],
            "quantityAfterChange": change["quantityAfterChange"],
            "item": lambda info: self.views.item(self.store.items[change["item_id"]]),
            "location": lambda info: self.views.location(self.store.locations[change["location_id"]]),
        }

    # ----- customers

    def customer_create(self, info: GraphQLResolveInfo, input: Mapping[str, Any]) -> View:
        errors = self._check_customer(input, None)
        if not any(input.get(k) for k in ("email", "phone", "firstName", "lastName")):
            errors.append(_user_error(None, "A name, phone number, or email address must be present"))
        if errors:
            return {"customer": None, "userErrors": errors}
        record = self.sb._seed_customer({"state": "disabled"})
        self._apply_customer(record, input)
        return {"customer": self.views.customer(record), "userErrors": []}

    def customer_update(self, info: GraphQLResolveInfo, input: Mapping[str, Any]) -> View:
        record = self.store.customers.get(parse_gid(input.get("id"), "Customer") or 0)
        if record is None:
            return {"customer": None, "userErrors": [_user_error(["id"], "Customer does not exist")]}
        errors = self._check_customer(input, record)
        if errors:
            return {"customer": None, "userErrors": errors}
        self._apply_customer(record, input)
        return {"customer": self.views.customer(record), "userErrors": []}

    def _check_customer(self, data: Mapping[str, Any], record: Record | None) -> list[Any]:
        errors = []
        own = record["id"] if record is not None else None
        email = data.get("email")
        if email and not _EMAIL.match(email):
            errors.append(_user_error(["email"], "Email is invalid"))
        elif email and any(c["id"] != own for c in self.store.find("customers", "email", email)):
            errors.append(_user_error(["email"], "Email has already been taken"))
        phone = data.get("phone")
        if phone and any(c["id"] != own and c["phone"] == phone for c in self.store.find("customers", "phone", phone)):
            errors.append(_user_error(["phone"], "Phone has already been taken"))
        return errors

    def _apply_customer(self, record: Record, data: Mapping[str, Any]) -> None:
        for source, target in (
            ("email", "email"),
            ("firstName", "first_name"),
            ("lastName", "last_name"),
            ("phone", "phone"),
            ("note", "note"),
            ("taxExempt", "tax_exempt"),
        ):
            if source in data:
                record[target] = data[source]
        if data.get("tags") is not None:
            record["tags"] = list(data["tags"])
        if data.get("addresses") is not None:
            addresses = [{_ADDRESS_KEYS[k]: v for k, v in a.items() if k in _ADDRESS_KEYS} for a in data["addresses"]]
            record["addresses"] = [self.sb._address(a | {"default": i == 0}) for i, a in enumerate(addresses)]
        record["updated_at"] = self.sb.now()
        self.store.put("customers", record)


# ----- small pure helpers of the mutations


def _bulk(product: View | None, variants: list[View] | None, errors: list[Any]) -> View:
    return {"product": product, "productVariants": variants, "userErrors": errors}


def _slots(variant: Record) -> tuple[str, ...]:
    return tuple(str(variant[k]) for k in ("option1", "option2", "option3") if variant.get(k) is not None)


def _is_standalone(variants: list[Record]) -> bool:
    return len(variants) == 1 and _slots(variants[0]) == ("Default Title",)


def _option_name(option: Mapping[str, Any], product: Record | None) -> str:
    if option.get("name"):
        return str(option["name"])
    number = parse_gid(option.get("id"), "ProductOption")
    known = next((o for o in (product or {}).get("options", []) if o["id"] == number), None)
    return known["name"] if known else ""


def _option_values(option: Mapping[str, Any]) -> list[str]:
    return [str(v.get("name") if isinstance(v, Mapping) else v) for v in option.get("values") or []]


def _check_options(options: list[Any], path: list[Any] | None = None) -> list[Any]:
    base = path or ["input", "productOptions"]
    if len(options) > 3:
        return [_user_error(base, "Can only specify a maximum of 3 options", "OPTIONS_OVER_LIMIT")]
    errors = []
    names = [str(o.get("name") or "").casefold() for o in options]
    for i, option in enumerate(options):
        if names[i] and names.index(names[i]) != i:
            errors.append(
                _user_error(
                    [*base, i, "name"], f"Duplicated option name '{option.get('name')}'.", "DUPLICATED_OPTION_NAME"
                )
            )
        values = _option_values(option)
        if len(set(values)) != len(values):
            errors.append(_user_error([*base, i, "values"], "Duplicated option value.", "DUPLICATED_OPTION_VALUE"))
    return errors


def _combination(
    options: list[Any], chosen: list[Mapping[str, Any]], path: list[Any], partial: bool = False
) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
    """Order a variant's option values by the product's options; report unknown names and values."""
    by_name = {str(o.get("name")): _option_values(o) for o in options}
    picked: dict[str, str] = {}
    errors = []
    for j, value in enumerate(chosen):
        name = value.get("optionName") or _option_by_id(options, value.get("optionId"))
        if name not in by_name:
            errors.append(
                _user_error([*path, "optionValues", j], f"Option '{name}' does not exist.", "OPTION_DOES_NOT_EXIST")
            )
        elif value.get("name") not in by_name[name]:
            errors.append(
                _user_error(
                    [*path, "optionValues", j],
                    f"Option value '{value.get('name')}' does not exist.",
                    "OPTION_VALUE_DOES_NOT_EXIST",
                )
            )
        else:
            picked[name] = str(value["name"])
    if not errors and not partial and len(picked) != len(by_name) and chosen:
        errors.append(
            _user_error([*path, "optionValues"], "Variant must have a value for every option.", "INVALID_VARIANT")
        )
    return tuple(picked.get(name, "") for name in by_name), errors


def _merged_combination(product: Record, variant: Record, chosen: list[Mapping[str, Any]]) -> tuple[str, ...] | None:
    """A variant's option values after a partial update of some of them."""
    if not chosen:
        return None
    current = {o["name"]: variant.get(f"option{o['position']}") for o in product["options"]}
    for value in chosen:
        current[value.get("optionName") or _option_by_id(product["options"], value.get("optionId")) or ""] = value[
            "name"
        ]
    return tuple(str(current[o["name"]]) for o in product["options"])


def _option_by_id(options: list[Any], option_id: Any) -> str | None:
    number = parse_gid(option_id, "ProductOption")
    return next((str(o["name"]) for o in options if o.get("id") == number), None)


def _grown_options(options: list[Record], variants: list[Any], replace: bool) -> list[Record]:
    """Bulk create adds new values to existing options (and, replacing the standalone variant, new options)."""
    grown = [] if replace else [dict(o, values=list(o["values"])) for o in options]
    for data in variants:
        for value in data.get("optionValues") or []:
            name = value.get("optionName") or _option_by_id(options, value.get("optionId"))
            option = next((o for o in grown if o["name"] == name), None)
            if option is None and replace and name:
                option = {"name": name, "values": []}
                grown.append(option)
            if option is not None and value.get("name") and value["name"] not in option["values"]:
                option["values"].append(value["name"])
    return grown


def _price_errors(data: Mapping[str, Any], path: list[Any], code: str) -> list[Any]:
    errors = []
    for key, label in (("price", "Price"), ("compareAtPrice", "Compare at price")):
        if _negative(data.get(key)):
            errors.append(_user_error([*path, key], f"{label} must be greater than or equal to 0", code))
    return errors


def _change_matches(change: Record, filters: Mapping[str, Any]) -> bool:
    names, items, locations = filters.get("quantityNames"), filters.get("inventoryItemIds"), filters.get("locationIds")
    return (
        (names is None or change["name"] in names)
        and (items is None or gid("InventoryItem", change["item_id"]) in items)
        and (locations is None or gid("Location", change["location_id"]) in locations)
    )


# --------------------------------------------------------------------------- calculated query cost

MUTATION_COST = 10
CONNECTION_COST = 2


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any],
    data: Mapping[str, Any] | None = None,
) -> int:
    """Requested cost (``data`` None: connections sized by first/last) or actual cost (sized by ``data``)."""
    if operation.operation == graphql.OperationType.MUTATION:
        return MUTATION_COST * len(_CostWalker(schema, document, variables).fields(operation.selection_set))
    root = schema.query_type
    assert root is not None
    return _CostWalker(schema, document, variables).selection(root, operation.selection_set, data)


class _CostWalker:
    """Scalars and enums 0, objects 1, connections 2 + size × (1 + a node's children)."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any]) -> None:
        self.schema = schema
        self.variables = dict(variables)
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}

    def fields(self, selection_set: SelectionSetNode | None) -> list[FieldNode]:
        found: list[FieldNode] = []
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                found.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                found += self.fields(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value in self.fragments:
                found += self.fields(self.fragments[selection.name.value].selection_set)
        return found

    def selection(self, parent: GraphQLObjectType, selection_set: SelectionSetNode | None, data: Any) -> int:
        total = 0
        for node in self.fields(selection_set):
            definition = parent.fields.get(node.name.value)
            named = graphql.get_named_type(definition.type) if definition else None
            if not isinstance(named, GraphQLObjectType):
                continue
            value = data.get(_key(node)) if isinstance(data, Mapping) else None
            if named.name.endswith("Connection"):
                total += self.connection(named, node, data is not None, value)
            else:
                total += self.object(named, node, data is not None, value)
        return total

    def object(self, named: GraphQLObjectType, node: FieldNode, actual: bool, value: Any) -> int:
        if not actual:
            return 1 + self.selection(named, node.selection_set, None)
        if value is None:
            return 0
        items = value if isinstance(value, list) else [value]
        return 1 + max((self.selection(named, node.selection_set, item) for item in items), default=0)

    def connection(self, named: GraphQLObjectType, node: FieldNode, actual: bool, value: Any) -> int:
        node_type = graphql.get_named_type(named.fields["nodes"].type)
        assert isinstance(node_type, GraphQLObjectType)
        paths = self._node_paths(node)
        if not actual:
            child = max((self.selection(node_type, sel.selection_set, None) for _, sel in paths), default=0)
            return CONNECTION_COST + self._page_size(node) * (1 + child)
        if value is None:
            return 0
        costs = [
            sum(1 + self.selection(node_type, sel.selection_set, item) for item in _items(value, keys))
            for keys, sel in paths
        ]
        return CONNECTION_COST + max(costs, default=0)

    def _node_paths(self, node: FieldNode) -> list[tuple[tuple[str, ...], FieldNode]]:
        paths: list[tuple[tuple[str, ...], FieldNode]] = []
        for child in self.fields(node.selection_set):
            if child.name.value == "nodes":
                paths.append(((_key(child),), child))
            elif child.name.value == "edges":
                paths += [
                    ((_key(child), _key(grand)), grand)
                    for grand in self.fields(child.selection_set)
                    if grand.name.value == "node"
                ]
        return paths

    def _page_size(self, node: FieldNode) -> int:
        for argument in node.arguments or ():
            if argument.name.value in ("first", "last"):
                size = graphql.value_from_ast(argument.value, graphql.GraphQLInt, self.variables)
                if isinstance(size, int):
                    return size
        return 0


def _key(node: FieldNode) -> str:
    return node.alias.value if node.alias else node.name.value


def _items(value: Mapping[str, Any], keys: tuple[str, ...]) -> list[Any]:
    if len(keys) == 1:
        return list(value.get(keys[0]) or [])
    return [edge.get(keys[1]) for edge in value.get(keys[0]) or []]


# --------------------------------------------------------------------------- HTTP


def create_app(
    *,
    token: str = "shpat_demo",
    shop: str = "demo.myshopify.com",
    bucket_size: float | None = 1000,
    restore_rate: float = 50,
    throttle_status: int = 200,
    seed: dict[str, Any] | None = None,
) -> Starlette:
    """The sandbox as an ASGI app; ``app.state.sandbox`` is its :class:`ShopifySandbox`.

    ``bucket_size``/``restore_rate`` model the shop's plan (``bucket_size=None`` lifts throttling);
    ``throttle_status`` is the HTTP status of a THROTTLED answer (200 as Shopify documents, or 429).
    """
    sandbox = ShopifySandbox(
        token=token, shop=shop, bucket_size=bucket_size, restore_rate=restore_rate, throttle_status=throttle_status
    )
    if seed is not None:
        sandbox.seed(seed)

    async def graphql_endpoint(request: Request) -> JSONResponse:
        version = request.path_params["version"]
        if not _VERSION.match(version):
            return JSONResponse({"errors": "Not Found"}, status_code=404)
        headers = {"X-Shopify-API-Version": version}
        if request.headers.get("x-shopify-access-token") != sandbox.token:
            return JSONResponse({"errors": INVALID_TOKEN}, status_code=401, headers=headers)
        body = await _read_body(request)
        if body is None:
            return JSONResponse(
                {"errors": {"query": "Required parameter missing or invalid"}}, status_code=400, headers=headers
            )
        status, payload = await run_in_threadpool(sandbox.execute, body)
        return JSONResponse(payload, status_code=status, headers=headers)

    app = Starlette(
        routes=[Route("/admin/api/{version}/graphql.json", graphql_endpoint, methods=["POST"])],
        middleware=[Middleware(KitMiddleware, kit=sandbox.kit, seed=sandbox.seed, dump=sandbox.dump)],
        exception_handlers={404: _not_found, 405: _not_found},
    )
    app.state.sandbox = sandbox
    return app


async def _read_body(request: Request) -> dict[str, Any] | None:
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/graphql"):
        return {"query": raw.decode("utf-8", "replace")}
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return None
    return body


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"errors": "Not Found"}, status_code=404)
