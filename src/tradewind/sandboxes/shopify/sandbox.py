"""One emulated shop: its state, seeding, dumping and the helpers tests and the demo call.

Records are kept in Shopify's REST shape (https://shopify.dev/docs/api/admin-rest) because seeds
and dumps read best that way; :mod:`.views` turns them into the GraphQL objects of
https://shopify.dev/docs/api/admin-graphql. Every write bumps ``updatedAt`` (inventory writes bump
the variant and product too, as Shopify's ``products/update`` webhooks on stock changes show).

Seed document (``create_app(seed=...)``, ``POST /_sandbox/seed``; ``GET /_sandbox/state`` dumps the
same shape)::

    {"shop": {"name", "email", "currency", "myshopify_domain", "rates": {"USD": "0.92"}},
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
                 "currency", "presentment_currency", "shop_rate", "taxes_included", "customer": {"id"},
                 "billing_address", "shipping_address",
                 "line_items": [{"id", "variant_id", "product_id", "sku", "title", "variant_title",
                                 "vendor", "quantity", "price", "total_discount", "taxable",
                                 "requires_shipping", "tax_lines": [{"title", "rate", "price"}]}],
                 "shipping_lines": [{"id", "title", "code", "source", "price", "discounted_price",
                                     "tax_lines": [...]}],
                 "discount_codes": [{"code", "amount", "type"}], "payment_gateway_names": [...],
                 "transactions": [{"id", "kind", "status", "gateway", "amount", "created_at"}],
                 "note_attributes": [{"name": "vat_number", "value"}],
                 "payment_terms": {"id", "payment_terms_name": "Net 30", "payment_terms_type": "net",
                                   "due_in_days"},
                 "company": {"id", "location_id", "name", "location_name", "tax_registration_id"},
                 "subtotal_price", "total_discounts", "total_shipping_price", "total_tax", "total_price"}]}

Missing ids, timestamps, handles, inventory items and order totals are filled in. An order whose
``presentment_currency`` is not the shop's ``currency`` states its amounts in the presentment currency (as the
customer was charged); ``shop.rates`` (shop currency per unit of a presentment currency) gives its ``shop_rate``. The
``inventory_quantity`` shorthand stocks a variant at the first location.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from tradewind.sandboxes._kit import Kit, LeakyBucket
from tradewind.sandboxes.shopify.common import (
    Record,
    build_schema,
    gid,
    slugify,
    stamp,
    tag_list,
    utcnow,
    variant_title,
)
from tradewind.sandboxes.shopify.execute import execute
from tradewind.sandboxes.shopify.orders import complete_order, dump_customer, dump_order
from tradewind.sandboxes.shopify.store import Store
from tradewind.sandboxes.shopify.webhooks import RETRY_WAITS, Webhooks
from tradewind.sandboxes.shopify_data import random_order

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
        webhook_secret: str = "shpss_demo",
        webhook_retry_waits: Sequence[float] = RETRY_WAITS,
    ) -> None:
        self.token = token
        self.shop_domain = shop
        self.throttle_status = throttle_status
        self.bucket = LeakyBucket(bucket_size, restore_rate) if bucket_size is not None else None
        self.kit = Kit(error_body=lambda status, message: {"errors": message})
        self.schema = build_schema()
        self.lock = threading.RLock()
        self.webhooks = Webhooks(shop=shop, secret=webhook_secret, retry_waits=webhook_retry_waits)
        """Subscriptions survive a re-seed, as an installed app's do."""
        self.clock: Callable[[], datetime] = utcnow
        self.store = Store()
        self.idempotency: dict[str, tuple[str, Any]] = {}
        """Results of ``@idempotent`` mutations by key, with a digest of their arguments."""
        self.seed({})

    # ----- time

    def now(self) -> str:
        return stamp(self.clock())

    # ----- seed and dump

    def seed(self, document: Mapping[str, Any]) -> dict[str, int]:
        """Replace all state with ``document`` (see the module docstring for its shape)."""
        with self.lock:
            self.store = Store()
            self.idempotency = {}
            self._seed_shop(document.get("shop") or {})
            for location in document.get("locations") or [{"name": "Shop location"}]:
                self._add_location(location)
            for product in document.get("products") or []:
                self._seed_product(product)
            for level in document.get("inventory_levels") or []:
                self._seed_level(level)
            for customer in document.get("customers") or []:
                self.seed_customer(customer)
            for order in document.get("orders") or []:
                self.store.put("orders", complete_order(self, dict(order)))
            return {name: len(getattr(self.store, name)) for name in ("locations", "products", "customers", "orders")}

    def _seed_shop(self, shop: Mapping[str, Any]) -> None:
        self.store.shop = {
            "name": shop.get("name", "Demo Shop"),
            "email": shop.get("email", "owner@example.com"),
            "currency": shop.get("currency", "EUR"),
            "myshopify_domain": shop.get("myshopify_domain", self.shop_domain),
            "rates": {str(code): str(rate) for code, rate in (shop.get("rates") or {}).items()},
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
        record = self.new_product(product, now)
        options = product.get("options") or [{"name": "Title", "values": ["Default Title"]}]
        record["options"] = [
            self.option(opt.get("name"), opt.get("values") or [], i + 1) for i, opt in enumerate(options)
        ]
        variants = product.get("variants") or [{"option1": "Default Title"}]
        for position, variant in enumerate(variants, start=1):
            self._seed_variant(record, variant, position)

    def new_product(self, fields: Mapping[str, Any], now: str) -> Record:
        number = self.store.next_id(fields.get("id"))
        title = fields.get("title") or ""
        record = {
            "id": number,
            "title": title,
            "handle": fields.get("handle") or self.free_handle(slugify(title)),
            "body_html": fields.get("body_html") or "",
            "vendor": fields.get("vendor") or self.store.shop.get("name", ""),
            "product_type": fields.get("product_type") or "",
            "status": str(fields.get("status") or "active").lower(),
            "tags": tag_list(fields.get("tags")),
            "created_at": fields.get("created_at") or now,
            "updated_at": fields.get("updated_at") or fields.get("created_at") or now,
            "options": [],
        }
        return self.store.put("products", record)

    def option(self, name: Any, values: Iterable[Any], position: int) -> Record:
        return {"id": self.store.next_id(), "name": str(name), "position": position, "values": [str(v) for v in values]}

    def free_handle(self, base: str, exclude: int | None = None) -> str:
        """``base``, or ``base-1``, ``base-2``… whichever no other product holds."""
        handle, n = base, 0
        while self.store.product_by_handle(handle, exclude) is not None:
            n += 1
            handle = f"{base}-{n}"
        return handle

    def _seed_variant(self, product: Record, variant: Mapping[str, Any], position: int) -> None:
        record = self.new_variant(product, variant, position, variant.get("created_at") or product["created_at"])
        record["updated_at"] = variant.get("updated_at") or product["updated_at"]
        quantity = variant.get("inventory_quantity")
        locations = self.store.active_locations()
        if quantity is not None and locations:
            self.store.levels[(record["inventory_item_id"], locations[0]["id"])].update(
                available=int(quantity), on_hand=int(quantity)
            )

    def new_variant(self, product: Record, fields: Mapping[str, Any], position: int, now: str) -> Record:
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
            self.stock_level(item_id, location["id"], now)
        return record

    def stock_level(self, item_id: int, location_id: int, now: str) -> Record:
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
        record = self.stock_level(int(item_id), location_id, self.now())
        available = int(level.get("available", 0))
        record.update(available=available, on_hand=int(level.get("on_hand", available)))
        if level.get("updated_at"):
            record["updated_at"] = level["updated_at"]

    def seed_customer(self, customer: Mapping[str, Any]) -> Record:
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
            "tags": tag_list(customer.get("tags")),
            "state": str(customer.get("state") or "disabled").lower(),
            "created_at": customer.get("created_at") or now,
            "updated_at": customer.get("updated_at") or customer.get("created_at") or now,
            "addresses": [],
        }
        record["addresses"] = [self.address(a) for a in customer.get("addresses") or []]
        if record["addresses"] and not any(a["default"] for a in record["addresses"]):
            record["addresses"][0]["default"] = True
        return self.store.put("customers", record)

    def address(self, address: Mapping[str, Any] | None) -> Record:
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
            record = self.store.put("orders", complete_order(self, dict(order)))
            self.announce("orders/create", record)
            return record

    def update_order(self, number: int, **fields: Any) -> Record:
        """Change an order as the merchant would in the admin (bumps ``updated_at``, sends ``orders/updated``)."""
        with self.lock:
            record = self.store.orders[number]
            record.update(fields, updated_at=self.now())
            self.store.put("orders", record)
            self.announce("orders/updated", record)
            return record

    def announce(self, topic: str, record: Record) -> None:
        """Send ``topic``'s webhooks for ``record`` (a stored order, product or inventory level) in the
        REST shape with ``admin_graphql_api_id`` (https://shopify.dev/docs/api/webhooks)."""
        with self.lock:
            if topic.startswith("orders/"):
                body = {**dump_order(record), "admin_graphql_api_id": gid("Order", record["id"])}
            elif topic.startswith("products/"):
                body = {**self._dump_product(record), "admin_graphql_api_id": gid("Product", record["id"])}
            else:
                body = {key: record[key] for key in ("inventory_item_id", "location_id", "available", "updated_at")}
                body["admin_graphql_api_id"] = (f"gid://shopify/InventoryLevel/{record['location_id']}"
                                                f"?inventory_item_id={record['inventory_item_id']}")
            self.webhooks.emit(topic, body, self.now())

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
                "customers": [dump_customer(c) for c in store.customers.values()],
                "orders": [dump_order(o) for o in store.orders.values()],
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
        out["title"] = variant_title(variant)
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

    def execute(self, body: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        """Run one GraphQL request; returns (HTTP status, JSON body). See :mod:`.execute`."""
        return execute(self, body)
