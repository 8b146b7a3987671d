"""Duplicate and out-of-order deliveries of the same order: twice in one page, again on later pages
and runs, an older version after a newer one. Each paid order is booked once, none is lost; on
SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.faults.harness import ENVIRON, Sandboxes, Tally, report, secret_key, shop_state
from tests.faults.redeliver import AgainOnLaterPages, Plan, Redeliver, StaleVersions, twice_in_each_page
from tradewind.engine.project import load_project
from tradewind.engine.services import Services
from tradewind.sandboxes import shopify
from tradewind.store.db import Store

pytestmark = pytest.mark.faults


class Shop:
    """The sandboxes with a redelivering shop, and the orders flow's services on ``store``."""

    def __init__(self, tmp_path: Path, store: Store, plan: Plan) -> None:
        self.redeliver = Redeliver(shopify.create_app(bucket_size=None), plan)
        self.world = Sandboxes.start(shop_app=self.redeliver)
        self.services = Services.open(load_project(self.world.project(tmp_path), environ=ENVIRON), store)
        self.rng = random.Random(5)

    def run(self) -> Any:
        result = self.services.run_flow("orders")
        assert "failed" != result.status, result
        return result

    def booked(self) -> int:
        return len(self.world.exact.sandbox.sales_orders())

    def check(self, name: str, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]) -> Tally:
        tally = self.world.tally()
        report(f"{name}-{request.node.callspec.id}", tally, [], capsys)
        assert tally.clean and tally.written == tally.records > 0, "\n".join([tally.line(), *tally.problems])
        return tally


@pytest.fixture
def shop(tmp_path: Path, store: Store, request: pytest.FixtureRequest,
         monkeypatch: pytest.MonkeyPatch) -> Iterator[Shop]:
    """``request.param`` makes the plan (a fresh one per store)."""
    for name, value in {**ENVIRON, "TRADEWIND_SECRET_KEY": secret_key()}.items():
        monkeypatch.setenv(name, value)
    made = Shop(tmp_path, store, request.param())
    yield made
    made.world.stop()


@pytest.mark.parametrize("shop", [lambda: twice_in_each_page], ids=["twice"], indirect=True)
def test_an_order_twice_in_one_page_is_booked_once(
        shop: Shop, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]) -> None:
    shop.world.add_orders(7, shop.rng, paid=True)
    shop.world.add_orders(1, shop.rng, paid=False)
    shop.run()
    shop.run()
    shop.check("twice-in-a-page", request, capsys)


@pytest.mark.parametrize("shop", [AgainOnLaterPages], ids=["again"], indirect=True)
def test_an_order_again_on_later_pages_and_runs_is_booked_once(
        shop: Shop, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]) -> None:
    shop.world.add_orders(12, shop.rng, paid=True)
    shop.run()
    shop.world.add_orders(3, shop.rng, paid=True)
    shop.run()
    shop.check("again-on-later-pages", request, capsys)


@pytest.mark.parametrize("shop", [StaleVersions], ids=["stale"], indirect=True)
def test_an_older_version_after_a_newer_one_neither_books_twice_nor_loses_the_order(
        shop: Shop, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]) -> None:
    stale: StaleVersions = shop.redeliver.plan  # type: ignore[assignment]
    orders = shop.world.add_orders(6, shop.rng, paid=False)
    shop.run()  # pending: skipped by the filter, and remembered as each order's first version
    assert 0 == shop.booked()
    pay_later(shop, orders)
    stale.stale = True
    shop.run()  # each page: the paid version, then the pending one it replaced
    tally = shop.check("older-after-newer", request, capsys)
    shop.redeliver.plan = stale.only_old()
    shop.run()  # a lagging replica answers with the old pending versions only
    assert tally == shop.check("older-after-newer-replica", request, capsys)


def pay_later(shop: Shop, orders: list[dict[str, Any]]) -> None:
    """The orders are paid a few seconds later: a newer version of each (the shop's clock moves on)."""
    state = shop_state(shop.world.shop)
    moved = state.clock() + timedelta(seconds=5)
    state.clock = lambda: moved
    with state.lock:
        for order in orders:
            stored = state.store.orders[order["id"]]
            stored["financial_status"] = "paid"
            stored["updated_at"] = state.now()
            for transaction in stored.get("transactions") or []:
                transaction["status"] = "success"
