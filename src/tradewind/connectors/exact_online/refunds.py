"""Exact Online's ``credit_notes`` target: a shop refund written as a sales credit note (:mod:`.credit_notes`),
or, for orders booked as sales entries (``booking_type: sales_entry``), as a sales entry of the booked lines
reversed on their GL accounts and cost centres (:mod:`.credit_entries`).

How the order was booked is composed again from the original order (a shop's refund carries it) with the
connection's ``booking`` rules and the division's VAT codes: the same pure function that booked it, so the
credit note reverses the very lines, prices, codes and discount spread that were booked, at no call. Reading
the booked lines back from Exact instead would still need the shop's order (which booked line came from which
shop line, how order discounts were spread) and would cost a call per line set. Exact is asked only what it
alone knows, in one call: the booked document with its lines, found by ``YourRef`` = the order's number, for
its customer and invoice number. Its lines are checked against the booking composed again (item, quantity, net
amount), so rules changed since the order was booked, or the document edited in Exact, never credit other
lines than were booked: the refund fails, naming both.

An order not booked yet is a missing reference: a flow that runs ``after: [orders]`` parks the refund until
the orders flow has run, then writes it. A credit note is found again by its ``YourRef`` (``#1001/R<refund>``)
before it is created, so each refund is credited once.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from tradewind.connectors.base import Connector, Found, NativeRecord, Refs
from tradewind.connectors.exact_online import booking as exact_booking
from tradewind.connectors.exact_online import credit_entries, credit_notes
from tradewind.connectors.exact_online.client import ExactClient, Row, quote
from tradewind.connectors.exact_online.documents import DOCUMENTS, SALES_ENTRY, SALES_INVOICE, Document, lines_of
from tradewind.connectors.exact_online.reference import dropped_when_stale
from tradewind.connectors.exact_online.resource import ExactResource, without_metadata
from tradewind.errors import MissingReference, RecordError
from tradewind.model import Order
from tradewind.model.refund import Refund
from tradewind.rules.booking import Booking
from tradewind.rules.orders import business_date
from tradewind.rules.refunds import CreditNote, compose_credit_note
from tradewind.rules.settings import BookingRules
from tradewind.rules.tax import CENT, VatCodeMap

INVOICE = 8020
"""``SalesInvoices.Type`` of a sales invoice."""


def not_read(data: dict[str, Any], **_: Any) -> Refund:
    raise RecordError("Exact Online's credit_notes are written, not read")


def not_bound(refund: Refund, refs: Refs, **_: Any) -> dict[str, Any]:
    raise RecordError("credit_notes: bind the resource to a connection first")


class CreditNoteResource(ExactResource[Refund]):
    """Refunds written as sales credit notes (Type 8021) against the order's booking; create only."""

    def bind(self, connection: Connector) -> CreditNoteResource:
        bound = super().bind(connection)
        assert isinstance(bound, CreditNoteResource)
        bound.encode = bound.credit_note_out
        return bound

    def find(self, client: ExactClient, keys: Mapping[str, str]) -> Found:
        """By ``YourRef`` (the order's number and the refund's), among credit notes only — or among sales
        entries, when orders are booked as sales entries (credited by a sales entry, :mod:`.credit_entries`)."""
        ref = credit_notes.your_ref(keys.get("order_number") or "", keys.get("reference") or "")
        if self._entries(client):
            row = credit_entries.find(client, ref)
            return NativeRecord(id=str(row["EntryID"]), data=row) if row is not None else None
        row = credit_notes.find(client, ref)
        return NativeRecord(id=str(row["InvoiceID"]), data=row) if row is not None else None

    def create(self, client: ExactClient, native: dict[str, Any]) -> NativeRecord:
        with dropped_when_stale(client.reference):
            return self._create(client, native)

    def _create(self, client: ExactClient, native: dict[str, Any]) -> NativeRecord:
        if SALES_ENTRY.lines in native:
            entry = without_metadata([client.post(SALES_ENTRY.path, native)])[0]
            return NativeRecord(id=str(entry["EntryID"]), data=entry)
        created = without_metadata([client.post(self.path, native)])[0]
        return NativeRecord(id=str(created["InvoiceID"]), data=created)

    def _entries(self, client: ExactClient) -> bool:
        """Whether the connection books orders as sales entries (so credits them with sales entries)."""
        assert self.connection is not None
        rules = self.connection.resource("orders").codec_settings(client).booking  # type: ignore[attr-defined]
        return rules is not None and DOCUMENTS[rules.booking_type] is SALES_ENTRY

    def credit_note_out(self, refund: Refund, refs: Refs) -> dict[str, Any]:
        """The credit note's body: the refund composed against the order's booking (module docstring)."""
        assert self.connection is not None
        with dropped_when_stale(self.connection.client.reference):
            return self._credit_note_out(refund, refs)

    def _credit_note_out(self, refund: Refund, refs: Refs) -> dict[str, Any]:
        order = refund.order
        if order is None:
            raise RecordError("the refund came without its order, so the order's booking is unknown; read refunds "
                              "through the shop's refunds resource", field="order")
        assert self.connection is not None
        client = self.connection.client
        orders = self.connection.resource("orders")
        settings = orders.codec_settings(client)  # type: ignore[attr-defined]
        rules, codes = settings.booking, settings.vat_code_map
        if rules is None:
            raise RecordError("credit notes are composed from the order's booking: set the connection's booking "
                              "rules (booking:)", field="booking")
        doc = DOCUMENTS[rules.booking_type]
        booked = self._booked(client, doc, order)
        booking = exact_booking.compose(order, rules, codes)
        _same_booking(booking, booked, doc, rules, order)
        note = _compose(order, booking, refund, rules, codes)
        journal = rules.journal or booked.get("Journal")
        if not journal:
            raise RecordError("a credit note is a sales invoice and needs a sales journal: set booking.journal",
                              field="booking.journal")
        day = business_date(refund.created_at, rules.time_zone or "UTC")
        if doc is SALES_ENTRY:
            assert settings.division is not None  # read with the VAT codes when booking rules are set
            return credit_entries.credit_entry_out(
                order, note, booking, booked, rules, facts=settings.division, journal=str(journal), day=day,
                foreign=order.currency != (rules.base_currency or settings.currency))
        return credit_notes.credit_note_out(
            order, note, refs, customer=str(booked[doc.party]), journal=str(journal),
            credited_invoice=_invoice_number(client, doc, booked, order), day=day)

    def _booked(self, client: ExactClient, doc: Document, order: Order) -> Row:
        """The order's booked document (sales order, invoice or entry) by ``YourRef``; missing: not booked yet."""
        rows = without_metadata(client.rows(doc.path, {
            "$select": ",".join(f for f in doc.select if f in _WANTED), "$expand": doc.lines,
            "$filter": f"YourRef eq {quote(order.number)}" + (f" and Type eq {INVOICE}" if doc is SALES_INVOICE
                                                               else "")}))
        if not rows:
            raise MissingReference(f"order {order.number} is not booked in Exact Online yet",
                                   entity="order", field="order_number")
        if len(rows) > 1:
            raise RecordError(f"order {order.number} is booked {len(rows)} times in Exact Online "
                              f"({', '.join(str(r[doc.key]) for r in rows)}); tradewind never picks one",
                              field="order_number")
        return rows[0]


_WANTED = {"OrderID", "InvoiceID", "InvoiceNumber", "YourRef", "OrderedBy", "Journal", "Currency", "Status",
           "SalesOrderLines", "SalesInvoiceLines", "EntryID", "EntryNumber", "Customer", "Rate", "SalesEntryLines"}


def _compose(order: Order, booking: Booking, refund: Refund, rules: BookingRules,
             codes: VatCodeMap | None) -> CreditNote:
    """The refund's credit note after the order's earlier refunds' (composed the same way)."""
    earlier: list[CreditNote] = []
    for before in refund.earlier:
        earlier.append(compose_credit_note(order, booking, before, rules, method=exact_booking.METHOD,
                                           earlier=earlier, vat_codes=codes))
    return compose_credit_note(order, booking, refund, rules, method=exact_booking.METHOD, earlier=earlier,
                               vat_codes=codes)


def _same_booking(booking: Booking, booked: Row, doc: Document, rules: BookingRules, order: Order) -> None:
    """The booking composed again must be what Exact holds, line by line (item — a sales entry's lines have
    none, their description instead —, quantity, net amount): rules changed since, or the document edited in
    Exact, would credit other lines than were booked."""
    name = "Description" if doc is SALES_ENTRY else "ItemCode"
    composed = sorted((line.description if doc is SALES_ENTRY else line.sku, line.quantity,
                       line.amount(rules.rounding).amount) for line in booking.lines)
    held = sorted((str(row.get(name) or "").strip(), Decimal(str(row.get("Quantity"))),
                   Decimal(str(row.get("AmountFC"))).quantize(CENT)) for row in lines_of(booked, doc))
    if composed != held:
        raise RecordError(f"order {order.number} is booked in Exact Online as {_said(held)}, but its booking is now "
                          f"{_said(composed)}: credit the refund by hand", field="order_number")


def _said(lines: list[tuple[str, Decimal, Decimal]]) -> str:
    return ", ".join(f"{sku} {quantity:g} = {amount}" for sku, quantity, amount in lines)


def _invoice_number(client: ExactClient, doc: Document, booked: Row, order: Order) -> str | None:
    """The invoice the credit note corrects: the booked invoice's, or the one Exact made from the sales order."""
    if doc is SALES_INVOICE:
        return str(booked["InvoiceNumber"]) if booked.get("InvoiceNumber") is not None else None
    rows = client.rows(SALES_INVOICE.path, {"$select": "InvoiceID,InvoiceNumber",
                                            "$filter": f"YourRef eq {quote(order.number)} and Type eq {INVOICE}"})
    return str(rows[0]["InvoiceNumber"]) if rows else None
