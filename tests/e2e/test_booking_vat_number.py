"""Reverse charge for real shop orders, over both sandboxes: the buyer's VAT number comes from the Shopify
order (the B2B company location's tax registration id, or a checkout attribute), the rules judge it, and
Exact books the result. Numbers spelled out; docs/booking-rules.md, "The VAT number of a shop order"."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.slice import ENVIRON, World, start_world
from tests.e2e.test_booking import ADDRESS, BOOKING, ITEMS, _tax, booked, lines_of
from tradewind.engine.project import load_project
from tradewind.engine.services import Services
from tradewind.sandboxes.exact_online import VAT_CODES
from tradewind.store.db import Store

BERLIN = {**ADDRESS, "first_name": "Jonas", "last_name": "Weber", "company": "Weber GmbH",
          "address1": "Invalidenstr. 1", "city": "Berlin", "zip": "10115", "country_code": "DE"}


def open_world(tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch, policy: str) -> World:
    monkeypatch.setitem(VAT_CODES, "D1", (0.19, "OSS Duitsland hoog"))
    w = start_world(tmp_path, store, products=2, monkeypatch=monkeypatch, exact_extra={"items": ITEMS})
    block = BOOKING.replace("booking: {", f"booking: {{invalid_vat_number: {policy}, ")
    anchor = '    stock_warehouses: ["1"]'
    text = w.project_path.read_text()
    line = next(ln for ln in text.splitlines(keepends=True) if ln.startswith(anchor))
    w.project_path.write_text(text.replace(line, line + block))
    w.services = Services.open(load_project(w.project_path, environ=ENVIRON), store)
    return w


@pytest.fixture
def world(tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    w = open_world(tmp_path, store, monkeypatch, "charge_vat")
    yield w
    w.exact.stop()
    w.shop.stop()


@pytest.fixture(params=["charge_vat", "hold"])
def either(request: pytest.FixtureRequest, tmp_path: Path, store: Store,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A world under each ``invalid_vat_number`` policy."""
    w = open_world(tmp_path, store, monkeypatch, request.param)
    yield w
    w.exact.stop()
    w.shop.stop()


def policy(world: World) -> str:
    return "hold" if "invalid_vat_number: hold" in world.project_path.read_text() else "charge_vat"


def debtor_of(world: World, order: dict[str, Any]) -> dict[str, Any]:
    return next(a for a in world.exact.sandbox.dump()["accounts"] if a["ID"] == order["OrderedBy"])


def test_a_b2b_order_with_a_valid_vat_number_is_booked_at_0_percent_on_the_reverse_charge_code(world: World) -> None:
    # the shop's prices include Dutch VAT (21%); the checkout accepted the number and charged none:
    # 12.99 / 1.21 = 10.74 for the mug, 4.95 / 1.21 = 4.09 shipping, 14.83 in all, VAT 0.00
    world.shop.sandbox.add_order({
        "email": "einkauf@weber.de", "financial_status": "paid", "currency": "EUR", "taxes_included": True,
        "created_at": "2026-05-12T10:00:00Z", "billing_address": BERLIN, "shipping_address": BERLIN,
        "company": {"name": "Weber GmbH", "location_name": "Berlin", "tax_registration_id": "DE136695976"},
        "line_items": [{"sku": "MUG-01", "title": "Stoneware mug", "quantity": 1, "price": "12.99",
                        "tax_lines": _tax("21", "2.25")}],
        "shipping_lines": [{"title": "DHL", "code": "DHL", "price": "4.95", "tax_lines": _tax("21", "0.86")}],
        "total_tax": "0.00", "total_price": "14.83"})
    result = world.run("orders")
    assert (1, 0) == (result.counts.get("created", 0), result.counts.get("failed", 0)), result
    order = booked(world)
    d = Decimal
    assert [
        ("MUG-01", d(1), d("10.7355"), "5", d("10.74"), d("0")),    # 12.99 / 1.21, at 0% on "BTW verlegd"
        ("SHIP", d(1), d("4.0909"), "5", d("4.09"), d("0")),        # 4.95 / 1.21
    ] == lines_of(order)
    assert (d("14.83"), d("14.83")) == (d(str(order["AmountFC"])), d(str(order["AmountFCExclVat"])))
    debtor = debtor_of(world, order)
    assert ("Weber GmbH", "DE136695976") == (debtor["Name"], debtor["VATNumber"])


def invalid_number_order() -> dict[str, Any]:
    """The number typed at checkout fails its checksum, so the shop charged German VAT (OSS): 12.99 and
    4.95 hold 19%: 2.07 + 0.79 = 2.86 VAT, 17.94 in all."""
    return {
        "email": "einkauf@weber.de", "financial_status": "paid", "currency": "EUR", "taxes_included": True,
        "created_at": "2026-05-12T10:00:00Z", "billing_address": BERLIN, "shipping_address": BERLIN,
        "note_attributes": [{"name": "VAT number", "value": "DE136695977"}],
        "line_items": [{"sku": "MUG-01", "title": "Stoneware mug", "quantity": 1, "price": "12.99",
                        "tax_lines": _tax("19", "2.07")}],
        "shipping_lines": [{"title": "DHL", "code": "DHL", "price": "4.95", "tax_lines": _tax("19", "0.79")}]}


def test_an_invalid_vat_number_never_gets_reverse_charge(either: World) -> None:
    world = either
    world.shop.sandbox.add_order(invalid_number_order())
    result = world.run("orders")
    if policy(world) == "charge_vat":  # booked as a consumer's sale, under OSS at Germany's 19%
        assert (1, 0) == (result.counts.get("created", 0), result.counts.get("failed", 0)), result
        order = booked(world)
        d = Decimal
        assert [
            ("MUG-01", d(1), d("10.9160"), "D1", d("10.92"), d("2.07")),   # 12.99 / 1.19; 10.92 × 19% = 2.0748
            ("SHIP", d(1), d("4.1597"), "D1", d("4.16"), d("0.79")),       # 4.95 / 1.19; 4.16 × 19% = 0.7904
        ] == lines_of(order)
        assert (d("17.94"), d("15.08")) == (d(str(order["AmountFC"])), d(str(order["AmountFCExclVat"])))
    else:  # held with the reason, nothing booked
        assert (0, 1) == (result.counts.get("created", 0), result.counts.get("failed", 0)), result
        assert [] == world.exact_orders()
        failure = world.services.failures("orders")[0]
        assert "no reverse charge: VAT number 'DE136695977' is invalid" in (failure.last_error or ""), failure
