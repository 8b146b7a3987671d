"""An order's invoice in Exact Online with the terms its payment method gets, registered as paid when the
shop was paid at once (the booking rules' payment-method map, :mod:`tradewind.rules.payments`).

**Terms.** Every document gets the ``PaymentCondition`` of the method: the code the map names, else the
division's one condition with that many ``PaymentDays`` (``cashflow/PaymentConditions``, read once per
connection with the other division facts); several with those days are not guessed (Exact's "Direct",
"iDEAL betaald" and "PayPal betaald" are all 0 days): the order fails naming them and the map's
``condition``. Invoices and sales entries also get ``DueDate`` (a sales order has none: Exact dates it
when it invoices the order).

**Paid at once.** Exact has no call that marks an invoice paid, nor one that matches outstanding items
(picqer/exact-php-client #127): an integration books the money received, and Exact matches it with the
invoice's receivable when account, invoice and amount agree (#260: "EOL automatically reconciles … if amounts
match exactly"). So the payment is a bank entry (``financialtransaction/BankEntries``) in the method's
``journal`` — the Shopify Payments or Mollie clearing account's — with one line on the customer's account
for the invoice's amount, credited (negative: "positive amount = debit, negative = credit"), ``OurRef`` the
invoice number and the order's number in ``Description``. Only a processed invoice has a number and a
receivable, so only a ``direct_invoice`` is registered; an open ``sales_invoice`` (not processed: no
receivable yet) and a draft (``on_difference: draft``, Status 10: not final) are not, and the transfer says so.

**Once.** The payment is part of the same record's write (:meth:`.orders.OrderResource.create`): the
invoice, its processing and its payment are one record to the engine, bound to the invoice by ``YourRef``.
The payment is a second Exact record, so it has its own look-up: before posting, the customer's bank lines
with ``OurRef`` = the invoice number are read, and any found (ours from an earlier attempt, or a payment a
bank import or a person booked) means it is registered already. A payment whose answer is lost is looked up
the same way, then sent again once if Exact shows nothing (Exact shows a write at once); lost twice, the
invoice is still bound (it exists) and the transfer says the payment must be checked by hand — never sent
blindly a third time. A run stopped between the invoice and its payment (killed after Exact stored the
invoice, or after it processed it) leaves the record pending; the next run finds the invoice by ``YourRef`` and
does not bind it as it is: a direct invoice is done only when processed and its payment registered, so the
engine asks :meth:`.orders.OrderResource.finish` to process it if still open and register its payment (the same
``OurRef`` look-up first, so still once) — tests/faults/test_invoice_payment_kill.py. A separate flow for
payments would give them a binding of their own, but would read every paid order a second time and could
register a payment before the invoice is processed; one write keeps the order's invoice and its payment
together, in the order Exact needs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tradewind.connectors.exact_online.client import ExactClient, Row, format_date, guid, parse_date
from tradewind.errors import OutcomeUnknown, RecordError
from tradewind.model import Order
from tradewind.rules.orders import business_date
from tradewind.rules.payments import InvoicePayment, invoice_payment
from tradewind.rules.settings import BookingRules

BANK_ENTRIES = "financialtransaction/BankEntries"
BANK_LINES = "financialtransaction/BankEntryLines"
DRAFT, PROCESSED = 10, 50
"""``SalesInvoices.Status`` of a draft and of a processed invoice."""
ALREADY = "already registered"
"""How :func:`register` begins when it found the payment booked already (and posted nothing)."""


@dataclass(frozen=True)
class PaidAtOnce:
    """An order's payment to register against its invoice: received by ``method`` on ``day`` in ``journal``."""

    order_number: str
    method: str
    day: date
    journal: str


def decide(order: Order, rules: BookingRules, issued_on: date) -> InvoicePayment | None:
    """The terms the payment map gives the order's invoice (None without a map); held for an unknown method."""
    if rules.payments is None:
        return None
    paid = next((p.paid_at for p in order.payments if p.paid_at is not None), None)
    paid_on = business_date(paid, rules.time_zone or "UTC") if paid is not None else None
    return invoice_payment(order.payment_method, issued_on, rules.payments, paid_on=paid_on, record=order.number)


def condition(decided: InvoicePayment, conditions: dict[str, int] | None) -> str:
    """The Exact payment condition of ``decided``: the map's code, or the one condition with its days."""
    terms = decided.terms
    if terms is not None and terms.condition:
        return terms.condition
    days = terms.days if terms is not None and not terms.paid else 0
    known = conditions or {}
    codes = sorted(code for code, d in known.items() if d == days)
    where = f"booking.payments.methods.{decided.method}.condition"
    if len(codes) == 1:
        return codes[0]
    if not codes:
        raise RecordError(f"Exact Online has no payment condition of {days} days (cashflow/PaymentConditions: "
                          f"{', '.join(f'{c} = {d}' for c, d in sorted(known.items())) or 'none'}); name one in "
                          f"{where}", field=where)
    raise RecordError(f"Exact Online has several payment conditions of {days} days ({', '.join(codes)}); name the "
                      f"one for payment method {decided.method!r} in {where}", field=where)


def terms_out(row: Row, decided: InvoicePayment, conditions: dict[str, int] | None, *, due_date: bool) -> None:
    """``PaymentCondition`` (and ``DueDate`` on invoices and entries) of ``row`` by the map's decision."""
    row["PaymentCondition"] = condition(decided, conditions)
    if due_date:
        row["DueDate"] = format_date(decided.due_on)


def paid_at_once(order: Order, decided: InvoicePayment | None) -> PaidAtOnce | None:
    """What to register against the invoice when the order was paid at once (None: it gets a term)."""
    if decided is None or not decided.paid:
        return None
    journal = decided.terms.journal if decided.terms is not None else None
    if not journal:
        where = f"booking.payments.methods.{decided.method}.journal"
        raise RecordError(f"payment method {decided.method!r} is paid at once, but the map names no bank journal to "
                          f"register its payment in ({where}: e.g. the Shopify Payments clearing account's)",
                          field=where)
    assert decided.paid_on is not None
    return PaidAtOnce(order.number, decided.method, decided.paid_on, journal)


def not_registered(invoice: Row, paid: PaidAtOnce) -> str | None:
    """Why an invoice is not registered as paid (a draft, or not processed), None when it is to be."""
    status = invoice.get("Status")
    if status == DRAFT:
        return (f"draft invoice (Status 10, on_difference: draft) is not final: the {paid.method} payment is not "
                "registered as paid; register it once the invoice is corrected and processed")
    if status != PROCESSED or invoice.get("InvoiceNumber") is None:
        return (f"invoice is open, not processed: Exact opens its receivable when it is processed, so the "
                f"{paid.method} payment is not registered (booking_type: direct_invoice registers payments)")
    return None


def register(client: ExactClient, invoice: Row, paid: PaidAtOnce) -> str:
    """Register the payment of the processed ``invoice`` once (module docstring); returns what was done."""
    number, account = int(invoice["InvoiceNumber"]), str(invoice["InvoiceTo"] or invoice["OrderedBy"])
    amount = Decimal(str(invoice["AmountFC"]))
    found = find(client, account, number)
    if found is not None:
        return _said(found, ALREADY, paid)
    body: Row = {"JournalCode": paid.journal, "Currency": invoice.get("Currency"), "BankEntryLines": [{
        "Account": account, "AmountFC": -amount, "Date": format_date(paid.day), "OurRef": number,
        "Description": f"Payment of order {paid.order_number} ({paid.method}), invoice {number}"}]}
    for attempt in (1, 2):
        try:
            client.post(BANK_ENTRIES, body)
        except OutcomeUnknown as error:
            found = find(client, account, number)
            if found is not None:
                return _said(found, "registered (its answer was lost, found by OurRef)", paid)
            if attempt == 2:
                return (f"the {paid.method} payment's answer was lost twice ({error}) and Exact shows no bank line "
                        f"with OurRef {number}: check bank journal {paid.journal} before registering it by hand")
            continue
        return f"registered as paid: {amount} {invoice.get('Currency')} received by {paid.method} on " \
               f"{paid.day.isoformat()} in bank journal {paid.journal}, OurRef invoice {number}"
    raise AssertionError("unreachable")


def find(client: ExactClient, account: str, invoice_number: int) -> Row | None:
    """A bank line of ``account`` that pays invoice ``invoice_number`` (``OurRef``), made by anyone."""
    rows = client.rows(BANK_LINES, {"$select": "ID,EntryID,EntryNumber,AmountFC,OurRef,Date,Description",
                                    "$filter": f"OurRef eq {invoice_number} and Account eq {guid(account)}"})
    return rows[0] if rows else None


def _said(line: Row, how: str, paid: PaidAtOnce) -> str:
    day = parse_date(line.get("Date"))
    return (f"{how}: bank entry {line.get('EntryNumber')} pays {-Decimal(str(line.get('AmountFC')))} against "
            f"invoice {line.get('OurRef')} ({paid.method}{f', {day.date().isoformat()}' if day else ''})")
