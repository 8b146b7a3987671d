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

from tests.e2e.slice import ENVIRON, World
from tests.e2e.test_booking import tea_and_mug
from tests.e2e.test_booking_types import _lines, _table, booking_world  # noqa: F401  (the fixture)
from tests.e2e.test_refund_credit_note import _refund_one_tea
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


def _world(booking_world: Callable[[str], World]) -> World:  # noqa: F811
    world = booking_world("booking_type: sales_invoice, journal: '70'")
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


def test_a_refund_of_an_order_not_booked_yet_waits_for_the_orders_flow(booking_world: Any) -> None:  # noqa: F811
    world = _world(booking_world)
    world.shop.sandbox.add_order(tea_and_mug(created_at="2026-05-12T10:00:00Z"))
    _refund_one_tea(world)

    waiting = world.run("refunds")
    assert ([], 0, 1) == (_credit_notes(world), waiting.counts.get("created", 0), waiting.counts.get("parked", 0))
    assert 1 == world.run("orders").counts.get("created", 0)
    after = world.run("refunds")

    assert 1 == after.counts.get("created", 0)
    [credit] = _credit_notes(world)
    assert d("-4.46") == d(str(credit["AmountFC"]))
    assert 0 == world.run("refunds").counts.get("created", 0)
    assert 1 == len(_credit_notes(world))
