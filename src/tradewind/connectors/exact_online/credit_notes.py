"""Credit notes in Exact Online: a shop refund's credit note (:func:`tradewind.rules.refunds.compose_credit_note`)
as a sales invoice of ``Type`` 8021.

``salesinvoice/SalesInvoices`` takes "8020 = Sales invoices, 8021 = Sales credit note"
(``HlpRestAPIResourcesDetails.aspx?name=SalesInvoiceSalesInvoices``); a credit note's lines carry negative
quantities, so Exact's amounts and VAT (per line, from the net amount) come out negative. The fields of a
sales invoice include none that names the invoice a credit note corrects, so the credit note says it where
a person and a look-up read it: ``YourRef`` is the order's number with the refund (``#1001/R123``, the
natural key that finds it again before creating twice) and ``Description`` names the original invoice.

A credit line is the booked line reversed (same item, VAT code, unit price) with Exact's ``Discount`` —
a fraction of the line — carrying the line's discount share, so Exact's ``AmountFC`` is the credit
note's amount to the cent. The fraction is taken from the credited amount, as for invoices
(:func:`.booking.discount_fraction`): eight decimals of discount ÷ gross can tip a half cent the other way
(tests/connectors/exact_online/test_credit_note_totals.py). A drafted credit note (a difference beyond the
tolerance) is a real draft (Status 10).
"""

from __future__ import annotations

from datetime import date

from tradewind.connectors.base import Refs
from tradewind.connectors.exact_online.booking import discount_fraction
from tradewind.connectors.exact_online.client import ExactClient, Row, format_date, quote
from tradewind.connectors.exact_online.documents import SALES_INVOICE
from tradewind.errors import RecordError
from tradewind.model import Order
from tradewind.rules.refunds import CreditNote
from tradewind.rules.rounding import BookingLine

CREDIT_NOTE = 8021
"""``SalesInvoices.Type`` of a sales credit note."""
DRAFT = 10
"""``SalesInvoices.Status`` of a draft."""


def reference(order: Order, note: CreditNote) -> str:
    """``YourRef`` of the credit note: the order's number and the refund's own number (its id's tail)."""
    return your_ref(order.number, note.refund.reference)


def your_ref(order_number: str, refund_reference: str) -> str:
    """``#1001/R123`` for refund ``gid://shopify/Refund/123`` of order ``#1001``."""
    return f"{order_number}/R{refund_reference.rsplit('/', 1)[-1]}"


def credit_note_out(order: Order, note: CreditNote, refs: Refs, *, customer: str, journal: str,
                    credited_invoice: str | None, day: date) -> Row:
    """The SalesInvoices body of ``note`` for ``customer`` (an account ID) in the sales ``journal``."""
    credits = f"credits invoice {credited_invoice}" if credited_invoice else "credits the order's booking"
    row: Row = {"Type": CREDIT_NOTE, "OrderedBy": customer, "InvoiceTo": customer, "DeliverTo": customer,
                "Journal": journal, "YourRef": reference(order, note), "Currency": order.currency,
                "Description": f"Refund of order {order.number}: {credits}", "InvoiceDate": format_date(day),
                "OrderDate": format_date(day), "Remarks": f"DRAFT: {note.reason}" if note.draft else None,
                "Status": DRAFT if note.draft else None,
                SALES_INVOICE.lines: [_line(line, refs) for line in note.lines]}
    return {k: v for k, v in row.items() if v is not None}


def _line(line: BookingLine, refs: Refs) -> Row:
    try:
        item = refs("product", {"sku": line.sku})
    except RecordError as error:
        raise RecordError(error.message, field=f"{line.source or 'lines'}.sku", record=error.record) from error
    row: Row = {"Item": item, "Description": line.description, "Quantity": line.quantity,
                "UnitPrice": line.unit_price.amount, "VATCode": line.vat_code}
    gross = line.unit_price.amount * line.quantity
    if line.discount and gross:
        row["Discount"] = discount_fraction(gross, line.amount().amount)
    return row


def find(client: ExactClient, your_ref: str) -> Row | None:
    """The credit note already made for this refund (by ``YourRef`` and Type 8021), so none is made twice."""
    rows = client.rows(SALES_INVOICE.path, {"$select": "InvoiceID,InvoiceNumber,YourRef,Type,AmountFC",
                                            "$filter": f"YourRef eq {quote(your_ref)} and Type eq {CREDIT_NOTE}"})
    return rows[0] if rows else None


def create(client: ExactClient, body: Row) -> Row:
    """Post the credit note, unless one with its ``YourRef`` exists: then that one is the answer."""
    found = find(client, str(body["YourRef"]))
    return found if found is not None else client.post(SALES_INVOICE.path, body)
