"""A shop refund credited the way the order was booked: :func:`compose_credit_note`.

The booking (:mod:`tradewind.rules.booking`) is the only source of rates, codes and prices: a credit
note reverses exactly what was booked, never what the shop's catalogue says today. Each booked line
is credited in the share the refunds so far have taken of it:

* an article line by quantity: ``refunded / booked``; its discount comes along, because the share is
  of the line's booked amount *after* its discount (1 of 2 discounted shirts credits the discounted
  price);
* shipping by amount: the shipping refunded over what the order charged for it (its price less the
  part of order discounts the booking spread onto it); shipping discounted to nothing is credited
  with the last of the goods;
* a discount line (one per rate on the discount article) by the share of the goods and shipping at its
  rate credited so far, the same proportion the booking spread order discounts by;
* the booking's rounding line is not credited line by line: the credit note settles its own
  difference with the shop's refund (below).

Shares are cumulative and telescoping: what a refund credits on a line is ``share(after) −
share(before)``, each rounded to the cent, so however a line is refunded in parts its credits add up
to exactly what it booked and never more. A line's net unit price keeps four decimals; the credit
line keeps that price and carries the rest on its discount, so the line's amount is the share exactly.

Then, as for the booking (:func:`~tradewind.rules.rounding.settle`), the credit note's total is
compared with what the shop refunded: a difference within the tolerance goes on the rounding line,
a larger one holds the refund or drafts the credit note with both totals in the reason. Finally the
credit notes of an order together never exceed its booking's total; one that would is held or drafted.

Lines on the credit note carry negative quantities (and so negative amounts): they are the booked
lines reversed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from tradewind.errors import RecordError
from tradewind.model import Money, Order
from tradewind.model.refund import Refund
from tradewind.rules.booking import Booking
from tradewind.rules.orders import allocate, line_discount
from tradewind.rules.rounding import BookingLine, LineRole, Settlement, Totals, erp_totals, settle
from tradewind.rules.settings import BookingRules, OnDifference, RoundingMode, VatKind, VatMethod
from tradewind.rules.tax import CENT, OrderHeld, VatCodeMap

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class CreditNote:
    """The lines crediting one refund (negative), their totals as the ERP computes them, and the
    difference with the shop (on the rounding line, or ``draft`` with ``reason``)."""

    refund: Refund
    lines: list[BookingLine]
    totals: Totals
    difference: Money
    vat_difference: Money | None
    draft: bool = False
    reason: str | None = None

    @property
    def credited(self) -> Money:
        """The amount credited, VAT included, as a positive amount."""
        return -self.totals.total


def compose_credit_note(order: Order, booking: Booking, refund: Refund, rules: BookingRules, *,
                        method: VatMethod, earlier: Sequence[CreditNote] = (),
                        vat_codes: VatCodeMap | None = None) -> CreditNote:
    """The credit note of ``refund`` against ``booking`` (of ``order``), after the ``earlier`` credit
    notes of the same order (see the module docstring).

    ``method`` is how the ERP computes VAT (as for the booking); the rounding line takes the booking's
    rounding line's VAT code, else ``rules.rounding_vat_code``, else the domestic 0% code of ``vat_codes``.
    Raises :class:`RecordError` naming the field for a refund that does not fit the booking (an
    unknown line, more than was booked), and :class:`OrderHeld` when the flow holds a difference.
    """
    record = f"{order.number} refund {refund.reference}"
    if refund.currency != order.currency:
        raise RecordError(f"the refund is in {refund.currency}, the order in {order.currency}", field="currency",
                          record=record)
    before = _Shares(order, booking, [c.refund for c in earlier], rules.rounding, record)
    after = _Shares(order, booking, [*(c.refund for c in earlier), refund], rules.rounding, record)
    lines = [credit for index, line in enumerate(booking.lines)
             if (credit := _credit(line, before.amount(index), after.amount(index), after.quantity(index)
                                   - before.quantity(index))) is not None]
    lines += _adjustment(lines, refund, booking, earlier, rules, rules.vat_method or method, record)
    if not lines:
        if refund.total.amount == 0:
            raise RecordError("the refund gives back no booked line, no shipping and no money", field="lines",
                              record=record)
        raise OrderHeld(f"the refund gives back {refund.total.rounded(CENT)} on the order as a whole, not on its "
                        "lines: set booking.adjustment_item to book such an adjustment", field="adjustments",
                        record=record)
    code = _rounding_code(booking, rules, vat_codes)
    settled = settle(lines, shop_total=-refund.total, shop_vat=-refund.tax_total if refund.tax_total else None,
                     rules=rules, method=rules.vat_method or method, rounding_code=code, record=record)
    settled = _within_booking(settled, booking, earlier, rules, record)
    return CreditNote(refund, settled.lines, settled.totals, settled.difference, settled.vat_difference,
                      settled.draft, settled.reason)


class _Shares:
    """How much of each booked line the given refunds have taken, cumulatively: the fraction of each
    line, and the cents of its booked amount (rounded once per line, so successive shares telescope)."""

    def __init__(self, order: Order, booking: Booking, refunds: Sequence[Refund], mode: RoundingMode,
                 record: str) -> None:
        self.booking = booking
        refunded = _refunded_lines(order, refunds, record)
        weights = _discount_weights(order, booking)
        shipped = refundable_shipping(order, booking, weights)
        shipping = sum((r.shipping.amount for r in refunds if r.shipping is not None), _ZERO)
        if shipping > shipped:
            raise RecordError(f"refunds {shipping} of shipping in all, but the order charged {shipped} for it",
                              field="shipping", record=record)
        self.quantities: dict[int, Decimal] = {}
        by_source = {line.source: i for i, line in enumerate(booking.lines) if line.role is LineRole.ARTICLE}
        for position, quantity in refunded.items():
            index = by_source.get(f"lines[{position}]")
            booked = booking.lines[index].quantity if index is not None else _ZERO
            if index is None or quantity > booked:
                raise RecordError(f"refunds {quantity} of {order.lines[position].sku} in all, but {booked} "
                                  f"were booked", field=f"lines[{position}].quantity", record=record)
            self.quantities[index] = quantity
        self.fractions: dict[int, Decimal] = {}
        for index, line in enumerate(booking.lines):
            if line.role is LineRole.ARTICLE:
                self.fractions[index] = self.quantities.get(index, _ZERO) / line.quantity
        everything = all(self.fractions[i] == 1 for i in self.fractions)
        for index, line in enumerate(booking.lines):
            if line.role is LineRole.SHIPPING:  # shipping the order charged nothing for goes with the last goods
                self.fractions[index] = shipping / shipped if shipped else Decimal(everything)
        for index, line in enumerate(booking.lines):
            if line.role is LineRole.DISCOUNT:
                self.fractions[index] = self._discounted_fraction(line, weights)
        self.amounts = {index: _share(booking.lines[index], f, mode) for index, f in self.fractions.items()}

    def _discounted_fraction(self, discount: BookingLine, weights: dict[int, Decimal]) -> Decimal:
        """The part of a discount line's discount that the lines credited so far carried: each goods or
        shipping line at its rate and code weighs with the discount it carried in the booking."""
        at_rate = [i for i, line in enumerate(self.booking.lines) if line.role in (LineRole.ARTICLE, LineRole.SHIPPING)
                   and (line.vat_rate, line.vat_code) == (discount.vat_rate, discount.vat_code)]
        carried = sum((weights.get(i, _ZERO) for i in at_rate), _ZERO)
        if carried == 0:
            return _ZERO
        return sum((weights.get(i, _ZERO) * self.fractions[i] for i in at_rate), _ZERO) / carried

    def quantity(self, index: int) -> Decimal:
        return self.quantities.get(index, _ZERO)

    def amount(self, index: int) -> Decimal:
        return self.amounts.get(index, _ZERO)


def refundable_shipping(order: Order, booking: Booking, weights: dict[int, Decimal] | None = None) -> Decimal:
    """What the order charged for shipping, in its own terms: the shipping prices less the part of the
    order's discounts the booking spread onto them. The refunds of an order never give back more."""
    carried = _discount_weights(order, booking) if weights is None else weights
    price = sum((line.price.amount for line in order.shipping_lines), _ZERO)
    return price - sum((carried[i] for i, line in enumerate(booking.lines) if line.role is LineRole.SHIPPING), _ZERO)


def _discount_weights(order: Order, booking: Booking) -> dict[int, Decimal]:
    """Booked line index → the discount it carried, in the order's terms: its own discount plus its part
    of the order's discounts, spread as :func:`~tradewind.rules.booking.compose_booking` spreads them
    (in proportion to what is left of each goods and shipping line, to the cent)."""
    carried: dict[int, Decimal] = {}
    remaining: dict[int, Decimal] = {}
    for index, line in enumerate(booking.lines):
        source = _position(line.source)
        if line.role is LineRole.ARTICLE and source is not None:
            ordered = order.lines[source]
            own = line_discount(ordered, line.source) if ordered.quantity > 0 else _ZERO
            carried[index] = own
            remaining[index] = (ordered.quantity * ordered.unit_price.amount - own).quantize(CENT)
        elif line.role is LineRole.SHIPPING and source is not None:
            carried[index] = _ZERO
            remaining[index] = order.shipping_lines[source].price.amount
    for number, discount in enumerate(order.discounts):
        parts = allocate(discount.amount.amount, list(remaining.values()), field=f"discounts[{number}]")
        for index, part in zip(remaining, parts, strict=True):
            carried[index] += part
    return carried


def _position(source: str) -> int | None:
    """The position in ``lines[3]`` or ``shipping_lines[0]``."""
    opening = source.find("[")
    return int(source[opening + 1:-1]) if opening >= 0 and source.endswith("]") else None


def _share(line: BookingLine, fraction: Decimal, mode: RoundingMode) -> Decimal:
    """``fraction`` of the line's booked amount, to the cent (the whole line at 1, exactly)."""
    booked = line.amount(mode).amount
    return booked if fraction == 1 else (booked * fraction).quantize(CENT, rounding=mode.decimal)


def _refunded_lines(order: Order, refunds: Iterable[Refund], record: str) -> dict[int, Decimal]:
    """Order line position → quantity refunded in all; a line found by its position, else its SKU."""
    quantities: dict[int, Decimal] = {}
    for refund in refunds:
        for number, line in enumerate(refund.lines):
            field = f"lines[{number}]"
            if line.line is not None:
                if line.line >= len(order.lines) or order.lines[line.line].sku != line.sku:
                    raise RecordError(f"the order has no line {line.line} with SKU {line.sku}", field=field,
                                      record=record)
                position = line.line
            else:
                matches = [i for i, ordered in enumerate(order.lines) if ordered.sku == line.sku]
                if len(matches) != 1:
                    raise RecordError(f"SKU {line.sku} is on {len(matches)} lines of the order; the refund must "
                                      f"name the line", field=f"{field}.sku", record=record)
                position = matches[0]
            quantities[position] = quantities.get(position, _ZERO) + line.quantity
    return quantities


def _credit(line: BookingLine, before: Decimal, after: Decimal, quantity: Decimal) -> BookingLine | None:
    """The booked line reversed for ``after − before`` of its amount (None: nothing more of it)."""
    credit = after - before
    if credit == 0 and quantity == 0:
        return None
    currency = line.unit_price.currency
    if line.role is LineRole.ARTICLE:
        rest = quantity * line.unit_price.amount - credit  # the discount share, and a 4-decimal price's sub-cents
        return BookingLine(sku=line.sku, description=line.description, quantity=-quantity, unit_price=line.unit_price,
                           vat_rate=line.vat_rate, vat_code=line.vat_code, kind=line.kind, role=line.role,
                           discount=Money(amount=-rest, currency=currency) if rest else None, source=line.source)
    return BookingLine(sku=line.sku, description=line.description, quantity=Decimal(-1),
                       unit_price=Money(amount=credit, currency=currency), vat_rate=line.vat_rate,
                       vat_code=line.vat_code, kind=line.kind, role=line.role, source=line.source)


def _adjustment(lines: Sequence[BookingLine], refund: Refund, booking: Booking, earlier: Sequence[CreditNote],
                rules: BookingRules, method: VatMethod, record: str) -> list[BookingLine]:
    """The refund's order-level adjustment on ``rules.adjustment_item``: what the shop refunded beyond (or short
    of) the credited lines, when that is more than the tolerance (less is a rounding difference).

    It is spread, with :func:`~tradewind.rules.orders.allocate` as the booking spreads an order discount, over the
    booking's VAT rates (rate and code) in proportion to what is still booked at each — the booked amounts with
    VAT, less what earlier credit notes and this one's lines gave back — so an adjustment never credits a rate
    beyond its booking. An adjustment the other way (the shop gave back less than the lines: a fee kept) is
    spread over the booked amounts themselves. Each part is booked net of its rate (VAT per line, as the ERP
    computes it); the cents that leaves go on the rounding line. Without ``adjustment_item``, nothing: the
    difference holds the refund.
    """
    if rules.adjustment_item is None:
        return []
    currency = refund.currency
    credited = erp_totals(lines, method, rules.rounding, currency).total.amount if lines else _ZERO
    difference = -refund.total.amount - credited  # negative: the shop gave back more than the lines credit
    if abs(difference) <= rules.tolerance:
        return []
    given = [*(line for note in earlier for line in note.lines), *lines] if difference < 0 else []
    left = _left_by_rate(booking, given, method, rules)
    room = sum((max(v, _ZERO) for v in left.values()), _ZERO)
    if abs(difference) > room:
        problem = (f"the refund's order-level adjustment of {-difference} is more than is left to credit on the "
                   f"order's booking ({room})")
        if rules.on_difference is OnDifference.HOLD:
            raise OrderHeld(problem, field="adjustments", record=record)
        return []  # drafted below with the difference in the reason
    parts = allocate(abs(difference), list(left.values()), field="adjustments")
    sign = 1 if difference < 0 else -1
    made = []
    for (rate, code, kind), part in zip(left, parts, strict=True):
        if part == 0:
            continue
        net = (part / (1 + rate / _HUNDRED)).quantize(CENT, rounding=rules.rounding.decimal)
        made.append(BookingLine(sku=rules.adjustment_item, description=f"Refund adjustment {rate}% VAT",
                                quantity=Decimal(-1), unit_price=Money(amount=sign * net, currency=currency),
                                vat_rate=rate, vat_code=code, kind=kind, role=LineRole.ADJUSTMENT,
                                source="adjustments"))
    return made


def _left_by_rate(booking: Booking, credits: Sequence[BookingLine], method: VatMethod,
                  rules: BookingRules) -> dict[tuple[Decimal, str, VatKind], Decimal]:
    """(rate, code, kind) → what is still booked there with VAT: the booking's lines (not its rounding line)
    plus the credit lines (negative) given so far, each as the ERP computes it."""
    left: dict[tuple[Decimal, str, VatKind], Decimal] = {}
    for line in [*booking.lines, *credits]:
        if line.role is LineRole.ROUNDING:
            continue
        key = (line.vat_rate, line.vat_code, line.kind)
        total = erp_totals([line], method, rules.rounding, line.unit_price.currency).total.amount
        left[key] = left.get(key, _ZERO) + total
    return left


def _rounding_code(booking: Booking, rules: BookingRules, codes: VatCodeMap | None) -> str | None:
    if booking.rounding_line is not None:
        return booking.rounding_line.vat_code
    if rules.rounding_vat_code or codes is None:
        return rules.rounding_vat_code
    try:
        return codes.code_for(_ZERO, VatKind.DOMESTIC, rules.home_country)
    except RecordError:
        return None


def _within_booking(settled: Settlement, booking: Booking, earlier: Sequence[CreditNote], rules: BookingRules,
                    record: str) -> Settlement:
    """The settlement, unless the order's credit notes would together exceed its booking's total."""
    before = sum((c.credited.amount for c in earlier), _ZERO)
    now = -settled.totals.total.amount
    booked = booking.totals.total.amount
    problem = None
    if before + now > booked:
        problem = (f"credit notes would credit {before + now} in all, more than the booking's total {booked} "
                   f"({before} credited before)")
    else:
        problem = _beyond_a_rate(booking, [*(line for c in earlier for line in c.lines), *settled.lines], rules)
    if problem is None:
        return settled
    if rules.on_difference is OnDifference.HOLD:
        raise OrderHeld(problem, field="total", record=record)
    return Settlement(settled.lines, settled.totals, settled.difference, settled.vat_difference, draft=True,
                      reason=problem)


def _beyond_a_rate(booking: Booking, credits: Sequence[BookingLine], rules: BookingRules) -> str | None:
    """Why the credit lines so far would credit a VAT rate (and code) more net than the booking booked there,
    rounding lines aside; None when none would. Lines never do (each is a share of its booked line); an
    adjustment spread over the rates could, when later refunds credit the lines it was spread over."""
    def net(lines: Iterable[BookingLine]) -> dict[tuple[Decimal, str], Decimal]:
        by_rate: dict[tuple[Decimal, str], Decimal] = {}
        for line in lines:
            if line.role is not LineRole.ROUNDING:
                key = (line.vat_rate, line.vat_code)
                by_rate[key] = by_rate.get(key, _ZERO) + line.amount(rules.rounding).amount
        return by_rate
    booked, credited = net(booking.lines), net(credits)
    for (rate, code), amount in credited.items():
        there = booked.get((rate, code), _ZERO)
        if there >= 0 and -amount > there:
            return (f"credit notes would credit {-amount} net at {rate}% VAT (code {code}), more than the booking "
                    f"booked there ({there})")
    return None
