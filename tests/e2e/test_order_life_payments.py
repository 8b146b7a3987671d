"""Payments received in Exact mark the shop's orders paid, where Shopify allows it (docs/order-life.md,
"Payments"). Four orders of 3 bags (73.50 with 12.76 VAT), placed in the shop, booked in Exact as direct
invoices by the orders flow; payments are matched in Exact as a bookkeeper matches a bank line. Both
sandboxes on loopback, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.order_life import order_life_world, reopen
from tests.e2e.slice import World
from tradewind.store.db import Store
from tradewind.store.runs import list_transfers

PAYMENTS = """\
  payments:
    from: erp.payments
    to: shop.order_payments
    write: update
    after: [orders]
"""
ADDRESS = {"first_name": "Anna", "last_name": "de Vries", "address1": "Keizersgracht 1", "city": "Amsterdam",
           "zip": "1015 CJ", "country_code": "NL"}
BOOKING = '    booking: {time_zone: Europe/Amsterdam, booking_type: direct_invoice, journal: "70"}\n'
PAID_ON = datetime(2026, 5, 12, 9, 30, tzinfo=UTC)
GRAPHQL = "POST /admin/api/2026-07/graphql.json"


@pytest.fixture
def world(tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    w = order_life_world(tmp_path, store, monkeypatch, flows=PAYMENTS,
                         erp_options='    stock_warehouses: ["1"]\n' + BOOKING)
    text = w.project_path.read_text()  # orders paid by bank transfer are booked as placed, before payment
    w.project_path.write_text(text.replace("    stage: paid\n", "    stage: placed\n", 1))
    reopen(w, store)
    yield w
    w.exact.stop()
    w.shop.stop()


def three_bags(world: World, email: str, **extra: Any) -> dict[str, Any]:
    return world.shop.sandbox.add_order({  # type: ignore[no-any-return]
        "email": email, "financial_status": "pending", "payment_gateway_names": ["Bank Deposit"], "currency": "EUR",
        "taxes_included": True, "billing_address": ADDRESS, "shipping_address": ADDRESS,
        "line_items": [{"sku": "BAG-01", "title": "Canvas bag", "quantity": 3, "price": "24.50",
                        "tax_lines": [{"title": "BTW 21%", "rate": 0.21, "price": "12.76"}]}], **extra})


def financial(world: World, order: dict[str, Any]) -> tuple[str, list[tuple[str, str, str]]]:
    held = world.shop.sandbox.store.orders[order["id"]]
    return held["financial_status"], [(t["kind"], t["gateway"], str(t["amount"])) for t in held["transactions"]]


def exact_calls(world: World) -> dict[str, int]:
    return {route.replace("/api/v1/123456/", ""): n for route, n in world.calls(world.exact).items()
            if "/api/v1/" in route}


def reasons(store: Store, run_id: Any) -> dict[str, tuple[str, str]]:
    with store.begin() as conn:
        return {t.natural_key: (str(t.outcome or t.stage), t.reason or "") for t in list_transfers(conn, run_id)}


def test_payments_received_in_exact_mark_the_shop_orders_paid_where_the_shop_allows(world: World,
                                                                                      store: Store) -> None:
    transfer = three_bags(world, "anna@example.com")
    gateway = three_bags(world, "bert@example.com", financial_status="paid", payment_gateway_names=["paypal"],
                         transactions=[{"kind": "sale", "status": "success", "amount": "73.50", "gateway": "paypal"}])
    halves = three_bags(world, "cees@example.com")
    cancelled = three_bags(world, "dirk@example.com")
    booked = world.run("orders")
    assert 4 == booked.counts.get("created", 0), booked
    exact = world.exact.sandbox
    assert [("#1001", 73.5), ("#1002", 73.5), ("#1003", 73.5), ("#1004", 73.5)] == [
        (t["YourRef"], t["AmountFC"]) for t in exact.terms()]  # one open receivable per processed invoice

    with world.shop.sandbox.lock:  # the shop cancels #1004 after it was booked
        world.shop.sandbox.store.orders[cancelled["id"]]["cancelled_at"] = "2026-05-11T08:00:00Z"
    for order in (transfer, gateway, cancelled):
        exact.receive_payment(your_ref=order["name"], amount="73.50", day=PAID_ON, reference="NL91ABNA0417164300")
    exact.receive_payment(your_ref=halves["name"], amount="30.00", day=PAID_ON)

    world.reset_calls()
    first = world.run("payments")
    assert (1, 2, 1) == (first.counts.get("updated", 0), first.counts.get("skipped", 0),
                         first.counts.get("failed", 0)), first
    assert {"GET sync/Cashflow/PaymentTerms": 1} == exact_calls(world)   # every matched receivable in one read
    assert 2 == world.calls(world.shop)[GRAPHQL]   # one search of the four orders' states, one orderMarkAsPaid
    assert ("paid", [("sale", "manual", "73.50")]) == financial(world, transfer)
    assert ("paid", [("sale", "paypal", "73.50")]) == financial(world, gateway)   # paid already: left alone
    assert ("pending", []) == financial(world, halves)
    assert ("pending", []) == financial(world, cancelled)
    told = reasons(store, first.run_id)
    assert told["order_number=#1002"][1].startswith("shop already holds these values")
    assert ("matched", "partial payment: EUR 30.00 of EUR 73.50 received for invoice 26000003; EUR 43.50 open; "
            "order #1003 is not marked paid in the shop until the invoice is paid in full") == \
        told["order_number=#1003"]
    assert told["order_number=#1004"][1].startswith(
        "order #1004 cannot be marked as paid in the shop: it is cancelled")

    world.reset_calls()
    again = world.run("payments")   # nothing new in Exact: nothing read twice, nothing written
    assert 0 == sum(again.counts.get(k, 0) for k in ("updated", "created", "skipped")), again
    assert {"GET sync/Cashflow/PaymentTerms": 1} == exact_calls(world)
    assert 0 == world.calls(world.shop).get(GRAPHQL, 0)

    exact.receive_payment(your_ref=halves["name"], amount="43.50", day=PAID_ON)
    world.reset_calls()
    rest = world.run("payments")
    assert 1 == rest.counts.get("updated", 0), rest
    assert ("paid", [("sale", "manual", "73.50")]) == financial(world, halves)
    assert 1 == world.calls(world.shop)[GRAPHQL]   # bound by the partial payment: marked without a search
