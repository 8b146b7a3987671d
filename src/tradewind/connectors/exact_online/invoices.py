"""Exact Online processed sales invoices as canonical invoices: what a customer is mailed.

Only processed invoices (``Status eq 50``) are read: Exact gives an invoice its ``InvoiceNumber`` when it
is processed ("Processing is done via printing", picqer ``SalesInvoice.php``), and a draft or open invoice
may still change. They are read by ``Modified`` (processing changes it) with their lines
(``$expand=SalesInvoiceLines``: one call per page of invoices).

The customer's address comes from the invoice's ``InvoiceToContactPerson`` (a ``crm/Contacts`` row) when
it has one with an e-mail address, else from the ``InvoiceTo`` account (``crm/Accounts``): per page, one
``or``-filter of contact ids and one of account ids (about 40 a call; the filter names ``ID``, which meets
Exact's mandatory filtering), never one call per invoice.

Credit notes (``Type`` 8021) are invoices too, with negative amounts and ``is_credit_note``: they are
mailed like invoices and the template tells them apart. A credit note booked by tradewind's refunds flow
has ``YourRef`` ``#1001/R<refund>``; its ``order_number`` is the order's part (``#1001``).

Totals are the lines' sums (net, VAT, net + VAT), checked against the header's ``AmountFC``: an invoice
whose header does not add up to its lines fails naming both, never mailed with a total nobody booked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from tradewind.connectors.base import NativeRecord
from tradewind.connectors.exact_online.client import (
    ExactClient,
    Row,
    chunks_by_length,
    guid,
    is_guid,
    nested,
    parse_date,
)
from tradewind.connectors.exact_online.codec import build, percent, text
from tradewind.connectors.exact_online.resource import ExactResource, modified, without_metadata
from tradewind.errors import RecordError
from tradewind.model import Customer, Invoice, InvoiceLine, Money
from tradewind.model.address import Contact
from tradewind.model.customer import CustomerKind
from tradewind.model.invoice import InvoiceStatus
from tradewind.model.money import CENT

PROCESSED = 50
CREDIT_NOTE = 8021
INVOICE_FIELDS = ("InvoiceID", "InvoiceNumber", "InvoiceDate", "DueDate", "Type", "Status", "Currency", "YourRef",
                  "Description", "InvoiceTo", "InvoiceToName", "InvoiceToContactPerson", "AmountFC", "AmountFCExclVat",
                  "VATAmountFC", "Modified", "SalesInvoiceLines")
_CONTACT_FIELDS = "ID,Account,FirstName,LastName,FullName,Email"
_ACCOUNT_FIELDS = "ID,Name,Email"


def number_clause(value: str) -> str:
    """``InvoiceNumber eq 26000001``; a number that is not one matches nothing (never a bad URL)."""
    return f"InvoiceNumber eq {int(value)}" if value.strip().isdigit() else "InvoiceNumber eq -1"


class InvoiceResource(ExactResource[Invoice]):
    """Processed sales invoices and credit notes, with their lines and the customer's e-mail address."""

    def scope(self) -> str:
        return f"Status eq {PROCESSED}"

    def assemble(self, client: ExactClient, rows: list[Row]) -> list[NativeRecord]:
        contacts = _by_id(client, "crm/Contacts", _CONTACT_FIELDS, (r.get("InvoiceToContactPerson") for r in rows))
        reached = {str(r["InvoiceID"]) for r in rows if _email(contacts.get(_key(r.get("InvoiceToContactPerson"))))}
        accounts = _by_id(client, "crm/Accounts", _ACCOUNT_FIELDS,
                          (r.get("InvoiceTo") for r in rows if str(r["InvoiceID"]) not in reached))
        return [NativeRecord(id=str(r["InvoiceID"]), version=modified(r), data={
            **r, "SalesInvoiceLines": without_metadata(nested(r.get("SalesInvoiceLines"))),
            "InvoiceToContact": contacts.get(_key(r.get("InvoiceToContactPerson"))),
            "InvoiceToAccount": accounts.get(_key(r.get("InvoiceTo")))}) for r in rows]


def _key(value: Any) -> str:
    return str(value).strip().lower() if value else ""


def _email(row: Row | None) -> str | None:
    return text(row.get("Email")) if row else None


def _by_id(client: ExactClient, path: str, select: str, ids: Iterable[Any]) -> dict[str, Row]:
    """Rows of ``path`` by id (lower-case), ``or``-filtered in as many ids as one URL holds."""
    wanted = sorted({_key(i) for i in ids if i and is_guid(str(i))})
    found: dict[str, Row] = {}
    for chunk in chunks_by_length(wanted, lambda i: f"ID eq {guid(i)}"):
        clause = " or ".join(f"ID eq {guid(i)}" for i in chunk)
        found.update({_key(r["ID"]): r for r in without_metadata(client.rows(path, {"$select": select,
                                                                                    "$filter": clause}))})
    return found


def invoice_in(data: Row, settings: Any = None) -> Invoice:
    """A processed sales invoice with its lines and customer rows → Invoice (see the module docstring)."""
    number = text(data.get("InvoiceNumber"))
    record = number or str(data.get("InvoiceID") or "")
    if number is None or data.get("Status") not in (None, PROCESSED):
        raise RecordError(f"sales invoice {record} is not processed yet, so it has no invoice number",
                          field="number", record=record)
    currency = text(data.get("Currency")) or "EUR"
    rows = sorted(nested(data.get("SalesInvoiceLines")), key=lambda ln: int(ln.get("LineNumber") or 0))
    lines = [_line(row, currency, number, i) for i, row in enumerate(rows)]
    subtotal = sum((ln.net_amount.amount for ln in lines), Decimal(0))
    tax = sum((ln.tax.amount if ln.tax else Decimal(0) for ln in lines), Decimal(0))
    header = _cents(data.get("AmountFC")) if data.get("AmountFC") is not None else None
    if header is not None and lines and header != subtotal + tax:
        raise RecordError(f"sales invoice {number}: its total {currency} {header} is not the sum of "
                          f"its lines ({currency} {subtotal} net + {tax} VAT); check the invoice in Exact Online",
                          field="total", record=number)
    credit = data.get("Type") == CREDIT_NOTE
    issued = parse_date(data.get("InvoiceDate"))
    due = parse_date(data.get("DueDate"))
    return build(Invoice, number, number=number, order_number=_order_number(text(data.get("YourRef")), credit),
                 customer=_customer(data, number), issued_on=issued.date() if issued else None,
                 due_on=due.date() if due else None, currency=currency, lines=lines,
                 subtotal=Money.of(subtotal, currency), tax_total=Money.of(tax, currency),
                 total=Money.of(subtotal + tax, currency), status=InvoiceStatus.OPEN, is_credit_note=credit,
                 updated_at=parse_date(data.get("Modified")))


def _order_number(your_ref: str | None, credit: bool) -> str | None:
    """The shop's order number: ``YourRef``; of a credit note booked for a refund (``#1001/R123``) its order's part."""
    if your_ref and credit and "/R" in your_ref:
        return your_ref.rsplit("/R", 1)[0] or None
    return your_ref


def _customer(data: Row, number: str) -> Customer:
    contact: Mapping[str, Any] = data.get("InvoiceToContact") or {}
    account: Mapping[str, Any] = data.get("InvoiceToAccount") or {}
    email = _email(dict(contact)) or _email(dict(account))
    name = text(data.get("InvoiceToName")) or text(account.get("Name")) or text(contact.get("FullName")) or ""
    people = [build(Contact, number, "customer.contacts[0].", first_name=text(contact.get("FirstName")),
                    last_name=text(contact.get("LastName")), email=_email(dict(contact)))] if contact else []
    return build(Customer, number, "customer.", type=CustomerKind.COMPANY if people else CustomerKind.PERSON,
                 name=name, email=email, contacts=people, source_id=text(data.get("InvoiceTo")))


def _cents(value: Any) -> Decimal:
    """An amount Exact keeps in cents (``AmountFC``, ``VATAmountFC``), read from its JSON number."""
    return Decimal(str(value or 0)).quantize(CENT)


def _line(row: Row, currency: str, number: str, index: int) -> InvoiceLine:
    def money(field: str) -> Money:
        return Money.of(_cents(row.get(field)), currency)

    return build(InvoiceLine, number, f"lines[{index}].", sku=text(row.get("ItemCode")),
                 description=text(row.get("Description")) or text(row.get("ItemDescription")) or "",
                 quantity=Decimal(str(row.get("Quantity") or 0)),
                 unit_price=Money.of(Decimal(str(row.get("UnitPrice") or 0)), currency),
                 vat_rate=percent(row.get("VATPercentage")), vat_code=text(row.get("VATCode")),
                 tax=money("VATAmountFC"), net_amount=money("AmountFC"))
