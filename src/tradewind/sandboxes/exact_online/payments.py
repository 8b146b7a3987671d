"""Payments in the Exact Online sandbox: bank entries (``financialtransaction/BankEntries`` with their
``BankEntryLines``), which settle the outstanding items (``cashflow/Receivables``, :mod:`.receivables`) of
the invoices they name.

Sources, each a copy of Exact's reference page ``https://start.exactonline.nl/docs/
HlpRestAPIResourcesDetails.aspx?name=…``:

* ``FinancialTransactionBankEntries`` / ``…BankEntryLines`` — the .NET SDK's ``BankEntry.cs`` and
  ``BankEntryLine.cs`` (exactonline/exactonline-api-dotnet-client @ 8ceb6a7; scubaracer's fork @ 7a65698):
  header ``JournalCode``, ``Currency``, ``EntryNumber``, ``OpeningBalanceFC``/``ClosingBalanceFC``, ``Status``
  "20 = Open, 50 = Processed" (read-only); lines ``Account`` "Reference to Account", ``AmountFC`` "Amount in the
  currency of the transaction", ``AmountDC`` (read-only), ``Date``, ``Description``, ``GLAccount``,
  ``OurRef`` (Int32: the invoice number the line pays). The PISystems PHP client's copy of the page: "You
  must include a parameter for 'BankEntryLines' … when you POST to the BankEntries endpoint"; lines may
  also be POSTed to an existing entry (SDK: create and read).
* Signs: an entry line's ``AmountFC`` is positive for debit, negative for credit (Exact's general journal
  entries, stackoverflow.com/q/70498576: "Positive amount = debit, Negative amount = credit"); money received
  from a customer credits the customer's receivable, so its line is **negative**. Exact books the bank
  account's half itself (techqa.club "exact-online-import-gltransactions-with-automatic-reconciliation":
  "Exact Online itself generates the other half"). That bank lines follow the same sign rule as general
  journal lines is **[uncertain]**: no published page says it for BankEntryLines.
* ``CashflowReceivables`` (fields and statuses: :mod:`.receivables`): ``TransactionID`` "Linked transaction
  line. Use this as reference to BankEntryLines and CashEntryLines" — a bank line on a customer account is an
  outstanding item of its own, negative, matched beside the invoice's or left open.
* Matching: the REST API has no endpoint to match ("afletteren") outstanding items (picqer/exact-php-client
  #127, #1 answer: "only possible via the XML api"); an integration books the payment so Exact matches it:
  "EOL automatically reconciles ('afletteren') the invoice so that it's marked as 'paid', if amounts match
  exactly" (picqer/exact-php-client #260). The sandbox matches a customer's bank line with ``OurRef`` = an
  invoice number of that customer's open receivable when the amounts cancel exactly: both become Status 50,
  the invoice's ``IsFullyPaid`` (:meth:`~.receivables.Receivables.receive_payment`). A different amount
  leaves both open, for the bookkeeper. Which fields
  Exact's automatic matching reads (``OurRef`` beside account and amount) is **[uncertain]**.
* Journals: ``Journals.Type`` 10 cash, 12 bank, 20 sales (``FinancialJournals``); a bank entry in a journal
  that is not a bank journal is refused (wording **[uncertain]**). Payment conditions carry ``PaymentDays``
  (``CashflowPaymentConditions``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from tradewind.sandboxes.exact_online.invoicing import cents
from tradewind.sandboxes.exact_online.ledger import GL_ACCOUNTS, JOURNALS, PAYMENT_CONDITIONS
from tradewind.sandboxes.exact_online.receivables import CASH_FLOW, OPEN, RECEIPT, SALES_ENTRY, TERMS, Receivables
from tradewind.sandboxes.exact_online.schema import (
    _COMMON_RO,
    ACCOUNTS,
    Entity,
    ExactError,
    Rec,
    _schema,
    dec,
    iso,
    money,
)

BANK_ENTRIES = Entity(
    "BankEntries", "Exact.Web.Api.Models.FinancialTransaction.BankEntry", "EntryID",
    _schema("guid: EntryID BankStatementDocument Creator Modifier; "
            "str: Currency JournalCode JournalDescription StatusDescription CreatorFullName ModifierFullName; "
            "int: EntryNumber FinancialPeriod FinancialYear Status Division; float: OpeningBalanceFC ClosingBalanceFC; "
            "date: Created Modified; nav: BankEntryLines"),
    frozenset((_COMMON_RO + " JournalDescription Status StatusDescription").split()),
    (("JournalCode", "Journal"),),
    ("JournalCode",),
)
BANK_ENTRY_LINES = Entity(
    "BankEntryLines", "Exact.Web.Api.Models.FinancialTransaction.BankEntryLine", "ID",
    _schema("guid: ID EntryID Account GLAccount Project Document OffsetID Creator Modifier; "
            "str: AccountCode AccountName CostCenter CostUnit Description GLAccountCode GLAccountDescription Notes "
            "VATCode VATType CreatorFullName ModifierFullName; int: EntryNumber LineNumber OurRef Division; "
            "float: AmountFC AmountDC AmountVATFC ExchangeRate Quantity VATPercentage; date: Date Created Modified"),
    frozenset((_COMMON_RO + " AccountCode AccountName AmountDC EntryNumber GLAccountCode GLAccountDescription "
               "LineNumber OffsetID").split()),
    (("AmountFC", "Amount"),),
    ("EntryID", "OurRef", "Account"),
)
PAYMENT_ENTITIES = (BANK_ENTRIES, BANK_ENTRY_LINES)

BANK, CASH = 12, 10
"""``Journals.Type`` of a bank and a cash journal."""
BANK_JOURNALS = (("20", "Shopify Payments", BANK), ("21", "Mollie", BANK), ("10", "Kas", CASH))
"""Journals a fresh sandbox division holds beside its sales journals (a PSP's clearing account is a bank journal)."""
PAYMENT_DAYS = {"00": 0, "14": 14, "30": 30, "IB": 0, "PP": 0}
"""``PaymentDays`` of the seeded payment conditions (:data:`.ledger.SETTINGS`)."""


class Payments(Receivables):
    """Bank entries on top of receivables, invoices, orders and deliveries."""

    def _reset_data(self) -> None:
        super()._reset_data()
        for entity in PAYMENT_ENTITIES:
            self.tables[entity.name] = {}
            self.indexes.update({(entity.name, f): {} for f in entity.indexed})
        for code, description, kind in BANK_JOURNALS:
            rid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"exact:{self.division}:{JOURNALS.name}:{code}"))
            self._store(JOURNALS, {"ID": rid, "Code": code, "Description": description, "Type": kind,
                                   "Division": self.division})
        for rec in self.tables[PAYMENT_CONDITIONS.name].values():
            rec["PaymentDays"] = PAYMENT_DAYS.get(rec["Code"])

    # ------------------------------------------------------------------ writes

    def create(self, entity: Entity, body: Mapping[str, Any], *, trusted: bool = False) -> Rec:
        if entity is not BANK_ENTRIES and entity is not BANK_ENTRY_LINES:
            return super().create(entity, body, trusted=trusted)
        with self.lock:
            if entity is BANK_ENTRY_LINES:
                values = self._values(BANK_ENTRY_LINES, body, trusted=trusted)
                entry = self._reference(BANK_ENTRIES, values.get("EntryID"), "Entry")
                number = len(self.lookup(BANK_ENTRY_LINES, "EntryID", entry["EntryID"])) + 1
                return self._bank_entry_line(entry, values, number)
            values = self._values(BANK_ENTRIES, body, trusted=trusted)
            raw = body.get("BankEntryLines")
            raw = raw.get("results", []) if isinstance(raw, dict) else raw or []
            if not raw:
                raise ExactError(500, "Mandatory: Bank entry lines")
            if not all(isinstance(line, Mapping) for line in raw):
                raise ExactError(400, "Error processing request stream. BankEntryLines must be a list of objects.")
            lines = [self._values(BANK_ENTRY_LINES, line, trusted=trusted) for line in raw]
            entry = self._new_record(BANK_ENTRIES, values)
            self._mandatory(BANK_ENTRIES, entry)
            journal = self.by_code(JOURNALS, entry["JournalCode"], "Journal")
            if journal["Type"] != BANK:
                raise ExactError(500, f"Journal {journal['Code']} is not a bank journal")
            entry.update(JournalDescription=journal["Description"], Status=OPEN, StatusDescription="Open",
                         Currency=entry.get("Currency") or self.base_currency)
            if entry.get("EntryNumber") is None:
                entry["EntryNumber"] = 1 + max((e["EntryNumber"] for e in self.tables[BANK_ENTRIES.name].values()),
                                               default=0)
            self._touch(entry, values if trusted else None)
            self._store(BANK_ENTRIES, entry)
            for number, line in enumerate(lines, start=1):
                self._bank_entry_line(entry, line, number)
            return entry

    def _bank_entry_line(self, entry: Rec, values: Rec, number: int) -> Rec:
        """One line: its account (a customer) or GL account, its amounts, and what it settles."""
        line = self._new_record(BANK_ENTRY_LINES, values)
        self._mandatory(BANK_ENTRY_LINES, line)
        line.update(EntryID=entry["EntryID"], EntryNumber=entry["EntryNumber"], LineNumber=number)
        line["Date"] = line.get("Date") or self.now().replace(hour=0, minute=0, second=0, microsecond=0)
        account = self._reference(ACCOUNTS, line["Account"], "Account") if line.get("Account") else None
        if account is None and not line.get("GLAccount"):
            raise ExactError(500, "Mandatory: G/L account")
        if line.get("GLAccount"):
            gl = self._reference(GL_ACCOUNTS, line["GLAccount"], "G/L account")
            line.update(GLAccountCode=gl["Code"], GLAccountDescription=gl["Description"])
        if account is not None:
            line.update(AccountCode=account["Code"], AccountName=account["Name"])
        rate = dec(line.get("ExchangeRate")) if line.get("ExchangeRate") else self.rate(entry["Currency"], line["Date"])
        line["AmountDC"] = float(cents(dec(line["AmountFC"]) * rate))
        self._touch(line)
        self._store(BANK_ENTRY_LINES, line)
        if account is not None:
            self._settle_line(line, account)
        return line

    def _settle_line(self, line: Rec, account: Rec) -> None:
        """Money received from a customer (a credit: negative) naming in ``OurRef`` the invoice number of that
        customer's open receivable, for exactly what is open, matches it; otherwise the line stays an open
        outstanding item of its own."""
        received = -dec(line["AmountFC"])
        open_terms = [t for t in self.lookup(TERMS, "InvoiceNumber", line.get("OurRef"))
                      if line.get("OurRef") is not None and t["Account"] == account["ID"] and t["Status"] == OPEN
                      and t["TransactionType"] == SALES_ENTRY]
        if len(open_terms) == 1 and received > 0 and cents(dec(open_terms[0]["AmountFC"])) == cents(received):
            self.receive_payment(invoice_number=open_terms[0]["InvoiceNumber"], amount=received, day=line["Date"],
                                 reference=line.get("Description"))
            return
        term = self._new_record(TERMS, {
            "Account": account["ID"], "AccountCode": account["Code"], "AccountName": account["Name"],
            "AmountFC": money(-received), "AmountDC": line["AmountDC"], "Currency": self.base_currency,
            "TransactionEntryID": line["EntryID"], "EntryID": str(uuid.uuid4()), "TransactionType": CASH_FLOW,
            "LineType": RECEIPT, "Status": OPEN, "IsFullyPaid": False, "Description": line.get("Description"),
            "EntryDate": line["Date"], "InvoiceDate": line["Date"], "PaymentMethod": "B"})
        self._touch(term)
        self._store(TERMS, term)

    # ------------------------------------------------------------------ helpers tests use

    def bank_entries(self) -> list[Rec]:
        """Every bank entry with its lines (ISO dates), in entry-number order."""
        with self.lock:
            entries = sorted(self.tables[BANK_ENTRIES.name].values(), key=lambda e: e["EntryNumber"])
            return [{**{k: iso(v) for k, v in e.items()}, "BankEntryLines": [
                {k: iso(v) for k, v in ln.items()} for ln in sorted(
                    self.lookup(BANK_ENTRY_LINES, "EntryID", e["EntryID"]), key=lambda ln: ln["LineNumber"])]}
                    for e in entries]
