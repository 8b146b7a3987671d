"""Which stock rows a read keeps, and which are summed: answered per WarehouseCode as sent, as Placing answers."""

from __future__ import annotations

from tradewind.connectors.exact_online.stock import _by_warehouse
from tradewind.rules.stock import Placing


def test_rows_of_warehouses_read_are_kept_whatever_the_spelling() -> None:
    keep = _by_warehouse(Placing(warehouses=("1",)).reads)
    rows = [{"WarehouseCode": "1"}, {"WarehouseCode": " 1 "}, {"WarehouseCode": "2"}, {"WarehouseCode": 1},
            {"WarehouseCode": None}, {}, {"WarehouseCode": "1"}, {"WarehouseCode": "2"}]
    assert [True, True, False, True, False, False, True, False] == [keep(r) for r in rows]


def test_every_warehouse_is_read_when_none_is_named() -> None:
    keep = _by_warehouse(Placing().reads)
    assert all(keep(r) for r in [{"WarehouseCode": "9"}, {"WarehouseCode": None}, {}])


def test_rows_of_a_summed_location_are_told_apart_per_warehouse() -> None:
    placing = Placing(warehouses={"1": "shop", "2": "shop", "3": "outlet"})
    joined = _by_warehouse(lambda warehouse: placing.is_summed(placing.location_of(warehouse)))
    rows = [{"WarehouseCode": "1"}, {"WarehouseCode": "3"}, {"WarehouseCode": " 2"}, {"WarehouseCode": "3 "},
            {"WarehouseCode": "1"}]
    assert [True, False, True, False, True] == [joined(r) for r in rows]
