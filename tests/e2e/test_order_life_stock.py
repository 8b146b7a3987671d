"""Stock from Exact into one shop location, summed over two warehouses, on hand − reserved: the
numbers are spelled out (docs/order-life.md, "Stock")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.order_life import order_life_world, reopen
from tests.e2e.slice import World
from tradewind.store.db import Store

SUMMED = '    stock_warehouses: ["1", "2"]\n    stock_sum_into: MAIN\n'


@pytest.fixture
def world(tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    w = order_life_world(tmp_path, store, monkeypatch, erp_options=SUMMED)
    yield w
    w.exact.stop()
    w.shop.stop()


def test_two_warehouses_are_summed_into_one_location_as_on_hand_minus_reserved(world: World, store: Store) -> None:
    assert "succeeded" == world.run("products").status
    stock = world.run("stock")
    assert "succeeded" == stock.status, stock
    assert 10 == world.shop.sandbox.inventory("BAG-01")  # (7 − 2) + (5 − 0)
    assert 0 == stock.counts["failed"]


def test_a_later_change_in_one_warehouse_keeps_the_other_in_the_sum(world: World, store: Store) -> None:
    world.run("products")
    world.run("stock")
    world.exact.sandbox.set_stock("BAG-01", "2", 3.0)
    reopen(world, store)  # a new process: the other warehouse's figures come from the store, not memory
    again = world.run("stock")
    assert "succeeded" == again.status, again
    assert 1 == again.counts["updated"]  # only BAG-01 changed; read incrementally, one row
    assert 8 == world.shop.sandbox.inventory("BAG-01")  # (7 − 2) + 3


def test_on_hand_shows_what_is_on_the_shelf(tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    world = order_life_world(tmp_path, store, monkeypatch, erp_options=SUMMED + "    stock_quantity: on_hand\n")
    try:
        world.run("products")
        world.run("stock")
        assert 12 == world.shop.sandbox.inventory("BAG-01")  # 7 + 5, reserved not taken off
    finally:
        world.exact.stop()
        world.shop.stop()


def test_warehouses_mapped_to_locations_sum_where_two_share_one(tmp_path: Path, store: Store,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Warehouse 1 and 2 mapped to MAIN: the shop's one location gets their sum, not either's figure."""
    options = '    stock_warehouses: {"1": MAIN, "2": MAIN}\n'
    world = order_life_world(tmp_path, store, monkeypatch, erp_options=options)
    try:
        world.run("products")
        stock = world.run("stock")
        assert 0 == stock.counts["failed"], stock
        assert 10 == world.shop.sandbox.inventory("BAG-01")
    finally:
        world.exact.stop()
        world.shop.stop()
