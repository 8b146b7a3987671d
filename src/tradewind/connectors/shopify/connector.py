"""Shopify (Admin GraphQL API): products, prices, stock, customers and orders of one shop.

Calls per resource (N records, first sync / incremental):

* products — read: N/25 pages; write: one ``productSet`` per product (create is an upsert by
  handle, so a create retried after a crash never duplicates); lookups: one search per 50 terms
  (each product's variant SKUs and its handle, OR-ed), so products of V variants cost about
  N·(V+1)/50 searches.
* prices — one price per variant (price list ``default`` only); lookups N/50 searches by SKU,
  writes one ``productVariantsBulkUpdate`` per product touched.
* stock — lookups N/50 searches by SKU per location; writes one ``inventorySetQuantities`` per
  250 levels, under compare-and-swap (:mod:`.stock`): levels not looked up in the run are read
  first (N/50 searches), and a level that moved meanwhile is read again and sent once more.
* customers — read N/50 pages; lookups N/50 searches by e-mail; one call per write.
* orders — read N/5 pages (lines come along); read-only.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

from pydantic import Field, field_validator

from tradewind.connectors import connector
from tradewind.connectors.base import (
    Ambiguous,
    ConnectionOptions,
    Connector,
    Found,
    NativeRecord,
    Page,
    Resource,
    SecretRef,
    UpdatedSince,
    Write,
    WriteResult,
)
from tradewind.connectors.pacing import CostBucket, shared_budget
from tradewind.connectors.shopify import codec, queries, stock
from tradewind.connectors.shopify.client import (
    ShopifyClient,
    any_of,
    dig,
    search_value,
    since_query,
    user_errors,
)
from tradewind.errors import ConfigError, RecordError, RejectedByTarget
from tradewind.model import Customer, Order, Price, Product, StockLevel


class ShopifyOptions(ConnectionOptions):
    """How to reach one Shopify shop and how to file what tradewind writes there."""

    shop: str = Field(description="The shop's myshopify.com domain", examples=["demo.myshopify.com"])
    base_url: str | None = Field(
        default=None, description="Override of https://{shop} (a sandbox or a proxy); leave empty for Shopify",
        examples=["http://127.0.0.1:8001"],
        pattern=r"^https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:[0-9]{1,5})?(/[^\s?#]*)?$",
    )
    api_version: str = Field(default="2026-07", description="Admin API version (YYYY-MM)", examples=["2026-07"],
                             pattern=r"^([0-9]{4}-[0-9]{2}|unstable)$")
    token: SecretRef = Field(
        description="Admin API access token of the app installed on the shop (sent as X-Shopify-Access-Token)",
        examples=["${SHOPIFY_TOKEN}"],
    )
    locations: dict[str, str] = Field(
        default_factory=dict,
        description="Source warehouse/location code → Shopify location name or GID; empty puts every code on "
                    "the shop's first active location",
        examples=[{"MAIN": "Amsterdam warehouse", "STORE": "gid://shopify/Location/2"}],
    )
    default_currency: str = Field(
        default="EUR", description="The shop's currency (Shopify's variant prices carry none)", examples=["EUR"],
    )
    publish: bool = Field(
        default=True,
        description="New products go live (status ACTIVE); false creates them as DRAFT for the merchant to "
                    "review, and tradewind then never activates a product by itself",
        examples=[True],
    )
    vendor: str | None = Field(
        default=None, description="Vendor for products whose source names none", examples=["Acme"],
    )
    taxes_included: bool | None = Field(
        default=None,
        description="Whether the shop's prices include tax (Settings → Taxes and duties); empty reads the shop's "
                    "taxesIncluded setting once per connection",
        examples=[True],
    )

    @field_validator("shop")
    @classmethod
    def _host(cls, value: str) -> str:
        host = value.strip().lower().removeprefix("https://").removeprefix("http://").strip("/")
        if not host or "/" in host:
            raise ValueError(f"{value!r} is not a shop domain such as demo.myshopify.com")
        return host


def _last_version(records: list[NativeRecord]) -> str | None:
    return records[-1].version if records else None


class _FindByBatch(Resource[Any]):
    """Shared ``find`` (one-element ``find_many``) so both always agree."""

    def find(self, client: Any, keys: Mapping[str, str]) -> Found:
        return self.find_many(client, [keys])[0]

    def from_api(self, raw: Any, options: ConnectionOptions) -> dict[str, Any]:
        """A node as the Admin GraphQL API answers the connector's query (``queries.py``): the node
        itself or the whole answer (``{"data": {"order": {...}}}``); connections as ``nodes`` or ``edges``."""
        return super().from_api(api_node(raw), options)


def api_node(raw: Any) -> Any:
    """The one node of a GraphQL answer, its connections' ``edges: [{node}]`` read as ``nodes``."""
    if isinstance(raw, dict) and isinstance(raw.get("data"), dict) and len(raw["data"]) == 1:
        raw = _only_node(next(iter(raw["data"].values())))
    return _nodes(raw)


def _only_node(answer: Any) -> Any:
    """The node of ``{"nodes": [node]}`` or ``{"edges": [{"node": node}]}`` (a list query), or the node."""
    if not isinstance(answer, dict) or not {"nodes", "edges"} & answer.keys():
        return answer
    many = answer.get("nodes") or [edge.get("node") for edge in answer.get("edges") or []]
    if len(many) != 1:
        raise RecordError(f"give one node, as Shopify answers it; the answer holds {len(many)}")
    return many[0]


def _nodes(value: Any) -> Any:
    if isinstance(value, list):
        return [_nodes(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "edges" in value and "nodes" not in value:
        value = {**{k: v for k, v in value.items() if k != "edges"},
                 "nodes": [edge.get("node") for edge in value["edges"] or []]}
    return {k: _nodes(v) for k, v in value.items()}


def one_of(records: Iterable[NativeRecord]) -> Found:
    """The one record a natural key matched, None for none; several are :class:`Ambiguous`, naming
    their ids: a shop may hold one SKU (or e-mail, or order name) twice, and picking one would
    write to a record chosen by chance."""
    unique = {record.id: record for record in records}
    if len(unique) > 1:
        return Ambiguous(tuple(sorted(unique)))
    return next(iter(unique.values()), None)


class _NotReadable(_FindByBatch):
    def pages(self, client: Any, since: str | None) -> Iterator[Page]:
        raise ConfigError(f"Shopify {self.name} cannot be read as a source", hint="read products instead")


def _batches(values: Sequence[str], size: int) -> Iterator[list[str]]:
    unique = list(dict.fromkeys(values))
    for start in range(0, len(unique), size):
        yield unique[start:start + size]


# -- products -----------------------------------------------------------------------------------


SKUS = "skus"
"""A product's look-up key holding its variants' SKUs (a JSON list), searched before its handle."""


class ProductsResource(_FindByBatch):
    """Products with variants, keyed by handle (the slugified product key) and found by their
    variants' SKUs first: a product the shop already holds under another handle is that product,
    not one to create again."""

    def natural_keys_of(self, entity: Product) -> dict[str, str]:
        """``{"skus": '["A-1", "A-2"]', "key": "a"}``: what :meth:`find_many` looks the product up by."""
        keys = super().natural_keys_of(entity)
        return {SKUS: json.dumps([variant.sku for variant in entity.variants]), **keys}

    def natural_key(self, entity: Product) -> str:
        """The product key alone (``key=a``), as bindings store it: its variants come and go."""
        return ",".join(f"{k}={v}" for k, v in super().natural_keys_of(entity).items())

    def from_api(self, raw: Any, options: ConnectionOptions) -> dict[str, Any]:
        """A product node; its prices are in the connection's ``default_currency``, as on reading."""
        node = super().from_api(raw, options)
        assert isinstance(options, ShopifyOptions)
        node.setdefault(codec.CURRENCY, options.default_currency.upper())
        return node

    def record(self, client: ShopifyClient, node: dict[str, Any]) -> NativeRecord:
        client.complete(node, "variants", queries.PRODUCT_VARIANTS_REST, "product.variants")
        node[codec.CURRENCY] = client.currency
        return NativeRecord(id=node["id"], data=node, version=node.get("updatedAt"))

    def pages(self, client: ShopifyClient, since: str | None) -> Iterator[Page]:
        for nodes in client.paginate(queries.PRODUCTS, {"query": since_query(since)}, "products",
                                     queries.PRODUCTS_PAGE):
            records = [self.record(client, node) for node in nodes]
            yield Page(records, cursor=_last_version(records))

    def find_many(self, client: ShopifyClient, keys: Sequence[Mapping[str, str]]) -> list[Found]:
        """By SKUs (``skus``, or one ``sku`` as a reference names it), then by handle (``key``), in
        searches OR-ing 50 terms: a first sync costs about N·(V+1)/50 calls, not one per product."""
        wanted = [_ProductKeys.of(k) for k in keys]
        terms = list(dict.fromkeys(term for w in wanted for term in w.terms()))
        found = _ProductsFound(skus={s for w in wanted for s in w.skus}, handles={w.handle for w in wanted if w.handle})
        for start in range(0, len(terms), queries.KEYS_PER_LOOKUP):
            query = " OR ".join(f"{name}:{search_value(value)}"
                                for name, value in terms[start:start + queries.KEYS_PER_LOOKUP])
            for nodes in client.paginate(queries.PRODUCTS, {"query": query}, "products", queries.PRODUCTS_PAGE):
                for node in nodes:
                    if node["id"] not in found.records and found.may_hold(node):
                        found.add(self.record(client, node))
        return [found.answer(w) for w in wanted]

    def create(self, client: ShopifyClient, native: dict[str, Any]) -> NativeRecord:
        product = _product_input(client, native, creating=True)
        return self._set(client, {"handle": product["handle"]}, product)

    def update(self, client: ShopifyClient, native_id: str, native: dict[str, Any]) -> NativeRecord:
        return self._set(client, {"id": native_id}, _product_input(client, native, creating=False))

    def _set(self, client: ShopifyClient, identifier: dict[str, str], product: dict[str, Any]) -> NativeRecord:
        try:
            payload = client.mutate(queries.PRODUCT_SET, {"identifier": identifier, "input": product}, "productSet",
                                    idempotent=True)  # an upsert by handle or id
        except RejectedByTarget as error:
            error.record = product.get("handle")
            raise
        return self.record(client, payload["product"])


@dataclass(frozen=True)
class _ProductKeys:
    """One product's look-up keys: its SKUs and its handle."""

    skus: tuple[str, ...]
    handle: str | None

    @classmethod
    def of(cls, keys: Mapping[str, str]) -> _ProductKeys:
        skus = [str(s).strip() for s in json.loads(keys[SKUS])] if keys.get(SKUS) else []
        if keys.get("sku"):
            skus.append(keys["sku"].strip())
        return cls(skus=tuple(dict.fromkeys(s for s in skus if s)), handle=_handle_or_none(keys.get("key")))

    def terms(self) -> list[tuple[str, str]]:
        """Search terms, SKUs first; kept together so one search mostly answers one product."""
        return [("sku", s) for s in self.skus] + ([("handle", self.handle)] if self.handle else [])


@dataclass
class _ProductsFound:
    """Products found by a batch of searches, and their ids by wanted SKU and wanted handle.

    Shopify's search is fuzzy, so only exact SKUs and handles count; a shop may hold one SKU on
    several products (Shopify allows it), so a SKU maps to a set of products."""

    skus: set[str]
    handles: set[str]
    records: dict[str, NativeRecord] = field(default_factory=dict)
    by_sku: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_handle: dict[str, str] = field(default_factory=dict)

    def may_hold(self, node: Mapping[str, Any]) -> bool:
        """Whether a product answered may hold a wanted key (its further variants may)."""
        variants = node.get("variants") or {}
        return (node.get("handle") in self.handles or bool(dig(variants, "pageInfo.hasNextPage"))
                or any(_sku(v) in self.skus for v in variants.get("nodes") or []))

    def add(self, record: NativeRecord) -> None:
        held = [s for s in (_sku(v) for v in dig(record.data, "variants.nodes") or []) if s in self.skus]
        handle = record.data.get("handle")
        if held or handle in self.handles:
            self.records[record.id] = record
        for sku in held:
            self.by_sku[sku].add(record.id)
        if handle in self.handles:
            self.by_handle[handle] = record.id

    def answer(self, wanted: _ProductKeys) -> Found:
        """The product holding the SKUs (under any handle), else the one with the handle. SKUs on
        several products, or SKUs on one and the handle on another, are :class:`Ambiguous`."""
        ids = {product for sku in wanted.skus for product in self.by_sku.get(sku, ())}
        if wanted.handle in self.by_handle:
            ids.add(self.by_handle[wanted.handle])
        if len(ids) > 1:
            return Ambiguous(tuple(sorted(ids)))
        return self.records[ids.pop()] if ids else None


def _sku(variant: Mapping[str, Any]) -> str:
    return str(variant.get("sku") or "").strip()


def _handle_or_none(key: str | None) -> str | None:
    try:
        return codec.slugify(key) if key else None
    except RecordError:
        return None


def _product_input(client: ShopifyClient, native: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """The codec's ProductSetInput with the connection's options applied (currency, status, vendor)."""
    product = dict(native)
    currency = product.pop(codec.CURRENCY, client.currency)
    if currency != client.currency:
        raise RecordError(f"prices are in {currency} but the shop sells in {client.currency}",
                          field="variants.price", record=product.get("handle"))
    _variant_prices_for_shop(client, product, currency)
    if not client.publish and product.get("status") == "ACTIVE":
        if creating:
            product["status"] = "DRAFT"
        else:
            product.pop("status")
    if creating and not product.get("vendor") and client.vendor:
        product["vendor"] = client.vendor
    return product


def _variant_prices_for_shop(client: ShopifyClient, product: dict[str, Any], currency: str) -> None:
    """Variant prices converted to the shop's ``taxesIncluded`` basis (net ERP, gross shop)."""
    includes_vat = product.pop(codec.PRICES_INCLUDE_VAT, None)
    rate = product.pop(codec.VAT_RATE, None)
    if includes_vat is None:
        return  # the source does not say: the prices are the shop's
    taxes_included = bool(shop_settings(client).get("taxesIncluded"))
    if bool(includes_vat) == taxes_included:
        return
    for index, variant in enumerate(product.get("variants") or []):
        for name in ("price", "compareAtPrice"):
            if variant.get(name) is not None:
                variant[name] = codec.amount_for_shop(
                    variant[name], currency, includes_vat=includes_vat, vat_rate=rate, taxes_included=taxes_included,
                    record=product.get("handle"), field=f"variants[{index}].{name}")


# -- variants by SKU (prices and stock) ---------------------------------------------------------


def variants_by_sku(client: ShopifyClient, skus: Sequence[str], document: str = queries.VARIANTS_BY_SKU,
                    **variables: Any) -> dict[str, list[dict[str, Any]]]:
    """SKU → every variant holding it exactly (Shopify's search is fuzzy, and Shopify allows one SKU
    on several variants), in searches of 50 SKUs."""
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for batch in _batches([s for s in skus if s], queries.KEYS_PER_LOOKUP):
        wanted = set(batch)
        for page in client.paginate(document, {**variables, "query": any_of("sku", batch)}, "productVariants",
                                    len(batch)):
            for node in page:
                if _sku(node) in wanted and all(n["id"] != node["id"] for n in found[_sku(node)]):
                    found[_sku(node)].append(node)
    return found


def shop_settings(client: ShopifyClient) -> dict[str, Any]:
    """The shop's currency and ``taxesIncluded``, read once per connection unless configured."""
    if client.taxes_included is not None:
        return {"currencyCode": client.currency, "taxesIncluded": client.taxes_included}
    if "shop" not in client.cache:
        shop = client.execute(queries.SHOP)["shop"]
        if shop.get("currencyCode") != client.currency:
            raise ConfigError(f"the shop sells in {shop.get('currencyCode')} but default_currency is {client.currency}",
                              hint=f"set default_currency: {shop.get('currencyCode')}")
        client.cache["shop"] = shop
    return dict(client.cache["shop"])


# -- prices -------------------------------------------------------------------------------------


class PricesResource(_NotReadable):
    """The price of each variant. Shopify shows one price per variant: only the ``default`` price
    list is meaningful, and a price's ``includes_vat`` is converted to the shop's ``taxesIncluded``
    setting with ``rules.tax`` (which needs the price's ``vat_rate`` when they differ)."""

    def record(self, client: ShopifyClient, node: dict[str, Any]) -> NativeRecord:
        """Native id ``<variantGID>|<productGID>``: a bound price is written without a look-up
        (``productVariantsBulkUpdate`` needs the product)."""
        shop = shop_settings(client)
        data = {**node, codec.CURRENCY: client.currency, codec.TAXES_INCLUDED: shop.get("taxesIncluded")}
        product = dig(node, "product.id")
        return NativeRecord(id=f"{node['id']}|{product}" if product else str(node["id"]), data=data)

    def find_many(self, client: ShopifyClient, keys: Sequence[Mapping[str, str]]) -> list[Found]:
        """By SKU; a SKU on several variants is :class:`Ambiguous`, naming the price ids."""
        found = variants_by_sku(client, [k.get("sku", "") for k in keys])
        return [one_of(self.record(client, node) for node in found.get(k.get("sku", ""), [])) for k in keys]

    def holds(self, found: NativeRecord, native: dict[str, Any]) -> bool:
        """The variant's price already equals the amount a write would store."""
        try:
            wanted = codec.price_for_shop(native, taxes_included=bool(found.data.get(codec.TAXES_INCLUDED)),
                                          currency=str(found.data.get(codec.CURRENCY)))
        except RecordError:
            return False  # the write reports it
        return _same_amount(found.data.get("price"), wanted)

    def create(self, client: ShopifyClient, native: dict[str, Any]) -> NativeRecord:
        sku = native.get("sku")
        raise RecordError(f"no variant with SKU {sku} in the shop — sync products first", field="sku", record=sku)

    def update(self, client: ShopifyClient, native_id: str, native: dict[str, Any]) -> NativeRecord:
        return _single(self.write_many(client, [Write(native=native, native_id=native_id)]))

    def write_many(self, client: ShopifyClient, writes: Sequence[Write]) -> list[WriteResult]:
        results: list[WriteResult | None] = [None] * len(writes)
        groups = self._by_product(client, writes, results)
        for product_id, members in groups.items():
            self._write_product(client, product_id, members, writes, results)
        return [r or WriteResult(error=RecordError("not written")) for r in results]

    def _by_product(self, client: ShopifyClient, writes: Sequence[Write],
                    results: list[WriteResult | None]) -> dict[str, list[tuple[int, str]]]:
        """Group writes by product: ``product id → [(write index, amount)]``; refusals filled in."""
        shop = shop_settings(client)
        index: dict[str, str] = client.cache.setdefault("product_of_variant", {})
        unknown = [w.native.get("sku", "") for w in writes if w.native_id and _product(w, index) is None]
        if unknown:  # ids bound before they carried their product
            found = variants_by_sku(client, unknown)
            index.update({n["id"]: dig(n, "product.id") for nodes in found.values() for n in nodes})
        groups: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for i, write in enumerate(writes):
            try:
                product = _product(write, index) if write.native_id else None
                if product is None:
                    self.create(client, write.native)
                amount = codec.price_for_shop(write.native, taxes_included=bool(shop.get("taxesIncluded")),
                                              currency=client.currency)
                groups[str(product)].append((i, amount))
            except RecordError as error:
                results[i] = WriteResult(error=error)
        return groups

    def _write_product(self, client: ShopifyClient, product_id: str, members: list[tuple[int, str]],
                       writes: Sequence[Write], results: list[WriteResult | None]) -> None:
        variants = [{"id": _variant(writes[i]), "price": amount} for i, amount in members]
        data = client.execute(queries.VARIANTS_BULK_UPDATE, {"productId": product_id, "variants": variants},
                              idempotent=True)  # sets prices
        payload = data.get("productVariantsBulkUpdate") or {}
        failed = _refusals(payload, "variants", len(members))
        saved = {v["id"]: v for v in payload.get("productVariants") or []}
        for position, (i, _amount) in enumerate(members):
            write, error = writes[i], failed.get(position)
            if error is None and _variant(write) in saved:
                results[i] = WriteResult(record=self.record(client, saved[_variant(write)]))
            else:
                results[i] = WriteResult(error=_for(error or RecordError("Shopify did not confirm the price"), write))


def _variant(write: Write) -> str:
    """The variant GID of a price write (its native id, less the product GID after ``|``)."""
    return str(write.native_id or "").partition("|")[0]


def _product(write: Write, index: Mapping[str, str]) -> str | None:
    """The product GID of a price write: from its native id, else from variants looked up."""
    variant, _, product = str(write.native_id or "").partition("|")
    return product or index.get(variant)


def _same_amount(current: Any, wanted: str) -> bool:
    try:
        return current is not None and Decimal(str(current)) == Decimal(wanted)
    except InvalidOperation:
        return False


def _refusals(payload: Mapping[str, Any], list_field: str, size: int) -> dict[int, RecordError]:
    """``userErrors`` by index into the mutation's list (``["variants", "2", "price"]``); an error
    without an index refuses every entry."""
    refused: dict[int, RecordError] = {}
    for error, raw in zip(user_errors(payload), payload.get("userErrors") or [], strict=True):
        path = [str(p) for p in raw.get("field") or []]
        position = next((int(p) for p in path[path.index(list_field) + 1:][:1] if p.isdigit()), None) \
            if list_field in path else None
        for target in [position] if position is not None else range(size):
            refused.setdefault(target, error)
    return refused


def _for(error: RecordError, write: Write) -> RecordError:
    error.record = error.record or write.key or write.native.get("sku")
    return error


def _single(results: list[WriteResult]) -> NativeRecord:
    result = results[0]
    if result.error is not None:
        raise result.error
    if result.record is None:
        raise RecordError("Shopify did not confirm the write")
    return result.record


# -- stock --------------------------------------------------------------------------------------


def location_id(client: ShopifyClient, code: str) -> str:
    """A source location code as a Shopify location GID (locations read once per connection)."""
    if "locations" not in client.cache:
        nodes: list[dict[str, Any]] = []
        for page in client.paginate(queries.LOCATIONS, {}, "locations", queries.PAGE_MAX):
            nodes.extend(page)
        client.cache["locations"] = [n for n in nodes if n.get("isActive", True)]
    active: list[dict[str, Any]] = client.cache["locations"]
    if not active:
        raise ConfigError("the shop has no active location to hold stock")
    if not client.locations:
        return str(active[0]["id"])
    wanted = client.locations.get(code)
    if wanted is None:
        raise RecordError(f"location {code!r} is not in the connection's locations option", field="location")
    for location in active:
        if wanted in (location["id"], location["name"]):
            return str(location["id"])
    names = ", ".join(sorted(str(n["name"]) for n in active))
    raise ConfigError(f"no active Shopify location {wanted!r} (for code {code!r})", hint=f"known locations: {names}")


class StockResource(_NotReadable):
    """``available`` quantities per SKU and location; native id ``<inventoryItemGID>|<locationGID>``."""

    def find_many(self, client: ShopifyClient, keys: Sequence[Mapping[str, str]]) -> list[Found]:
        """By SKU per location; a SKU on several variants is :class:`Ambiguous`, naming the level ids."""
        by_location: dict[str, list[str]] = defaultdict(list)
        for key in keys:
            by_location[key.get("location") or "default"].append(key.get("sku", ""))
        found: dict[tuple[str, str], Found] = {}
        for code, skus in by_location.items():
            try:
                location = location_id(client, code)
            except RecordError:
                continue
            nodes = variants_by_sku(client, skus, queries.STOCK_BY_SKU, locationId=location)
            found.update({(sku, code): one_of(_stock_record(n, code, location) for n in held)
                          for sku, held in nodes.items()})
        for record in found.values():
            if isinstance(record, NativeRecord):
                stock.remember(client, record)  # what a write compares against
        return [found.get((k.get("sku", ""), k.get("location") or "default")) for k in keys]

    def holds(self, found: NativeRecord, native: dict[str, Any]) -> bool:
        """The level's ``available`` quantity already equals the one a write would set."""
        available = {q.get("name"): q.get("quantity") for q in found.data.get("quantities") or []}.get("available")
        return available is not None and int(available) == int(native["quantity"])

    def create(self, client: ShopifyClient, native: dict[str, Any]) -> NativeRecord:
        sku, code = str(native.get("sku")), str(native.get("location") or "default")
        location_id(client, code)
        found = self.find(client, {"sku": sku, "location": code})
        if found is None:
            raise RecordError(f"no variant with SKU {sku} in the shop — sync products first", field="sku", record=sku)
        if isinstance(found, Ambiguous):
            raise RecordError(f"SKU {sku} matches several records in the shop: {', '.join(found.candidates)}; "
                              "it never picks one", field="sku", record=sku)
        return self.update(client, found.id, native)

    def update(self, client: ShopifyClient, native_id: str, native: dict[str, Any]) -> NativeRecord:
        return _single(self.write_many(client, [Write(native=native, native_id=native_id)]))

    def write_many(self, client: ShopifyClient, writes: Sequence[Write]) -> list[WriteResult]:
        results: list[WriteResult | None] = [None] * len(writes)
        pending = []
        for i, write in enumerate(writes):
            if write.native_id is None:
                results[i] = self._create_one(client, write)
            else:
                pending.append(i)
        for start in range(0, len(pending), queries.STOCK_PER_MUTATION):
            self._set(client, writes, pending[start:start + queries.STOCK_PER_MUTATION], results)
        return [r or WriteResult(error=RecordError("not written")) for r in results]

    def _create_one(self, client: ShopifyClient, write: Write) -> WriteResult:
        try:
            return WriteResult(record=self.create(client, write.native))
        except RecordError as error:
            return WriteResult(error=_for(error, write))

    def _set(self, client: ShopifyClient, writes: Sequence[Write], members: list[int],
             results: list[WriteResult | None]) -> None:
        """``inventorySetQuantities`` under compare-and-swap (:mod:`.stock`): refused entries fail
        alone and the rest is sent again; levels that moved meanwhile are read again, once."""
        members = self._read_current(client, writes, members, results, only_unknown=True)
        retried: set[str] = set()
        while members:
            last = {str(writes[i].native_id): i for i in members}  # one quantity per item/location pair
            order = list(last.values())
            ids = [str(writes[i].native_id) for i in order]
            quantities = [stock.quantity(writes[i], stock.known(client)[ids[p]]) for p, i in enumerate(order)]
            payload = stock.set_quantities(client, quantities)
            refused = _refusals(payload, "quantities", len(order))
            if not refused:
                stock.wrote(client, quantities)
                for i in members:
                    results[i] = WriteResult(record=_written_stock(writes[i]))
                return
            moved = {ids[p] for p in stock.stale_positions(payload)} - retried
            retried |= moved
            bad = {ids[p] for p in refused} - moved
            for position, error in refused.items():
                for i in members:
                    if ids[position] in bad and str(writes[i].native_id) == ids[position]:
                        results[i] = WriteResult(error=_for(RecordError(error.message, field=error.field), writes[i]))
            members = [i for i in members if str(writes[i].native_id) not in bad]
            members = self._read_current(client, writes, members, results, only={*moved})

    def _read_current(self, client: ShopifyClient, writes: Sequence[Write], members: list[int],
                      results: list[WriteResult | None], *, only_unknown: bool = False,
                      only: set[str] | None = None) -> list[int]:
        """Read the levels a write must compare against (those not known yet, or ``only`` these);
        a level the shop no longer shows under its SKU fails its write. Returns the members left."""
        levels = stock.known(client)
        wanted = [i for i in members if (only_unknown and str(writes[i].native_id) not in levels)
                  or (only is not None and str(writes[i].native_id) in only)]
        if not wanted:
            return members
        for i in wanted:
            levels.pop(str(writes[i].native_id), None)
        self.find_many(client, [{"sku": str(writes[i].native.get("sku") or ""),
                                 "location": str(writes[i].native.get("location") or "default")} for i in wanted])
        for i in wanted:
            if str(writes[i].native_id) not in levels:
                results[i] = WriteResult(error=_for(RecordError(
                    f"stock level {writes[i].native_id} is not found by SKU {writes[i].native.get('sku')} at "
                    f"{writes[i].native.get('location') or 'the default location'} to compare against; not written",
                    field="sku"), writes[i]))
        return [i for i in members if results[i] is None]


def _stock_record(node: Mapping[str, Any], code: str, location: str) -> NativeRecord:
    item = str(dig(node, "inventoryItem.id"))
    quantities = dig(node, "inventoryItem.inventoryLevel.quantities") or []
    data = {"sku": node.get("sku"), "location": code, "inventoryItemId": item, "locationId": location,
            "quantities": quantities}
    return NativeRecord(id=f"{item}|{location}", data=data)


def _written_stock(write: Write) -> NativeRecord:
    item, _, location = str(write.native_id).partition("|")
    data = {"sku": write.native.get("sku"), "location": write.native.get("location"), "inventoryItemId": item,
            "locationId": location, "quantities": [{"name": "available", "quantity": write.native["quantity"]}]}
    return NativeRecord(id=str(write.native_id), data=data)


# -- customers ----------------------------------------------------------------------------------


class CustomersResource(_FindByBatch):
    """Customers keyed by e-mail address."""

    def pages(self, client: ShopifyClient, since: str | None) -> Iterator[Page]:
        for nodes in client.paginate(queries.CUSTOMERS, {"query": since_query(since)}, "customers",
                                     queries.CUSTOMERS_PAGE):
            records = [_customer_record(node) for node in nodes]
            yield Page(records, cursor=_last_version(records))

    def find_many(self, client: ShopifyClient, keys: Sequence[Mapping[str, str]]) -> list[Found]:
        """By e-mail (case-insensitive); several customers with one address are :class:`Ambiguous`."""
        emails = [(k.get("email") or "").strip().lower() for k in keys]
        found: dict[str, list[NativeRecord]] = defaultdict(list)
        for batch in _batches([e for e in emails if e], queries.KEYS_PER_LOOKUP):
            for nodes in client.paginate(queries.CUSTOMERS, {"query": any_of("email", batch)}, "customers",
                                         len(batch)):
                for node in nodes:
                    email = (dig(node, "defaultEmailAddress.emailAddress") or "").strip().lower()
                    if email in batch:
                        found[email].append(_customer_record(node))
        return [one_of(found.get(e, [])) if e else None for e in emails]

    def create(self, client: ShopifyClient, native: dict[str, Any]) -> NativeRecord:
        payload = _keyed(lambda: client.mutate(queries.CUSTOMER_CREATE, {"input": native}, "customerCreate"),
                         native.get("email"))
        return _customer_record(payload["customer"])

    def update(self, client: ShopifyClient, native_id: str, native: dict[str, Any]) -> NativeRecord:
        variables = {"input": {**native, "id": native_id}}
        payload = _keyed(lambda: client.mutate(queries.CUSTOMER_UPDATE, variables, "customerUpdate", idempotent=True),
                         native.get("email"))
        return _customer_record(payload["customer"])


def _keyed(call: Any, key: str | None) -> dict[str, Any]:
    try:
        result: dict[str, Any] = call()
    except RejectedByTarget as error:
        error.record = error.record or key
        raise
    return result


def _customer_record(node: dict[str, Any]) -> NativeRecord:
    return NativeRecord(id=node["id"], data=node, version=node.get("updatedAt"))


# -- orders -------------------------------------------------------------------------------------


class OrdersResource(_FindByBatch):
    """Orders keyed by their name (``#1001``); each page's cursor is its last order's ``updatedAt``."""

    def record(self, client: ShopifyClient, node: dict[str, Any]) -> NativeRecord:
        client.complete(node, "lineItems", queries.ORDER_LINES_REST, "order.lineItems")
        return NativeRecord(id=node["id"], data=node, version=node.get("updatedAt"))

    def pages(self, client: ShopifyClient, since: str | None) -> Iterator[Page]:
        for nodes in client.paginate(queries.ORDERS, {"query": since_query(since)}, "orders", queries.ORDERS_PAGE):
            records = [self.record(client, node) for node in nodes]
            yield Page(records, cursor=_last_version(records))

    def find_many(self, client: ShopifyClient, keys: Sequence[Mapping[str, str]]) -> list[Found]:
        """By name (``#1001``); several orders with one name are :class:`Ambiguous`."""
        numbers = [k.get("number") or "" for k in keys]
        found: dict[str, list[NativeRecord]] = defaultdict(list)
        for batch in _batches([n for n in numbers if n], queries.ORDERS_PAGE):
            for nodes in client.paginate(queries.ORDERS, {"query": any_of("name", batch)}, "orders", len(batch)):
                for node in nodes:
                    if node.get("name") in batch:
                        found[node["name"]].append(self.record(client, node))
        return [one_of(found.get(n, [])) if n else None for n in numbers]


# -- the connector ------------------------------------------------------------------------------


@connector
class Shopify(Connector):
    """One Shopify shop through the Admin GraphQL API, paced by its calculated-cost bucket."""

    name = "shopify"
    label = "Shopify"
    Options = ShopifyOptions
    options: ShopifyOptions

    products = ProductsResource(
        Product, native_key="id", natural_keys=["key"], cursor=UpdatedSince("updatedAt"),
        can=["read", "create", "update"], decode=codec.product_in, encode=codec.product_out,
        description="Products with variants; the product key is stored as the handle (slugified). A product is "
                    "found by its variants' SKUs first, then by handle: one the shop holds under another handle "
                    "is bound, not created again; SKUs on several shop products fail the record, naming them",
    )
    prices = PricesResource(
        Price, native_key="id", natural_keys=["sku"], cursor=None, can=["update", "bulk"],
        decode=codec.price_in, encode=codec.price_out, batch_size=250,
        description="One price per variant (price list 'default'), converted to the shop's taxesIncluded",
    )
    stock = StockResource(
        StockLevel, native_key="id", natural_keys=["sku", "location"], cursor=None, can=["update", "bulk"],
        decode=codec.stock_in, encode=codec.stock_out, batch_size=queries.STOCK_PER_MUTATION,
        description="Available quantity per SKU and location (inventorySetQuantities, 250 per call)",
    )
    customers = CustomersResource(
        Customer, native_key="id", natural_keys=["email"], cursor=UpdatedSince("updatedAt"),
        can=["read", "create", "update"], decode=codec.customer_in, encode=codec.customer_out,
        description="Customers keyed by e-mail; a company on the default address makes a company customer",
    )
    orders = OrdersResource(
        Order, native_key="id", natural_keys=["number"], cursor=UpdatedSince("updatedAt", overlap=timedelta(seconds=2)),
        can=["read"], decode=codec.order_in,
        description="Orders keyed by name (#1001), with lines, shipping, discounts, payments and the buyer",
    )

    def account_key(self) -> str:
        return f"shopify:{self.options.shop}"

    @cached_property
    def client(self) -> ShopifyClient:
        bucket = shared_budget(self.account_key(), CostBucket)
        if not isinstance(bucket, CostBucket):
            raise ConfigError(f"budget of {self.account_key()} is not a cost bucket")
        base = (self.options.base_url or f"https://{self.options.shop}").rstrip("/")
        return ShopifyClient(
            self.http, endpoint=f"{base}/admin/api/{self.options.api_version}/graphql.json",
            token=self.secret(self.options.token), bucket=bucket, policy=self.retry,
            locations=dict(self.options.locations), currency=self.options.default_currency.upper(),
            publish=self.options.publish, vendor=self.options.vendor, taxes_included=self.options.taxes_included,
        )
