"""Sales invoices, their printing (which processes them) and sales entries in the Exact Online sandbox,
with amounts in the transaction's currency (FC) and the division's (DC) at Exact's own exchange rate.

What it follows (fields and statuses: :mod:`.ledger`, with sources): an invoice is created with its lines
in one POST, open (Status 20) or as a draft (10); "Open invoices can be changed", a processed one (50)
"can't be changed anymore", and processing "is done via printing" (``PrintedSalesInvoices``). A sales
entry is booked with lines on GL accounts: each line's ``AmountFC`` is net, its VAT computed from its
``VATCode`` unless ``VATAmountFC`` is given, and the header's ``AmountFC`` the lines' sum including VAT;
an entry of negative lines is a sales credit note (``Type`` 21, which Exact derives: **[uncertain]**).
VAT is per line, as on sales orders (:meth:`~.orders.Orders._price_line`). ``AmountDC = AmountFC ×
Rate`` per line, rounded to cents; the rate is the entry's ``Rate`` when sent, else the division's
``ExchangeRates`` entry for the currency valid on the document's date; a foreign currency without one is
refused (500, wording **[uncertain]**). Journals must be sales journals; GL accounts, cost centres,
cost units and projects must exist, as Exact's "Invalid reference" answers say.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tradewind.sandboxes.exact_online.ledger import (
    ADDRESSES,
    COST_CENTERS,
    COST_UNITS,
    DELIVERY,
    ENTRIES,
    ENTRY_LINES,
    ENTRY_TYPES,
    GL_ACCOUNTS,
    INVOICE_LINES,
    INVOICE_TYPES,
    INVOICES,
    JOURNALS,
    LEDGER_ENTITIES,
    LEDGER_NAMES,
    PAYMENT_CONDITIONS,
    PRINTED,
    PROJECTS,
    RATES,
    SALES_JOURNAL,
    SETTINGS,
    STATUS,
)
from tradewind.sandboxes.exact_online.schema import (
    ACCOUNTS,
    CONTACTS,
    ITEMS,
    VAT_CODES,
    Entity,
    ExactError,
    Rec,
    dec,
    money,
)
from tradewind.sandboxes.exact_online.writes import Writes

BASE_CURRENCY = "EUR"
DEFAULT_REVENUE = "8000"
"""The revenue account an item line gets when none is sent (Exact takes the item's; sandbox items have none)."""


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class Invoicing(Writes):
    """Invoices, entries, exchange rates and the settings tables, on top of the other entities' writes."""

    base_currency = BASE_CURRENCY

    def _reset_data(self) -> None:
        super()._reset_data()
        for entity in LEDGER_ENTITIES:
            self.tables[entity.name] = {}
            self.indexes.update({(entity.name, f): {} for f in entity.indexed})
        for entity, rows in SETTINGS:
            for code, description in rows:
                rid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"exact:{self.division}:{entity.name}:{code}"))
                rec = {"ID": rid, "Code": code, "Description": description, "Division": self.division}
                if entity is JOURNALS:
                    rec["Type"] = SALES_JOURNAL
                self._store(entity, rec)

    # ------------------------------------------------------------------ helpers tests and seeds use

    def set_rate(self, currency: str, rate: str, start: datetime) -> Rec:
        """An exchange rate of ``currency`` valid from ``start`` (as a user enters it in Exact)."""
        return self.create(RATES, {"SourceCurrency": currency, "TargetCurrency": self.base_currency,
                                   "Rate": float(rate), "StartDate": start}, trusted=True)

    def rate(self, currency: str, day: datetime) -> Decimal:
        """Base-currency units per unit of ``currency`` on ``day``: the latest rate started by then."""
        if currency == self.base_currency:
            return Decimal(1)
        valid = [r for r in self.lookup(RATES, "SourceCurrency", currency) if r["StartDate"] <= day]
        if not valid:
            raise ExactError(500, f"No exchange rate found for currency {currency} on {day:%Y-%m-%d}")
        return dec(max(valid, key=lambda r: r["StartDate"])["Rate"])

    def by_code(self, entity: Entity, code: Any, label: str) -> Rec:
        found = self.lookup(entity, "Code", code) if code else []
        if not found:
            raise ExactError(500, f"Invalid reference: {label}")
        return found[0]

    # ------------------------------------------------------------------ writes

    def create(self, entity: Entity, body: Mapping[str, Any], *, trusted: bool = False) -> Rec:
        if entity.name not in LEDGER_NAMES:
            return super().create(entity, body, trusted=trusted)
        with self.lock:
            values = self._values(entity, body, trusted=trusted)
            if entity is INVOICES:
                return self._create_document(INVOICES, values, body.get("SalesInvoiceLines"), trusted)
            if entity is ENTRIES:
                return self._create_document(ENTRIES, values, body.get("SalesEntryLines"), trusted)
            if entity is PRINTED:
                return self._print(values)
            if entity is ADDRESSES:
                return self._create_address(values, trusted)
            if not trusted or entity.name in (INVOICE_LINES.name, ENTRY_LINES.name):
                raise ExactError(405, f"Method POST is not allowed on '{entity.name}'.")
            rec = self._new_record(entity, values)
            self._mandatory(entity, rec)
            self._touch(rec, values)
            return self._store(entity, rec)

    def _check_update(self, entity: Entity, rec: Rec, body: Mapping[str, Any], values: Rec) -> None:
        if entity.name not in LEDGER_NAMES:
            super()._check_update(entity, rec, body, values)
            return
        if entity is not INVOICES:
            raise ExactError(405, f"Method PUT is not allowed on '{entity.name}'.")
        if rec["Status"] == 50:
            raise ExactError(500, f"Sales invoice {rec['OrderNumber']} is processed: processed invoices can't be "
                                  "changed")
        if body.get("SalesInvoiceLines") is not None:
            raise ExactError(400, "Deep updates are not supported in PUT operations.")

    def _derive(self, entity: Entity, rec: Rec, body: Mapping[str, Any], *, trusted: bool, new: bool) -> None:
        if entity.name not in LEDGER_NAMES:
            super()._derive(entity, rec, body, trusted=trusted, new=new)
            return
        self._derive_header(entity, rec)
        self._apply_document_totals(entity, rec)

    def delete(self, entity: Entity, key: str) -> None:
        if entity is not INVOICES:
            super().delete(entity, key)
            return
        with self.lock:
            rec = self.get(INVOICES, key)
            if rec["Status"] == 50:
                raise ExactError(500, f"Sales invoice {rec['OrderNumber']} is processed and cannot be deleted")
            for line in self.lookup(INVOICE_LINES, "InvoiceID", key):
                self._remove(INVOICE_LINES, line["ID"])
            self._remove(INVOICES, key)

    def _create_address(self, values: Rec, trusted: bool) -> Rec:
        rec = self._new_record(ADDRESSES, values)
        self._mandatory(ADDRESSES, rec)
        rec["AccountName"] = self._reference(ACCOUNTS, rec.get("Account"), "Account")["Name"]
        if rec["Type"] not in (1, 2, 3, 4):
            raise ExactError(500, f"Type {rec['Type']}: an address is Visit (1), Postal (2), Invoice (3) or "
                                  "Delivery (4)")
        rec["Country"] = (rec.get("Country") or "").upper() or None
        rec["Main"] = bool(rec.get("Main"))
        self._touch(rec, values if trusted else None)
        return self._store(ADDRESSES, rec)

    def delivery_address(self, address_id: Any, account: Any) -> Rec:
        """A sales order's ``DeliveryAddress``: a delivery address (Type 4) of its ``DeliverTo`` account."""
        rec = self.tables[ADDRESSES.name].get(address_id) if address_id else None
        if rec is None or rec["Type"] != DELIVERY or rec["Account"] != account:
            raise ExactError(500, "Invalid reference: Delivery address")
        return rec

    # ------------------------------------------------------------------ documents

    def _create_document(self, entity: Entity, values: Rec, raw_lines: Any, trusted: bool) -> Rec:
        rec = self._new_record(entity, values)
        self._mandatory(entity, rec)
        self._derive_header(entity, rec)
        lines = raw_lines.get("results", []) if isinstance(raw_lines, dict) else raw_lines or []
        if not lines:
            raise ExactError(500, f"Mandatory: {'Sales invoice lines' if entity is INVOICES else 'Lines'}")
        number = "OrderNumber" if entity is INVOICES else "EntryNumber"
        if rec.get(number) is None:
            rec[number] = max((k for k in self.indexes[(entity.name, number)] if k is not None), default=0) + 1
        build = self._invoice_line if entity is INVOICES else self._entry_line
        built = [build(rec, line, n, trusted) for n, line in enumerate(lines, start=1)]
        self._touch(rec, values if trusted else None)
        self._store(entity, rec)
        for line in built:
            self._store(INVOICE_LINES if entity is INVOICES else ENTRY_LINES, line)
        self._apply_document_totals(entity, rec)
        return rec

    def _derive_header(self, entity: Entity, rec: Rec) -> None:
        journal = self.by_code(JOURNALS, rec.get("Journal"), "Journal")
        if journal["Type"] != SALES_JOURNAL:
            raise ExactError(500, f"Journal {journal['Code']} is not a sales journal")
        rec["JournalDescription"] = journal["Description"]
        if rec.get("PaymentCondition"):
            self.by_code(PAYMENT_CONDITIONS, rec["PaymentCondition"], "Payment condition")
        today = self.now().replace(hour=0, minute=0, second=0, microsecond=0)
        rec["Currency"] = rec.get("Currency") or self.base_currency
        if entity is INVOICES:
            self._derive_invoice(rec, today)
        else:
            customer = self._reference(ACCOUNTS, rec.get("Customer"), "Customer")
            rec["CustomerName"] = customer["Name"]
            rec["EntryDate"] = rec.get("EntryDate") or today
            rec["Status"], rec["Type"] = rec.get("Status") or 20, rec.get("Type") or 20
            rec["TypeDescription"] = ENTRY_TYPES.get(rec["Type"], "")
            if rec.get("Rate") is None:
                rec["Rate"] = float(self.rate(rec["Currency"], rec["EntryDate"]))
        rec["StatusDescription"] = STATUS.get(rec["Status"], "")

    def _derive_invoice(self, rec: Rec, today: datetime) -> None:
        ordered = self._reference(ACCOUNTS, rec.get("OrderedBy"), "Ordered by")
        rec["InvoiceTo"] = rec.get("InvoiceTo") or ordered["ID"]
        rec["DeliverTo"] = rec.get("DeliverTo") or ordered["ID"]
        rec["OrderedByName"] = ordered["Name"]
        rec["InvoiceToName"] = self._reference(ACCOUNTS, rec["InvoiceTo"], "Invoice to")["Name"]
        rec["DeliverToName"] = self._reference(ACCOUNTS, rec["DeliverTo"], "Deliver to")["Name"]
        for party, label in (("OrderedBy", "Ordered by"), ("InvoiceTo", "Invoice to"), ("DeliverTo", "Deliver to")):
            self._contact_person(rec, party, label)
        rec["InvoiceDate"] = rec.get("InvoiceDate") or rec.get("OrderDate") or today
        rec["Status"] = rec.get("Status") or 20
        if rec["Status"] not in (10, 20):
            raise ExactError(500, f"Status {rec['Status']}: a new sales invoice is a draft (10) or open (20)")
        rec["Type"] = rec.get("Type") or 8020
        if rec["Type"] not in INVOICE_TYPES:
            raise ExactError(500, f"Type {rec['Type']} is not a sales invoice type")
        if rec["Type"] == 8023 and not rec.get("Warehouse"):
            raise ExactError(500, "Mandatory: Warehouse (direct sales invoice)")
        rec["TypeDescription"] = INVOICE_TYPES[rec["Type"]]

    def _contact_person(self, rec: Rec, party: str, label: str) -> None:
        """``<party>ContactPerson``: a contact of the ``<party>`` account, its full name beside it."""
        given = rec.get(f"{party}ContactPerson")
        if not given:
            rec[f"{party}ContactPersonFullName"] = None
            return
        contact = self._reference(CONTACTS, given, f"{label} contact person")
        if contact.get("Account") != rec[party]:
            raise ExactError(500, f"Invalid reference: {label} contact person")
        rec[f"{party}ContactPersonFullName"] = contact.get("FullName")

    def _dimensions(self, line: Rec) -> None:
        """GL account, cost centre, cost unit and project of a line must exist in the division."""
        gl = self._reference(GL_ACCOUNTS, line.get("GLAccount"), "G/L account")
        line["GLAccountDescription"] = gl["Description"]
        if "GLAccountCode" in line:  # sales entry lines show the code
            line["GLAccountCode"] = gl["Code"]
        for name, entity, label in (("CostCenter", COST_CENTERS, "Cost center"), ("CostUnit", COST_UNITS,
                                                                                 "Cost unit")):
            if line.get(name):
                line[f"{name}Description"] = self.by_code(entity, line[name], label)["Description"]
        if line.get("Project"):
            self._reference(PROJECTS, line["Project"], "Project")

    def _invoice_line(self, invoice: Rec, body: Any, number: int, trusted: bool) -> Rec:
        if not isinstance(body, Mapping):
            raise ExactError(400, "Error processing request stream. SalesInvoiceLines must be a list of objects.")
        values = self._values(INVOICE_LINES, body, trusted=trusted)
        line = self._new_record(INVOICE_LINES, values)
        self._mandatory(INVOICE_LINES, line)
        item = self._reference(ITEMS, line.get("Item"), "Item")
        line.update(InvoiceID=invoice["InvoiceID"], ItemCode=item["Code"], ItemDescription=item["Description"],
                    UnitCode=item["Unit"], LineNumber=number)
        line["Description"] = line.get("Description") or item["Description"]
        line["VATCode"] = line.get("VATCode") or item["SalesVatCode"]
        line["GLAccount"] = line.get("GLAccount") or self.by_code(GL_ACCOUNTS, DEFAULT_REVENUE, "G/L account")["ID"]
        self._dimensions(line)
        quantity = dec(line.get("Quantity") if line.get("Quantity") is not None else 1)
        unit = dec(line["UnitPrice"]) if line.get("UnitPrice") is not None else dec(item["StandardSalesPrice"])
        net = unit * (1 - dec(line.get("Discount")))
        amount = cents(quantity * net)
        self._vat(line, amount, None, dec(self.rate(invoice["Currency"], invoice["InvoiceDate"])))
        line.update(Quantity=float(quantity), UnitPrice=float(unit), NetPrice=money(net),
                    Discount=float(dec(line.get("Discount"))))
        return line

    def _entry_line(self, entry: Rec, body: Any, number: int, trusted: bool) -> Rec:
        if not isinstance(body, Mapping):
            raise ExactError(400, "Error processing request stream. SalesEntryLines must be a list of objects.")
        values = self._values(ENTRY_LINES, body, trusted=trusted)
        line = self._new_record(ENTRY_LINES, values)
        self._mandatory(ENTRY_LINES, line)
        line.update(EntryID=entry["EntryID"], LineNumber=number, Type=entry["Type"])
        self._dimensions(line)
        if not line.get("VATCode"):
            raise ExactError(500, "Mandatory: VAT code")
        given = line.get("VATAmountFC")
        self._vat(line, cents(dec(line.get("AmountFC"))), None if given is None else dec(given), dec(entry["Rate"]))
        return line

    def _vat(self, line: Rec, amount: Decimal, vat: Decimal | None, rate: Decimal) -> None:
        """Net amount, VAT per line (or the VAT sent), both in FC and, at ``rate``, in DC."""
        if line["VATCode"] not in VAT_CODES:
            raise ExactError(500, "Invalid reference: VAT code")
        fraction, text = VAT_CODES[line["VATCode"]]
        vat = cents(amount * dec(fraction)) if vat is None else cents(vat)
        line.update(AmountFC=float(amount), AmountDC=float(cents(amount * rate)), VATAmountFC=float(vat),
                    VATAmountDC=float(cents(vat * rate)), VATPercentage=fraction, VATCodeDescription=text)
        if "VATBaseAmountFC" in line:
            line.update(VATBaseAmountFC=float(amount), VATBaseAmountDC=float(cents(amount * rate)))

    def _apply_document_totals(self, entity: Entity, rec: Rec) -> None:
        """The header sums its lines: net, VAT per line, in FC and DC."""
        lines_of, key = (INVOICE_LINES, "InvoiceID") if entity is INVOICES else (ENTRY_LINES, "EntryID")
        lines = self.lookup(lines_of, key, rec[entity.key])
        excl = sum((dec(ln["AmountFC"]) for ln in lines), Decimal(0))
        vat = sum((dec(ln["VATAmountFC"]) for ln in lines), Decimal(0))
        excl_dc = sum((dec(ln["AmountDC"]) for ln in lines), Decimal(0))
        vat_dc = sum((dec(ln["VATAmountDC"]) for ln in lines), Decimal(0))
        rec.update(AmountFC=money(excl + vat), AmountDC=money(excl_dc + vat_dc), VATAmountFC=money(vat),
                   VATAmountDC=money(vat_dc))
        if entity is INVOICES:
            rec["AmountFCExclVat"] = money(excl)
        else:
            self._entry_type(rec, lines, excl + vat)

    def _entry_type(self, rec: Rec, lines: list[Rec], total: Decimal) -> None:
        """A sales entry's ``Type``: "20 = Sales entry, 21 = Sales credit note", read-only in Exact's reference
        (the .NET SDK's ``SalesEntry.cs``: ``[SDKFieldType(FieldType.ReadOnly)]``), so Exact derives it: an entry
        whose lines add up to less than nothing is a credit note (**[uncertain]**: the rule is not documented;
        Exact's entry screen books a negative sales entry as a credit note). Its lines carry the same type."""
        kind = 21 if total < 0 else 20
        rec.update(Type=kind, TypeDescription=ENTRY_TYPES[kind])
        for line in lines:
            line["Type"] = kind

    def _print(self, values: Rec) -> Rec:
        """Printing processes an open invoice: Status 50 and its invoice number (a draft is not printed)."""
        invoice = dict(self._reference(INVOICES, values.get("InvoiceID"), "Invoice"))
        if invoice["Status"] != 20:
            raise ExactError(500, f"Sales invoice {invoice['OrderNumber']} is not open "
                                  f"({STATUS.get(invoice['Status'], invoice['Status'])}) and cannot be printed")
        numbers = [r["InvoiceNumber"] for r in self.tables[INVOICES.name].values() if r.get("InvoiceNumber")]
        invoice.update(Status=50, StatusDescription=STATUS[50], InvoiceNumber=max(numbers, default=26000000) + 1)
        if values.get("InvoiceDate") is not None:
            invoice["InvoiceDate"] = values["InvoiceDate"]
        self._touch(invoice)
        self._store(INVOICES, invoice)
        return {**dict.fromkeys(PRINTED.scalars), **values, "Division": self.division,
                "DocumentCreationSuccess": "Document created"}
