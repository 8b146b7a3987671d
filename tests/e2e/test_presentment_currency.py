"""An order a customer paid in US dollars in a shop that keeps euros, over both sandboxes.

Shopify keeps such an order in the shop's currency (``currencyCode`` EUR) and the customer's
(``presentmentCurrencyCode`` USD), every amount a MoneyBag with both sides. The mug costs 13.99 USD incl. 21 %
(tax 2.43); the shop converted at 0.92 EUR per dollar: 12.87 EUR. The Shopify codec reads the order in dollars
with the shop's rate 12.87 ÷ 13.99 = 0.9199428163; with ``currency_rate: shop`` Exact books it in dollars at that
rate (Exact takes six decimals: 0.919943), as a sales entry (sales orders and invoices take only Exact's own rate):
MUG 13.99 / 1.21 = 11.5620 → 11.56 net + 2.43 VAT = 13.99 USD; in euros per line 11.56 × 0.919943 = 10.63 and
2.43 × 0.919943 = 2.24: 12.87 EUR, what the shop took.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.e2e.test_booking import _tax
from tests.e2e.test_booking_types import _lines, _reason, _table, booking_world, one_mug  # noqa: F401 (fixture)
from tests.e2e.test_refund_credit_note import _read

d = Decimal
ENTRY = "booking_type: sales_entry, journal: '70', ledger: {revenue_account: '8000'}"


def _dollar_mug(world: Any) -> None:
    shop = world.shop.sandbox
    with shop.lock:
        shop.store.shop["rates"] = {"USD": "0.92"}
    shop.add_order(one_mug(presentment_currency="USD", line_items=[
        {"sku": "MUG-01", "title": "Stoneware mug", "quantity": 1, "price": "13.99", "tax_lines": _tax("21", "2.43")}]))


def test_the_codec_reads_the_customers_dollars_with_the_shops_rate(booking_world: Any) -> None:  # noqa: F811
    world = booking_world(ENTRY)
    _dollar_mug(world)
    shop = world.services.runner.open(world.services.flow("orders"), "source")
    try:
        orders = shop.resource("orders")
        [order] = [orders.decode(r.data) for page in orders.pages(shop.client, None) for r in page.records]
    finally:
        shop.close()
    assert ("USD", d("13.99"), d("2.43"), d("0.9199428163")) == (
        order.currency, order.total.amount, order.tax_total.amount if order.tax_total else None, order.exchange_rate)
    assert [("MUG-01", d("13.99"), "USD")] == [(ln.sku, ln.unit_price.amount, ln.unit_price.currency)
                                                for ln in order.lines]


def test_a_dollar_order_is_booked_at_the_shops_rate(booking_world: Any) -> None:  # noqa: F811
    world = booking_world(f"{ENTRY}, currency_rate: shop")
    _dollar_mug(world)
    result = world.run("orders")
    assert (1, 0) == (result.counts.get("created", 0), result.counts.get("failed", 0)), result
    [entry] = _table(world, "SalesEntries")
    assert ("USD", d("0.919943"), d("13.99"), d("12.87")) == (
        entry["Currency"], d(str(entry["Rate"])), d(str(entry["AmountFC"])), d(str(entry["AmountDC"])))
    assert [("8000", "2", d("11.56"), d("2.43"), d("10.63"), d("2.24"))] == _lines(
        entry, "SalesEntryLines", "GLAccountCode", "VATCode", "AmountFC", "VATAmountFC", "AmountDC", "VATAmountDC")


def test_a_dollar_order_is_held_under_currency_rate_hold(booking_world: Any) -> None:  # noqa: F811
    """Before the codec read the customer's currency, this order went to Exact as 12.87 euros, its dollars unseen."""
    world = booking_world(ENTRY)
    _dollar_mug(world)
    result = world.run("orders")
    assert (0, 1) == (result.counts.get("created", 0), result.counts.get("failed", 0)), result
    assert "the order is in USD, the ERP's base currency is EUR; currency_rate: hold" in _reason(world)


def test_a_refund_of_a_dollar_order_is_in_dollars(booking_world: Any) -> None:  # noqa: F811
    """Shopify refunds such an order in the presentment currency (``RefundInput.currency``)."""
    import httpx

    from tests.e2e.test_refund_credit_note import REFUND

    world = booking_world(ENTRY)
    _dollar_mug(world)
    state = world.shop.sandbox
    order = next(iter(state.store.orders.values()))
    gid = f"gid://shopify/Order/{order['id']}"
    given = {"orderId": gid, "refundLineItems": [{"lineItemId": f"gid://shopify/LineItem/{order['line_items'][0]['id']}",
                                                  "quantity": 1, "restockType": "RETURN"}],
             "transactions": [{"orderId": gid, "kind": "REFUND", "gateway": "mollie", "amount": "13.99"}]}
    url, headers = f"{world.shop.url}/admin/api/2026-07/graphql.json", {"X-Shopify-Access-Token": state.token}
    refused = httpx.post(url, headers=headers, json={"query": REFUND, "variables": {"input": given}}).json()
    assert ["currency"] == refused["data"]["refundCreate"]["userErrors"][0]["field"]
    answer = httpx.post(url, headers=headers, json={"query": REFUND.replace("refund-tea-1", "refund-usd"),
                                                    "variables": {"input": {**given, "currency": "USD"}}}).json()
    assert [] == answer["data"]["refundCreate"]["userErrors"]
    _, refund = _read(world)
    assert ("USD", d("13.99"), d("2.43")) == (refund.currency, refund.total.amount, refund.lines[0].tax.amount
                                              if refund.lines[0].tax else None)
