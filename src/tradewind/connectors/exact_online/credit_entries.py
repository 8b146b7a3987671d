"""Credits in Exact Online of orders booked as sales entries (``booking_type: sales_entry``): a sales entry of
negative lines, as Exact keeps a sales credit note in a sales journal.

``salesentry/SalesEntries`` (``HlpRestAPIResourcesDetails.aspx?name=SalesEntrySalesEntries``, copied in the
.NET SDK's ``SalesEntry.cs``) has ``Type`` "20 = Sales entry, 21 = Sales credit note", but read-only: a client
does not choose it, it posts the entry's lines, and a credit is an entry whose lines are the booked ones
reversed. So the credit entry is the credit note (:func:`tradewind.rules.refunds.compose_credit_note`) as lines
of the same sales journal, each on the same ``GLAccount``, ``CostCenter``, ``CostUnit`` and ``Project`` as the
booked line it reverses (read from the booked entry, so a ledger changed in the project file since still
credits where the order went), with its ``VATCode``, the negative net ``AmountFC`` and the negative quantity.
Lines the booking did not have — the credit note's own rounding line, an order-level adjustment — go on the
booked entry's first line's dimensions; an adjustment on the GL account ``booking.adjustment_item`` names.

An entry has no field naming the entry it corrects either (as a sales invoice has none): ``YourRef`` is the
order's number with the refund's (``#1001/R123``, the natural key that finds it again before creating twice)
and ``Description`` names the booked entry's number. An entry in a foreign currency is credited at the rate
the booked entry was booked with (``Rate``), so the credit reverses the same base-currency amounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from tradewind.connectors.exact_online.client import ExactClient, Row, format_date, quote
from tradewind.connectors.exact_online.credit_notes import reference
from tradewind.connectors.exact_online.documents import SALES_ENTRY, DivisionFacts, lines_of
from tradewind.model import Order
from tradewind.rules.booking import Booking
from tradewind.rules.refunds import CreditNote
from tradewind.rules.rounding import BookingLine, LineRole
from tradewind.rules.settings import BookingRules
from tradewind.rules.tax import OrderHeld

DIMENSIONS = ("GLAccount", "CostCenter", "CostUnit", "Project")
"""What a credit line takes from the booked line it reverses."""

Key = tuple[LineRole, str, str, Decimal, str]


def _key(line: BookingLine) -> Key:
    """What a booked line and its credit share (the credit note keeps role, source, code, rate and item)."""
    return (line.role, line.source, line.vat_code, line.vat_rate, line.sku)


def dimensions(booking: Booking, booked: Row) -> dict[Key, Row]:
    """Each booking line's dimensions as the booked entry holds them: its lines in ``LineNumber`` order are the
    booking's lines in order (checked beforehand: same descriptions, quantities and amounts)."""
    rows = sorted(lines_of(booked, SALES_ENTRY), key=lambda row: int(row.get("LineNumber") or 0))
    found: dict[Key, Row] = {}
    for line, row in zip(booking.lines, rows, strict=False):
        found.setdefault(_key(line), {name: row[name] for name in DIMENSIONS if row.get(name)})
    return found


def credit_entry_out(order: Order, note: CreditNote, booking: Booking, booked: Row, rules: BookingRules, *,
                     facts: DivisionFacts, journal: str, day: date, foreign: bool) -> Row:
    """The SalesEntries body crediting ``note`` against the ``booked`` entry (module docstring); ``foreign``:
    the order is in another currency than the division's, so the booked entry's ``Rate`` goes along."""
    if note.draft:  # a sales entry has no draft, as for the booking
        raise OrderHeld(f"{note.reason}; a sales entry has no draft (on_difference: draft)", field="total")
    dims = dimensions(booking, booked)
    first = next(iter(dims.values()), {})
    number = booked.get("EntryNumber")
    credits = f"credits sales entry {number}" if number is not None else "credits the order's booking"
    row: Row = {"Customer": booked[SALES_ENTRY.party], "Journal": journal, "YourRef": reference(order, note),
                "Currency": order.currency, "Rate": booked.get("Rate") if foreign else None,
                "Description": f"Refund of order {order.number}: {credits}", "EntryDate": format_date(day),
                SALES_ENTRY.lines: [_line(line, dims, first, rules, facts) for line in note.lines]}
    return {k: v for k, v in row.items() if v is not None}


def _line(line: BookingLine, dims: dict[Key, Row], first: Row, rules: BookingRules, facts: DivisionFacts) -> Row:
    row: Row = {"Description": line.description, "Quantity": line.quantity,
                "AmountFC": line.amount(rules.rounding).amount, "VATCode": line.vat_code,
                **dims.get(_key(line), first)}
    if line.role is LineRole.ADJUSTMENT and rules.adjustment_item:
        row["GLAccount"] = facts.id_of("GLAccounts", rules.adjustment_item, "booking.adjustment_item")
    return row


def find(client: ExactClient, your_ref: str) -> Row | None:
    """The credit entry already made for this refund (by ``YourRef``), so none is made twice. Not filtered on
    ``Type``: Exact derives it, and the reference alone is the refund's."""
    rows: Sequence[Row] = client.rows(SALES_ENTRY.path, {"$select": "EntryID,EntryNumber,YourRef,Type,AmountFC",
                                                          "$filter": f"YourRef eq {quote(your_ref)}"})
    return rows[0] if rows else None


def create(client: ExactClient, body: Row) -> Row:
    """Post the credit entry, unless one with its ``YourRef`` exists: then that one is the answer."""
    found = find(client, str(body["YourRef"]))
    return found if found is not None else client.post(SALES_ENTRY.path, body)
