"""A partial refund in the Shopify sandbox becomes a credit note in the Exact sandbox, to the cent.

The order (tests/e2e/test_booking.py's tea and mug, prices incl. VAT) is booked in Exact as a sales invoice
by the orders flow. The shop then refunds one of the two teas (``refundCreate``: Shopify's share of the
line, 4.46, and its tax 0.37). The refund is read through the Shopify connection's refunds resource, the
credit note composed from the booking (rules/refunds.py) and written by connectors/exact_online/credit_notes.py
as a sales invoice of Type 8021: TEA-01 −1 at the booked 4.5413 (−4.54 net, −0.41 VAT), its share of the
9 % discount line back (+0.46, +0.04), and the shop's last cent on the rounding line: −4.46 in all.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from tests.e2e.slice import World
from tests.e2e.test_booking import tea_and_mug
from tests.e2e.test_booking_types import _lines, _table, booking_world  # noqa: F401  (the fixture)
from tradewind.connectors.exact_online import booking as exact_booking
from tradewind.connectors.exact_online import credit_notes
from tradewind.connectors.exact_online.client import quote
from tradewind.model import Order
from tradewind.model.refund import Refund
from tradewind.rules.refunds import compose_credit_note

d = Decimal
REFUND = """
mutation Refund($input: RefundInput!) {
  refundCreate(input: $input) @idempotent(key: "refund-tea-1") {
    refund { id }
    userErrors { field message }
  }
}
"""


def _refund_one_tea(world: World) -> None:
    state = world.shop.sandbox
    order = next(iter(state.store.orders.values()))
    tea = next(li for li in order["line_items"] if li["sku"] == "TEA-01")
    order_gid = f"gid://shopify/Order/{order['id']}"
    given = {"orderId": order_gid,
             "refundLineItems": [{"lineItemId": f"gid://shopify/LineItem/{tea['id']}", "quantity": 1,
                                  "restockType": "RETURN"}],
             "transactions": [{"orderId": order_gid, "kind": "REFUND", "gateway": "mollie", "amount": "4.46"}]}
    answer = httpx.post(f"{world.shop.url}/admin/api/2026-07/graphql.json", headers={
        "X-Shopify-Access-Token": state.token}, json={"query": REFUND, "variables": {"input": given}}).json()
    assert [] == answer["data"]["refundCreate"]["userErrors"]


def _read(world: World) -> tuple[Order, Refund]:
    shop = world.services.runner.open(world.services.flow("orders"), "source")
    try:
        orders, refunds = shop.resource("orders"), shop.resource("refunds")
        [order] = [orders.decode(r.data) for page in orders.pages(shop.client, None) for r in page.records]
        [refund] = [refunds.decode(r.data) for page in refunds.pages(shop.client, None) for r in page.records]
        return order, refund
    finally:
        shop.close()


def test_a_partial_refund_becomes_a_credit_note_in_exact_to_the_cent(booking_world: Any) -> None:  # noqa: F811
    world = booking_world("booking_type: sales_invoice, journal: '70'")
    world.shop.sandbox.add_order(tea_and_mug(created_at="2026-05-12T10:00:00Z"))
    assert 1 == world.run("orders").counts.get("created", 0)
    [invoice] = _table(world, "SalesInvoices")
    _refund_one_tea(world)
    order, refund = _read(world)
    assert (d("4.46"), [("TEA-01", d(1), 0, d("0.37"))]) == (
        refund.total.amount, [(ln.sku, ln.quantity, ln.line, ln.tax.amount) for ln in refund.lines if ln.tax])

    erp = world.services.runner.open(world.services.flow("orders"), "target")  # with the store's tokens
    try:
        settings = erp.resource("orders").codec_settings(erp.client)  # type: ignore[call-arg]
        rules, codes = settings.booking, settings.vat_code_map
        assert rules is not None
        booked = exact_booking.compose(order, rules, codes)
        note = compose_credit_note(order, booked, refund, rules, method=exact_booking.METHOD, vat_codes=codes)

        def refs(kind: str, keys: dict[str, Any], **_: Any) -> str:
            wanted = {"$select": "ID,Code", "$filter": f"Code eq {quote(keys['sku'])}"}
            rows = erp.client.rows("logistics/Items", wanted)
            return str(rows[0]["ID"])

        body = credit_notes.credit_note_out(order, note, refs, customer=invoice["OrderedBy"], journal="70",
                                            credited_invoice=str(invoice["InvoiceNumber"]),
                                            day=booked.business_date)
        made = credit_notes.create(erp.client, body)
        again = credit_notes.create(erp.client, body)  # the same refund again: found by YourRef, not made twice
    finally:
        erp.close()

    assert made["InvoiceID"] == again["InvoiceID"]
    credit = next(doc for doc in _table(world, "SalesInvoices") if doc["Type"] == 8021)
    assert 2 == len(_table(world, "SalesInvoices"))
    assert [
        ("TEA-01", d(-1), d("4.5413"), "1", d("-4.54"), d("-0.41")),
        ("DISC", d(-1), d("-0.46"), "1", d("0.46"), d("0.04")),
        ("RND", d(1), d("-0.01"), "0", d("-0.01"), d("0")),
    ] == _lines(credit, "SalesInvoiceLines", "ItemCode", "Quantity", "UnitPrice", "VATCode", "AmountFC", "VATAmountFC")
    assert (d("-4.46"), d("-0.37"), "Sales credit note", f"{order.number}/R{refund.reference.rsplit('/', 1)[-1]}") == (
        d(str(credit["AmountFC"])), d(str(credit["VATAmountFC"])), credit["TypeDescription"], credit["YourRef"])
    assert f"credits invoice {invoice['InvoiceNumber']}" in credit["Description"]
    assert credit["OrderedBy"] == invoice["OrderedBy"] and 20 == credit["Status"]
