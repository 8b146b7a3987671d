"""Shopify variant prices: one price per variant (price list ``default``), found by SKU, written one
``productVariantsBulkUpdate`` per product, converted to the shop's ``taxesIncluded`` basis."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from tradewind.connectors.base import Connector, Found, NativeRecord, Prebinding, Write, WriteResult
from tradewind.connectors.shopify import codec, queries
from tradewind.connectors.shopify.client import ShopifyClient, dig
from tradewind.connectors.shopify.common import NotReadable, naming, one_of, refusals, single, variants_by_sku
from tradewind.errors import RecordError
from tradewind.model import Price


class PricesResource(NotReadable):
    """The price of each variant. Shopify shows one price per variant: only the ``default`` price
    list is meaningful, and a price's ``includes_vat`` is converted to the shop's ``taxesIncluded``
    setting with ``rules.tax`` (which needs the price's ``vat_rate`` when they differ)."""

    def bind(self, connection: Connector) -> PricesResource:
        bound = super().bind(connection)
        assert isinstance(bound, PricesResource)
        bound.decode = bound._decode
        return bound

    def _decode(self, node: dict[str, Any]) -> Price:
        """A found variant's price, in the shop's currency and on its tax basis."""
        return codec.price_in(node, self.codec_settings(facts=self.facts()))

    def record(self, client: ShopifyClient, node: dict[str, Any]) -> NativeRecord:
        """Native id ``<variantGID>|<productGID>``: a bound price is written without a look-up
        (``productVariantsBulkUpdate`` needs the product)."""
        product = dig(node, "product.id")
        return NativeRecord(id=f"{node['id']}|{product}" if product else str(node["id"]), data=node)

    def find_many(self, client: ShopifyClient, keys: Sequence[Mapping[str, str]]) -> list[Found]:
        """By SKU; a SKU on several variants is :class:`Ambiguous`, naming the price ids. The shop's
        facts are read first (once per connection): the records found are read on its basis."""
        self.facts(client)
        found = variants_by_sku(client, [k.get("sku", "") for k in keys])
        return [one_of(self.record(client, node) for node in found.get(k.get("sku", ""), [])) for k in keys]

    def adoption_key(self, keys: Mapping[str, str]) -> str | None:
        return f"sku={keys['sku']}" if keys.get("sku") else None

    def adopt(self, client: ShopifyClient, keys: Mapping[str, str], prebound: Prebinding,
              bound_id: str | None = None) -> NativeRecord | None:
        """The variant a product's ``productSet`` (or a price write) answered with, and its price then."""
        variant, _, product = prebound.target_id.partition("|")
        if not product:
            return None
        data = {"id": variant, "sku": keys.get("sku"), "price": prebound.data.get("price"), "product": {"id": product}}
        return NativeRecord(id=prebound.target_id, data=data)

    def prebinds(self, record: NativeRecord, *, created: bool) -> list[Prebinding]:
        """The price written is what the variant holds now (kept with its id)."""
        sku = record.data.get("sku")
        return [Prebinding("price", f"sku={sku}", record.id, {"price": record.data.get("price")})] if sku else []

    def holds(self, found: NativeRecord, native: dict[str, Any]) -> bool:
        """The variant's price already equals the amount a write would store."""
        try:
            wanted = codec.price_for_shop(native, taxes_included=self.facts().taxes_included,
                                          currency=self.settings.currency)
        except RecordError:
            return False  # the write reports it
        return _same_amount(found.data.get("price"), wanted)

    def create(self, client: ShopifyClient, native: dict[str, Any]) -> NativeRecord:
        sku = native.get("sku")
        raise RecordError(f"no variant with SKU {sku} in the shop — sync products first", field="sku", record=sku)

    def update(self, client: ShopifyClient, native_id: str, native: dict[str, Any]) -> NativeRecord:
        return single(self.write_many(client, [Write(native=native, native_id=native_id)]))

    def write_many(self, client: ShopifyClient, writes: Sequence[Write]) -> list[WriteResult]:
        results: list[WriteResult | None] = [None] * len(writes)
        groups = self._by_product(client, writes, results)
        for product_id, members in groups.items():
            self._write_product(client, product_id, members, writes, results)
        return [r or WriteResult(error=RecordError("not written")) for r in results]

    def _by_product(self, client: ShopifyClient, writes: Sequence[Write],
                    results: list[WriteResult | None]) -> dict[str, list[tuple[int, str]]]:
        """Group writes by product: ``product id → [(write index, amount)]``; refusals filled in."""
        facts = self.facts(client)
        index: dict[str, str] = {}  # variant → product, for this batch only: nothing held per variant
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
                amount = codec.price_for_shop(write.native, taxes_included=facts.taxes_included,
                                              currency=self.settings.currency)
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
        failed = refusals(payload, "variants", len(members))
        saved = {v["id"]: v for v in payload.get("productVariants") or []}
        for position, (i, _amount) in enumerate(members):
            write, error = writes[i], failed.get(position)
            if error is None and _variant(write) in saved:
                results[i] = WriteResult(record=self.record(client, saved[_variant(write)]))
            else:
                results[i] = WriteResult(error=naming(error or RecordError("Shopify did not confirm the price"), write))


def _variant(write: Write) -> str:
    """The variant GID of a price write (its native id, less the product GID after ``|``)."""
    return str(write.native_id or "").partition("|")[0]


def _product(write: Write, index: Mapping[str, str]) -> str | None:
    """The product GID of a price write: from its native id, else from variants looked up."""
    variant, _, product = str(write.native_id or "").partition("|")
    return product or index.get(variant)


def _same_amount(current: Any, wanted: str) -> bool:
    """Whether the shop's price is ``wanted``, a Money's amount as text (finite, so the same text is
    the same amount: most prices held are the text last written, and read without a Decimal)."""
    if current == wanted:
        return True
    try:
        return current is not None and Decimal(str(current)) == Decimal(wanted)
    except InvalidOperation:
        return False
