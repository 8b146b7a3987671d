"""The slice end to end over real HTTP on loopback: Exact Online → Shopify catalogue, Shopify → Exact
paid orders; on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.e2e.slice import ENVIRON, World, start_world
from tradewind.engine.project import load_project
from tradewind.engine.services import Services
from tradewind.store.db import Store
from tradewind.store.runs import list_transfers


@pytest.fixture
def world(tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    w = start_world(tmp_path, store, monkeypatch=monkeypatch)
    yield w
    w.exact.stop()
    w.shop.stop()


def writes(calls: dict[str, int]) -> int:
    """Exact API calls that change something (POST/PUT/DELETE, token calls aside)."""
    return sum(n for route, n in calls.items() if route.split()[0] in ("POST", "PUT", "DELETE")
               and "/oauth2/" not in route)


def test_catalogue_arrives_in_the_shop_and_a_second_run_writes_nothing(world: World) -> None:
    products = world.run("products")
    assert "succeeded" == products.status, products
    shop = world.shop.sandbox
    exact_items = [i for i in world.exact.sandbox.dump()["items"] if i["Code"] not in ("SHIP", "DISC")]
    assert {i["Code"] for i in exact_items} <= set(shop.products_by_sku())
    assert products.counts["created"] == len(shop.dump()["products"])

    prices = world.run("prices")
    stock = world.run("stock")
    assert ("succeeded", "succeeded") == (prices.status, stock.status), (prices, stock)
    item = exact_items[0]
    variant = shop.products_by_sku()[item["Code"]]
    assert str(variant["price"]).rstrip("0").rstrip(".") == f"{item['StandardSalesPrice']}".rstrip("0").rstrip(".")

    before = shop.dump()
    world.reset_calls()
    again = [world.run(name) for name in ("products", "prices", "stock")]
    assert [0, 0, 0] == [r.counts.get("created", 0) + r.counts.get("updated", 0) for r in again]
    assert before == shop.dump(), "a second run changed the shop"
    assert 0 == writes(world.calls(world.exact))


def test_two_warehouses_into_one_shop_location_are_refused_not_overwritten(world: World, store: Store) -> None:
    text = world.project_path.read_text().replace('stock_warehouses: ["1"]', "stock_warehouses: []")
    world.project_path.write_text(text)
    world.services = Services.open(load_project(world.project_path, environ=ENVIRON), store)
    world.run("products")
    stock = world.run("stock")
    rows = {r["ID"]: r for r in world.exact.sandbox.dump()["stock"]}
    skus = {r["ItemCode"] for r in rows.values()}
    assert (len(skus), len(rows) - len(skus)) == (stock.counts["updated"] + stock.counts["skipped"],
                                                  stock.counts["failed"])
    with store.begin() as conn:
        transfers = list_transfers(conn, stock.run_id)
    assert all("already bound to source record" in (t.reason or "") for t in transfers if t.outcome == "failed")
    for t in transfers:
        if t.outcome != "failed":  # the one warehouse bound to each level is the one the shop shows
            row = rows[t.source_id]
            assert int(row["CurrentStock"]) == world.shop.sandbox.inventory(row["ItemCode"]), row


def test_a_vat_inclusive_shop_gets_gross_prices_from_net_erp_prices(world: World, store: Store) -> None:
    text = world.project_path.read_text().replace("taxes_included: false", "taxes_included: true")
    text = text.replace("    discount_item: DISC\n", "    discount_item: DISC\n    vat_rates: true\n")
    world.project_path.write_text(text)
    world.services = Services.open(load_project(world.project_path, environ=ENVIRON), store)
    results = [world.run(name) for name in ("products", "prices")]
    assert ["succeeded", "succeeded"] == [r.status for r in results], results
    assert 0 == results[1].counts["updated"], "productSet already wrote the gross prices"
    rate = {"1": Decimal("1.09"), "2": Decimal("1.21")}
    shop = world.shop.sandbox.products_by_sku()
    items = [i for i in world.exact.sandbox.dump()["items"] if i["Code"] in shop]
    assert items
    for item in items:
        gross = (Decimal(str(item["StandardSalesPrice"])) * rate[item["SalesVatCode"]]).quantize(Decimal("0.01"))
        assert gross == Decimal(str(shop[item["Code"]]["price"])), item["Code"]
    world.reset_calls()
    again = [world.run(name) for name in ("products", "prices")]
    assert [0, 0] == [r.counts.get("created", 0) + r.counts.get("updated", 0) for r in again]


def test_a_changed_product_is_updated_and_nothing_else(world: World) -> None:
    world.run("products")
    items = sorted((i for i in world.exact.sandbox.dump()["items"] if i.get("FreeTextField_01")),
                   key=lambda i: i["Code"])
    world.exact.sandbox.update_item(items[0]["Code"], ExtraDescription="Now in organic cotton")
    result = world.run("products")
    assert (1, 0) == (result.counts.get("updated", 0), result.counts.get("created", 0)), result


def test_paid_orders_arrive_in_exact_with_customer_and_lines(world: World) -> None:
    for name in ("products", "prices", "stock"):
        world.run(name)
    paid = world.add_orders(3, seed=5)
    world.add_orders(1, seed=9, paid=False)
    result = world.run("orders")
    assert (3, 1, 0) == (result.counts["created"], result.counts["skipped"], result.counts["failed"]), result
    booked = {o["YourRef"]: o for o in world.exact_orders()}
    for order in paid:
        exact = booked[order["name"]]
        skus = {line["sku"] for line in order["line_items"]}
        assert skus <= {line["ItemCode"] for line in exact["SalesOrderLines"]}
        assert exact["OrderedBy"]
    accounts = {a["Email"] for a in world.exact.sandbox.dump()["accounts"]}
    assert {o["email"] for o in paid} <= accounts
    again = world.run("orders")
    assert 0 == again.counts.get("created", 0) + again.counts.get("updated", 0)
    assert 3 == len(world.exact_orders())


def test_an_order_with_an_unknown_sku_fails_alone_with_a_clear_message(world: World) -> None:
    world.run("products")
    good = world.add_orders(2, seed=3)
    bad = world.add_orders(1, seed=4)[0]
    state = world.shop.sandbox
    stored = state.store.orders[bad["id"]] if hasattr(state.store, "orders") else None
    assert stored is not None
    stored["line_items"][0]["sku"] = "NOT-IN-EXACT"
    result = world.run("orders")
    assert (2, 1) == (result.counts["created"], result.counts["failed"]), result
    failure = world.services.failures("orders")[0]
    assert "NOT-IN-EXACT" in (failure.last_error or "")
    assert {o["name"] for o in good} == {o["YourRef"] for o in world.exact_orders()}


def test_rate_limits_and_outages_are_waited_out(world: World) -> None:
    world.fault(world.exact, status=429, times=1, retry_after=1)
    world.fault(world.exact, status=503, times=1)
    world.fault(world.shop, status=503, times=1)
    world.fault(world.shop, status=429, times=1, retry_after=1)
    result = world.run("products")
    assert ("succeeded", 0) == (result.status, result.counts.get("failed", 0)), result


def test_a_product_without_sku_fails_alone(tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    nameless = {"ID": "00000000-0000-0000-0000-00000000abcd", "Code": " ", "Description": "No code at all",
                "IsSalesItem": True, "Modified": "2026-01-01T00:00:00.000Z"}
    world = start_world(tmp_path, store, exact_extra={"items": [nameless]}, monkeypatch=monkeypatch)
    try:
        result = world.run("products")
        assert 1 == result.counts["failed"] and result.counts["created"] > 0, result
        failure = world.services.failures("products")[0]
        assert "SKU" in (failure.last_error or "") or "sku" in (failure.last_error or "")
    finally:
        world.exact.stop()
        world.shop.stop()


CRASH = textwrap.dedent("""
    import os, sys
    from tradewind.engine.context import Hooks
    from tradewind.engine.project import load_project
    from tradewind.engine.runner import Runner
    from tradewind.store.db import Store

    def die(batch, ctx):
        if any(t.stage == "written" for t in batch):
            os._exit(9)  # killed after the write, before its result was stored

    project = load_project(sys.argv[1])
    Runner(Store(sys.argv[2]), hooks=Hooks(after_write=[die])).run(project.flows["orders"])
""")


def test_a_run_killed_after_the_write_creates_no_duplicate_order(world: World, store: Store) -> None:
    world.run("products")
    paid = world.add_orders(2, seed=21)
    env = {**os.environ, **ENVIRON}
    killed = subprocess.run([sys.executable, "-c", CRASH, str(world.project_path), store.url], env=env,
                            capture_output=True, text=True, timeout=120)
    assert 9 == killed.returncode, killed.stderr[-2000:]
    written_before = len(world.exact_orders())
    assert written_before >= 1
    from tradewind.store import locks

    with store.begin() as conn:
        conn.execute(locks.flow_locks.delete())  # the dead process's lease, as if it had expired
    result = world.run("orders")
    assert "succeeded" == result.status, result
    refs = [o["YourRef"] for o in world.exact_orders()]
    assert sorted(o["name"] for o in paid) == sorted(refs), "one Exact order per shop order, no duplicates"
