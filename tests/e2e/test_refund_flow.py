"""A project file's ``from: shop.refunds`` → ``to: erp.credit_notes`` flow, over both sandboxes.

The tea-and-mug order (tests/e2e/test_booking.py) is booked in Exact as a sales invoice by the orders flow;
the shop refunds one of its two teas (4.46, tax 0.37). The refunds flow reads the refund with its order,
composes the booking again and writes exactly one credit note: TEA-01 −1 at the booked 4.5413, its share of
the 9 % discount back, the shop's last cent on the rounding line, −4.46 in all. A second run writes nothing;
a refund whose order is not booked yet waits (parked on the orders flow) and is written after it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx

from tests.e2e.slice import ENVIRON, World
from tests.e2e.test_booking import _item, tea_and_mug
from tests.e2e.test_booking_types import _lines, _table, booking_world  # noqa: F401  (the fixture)
from tests.e2e.test_refund_credit_note import REFUND, _refund_one_tea
from tradewind.engine.project import load_project
from tradewind.engine.services import Services

d = Decimal
REFUNDS_FLOW = """\
  refunds:
    from: shop.refunds
    to: erp.credit_notes
    write: create
    after: [orders]
"""


def _world(booking_world: Callable[[str], World],  # noqa: F811
           booking: str = "booking_type: sales_invoice, journal: '70'") -> World:
    world = booking_world(booking)
    world.project_path.write_text(world.project_path.read_text() + REFUNDS_FLOW)
    world.services = Services.open(load_project(world.project_path, environ=ENVIRON), world.services.store)
    return world


def _credit_notes(world: World) -> list[dict[str, Any]]:
    return [doc for doc in _table(world, "SalesInvoices") if doc["Type"] == 8021]


def test_a_partial_refund_flows_into_one_credit_note_to_the_cent(booking_world: Any) -> None:  # noqa: F811
    world = _world(booking_world)
    world.shop.sandbox.add_order(tea_and_mug(created_at="2026-05-12T10:00:00Z"))
    assert 1 == world.run("orders").counts.get("created", 0)
    [invoice] = _table(world, "SalesInvoices")
    _refund_one_tea(world)

    first = world.run("refunds")
    again = world.run("refunds")

    assert (1, 0) == (first.counts.get("created", 0), again.counts.get("created", 0))
    [credit] = _credit_notes(world)
    assert [
        ("TEA-01", d(-1), d("4.5413"), "1", d("-4.54"), d("-0.41")),
        ("DISC", d(-1), d("-0.46"), "1", d("0.46"), d("0.04")),
        ("RND", d(1), d("-0.01"), "0", d("-0.01"), d("0")),
    ] == _lines(credit, "SalesInvoiceLines", "ItemCode", "Quantity", "UnitPrice", "VATCode", "AmountFC", "VATAmountFC")
    assert (d("-4.46"), d("-0.37"), invoice["OrderedBy"], "70") == (
        d(str(credit["AmountFC"])), d(str(credit["VATAmountFC"])), credit["OrderedBy"], credit["Journal"])
    assert credit["YourRef"].startswith(f"{invoice['YourRef']}/R")
    assert None is invoice["InvoiceNumber"]  # Exact numbers an invoice when it is processed (a setting)
    assert f"Refund of order {invoice['YourRef']}: credits the order's booking" == credit["Description"]


def test_an_order_booked_as_a_sales_order_is_credited_the_same(booking_world: Any) -> None:  # noqa: F811
    world = _world(booking_world, "booking_type: sales_order, journal: '70'")
    world.shop.sandbox.add_order(tea_and_mug(created_at="2026-05-12T10:00:00Z"))
    world.run("orders")
    _refund_one_tea(world)

    assert 1 == world.run("refunds").counts.get("created", 0)

    [credit] = _credit_notes(world)
    assert [("TEA-01", d("-4.54")), ("DISC", d("0.46")), ("RND", d("-0.01"))] == _lines(
        credit, "SalesInvoiceLines", "ItemCode", "AmountFC")
    assert (d("-4.46"), world.exact_orders()[0]["OrderedBy"]) == (d(str(credit["AmountFC"])), credit["OrderedBy"])


def test_a_refund_of_an_order_not_booked_yet_waits_for_the_orders_flow(booking_world: Any) -> None:  # noqa: F811
    world = _world(booking_world)
    world.shop.sandbox.add_order(tea_and_mug(created_at="2026-05-12T10:00:00Z"))
    _refund_one_tea(world)

    waiting = world.run("refunds")
    assert ([], 0, 1) == (_credit_notes(world), waiting.counts.get("created", 0), waiting.counts.get("parked", 0))
    assert ["waiting for flow orders: order #1001 is not booked in Exact Online yet"] == [
        t.reason for t in world.services.transfers(waiting.run_id)]
    assert 1 == world.run("orders").counts.get("created", 0)
    after = world.run("refunds")

    assert 1 == after.counts.get("created", 0)
    [credit] = _credit_notes(world)
    assert d("-4.46") == d(str(credit["AmountFC"]))
    assert 0 == world.run("refunds").counts.get("created", 0)
    assert 1 == len(_credit_notes(world))


def _refund_the_other_tea(world: World, amount: str) -> None:
    state = world.shop.sandbox
    order = next(iter(state.store.orders.values()))
    tea = next(li for li in order["line_items"] if li["sku"] == "TEA-01")
    gid = f"gid://shopify/Order/{order['id']}"
    given = {"orderId": gid, "refundLineItems": [{"lineItemId": f"gid://shopify/LineItem/{tea['id']}", "quantity": 1,
                                                  "restockType": "RETURN"}],
             "transactions": [{"orderId": gid, "kind": "REFUND", "gateway": "mollie", "amount": amount}]}
    answer = httpx.post(f"{world.shop.url}/admin/api/2026-07/graphql.json", headers={
        "X-Shopify-Access-Token": state.token}, json={"query": REFUND.replace("refund-tea-1", "refund-tea-2"),
                                                      "variables": {"input": given}}).json()
    assert [] == answer["data"]["refundCreate"]["userErrors"]


def test_a_second_refund_credits_the_rest_of_the_line_exactly(booking_world: Any) -> None:  # noqa: F811
    """The teas booked 9.08 net with 0.91 of discount (9 %): 4.54 and 0.46 went back with the first refund,
    so the second credits the other 4.54 and 0.45 — the two credit notes add up to the 8.91 the shop took."""
    world = _world(booking_world)
    world.shop.sandbox.add_order(tea_and_mug(created_at="2026-05-12T10:00:00Z"))
    world.run("orders")
    _refund_one_tea(world)
    world.run("refunds")
    _refund_the_other_tea(world, "4.45")

    assert 1 == world.run("refunds").counts.get("created", 0)

    first, second = sorted(_credit_notes(world), key=lambda doc: d(str(doc["AmountFC"])))
    assert [
        ("TEA-01", d(-1), d("4.5413"), "1", d("-4.54"), d("-0.41")),
        ("DISC", d(-1), d("-0.45"), "1", d("0.45"), d("0.04")),
        ("RND", d(1), d("0.01"), "0", d("0.01"), d("0")),
    ] == _lines(second, "SalesInvoiceLines", "ItemCode", "Quantity", "UnitPrice", "VATCode", "AmountFC", "VATAmountFC")
    assert (d("-4.46"), d("-4.45")) == (d(str(first["AmountFC"])), d(str(second["AmountFC"])))


def test_a_booking_edited_in_exact_since_is_not_credited_by_guess(booking_world: Any) -> None:  # noqa: F811
    """Someone booked one tea less on the invoice in Exact: the refund fails naming both bookings, no credit note."""
    world = _world(booking_world)
    world.shop.sandbox.add_order(tea_and_mug(created_at="2026-05-12T10:00:00Z"))
    world.run("orders")
    state = world.exact.sandbox
    with state.lock:
        tea = next(ln for ln in state.tables["SalesInvoiceLines"].values() if ln["ItemCode"] == "TEA-01")
        tea.update(Quantity=1, AmountFC=4.54)
    _refund_one_tea(world)

    run = world.run("refunds")

    assert (1, []) == (run.counts.get("failed", 0), _credit_notes(world))
    [reason] = [t.reason or "" for t in world.services.transfers(run.run_id)]
    assert "TEA-01 1 = 4.54" in reason and "TEA-01 2 = 9.08" in reason and "credit the refund by hand" in reason


ENTRY = "booking_type: sales_entry, journal: '70', ledger: {revenue_account: '8000', cost_center: NL, cost_unit: SHOP}"


def test_an_order_booked_as_a_sales_entry_is_credited_by_a_sales_entry_on_its_gl_accounts(
        booking_world: Any) -> None:  # noqa: F811
    """The tea-and-mug order as a sales entry in journal 70 on 8000 / NL / SHOP; one tea back (4.46): a sales
    entry of negative lines on the same GL account, cost centre and unit and VAT codes — TEA −4.54 (−0.41),
    its share of the 9 % discount +0.46 (+0.04), the shop's cent −0.01 — which Exact holds as a credit note
    (Type 21), naming the entry it credits; found by its YourRef the next run, never made twice."""
    world = _world(booking_world, ENTRY)
    world.shop.sandbox.add_order(tea_and_mug(created_at="2026-05-12T10:00:00Z"))
    assert 1 == world.run("orders").counts.get("created", 0)
    [entry] = _table(world, "SalesEntries")
    _refund_one_tea(world)

    first = world.run("refunds")
    again = world.run("refunds")

    assert (1, 0) == (first.counts.get("created", 0), again.counts.get("created", 0)), first
    booked, credit = sorted(_table(world, "SalesEntries"), key=lambda e: e["EntryNumber"])
    assert booked["EntryID"] == entry["EntryID"]
    fields = ("GLAccountCode", "CostCenter", "CostUnit", "VATCode", "Quantity", "AmountFC", "VATAmountFC")
    assert [
        ("8000", "NL", "SHOP", "1", d(-1), d("-4.54"), d("-0.41")),   # TEA-01: 1 of the 2 booked (9.08)
        ("8000", "NL", "SHOP", "1", d(-1), d("0.46"), d("0.04")),     # the 9 % discount it carried back
        ("8000", "NL", "SHOP", "0", d(1), d("-0.01"), d("0")),        # the shop refunded 4.46
    ] == _lines(credit, "SalesEntryLines", *fields)
    assert (d("-4.46"), d("-0.37"), 21, "Sales credit note", "70") == (
        d(str(credit["AmountFC"])), d(str(credit["VATAmountFC"])), credit["Type"], credit["TypeDescription"],
        credit["Journal"])
    assert (entry["Customer"], f"Refund of order #1001: credits sales entry {entry['EntryNumber']}") == (
        credit["Customer"], credit["Description"])
    assert credit["YourRef"].startswith("#1001/R") and 20 == booked["Type"]


def _refund_money(world: World, amount: str, key: str = "goodwill-1") -> None:
    """A refund of money only, on the order as a whole (a goodwill gesture): no lines, no shipping."""
    state = world.shop.sandbox
    order = next(iter(state.store.orders.values()))
    gid = f"gid://shopify/Order/{order['id']}"
    given = {"orderId": gid, "note": "goodwill",
             "transactions": [{"orderId": gid, "kind": "REFUND", "gateway": "mollie", "amount": amount}]}
    answer = httpx.post(f"{world.shop.url}/admin/api/2026-07/graphql.json", headers={
        "X-Shopify-Access-Token": state.token}, json={"query": REFUND.replace("refund-tea-1", key),
                                                      "variables": {"input": given}}).json()
    assert [] == answer["data"]["refundCreate"]["userErrors"], answer


def test_a_goodwill_refund_is_held_without_an_adjustment_item_and_spread_over_the_rates_with_one(
        booking_world: Any) -> None:  # noqa: F811
    """5.00 back on the tea-and-mug order, no lines: without ``adjustment_item`` the refund is held saying so;
    with it, 5.00 is spread (as the booking spreads the code) over what is booked at each rate with VAT, the
    rounding line aside — 8.91 at 9 % (tea 9.90, discount −0.99) and 16.66 at 21 % (mug 13.00, shipping 4.95,
    discount −1.29): 1.74 at 9 % (1.60 net + 0.14) and 3.26 at 21 % (2.69 + 0.56),
    the cent the per-line VAT leaves on the rounding line — once the project sets it and the refund is replayed."""
    world = _world(booking_world, "booking_type: sales_invoice, journal: '70'")
    world.exact.sandbox.seed({"items": [_item("GOODWILL", "Coulance", "2", 0.0)]})
    world.shop.sandbox.add_order(tea_and_mug(created_at="2026-05-12T10:00:00Z"))
    world.run("orders")
    _refund_money(world, "5.00")

    held = world.run("refunds")
    assert (0, []) == (held.counts.get("created", 0), _credit_notes(world))
    [reason] = [t.reason or "" for t in world.services.transfers(held.run_id)]
    assert "gives back EUR 5.00 on the order as a whole, not on its lines: set booking.adjustment_item" in reason

    text = world.project_path.read_text().replace("journal: '70'", "journal: '70', adjustment_item: GOODWILL")
    world.project_path.write_text(text)
    world.services = Services.open(load_project(world.project_path, environ=ENVIRON), world.services.store)
    replayed = world.services.replay("refunds")
    assert replayed.result is not None and 1 == replayed.result.counts.get("created", 0), replayed
    [credit] = _credit_notes(world)
    assert [
        ("GOODWILL", d(-1), "1", d("-1.60"), d("-0.14")),
        ("GOODWILL", d(-1), "2", d("-2.69"), d("-0.56")),
        ("RND", d(1), "0", d("-0.01"), d("0")),
    ] == _lines(credit, "SalesInvoiceLines", "ItemCode", "Quantity", "VATCode", "AmountFC", "VATAmountFC")
    assert d("-5.00") == d(str(credit["AmountFC"]))
