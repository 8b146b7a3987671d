"""``tradewind demo`` end to end, quickly: a few products, four orders (within Exact's 60 calls a minute), a
delivery and a return every half second, the order-life flows every second, stopped as soon as a fulfillment
has reached the shop and a credit note Exact — checked in the sandboxes' own state, never by how long it took
(the duration is only a ceiling)."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from tradewind.demo import DEMO_SECRETS, WEBHOOK_SECRET_ENV, Demo, run_demo
from tradewind.sandboxes.activity import Pace

FAST = {"products": "30s", "prices": "30s", "stock": "30s", "orders": "30s", "shipments": "1s", "refunds": "1s"}
"""Orders are booked as their webhooks arrive; shipments and refunds are read every second."""


def _credit_notes(demo: Demo) -> list[dict[str, Any]]:
    state = demo.exact.sandbox
    with state.lock:
        return [dict(doc) for doc in state.tables["SalesInvoices"].values() if doc.get("Type") == 8021]


def _fulfillments(demo: Demo) -> list[dict[str, Any]]:
    state = demo.shop.sandbox
    with state.lock:
        return [f for done in state.store.fulfillments.values() for f in done]


def _lived(demo: Demo) -> bool:
    return bool(_fulfillments(demo)) and bool(_credit_notes(demo))


def test_an_order_is_booked_shipped_with_tracking_and_a_refund_is_credited_to_the_cent(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**DEMO_SECRETS, WEBHOOK_SECRET_ENV: "demo-test-secret"}.items():
        monkeypatch.setenv(name, value)  # what the demo would set, restored afterwards
    monkeypatch.delenv("TRADEWIND_DATABASE_URL", raising=False)
    out = io.StringIO()
    ran = run_demo(products=3, duration=240, directory=tmp_path / "demo-project", port=0,
                   console=Console(file=out, width=200), schedule=FAST, until=_lived,
                   pace=Pace(orders=1, shipments=0.5, refunds=0.5, orders_at_most=4))
    said = out.getvalue()
    fulfillments, notes = _fulfillments(ran), _credit_notes(ran)
    assert fulfillments and notes, said

    tracking = fulfillments[0]["tracking"][0]
    assert ("PostNL", f"https://jouw.postnl.nl/track-and-trace/{tracking['number']}-NL") == (
        tracking["company"], tracking["url"])
    assert tracking["number"].startswith("3STWD")

    shop = ran.shop.sandbox
    refunded = {f"{order['name']}/R{r['id']}": sum(Decimal(str(t["amount"])) for t in r["transactions"])
                for order in shop.store.orders.values() for r in order.get("refunds") or []}
    for note in notes:  # each credit note gives back exactly what the shop refunded
        assert (note["YourRef"], -refunded[note["YourRef"]]) == (
            note["YourRef"], Decimal(str(note["AmountFC"])).quantize(Decimal("0.01"))), said
        assert "70" == note["Journal"]
    assert "erp: shipped #" in said and "with PostNL, tracking 3STWD" in said
    assert "shop: refunded 1 × " in said and "returned)" in said
    assert "credit note" in said and "order life: " in said
    assert ["products", "prices", "stock", "orders", "shipments", "refunds"] == list(ran.services.project.flows)
