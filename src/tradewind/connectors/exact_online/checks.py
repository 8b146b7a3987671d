"""``tradewind check`` for an Exact Online connection: a handful of reads, no writes.

1. authentication: ``current/Me`` (one call; the token exchange happens here when none is held);
2. VAT codes: ``vat/VATCodes`` against the rates the ``booking`` rules can book
   (:mod:`tradewind.rules.vat_coverage`), or against the ``vat_codes`` option without rules;
3. items: the shipping, discount and rounding items exist (one filtered read of Items);
4. warehouses: ``warehouse`` and ``stock_warehouses`` exist (``inventory/Warehouses``, no mandatory filter);
5. payments: methods the ``booking.payments`` map pays at once are registered only on a processed invoice
   (:mod:`.invoice_payments`), so with any booking type but ``direct_invoice`` they warn, and one without
   its bank ``journal`` fails (no call: the configuration alone says it).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from tradewind.connectors.base import Check
from tradewind.connectors.exact_online import booking, vat
from tradewind.connectors.exact_online.client import ExactClient, Row, is_guid, quote, results
from tradewind.rules.settings import BookingType, VatKind
from tradewind.rules.tax import VatCodeMap
from tradewind.rules.vat_coverage import Gap, gaps, rates_in_use
from tradewind.rules.vat_rates import is_eu

if TYPE_CHECKING:
    from tradewind.connectors.exact_online.options import ExactOnlineOptions


def run(client: ExactClient, options: ExactOnlineOptions) -> Iterator[Check]:
    yield authenticated(client)
    rows = vat.code_rows(client)
    yield from vat_codes(rows, options)
    yield from items(client, options)
    yield from warehouses(client, options)
    yield from payments(options)


def authenticated(client: ExactClient) -> Check:
    answer = client.request("GET", f"{client.base_url}/api/v1/current/Me",
                            params={"$select": "CurrentDivision,FullName"})
    rows, _ = results(answer.json())
    who = rows[0].get("FullName") if rows else None
    return Check("authentication", "ok", f"signed in as {who or 'the app'}; division {client.division}")


def vat_codes(rows: list[Row], options: ExactOnlineOptions) -> Iterator[Check]:
    rules = options.booking_rules()
    if rules is None:
        yield from _option_codes(rows, options.vat_codes)
        return
    codes = VatCodeMap(booking.code_entries(rows), rules.vat_codes)
    if not is_eu(rules.home_country):
        yield Check("VAT codes", "warn", f"home country {rules.home_country} is not in the EU: its rates are "
                                         "not kept, so only the project's booking.vat_codes are used")
        return
    found = gaps(codes, rates_in_use(rules, datetime.now(UTC).date()))
    shared = _shared_rates(rows)
    oss = [g for g in found if g.kind is VatKind.OSS]
    others = [g for g in found if g.kind is not VatKind.OSS]
    yield from (_gap(g, shared) for g in others)
    if not any(g.kind is VatKind.DOMESTIC for g in others):
        yield Check(f"VAT codes {rules.home_country}", "ok", f"every {rules.home_country} rate has a domestic code")
    if rules.oss:
        yield from _oss(oss, any(e.kind is VatKind.OSS for e in rules.vat_codes))


def _gap(gap: Gap, shared: dict[Decimal, list[str]]) -> Check:
    where = f" {gap.country}" if gap.country else ""
    reason = gap.describe()
    several = [f"codes {', '.join(shared[r])} all serve {r}%" for r in gap.rates
               if gap.kind is VatKind.DOMESTIC and r in shared]
    if several:
        reason += f" ({'; '.join(several)}: name the one to book in booking.vat_codes)"
    else:
        reason += f"; add it to the division or to booking.vat_codes (kind: {gap.kind.value})"
    return Check(f"VAT codes{where} ({gap.kind.value})", "warn", reason)


def _oss(found: list[Gap], some_configured: bool) -> Iterator[Check]:
    """One line when the project names no OSS code at all (Exact's list has no countries, so OSS
    codes come from booking.vat_codes); else one per member state with a gap."""
    if not found:
        yield Check("VAT codes (OSS)", "ok", "every member state's rates have an OSS code")
        return
    if not some_configured:
        sample = "; ".join(f"{g.country} {', '.join(f'{r}%' for r in g.rates)}" for g in found[:3])
        yield Check("VAT codes (OSS)", "warn", f"no OSS VAT codes at all: a sale to a consumer in another member "
                                               f"state ({len(found)} countries, e.g. {sample}) fails; add the codes "
                                               "to booking.vat_codes (kind: oss, country: ..) or set oss: false")
        return
    yield from (Check(f"VAT codes {g.country} (oss)", "warn", g.describe()) for g in found)


def _shared_rates(rows: list[Row]) -> dict[Decimal, list[str]]:
    """Rates (percent) served by several unblocked sales codes: the division cannot tell which is meant."""
    by_rate: dict[Decimal, list[str]] = {}
    for row in rows:
        code = str(row.get("Code") or "").strip()
        if code and not row.get("IsBlocked") and row.get("VATTransactionType") in ("S", "B", None):
            by_rate.setdefault(_percent(row), []).append(code)
    return {rate: codes for rate, codes in by_rate.items() if len(codes) > 1}


def _percent(row: Row) -> Decimal:
    fraction = Decimal(str(row.get("Percentage") or 0))
    return (fraction * 100).normalize() if abs(fraction) <= 1 else fraction.normalize()


def _option_codes(rows: list[Row], configured: dict[str, str]) -> Iterator[Check]:
    if not configured:
        yield Check("VAT codes", "ok", "no booking rules or vat_codes: order lines take each item's own VAT code")
        return
    known = {str(r.get("Code") or "").strip(): _percent(r) for r in rows}
    for rate, code in configured.items():
        if code not in known:
            yield Check(f"VAT code {code}", "fail", f"vat_codes maps {rate}% to code {code!r}, which the division "
                                                    f"does not have (codes: {', '.join(sorted(known))})")
        elif known[code] != Decimal(rate).normalize():
            yield Check(f"VAT code {code}", "warn", f"vat_codes maps {rate}% to code {code!r}, which is "
                                                    f"{known[code]}% in the division")
        else:
            yield Check(f"VAT code {code}", "ok", f"{rate}%")


def items(client: ExactClient, options: ExactOnlineOptions) -> Iterator[Check]:
    rules = options.booking_rules()
    named = {"shipping_item": options.shipping_item, "discount_item": options.discount_item}
    if rules is not None:
        named.update(shipping_item=rules.shipping_item, discount_item=rules.discount_item,
                     rounding_item=rules.rounding_item)
    wanted = {option: code for option, code in named.items() if code}
    if not wanted:
        return
    filters = " or ".join(f"trim(Code) eq {quote(code)}" for code in sorted(set(wanted.values())))
    rows = client.rows(vat.ITEMS_BULK, {"$select": "ID,Code,IsSalesItem", "$filter": filters})
    found = {str(r.get("Code") or "").strip(): r for r in rows}
    for option, code in wanted.items():
        row = found.get(code)
        if row is None:
            yield Check(option, "fail", f"item {code!r} does not exist in the division; orders using it fail")
        elif row.get("IsSalesItem") is False:
            yield Check(option, "warn", f"item {code!r} exists but is not a sales item")
        else:
            yield Check(option, "ok", f"item {code!r} exists")


def warehouses(client: ExactClient, options: ExactOnlineOptions) -> Iterator[Check]:
    wanted = {f"stock_warehouses[{i}]": code for i, code in enumerate(options.stock_warehouses)}
    if options.warehouse:
        wanted["warehouse"] = options.warehouse
    if not wanted:
        return
    rows = client.rows("inventory/Warehouses", {"$select": "ID,Code"})
    codes = {str(r.get("Code") or "").strip() for r in rows}
    ids = {str(r.get("ID") or "").lower() for r in rows}
    for option, code in wanted.items():
        there = code.lower() in ids if is_guid(code) else code in codes
        yield (Check(option, "ok", f"warehouse {code!r} exists") if there else
               Check(option, "fail", f"warehouse {code!r} does not exist in the division (codes: "
                                     f"{', '.join(sorted(codes)) or 'none'})"))


def payments(options: ExactOnlineOptions) -> Iterator[Check]:
    """Whether the map's methods paid at once can be registered as paid: only a processed invoice has the
    number and the receivable a bank line settles, and only ``direct_invoice`` processes it (an open
    ``sales_invoice`` waits for a person, a sales order is invoiced by Exact later, a sales entry is not an
    invoice). Nothing to say without such methods."""
    rules = options.booking_rules()
    if rules is None or rules.payments is None:
        return
    terms = {**rules.payments.methods, **({"default": rules.payments.default} if rules.payments.default else {})}
    paid = {method: t for method, t in terms.items() if t.paid}
    if not paid:
        return
    names = ", ".join(paid)
    if rules.booking_type is not BookingType.DIRECT_INVOICE:
        yield Check("booking.payments", "warn", f"{names} {'are' if len(paid) > 1 else 'is'} paid at once, but "
                                                f"booking_type {rules.booking_type.value} leaves no processed "
                                                "invoice to register them against: their payments are not "
                                                "registered (each order's transfer says so); book with "
                                                "booking_type: direct_invoice, or register them in Exact once "
                                                "the invoices are processed")
        return
    lacking = [method for method, t in paid.items() if not t.journal]
    if lacking:
        where = {m: "booking.payments.default" if m == "default" else f"booking.payments.methods.{m}" for m in lacking}
        yield Check("booking.payments", "fail", "; ".join(
            f"payment method {m!r} is paid at once but names no bank journal ({where[m]}.journal)"
            for m in lacking) + ": every order it pays fails")
        return
    yield Check("booking.payments", "ok", f"{', '.join(f'{m} (bank journal {t.journal})' for m, t in paid.items())} "
                                          f"{'are' if len(paid) > 1 else 'is'} registered as paid when their direct "
                                          "invoice is processed")
