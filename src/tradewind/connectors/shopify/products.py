"""Shopify products with their variants: read since a time, found by SKUs then handle, read by GID,
written whole with ``productSet`` (an upsert by handle, so a create retried after a crash never
duplicates)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from tradewind.connectors.base import Ambiguous, Connector, Found, NativeRecord, Page, Prebinding, Refs
from tradewind.connectors.shopify import codec, queries
from tradewind.connectors.shopify.client import ShopifyClient, dig, search_value, since_query
from tradewind.connectors.shopify.common import ShopifyResource, last_version, sku_of
from tradewind.connectors.shopify.options import ShopSettings
from tradewind.errors import RecordError, RejectedByTarget
from tradewind.model import Product

SKUS = "skus"
"""A product's look-up key holding its variants' SKUs (a JSON list), searched before its handle."""


class ProductsResource(ShopifyResource):
    """Products with variants, keyed by handle (the slugified product key) and found by their
    variants' SKUs first: a product the shop already holds under another handle is that product,
    not one to create again. Bound, its codec takes the shop's currency and, for a product whose
    source says whether its prices include VAT, the shop's ``taxesIncluded``."""

    by_id: ClassVar[tuple[str, str, int] | None] = ("product", queries.PRODUCT_FIELDS, queries.PRODUCTS_PAGE)

    def bind(self, connection: Connector) -> ProductsResource:
        bound = super().bind(connection)
        assert isinstance(bound, ProductsResource)
        bound.decode, bound.encode = bound._decode, bound._encode
        return bound

    def _decode(self, node: dict[str, Any]) -> Product:
        return codec.product_in(node, self.codec_settings())

    def _encode(self, product: Product, refs: Refs) -> dict[str, Any]:
        """The ProductSetInput on the shop's basis; the shop's ``taxesIncluded`` is asked (once per
        connection, unless configured) only for a product whose prices say which basis they are on."""
        facts = self.facts() if product.prices_include_vat is not None else None
        return codec.product_out(product, refs, self.codec_settings(facts=facts))

    def natural_keys_of(self, entity: Product) -> dict[str, str]:
        """``{"skus": '["A-1", "A-2"]', "key": "a"}``: what :meth:`find_many` looks the product up by."""
        keys = super().natural_keys_of(entity)
        return {SKUS: json.dumps([variant.sku for variant in entity.variants]), **keys}

    def natural_key(self, entity: Product) -> str:
        """The product key alone (``key=a``), as bindings store it: its variants come and go."""
        return ",".join(f"{k}={v}" for k, v in super().natural_keys_of(entity).items())

    def prebinds(self, record: NativeRecord, *, created: bool) -> list[Prebinding]:
        """``productSet`` answers with every variant's id, price and inventory item: the price and
        stock records of those SKUs are bound by it (the prices and stock flows adopt them instead of
        searching). A new product's levels stand at 0; an updated one's are not told, so the quantity
        a stock write left is kept (same inventory item) or unknown (another one)."""
        product = str(record.data.get("id") or record.id)
        told: list[Prebinding] = []
        for variant in dig(record.data, "variants.nodes") or []:
            sku, item = sku_of(variant), dig(variant, "inventoryItem.id")
            if not sku:
                continue
            price = {"price": variant.get("price")}
            told.append(Prebinding("price", f"sku={sku}", f"{variant['id']}|{product}", price))
            if item:
                told.append(Prebinding("stock", f"sku={sku}", str(item), {"new": True} if created else {}))
        return told

    def record(self, client: ShopifyClient, node: dict[str, Any]) -> NativeRecord:
        client.complete(node, "variants", queries.PRODUCT_VARIANTS_REST, "product.variants")
        return super().record(client, node)

    def pages(self, client: ShopifyClient, since: str | None) -> Iterator[Page]:
        for nodes in client.paginate(queries.PRODUCTS, {"query": since_query(since)}, "products",
                                     queries.PRODUCTS_PAGE):
            records = [self.record(client, node) for node in nodes]
            yield Page(records, cursor=last_version(records))

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
        product = product_input(self.settings, native, creating=True)
        return self._set(client, {"handle": product["handle"]}, product)

    def update(self, client: ShopifyClient, native_id: str, native: dict[str, Any]) -> NativeRecord:
        return self._set(client, {"id": native_id}, product_input(self.settings, native, creating=False))

    def _set(self, client: ShopifyClient, identifier: dict[str, str], product: dict[str, Any]) -> NativeRecord:
        """One ``productSet``, answered with every variant written (ids, prices, inventory items):
        the first 250 inline, asked for by their number, the rest (rare) read after it."""
        variants = min(max(1, len(product.get("variants") or [])), queries.PAGE_MAX)
        try:
            payload = client.mutate(queries.PRODUCT_SET, {"identifier": identifier, "input": product,
                                                          "variants": variants},
                                    "productSet", idempotent=True)  # an upsert by handle or id
        except RejectedByTarget as error:
            error.record = product.get("handle")
            raise
        node = payload["product"]
        client.complete(node, "variants", queries.PRODUCT_SET_VARIANTS_REST, "product.variants")
        return super().record(client, node)


def product_input(settings: ShopSettings, native: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """The ProductSetInput with the connection's write options applied: a shop that does not publish
    gets new products as drafts and never has one activated by tradewind; a new product without a
    vendor gets the configured one."""
    product = dict(native)
    if not settings.publish and product.get("status") == "ACTIVE":
        if creating:
            product["status"] = "DRAFT"
        else:
            product.pop("status")
    if creating and not product.get("vendor") and settings.vendor:
        product["vendor"] = settings.vendor
    return product


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
                or any(sku_of(v) in self.skus for v in variants.get("nodes") or []))

    def add(self, record: NativeRecord) -> None:
        held = [s for s in (sku_of(v) for v in dig(record.data, "variants.nodes") or []) if s in self.skus]
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


def _handle_or_none(key: str | None) -> str | None:
    try:
        return codec.slugify(key) if key else None
    except RecordError:
        return None
