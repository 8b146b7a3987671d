"""Exact Online sales orders (with their lines) and stock per item and warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from tradewind.connectors.base import NativeRecord, Page
from tradewind.connectors.exact_online import booking, codec, vat
from tradewind.connectors.exact_online.client import ExactClient, Row, is_guid, nested, quote
from tradewind.connectors.exact_online.resource import ExactResource, modified, without_metadata
from tradewind.errors import ConfigError
from tradewind.model import Order, StockLevel
from tradewind.rules.tax import VatCodeMap


class OrderResource(ExactResource[Order]):
    """Sales orders, created with their lines in one POST; an update changes header fields only."""

    def codec_settings(self, client: ExactClient | None = None) -> codec.Settings:
        """With the division's VAT codes and the project's overrides when orders are booked by rules."""
        rules = self.settings.booking
        if rules is None or self.connection is None or self.settings.vat_code_map is not None:
            return self.settings
        erp = booking.code_entries(vat.code_rows(client or self.connection.client))
        self.settings = replace(self.settings, vat_code_map=VatCodeMap(erp, rules.vat_codes))
        return self.settings

    def assemble(self, client: ExactClient, rows: list[Row]) -> list[NativeRecord]:
        """Orders with their expanded lines; the version is ``Modified`` with its offset."""
        return [NativeRecord(id=str(row["OrderID"]), data={**row, "SalesOrderLines": without_metadata(
            nested(row.get("SalesOrderLines")))}, version=modified(row)) for row in rows]

    def create(self, client: ExactClient, native: dict[str, Any]) -> NativeRecord:
        order = dict(native)
        warehouse = self._warehouse_id(client)
        if warehouse and "WarehouseID" not in order:
            order["WarehouseID"] = warehouse
        created = client.post(self.path, order)
        return self.assemble(client, without_metadata([created]))[0]

    def update(self, client: ExactClient, native_id: str, native: dict[str, Any]) -> NativeRecord:
        return super().update(client, native_id, codec.order_update_out(native))

    def _warehouse_id(self, client: ExactClient) -> str | None:
        """The configured warehouse's ID: given as a Guid, or looked up once by code."""
        wanted = self.opts.warehouse
        if not wanted or is_guid(wanted):
            return wanted
        if client.warehouse_id is None:
            rows = client.rows("inventory/Warehouses",
                               {"$select": "ID,Code", "$filter": f"trim(Code) eq {quote(wanted)}"})
            if not rows:
                raise ConfigError(f"Exact Online has no warehouse with code {wanted!r}",
                                  hint="check the warehouse option")
            client.warehouse_id = str(rows[0]["ID"])
        return client.warehouse_id


class StockResource(ExactResource[StockLevel]):
    """Stock per item and warehouse through ``sync/Inventory/ItemWarehouses`` (1,000 rows a call;
    ``inventory/ItemWarehouses`` may not be read without ``$filter``). The sync API filters on
    ``Timestamp`` only, so rows of warehouses outside ``stock_warehouses`` are dropped here."""

    def pages(self, client: ExactClient, since: str | None) -> Iterator[Page]:
        codes = set(self.opts.stock_warehouses)
        keep = (lambda row: codec.text(row.get("WarehouseCode")) in codes) if codes else None
        yield from self.sync_pages(client, since, keep)
