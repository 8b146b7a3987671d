"""Goods deliveries in the Exact Online sandbox: what left the warehouse for sales orders, with the
tracking number and shipping method, created with its lines in one POST.

Sources: fields and keys — picqer ``GoodsDelivery.php`` and ``GoodsDeliveryLine.php``, copying
``https://start.exactonline.nl/docs/HlpRestAPIResourcesDetails.aspx?name=SalesOrderGoodsDeliveries`` and
``…=SalesOrderGoodsDeliveryLines`` (key ``EntryID``; a line names its ``SalesOrderLineID``, the
``QuantityDelivered``, and carries ``SalesOrderNumber``, ``QuantityOrdered`` and ``TrackingNumber``);
Exact's business example "REST API – Business example API Goods delivery" (a delivery is POSTed with
its lines' ``SalesOrderLineID`` and ``QuantityDelivered``). Delivering moves the order lines'
``QuantityDelivered`` and the order's ``DeliveryStatus`` (20 partial, 21 complete). Delivering more than
is still open is refused (500; the wording is **[uncertain]**).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradewind.sandboxes.exact_online.ledger import SHIPPING_METHODS
from tradewind.sandboxes.exact_online.orders import Orders
from tradewind.sandboxes.exact_online.schema import (
    _COMMON_RO,
    ACCOUNTS,
    LINES,
    ORDERS,
    STATUS_TEXT,
    Entity,
    ExactError,
    Rec,
    _schema,
    dec,
)

DELIVERIES = Entity(
    "GoodsDeliveries", "Exact.Web.Api.Models.SalesOrder.GoodsDelivery", "EntryID",
    _schema("guid: EntryID DeliveryAccount DeliveryAddress DeliveryContact Document ShippingMethod Warehouse "
            "Creator Modifier; "
            "str: DeliveryAccountCode DeliveryAccountName DeliveryContactPersonFullName Description DocumentSubject "
            "Remarks ShippingMethodCode ShippingMethodDescription TrackingNumber WarehouseCode WarehouseDescription "
            "CreatorFullName ModifierFullName; int: DeliveryNumber EntryNumber Division; "
            "date: DeliveryDate Created Modified; nav: GoodsDeliveryLines"),
    frozenset((_COMMON_RO + " DeliveryAccountCode DeliveryAccountName DeliveryNumber EntryNumber ShippingMethodCode "
               "ShippingMethodDescription WarehouseCode WarehouseDescription").split()),
    (),
    ("DeliveryNumber",),
)
DELIVERY_LINES = Entity(
    "GoodsDeliveryLines", "Exact.Web.Api.Models.SalesOrder.GoodsDeliveryLine", "ID",
    _schema("guid: ID EntryID Item SalesOrderLineID StorageLocation Creator Modifier; "
            "str: Description ItemCode ItemDescription Notes StorageLocationCode StorageLocationDescription "
            "TrackingNumber Unitcode CreatorFullName ModifierFullName; "
            "int: LineNumber SalesOrderLineNumber SalesOrderNumber Division; float: QuantityDelivered QuantityOrdered; "
            "date: DeliveryDate Created Modified"),
    frozenset((_COMMON_RO + " ItemCode ItemDescription LineNumber QuantityOrdered SalesOrderLineNumber "
               "SalesOrderNumber Unitcode").split()),
    (("SalesOrderLineID", "Sales order line"), ("QuantityDelivered", "Quantity delivered")),
    ("EntryID",),
)
DELIVERY_ENTITIES = (DELIVERIES, DELIVERY_LINES)


class Deliveries(Orders):
    """Goods deliveries on top of sales orders."""

    def _reset_data(self) -> None:
        super()._reset_data()
        for entity in DELIVERY_ENTITIES:
            self.tables[entity.name] = {}
            self.indexes.update({(entity.name, f): {} for f in entity.indexed})

    def create(self, entity: Entity, body: Mapping[str, Any], *, trusted: bool = False) -> Rec:
        if entity is DELIVERY_LINES:
            raise ExactError(405, "Method POST is not allowed on 'GoodsDeliveryLines'; POST the delivery with them.")
        if entity is not DELIVERIES:
            return super().create(entity, body, trusted=trusted)
        with self.lock:
            values = self._values(entity, body, trusted=trusted)
            raw = body.get("GoodsDeliveryLines") or []
            lines = [self._values(DELIVERY_LINES, line, trusted=trusted) for line in raw]
            if not lines:
                raise ExactError(500, "Mandatory: Goods delivery lines")
            picked = [self._order_line(line) for line in lines]
            header = self._new_record(DELIVERIES, values)
            self._derive_delivery(header, picked[0][1])
            self._touch(header, values if trusted else None)
            for number, (line, (order_line, order)) in enumerate(zip(lines, picked, strict=True), start=1):
                self._store_line(header, line, order_line, order, number)
            for order in {o["OrderID"]: o for _, o in picked}.values():
                self._deliver_order(order)
            return self._store(DELIVERIES, header)

    def _check_update(self, entity: Entity, rec: Rec, body: Mapping[str, Any], values: Rec) -> None:
        if entity is DELIVERY_LINES or (entity is DELIVERIES and body.get("GoodsDeliveryLines") is not None):
            raise ExactError(400, "Deep updates are not supported in PUT operations.")
        super()._check_update(entity, rec, body, values)

    def _derive(self, entity: Entity, rec: Rec, body: Mapping[str, Any], *, trusted: bool, new: bool) -> None:
        if entity is DELIVERIES:  # a PUT changes the header's free fields (tracking number, remarks) only
            return
        super()._derive(entity, rec, body, trusted=trusted, new=new)

    def _order_line(self, line: Rec) -> tuple[Rec, Rec]:
        """The sales order line a delivery line delivers, and its order; more than is open is refused."""
        order_line = self.tables[LINES.name].get(line.get("SalesOrderLineID") or "")
        if order_line is None:
            raise ExactError(500, "Invalid reference: Sales order line")
        open_quantity = dec(order_line["Quantity"]) - dec(order_line.get("QuantityDelivered"))
        wanted = dec(line.get("QuantityDelivered"))
        if wanted <= 0 or wanted > open_quantity:
            raise ExactError(500, f"Quantity delivered ({wanted}) exceeds the quantity still to deliver "
                                  f"({open_quantity}) of item {order_line['ItemCode']}")
        return order_line, self.tables[ORDERS.name][order_line["OrderID"]]

    def _derive_delivery(self, header: Rec, order: Rec) -> None:
        account = self.tables[ACCOUNTS.name].get(order.get("DeliverTo") or order["OrderedBy"]) or {}
        header.update(DeliveryAccount=account.get("ID"), DeliveryAccountCode=account.get("Code"),
                      DeliveryAccountName=account.get("Name"), Warehouse=order.get("WarehouseID"),
                      WarehouseCode=order.get("WarehouseCode"))
        method = header.get("ShippingMethod") or order.get("ShippingMethod")
        if method:
            found = self._reference(SHIPPING_METHODS, method, "Shipping method")
            header.update(ShippingMethod=found["ID"], ShippingMethodCode=found["Code"],
                          ShippingMethodDescription=found["Description"])
        number = 1 + max((d["DeliveryNumber"] for d in self.tables[DELIVERIES.name].values()), default=0)
        header.update(DeliveryNumber=number, EntryNumber=number)
        header["DeliveryDate"] = header.get("DeliveryDate") or self.now()

    def _store_line(self, header: Rec, line: Rec, order_line: Rec, order: Rec, number: int) -> None:
        rec = self._new_record(DELIVERY_LINES, line)
        rec.update(EntryID=header["EntryID"], Item=order_line["Item"], ItemCode=order_line["ItemCode"],
                   ItemDescription=order_line.get("ItemDescription"), LineNumber=number,
                   QuantityOrdered=order_line["Quantity"], SalesOrderLineNumber=order_line["LineNumber"],
                   SalesOrderNumber=order["OrderNumber"], Unitcode=order_line.get("UnitCode"),
                   DeliveryDate=header["DeliveryDate"], Created=header["Created"], Modified=header["Modified"],
                   TrackingNumber=rec.get("TrackingNumber") or header.get("TrackingNumber"))
        delivered = dec(order_line.get("QuantityDelivered")) + dec(rec["QuantityDelivered"])
        order_line["QuantityDelivered"] = float(delivered)
        self._store(LINES, order_line)
        self._store(DELIVERY_LINES, rec)

    def _deliver_order(self, order: Rec) -> None:
        lines = self.lookup(LINES, "OrderID", order["OrderID"])
        done = all(dec(ln.get("QuantityDelivered")) >= dec(ln["Quantity"]) for ln in lines)
        order["DeliveryStatus"] = 21 if done else 20
        order["DeliveryStatusDescription"] = STATUS_TEXT[order["DeliveryStatus"]]
        self._touch(order)
        self._store(ORDERS, order)

    # ------------------------------------------------------------------ helpers tests and demos use

    def deliver(self, your_ref: str, quantities: Mapping[str, float], *, tracking_number: str | None = None,
                shipping_method: str | None = None) -> Rec:
        """Deliver ``quantities`` (item code → quantity) of the sales order whose ``YourRef`` is
        ``your_ref``, as a warehouse worker would in Exact; ``shipping_method`` is a ShippingMethods code."""
        with self.lock:
            order = next(o for o in self.tables[ORDERS.name].values() if o.get("YourRef") == your_ref)
            by_item = {ln["ItemCode"]: ln for ln in self.lookup(LINES, "OrderID", order["OrderID"])}
            body: Rec = {"TrackingNumber": tracking_number, "GoodsDeliveryLines": [
                {"SalesOrderLineID": by_item[code]["ID"], "QuantityDelivered": quantity}
                for code, quantity in quantities.items()]}
            if shipping_method:
                body["ShippingMethod"] = self.by_code(SHIPPING_METHODS, shipping_method, "Shipping method")["ID"]
            return self.create(DELIVERIES, body)
