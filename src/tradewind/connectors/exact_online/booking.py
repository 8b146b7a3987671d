"""Orders booked by the connection's ``booking`` rules (:class:`~tradewind.rules.settings.BookingRules`).

The rules decide (:func:`~tradewind.rules.booking.compose_booking`); this module only translates the
booking into a SalesOrder: article, discount, shipping and rounding lines with the VAT code the rules
chose, the business date as ``OrderDate``, and the VAT number that carries reverse charge on the debtor.
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
from tradewind.connectors.exact_online.client import Row, format_date
from tradewind.errors import RecordError
from tradewind.model import Customer, Order
from tradewind.rules.booking import Booking, compose_booking
from tradewind.rules.rounding import BookingLine
from tradewind.rules.settings import BookingRules, VatCodeEntry, VatKind, VatMethod
from tradewind.rules.tax import VatCodeMap

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


def header(booking: Booking) -> Row:
    """What the booking sets on the SalesOrder itself: the business date."""
    return {"OrderDate": format_date(booking.business_date)}


def remarks(booking: Booking, note: str | None) -> str | None:
    """Exact has no draft sales order: a booking drafted by ``on_difference: draft`` says so first."""
    if not booking.draft:
        return note
    return "\n".join(p for p in (f"DRAFT: {booking.reason}", note) if p)


def lines_out(booking: Booking, refs: Refs) -> list[Row]:
    return [_line_out(line, refs) for line in booking.lines]


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
        row["Discount"] = (line.discount.amount / gross).quantize(Decimal("0.00000001"))
    return row
