"""Shop orders booked in Exact by the booking rules (the Exact connection's ``booking`` block), over both
sandboxes on loopback: the Exact sandbox computes VAT per line as Exact does, so every cent below is the
one Exact would show. The numbers are spelled out; docs/booking-rules.md explains each rule."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.slice import ENVIRON, World, start_world
from tradewind.engine.project import load_project
from tradewind.engine.services import Services
from tradewind.sandboxes.exact_online import VAT_CODES
from tradewind.sandboxes.exact_online_data import service_items
from tradewind.store.db import Store

BOOKING = ('    booking: {time_zone: Europe/Amsterdam, rounding_item: RND, '
           'vat_codes: [{code: "0", rate: 0}, {code: "5", rate: 0, kind: reverse_charge}, '
           '{code: "D1", rate: 19, kind: oss, country: DE}]}\n')
"""Exact's 0% codes (0 "Geen BTW", 5 "BTW verlegd") share a rate, so the project names them, and the
OSS code for Germany's standard rate."""


def _item(code: str, description: str, vat_code: str, price: float) -> dict[str, Any]:
    item = dict(service_items()[0])
    item.update(ID=str(uuid.uuid5(uuid.NAMESPACE_URL, f"booking:{code}")), Code=code, Description=description,
                SalesVatCode=vat_code, StandardSalesPrice=price)
    return item


ITEMS = [_item("TEA-01", "Rooibos tea", "1", 4.95), _item("MUG-01", "Stoneware mug", "2", 12.99),
         _item("RND", "Rounding difference", "0", 0.0)]


@pytest.fixture
def world(tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setitem(VAT_CODES, "D1", (0.19, "OSS Duitsland hoog"))  # this division also sells under OSS
    w = start_world(tmp_path, store, products=2, monkeypatch=monkeypatch, exact_extra={"items": ITEMS})
    anchor = '    stock_warehouses: ["1"]'
    text = w.project_path.read_text()
    line = next(ln for ln in text.splitlines(keepends=True) if ln.startswith(anchor))
    w.project_path.write_text(text.replace(line, line + BOOKING))
    w.services = Services.open(load_project(w.project_path, environ=ENVIRON), store)
    yield w
    w.exact.stop()
    w.shop.stop()


def _tax(rate: str, amount: str) -> list[dict[str, Any]]:
    return [{"title": f"BTW {rate}%", "rate": float(Decimal(rate) / 100), "price": amount}]


ADDRESS = {"first_name": "Anna", "last_name": "de Vries", "address1": "Keizersgracht 1", "city": "Amsterdam",
           "zip": "1015 CJ", "country_code": "NL"}


def tea_and_mug(**extra: Any) -> dict[str, Any]:
    """Prices include VAT: 2 × tea 4.95 at 9%, a mug 12.99 at 21%, code TIEN10 (10%: 0.99 and 1.30 on the
    lines, as Shopify allocates it) and shipping 4.95 at 21%; Shopify's tax per line 0.74 + 2.03 + 0.86."""
    order = {"email": "anna@example.com", "financial_status": "paid", "currency": "EUR", "taxes_included": True,
             "billing_address": ADDRESS, "shipping_address": ADDRESS,
             "line_items": [
                 {"sku": "TEA-01", "title": "Rooibos tea", "quantity": 2, "price": "4.95",
                  "total_discount": "0.99", "tax_lines": _tax("9", "0.74")},
                 {"sku": "MUG-01", "title": "Stoneware mug", "quantity": 1, "price": "12.99",
                  "total_discount": "1.30", "tax_lines": _tax("21", "2.03")}],
             "shipping_lines": [{"title": "PostNL", "code": "POSTNL", "price": "4.95",
                                 "tax_lines": _tax("21", "0.86")}],
             "discount_codes": [{"code": "TIEN10", "amount": "2.29", "type": "percentage"}]}
    order.update(extra)
    return order


def lines_of(exact_order: dict[str, Any]) -> list[tuple[str, Decimal, Decimal, str, Decimal, Decimal]]:
    """(item, quantity, unit price, VAT code, net amount, VAT) per line, in Exact's order."""
    return [(ln["ItemCode"], Decimal(str(ln["Quantity"])), Decimal(str(ln["UnitPrice"])), ln["VATCode"],
             Decimal(str(ln["AmountFC"])), Decimal(str(ln["VATAmount"])))
            for ln in sorted(exact_order["SalesOrderLines"], key=lambda ln: ln["LineNumber"])]


def booked(world: World) -> dict[str, Any]:
    orders = world.exact_orders()
    assert 1 == len(orders), orders
    return orders[0]


def test_two_rates_a_discount_code_and_shipping_are_booked_to_the_cent(world: World) -> None:
    world.shop.sandbox.add_order(tea_and_mug(created_at="2026-05-12T10:00:00Z"))
    result = world.run("orders")
    assert (1, 0) == (result.counts.get("created", 0), result.counts.get("failed", 0)), result
    order = booked(world)
    d = Decimal
    assert [
        ("TEA-01", d(2), d("4.5413"), "1", d("9.08"), d("0.82")),      # 4.95 / 1.09; 9.08 × 9% = 0.8172
        ("MUG-01", d(1), d("10.7355"), "2", d("10.74"), d("2.26")),    # 12.99 / 1.21; 10.74 × 21% = 2.2554
        ("SHIP", d(1), d("4.0909"), "2", d("4.09"), d("0.86")),        # 4.95 / 1.21
        ("DISC", d(1), d("-0.91"), "1", d("-0.91"), d("-0.08")),       # the code's 0.99 at 9%, net
        ("DISC", d(1), d("-1.07"), "2", d("-1.07"), d("-0.22")),       # the code's 1.30 at 21%, net
        ("RND", d(1), d("-0.02"), "0", d("-0.02"), d("0")),            # 25.55 in the shop, 25.57 booked
    ] == lines_of(order)
    # the shop: 9.90 + 12.99 − 2.29 + 4.95 = 25.55; Exact: 21.91 net + 3.64 VAT = 25.55
    assert (d("25.55"), d("21.91")) == (d(str(order["AmountFC"])), d(str(order["AmountFCExclVat"])))


def test_an_order_placed_just_after_local_midnight_is_dated_the_local_day(world: World) -> None:
    # 31 March 22:30 UTC is 1 April 00:30 in Amsterdam (summer time): the second quarter, not the first
    world.shop.sandbox.add_order(tea_and_mug(created_at="2026-03-31T22:30:00Z"))
    result = world.run("orders")
    assert 1 == result.counts.get("created", 0), result
    assert str(booked(world)["OrderDate"]).startswith("2026-04-01"), booked(world)["OrderDate"]


def test_a_difference_beyond_the_tolerance_holds_the_order_with_both_totals(world: World) -> None:
    # the shop says 26.55: one euro more than its lines add up to, far beyond the 0.05 tolerance
    world.shop.sandbox.add_order(tea_and_mug(created_at="2026-05-12T10:00:00Z", total_price="26.55"))
    result = world.run("orders")
    assert (0, 1) == (result.counts.get("created", 0), result.counts.get("failed", 0)), result
    assert [] == world.exact_orders()
    reason = world.services.failures("orders")[0].last_error or ""
    assert ("difference EUR 0.98 exceeds the tolerance of 0.05: the shop's total is EUR 26.55, the booking's "
            "EUR 25.57; VAT EUR 3.63 in the shop, EUR 3.64 booked") in reason, reason


def test_an_oss_sale_to_a_german_consumer_is_booked_at_19_percent_on_the_oss_code(world: World) -> None:
    # one gross price across the EU (gross_kept): the mug's 12.99 and shipping's 4.95 hold 19% German VAT
    berlin = {**ADDRESS, "first_name": "Jonas", "last_name": "Weber", "address1": "Invalidenstr. 1",
              "city": "Berlin", "zip": "10115", "country_code": "DE"}
    world.shop.sandbox.add_order({
        "email": "jonas@example.de", "financial_status": "paid", "currency": "EUR", "taxes_included": True,
        "created_at": "2026-05-12T10:00:00Z", "billing_address": berlin, "shipping_address": berlin,
        "line_items": [{"sku": "MUG-01", "title": "Stoneware mug", "quantity": 1, "price": "12.99",
                        "tax_lines": _tax("19", "2.07")}],
        "shipping_lines": [{"title": "DHL", "code": "DHL", "price": "4.95", "tax_lines": _tax("19", "0.79")}]})
    result = world.run("orders")
    assert 1 == result.counts.get("created", 0), result
    order = booked(world)
    d = Decimal
    assert [
        ("MUG-01", d(1), d("10.9160"), "D1", d("10.92"), d("2.07")),   # 12.99 / 1.19; 10.92 × 19% = 2.0748
        ("SHIP", d(1), d("4.1597"), "D1", d("4.16"), d("0.79")),       # 4.95 / 1.19; 4.16 × 19% = 0.7904
    ] == lines_of(order)
    assert (d("17.94"), d("15.08")) == (d(str(order["AmountFC"])), d(str(order["AmountFCExclVat"])))


def test_a_line_without_a_vat_code_fails_the_order_naming_rate_and_country(world: World) -> None:
    # France's 20% has no OSS code in Exact or the project file: never booked on another rate
    paris = {**ADDRESS, "city": "Paris", "zip": "75001", "address1": "Rue de Rivoli 1", "country_code": "FR"}
    world.shop.sandbox.add_order({
        "email": "claire@example.fr", "financial_status": "paid", "currency": "EUR", "taxes_included": True,
        "created_at": "2026-05-12T10:00:00Z", "billing_address": paris, "shipping_address": paris,
        "line_items": [{"sku": "MUG-01", "title": "Stoneware mug", "quantity": 1, "price": "12.99",
                        "tax_lines": _tax("20", "2.17")}]})
    result = world.run("orders")
    assert (0, 1) == (result.counts.get("created", 0), result.counts.get("failed", 0)), result
    assert [] == world.exact_orders()
    reason = world.services.failures("orders")[0].last_error or ""
    assert "no oss VAT code for 20% in FR" in reason, reason
