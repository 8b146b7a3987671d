"""Receivables in the Exact Online sandbox: the payment terms a processed sales invoice or a sales entry
opens, read through the sync API (``sync/Cashflow/PaymentTerms``) and ``cashflow/Receivables``, and the
bank payments matched with them, which settle them in full or in part.

Sources (fields, statuses, meanings), each copying Exact's reference pages as Pi-Systems/exact-online
``src/Entity/Sync/Cashflow/PaymentTerms.php`` and ``src/Entity/Cashflow/Receivables.php`` @ d536f28 do
(``https://start.exactonline.nl/docs/HlpRestAPIResourcesDetails.aspx?name=SyncCashflowPaymentTerms`` and
``…=CashflowReceivables``):

* "The PaymentTerms sync api returns both payments and receipts … To filter out receipts you need to
  filter only on LineType … The API does not allow to filter on these fields": ``LineType`` 20 is a
  receipt (a receivable), 22 a payment; only ``Timestamp`` may be filtered on.
* ``Status`` "20 = open 30 = selected … 40 = processed … 50 = matched - receivable is matched with one or
  more other outstanding items or financial statement lines"; ``IsFullyPaid`` "whether the receivable was
  fully paid by the customer"; ``LastPaymentDate``; ``EndDate`` "since when the receivable is no longer an
  outstanding item".
* ``AmountDC`` "Receivables are matched on this amount", ``AmountFC`` in the receivable's currency,
  ``RateFC`` "AmountFC * RateFC = AmountDC"; ``TransactionAmountDC``/``FC`` "Total amount of the linked
  transaction"; ``TransactionEntryID`` "Linked transaction. Use this as reference to SalesEntries";
  ``InvoiceNumber``/``OrderNumber``/``EntryNumber`` "of the linked transaction"; ``TransactionType`` "Type
  of the linked transaction" (20 sales entry, 21 sales credit note, 40 cash flow: Exact's financial
  transaction types).
* ``YourRef``: "In case the receivable belongs to a bank entry line and is matched with one invoice,
  YourRef is filled with the YourRef of this invoice"; a sales entry's own term carries the entry's
  YourRef (the customer's reference, where a webshop order's number goes).
* "A receivable can be split so that one part is received on a different date. In that case the two
  records get a different EntryID."

What the sandbox decides where the pages are silent (**[uncertain]**): an open (Status 20) invoice has no
term — processing (printing) books it and opens one, with ``TransactionEntryID`` the invoice's
``InvoiceID``; a sales entry opens one when booked. A payment matched with part of a term splits it: the
paid part becomes its own term (Status 50, ``IsFullyPaid`` false) and the rest stays open; the payment
that settles the last part marks every part of the invoice ``IsFullyPaid`` (each is touched, so a sync
read sees them). The bank entry line's own term (``TransactionType`` 40, the amount negative) is matched
beside it. Receiving more than is open is refused (500, wording **[uncertain]**).

Payments are registered as Exact registers them when a bank statement line is matched — not through the
REST API, which has no call to match: :meth:`Receivables.receive_payment` (tests, the demo) or the seed
document's ``"payments"``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from tradewind.sandboxes.exact_online.deliveries import Deliveries
from tradewind.sandboxes.exact_online.invoicing import cents
from tradewind.sandboxes.exact_online.ledger import ENTRIES, INVOICES, PRINTED
from tradewind.sandboxes.exact_online.schema import (
    _COMMON_RO,
    ACCOUNTS,
    Entity,
    ExactError,
    Rec,
    _schema,
    dec,
    money,
    parse_date,
)

TERMS = Entity(
    "PaymentTerms", "Exact.Web.Api.Models.Cashflow.PaymentTerm", "ID",
    _schema("guid: ID Account TransactionEntryID EntryID Creator Modifier; "
            "str: AccountCode AccountName Currency Description Journal PaymentCondition PaymentConditionDescription "
            "PaymentMethod PaymentReference YourRef CreatorFullName ModifierFullName; "
            "int: EntryNumber InvoiceNumber OrderNumber LineType Status TransactionType Division; "
            "bool: IsFullyPaid; "
            "float: AmountDC AmountFC RateFC TransactionAmountDC TransactionAmountFC; "
            "date: DueDate EndDate EntryDate InvoiceDate LastPaymentDate Created Modified"),
    frozenset(_COMMON_RO.split()),
    (),
    ("TransactionEntryID", "YourRef", "InvoiceNumber"),
)
RECEIPT = 20
"""``LineType`` of a receipt (a receivable); 22 is a payment (a payable)."""
OPEN, MATCHED = 20, 50
SALES_ENTRY, CREDIT_NOTE, CASH_FLOW = 20, 21, 40
"""``TransactionType`` of the linked transaction."""


class Receivables(Deliveries):
    """Payment terms opened by processed invoices and sales entries, settled by matched payments."""

    def _reset_data(self) -> None:
        super()._reset_data()
        self.tables[TERMS.name] = {}
        self.indexes.update({(TERMS.name, f): {} for f in TERMS.indexed})

    def create(self, entity: Entity, body: Mapping[str, Any], *, trusted: bool = False) -> Rec:
        with self.lock:
            rec = super().create(entity, body, trusted=trusted)
            if entity is PRINTED:
                invoice = self.tables[INVOICES.name][rec["InvoiceID"]]
                self._open_term(invoice, entry_id=invoice["InvoiceID"], account=invoice["InvoiceTo"],
                                kind=CREDIT_NOTE if invoice.get("Type") == 8021 else SALES_ENTRY,
                                day=invoice["InvoiceDate"], number=invoice["InvoiceNumber"],
                                entry_number=invoice["InvoiceNumber"])
            elif entity is ENTRIES and rec.get("Status") in (OPEN, MATCHED):
                self._open_term(rec, entry_id=rec["EntryID"], account=rec["Customer"],
                                kind=CREDIT_NOTE if rec.get("Type") == 21 else SALES_ENTRY, day=rec["EntryDate"],
                                number=rec.get("InvoiceNumber") or rec.get("EntryNumber"),
                                entry_number=rec.get("EntryNumber"))
            return rec

    def _open_term(self, doc: Rec, *, entry_id: str, account: str, kind: int, day: datetime, number: Any,
                   entry_number: Any) -> Rec:
        customer = self.tables[ACCOUNTS.name].get(account) or {}
        amount_fc, amount_dc = dec(doc.get("AmountFC")), dec(doc.get("AmountDC"))
        term = self._new_record(TERMS, {
            "Account": account, "AccountCode": customer.get("Code"), "AccountName": customer.get("Name"),
            "AmountFC": money(amount_fc), "AmountDC": money(amount_dc), "Currency": doc.get("Currency"),
            "RateFC": float(amount_dc / amount_fc) if amount_fc else 1.0, "TransactionAmountFC": money(amount_fc),
            "TransactionAmountDC": money(amount_dc), "TransactionEntryID": entry_id, "EntryID": str(uuid.uuid4()),
            "TransactionType": kind, "LineType": RECEIPT, "Status": OPEN, "IsFullyPaid": False,
            "InvoiceNumber": number, "EntryNumber": entry_number, "OrderNumber": doc.get("OrderNumber"),
            "YourRef": doc.get("YourRef"), "Description": doc.get("Description"), "Journal": doc.get("Journal"),
            "PaymentCondition": doc.get("PaymentCondition"), "InvoiceDate": day, "EntryDate": day,
            "DueDate": doc.get("DueDate") or day, "PaymentMethod": "B"})
        self._touch(term)
        return self._store(TERMS, term)

    # ------------------------------------------------------------------ helpers tests and demos use

    def receive_payment(self, *, your_ref: str | None = None, invoice_number: int | None = None,
                        amount: Decimal | str, day: datetime | str, reference: str | None = None) -> Rec:
        """A bank statement line of ``amount`` (the invoice's currency) received on ``day``, matched
        with the open term of the invoice or entry named by ``your_ref`` (the shop's order number) or
        ``invoice_number``, as a bookkeeper matches it in Exact. Returns the matched part's term."""
        day = parse_date(day)
        with self.lock:
            wanted = dec(amount)
            term = self._open_term_of(your_ref, invoice_number)
            left = dec(term["AmountFC"])
            if wanted <= 0 or wanted > left:
                raise ExactError(500, f"The amount {wanted} does not match the outstanding amount {left} of invoice "
                                      f"{term['InvoiceNumber']}")
            rate = dec(term["RateFC"])
            if wanted < left:  # split: the paid part becomes its own (matched) term, the rest stays open
                rest = dict(term)
                rest.update(AmountFC=money(left - wanted), AmountDC=money(cents((left - wanted) * rate)),
                            LastPaymentDate=day)
                self._touch(rest)
                self._store(TERMS, rest)
                paid = self._new_record(TERMS, {**term, "ID": None, "EntryID": str(uuid.uuid4())})
                paid.update(AmountFC=money(wanted), AmountDC=money(cents(wanted * rate)), Status=MATCHED,
                            IsFullyPaid=False, LastPaymentDate=day, EndDate=day, Created=None)
                self._touch(paid)
                self._store(TERMS, paid)
            else:
                paid = term
                for part in self.lookup(TERMS, "TransactionEntryID", term["TransactionEntryID"]):
                    if part["TransactionType"] == term["TransactionType"]:
                        part.update(IsFullyPaid=True, EndDate=day)
                        if part is term:
                            part.update(Status=MATCHED, LastPaymentDate=day)
                        self._touch(part)
                        self._store(TERMS, part)
            self._bank_line(paid, wanted, day, reference)
            return dict(paid)

    def _open_term_of(self, your_ref: str | None, invoice_number: int | None) -> Rec:
        if your_ref is not None:
            found = self.lookup(TERMS, "YourRef", your_ref)
        else:
            found = self.lookup(TERMS, "InvoiceNumber", invoice_number)
        open_terms = [t for t in found if t["Status"] == OPEN and t["TransactionType"] == SALES_ENTRY]
        if not open_terms:
            raise ExactError(500, f"No outstanding item found for {your_ref or invoice_number}")
        return open_terms[0]

    def _bank_line(self, paid: Rec, amount: Decimal, day: datetime, reference: str | None) -> None:
        """The bank entry line's own receivable, matched with the invoice's: negative, cash flow."""
        rate = dec(paid["RateFC"])
        line = self._new_record(TERMS, {
            "Account": paid["Account"], "AccountCode": paid["AccountCode"], "AccountName": paid["AccountName"],
            "AmountFC": money(-amount), "AmountDC": money(cents(-amount * rate)), "Currency": paid["Currency"],
            "RateFC": float(rate), "TransactionAmountFC": money(-amount), "TransactionAmountDC":
            money(cents(-amount * rate)), "TransactionEntryID": str(uuid.uuid4()), "EntryID": str(uuid.uuid4()),
            "TransactionType": CASH_FLOW, "LineType": RECEIPT, "Status": MATCHED, "IsFullyPaid": True,
            "YourRef": paid["YourRef"], "Description": reference or f"Payment {paid['YourRef'] or ''}".strip(),
            "PaymentReference": reference, "InvoiceDate": day, "EntryDate": day, "LastPaymentDate": day,
            "EndDate": day, "PaymentMethod": "B"})
        self._touch(line)
        self._store(TERMS, line)

    def terms(self) -> list[Rec]:
        """Every payment term (receivable) in Timestamp order."""
        with self.lock:
            return sorted((dict(t) for t in self.tables[TERMS.name].values()), key=lambda t: t["Timestamp"])
