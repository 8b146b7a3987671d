"""Shopify stock: ``available`` per SKU and location, written with compare-and-swap, as
``inventorySetQuantities`` requires from Admin API 2026-04.

Since 2026-04 every quantity carries ``changeFromQuantity`` and the mutation ``@idempotent(key:)``
(https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/inventorySetQuantities,
https://shopify.dev/docs/apps/build/orders-fulfillment/inventory-management-apps/manage-quantities-states#compare-and-swap,
https://shopify.dev/docs/api/usage/implementing-idempotency). Here:

* ``changeFromQuantity`` is the ``available`` quantity of the record the engine decided the write
  against (:attr:`~tradewind.connectors.base.Write.found`): the level as looked up (``find_many``), or
  as adopted from the quantity last written, which the store keeps with the level's pre-binding
  (``prebinds``), so a later run in a fresh process compares with it too. The connection keeps no
  quantity per level (memory stays flat however large the catalogue); a level the engine hands
  without one is read first, so nothing is overwritten blindly;
* ``CHANGE_FROM_QUANTITY_STALE`` (the shop sold or counted meanwhile) re-reads those levels and
  sends them once more; a second conflict fails the record, to be tried again on a later run;
* the idempotency key digests the quantities sent with a nonce of the connection: a call retried
  after a lost answer carries the same key, so Shopify applies it once, while a later run (another
  connection) sending the same values is a new operation, as Shopify's "distinct requests need
  different keys" asks.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from tradewind.connectors.base import Ambiguous, Found, NativeRecord, Prebinding, Write, WriteResult
from tradewind.connectors.shopify import queries
from tradewind.connectors.shopify.client import ShopifyClient, dig
from tradewind.connectors.shopify.common import NotReadable, naming, one_of, refusals, single, variants_by_sku
from tradewind.errors import ConfigError, RecordError

STALE = "CHANGE_FROM_QUANTITY_STALE"


Levels = dict[str, int | None]
"""Level id (``<item>|<location>``) → its ``available`` quantity as found or last written (None: the
item is not stocked there, so there is nothing to compare). Held for one ``write_many`` call only."""


def available_of(record: NativeRecord) -> int | None:
    """A level record's ``available`` quantity (None: not stocked at its location)."""
    available = _available(record.data.get("quantities"))
    return None if available is None else int(available)


def _available(quantities: Any) -> Any:
    """The quantity of the (last) entry named ``available`` of a level's ``quantities``; None without
    one. Every level written asks, so no mapping of its names is made to ask it."""
    found = None
    for entry in quantities or []:
        if entry.get("name") == "available":
            found = entry.get("quantity")
    return found


def handed(writes: Sequence[Write]) -> Levels:
    """The quantities the engine handed with the writes: each level's record as it decided against it.
    A record without ``quantities`` (adopted, its quantity not kept) tells nothing: that level is read."""
    return {w.found.id: available_of(w.found) for w in writes
            if w.found is not None and w.native_id is not None and w.found.id == str(w.native_id)
            and "quantities" in w.found.data}


def quantity(write: Write, last: int | None) -> dict[str, Any]:
    """One ``InventoryQuantityInput``: the quantity to set, and the one it replaces."""
    item, _, location = str(write.native_id).partition("|")
    return {"inventoryItemId": item, "locationId": location, "quantity": int(write.native["quantity"]),
            "changeFromQuantity": last}


def set_quantities(client: ShopifyClient, quantities: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One ``inventorySetQuantities`` call; its payload. Marked idempotent: it sets absolute values
    under compare-and-swap and carries a key, so a lost answer may be sent again."""
    change = {"name": "available", "reason": "correction", "quantities": [dict(q) for q in quantities]}
    data = client.execute(queries.INVENTORY_SET, {"input": change, "key": idempotency_key(client, change)},
                          idempotent=True)
    payload = data.get("inventorySetQuantities") or {}
    return dict(payload)


def idempotency_key(client: ShopifyClient, change: Mapping[str, Any]) -> str:
    """A key stable for one call and its retries, distinct between connections (runs)."""
    nonce = client.nonce
    digest = hashlib.sha256(json.dumps(change, sort_keys=True).encode()).hexdigest()
    return f"tradewind-{nonce[:16]}-{digest[:32]}"


def stale_positions(payload: Mapping[str, Any]) -> set[int]:
    """Positions in ``quantities`` that Shopify refused as a compare conflict."""
    positions = set()
    for error in payload.get("userErrors") or []:
        path = [str(p) for p in error.get("field") or []]
        if error.get("code") == STALE and "quantities" in path:
            rest = path[path.index("quantities") + 1:]
            if rest and rest[0].isdigit():
                positions.add(int(rest[0]))
    return positions


# -- the resource ------------------------------------------------------------------------------


def location_id(client: ShopifyClient, locations: Mapping[str, str], code: str) -> str:
    """A source location code as a Shopify location GID, by the ``locations`` option (the shop's
    active locations are read once per connection)."""
    if client.locations is None:
        nodes: list[dict[str, Any]] = []
        for page in client.paginate(queries.LOCATIONS, {}, "locations", queries.LOCATIONS_PAGE):
            nodes.extend(page)
        client.locations = [n for n in nodes if n.get("isActive", True)]
    active = client.locations
    if not active:
        raise ConfigError("the shop has no active location to hold stock")
    if not locations:
        return str(active[0]["id"])
    wanted = locations.get(code)
    if wanted is None:
        raise RecordError(f"location {code!r} is not in the connection's locations option", field="location")
    for location in active:
        if wanted in (location["id"], location["name"]):
            return str(location["id"])
    names = ", ".join(sorted(str(n["name"]) for n in active))
    raise ConfigError(f"no active Shopify location {wanted!r} (for code {code!r})", hint=f"known locations: {names}")


class StockResource(NotReadable):
    """``available`` quantities per SKU and location; native id ``<inventoryItemGID>|<locationGID>``."""

    def find_many(self, client: ShopifyClient, keys: Sequence[Mapping[str, str]]) -> list[Found]:
        """By SKU per location; a SKU on several variants is :class:`Ambiguous`, naming the level ids."""
        by_location: dict[str, list[str]] = defaultdict(list)
        for key in keys:
            by_location[key.get("location") or "default"].append(key.get("sku", ""))
        found: dict[tuple[str, str], Found] = {}
        for code, skus in by_location.items():
            try:
                location = location_id(client, self.settings.locations, code)
            except RecordError:
                continue
            nodes = variants_by_sku(client, skus, queries.STOCK_BY_SKU, locationId=location)
            found.update({(sku, code): one_of(_stock_record(n, code, location) for n in held)
                          for sku, held in nodes.items()})
        return [found.get((k.get("sku", ""), k.get("location") or "default")) for k in keys]

    def adoption_key(self, keys: Mapping[str, str]) -> str | None:
        return f"sku={keys['sku']}" if keys.get("sku") else None

    def adopt(self, client: ShopifyClient, keys: Mapping[str, str], prebound: Prebinding,
              bound_id: str | None = None) -> NativeRecord | None:
        """The level of the inventory item a product's ``productSet`` answered with, at the key's
        location (the locations are read once); its ``available`` quantity as last written, or 0 for
        a variant created new, is what the next write compares against (``changeFromQuantity``).
        Should the shop have moved meanwhile, compare-and-swap refuses and the level is read. A level
        bound already names its location (no locations read)."""
        code = keys.get("location") or "default"
        item, _, location = (bound_id or "").partition("|")
        if item != prebound.target_id or not location:
            location = location_id(client, self.settings.locations, code)
        levels = prebound.data.get("levels") or {}
        available = levels.get(location, 0 if prebound.data.get("new") else None)
        data: dict[str, Any] = {"sku": keys.get("sku"), "location": code, "inventoryItemId": prebound.target_id,
                                "locationId": location}
        if available is not None:  # without it the write reads the level first (``handed``)
            data["quantities"] = [{"name": "available", "quantity": int(available)}]
        return NativeRecord(id=f"{prebound.target_id}|{location}", data=data)

    def prebinds(self, record: NativeRecord, *, created: bool) -> list[Prebinding]:
        """The quantity written stays with the level's inventory item: the next write's ``changeFromQuantity``."""
        data = record.data
        available = _available(data.get("quantities"))
        if not data.get("sku") or available is None:
            return []
        return [Prebinding("stock", f"sku={data['sku']}", str(data["inventoryItemId"]),
                           {"levels": {str(data["locationId"]): int(available)}})]

    def holds(self, found: NativeRecord, native: dict[str, Any]) -> bool:
        """The level's ``available`` quantity already equals the one a write would set."""
        available = _available(found.data.get("quantities"))
        return available is not None and int(available) == int(native["quantity"])

    def create(self, client: ShopifyClient, native: dict[str, Any]) -> NativeRecord:
        sku, code = str(native.get("sku")), str(native.get("location") or "default")
        location_id(client, self.settings.locations, code)
        found = self.find(client, {"sku": sku, "location": code})
        if found is None:
            raise RecordError(f"no variant with SKU {sku} in the shop — sync products first", field="sku", record=sku)
        if isinstance(found, Ambiguous):
            raise RecordError(f"SKU {sku} matches several records in the shop: {', '.join(found.candidates)}; "
                              "it never picks one", field="sku", record=sku)
        return single(self.write_many(client, [Write(native=native, native_id=found.id, found=found)]))

    def update(self, client: ShopifyClient, native_id: str, native: dict[str, Any]) -> NativeRecord:
        return single(self.write_many(client, [Write(native=native, native_id=native_id)]))

    def write_many(self, client: ShopifyClient, writes: Sequence[Write]) -> list[WriteResult]:
        results: list[WriteResult | None] = [None] * len(writes)
        pending = []
        for i, write in enumerate(writes):
            if write.native_id is None:
                results[i] = self._create_one(client, write)
            else:
                pending.append(i)
        levels = handed([writes[i] for i in pending])  # this call's only; dropped with it
        for start in range(0, len(pending), queries.STOCK_PER_MUTATION):
            self._set(client, writes, pending[start:start + queries.STOCK_PER_MUTATION], results, levels)
        return [r or WriteResult(error=RecordError("not written")) for r in results]

    def _create_one(self, client: ShopifyClient, write: Write) -> WriteResult:
        try:
            return WriteResult(record=self.create(client, write.native))
        except RecordError as error:
            return WriteResult(error=naming(error, write))

    def _set(self, client: ShopifyClient, writes: Sequence[Write], members: list[int],
             results: list[WriteResult | None], levels: Levels) -> None:
        """``inventorySetQuantities`` under compare-and-swap (:mod:`.stock`): refused entries fail
        alone and the rest is sent again; levels that moved meanwhile are read again, once.
        ``levels``: what each compares against, as handed or read in this call."""
        members = self._read_current(client, writes, members, results, levels, only_unknown=True)
        retried: set[str] = set()
        while members:
            last = {str(writes[i].native_id): i for i in members}  # one quantity per item/location pair
            order = list(last.values())
            ids = [str(writes[i].native_id) for i in order]
            quantities = [quantity(writes[i], levels[ids[p]]) for p, i in enumerate(order)]
            payload = set_quantities(client, quantities)
            refused = refusals(payload, "quantities", len(order))
            if not refused:
                for i in members:
                    results[i] = WriteResult(record=_written_stock(writes[i]))
                return
            moved = {ids[p] for p in stale_positions(payload)} - retried
            retried |= moved
            bad = {ids[p] for p in refused} - moved
            for position, error in refused.items():
                for i in members:
                    if ids[position] in bad and str(writes[i].native_id) == ids[position]:
                        results[i] = WriteResult(error=naming(RecordError(error.message, field=error.field), writes[i]))
            members = [i for i in members if str(writes[i].native_id) not in bad]
            members = self._read_current(client, writes, members, results, levels, only={*moved})

    def _read_current(self, client: ShopifyClient, writes: Sequence[Write], members: list[int],
                      results: list[WriteResult | None], levels: Levels, *, only_unknown: bool = False,
                      only: set[str] | None = None) -> list[int]:
        """Read the levels a write must compare against (those not known yet, or ``only`` these) into
        ``levels``; a level the shop no longer shows under its SKU fails its write. Returns the members left."""
        wanted = [i for i in members if (only_unknown and str(writes[i].native_id) not in levels)
                  or (only is not None and str(writes[i].native_id) in only)]
        if not wanted:
            return members
        for i in wanted:
            levels.pop(str(writes[i].native_id), None)
        read = self.find_many(client, [{"sku": str(writes[i].native.get("sku") or ""),
                                        "location": str(writes[i].native.get("location") or "default")}
                                       for i in wanted])
        levels.update({r.id: available_of(r) for r in read if isinstance(r, NativeRecord)})
        for i in wanted:
            if str(writes[i].native_id) not in levels:
                results[i] = WriteResult(error=naming(RecordError(
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
