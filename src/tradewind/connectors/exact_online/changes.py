"""A changed shop order whose booking is already in Exact: updated, corrected, or reported — and said so.

The booked document is the one bound to the order (found by the shop's number in ``YourRef``), with the
corrections booked for it before (``YourRef`` ``<number>-C1``, ``-C2``…). What the shop now says is
compared with what they hold together, per line (item or GL account and VAT code: quantity and net
amount) and per header field. Then, by the connection's ``booking`` block:

* ``erp_master: true`` — the change is reported on the transfer (what differs), nothing is written;
* ``update_booked_orders: true`` — a sales order is updated completely where Exact allows it: header
  fields by PUT, its lines replaced through ``salesorder/SalesOrderLines`` (Exact refuses deep updates).
  Exact refuses changes to a processed order (delivered, invoiced); then, and for invoices and entries
  (processed, or booked in the ledger), a **correction** is booked: a document of the same type with
  ``YourRef`` ``<number>-C<n>`` that reverses every booked line and books the order's lines anew, so the
  booked total becomes the shop's to the cent;
* otherwise only header fields are updated; changed lines are reported, not written.

The outcome (:class:`~tradewind.connectors.outcomes.Reported`) is what happened: ``updated`` only when
Exact holds the change, ``created`` for a correction, ``matched`` (counted as skipped) for a report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from tradewind.connectors.exact_online.client import ExactClient, Row, guid, nested, parse_date, quote
from tradewind.connectors.exact_online.documents import SALES_ENTRY, SALES_ORDER, Document
from tradewind.connectors.outcomes import Reported
from tradewind.errors import RecordError, RejectedByTarget
from tradewind.rules.settings import BookingRules

if TYPE_CHECKING:
    from tradewind.connectors.exact_online.orders import OrderResource

HEADER = ("Description", "PaymentCondition", "ShippingMethod", "Remarks", "OrderDate", "InvoiceDate", "EntryDate",
          "Journal", "DeliveryAddress")
"""Header fields a change may set (the parties and the currency of a booked document stay)."""

_COPIED = ("Item", "GLAccount", "Description", "UnitPrice", "Discount", "VATCode", "CostCenter", "CostUnit", "Project")
_CENT = Decimal("0.01")


@dataclass
class Change:
    header: dict[str, Any] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.header or self.lines)

    def text(self) -> str:
        parts = [f"{name} → {value}" for name, value in self.header.items()] + self.lines
        return "; ".join(parts)


def apply(resource: OrderResource, client: ExactClient, native_id: str, native: Row,
          rules: BookingRules | None) -> Reported:
    """Update, correct or report (see the module docstring)."""
    doc = resource.document
    booked = documents(resource, client, native_id, str(native.get("YourRef") or ""))
    change = compare(booked, native, doc)
    label = f"{doc.label} {booked[0].get('OrderNumber') or booked[0].get('EntryNumber') or native_id}"
    if not change:
        return Reported(id=native_id, data=booked[0], outcome="matched", reason=f"{label} already holds the order")
    if rules is not None and rules.erp_master:
        return Reported(id=native_id, data=booked[0], outcome="matched",
                        reason=f"changed in the shop: {change.text()}; not written: Exact is master (erp_master)")
    if rules is None or not rules.update_booked_orders:
        return _header_only(resource, client, native_id, booked[0], change, label)
    if doc is SALES_ORDER and len(booked) == 1:
        try:
            _replace(resource, client, native_id, booked[0], native, change)
            return Reported(id=native_id, data=native, outcome="updated",
                            reason=f"{label} updated completely: {change.text()}")
        except RejectedByTarget as refused:
            why = f"Exact refused the change ({refused}); "
    else:
        why = f"{label} is booked and is corrected, not changed; " if len(booked) == 1 else \
            f"{label} has {len(booked) - 1} correction(s) already; "
    created = correct(resource, client, booked, native)
    return Reported(id=native_id, data=created.data, outcome="created",
                    reason=f"{why}correction booked as {doc.label} {created.data.get('YourRef')}: {change.text()}")


def documents(resource: OrderResource, client: ExactClient, native_id: str, number: str) -> list[Row]:
    """The bound document first, then its corrections in order (one call)."""
    doc = resource.document
    clause = f"{doc.key} eq {guid(native_id)}"
    if number:
        clause += f" or startswith(YourRef,{quote(number + '-C')})"
    rows = [dict(r) for r in client.rows(doc.path, resource.query(**{"$filter": clause}))]
    own = [r for r in rows if str(r.get(doc.key)).lower() == native_id.lower()]
    if not own:
        raise RecordError(f"the booked {doc.label} {native_id} is no longer in Exact Online")
    corrections = sorted((r for r in rows if r not in own), key=lambda r: _suffix(str(r.get("YourRef") or "")))
    return own + corrections


def _suffix(ref: str) -> int:
    tail = ref.rsplit("-C", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def compare(booked: list[Row], native: Row, doc: Document) -> Change:
    """What the shop's document says that the booked ones (together) do not."""
    change = Change()
    first = booked[0]
    for name in HEADER:
        if name in native and _plain(native[name], name) != _plain(first.get(name), name):
            change.header[name] = native[name]
    old = _totals(line for row in booked for line in nested(row.get(doc.lines)))
    new = _totals(native.get(doc.lines) or [])
    for key in sorted(set(old) | set(new)):
        (q0, a0, n0), (q1, a1, n1) = old.get(key, (0, 0, "")), new.get(key, (0, 0, ""))
        if (q0, a0) != (q1, a1):
            change.lines.append(f"{n0 or n1}: {_n(q0)} for {a0} → {_n(q1)} for {a1} (net)")
    return change


def _plain(value: Any, name: str) -> Any:
    if value is None or value == "":
        return None
    if name.endswith("Date"):
        moment = parse_date(value)
        return moment.date() if moment else None
    return str(value).strip().lower()


def _n(value: Decimal | int) -> str:
    return format(Decimal(value).normalize(), "f")


def _net(line: Row) -> Decimal:
    if "UnitPrice" not in line or line.get("UnitPrice") is None:
        return Decimal(str(line.get("AmountFC") or 0)).quantize(_CENT, rounding=ROUND_HALF_UP)
    quantity = Decimal(str(line.get("Quantity") if line.get("Quantity") is not None else 1))
    unit, discount = Decimal(str(line["UnitPrice"])), Decimal(str(line.get("Discount") or 0))
    return (quantity * unit * (1 - discount)).quantize(_CENT, rounding=ROUND_HALF_UP)


def _totals(lines: Iterable[Row]) -> dict[tuple[str, str], tuple[Decimal, Decimal, str]]:
    """Per item (or GL account and description) and VAT code: quantity, net amount, a name."""
    out: dict[tuple[str, str], tuple[Decimal, Decimal, str]] = {}
    for line in lines:
        what = str(line.get("Item") or f"{line.get('GLAccount')}:{line.get('Description')}").lower()
        key = (what, str(line.get("VATCode") or "").strip())
        quantity, amount, _ = out.get(key, (Decimal(0), Decimal(0), ""))
        name = str(line.get("ItemCode") or line.get("Description") or what).strip()
        out[key] = (quantity + Decimal(str(line.get("Quantity") or 0)), amount + _net(line), name)
    return out


def _header_only(resource: OrderResource, client: ExactClient, native_id: str, booked: Row, change: Change,
                 label: str) -> Reported:
    """``update_booked_orders`` off: header fields are written; lines that differ are reported."""
    if change.header:
        client.put(f"{resource.document.path}({guid(native_id)})", change.header)
    said = f"{label}: " + "; ".join(f"{k} → {v}" for k, v in change.header.items())
    if not change.lines:
        return Reported(id=native_id, data=booked, outcome="updated", reason=said)
    lines = "; ".join(change.lines)
    if change.header:
        return Reported(id=native_id, data=booked, outcome="updated",
                        reason=f"{said}; lines not changed (update_booked_orders is off): {lines}")
    return Reported(id=native_id, data=booked, outcome="matched",
                    reason=f"lines changed in the shop, not written (update_booked_orders is off): {lines}")


def _replace(resource: OrderResource, client: ExactClient, native_id: str, booked: Row, native: Row,
             change: Change) -> None:
    """A sales order updated completely: header, then new lines in, old lines out (Exact keeps one at least)."""
    if change.header:
        client.put(f"{resource.document.path}({guid(native_id)})", change.header)
    if not change.lines:
        return
    for line in native.get("SalesOrderLines") or []:
        client.post("salesorder/SalesOrderLines", {**line, "OrderID": native_id})
    for line in nested(booked.get("SalesOrderLines")):
        client.request("DELETE", f"salesorder/SalesOrderLines({guid(str(line['ID']))})")


def correct(resource: OrderResource, client: ExactClient, booked: list[Row], native: Row) -> Any:
    """A document of the same type that reverses every booked line and books the shop's lines anew."""
    doc = resource.document
    number = str(native.get("YourRef") or "")
    k = len(booked)
    reversal = [_reversed(line, doc) for row in booked for line in nested(row.get(doc.lines))]
    body = {**native, "YourRef": f"{number}-C{k}", "Description": f"Correction {k} of webshop order {number}",
            doc.lines: reversal + list(native.get(doc.lines) or [])}
    return resource.create(client, body)


def _reversed(line: Row, doc: Document) -> Row:
    row = {name: line[name] for name in _COPIED if line.get(name) not in (None, "")}
    row["Quantity"] = -Decimal(str(line.get("Quantity") or 0))
    if doc is SALES_ENTRY:
        row["AmountFC"] = -Decimal(str(line.get("AmountFC") or 0))
        row["VATAmountFC"] = -Decimal(str(line.get("VATAmountFC") or 0))
    return row
