"""Properties of credit notes over random bookings and random sequences of partial refunds: no line is
ever credited more than it booked, nor the order more than its booking's total (credit notes that would
are held, or drafted with the reason); refunding everything credits exactly what was booked; no float is
ever produced."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from tests.rules.booking_kit import CODES
from tests.rules.test_booking_properties import _no_float, baskets
from tradewind.errors import RecordError
from tradewind.model import Money, Order
from tradewind.model.refund import Refund, RefundLine
from tradewind.rules.booking import Booking, compose_booking
from tradewind.rules.refunds import CreditNote, compose_credit_note, refundable_shipping
from tradewind.rules.rounding import LineRole
from tradewind.rules.settings import BookingRules, VatMethod
from tradewind.rules.tax import OrderHeld

CENT = Decimal("0.01")
Key = tuple[str, LineRole, Decimal, str]


def _booked(draw: st.DrawFn, order: Order, rules: BookingRules, method: VatMethod) -> tuple[Order, Booking]:
    """The order with its total moved to what the booking computes, give or take the tolerance (so the
    booking is settled, on a rounding line or exactly), and that booking."""
    drafted = compose_booking(order, rules.model_copy(update={"on_difference": "draft", "tolerance": Decimal(0)}),
                              vat_codes=CODES, method=method, shop_zone="Europe/Amsterdam")
    noise = draw(st.integers(min_value=-int(rules.tolerance / CENT), max_value=int(rules.tolerance / CENT))) * CENT
    order = order.model_copy(update={"total": drafted.totals.total + Money.of(noise, order.currency)})
    assume(order.total.amount > 0)
    booking = compose_booking(order, rules, vat_codes=CODES, method=method, shop_zone="Europe/Amsterdam")
    assert not booking.draft
    return order, booking


def _key(line: object) -> Key:
    return (line.source, line.role, line.vat_rate, line.vat_code)  # type: ignore[attr-defined]


def _split(draw: st.DrawFn, whole: int, parts: int) -> list[int]:
    """``whole`` split into ``parts`` non-negative parts, some of it maybe never refunded."""
    cuts = sorted(draw(st.lists(st.integers(min_value=0, max_value=whole), min_size=parts, max_size=parts)))
    return [b - a for a, b in zip([0, *cuts[:-1]], cuts, strict=True)]


def _refunds(draw: st.DrawFn, order: Order, booking: Booking, count: int, everything: bool) -> list[Refund]:
    per_refund: list[list[RefundLine]] = [[] for _ in range(count)]
    for index, line in enumerate(order.lines):
        quantity = int(line.quantity)
        parts = _split(draw, quantity, count)
        if everything:
            parts[-1] += quantity - sum(parts)
        for number, part in enumerate(parts):
            if part:
                per_refund[number].append(RefundLine(sku=line.sku, line=index, quantity=Decimal(part)))
    cents = int(refundable_shipping(order, booking) / CENT)
    shipping = _split(draw, cents, count)
    if everything:
        shipping[-1] += cents - sum(shipping)
    return [Refund(reference=f"R{n}", order_number=order.number, created_at=datetime(2024, 6, 1, tzinfo=UTC),
                   currency=order.currency, lines=lines, shipping=Money.of(Decimal(ship) * CENT, order.currency),
                   total=Money.zero(order.currency))
            for n, (lines, ship) in enumerate(zip(per_refund, shipping, strict=True))]


def _as_the_shop_refunds(draw: st.DrawFn, order: Order, booking: Booking, refund: Refund, rules: BookingRules,
                         method: VatMethod, earlier: list[CreditNote], last: bool) -> Refund:
    """The shop's refunded total: the lines' total give or take a few cents; the last refund all that is left."""
    lines_only = compose_credit_note(order, booking, refund, rules.model_copy(update={"on_difference": "draft"}),
                                     method=method, earlier=earlier, vat_codes=CODES)
    if last:
        left = booking.totals.total.amount - sum((c.credited.amount for c in earlier), Decimal(0))
        total = left
    else:
        total = max(lines_only.credited.amount + draw(st.integers(min_value=-3, max_value=3)) * CENT, Decimal(0))
    return refund.model_copy(update={"total": Money.of(total, order.currency)})


@st.composite
def refund_sequences(draw: st.DrawFn) -> tuple[Order, BookingRules, VatMethod, Booking, list[Refund], bool]:
    order, rules, method = draw(baskets())
    order, booking = _booked(draw, order, rules, method)
    everything = draw(st.booleans())
    count = draw(st.integers(min_value=1, max_value=4))
    return order, rules, method, booking, _refunds(draw, order, booking, count, everything), everything


@settings(max_examples=300, deadline=None)
@given(refund_sequences(), st.data())
def test_credits_never_exceed_the_booking_per_line_or_in_total(
        case: tuple[Order, BookingRules, VatMethod, Booking, list[Refund], bool], data: st.DataObject) -> None:
    order, rules, method, booking, refunds, everything = case
    notes: list[CreditNote] = []
    held = 0
    given = [r for r in refunds if r.lines or (r.shipping and r.shipping.amount)]
    for number, given_refund in enumerate(given):
        try:
            shop = _as_the_shop_refunds(data.draw, order, booking, given_refund, rules, method, notes,
                                        last=everything and number == len(given) - 1)
            note = compose_credit_note(order, booking, shop, rules, method=method, earlier=notes, vat_codes=CODES)
        except OrderHeld:
            held += 1
            continue
        except RecordError as nothing:  # only lines booked at 0.00 (a free or fully discounted item): refused
            assert "gives back no booked line" in str(nothing)
            held += 1
            continue
        _no_float(note)
        notes.append(note)
    booked = {_key(line): line.amount(rules.rounding).amount for line in booking.lines
              if line.role is not LineRole.ROUNDING}
    credited: dict[Key, Decimal] = defaultdict(Decimal)
    for note in notes:
        for line in note.lines:
            if line.role is not LineRole.ROUNDING:
                credited[_key(line)] += line.amount(rules.rounding).amount
    for key, amount in credited.items():
        assert key in booked
        assert abs(amount) <= abs(booked[key]) and amount * booked[key] <= 0  # reversed, never more
    assert all(n.reason for n in notes if n.draft)  # a draft says why; the accountant posts it or not
    total = sum((n.credited.amount for n in notes if not n.draft), Decimal(0))
    assert total <= booking.totals.total.amount
    done = everything and not held and not any(n.draft for n in notes)
    event("everything credited" if done else "held" if held else "partly")
    if done:
        assert {k: -v for k, v in booked.items() if v} == {k: v for k, v in credited.items() if v}
        assert booking.totals.total.amount == total


@settings(max_examples=300, deadline=None)
@given(baskets(), st.data())
def test_one_full_refund_credits_exactly_the_booking(case: tuple[Order, BookingRules, VatMethod],
                                                     data: st.DataObject) -> None:
    order, rules, method = case
    order, booking = _booked(data.draw, order, rules, method)
    everything = Refund(reference="R1", order_number=order.number, created_at=datetime(2024, 6, 1, tzinfo=UTC),
                        currency=order.currency, total=order.total,
                        lines=[RefundLine(sku=ln.sku, line=i, quantity=ln.quantity)
                               for i, ln in enumerate(order.lines)],
                        shipping=Money.of(refundable_shipping(order, booking), order.currency))
    note = compose_credit_note(order, booking, everything, rules, method=method, vat_codes=CODES)
    _no_float(note)
    assert not note.draft
    assert -booking.totals.total == note.totals.total
    assert -booking.totals.vat == note.totals.vat
    reversed_lines = [(_key(b), -b.amount(rules.rounding).amount) for b in booking.lines
                      if b.role is not LineRole.ROUNDING and b.amount(rules.rounding).amount]
    assert reversed_lines == [(_key(c), c.amount(rules.rounding).amount) for c in note.lines
                              if c.role is not LineRole.ROUNDING and c.amount(rules.rounding).amount]


def _net_by_rate(lines: object, mode: object) -> dict[tuple[Decimal, str], Decimal]:
    """(rate, code) → net amount of the lines that are not rounding lines."""
    by_rate: dict[tuple[Decimal, str], Decimal] = defaultdict(Decimal)
    for line in lines:  # type: ignore[attr-defined]
        if line.role is not LineRole.ROUNDING:
            by_rate[(line.vat_rate, line.vat_code)] += line.amount(mode).amount
    return by_rate


@settings(max_examples=300, deadline=None)
@given(refund_sequences(), st.data())
def test_adjustments_never_credit_more_than_was_booked_per_rate_or_in_total(
        case: tuple[Order, BookingRules, VatMethod, Booking, list[Refund], bool], data: st.DataObject) -> None:
    """With ``adjustment_item``, refunds give back money beyond their lines (goodwill), or money without lines at
    all: the adjustment is spread over the booked rates, and still no rate, no line and not the order is ever
    credited beyond its booking; a refund whose adjustment does not fit is held (or drafted, saying why)."""
    order, rules, method, booking, refunds, _ = case
    adjusting = rules.model_copy(update={"adjustment_item": "ADJ"})
    notes: list[CreditNote] = []
    for given_refund in refunds:
        if data.draw(st.booleans(), label="goodwill only"):
            given_refund = given_refund.model_copy(update={"lines": [], "shipping": None})
        lines_only = Decimal(0)
        if given_refund.lines or (given_refund.shipping and given_refund.shipping.amount):
            try:
                lines_only = compose_credit_note(order, booking, given_refund, rules.model_copy(
                    update={"on_difference": "draft"}), method=method, earlier=notes, vat_codes=CODES).credited.amount
            except (OrderHeld, RecordError):
                continue
        extra = data.draw(st.integers(min_value=-300, max_value=3000), label="cents beyond the lines") * CENT
        shop = given_refund.model_copy(update={"total": Money.of(max(lines_only + extra, Decimal(0)), order.currency)})
        try:
            note = compose_credit_note(order, booking, shop, adjusting, method=method, earlier=notes, vat_codes=CODES)
        except OrderHeld as held:
            assert held.message
            continue
        except RecordError as nothing:
            assert "gives back no booked line" in str(nothing)
            continue
        _no_float(note)
        assert note.reason if note.draft else True
        if not note.draft:
            notes.append(note)
    booked = _net_by_rate(booking.lines, rules.rounding)
    credited: dict[tuple[Decimal, str], Decimal] = defaultdict(Decimal)
    for note in notes:
        for key, amount in _net_by_rate(note.lines, rules.rounding).items():
            credited[key] += amount
    for key, amount in credited.items():
        assert key in booked, (key, booked)
        assert booked[key] + amount >= 0 or booked[key] < 0, (key, amount, booked)  # a kept fee may add
    per_line = {_key(line): line.amount(rules.rounding).amount for line in booking.lines
                if line.role is not LineRole.ROUNDING}
    for note in notes:
        for line in note.lines:
            if line.role not in (LineRole.ROUNDING, LineRole.ADJUSTMENT):
                assert _key(line) in per_line
    total = sum((n.credited.amount for n in notes), Decimal(0))
    assert total <= booking.totals.total.amount
    event("adjusted" if any(ln.role is LineRole.ADJUSTMENT for n in notes for ln in n.lines) else "not adjusted")
