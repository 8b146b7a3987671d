"""Sales orders in the Exact Online sandbox: an order is created with its lines in one POST, priced as
Exact prices them, totalled, and changed afterwards only where Exact allows.

Sources: fields, keys and read-only fields — the .NET SDK's ``SalesOrder.cs`` @ 8ceb6a7
(``[DataServiceKey("OrderID")]``) and picqer ``SalesOrder.php``/``SalesOrderLine.php``, which copy
``HlpRestAPIResourcesDetails.aspx?name=SalesOrderSalesOrders`` and ``…=SalesOrderSalesOrderLines``;
``OrderedBy``/``DeliverTo``/``InvoiceTo`` "can not be changed" for an existing order (those field docs);
statuses 12 Open, 20 Partial, 21 Complete, 45 Cancelled; an invalid reference answers 500 "Invalid
reference: Ordered by" (picqer issue #249); lines change through ``salesorder/SalesOrderLines``, not by a
deep PUT (WCF Data Services refuses deep updates). A line without ``UnitPrice`` gets the best-matching
``SalesItemPrice`` (customer before general, highest quantity break), else the item's standard price.

An order that is delivered, invoiced, complete or cancelled (any line delivered or invoiced, or Status
21/45, or InvoiceStatus 20/21) is refused every change of its header and lines, as Exact keeps processed
orders (the refusal's wording is **[uncertain]**). ``ShippingMethod`` is the Guid of a
``sales/ShippingMethods`` row, ``PaymentCondition`` a ``cashflow/PaymentConditions`` code, ``CostCenter``/
``CostUnit`` codes and ``Project`` a Guid on lines (the .NET SDK's ``SalesOrder.cs``/``SalesOrderLine.cs``).
``AmountDC`` is each line's amount with VAT at the division's exchange rate for ``OrderDate``
(:meth:`~.invoicing.Invoicing.rate`), rounded per line; a foreign currency without a rate is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tradewind.sandboxes.exact_online.invoicing import Invoicing, cents
from tradewind.sandboxes.exact_online.ledger import COST_CENTERS, COST_UNITS, PAYMENT_CONDITIONS, SHIPPING_METHODS
from tradewind.sandboxes.exact_online.schema import (
    ACCOUNTS,
    ITEMS,
    LINES,
    ORDERS,
    PRICES,
    STATUS_TEXT,
    VAT_CODES,
    Entity,
    ExactError,
    Rec,
    dec,
    money,
)


class Orders(Invoicing):
    """Sales orders and their lines on top of the other entities' writes."""

    def create(self, entity: Entity, body: Mapping[str, Any], *, trusted: bool = False) -> Rec:
        if entity is not ORDERS and entity is not LINES:
            return super().create(entity, body, trusted=trusted)
        with self.lock:
            values = self._values(entity, body, trusted=trusted)
            if entity is ORDERS:
                return self._create_order(values, body.get("SalesOrderLines"), trusted=trusted)
            return self._create_line(values, body, trusted=trusted)

    def _check_update(self, entity: Entity, rec: Rec, body: Mapping[str, Any], values: Rec) -> None:
        if entity is LINES:
            self.refuse_processed(self.get(ORDERS, rec["OrderID"]))
        if entity is ORDERS:
            self.refuse_processed(rec)
            if body.get("SalesOrderLines") is not None:
                raise ExactError(400, "Deep updates are not supported in PUT operations; change lines through "
                                      "salesorder/SalesOrderLines.")
            self._check_fixed_parties(rec, values)

    def _save_update(self, entity: Entity, rec: Rec, body: Mapping[str, Any], values: Rec, *, trusted: bool) -> Rec:
        if entity is LINES:
            return self._update_line(rec, values, trusted=trusted)
        return super()._save_update(entity, rec, body, values, trusted=trusted)

    def _derive(self, entity: Entity, rec: Rec, body: Mapping[str, Any], *, trusted: bool, new: bool) -> None:
        if entity is not ORDERS:
            super()._derive(entity, rec, body, trusted=trusted, new=new)
            return
        self._derive_order(rec, body, trusted)
        self._mandatory(entity, rec)

    def delete(self, entity: Entity, key: str) -> None:
        """An order takes its lines along (open orders only); a line re-totals its order."""
        if entity is not ORDERS and entity is not LINES:
            super().delete(entity, key)
            return
        with self.lock:
            rec = self.get(entity, key)
            if entity is LINES:
                self.refuse_processed(self.get(ORDERS, rec["OrderID"]))
            if entity is ORDERS:
                if rec["Status"] != 12:
                    raise ExactError(500, f"Sales order {rec['OrderNumber']} is not open and cannot be deleted")
                for line in self.lookup(LINES, "OrderID", key):
                    self._remove(LINES, line["ID"])
            self._remove(entity, key)
            if entity is LINES:
                self._retotal(rec["OrderID"])

    def refuse_processed(self, order: Rec) -> None:
        """500 for a change to an order Exact has processed (delivered, invoiced, complete, cancelled)."""
        lines = self.lookup(LINES, "OrderID", order["OrderID"])
        moved = any(ln.get("QuantityDelivered") or ln.get("QuantityInvoiced") for ln in lines)
        if moved or order.get("Status") in (21, 45) or order.get("InvoiceStatus") in (20, 21):
            state = STATUS_TEXT.get(order.get("Status") or 12, "")
            raise ExactError(500, f"Sales order {order['OrderNumber']} is processed ({state}, delivered or "
                                  "invoiced) and can not be changed")

    def _check_fixed_parties(self, rec: Rec, values: Rec) -> None:
        """OrderedBy/DeliverTo/InvoiceTo "can not be changed" for an existing order (field docs)."""
        for name, label in (("OrderedBy", "Ordered by"), ("DeliverTo", "Deliver to"), ("InvoiceTo", "Invoice to")):
            if name in values and values[name] != rec[name]:
                raise ExactError(500, f"{label}: can not be changed for an existing sales order")

    def _derive_order(self, rec: Rec, body: Mapping[str, Any], trusted: bool) -> None:
        ordered = self._reference(ACCOUNTS, rec.get("OrderedBy"), "Ordered by")
        rec["DeliverTo"] = rec.get("DeliverTo") or ordered["ID"]
        rec["InvoiceTo"] = rec.get("InvoiceTo") or ordered["ID"]
        rec["OrderedByName"] = ordered["Name"]
        rec["DeliverToName"] = self._reference(ACCOUNTS, rec["DeliverTo"], "Deliver to")["Name"]
        rec["InvoiceToName"] = self._reference(ACCOUNTS, rec["InvoiceTo"], "Invoice to")["Name"]
        today = self.now().replace(hour=0, minute=0, second=0, microsecond=0)
        rec["OrderDate"] = rec.get("OrderDate") or today
        rec["DeliveryDate"] = rec.get("DeliveryDate") or rec["OrderDate"]
        rec["Currency"] = rec.get("Currency") or "EUR"
        self.rate(rec["Currency"], rec["OrderDate"])  # refused before anything is stored
        if rec.get("ShippingMethod"):
            method = self._reference(SHIPPING_METHODS, rec["ShippingMethod"], "Shipping method")
            rec.update(ShippingMethodCode=method["Code"], ShippingMethodDescription=method["Description"])
        if rec.get("PaymentCondition"):
            self.by_code(PAYMENT_CONDITIONS, rec["PaymentCondition"], "Payment condition")
        if rec.get("DeliveryAddress"):
            self.delivery_address(rec["DeliveryAddress"], rec["DeliverTo"])
        if rec.get("WarehouseID") is None and self.warehouses:
            rec["WarehouseID"] = next(iter(self.warehouses.values()))["ID"]
        if rec.get("WarehouseID") is not None:
            rec["WarehouseCode"] = self._warehouse_by_id(rec["WarehouseID"])["Code"]
        for name in ("Status", "DeliveryStatus", "InvoiceStatus"):
            rec[name] = rec.get(name) or 12
            rec[f"{name}Description"] = STATUS_TEXT.get(rec[name], "")

    def _order_number(self, rec: Rec) -> None:
        if rec.get("OrderNumber") is None:
            rec["OrderNumber"] = max(self.indexes[("SalesOrders", "OrderNumber")], default=0) + 1
        elif self.lookup(ORDERS, "OrderNumber", rec["OrderNumber"]):
            raise ExactError(500, f"Order number already exists: {rec['OrderNumber']}")

    def _create_order(self, values: Rec, raw_lines: Any, *, trusted: bool) -> Rec:
        rec = self._new_record(ORDERS, values)
        self._mandatory(ORDERS, rec)
        self._derive_order(rec, values, trusted)
        lines = raw_lines.get("results", []) if isinstance(raw_lines, dict) else raw_lines or []
        if not lines:
            raise ExactError(500, "Mandatory: Sales order lines")
        self._order_number(rec)
        built = [self._build_line(rec, line, n, trusted=trusted) for n, line in enumerate(lines, start=1)]
        self._touch(rec, values if trusted else None)
        self._store(ORDERS, rec)
        for line in built:
            self._store(LINES, line)
        self._apply_totals(rec)
        return rec

    def _build_line(self, order: Rec, body: Any, number: int, *, trusted: bool) -> Rec:
        if not isinstance(body, Mapping):
            raise ExactError(400, "Error processing request stream. SalesOrderLines must be a list of objects.")
        values = self._values(LINES, body, trusted=trusted)
        line = self._new_record(LINES, values)
        self._resolve_code(line, body, "Item", ITEMS, "ItemCode", trusted)
        self._mandatory(LINES, line)
        item = self._reference(ITEMS, line.get("Item"), "Item")
        line.update(OrderID=order["OrderID"], OrderNumber=order["OrderNumber"], ItemCode=item["Code"],
                    ItemDescription=item["Description"], UnitCode=item["Unit"])
        line["LineNumber"] = line.get("LineNumber") or number
        line["Description"] = line.get("Description") or item["Description"]
        line["DeliveryDate"] = line.get("DeliveryDate") or order["DeliveryDate"]
        line["VATCode"] = line.get("VATCode") or item["SalesVatCode"]
        for name, entity, label in (("CostCenter", COST_CENTERS, "Cost center"), ("CostUnit", COST_UNITS,
                                                                                 "Cost unit")):
            if line.get(name):
                self.by_code(entity, line[name], label)
        if line["VATCode"] not in VAT_CODES:
            raise ExactError(500, "Invalid reference: VAT code")
        if line.get("UnitPrice") is None:
            line["UnitPrice"] = self._price_for(item, order, dec(line.get("Quantity") or 1))
        self._price_line(line, explicit_net="NetPrice" in values and "Discount" not in values)
        return line

    def _price_for(self, item: Rec, order: Rec, quantity: Decimal) -> float:
        """The sales price Exact proposes: the best-matching SalesItemPrice, else StandardSalesPrice."""
        day = order["OrderDate"]
        candidates = [p for p in self.lookup(PRICES, "Item", item["ID"])
                      if p["Currency"] == order["Currency"] and p["Account"] in (None, order["OrderedBy"])
                      and dec(p["Quantity"]) <= quantity
                      and (p["StartDate"] is None or p["StartDate"] <= day)
                      and (p["EndDate"] is None or p["EndDate"] > day)]
        if not candidates:
            return float(item["StandardSalesPrice"] or 0.0)
        best = max(candidates, key=lambda p: (p["Account"] is not None, p["Quantity"] or 0.0))
        return float(best["Price"])

    def _price_line(self, line: Rec, *, explicit_net: bool) -> None:
        """NetPrice, Discount (a fraction of UnitPrice), amounts and VAT of one line, as Exact computes them.

        VAT is computed **per line** from the line's net amount: each line has its own ``VATCode`` and
        ``VATPercentage`` ("the percentage at the moment the sales order is created. It's also used for the
        default calculation of VAT amounts and VAT base amounts") and ``VATAmount`` ("VAT amount in the
        currency of the transaction") beside its net ``AmountFC`` (Exact's reference page
        ``HlpRestAPIResourcesDetails.aspx?name=SalesOrderSalesOrderLines`` as copied in picqer/exact-php-client
        ``SalesOrderLine.php``; for invoices ``…?name=SalesEntrySalesEntryLines``: ``VATAmountFC`` differs
        only when sent, else "the VAT amount that is automatically calculated"). Both amounts are rounded
        to cents half away from zero; the order's totals sum the lines (``_apply_totals``, which also sets
        ``AmountDC`` at the division's rate). Decimal throughout, floats only in JSON.
        """
        quantity = dec(line.get("Quantity") if line.get("Quantity") is not None else 1)
        unit = dec(line["UnitPrice"])
        if explicit_net and line.get("NetPrice") is not None:
            net = dec(line["NetPrice"])
            line["Discount"] = float((unit - net) / unit) if unit else 0.0
        else:
            net = unit * (1 - dec(line.get("Discount")))
            line["Discount"] = float(dec(line.get("Discount")))
        fraction, text = VAT_CODES[line["VATCode"]]
        amount = _cents(quantity * net)
        vat = _cents(amount * dec(fraction))
        line.update(Quantity=float(quantity), NetPrice=money(net), AmountFC=float(amount), AmountDC=float(amount),
                    VATPercentage=fraction, VATAmount=float(vat), VATCodeDescription=text)
        line["QuantityDelivered"] = line.get("QuantityDelivered") or 0.0
        line["QuantityInvoiced"] = line.get("QuantityInvoiced") or 0.0

    def _apply_totals(self, order: Rec) -> None:
        """The order's amounts sum its lines: net, and net plus each line's own VAT (never VAT re-computed
        on the total, so a per-rate booking that differs by a cent shows here as Exact shows it)."""
        lines = self.lookup(LINES, "OrderID", order["OrderID"])
        rate = self.rate(order["Currency"], order["OrderDate"])
        for ln in lines:
            ln["AmountDC"] = float(cents(dec(ln["AmountFC"]) * rate))
        excl = sum((dec(ln["AmountFC"]) for ln in lines), Decimal(0))
        vat = sum((dec(ln["VATAmount"]) for ln in lines), Decimal(0))
        discount = sum((dec(ln["Quantity"]) * (dec(ln["UnitPrice"]) - dec(ln["NetPrice"])) for ln in lines),
                       Decimal(0))
        in_dc = sum((cents((dec(ln["AmountFC"]) + dec(ln["VATAmount"])) * rate) for ln in lines), Decimal(0))
        order.update(AmountFCExclVat=money(excl), AmountFC=money(excl + vat), AmountDC=money(in_dc),
                     AmountDiscount=money(discount), AmountDiscountExclVat=money(discount))

    def _retotal(self, order_id: str) -> None:
        order = dict(self.get(ORDERS, order_id))
        self._apply_totals(order)
        self._touch(order)
        self._store(ORDERS, order)

    def _create_line(self, values: Rec, body: Mapping[str, Any], *, trusted: bool) -> Rec:
        order = self._reference(ORDERS, values.get("OrderID"), "Order ID")
        self.refuse_processed(order)
        numbers = [ln["LineNumber"] for ln in self.lookup(LINES, "OrderID", order["OrderID"])]
        line = self._build_line(order, body, max(numbers, default=0) + 1, trusted=trusted)
        self._store(LINES, line)
        self._retotal(order["OrderID"])
        return line

    def _update_line(self, line: Rec, values: Rec, *, trusted: bool) -> Rec:
        if "OrderID" in values and values["OrderID"] != self.get(LINES, line["ID"])["OrderID"]:
            raise ExactError(500, "Order ID: can not be changed")
        item = self._reference(ITEMS, line.get("Item"), "Item")
        line.update(ItemCode=item["Code"], ItemDescription=item["Description"], UnitCode=item["Unit"])
        self._price_line(line, explicit_net="NetPrice" in values and "Discount" not in values)
        self._store(LINES, line)
        self._retotal(line["OrderID"])
        return line


def _cents(value: Decimal) -> Decimal:
    """Rounded to cents, half away from zero (a discount line's VAT rounds like a sale's)."""
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
