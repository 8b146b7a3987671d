"""Stock under compare-and-swap keeps nothing per level in the connection: the quantity a write compares
with (``changeFromQuantity``) comes from what the engine hands it — the level found, or adopted from the
quantity last written, which the store keeps with the level's pre-binding — so memory does not grow with
the catalogue (issue 14, bench/README "memory"), and a run in a fresh process still compares with the
quantity the last one wrote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.slice import ENVIRON, World, start_world
from tests.e2e.test_catalogue_calls import calls_of
from tradewind.connectors.shopify.client import ShopifyClient
from tradewind.engine.project import load_project
from tradewind.engine.services import Services
from tradewind.store.db import Store


def clients_opened(monkeypatch: pytest.MonkeyPatch) -> list[ShopifyClient]:
    """Every Shopify connection's client opened from now on (the engine opens one per run)."""
    opened: list[ShopifyClient] = []
    init = ShopifyClient.__init__

    def recording(self: ShopifyClient, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        opened.append(self)

    monkeypatch.setattr(ShopifyClient, "__init__", recording)
    return opened


def containers(client: ShopifyClient) -> dict[str, int]:
    """The client's collections by attribute name, with their sizes."""
    return {name: len(value) for name, value in vars(client).items() if isinstance(value, dict | list | set)}


def sent_change_from(world: World) -> dict[tuple[str, str], int | None]:
    """(inventory item, location) → the ``changeFromQuantity`` each ``inventorySetQuantities`` sent."""
    sent: dict[tuple[str, str], int | None] = {}
    for digest, _ in world.shop.sandbox.idempotency.values():
        for q in json.loads(digest)["quantities"]:
            sent[(q["inventoryItemId"], q["locationId"])] = q["changeFromQuantity"]
    return sent


def test_a_stock_sync_leaves_no_level_in_the_connection(
        tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    world = start_world(tmp_path, store, monkeypatch=monkeypatch)
    try:
        world.run("products")
        opened = clients_opened(monkeypatch)
        assert {"GET sync/Inventory/ItemWarehouses": 1, "shopify": 1 + 1} == calls_of(world, "stock")
        written = sum(1 for level in world.shop.sandbox.store.levels.values() if level["available"])
        assert 27 == written
        assert opened, "the stock run opened a Shopify connection"
        for client in opened:  # the shop's locations and learnt costs, nothing per level
            assert all(size < written for size in containers(client).values()), containers(client)
    finally:
        world.exact.stop()
        world.shop.stop()


def test_a_fresh_process_compares_with_the_quantity_the_last_run_wrote(
        tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    world = start_world(tmp_path, store, monkeypatch=monkeypatch)
    try:
        world.run("products")
        world.run("stock")
        shop, erp = world.shop.sandbox.store, world.exact.sandbox
        code = sorted(str(i["Code"]) for i in erp.tables["Items"].values() if i.get("FreeTextField_01"))[0]
        variant = next(v for v in shop.variants.values() if v["sku"] == code.strip())
        level_key = (variant["inventory_item_id"], next(iter(shop.locations)))  # Exact's warehouse 1
        last_written = shop.levels[level_key]["available"]
        erp.set_stock(code, "1", float(last_written) + 5)

        # another installation's process: its own Services and Store over the same database
        fresh_store = Store(store.url)
        try:
            fresh = Services.open(load_project(world.project_path, environ=ENVIRON), fresh_store)
            world.shop.sandbox.idempotency.clear()
            world.reset_calls()
            result = fresh.run_flow("stock")
            assert "succeeded" == result.status, result.error
            # one write, no read: the quantity it replaces came from the store, and Shopify agreed
            assert 1 == world.calls(world.shop).get("POST /admin/api/2026-07/graphql.json", 0)
            assert [last_written] == list(sent_change_from(world).values())
            assert last_written + 5 == shop.levels[level_key]["available"]
        finally:
            fresh_store.dispose()
    finally:
        world.exact.stop()
        world.shop.stop()
