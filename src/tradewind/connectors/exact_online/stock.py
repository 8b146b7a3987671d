"""Exact Online stock per item and warehouse, placed on shop locations by the connection's options.

Read through ``sync/Inventory/ItemWarehouses`` (1,000 rows a call; ``inventory/ItemWarehouses``
may not be read without ``$filter``). Exact documents ``CurrentStock`` as "quantity that is
currently on stock, sales/purchase orders excluded", ``ReservedStock`` as the quantity received
for a back-to-back order and not yet delivered, and ``PlannedStockIn`` as open purchase and assembly
receipts (``HlpRestAPIResourcesDetails.aspx?name=InventoryItemWarehouses``, copied in picqer
``ItemWarehouse.php``). The shop's figure is :func:`tradewind.rules.stock.shown` of them.

The sync API filters on ``Timestamp`` only, so rows of warehouses not read are dropped here. A
location fed by several warehouses (``stock_sum_into``, or two warehouses mapped to one location)
is one record per SKU, ``sum:<location>:<sku>``: each page's rows are kept in the tally (the store)
first, and the record carries the sum of every warehouse's latest figures — also of warehouses
this incremental read did not bring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from tradewind.connectors.base import NativeRecord, Page
from tradewind.connectors.exact_online import codec
from tradewind.connectors.exact_online.client import ExactClient, Row, quote
from tradewind.connectors.exact_online.options import ExactOnlineOptions
from tradewind.connectors.exact_online.resource import ExactResource, without_metadata
from tradewind.connectors.tally import Tally
from tradewind.model import StockLevel
from tradewind.rules import stock as rules

SUMMED = "sum:"


class StockResource(ExactResource[StockLevel]):
    """Stock per item and warehouse, or per item summed over warehouses into one location."""

    def placing(self) -> rules.Placing:
        wanted = self.opts.stock_warehouses
        warehouses = dict(wanted) if isinstance(wanted, dict) else tuple(wanted)
        return rules.Placing(warehouses=warehouses, sum_into=self.opts.stock_sum_into)

    def tally(self) -> Tally:
        """The store's tally the engine gave the connection (a process-local one without a store)."""
        assert self.connection is not None
        return self.connection.tally

    def tally_scope(self, location: str) -> str:
        """The account and location whose figures one sum reads."""
        assert self.connection is not None
        return f"{self.connection.account_key()}@{location}"

    def pages(self, client: ExactClient, since: str | None) -> Iterator[Page]:
        placing = self.placing()
        for page in self.sync_pages(client, since, _by_warehouse(placing.reads)):
            yield Page(records=self.placed(page.records, placing), cursor=page.cursor)

    def placed(self, records: list[NativeRecord], placing: rules.Placing) -> list[NativeRecord]:
        """Rows of summed locations kept in the tally, then replaced by one record per location and
        SKU with the sums; rows of locations fed by one warehouse pass as they are."""
        joined = _by_warehouse(lambda warehouse: placing.is_summed(placing.location_of(warehouse)))
        summed = [joined(r.data) for r in records]
        alone = [r for r, joined in zip(records, summed, strict=True) if not joined]
        return alone + self._sums([r for r, joined in zip(records, summed, strict=True) if joined], placing)

    def _sums(self, records: list[NativeRecord], placing: rules.Placing) -> list[NativeRecord]:
        by_location: dict[str, dict[str, str | None]] = {}
        for record in records:
            location, sku = placing.location_of(_warehouse(record.data)), _sku(record.data)
            versions = by_location.setdefault(location, {})
            versions[sku] = max(filter(None, (versions.get(sku), record.version)), default=None, key=_as_number)
            self.tally().put(self.tally_scope(location), [(sku, _part(record.data))])
        out: list[NativeRecord] = []
        for location, versions in by_location.items():
            feeding = placing.feeding(location)
            held = self.tally().parts(self.tally_scope(location), sorted(versions))
            for sku, version in sorted(versions.items()):
                parts = [p for p in held.get(sku, []) if feeding is None or p.warehouse in feeding]
                out.append(NativeRecord(id=f"{SUMMED}{location}:{sku}", data=_sum_row(sku, location, parts),
                                        version=version))
        return out

    _decoding: tuple[ExactOnlineOptions, rules.Placing] | None = None
    """The :meth:`placing` of the options it was made of: every row decodes through it."""

    def _decode_bound(self, data: dict[str, Any]) -> StockLevel:
        """The level at its shop location with the figure the shop shows (``stock_quantity``).
        Built once at its location, ``available`` set on it: a copy per step was a third of a row's decode."""
        opts = self.opts
        if self._decoding is None or self._decoding[0] is not opts:
            self._decoding = (opts, self.placing())
        place = None if data.get("Summed") else self._decoding[1].location_of
        level = codec.stock_in(data, settings=self.codec_settings(), place=place)
        # ``level.available = …`` (rules.with_quantity, without its copy), validated as that assignment is,
        # without BaseModel.__setattr__'s own overhead (a fifth of the assignment)
        level.__pydantic_validator__.validate_assignment(level, "available", rules.shown(level, opts.stock_quantity))
        return level

    def get(self, client: ExactClient, ids: Sequence[str]) -> list[NativeRecord | None]:
        """By native id; a summed record (``sum:<location>:<sku>``) is read again, its item's rows
        in every warehouse, kept in the tally and summed."""
        rows = dict(zip(ids, super().get(client, ids), strict=True))
        placing = self.placing()
        for native_id in [i for i in ids if i.startswith(SUMMED)]:
            location, _, sku = native_id[len(SUMMED):].partition(":")
            clause = {"$filter": f"trim(ItemCode) eq {quote(sku)}"}
            found = without_metadata(client.rows(self.path, self.query(**clause)))
            kept = [NativeRecord(id=str(r["ID"]), data=r) for r in found
                    if placing.reads(_warehouse(r)) and placing.location_of(_warehouse(r)) == location]
            rows[native_id] = next((r for r in self._sums(kept, placing) if r.id == native_id), None)
        return [rows.get(i) for i in ids]


def _by_warehouse(answer: Callable[[str], bool]) -> Callable[[Row], bool]:
    """``answer`` for a row's warehouse (:func:`_warehouse`), asked once per ``WarehouseCode`` as sent:
    the rows of a read name a few warehouses, and every row is asked."""
    answers: dict[str, bool] = {}

    def of(row: Row) -> bool:
        code = row.get("WarehouseCode")
        if type(code) is not str:  # as Exact never sends it: asked each time
            return answer(_warehouse(row))
        known = answers.get(code)
        if known is None:
            known = answers[code] = answer(_warehouse(row))
        return known

    return of


def _warehouse(row: Row) -> str:
    return codec.text(row.get("WarehouseCode")) or ""


def _sku(row: Row) -> str:
    return codec.text(row.get("ItemCode")) or ""


def _as_number(version: str) -> Any:
    return int(version) if version.isdigit() else version


def _part(row: Row) -> rules.Part:
    def figure(name: str) -> Decimal:
        return Decimal(str(row.get(name) or 0))
    return rules.Part(warehouse=_warehouse(row), on_hand=figure("CurrentStock"), reserved=figure("ReservedStock"),
                      incoming=figure("PlannedStockIn"))


def _sum_row(sku: str, location: str, parts: list[rules.Part]) -> Row:
    """The summed record in ItemWarehouse's own field names, so it decodes like a row (figures as
    decimal text: exact), with the warehouses it sums."""
    total = rules.summed(sku, location, parts)
    return {"ItemCode": sku, "WarehouseCode": location, "CurrentStock": str(total.on_hand),
            "ReservedStock": str(total.reserved), "PlannedStockIn": str(total.incoming), "Summed": True,
            "Warehouses": [{"WarehouseCode": p.warehouse, "CurrentStock": str(p.on_hand),
                            "ReservedStock": str(p.reserved), "PlannedStockIn": str(p.incoming)} for p in parts]}
