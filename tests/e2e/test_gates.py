"""Built-in flow gates over both sandboxes: an order flow sends orders from a configured stage (``stage: paid``),
a product flow exports only products with a SKU and a valid EAN-13 (``require: [sku, ean13]``); what they keep
out is skipped with the reason, never failed. docs/booking-rules.md, "Send stage" and "Product gates"."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.slice import ENVIRON, World, start_world
from tests.e2e.test_booking import ADDRESS, BOOKING, ITEMS, _tax, booked
from tradewind.engine.project import load_project
from tradewind.engine.services import Services
from tradewind.sandboxes.exact_online_data import service_items
from tradewind.store.db import Store

PAID_FILTER = '    filter: "order.financial_status == \'paid\'"\n'


def _article(code: str, barcode: str | None) -> dict[str, Any]:
    """A stock item that is a product of its own (its model code is its code)."""
    item = dict(service_items()[0])
    item.update(ID=str(uuid.uuid5(uuid.NAMESPACE_URL, f"gates:{code}")), Code=code, Description=f"Gate {code}",
                IsStockItem=True, IsWebshopItem=1, SalesVatCode="2", StandardSalesPrice=9.95, Barcode=barcode,
                FreeTextField_01=code)
    return item


ARTICLES = [_article("GATE-OK", "8712345678906"), _article("GATE-NONE", None),
            _article("GATE-BAD", "8712345678901"), _article("GATE-EAN8", "96385074")]


@pytest.fixture
def world(tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    w = start_world(tmp_path, store, products=2, monkeypatch=monkeypatch, exact_extra={"items": ITEMS + ARTICLES})
    text = w.project_path.read_text()
    assert "    stage: paid\n" in text and PAID_FILTER not in text   # the built-in gate, not a hand-written filter
    text = text.replace("    to: shop.products\n", "    to: shop.products\n    require: [sku, ean13]\n")
    anchor = '    stock_warehouses: ["1"]'
    line = next(ln for ln in text.splitlines(keepends=True) if ln.startswith(anchor))
    w.project_path.write_text(text.replace(line, line + BOOKING))
    w.services = Services.open(load_project(w.project_path, environ=ENVIRON), store)
    yield w
    w.exact.stop()
    w.shop.stop()


def reasons(world: World, run_id: str, outcome: str) -> dict[str | None, str]:
    """Business key → reason of the run's transfers ending ``outcome``."""
    return {t.natural_key: t.reason or "" for t in world.services.transfers(run_id) if t.outcome == outcome}


def test_an_order_is_sent_once_it_is_paid(world: World) -> None:
    # 2 × tea 4.95 (9%) and a mug 12.99 (21%), no discount, no shipping: 22.89 with VAT 0.82 + 2.25
    order = world.shop.sandbox.add_order({
        "email": "anna@example.com", "financial_status": "pending", "currency": "EUR", "taxes_included": True,
        "created_at": "2026-05-12T10:00:00Z", "billing_address": ADDRESS, "shipping_address": ADDRESS,
        "line_items": [{"sku": "TEA-01", "title": "Rooibos tea", "quantity": 2, "price": "4.95",
                        "tax_lines": _tax("9", "0.82")},
                       {"sku": "MUG-01", "title": "Stoneware mug", "quantity": 1, "price": "12.99",
                        "tax_lines": _tax("21", "2.25")}]})
    first = world.run("orders")
    assert (0, 1, 0) == tuple(first.counts.get(k, 0) for k in ("created", "skipped", "failed")), first
    assert {"number=#1001": "waiting for stage paid; order is pending"} == reasons(world, first.run_id, "skipped")
    assert [] == world.exact_orders()

    world.shop.sandbox.update_order(order["id"], financial_status="paid")   # paid: Shopify bumps updated_at
    second = world.run("orders")
    assert (1, 0) == (second.counts.get("created", 0), second.counts.get("failed", 0)), second
    assert "#1001" == booked(world)["YourRef"]
    assert "22.89" == f"{booked(world)['AmountFC']:.2f}"

    third = world.run("orders")           # the boundary order read again (cursor overlap), nothing sent
    assert (0, 0, 0) == tuple(third.counts.get(k, 0) for k in ("created", "updated", "failed")), third
    assert 1 == len(world.exact_orders())


def test_products_without_a_valid_ean13_are_not_exported_each_with_its_reason(world: World) -> None:
    result = world.run("products")
    assert 0 == result.counts.get("failed", 0), result
    skipped = sorted(reason for reason in reasons(world, result.run_id, "skipped").values() if "GATE" in reason)
    assert [
        "not exported (require: ean13, sku): variants[0].ean of SKU GATE-EAN8: '96385074' is not an EAN-13 "
        "(8 digits)",
        "not exported (require: ean13, sku): variants[0].ean of SKU GATE-NONE: no EAN-13",
        # refused by the canonical model as it was read (an invalid GTIN never enters), kept out all the same
        "not exported (require: ean13, sku): variants[0].ean of product GATE-BAD: '8712345678901' is not a valid "
        "EAN/GTIN (The number's checksum or check digit is invalid.)",
    ] == skipped
    shop = world.shop.sandbox.products_by_sku()
    assert "GATE-OK" in shop and "8712345678906" == shop["GATE-OK"]["barcode"]
    assert not {"GATE-NONE", "GATE-BAD", "GATE-EAN8"} & set(shop)
