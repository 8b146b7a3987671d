"""The query root: look-ups by GID and the searchable top-level connections.

``products``, ``productVariants``, ``customers``, ``orders`` and ``locations`` take Shopify's
``query:`` search syntax (https://shopify.dev/docs/api/usage/search-syntax, see :mod:`.search`)
and ``sortKey``/``reverse``; a search field a resource does not support is ignored with a warning
in ``extensions.search``, as Shopify does. Searches that only OR exact ``field:value`` terms on
indexed fields read the store's indexes instead of scanning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import GraphQLResolveInfo

from tradewind.sandboxes.shopify.common import Record, View, parse_gid, variant_title
from tradewind.sandboxes.shopify.mutations import mutation_resolvers
from tradewind.sandboxes.shopify.paging import connection
from tradewind.sandboxes.shopify.search import Field, compile_query, exact_terms
from tradewind.sandboxes.shopify.store import one_value
from tradewind.sandboxes.shopify.views import VARIANT_SORTS, Views, by_id

if TYPE_CHECKING:
    from tradewind.sandboxes.shopify.sandbox import ShopifySandbox


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


def listings(sb: ShopifySandbox, views: Views) -> dict[str, _Listing]:
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
        "created_at": Field(one_value("created_at"), "date"),
        "updated_at": Field(one_value("updated_at"), "date"),
        "id": Field(one_value("id"), "number"),
    }
    products = _Listing(
        records=lambda: sb.store.products.values(),
        fields={
            **stamps,
            "sku": Field(skus),
            "barcode": Field(barcodes),
            "title": Field(one_value("title"), "text"),
            "status": Field(one_value("status")),
            "handle": Field(one_value("handle")),
            "vendor": Field(one_value("vendor"), "text"),
            "product_type": Field(one_value("product_type"), "text"),
            "tag": Field(lambda p: p["tags"]),
        },
        default=Field(lambda p: [p["title"], p["vendor"], p["product_type"], *p["tags"], *skus(p)], "text"),
        sorts={
            "ID": by_id,
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
            "sku": Field(one_value("sku")),
            "barcode": Field(one_value("barcode")),
            "product_id": Field(one_value("product_id"), "number"),
            "title": Field(lambda v: [variant_title(v)], "text"),
        },
        default=Field(lambda v: [v["sku"], v["barcode"], variant_title(v)], "text"),
        sorts=VARIANT_SORTS,
        view=views.variant,
        lookups={"sku": lookup("variants", "sku"), "barcode": lookup("variants", "barcode")},
    )
    customers = _Listing(
        records=lambda: sb.store.customers.values(),
        fields={
            **stamps,
            "email": Field(one_value("email")),
            "phone": Field(one_value("phone")),
            "first_name": Field(one_value("first_name"), "text"),
            "last_name": Field(one_value("last_name"), "text"),
            "state": Field(one_value("state")),
            "tag": Field(lambda c: c["tags"]),
        },
        default=Field(lambda c: [c["first_name"], c["last_name"], c["email"], c["phone"]], "text"),
        sorts={
            "ID": by_id,
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
            "processed_at": Field(one_value("processed_at"), "date"),
            "financial_status": Field(one_value("financial_status")),
            "fulfillment_status": Field(lambda o: [o["fulfillment_status"] or "unfulfilled"]),
            "name": Field(lambda o: [o["name"], o["name"].lstrip("#")]),
            "email": Field(one_value("email")),
            "customer_id": Field(one_value("customer_id"), "number"),
            "tag": Field(lambda o: o["tags"]),
            "sku": Field(lambda o: [li["sku"] for li in o["line_items"]]),
        },
        default=Field(lambda o: [o["name"], o["email"]], "text"),
        sorts={
            "ID": by_id,
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
        fields={"id": Field(one_value("id"), "number"), "name": Field(one_value("name"), "text")},
        default=Field(lambda loc: [loc["name"]], "text"),
        sorts={"ID": by_id, "NAME": lambda loc: loc["name"].casefold()},
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


class Root(dict[str, Any]):
    """Root value: query and mutation fields by name, as the default resolver reads a mapping."""

    def __init__(self, sandbox: ShopifySandbox) -> None:
        super().__init__()
        self.sb = sandbox
        self.views = Views(sandbox)
        for name, listing in listings(sandbox, self.views).items():
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
        self.update(mutation_resolvers(sandbox, self.views))

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

