"""Order composition: the lines an ERP books for a shop order.

A shop order carries article lines, order-level discounts and shipping costs, with prices
including or excluding VAT. ERPs book lines of articles only, at net unit prices, with a VAT
code per line. :func:`compose_lines` turns the one into the other:

* article lines keep their quantity; unit prices lose their VAT when the order's prices include
  it (four decimals kept, see :mod:`tradewind.rules.tax`), and so do line discounts;
* each order-level discount becomes a negative line on the configured discount article, split
  over the VAT rates of the goods in proportion to their amounts (a discount on 21% and 9% goods
  lowers both bases, so one line per rate);
* each shipping line with a price becomes a line on the configured shipping article; without
  its own rate it takes the highest rate of the goods (ancillary costs follow the main supply).

:func:`check_totals` then tells how many cents the ERP's total will differ from the shop's, so a
later step can compensate them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from tradewind.errors import RecordError
from tradewind.model import Money, Order, OrderLine, ShippingLine, total
from tradewind.rules.settings import QuantityPolicy
from tradewind.rules.tax import CENT, COMMON_RATES, UNIT, net_from_gross, rate_of, vat_of_net


@dataclass(frozen=True)
class ComposedLine:
    """One line as an ERP books it. ``source`` names where it came from (``lines[2]``,
    ``discounts[0]``, ``shipping_lines[0]``) so an error about it can name the field."""

    sku: str
    description: str
    quantity: Decimal
    unit_price: Money
    discount: Money | None = None
    vat_rate: Decimal | None = None
    includes_vat: bool = False
    source: str = ""

    @property
    def amount(self) -> Money:
        """``quantity × unit_price − discount``, rounded to cents (what the line books)."""
        gross = self.unit_price * self.quantity
        return (gross - self.discount if self.discount else gross).rounded(CENT)

    @property
    def amount_incl_vat(self) -> Money:
        """The line's amount with VAT, VAT computed per line on the net amount."""
        if self.includes_vat or self.vat_rate is None:
            return self.amount
        return self.amount + vat_of_net(self.amount, self.vat_rate)


def compose_lines(order: Order, *, shipping_sku: str | None, discount_sku: str | None,
                  net: bool = True) -> list[ComposedLine]:
    """The order's lines as an ERP books them (see the module docstring).

    ``net=False`` keeps prices as the order states them (gross when ``prices_include_vat``),
    for ERPs that take gross prices. A discount or shipping cost without a configured article,
    or a gross price without a VAT rate, raises :class:`RecordError` naming the field.
    """
    strip_vat = order.prices_include_vat and net
    articles = [_article(line, index, strip_vat, order.prices_include_vat) for index, line in enumerate(order.lines)]
    discounts = _discount_lines(order, articles, discount_sku, strip_vat)
    shipping = [_shipping(line, index, order, articles, shipping_sku, strip_vat)
                for index, line in enumerate(order.shipping_lines) if line.price.amount != 0]
    return articles + discounts + shipping


def check_totals(order: Order, lines: Sequence[ComposedLine]) -> Money:
    """``order.total`` minus the composed lines' total with VAT: the cents the ERP will differ by."""
    return (order.total - total([line.amount_incl_vat for line in lines], order.currency)).rounded(CENT)


def stated_rate(line: OrderLine, includes_vat: bool) -> Decimal | None:
    """The line's VAT rate as the shop states it, or as its tax amount shows it."""
    if line.vat_rate is not None:
        return line.vat_rate
    if line.tax is None:
        return None
    base = line.net_total - line.tax if includes_vat else line.net_total
    return rate_of(line.tax, base, candidates=COMMON_RATES)


def _article(line: OrderLine, index: int, strip_vat: bool, includes_vat: bool) -> ComposedLine:
    rate = stated_rate(line, includes_vat)
    unit, discount = line.unit_price, line.discount
    if strip_vat:
        rate = _required(rate, f"lines[{index}].vat_rate")
        unit = net_from_gross(unit, rate, quantum=UNIT)
        discount = net_from_gross(discount, rate) if discount else None
    return ComposedLine(sku=line.sku, description=line.title or line.sku, quantity=line.quantity, unit_price=unit,
                        discount=discount, vat_rate=rate, includes_vat=includes_vat and not strip_vat,
                        source=f"lines[{index}]")


def _required(rate: Decimal | None, field: str) -> Decimal:
    if rate is None:
        raise RecordError("the order's prices include VAT but no VAT rate is known to remove it", field=field)
    return rate


def _discount_lines(order: Order, articles: list[ComposedLine], sku: str | None,
                    strip_vat: bool) -> list[ComposedLine]:
    lines: list[ComposedLine] = []
    for index, discount in enumerate(order.discounts):
        if discount.amount.amount == 0:
            continue
        if sku is None:
            raise RecordError("the order has a discount but no discount article is configured",
                              field=f"discounts[{index}]")
        for rate, part in _split_by_rate(discount.amount, order, articles):
            amount = net_from_gross(part, rate, quantum=UNIT) if strip_vat and rate is not None else part
            lines.append(ComposedLine(sku=sku, description=discount.title or discount.code or "Discount",
                                      quantity=Decimal("1"), unit_price=-amount, vat_rate=rate,
                                      includes_vat=order.prices_include_vat and not strip_vat,
                                      source=f"discounts[{index}]"))
    return lines


def _split_by_rate(amount: Money, order: Order, articles: list[ComposedLine]) -> list[tuple[Decimal | None, Money]]:
    """Split ``amount`` over the goods' VAT rates in proportion to their amounts as the order states
    them (gross or net, like the discount), to the cent; rounding's cents go to the largest base."""
    bases: dict[Decimal | None, Decimal] = {}
    for line, article in zip(order.lines, articles, strict=True):
        bases[article.vat_rate] = bases.get(article.vat_rate, Decimal("0")) + line.net_total.amount
    whole = sum(bases.values(), Decimal("0"))
    if len(bases) <= 1 or whole == 0:
        return [(next(iter(bases), None), amount)]
    parts = {rate: (amount.amount * base / whole).quantize(CENT, rounding=ROUND_HALF_UP)
             for rate, base in bases.items()}
    largest = max(bases, key=lambda rate: bases[rate])
    parts[largest] += amount.amount - sum(parts.values(), Decimal("0"))
    return [(rate, Money(amount=part, currency=amount.currency)) for rate, part in parts.items() if part != 0]


def _shipping(line: ShippingLine, index: int, order: Order, articles: list[ComposedLine], sku: str | None,
              strip_vat: bool) -> ComposedLine:
    if sku is None:
        raise RecordError("the order has shipping costs but no shipping article is configured",
                          field=f"shipping_lines[{index}]")
    rate = line.vat_rate
    if rate is None and line.tax is not None:
        base = line.price - line.tax if order.prices_include_vat else line.price
        rate = rate_of(line.tax, base, candidates=COMMON_RATES)
    if rate is None:
        rate = max((a.vat_rate for a in articles if a.vat_rate is not None), default=None)
    price = line.price
    if strip_vat:
        price = net_from_gross(price, _required(rate, f"shipping_lines[{index}].vat_rate"), quantum=UNIT)
    return ComposedLine(sku=sku, description=line.title, quantity=Decimal("1"), unit_price=price, vat_rate=rate,
                        includes_vat=order.prices_include_vat and not strip_vat, source=f"shipping_lines[{index}]")


# ---------------------------------------------------------------- business dates, quantities, discounts


def business_date(order_time: datetime, shop_zone: str | tzinfo) -> date:
    """The order's own date in the shop's time zone, never the UTC date: an order placed at 00:30 in
    Amsterdam (22:30 UTC the day before) belongs to that day, and to its VAT quarter."""
    if order_time.tzinfo is None:
        raise ValueError("order time has no time zone; tradewind keeps aware times only")
    zone = ZoneInfo(shop_zone) if isinstance(shop_zone, str) else shop_zone
    return order_time.astimezone(zone).date()


def kept_lines(order: Order, policy: QuantityPolicy) -> list[tuple[int, OrderLine]]:
    """The article lines to book, with their index: zero and negative quantities by ``policy``."""
    kept = []
    for index, line in enumerate(order.lines):
        if line.quantity > 0:
            kept.append((index, line))
        elif policy is QuantityPolicy.REFUSE:
            raise RecordError(f"quantity {line.quantity} is not booked (quantity_policy: refuse)",
                              field=f"lines[{index}].quantity")
        elif policy is QuantityPolicy.RETURN and line.quantity < 0:
            kept.append((index, line))
    return kept


def line_discount(line: OrderLine, field: str) -> Decimal:
    """The line's own discount, checked: never negative, never more than the line (100%)."""
    if line.discount is None:
        return Decimal(0)
    amount, whole = line.discount.amount, abs(line.unit_price.amount * line.quantity)
    if amount < 0:
        raise RecordError(f"discount {line.discount} is negative", field=field)
    if amount > whole:
        raise RecordError(f"discount {line.discount} exceeds its line ({whole}, more than 100%)", field=field)
    return amount


def allocate(amount: Decimal, weights: Sequence[Decimal], *, field: str) -> list[Decimal]:
    """Split ``amount`` over lines in proportion to ``weights`` (their amounts), to the cent, by largest
    remainder: the parts add up to ``amount`` exactly and none exceeds its line. Lines with no positive
    amount get nothing."""
    if amount < 0:
        raise RecordError(f"discount {amount} is negative", field=field)
    positive = [max(w, Decimal(0)) for w in weights]
    whole = sum(positive, Decimal(0))
    if amount > whole:
        raise RecordError(f"discount {amount} exceeds the amount it applies to ({whole})", field=field)
    if amount == 0:
        return [Decimal(0)] * len(weights)
    cents = int((amount / CENT).to_integral_value())
    if Decimal(cents) * CENT != amount:
        raise RecordError(f"discount {amount} is not in whole cents", field=field)
    exact = [Decimal(cents) * w / whole for w in positive]
    parts = [int(e) for e in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: (exact[i] - parts[i], positive[i]), reverse=True)
    for i in by_remainder[: cents - sum(parts)]:
        parts[i] += 1
    return [Decimal(p) * CENT for p in parts]
