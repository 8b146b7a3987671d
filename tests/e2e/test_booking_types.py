"""The Exact side of booking, over both sandboxes on loopback: booking types (sales invoice, draft invoice,
direct invoice, sales entry with GL accounts per country), changed orders (updated, refused then corrected,
reported under ERP master), an order in US dollars at Exact's rate, and shipping/payment value maps. Every
cent below is the one the Exact sandbox computes, per line, as Exact does; docs/booking-rules.md explains."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.slice import ENVIRON, World, start_world
from tests.e2e.test_booking import ADDRESS, ITEMS, _tax, tea_and_mug
from tradewind.engine.project import load_project
from tradewind.engine.services import Services
from tradewind.sandboxes.exact_online import VAT_CODES
from tradewind.store.db import Store

d = Decimal
CODES = ('vat_codes: [{code: "0", rate: 0}, {code: "5", rate: 0, kind: reverse_charge}, '
         '{code: "D1", rate: 19, kind: oss, country: DE}]')


@pytest.fixture
def booking_world(tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], World]]:
    """A world whose Exact connection books by ``booking: {time_zone, rounding_item, vat_codes, <extra>}``; the
    orders flow upserts (so a changed order reaches Exact) and has no mapping of its own."""
    monkeypatch.setitem(VAT_CODES, "D1", (0.19, "OSS Duitsland hoog"))
    worlds: list[World] = []

    def make(extra: str) -> World:
        w = start_world(tmp_path, store, products=2, monkeypatch=monkeypatch, exact_extra={"items": ITEMS})
        text = w.project_path.read_text()
        anchor = next(ln for ln in text.splitlines(keepends=True) if ln.startswith("    stock_warehouses:"))
        more = f", {extra}" if extra else ""
        block = f"    booking: {{time_zone: Europe/Amsterdam, rounding_item: RND, {CODES}{more}}}\n"
        text = text.replace(anchor, anchor + block).replace("    write: create\n", "    write: upsert\n")
        text = text[:text.index("    mapping:\n", text.index("  orders:"))]
        w.project_path.write_text(text)
        w.services = Services.open(load_project(w.project_path, environ=ENVIRON), store)
        worlds.append(w)
        return w

    yield make
    for w in worlds:
        w.exact.stop()
        w.shop.stop()


def _lines(doc: dict[str, Any], name: str, *fields: str) -> list[tuple[Any, ...]]:
    rows = sorted(doc[name], key=lambda ln: ln["LineNumber"])
    return [tuple(d(str(ln[f])) if isinstance(ln[f], float | int) and not isinstance(ln[f], bool) else ln[f]
                  for f in fields) for ln in rows]


def _table(world: World, name: str) -> list[dict[str, Any]]:
    state = world.exact.sandbox
    with state.lock:
        docs = [dict(r) for r in state.tables[name].values()]
        lines = "SalesInvoiceLines" if name == "SalesInvoices" else "SalesEntryLines"
        key = "InvoiceID" if name == "SalesInvoices" else "EntryID"
        for doc in docs:
            doc[lines] = [dict(ln) for ln in state.tables[lines].values() if ln[key] == doc[key]]
    return docs


def _reason(world: World) -> str:
    return world.services.failures("orders")[0].last_error or ""


# -- booking types -------------------------------------------------------------------------------

def test_a_sales_invoice_is_booked_in_the_journal_with_vat_per_line_to_the_cent(booking_world: Any) -> None:
    world = booking_world("booking_type: sales_invoice, journal: '70'")
    world.shop.sandbox.add_order(tea_and_mug(created_at="2026-05-12T10:00:00Z"))
    result = world.run("orders")
    assert (1, 0) == (result.counts.get("created", 0), result.counts.get("failed", 0)), result
    assert [] == world.exact_orders()
    [invoice] = _table(world, "SalesInvoices")
    assert [
        ("TEA-01", d(2), d("4.5413"), "1", d("9.08"), d("0.82")),
        ("MUG-01", d(1), d("10.7355"), "2", d("10.74"), d("2.26")),
        ("SHIP", d(1), d("4.0909"), "2", d("4.09"), d("0.86")),
        ("DISC", d(1), d("-0.91"), "1", d("-0.91"), d("-0.08")),
        ("DISC", d(1), d("-1.07"), "2", d("-1.07"), d("-0.22")),
        ("RND", d(1), d("-0.02"), "0", d("-0.02"), d("0")),
    ] == _lines(invoice, "SalesInvoiceLines", "ItemCode", "Quantity", "UnitPrice", "VATCode", "AmountFC", "VATAmountFC")
    assert (20, "70", "#1001") == (invoice["Status"], invoice["Journal"], invoice["YourRef"])
    assert (d("25.55"), d("21.91"), d("3.64")) == (d(str(invoice["AmountFC"])), d(str(invoice["AmountFCExclVat"])),
                                                   d(str(invoice["VATAmountFC"])))


def test_a_difference_beyond_the_tolerance_books_a_real_draft_invoice(booking_world: Any) -> None:
    world = booking_world("booking_type: sales_invoice, journal: '70', on_difference: draft")
    world.shop.sandbox.add_order(tea_and_mug(created_at="2026-05-12T10:00:00Z", total_price="26.55"))
    result = world.run("orders")
    assert 1 == result.counts.get("created", 0), result
    [invoice] = _table(world, "SalesInvoices")
    assert (10, "Draft") == (invoice["Status"], invoice["StatusDescription"])  # not in Exact's reports
    assert invoice["Remarks"].startswith("DRAFT: difference EUR 0.98 exceeds the tolerance of 0.05"), invoice
    assert d("25.57") == d(str(invoice["AmountFC"]))  # no rounding line: the booking's own total


def test_a_direct_invoice_is_processed_by_printing_it(booking_world: Any) -> None:
    world = booking_world("booking_type: direct_invoice, journal: '70'")
    world.shop.sandbox.add_order(tea_and_mug(created_at="2026-05-12T10:00:00Z"))
    assert 1 == world.run("orders").counts.get("created", 0)
    [invoice] = _table(world, "SalesInvoices")
    assert (50, "Processed", 26000001, d("25.55")) == (invoice["Status"], invoice["StatusDescription"],
                                                        invoice["InvoiceNumber"], d(str(invoice["AmountFC"])))


def test_a_sales_entry_books_revenue_on_the_gl_account_and_cost_centre_of_the_country(booking_world: Any) -> None:
    world = booking_world("booking_type: sales_entry, journal: '70', "
                          "ledger: {revenue_account: '8000', cost_center: NL, cost_unit: SHOP}, "
                          "ledger_by_country: {DE: {revenue_account: '8010', cost_center: DE}}")
    berlin = {**ADDRESS, "first_name": "Jonas", "last_name": "Weber", "address1": "Invalidenstr. 1",
              "city": "Berlin", "zip": "10115", "country_code": "DE"}
    world.shop.sandbox.add_order({
        "email": "jonas@example.de", "financial_status": "paid", "currency": "EUR", "taxes_included": True,
        "created_at": "2026-05-12T10:00:00Z", "billing_address": berlin, "shipping_address": berlin,
        "line_items": [{"sku": "MUG-01", "title": "Stoneware mug", "quantity": 1, "price": "12.99",
                        "tax_lines": _tax("19", "2.07")}],
        "shipping_lines": [{"title": "DHL", "code": "DHL", "price": "4.95", "tax_lines": _tax("19", "0.79")}]})
    world.shop.sandbox.add_order(tea_and_mug(created_at="2026-05-12T11:00:00Z"))
    result = world.run("orders")
    assert (2, 0) == (result.counts.get("created", 0), result.counts.get("failed", 0)), result
    german, dutch = sorted(_table(world, "SalesEntries"), key=lambda e: e["YourRef"])
    fields = ("GLAccountCode", "CostCenter", "CostUnit", "VATCode", "AmountFC", "VATAmountFC")
    assert [
        ("8010", "DE", "SHOP", "D1", d("10.92"), d("2.07")),   # 12.99 / 1.19 on the German revenue account
        ("8010", "DE", "SHOP", "D1", d("4.16"), d("0.79")),    # shipping 4.95 / 1.19
    ] == _lines(german, "SalesEntryLines", *fields)
    assert ("70", d("17.94"), d("17.94")) == (german["Journal"], d(str(german["AmountFC"])), d(str(german["AmountDC"])))
    assert {("8000", "NL", "SHOP")} == {ln[:3] for ln in _lines(dutch, "SalesEntryLines", *fields)}
    assert d("25.55") == d(str(dutch["AmountFC"]))  # 21.91 net + 3.64 VAT, as the sales order books it


# -- changed orders ------------------------------------------------------------------------------

def one_mug(**extra: Any) -> dict[str, Any]:
    """A mug 12.99 incl. 21% (Shopify: 2.25 tax): booked 10.7355 → 10.74 + 2.26 VAT = 13.00, and −0.01 on RND."""
    order = {"email": "anna@example.com", "financial_status": "paid", "currency": "EUR", "taxes_included": True,
             "created_at": "2026-05-12T10:00:00Z", "billing_address": ADDRESS, "shipping_address": ADDRESS,
             "line_items": [{"sku": "MUG-01", "title": "Stoneware mug", "quantity": 1, "price": "12.99",
                             "tax_lines": _tax("21", "2.25")}]}
    order.update(extra)
    return order


def two_mugs(world: World) -> None:
    """The merchant makes it two mugs: 25.98 with 4.51 VAT (21.47 net × 21% = 4.5087)."""
    shop = world.shop.sandbox
    number = max(shop.store.orders)
    line = {**shop.store.orders[number]["line_items"][0], "quantity": 2, "tax_lines": _tax("21", "4.51")}
    shop.update_order(number, line_items=[line], subtotal_price="25.98", total_price="25.98", total_tax="4.51",
                      tax_lines=[{"title": "BTW 21%", "rate": 0.21, "price": "4.51"}],
                      updated_at=datetime(2026, 5, 12, 12, tzinfo=UTC).isoformat())


def test_a_changed_order_is_updated_completely_while_exact_allows_it(booking_world: Any) -> None:
    world = booking_world("update_booked_orders: true")
    world.shop.sandbox.add_order(one_mug())
    assert 1 == world.run("orders").counts.get("created", 0)
    two_mugs(world)
    result = world.run("orders")
    assert (1, 0, 0) == (result.counts.get("updated", 0), result.counts.get("created", 0),
                         result.counts.get("failed", 0)), result
    [order] = world.exact_orders()
    assert [("MUG-01", d(2), d("21.47"), d("4.51"))] == _lines(order, "SalesOrderLines", "ItemCode", "Quantity",
                                                               "AmountFC", "VATAmount")
    assert d("25.98") == d(str(order["AmountFC"]))
    [transfer] = world.services.transfers(result.run_id, outcome="updated")
    assert ("sales order 1 updated completely: MUG-01: 1 for 10.74 → 2 for 21.47 (net); RND: 1 for -0.01 → 0 for 0 "
            "(net)") == transfer.reason


def test_a_processed_order_is_refused_by_exact_and_a_correction_is_booked(booking_world: Any) -> None:
    world = booking_world("update_booked_orders: true")
    world.shop.sandbox.add_order(one_mug())
    assert 1 == world.run("orders").counts.get("created", 0)
    [booked] = world.exact_orders()
    world.exact.sandbox.set_order_status(booked["OrderID"], status=21, delivery_status=21)  # delivered
    two_mugs(world)
    result = world.run("orders")
    assert (0, 1, 0) == (result.counts.get("updated", 0), result.counts.get("created", 0),
                         result.counts.get("failed", 0)), result
    original, correction = world.exact_orders()
    assert d("12.99") == d(str(original["AmountFC"]))  # Exact kept the delivered order as it was
    assert "#1001-C1" == correction["YourRef"]
    assert [
        ("MUG-01", d(-1), d("-10.74"), d("-2.26")),   # the booked mug reversed
        ("RND", d(-1), d("0.01"), d("0")),            # and its rounding line
        ("MUG-01", d(2), d("21.47"), d("4.51")),      # the order as it is now
    ] == _lines(correction, "SalesOrderLines", "ItemCode", "Quantity", "AmountFC", "VATAmount")
    # 12.99 booked + 12.99 corrected = 25.98, the shop's new total
    assert d("12.99") == d(str(correction["AmountFC"]))
    [transfer] = world.services.transfers(result.run_id, outcome="created")
    assert (transfer.reason or "").startswith("Exact refused the change (Sales order 1 is processed (Complete, "
                                              "delivered or invoiced) and can not be changed); correction booked "
                                              "as sales order #1001-C1: MUG-01: 1 for 10.74 → 2 for 21.47"), transfer
    assert booked["OrderID"] == transfer.target_id  # the binding stays with the booked order


def test_under_erp_master_a_change_is_reported_and_not_written(booking_world: Any) -> None:
    world = booking_world("erp_master: true")
    world.shop.sandbox.add_order(one_mug())
    assert 1 == world.run("orders").counts.get("created", 0)
    two_mugs(world)
    result = world.run("orders")
    assert (0, 0, 1) == (result.counts.get("updated", 0), result.counts.get("created", 0),
                         result.counts.get("skipped", 0)), result
    [order] = world.exact_orders()
    assert d("12.99") == d(str(order["AmountFC"]))
    [transfer] = [t for t in world.services.transfers(result.run_id) if t.outcome == "matched"]
    assert ("changed in the shop: MUG-01: 1 for 10.74 → 2 for 21.47 (net); RND: 1 for -0.01 → 0 for 0 (net)"
            in (transfer.reason or "")), transfer.reason
    assert "not written: Exact is master (erp_master)" in (transfer.reason or ""), transfer.reason


# -- currency ------------------------------------------------------------------------------------

def test_a_usd_order_is_booked_in_dollars_at_exacts_rate_for_its_date(booking_world: Any) -> None:
    world = booking_world("currency_rate: erp")
    world.exact.sandbox.set_rate("USD", "0.9100", datetime(2026, 5, 1, tzinfo=UTC))
    world.exact.sandbox.set_rate("USD", "0.9250", datetime(2026, 5, 11, tzinfo=UTC))
    world.exact.sandbox.set_rate("USD", "0.9400", datetime(2026, 5, 13, tzinfo=UTC))  # after the order
    world.shop.sandbox.add_order(one_mug(currency="USD"))
    assert 1 == world.run("orders").counts.get("created", 0)
    [order] = world.exact_orders()
    assert ("USD", d("12.99")) == (order["Currency"], d(str(order["AmountFC"])))
    # per line at 0.9250: mug 13.00 → 12.03 (12.025), rounding −0.01 → −0.01 (−0.00925): 12.02 in EUR
    assert d("12.02") == d(str(order["AmountDC"]))


def test_a_usd_order_is_held_when_the_flow_says_hold(booking_world: Any) -> None:
    world = booking_world("")
    world.shop.sandbox.add_order(one_mug(currency="USD"))
    result = world.run("orders")
    assert (0, 1) == (result.counts.get("created", 0), result.counts.get("failed", 0)), result
    assert [] == world.exact_orders()
    assert ("the order is in USD, the ERP's base currency is EUR; currency_rate: hold holds such orders"
            in _reason(world)), _reason(world)


# -- value maps ----------------------------------------------------------------------------------

def test_shipping_and_payment_methods_are_mapped_and_an_unmapped_one_holds_the_order(booking_world: Any) -> None:
    world = booking_world("shipping_methods: {POSTNL: POSTNL, 'DHL Express': DHL}, "
                          "payment_conditions: {ideal: IB}, default_payment_condition: '14'")
    world.shop.sandbox.add_order(tea_and_mug(created_at="2026-05-12T10:00:00Z", payment_gateway_names=["ideal"]))
    gift = {**ADDRESS, "first_name": "Piet", "last_name": "de Vries", "address1": "Prinsengracht 263",
            "zip": "1016 GV"}  # sent to someone else: a delivery address of Anna's account
    world.shop.sandbox.add_order(one_mug(created_at="2026-05-12T11:00:00Z", payment_gateway_names=["paypal"],
                                         shipping_lines=[{"title": "DHL Express", "price": "0.00"}],
                                         shipping_address=gift))
    world.shop.sandbox.add_order(one_mug(created_at="2026-05-12T12:00:00Z",
                                         shipping_lines=[{"title": "UPS", "code": "UPS", "price": "0.00"}]))
    result = world.run("orders")
    assert (2, 1) == (result.counts.get("created", 0), result.counts.get("failed", 0)), result
    first, second = world.exact_orders()
    assert ("POSTNL", "IB") == (first["ShippingMethodCode"], first["PaymentCondition"])
    assert ("DHL", "14") == (second["ShippingMethodCode"], second["PaymentCondition"])  # paypal: the default
    [address] = world.exact.sandbox.tables["Addresses"].values()
    assert (4, "Prinsengracht 263", "1016 GV", "Amsterdam", "NL", second["DeliverTo"]) == (
        address["Type"], address["AddressLine1"], address["Postcode"], address["City"], address["Country"],
        address["Account"])
    assert (None, address["ID"]) == (first["DeliveryAddress"], second["DeliveryAddress"])
    assert "shipping method 'UPS' is not in booking.shipping_methods and no default is set" in _reason(world)


def test_without_update_booked_orders_changed_lines_are_reported_never_counted_as_updated(booking_world: Any) -> None:
    world = booking_world("")
    world.shop.sandbox.add_order(one_mug())
    assert 1 == world.run("orders").counts.get("created", 0)
    two_mugs(world)
    result = world.run("orders")
    assert (0, 1) == (result.counts.get("updated", 0), result.counts.get("skipped", 0)), result
    [order] = world.exact_orders()
    assert d("12.99") == d(str(order["AmountFC"]))  # Exact still holds one mug, and the run says so
    [transfer] = world.services.transfers(result.run_id, outcome="matched")
    assert ("lines changed in the shop, not written (update_booked_orders is off): MUG-01: 1 for 10.74 → 2 for "
            "21.47 (net); RND: 1 for -0.01 → 0 for 0 (net)") == transfer.reason
