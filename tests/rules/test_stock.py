"""The stock figure a shop shows and the placing of warehouses on locations (rules.stock)."""

from __future__ import annotations

from decimal import Decimal

from tradewind.model import StockLevel
from tradewind.rules.stock import Part, Placing, shown, summed, with_quantity


def test_available_is_on_hand_minus_reserved_and_on_hand_ignores_reserved() -> None:
    level = StockLevel(sku="BAG-01", on_hand=Decimal("7"), reserved=Decimal("2"))
    assert Decimal("5") == shown(level)
    assert Decimal("7") == shown(level, "on_hand")
    assert Decimal("5") == with_quantity(level).available


def test_more_reserved_than_on_hand_shows_how_far_behind() -> None:
    assert Decimal("-1") == shown(StockLevel(sku="BAG-01", on_hand=Decimal("2"), reserved=Decimal("3")))


def test_two_warehouses_sum_into_one_location() -> None:
    parts = [Part("1", Decimal("7"), Decimal("2")), Part("2", Decimal("5"), incoming=Decimal("4"))]
    level = summed("BAG-01", "MAIN", parts)
    assert (Decimal("12"), Decimal("2"), Decimal("4"), Decimal("10")) == (
        level.on_hand, level.reserved, level.incoming, level.available)
    assert Decimal("12") == summed("BAG-01", "MAIN", parts, "on_hand").available


def test_a_mapping_sums_only_where_two_warehouses_share_a_location() -> None:
    placing = Placing(warehouses={"1": "MAIN", "2": "MAIN", "3": "STORE"})
    assert ("MAIN", "STORE") == (placing.location_of("2"), placing.location_of("3"))
    assert (True, False) == (placing.is_summed("MAIN"), placing.is_summed("STORE"))
    assert ("1", "2") == placing.feeding("MAIN")
    assert (True, False) == (placing.reads("3"), placing.reads("4"))


def test_sum_into_takes_every_warehouse_read() -> None:
    everything = Placing(sum_into="MAIN")
    assert ("MAIN", True, None) == (everything.location_of("9"), everything.reads("9"), everything.feeding("MAIN"))
    named = Placing(warehouses=("1", "2"), sum_into="MAIN")
    assert (("1", "2"), False) == (named.feeding("MAIN"), named.reads("3"))


def test_a_list_keeps_each_warehouse_at_its_own_code() -> None:
    placing = Placing(warehouses=("1",))
    assert ("1", False) == (placing.location_of("1"), placing.is_summed("1"))
