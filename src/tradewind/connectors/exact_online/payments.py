"""Exact Online payments received: the receivables of sales invoices and entries that a bank payment was
matched with, read incrementally through the sync API, one record per invoice, linked to the shop's order
by its ``YourRef``.

Which endpoint, and why (fields after ``HlpRestAPIResourcesDetails.aspx?name=SyncCashflowPaymentTerms`` and
``…=CashflowReceivables``, copied in Pi-Systems/exact-online ``Entity/Sync/Cashflow/PaymentTerms.php`` and
``Entity/Cashflow/Receivables.php``; the sandbox's :mod:`~tradewind.sandboxes.exact_online.receivables`
cites them):

* ``sync/Cashflow/PaymentTerms`` — every receivable and payable changed after a ``Timestamp``, 1,000 rows a
  call, no ``Modified`` window to overlap. Only ``Timestamp`` may be filtered on ("filtering need to be done
  after receiving the records"), so receipts (``LineType`` 20) of sales entries (``TransactionType`` 20)
  that are matched (``Status`` 50) are kept here, the rest passed by the page's cursor. Chosen: a day of
  payments costs one call.
* ``cashflow/Receivables`` by ``Modified`` — 60 rows a call, filterable by ``IsFullyPaid``, but read by a
  time window with overlap; kept for reading a record again by id (:meth:`PaymentResource.get`).
* ``read/financial/ReceivablesList`` — the outstanding items report: what is *still open*, so a payment
  shows only as an item's disappearance; nothing to read incrementally.
* bank entries (``financialtransaction/BankEntryLines``) — the money, but matching lives in the
  receivables (a bank line names no invoice until it is matched), so they would need the receivables too.

A record is an invoice (``TransactionEntryID``) with its matched terms of the read: a term marked
``IsFullyPaid`` settles it (:attr:`Payment.paid_in_full`, amount the invoice's total); matched parts
without it are a partial payment (the amount received in this read), which a shop is told of but never
marks paid. The shop's order number is the term's ``YourRef`` — the invoice's, which the booking set to
the shop's number; a term without one (an invoice made in Exact from a sales order) takes its sales
order's ``YourRef`` (by ``OrderNumber``, ~40 orders a call).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from tradewind.connectors.base import NativeRecord, Page
from tradewind.connectors.exact_online.client import ExactClient, Row, chunks_by_length, guid, is_guid, parse_date
from tradewind.connectors.exact_online.codec import build, text
from tradewind.connectors.exact_online.resource import ExactResource, api_rows, without_metadata
from tradewind.connectors.exact_online.shipments import _your_refs
from tradewind.errors import RecordError
from tradewind.model import Money, Payment
from tradewind.model.money import CENT

TERM_FIELDS = ("ID", "Timestamp", "TransactionEntryID", "LineType", "TransactionType", "Status", "IsFullyPaid",
               "AmountFC", "TransactionAmountFC", "Currency", "InvoiceNumber", "EntryNumber", "OrderNumber", "YourRef",
               "LastPaymentDate", "Modified", "Description")
"""What a sync read selects (``LineType`` exists on the sync endpoint only)."""
RECEIVABLE_FIELDS = tuple(f for f in TERM_FIELDS if f not in ("Timestamp", "LineType"))

RECEIPT = 20
SALES_ENTRY = 20
MATCHED = 50


def received(row: Row) -> bool:
    """A receipt of a sales entry or invoice that a payment was matched with."""
    return (row.get("LineType") in (None, RECEIPT) and row.get("TransactionType") == SALES_ENTRY
            and row.get("Status") == MATCHED)


class PaymentResource(ExactResource[Payment]):
    """Invoices paid (in full or in part), one record per invoice, from the matched receivables."""

    def pages(self, client: ExactClient, since: str | None) -> Iterator[Page]:
        yield from self.sync_pages(client, since, keep=received)

    def assemble(self, client: ExactClient, rows: list[Row]) -> list[NativeRecord]:
        """The page's matched terms grouped by invoice, with the shop's number where the terms lack it."""
        by_invoice: dict[str, list[Row]] = {}
        for row in rows:
            by_invoice.setdefault(str(row["TransactionEntryID"]).lower(), []).append(row)
        missing = sorted({int(r["OrderNumber"]) for r in rows if not text(r.get("YourRef")) and r.get("OrderNumber")})
        refs = _your_refs(client, missing) if missing else {}
        records = []
        for entry, terms in by_invoice.items():
            ours = next((text(t.get("YourRef")) for t in terms if text(t.get("YourRef"))), None)
            if ours is None and terms[0].get("OrderNumber"):
                ours = refs.get(int(terms[0]["OrderNumber"]))
            version = max((str(t.get("Timestamp") or "") for t in terms), key=lambda v: (len(v), v))
            records.append(NativeRecord(id=entry, data={"TransactionEntryID": entry, "ShopOrderNumber": ours,
                                                        "Terms": terms}, version=version or None))
        return records

    def get(self, client: ExactClient, ids: Sequence[str]) -> list[NativeRecord | None]:
        """Invoices by ``TransactionEntryID`` through ``cashflow/Receivables`` (~40 a call), their matched terms."""
        wanted = list(dict.fromkeys(i.strip().lower() for i in ids if is_guid(i)))
        rows: list[Row] = []
        for chunk in chunks_by_length(wanted, lambda i: f"TransactionEntryID eq {guid(i)}"):
            clause = " or ".join(f"TransactionEntryID eq {guid(i)}" for i in chunk)
            rows += without_metadata(client.rows(self.path, {"$select": ",".join(RECEIVABLE_FIELDS),
                                                             "$filter": clause}))
        found = {r.id: r for r in self.assemble(client, [r for r in rows if received(r)])}
        return [found.get(i.strip().lower()) for i in ids]

    def from_api(self, raw: Any, options: Any) -> dict[str, Any]:
        """Receivable rows as the API answers them (one invoice's), assembled without calling anyone."""
        rows = [r for r in api_rows(raw) if received(r)]
        if not rows or len({str(r.get("TransactionEntryID")).lower() for r in rows}) != 1:
            raise RecordError("give the matched receivable rows of one invoice, as Exact Online answers them")
        return {"TransactionEntryID": str(rows[0]["TransactionEntryID"]).lower(),
                "ShopOrderNumber": text(rows[0].get("YourRef")) or "<YourRef of the sales order>", "Terms": rows}


def cents(value: Any) -> Decimal:
    """An amount as Exact sends it (a JSON number) in cents: ``30.0`` → ``30.00``."""
    return Decimal(str(value or 0)).quantize(CENT)


def payment_in(data: Mapping[str, Any], settings: Any = None) -> Payment:
    """An invoice's matched terms → Payment: settled when a term says ``IsFullyPaid`` (the amount is
    the invoice's total), else a partial payment of what these terms received."""
    terms = list(data.get("Terms") or [])
    if not terms:
        raise RecordError("a payment record holds the matched receivables of one invoice; none given")
    first = terms[0]
    invoice = text(first.get("InvoiceNumber")) or text(first.get("EntryNumber"))
    name = f"invoice {invoice}" if invoice else f"entry {data.get('TransactionEntryID')}"
    currency = text(first.get("Currency"))
    if currency is None:
        raise RecordError(f"{name}: the receivable names no currency", field="amount.currency", record=invoice)
    order = text(data.get("ShopOrderNumber"))
    if order is None:
        raise RecordError(f"{name} has no YourRef (the shop's order number), nor has its sales order: it was not "
                          "booked from the shop", field="order_number", record=invoice)
    full = any(bool(t.get("IsFullyPaid")) for t in terms)
    total = cents(first.get("TransactionAmountFC"))
    paid = total if full else sum((cents(t.get("AmountFC")) for t in terms), Decimal(0))
    days = [d for d in (parse_date(t.get("LastPaymentDate")) or parse_date(t.get("Modified")) for t in terms) if d]
    return build(Payment, invoice, reference=name, amount=Money(amount=paid, currency=currency),
                 order_number=order, invoice_number=invoice, paid_at=max(days) if days else None,
                 paid_in_full=full, invoice_amount=Money(amount=total, currency=currency), method="bank")
