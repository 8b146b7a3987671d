"""Exact Online goods deliveries as shipments: what left the warehouse for a webshop order, with the
tracking number and shipping method, read by ``Modified`` with their lines.

Fields after ``HlpRestAPIResourcesDetails.aspx?name=SalesOrderGoodsDeliveries`` and
``…=SalesOrderGoodsDeliveryLines`` (copied in picqer ``GoodsDelivery.php``/``GoodsDeliveryLine.php``):
the header's ``DeliveryNumber``, ``DeliveryDate``, ``TrackingNumber``, ``ShippingMethodCode``/
``…Description``; a line's ``ItemCode``, ``QuantityDelivered``, ``SalesOrderNumber`` and
``TrackingNumber``. A line names Exact's own order number, not the shop's: the shop's number is the
sales order's ``YourRef`` (as orders are booked), read for a page's orders in ``or``-filtered calls of
about 40 numbers each and joined into the record (``ShopOrderNumber``).

A delivery of lines from two sales orders is two shipments in the shop's eyes; Exact books one order
per delivery in practice, and a delivery naming several fails with the reason (never half-sent).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote_plus

from tradewind.connectors.base import NativeRecord
from tradewind.connectors.exact_online.client import ExactClient, Row, chunks_by_length, nested, parse_date
from tradewind.connectors.exact_online.codec import build, text
from tradewind.connectors.exact_online.resource import ExactResource, modified, without_metadata
from tradewind.errors import RecordError
from tradewind.model import Shipment, ShipmentLine

DELIVERY_FIELDS = ("EntryID", "DeliveryNumber", "DeliveryDate", "Description", "TrackingNumber",
                   "ShippingMethodCode", "ShippingMethodDescription", "WarehouseCode", "Modified",
                   "GoodsDeliveryLines")


class ShipmentResource(ExactResource[Shipment]):
    """Goods deliveries with their lines and the shop's order number of their sales order."""

    def _decode_bound(self, data: dict[str, Any]) -> Shipment:
        """With the tracking URL the connection's ``tracking_urls`` give the carrier's code."""
        shipment = shipment_in(data)
        template = self.opts.tracking_urls.get(shipment.service or "") if shipment.tracking_number else None
        if template:
            url = template.replace("{number}", quote_plus(shipment.tracking_number or ""))
            shipment = shipment.model_copy(update={"tracking_url": url})
        return shipment

    def assemble(self, client: ExactClient, rows: list[Row]) -> list[NativeRecord]:
        lines = {str(r["EntryID"]): without_metadata(nested(r.get("GoodsDeliveryLines"))) for r in rows}
        numbers = sorted({int(ln["SalesOrderNumber"]) for found in lines.values() for ln in found
                          if ln.get("SalesOrderNumber") is not None})
        refs = _your_refs(client, numbers)
        return [NativeRecord(id=str(r["EntryID"]), data={**r, "GoodsDeliveryLines": lines[str(r["EntryID"])],
                                                         "ShopOrderNumbers": _refs_of(lines[str(r["EntryID"])], refs)},
                             version=modified(r)) for r in rows]


KEPT_REFS = 4096
"""At most this many order numbers' YourRefs are kept per division (memory stays flat)."""


def _your_refs(client: ExactClient, numbers: list[int]) -> dict[int, str | None]:
    """Exact order number → the order's YourRef (the shop's number), ~40 orders a call.

    What was read is kept with the division's reference tables for ``reference_minutes``: every
    shipments run reads the delivery at its cursor again (``Modified ge``, so one stored in the same
    millisecond is not lost), and without this its order's YourRef cost one call a run — on a five-
    minute schedule 288 of Exact's 5,000 calls a day. A YourRef changed in Exact within those minutes is
    read after them; a sales order booked from the shop keeps its YourRef."""
    kept: dict[int, str | None] = client.reference.get("your_refs", dict)
    found = {n: kept[n] for n in numbers if n in kept}
    missing = [str(n) for n in numbers if n not in found]
    for chunk in chunks_by_length(missing, lambda n: f"OrderNumber eq {n}"):
        clause = " or ".join(f"OrderNumber eq {n}" for n in chunk)
        for row in client.rows("salesorder/SalesOrders", {"$select": "OrderNumber,YourRef", "$filter": clause}):
            found[int(row["OrderNumber"])] = text(row.get("YourRef"))
    if len(kept) + len(found) > KEPT_REFS:
        kept.clear()
    kept.update(found)
    return found


def _refs_of(lines: list[Row], refs: Mapping[int, str | None]) -> dict[str, str | None]:
    return {str(ln["SalesOrderNumber"]): refs.get(int(ln["SalesOrderNumber"])) for ln in lines
            if ln.get("SalesOrderNumber") is not None}


def shipment_in(data: Row, settings: Any = None) -> Shipment:
    """A goods delivery with its lines → Shipment; the carrier is the shipping method's description
    (its code when it has none), the order number the sales order's YourRef."""
    number = str(data.get("DeliveryNumber") or data.get("EntryID") or "")
    orders = dict(data.get("ShopOrderNumbers") or {})
    if len(orders) != 1:
        raise RecordError(f"goods delivery {number} delivers {len(orders) or 'no'} sales orders "
                          f"({', '.join(sorted(orders)) or 'none'}); a shipment is of one order", field="order_number",
                          record=number)
    exact_number, shop_number = next(iter(orders.items()))
    if not shop_number:
        raise RecordError(f"sales order {exact_number} of goods delivery {number} has no YourRef (the shop's order "
                          "number): it was not booked from the shop", field="order_number", record=number)
    lines = nested(data.get("GoodsDeliveryLines"))
    tracking = text(data.get("TrackingNumber")) or next((text(ln.get("TrackingNumber")) for ln in lines
                                                         if text(ln.get("TrackingNumber"))), None)
    return build(Shipment, number, number=number, order_number=shop_number, tracking_number=tracking,
                 carrier=text(data.get("ShippingMethodDescription")) or text(data.get("ShippingMethodCode")),
                 service=text(data.get("ShippingMethodCode")), shipped_at=parse_date(data.get("DeliveryDate")),
                 lines=[_line(ln) for ln in sorted(lines, key=lambda ln: int(ln.get("LineNumber") or 0))])


def _line(row: Row) -> ShipmentLine:
    return ShipmentLine(sku=text(row.get("ItemCode")) or "", quantity=Decimal(str(row.get("QuantityDelivered") or 0)))
