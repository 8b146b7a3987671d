"""A world for the order-life tests: both sandboxes with one stand-alone item, BAG-01, stocked in two
warehouses (7 on hand with 2 reserved in warehouse 1, 5 on hand in warehouse 2)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from tests.e2e.slice import ENVIRON, World, start_world
from tradewind.engine.project import load_project
from tradewind.engine.services import Services
from tradewind.sandboxes.exact_online_data import service_items
from tradewind.store.db import Store

BAG = dict(service_items()[0], ID=str(uuid.uuid5(uuid.NAMESPACE_URL, "order-life:BAG-01")), Code="BAG-01",
           Description="Canvas bag", IsStockItem=True, IsWebshopItem=1, StandardSalesPrice=24.5)
STOCK = [{"ItemCode": "BAG-01", "WarehouseCode": "1", "CurrentStock": 7.0, "ReservedStock": 2.0},
         {"ItemCode": "BAG-01", "WarehouseCode": "2", "CurrentStock": 5.0}]
WAREHOUSES = '    stock_warehouses: ["1"]'


def order_life_world(tmp_path: Path, store: Store, monkeypatch: Any, *, erp_options: str = "", flows: str = "",
                     extra: dict[str, Any] | None = None) -> World:
    """The slice's world with BAG-01; ``erp_options`` replace the Exact connection's stock_warehouses
    line, ``flows`` are added to the project's flows."""
    seed = {"items": [BAG], "stock": list(STOCK), **(extra or {})}
    world = start_world(tmp_path, store, products=1, exact_extra=seed, monkeypatch=monkeypatch)
    text = world.project_path.read_text()
    if erp_options:
        line = next(ln for ln in text.splitlines(keepends=True) if ln.startswith(WAREHOUSES))
        text = text.replace(line, erp_options)
    world.project_path.write_text(text + flows)
    reopen(world, store)
    return world


def reopen(world: World, store: Store) -> None:
    """A fresh Services over the same store, as a new process would open it."""
    world.services = Services.open(load_project(world.project_path, environ=ENVIRON), store)
