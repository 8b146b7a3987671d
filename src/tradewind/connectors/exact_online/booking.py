"""Orders booked by the connection's ``booking`` rules (:class:`~tradewind.rules.settings.BookingRules`).

The rules decide (:func:`~tradewind.rules.booking.compose_booking`); this module only translates the
booking into a SalesOrder: article, discount, shipping and rounding lines with the VAT code the rules
chose, the business date as ``OrderDate``, and the VAT number that carries reverse charge on the debtor —
or into the sales invoice or sales entry ``booking_type`` names (:func:`document_out`, :mod:`.documents`),
with the ledger's GL account, cost centre/unit and project on the lines, the shipping method and payment
condition through the value maps, and the order's currency at the rate the rules chose
(:mod:`tradewind.rules.terms`).
Exact computes VAT per line from the line's net amount (:data:`METHOD`; the sources are cited in
:mod:`tradewind.rules.rounding`), so the totals compared with the shop's are the ones Exact will show.

Exact's own VAT codes (``vat/VATCodes``) give the domestic codes: a sales rate served by exactly one
code. A rate with several codes (0% is both "no VAT" and "reverse charge" in a Dutch division) is not
guessed: the project names it in ``booking.vat_codes``, as it names OSS and reverse-charge codes.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from tradewind.connectors.base import Refs
from tradewind.connectors.exact_online import invoice_payments
from tradewind.connectors.exact_online.client import Row, format_date
from tradewind.connectors.exact_online.documents import (
    DOCUMENTS,
    SALES_ENTRY,
    SALES_INVOICE,
    SALES_ORDER,
    DivisionFacts,
    Document,
)
from tradewind.errors import RecordError
from tradewind.model import Address, Customer, Order
from tradewind.rules import terms
from tradewind.rules.booking import Booking, compose_booking
from tradewind.rules.rounding import BookingLine
from tradewind.rules.settings import BookingRules, Ledger, RoundingMode, VatCodeEntry, VatKind, VatMethod
from tradewind.rules.tax import OrderHeld, VatCodeMap, destination

METHOD = VatMethod.PER_LINE
"""How Exact computes VAT on a sales order: per line, from its net amount, rounded to cents."""

_SALES = {"S", "B", None}
"""``VATTransactionType``: S(ales), B(oth); P(urchase) codes are never booked on a sales order."""


def code_entries(rows: Iterable[Row]) -> list[VatCodeEntry]:
    """Exact's unblocked sales VAT codes as domestic entries, one per rate served by a single code."""
    by_rate: dict[Decimal, list[str]] = {}
    for row in rows:
        code = str(row.get("Code") or "").strip()
        if not code or row.get("IsBlocked") or (row.get("VATTransactionType") or None) not in _SALES:
            continue
        fraction = Decimal(str(row.get("Percentage") or 0))
        rate = fraction * 100 if abs(fraction) <= 1 else fraction
        rate = rate.quantize(Decimal(1)) if rate == rate.to_integral_value() else rate.normalize()
        by_rate.setdefault(rate, []).append(code)
    return [VatCodeEntry(code=codes[0], rate=rate, kind=VatKind.DOMESTIC)
            for rate, codes in by_rate.items() if len(codes) == 1]


def compose(order: Order, rules: BookingRules, codes: VatCodeMap | None) -> Booking:
    """The booking of ``order``; raises RecordError (OrderHeld) for what cannot be booked right."""
    if rules.time_zone is None:  # options refuse this; a codec called directly still must not guess
        raise RecordError("booking.time_zone is not set, so the order's business date is unknown",
                          field="created_at")
    return compose_booking(order, rules, vat_codes=codes or VatCodeMap(rules.vat_codes), method=METHOD,
                           shop_zone=rules.time_zone)


def debtor(order: Order, booking: Booking) -> Customer:
    """The customer to match or create: with the VAT number that carries reverse charge."""
    number = booking.treatment.vat_number
    if number is None or order.customer.vat_number == number:
        return order.customer
    return order.customer.model_copy(update={"vat_number": number})


def remarks(booking: Booking, note: str | None) -> str | None:
    """Exact has no draft sales order: a booking drafted by ``on_difference: draft`` says so first."""
    if not booking.draft:
        return note
    return "\n".join(p for p in (f"DRAFT: {booking.reason}", note) if p)


def _line_out(line: BookingLine, refs: Refs) -> Row:
    try:
        item = refs("product", {"sku": line.sku})
    except RecordError as error:
        if error.field:
            raise
        raise RecordError(error.message, field=f"{line.source}.sku", record=error.record) from error
    row: Row = {"Item": item, "Description": line.description, "Quantity": line.quantity,
                "UnitPrice": line.unit_price.amount, "VATCode": line.vat_code}
    gross = line.unit_price.amount * line.quantity
    if line.discount and gross:
        row["Discount"] = discount_fraction(gross, line.amount().amount)
    return row


def discount_fraction(gross: Decimal, booked: Decimal) -> Decimal:
    """Exact's ``Discount`` (a fraction of the line, eight decimals) that makes Exact's line amount
    ``gross × (1 − Discount)`` round to the ``booked`` amount. Taken from the booked amount, not from the
    discount: 2 × 5.7025 less 0.01 is 11.395, booked 11.40, but 0.01 / 11.405 = 0.00087681 (eight decimals)
    leaves 11.39499998, which Exact rounds to 11.39 (tests/connectors/exact_online/test_invoice_totals.py)."""
    return ((gross - booked) / gross).quantize(Decimal("0.00000001"))


# -- documents (booking_type), ledger, terms, currency ---------------------------------------------

def document_out(order: Order, refs: Refs, codes: VatCodeMap | None, rules: BookingRules, *,
                 facts: DivisionFacts, base_currency: str, payment_condition: str | None) -> Row:
    """The order as the document ``rules.booking_type`` names (:mod:`.documents`), booked by the rules."""
    booked = compose(order, rules, codes)
    doc = DOCUMENTS[rules.booking_type]
    rate = _exchange(order, rules, booked, facts, base_currency, doc)
    who = debtor(order, booked)
    customer = refs("customer", {"email": who.email, "vat_number": who.vat_number, "reference": who.reference},
                    payload=who)
    ledger = rules.ledger_for(destination(order, rules.home_country))
    row: Row = {doc.party: customer, "YourRef": order.number, "Description": f"Webshop order {order.number}",
                "Currency": order.currency, "PaymentCondition": terms.payment_condition(order, rules) or
                payment_condition}
    method = terms.shipping_method(order, rules)
    day = format_date(booked.business_date)
    if doc is SALES_ORDER:
        row.update(InvoiceTo=customer, DeliverTo=customer, OrderDate=day, Remarks=remarks(booked, order.note),
                   ShippingMethod=facts.id_of("ShippingMethods", method, "shipping_lines[0].code") if method else None,
                   DeliveryAddress=delivery_address(order))
    elif doc is SALES_INVOICE:
        row.update(InvoiceTo=customer, DeliverTo=customer, Journal=rules.journal, InvoiceDate=day, OrderDate=day,
                   Remarks=remarks(booked, order.note), Status=DRAFT_INVOICE if booked.draft else None)
    else:
        if booked.draft:
            raise OrderHeld(f"{booked.reason}; a sales entry has no draft (on_difference: draft)", field="total")
        row.update(Journal=rules.journal, EntryDate=day, Rate=rate.rate if rate.foreign else None)
    decided = invoice_payments.decide(order, rules, booked.business_date)
    if decided is not None:  # the payment map: condition and due date (paid at once: see OrderResource.create)
        invoice_payments.terms_out(row, decided, facts.conditions, due_date=doc is not SALES_ORDER)
    row[doc.lines] = [_line_for(doc, line, refs, ledger, facts, rules.rounding) for line in booked.lines]
    return {k: v for k, v in row.items() if v is not None}


def delivery_address(order: Order) -> Row | None:
    """The shipping address in ``crm/Addresses``' fields when it is not the billing address (the account's
    own), for the resource to find or create as the account's delivery address (Type 4) and send by ID."""
    ship, bill = order.shipping_address, order.billing_address
    if ship is None or (bill is not None and _address_row(ship) == _address_row(bill)):
        return None
    return _address_row(ship)


def _address_row(address: Address) -> Row:
    line1 = " ".join(p for p in (address.line1, address.house_number) if p) or None
    row = {"AddressLine1": line1, "AddressLine2": address.line2, "Postcode": address.postcode,
           "City": address.city, "Country": address.country,
           "ContactName": " ".join(p for p in (address.name, address.company) if p) or None}
    return {k: v for k, v in row.items() if v is not None}


DRAFT_INVOICE = 10
"""``SalesInvoices.Status`` of a draft: "Draft invoices are not included in financial reports, balances"."""


def _exchange(order: Order, rules: BookingRules, booked: Booking, facts: DivisionFacts, base: str,
              doc: Document) -> terms.Exchange:
    """The rate the order is booked with; Exact's sales orders and invoices take only Exact's own rate."""
    rate = terms.exchange(order, rules, base, erp_rate=facts.rate(order.currency, booked.business_date))
    if rate.source == "shop" and doc is not SALES_ENTRY:
        raise OrderHeld(f"the order is in {order.currency}: an Exact {doc.label} takes Exact's own rate, not the "
                        "shop's (currency_rate: shop needs booking_type: sales_entry)", field="currency")
    return rate


def _line_for(doc: Document, line: BookingLine, refs: Refs, ledger: Ledger, facts: DivisionFacts,
              mode: RoundingMode) -> Row:
    """One line of ``doc``: item lines (orders, invoices) or GL lines (entries), with the ledger's codes."""
    if doc is SALES_ENTRY:
        if not ledger.revenue_account:
            raise RecordError("a sales entry needs booking.ledger.revenue_account (or one for the order's country "
                              "in ledger_by_country)", field=f"{line.source}.revenue_account")
        row: Row = {"Description": line.description, "Quantity": line.quantity, "AmountFC": line.amount(mode).amount,
                    "VATCode": line.vat_code}
    else:
        row = _line_out(line, refs)
    if ledger.revenue_account and doc is not SALES_ORDER:
        row["GLAccount"] = facts.id_of("GLAccounts", ledger.revenue_account, "booking.ledger.revenue_account")
    if ledger.project:
        row["Project"] = facts.id_of("Projects", ledger.project, "booking.ledger.project")
    row.update({k: v for k, v in (("CostCenter", ledger.cost_center), ("CostUnit", ledger.cost_unit)) if v})
    return row
