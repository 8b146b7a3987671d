"""What every Shopify resource shares: binding to the connection's settings, the shop's own facts,
look-ups by batch, reading by GID, and reading a node as the Admin API answers it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

from tradewind.connectors.base import (
    Ambiguous,
    ConnectionOptions,
    Connector,
    Found,
    NativeRecord,
    Page,
    Resource,
    Write,
    WriteResult,
)
from tradewind.connectors.shopify import codec, queries
from tradewind.connectors.shopify.client import ShopFacts, ShopifyClient, any_of, user_errors
from tradewind.connectors.shopify.cost import lookup_size
from tradewind.connectors.shopify.options import ShopifyOptions, ShopSettings
from tradewind.errors import ConfigError, RecordError


def shop_facts(client: ShopifyClient, settings: ShopSettings) -> ShopFacts:
    """The shop's currency and ``taxesIncluded``: as configured, else read once per connection."""
    if settings.taxes_included is not None:
        return ShopFacts(currency=settings.currency, taxes_included=settings.taxes_included)
    if client.shop is None:
        shop = client.execute(queries.SHOP)["shop"]
        if shop.get("currencyCode") != settings.currency:
            raise ConfigError(f"the shop sells in {shop.get('currencyCode')} but default_currency is "
                              f"{settings.currency}", hint=f"set default_currency: {shop.get('currencyCode')}")
        client.shop = ShopFacts(currency=settings.currency, taxes_included=bool(shop.get("taxesIncluded")))
    return client.shop


class ShopifyResource(Resource[Any]):
    """A Shopify resource: ``find`` is a one-element ``find_many`` so both always agree; bound to
    a connection it holds that connection's :class:`ShopSettings`. Resources that can be read by
    id name their root field and fragment (``by_id``)."""

    settings: ShopSettings = ShopSettings()
    by_id: ClassVar[tuple[str, str, int] | None] = None
    """(root field, fragment, records per call) for :meth:`get`."""

    def bind(self, connection: Connector) -> ShopifyResource:
        bound = super().bind(connection)
        assert isinstance(bound, ShopifyResource) and isinstance(connection.options, ShopifyOptions)
        bound.settings = connection.options.settings()
        return bound

    def facts(self, client: ShopifyClient | None = None) -> ShopFacts:
        """The shop's facts for this connection (``client`` defaults to the bound connection's)."""
        if client is None:
            if self.connection is None:
                raise ConfigError(f"{self.name}: bind the resource to a connection first")
            client = self.connection.client
        return shop_facts(client, self.settings)

    def codec_settings(self, *, facts: ShopFacts | None = None) -> codec.Settings:
        return codec.Settings(currency=self.settings.currency,
                              taxes_included=facts.taxes_included if facts else None)

    def find(self, client: Any, keys: Mapping[str, str]) -> Found:
        return self.find_many(client, [keys])[0]

    def record(self, client: ShopifyClient, node: dict[str, Any]) -> NativeRecord:
        return NativeRecord(id=node["id"], data=node, version=node.get("updatedAt"))

    def get(self, client: ShopifyClient, ids: Sequence[str]) -> list[NativeRecord | None]:
        """By GID, one call per batch (a page's worth, so a call costs what a page does); a GID of
        another kind, or of a record deleted since, answers None."""
        if self.by_id is None:
            return super().get(client, ids)
        field, fragment, size = self.by_id
        prefix = f"gid://shopify/{field[0].upper()}{field[1:]}/"
        found: dict[str, NativeRecord | None] = {}
        for batch in batches([i for i in ids if i.startswith(prefix)], size):
            for wanted, node in zip(batch, client.by_ids(field, fragment, batch), strict=True):
                found[wanted] = self.record(client, node) if node is not None else None
        return [found.get(i) for i in ids]

    def from_api(self, raw: Any, options: ConnectionOptions) -> dict[str, Any]:
        """A node as the Admin GraphQL API answers the connector's query (``queries.py``): the node
        itself or the whole answer (``{"data": {"order": {...}}}``); connections as ``nodes`` or ``edges``."""
        return super().from_api(api_node(raw), options)


class NotReadable(ShopifyResource):
    def pages(self, client: Any, since: str | None) -> Iterator[Page]:
        raise ConfigError(f"Shopify {self.name} cannot be read as a source", hint="read products instead")


def last_version(records: list[NativeRecord]) -> str | None:
    """A page's cursor: its last record's ``updatedAt`` (ISO 8601 with an offset, so no zone is declared)."""
    return records[-1].version if records else None


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


def batches(values: Sequence[str], size: int) -> Iterator[list[str]]:
    unique = list(dict.fromkeys(values))
    for start in range(0, len(unique), size):
        yield unique[start:start + size]


def sku_of(variant: Mapping[str, Any]) -> str:
    return str(variant.get("sku") or "").strip()


def variants_by_sku(client: ShopifyClient, skus: Sequence[str], document: str = queries.VARIANTS_BY_SKU,
                    **variables: Any) -> dict[str, list[dict[str, Any]]]:
    """SKU → every variant holding it exactly (Shopify's search is fuzzy, and Shopify allows one SKU
    on several variants), in the fewest searches OR-ing as many SKUs as a page of ``document`` may
    hold within ``queries.SKU_LOOKUP_COST`` (``sku:"A" OR sku:"B" …``,
    https://shopify.dev/docs/api/usage/search-syntax), the SKUs spread evenly over them (250 SKUs of
    stock: two searches of 125, each requesting less)."""
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    unique = list(dict.fromkeys(s for s in skus if s))
    searches = -(-len(unique) // lookup_size(document, queries.SKU_LOOKUP_COST))
    for batch in batches(unique, -(-len(unique) // searches) if searches else 1):
        wanted = set(batch)
        for page in client.paginate(document, {**variables, "query": any_of("sku", batch)}, "productVariants",
                                    len(batch)):
            for node in page:
                if sku_of(node) in wanted and all(n["id"] != node["id"] for n in found[sku_of(node)]):
                    found[sku_of(node)].append(node)
    return found


def refusals(payload: Mapping[str, Any], list_field: str, size: int) -> dict[int, RecordError]:
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


def naming(error: RecordError, write: Write) -> RecordError:
    """The error with the write's record named, when it names none."""
    error.record = error.record or write.key or write.native.get("sku")
    return error


def single(results: list[WriteResult]) -> NativeRecord:
    result = results[0]
    if result.error is not None:
        raise result.error
    if result.record is None:
        raise RecordError("Shopify did not confirm the write")
    return result.record
