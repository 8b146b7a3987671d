"""Which stock figure a shop shows, and where: the quantity (on hand, or on hand − reserved) and the
placing of warehouses onto shop locations, one each or several summed into one.

An ERP counts stock per item and warehouse; a shop sells from locations. A merchant shows either
what is on the shelf (``on_hand``) or what is free to sell (``available`` = on hand − reserved, the
default: reserved units are promised to open orders already). Warehouses map onto locations; where
several feed one location the location shows their sum, computed from every warehouse's latest
figures (an incremental read brings only the warehouse that changed, so the others' figures are
kept between runs by the caller, in the store). Pure: no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from tradewind.model import StockLevel

Quantity = Literal["available", "on_hand"]
"""``available``: on hand − reserved (the default); ``on_hand``: what is in the warehouse."""


@dataclass(frozen=True)
class Part:
    """One warehouse's figures for one item, as last read."""

    warehouse: str
    on_hand: Decimal
    reserved: Decimal = Decimal("0")
    incoming: Decimal = Decimal("0")


def shown(level: StockLevel, quantity: Quantity = "available") -> Decimal:
    """The figure the shop shows: on hand, or on hand − reserved (negative when more is promised
    than is there: a shop that allows overselling then knows how far it is behind)."""
    if quantity == "on_hand":
        return level.on_hand
    return level.available if level.available is not None else level.on_hand - level.reserved


def with_quantity(level: StockLevel, quantity: Quantity = "available") -> StockLevel:
    """``level`` with ``available`` set to the figure the shop shows."""
    return level.model_copy(update={"available": shown(level, quantity)})


def summed(sku: str, location: str, parts: Iterable[Part], quantity: Quantity = "available") -> StockLevel:
    """One level at ``location`` holding the sum of every warehouse's figures: 7 on hand − 2 reserved
    in one warehouse and 5 on hand in another show 10 available (or 12 on hand)."""
    held = list(parts)
    level = StockLevel(sku=sku, location=location, on_hand=sum((p.on_hand for p in held), Decimal("0")),
                       reserved=sum((p.reserved for p in held), Decimal("0")),
                       incoming=sum((p.incoming for p in held), Decimal("0")))
    return with_quantity(level, quantity)


@dataclass(frozen=True)
class Placing:
    """Which warehouses are read and the shop location each feeds.

    ``warehouses`` as a list reads those (empty: all) and keeps each at its own code; as a mapping
    (warehouse → location) it renames them, and two warehouses mapped to one location are summed.
    ``sum_into`` puts every warehouse read into that one location."""

    warehouses: tuple[str, ...] | Mapping[str, str] = ()
    sum_into: str | None = None
    _feeds: Mapping[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        feeds: dict[str, list[str]] = defaultdict(list)
        if isinstance(self.warehouses, Mapping):
            for warehouse, location in self.warehouses.items():
                feeds[location].append(warehouse)
        object.__setattr__(self, "_feeds", {k: tuple(v) for k, v in feeds.items()})

    def reads(self, warehouse: str) -> bool:
        """Whether ``warehouse``'s stock is read at all."""
        return not self.warehouses or warehouse in self.warehouses

    def location_of(self, warehouse: str) -> str:
        """The shop location ``warehouse`` feeds."""
        if self.sum_into is not None:
            return self.sum_into
        if isinstance(self.warehouses, Mapping):
            return self.warehouses.get(warehouse, warehouse)
        return warehouse

    def is_summed(self, location: str) -> bool:
        """Whether ``location`` shows the sum of several warehouses (so their figures must be kept)."""
        if self.sum_into is not None:
            return location == self.sum_into
        return len(self._feeds.get(location, ())) > 1

    def feeding(self, location: str) -> tuple[str, ...] | None:
        """The warehouses summed into ``location``; None for "every warehouse read" (``sum_into``
        with no warehouses named)."""
        if self.sum_into is not None:
            return tuple(self.warehouses) or None
        return self._feeds.get(location, ())
