"""Every call counts, for the division's reference tables: two orders runs of one process read Exact's VAT
codes, GL accounts, projects and shipping methods once, not once a run (the connection keeps them for
``reference_minutes``); ``0`` reads them every run. A booking that fails for a GL account the kept table
lacks drops the tables, so the account added in Exact is read, and booked on, in the next run.
Counted by the Exact sandbox (``/_sandbox/calls``), never timed."""

from __future__ import annotations

from typing import Any

from tests.e2e.slice import ENVIRON, World
from tests.e2e.test_booking import tea_and_mug
from tests.e2e.test_booking_types import _table, booking_world
from tradewind.engine.project import load_project
from tradewind.engine.services import Services
from tradewind.sandboxes.exact_online.ledger import GL_ACCOUNTS

__all__ = ["booking_world"]

ENTRY = "booking_type: sales_entry, journal: '70', ledger: {revenue_account: '%s', project: P100}"
TABLES = ("vat/VATCodes", "financial/GLAccounts", "project/Projects", "sales/ShippingMethods")


def _reads(world: World) -> dict[str, int]:
    calls = {route.replace("/api/v1/123456/", ""): n for route, n in world.calls(world.exact).items()}
    return {table: calls.get(f"GET {table}", 0) for table in TABLES}


def _two_runs(world: World) -> tuple[Any, Any]:
    world.reset_calls()
    world.shop.sandbox.add_order(tea_and_mug(created_at="2026-05-12T10:00:00Z"))
    first = world.run("orders")
    world.shop.sandbox.add_order(tea_and_mug(created_at="2026-05-12T11:00:00Z"))
    return first, world.run("orders")


def test_two_orders_runs_read_the_reference_tables_once(booking_world: Any) -> None:
    world = booking_world(ENTRY % "8000")
    first, second = _two_runs(world)
    assert [(1, 0), (1, 0)] == [(r.counts.get("created", 0), r.counts.get("failed", 0)) for r in (first, second)]
    assert dict.fromkeys(TABLES, 1) == _reads(world)


def with_option(world: Any, option: str) -> Any:
    """``world`` with ``option`` added to the ERP connection's options (beside ``booking:``), reopened."""
    text = world.project_path.read_text()
    booking = next(ln for ln in text.splitlines(keepends=True) if ln.startswith("    booking:"))
    world.project_path.write_text(text.replace(booking, f"{booking}    {option}\n"))
    world.services = Services.open(load_project(world.project_path, environ=ENVIRON), world.services.store)
    return world


def test_with_reference_minutes_0_every_run_reads_them(booking_world: Any) -> None:
    world = with_option(booking_world(ENTRY % "8000"), "reference_minutes: 0")
    first, second = _two_runs(world)
    assert [1, 1] == [r.counts.get("created", 0) for r in (first, second)]
    assert dict.fromkeys(TABLES, 2) == _reads(world)


def test_a_gl_account_missing_from_the_kept_table_is_read_again_after_it_is_added(booking_world: Any) -> None:
    world = booking_world(ENTRY % "8030")
    world.reset_calls()
    world.shop.sandbox.add_order(tea_and_mug(created_at="2026-05-12T10:00:00Z"))
    first = world.run("orders")
    assert (0, 1) == (first.counts.get("created", 0), first.counts.get("failed", 0)), first
    assert "no GLAccount with code '8030'" in (world.services.failures("orders")[0].last_error or "")
    world.exact.sandbox.create(GL_ACCOUNTS, {"Code": "8030", "Description": "Omzet webshop"}, trusted=True)
    world.shop.sandbox.add_order(tea_and_mug(created_at="2026-05-12T11:00:00Z"))
    second = world.run("orders")
    assert second.counts.get("created", 0) >= 1, second
    assert 2 == _reads(world)["financial/GLAccounts"]
    accounts = {ln["GLAccountCode"] for entry in _table(world, "SalesEntries") for ln in entry["SalesEntryLines"]}
    assert "8030" in accounts, accounts  # booked on the account added, read in the second run


def test_two_sales_order_runs_look_the_warehouse_up_by_code_once(booking_world: Any) -> None:
    world = with_option(booking_world("booking_type: sales_order"), "warehouse: '1'")
    first, second = _two_runs(world)
    assert [1, 1] == [r.counts.get("created", 0) for r in (first, second)]
    calls = {route.replace("/api/v1/123456/", ""): n for route, n in world.calls(world.exact).items()}
    assert (1, 1, 2) == (calls.get("GET inventory/Warehouses"), calls.get("GET vat/VATCodes"),
                         calls.get("POST salesorder/SalesOrders"))
    warehouses = {o.get("WarehouseID") for o in world.exact_orders()}
    assert len(warehouses) == 1 and None not in warehouses, warehouses  # both orders on the warehouse kept
