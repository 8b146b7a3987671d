"""What people do in the sandboxed systems while the demo runs, so a newcomer sees an order's whole life:
customers order in the shop, the warehouse ships booked sales orders in Exact Online (in full or in part,
with a PostNL tracking number), and now and then a customer returns a shipped unit and the shop refunds it.

Each act is one small function over the sandboxes' state that returns the line the demo prints (or None
when there is nothing to do yet); :func:`every` repeats one on its own thread. The warehouse works in
Exact as a person would (:meth:`~tradewind.sandboxes.exact_online.deliveries.Deliveries.deliver`, the
sandbox's "goods delivery" screen); the refund is made as a Shopify app makes it, with the
``refundCreate`` mutation over HTTP (``@idempotent``, as the 2026-07 API requires; see
:mod:`tradewind.sandboxes.shopify.refunds`), so the shop keeps its own rules for what may be refunded.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx

CENT = Decimal("0.01")
API_VERSION = "2026-07"
_REFUND = """mutation Refund($input: RefundInput!) {
  refundCreate(input: $input) @idempotent(key: "%s") { refund { id } userErrors { field message } }
}"""


@dataclass(frozen=True)
class Pace:
    """Seconds between the acts of each kind (injectable: a test runs them quickly), and the seed that
    makes the demo's choices repeatable. An order booked with booking rules costs Exact about eight calls of
    the 60 a minute it allows, so orders come no faster than one every five seconds."""

    orders: float = 5.0
    shipments: float = 6.0
    refunds: float = 8.0
    seed: int = 7
    orders_at_most: int | None = None
    """Stop ordering after this many orders (None: never), so a test's Exact budget is not outrun."""


def every(seconds: float, act: Callable[[], str | None], stop: threading.Event, say: Callable[[str], None],
          name: str) -> threading.Thread:
    """Start a daemon thread doing ``act`` every ``seconds`` until ``stop``; what it returns is said.
    An act that fails is said too and tried again next time (a demo thread never dies silently)."""

    def loop() -> None:
        while not stop.wait(seconds):
            try:
                line = act()
            except Exception as exc:  # noqa: BLE001 — shown, then the next act goes on
                line = f"{name}: {type(exc).__name__}: {exc}"
            if line:
                say(line)

    thread = threading.Thread(target=loop, name=f"demo-{name}", daemon=True)
    thread.start()
    return thread


# -- the shop's customers order ----------------------------------------------------------------------

def new_order(shop: Any, rng: random.Random, at_most: int | None = None) -> str | None:
    """A random order over the shop's products (most of them paid), once the shop has products (and while
    it has fewer than ``at_most`` orders)."""
    if not shop.products_by_sku() or (at_most is not None and len(shop.store.orders) >= at_most):
        return None
    order = shop.add_random_orders(1, seed=rng.randrange(1 << 30))[0]
    return f"shop: new order {order.get('name')} ({order.get('financial_status', '')})"


# -- the warehouse ships booked sales orders in Exact --------------------------------------------------

def ship(exact: Any, rng: random.Random, *, partial: float = 0.4) -> str | None:
    """Deliver one booked sales order that still has goods to ship: all that is open, or (with chance
    ``partial``, when more than one unit is open) all but one unit, which a later delivery ships."""
    open_orders = [(order, left) for order in exact.sales_orders()
                   if str(order.get("YourRef") or "").startswith("#") and (left := _open_goods(exact, order))]
    if not open_orders:
        return None
    order, left = rng.choice(open_orders)
    quantities = dict(left)
    if sum(left.values()) > 1 and rng.random() < partial:
        code = rng.choice(sorted(quantities))
        quantities[code] -= 1
        quantities = {c: q for c, q in quantities.items() if q}
    tracking = f"3STWD{rng.randrange(10**9, 10**10)}"
    exact.deliver(order["YourRef"], quantities, tracking_number=tracking, shipping_method="POSTNL")
    ordered = sum(int(ln["Quantity"]) for ln in order["SalesOrderLines"] if ln["ItemCode"] in _goods(exact, order))
    shipped = sum(int(q) for q in quantities.values())
    rest = "the rest: " if sum(left.values()) < ordered else ""
    how = "in full" if shipped == sum(left.values()) and not rest else f"{rest}{shipped} of {ordered}"
    return f"erp: shipped {order['YourRef']} ({how}) with PostNL, tracking {tracking}"


def _goods(exact: Any, order: Mapping[str, Any]) -> set[str]:
    """The order's lines that are goods (stock items): shipping costs, discounts and rounding are not delivered."""
    return {code for code in {ln["ItemCode"] for ln in order["SalesOrderLines"]} if exact.item(code).get("IsStockItem")}


def _open_goods(exact: Any, order: Mapping[str, Any]) -> dict[str, int]:
    goods = _goods(exact, order)
    left: dict[str, int] = {}
    for line in order["SalesOrderLines"]:
        if line["ItemCode"] in goods:
            open_units = int(Decimal(str(line["Quantity"])) - Decimal(str(line.get("QuantityDelivered") or 0)))
            if open_units > 0:
                left[line["ItemCode"]] = left.get(line["ItemCode"], 0) + open_units
    return left


# -- a customer returns a shipped unit and the shop refunds it --------------------------------------------

@dataclass(frozen=True)
class Returnable:
    """One shipped unit of an order line that has not been refunded yet."""

    order: Mapping[str, Any]
    line: Mapping[str, Any]
    amount: Decimal


def refund(shop: Any, shop_url: str, rng: random.Random) -> str | None:
    """Refund one shipped unit of a paid order that has had no refund yet (booked, since it shipped from
    Exact): the line's share of what the customer paid for it, given back on the order's own gateway."""
    candidates = list(returnable(shop))
    if not candidates:
        return None
    pick = rng.choice(candidates)
    order_gid = f"gid://shopify/Order/{pick.order['id']}"
    gateway = next(iter(pick.order.get("payment_gateway_names") or []), "manual")
    given = {"orderId": order_gid, "note": "returned by the customer",
             "refundLineItems": [{"lineItemId": f"gid://shopify/LineItem/{pick.line['id']}", "quantity": 1,
                                  "restockType": "RETURN"}],
             "transactions": [{"orderId": order_gid, "kind": "REFUND", "gateway": gateway,
                               "amount": str(pick.amount)}]}
    answer = httpx.post(f"{shop_url}/admin/api/{API_VERSION}/graphql.json", timeout=30,
                        headers={"X-Shopify-Access-Token": shop.token},
                        json={"query": _REFUND % uuid.uuid4(), "variables": {"input": given}})
    answer.raise_for_status()
    body = answer.json()
    errors = body.get("errors") or (body.get("data") or {}).get("refundCreate", {}).get("userErrors")
    if errors:
        return f"shop: refund of {pick.order['name']} refused: {errors}"
    what = pick.line.get("name") or pick.line.get("title") or pick.line.get("sku")
    return f"shop: refunded 1 × {what} of {pick.order['name']} ({pick.order['currency']} {pick.amount}, returned)"


def returnable(shop: Any) -> Iterable[Returnable]:
    """The shipped lines of paid orders without a refund yet (a customer returns one thing, once), with the
    money one unit is worth."""
    with shop.lock:
        for order_id, done in shop.store.fulfillments.items():
            order = shop.store.orders.get(order_id)
            if order is None or order.get("financial_status") != "paid" or order.get("refunds"):
                continue
            shipped: dict[int, int] = {}
            for fulfillment in done:
                for line in fulfillment["lines"]:
                    shipped[line["line_item_id"]] = shipped.get(line["line_item_id"], 0) + int(line["quantity"])
            refunded = _refunded(order)
            for line in order["line_items"]:
                before = refunded.get(line["id"], 0)
                if shipped.get(line["id"], 0) > before:
                    yield Returnable(dict(order), dict(line), _unit_share(order, line, before))


def _refunded(order: Mapping[str, Any]) -> dict[int, int]:
    units: dict[int, int] = {}
    for r in order.get("refunds") or []:
        for line in r["refund_line_items"]:
            units[line["line_item_id"]] = units.get(line["line_item_id"], 0) + int(line["quantity"])
    return units


def _unit_share(order: Mapping[str, Any], line: Mapping[str, Any], before: int) -> Decimal:
    """What the customer paid for the next unit of ``line``: its share of the line's discounted total (and,
    when prices exclude tax, of its tax), rounded so that the units' shares add up to the line exactly."""
    ordered = int(line["quantity"])
    whole = Decimal(str(line["price"])) * ordered - Decimal(str(line.get("total_discount") or 0))
    if not order.get("taxes_included"):
        whole += sum((Decimal(str(t["price"])) for t in line.get("tax_lines") or []), Decimal(0))
    return _share(whole, before + 1, ordered) - _share(whole, before, ordered)


def _share(whole: Decimal, part: int, of: int) -> Decimal:
    return whole if part == of else (whole * part / of).quantize(CENT, ROUND_HALF_UP)


# -- what came of it ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OrderLife:
    """What the demo's flows made of the order's life, read from the sandboxes' own state."""

    booked: int
    deliveries: int
    fulfillments: int
    partly_fulfilled: int
    refunds: int
    credit_notes: int
    credited: Decimal

    def line(self) -> str:
        return (f"order life: {_n(self.booked, 'order')} booked in Exact; {_n(self.deliveries, 'goods delivery')} "
                f"→ {_n(self.fulfillments, 'fulfillment')} with tracking in the shop ({self.partly_fulfilled} "
                f"partly shipped); {_n(self.refunds, 'refund')} in the shop → {_n(self.credit_notes, 'credit note')} "
                f"in Exact (EUR {self.credited})")


def _n(count: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{count} {noun if count == 1 else plural}"


def order_life(exact: Any, shop: Any) -> OrderLife:
    """The figures of :class:`OrderLife` (booked: sales orders whose ``YourRef`` is a shop order's name)."""
    with exact.lock:
        booked = sum(1 for o in exact.tables["SalesOrders"].values() if str(o.get("YourRef") or "").startswith("#"))
        deliveries = len(exact.tables["GoodsDeliveries"])
        notes = [doc for doc in exact.tables["SalesInvoices"].values() if doc.get("Type") == 8021]
        credited = sum((Decimal(str(doc.get("AmountFC") or 0)) for doc in notes), Decimal(0)).quantize(CENT)
    with shop.lock:
        fulfillments = sum(len(done) for done in shop.store.fulfillments.values())
        partly = sum(1 for o in shop.store.orders.values() if o.get("fulfillment_status") == "partial")
        refunds = sum(len(o.get("refunds") or []) for o in shop.store.orders.values())
    return OrderLife(booked, deliveries, fulfillments, partly, refunds, len(notes), credited)
