"""Which stock rows a read keeps: answered per WarehouseCode as sent, as Placing.reads answers it."""

from __future__ import annotations

from tradewind.connectors.exact_online.stock import _reading
from tradewind.rules.stock import Placing


def test_rows_of_warehouses_read_are_kept_whatever_the_spelling() -> None:
    keep = _reading(Placing(warehouses=("1",)))
    rows = [{"WarehouseCode": "1"}, {"WarehouseCode": " 1 "}, {"WarehouseCode": "2"}, {"WarehouseCode": 1},
            {"WarehouseCode": None}, {}, {"WarehouseCode": "1"}, {"WarehouseCode": "2"}]
    assert [True, True, False, True, False, False, True, False] == [keep(r) for r in rows]


def test_every_warehouse_is_read_when_none_is_named() -> None:
    keep = _reading(Placing())
    assert all(keep(r) for r in [{"WarehouseCode": "9"}, {"WarehouseCode": None}, {}])
