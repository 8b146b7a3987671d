"""The sandbox's state: records in REST-like snake_case keyed by numeric id, with indexes by value.

Shopify's search (https://shopify.dev/docs/api/usage/search-syntax) answers ``sku:"A" OR sku:"B"``
without scanning a catalogue; the indexes let the sandbox do the same, so a test of 10,000 SKUs
stays fast. Shopify allows one SKU on several variants, so an index maps a value to a set of ids.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from tradewind.sandboxes.shopify.common import Record


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


def one_value(key: str) -> Callable[[Record], list[Any]]:
    """A record's single value of ``key``, as a search field or an index reads it."""
    return lambda record: [record.get(key)]


def _new_indexes() -> dict[str, dict[str, _Index]]:
    """Per table, the fields looked up by value: exact search terms, uniqueness checks, parent links."""
    return {
        "products": {"handle": _Index(one_value("handle"))},
        "variants": {
            "sku": _Index(one_value("sku")),
            "barcode": _Index(one_value("barcode")),
            "product_id": _Index(one_value("product_id"), _same),
            "inventory_item_id": _Index(one_value("inventory_item_id"), _same),
        },
        "customers": {"email": _Index(one_value("email")), "phone": _Index(one_value("phone"))},
        "orders": {
            "name": _Index(lambda o: [o["name"], o["name"].lstrip("#")]),
            "email": _Index(one_value("email")),
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
    fulfillment_orders: dict[int, list[Record]] = field(default_factory=dict)
    """Per order id, its fulfillment orders (:mod:`.fulfillments`, made on first use)."""
    fulfillments: dict[int, list[Record]] = field(default_factory=dict)
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
