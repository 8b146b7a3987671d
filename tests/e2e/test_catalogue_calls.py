"""Every call counts: a full sync of a small fixed catalogue makes exactly the fewest calls its flows
need, counted by the sandboxes (``/_sandbox/calls``), and an incremental one after a change makes
exactly the calls that change needs. Counts, never timings (bench/ measures those).

The catalogue (``start_world``: 12 models, seed 11): 29 stock items plus 2 service items (SHIP,
DISC, filtered out), 29 sales prices, 58 item-warehouse rows of which 29 in warehouse 1.
"""

from __future__ import annotations

import random
import uuid
from pathlib import Path

import pytest

from tests.e2e.slice import World, start_world
from tradewind.sandboxes import exact_online
from tradewind.store import bindings
from tradewind.store.db import Store

GRAPHQL = "POST /admin/api/2026-07/graphql.json"


def calls_of(world: World, flow: str) -> dict[str, int]:
    """One flow's run: its Exact calls by route and its Shopify GraphQL calls."""
    world.reset_calls()
    result = world.run(flow)
    assert "succeeded" == result.status, result.error
    exact = {route.replace("/api/v1/123456/", ""): n for route, n in world.calls(world.exact).items()}
    return {**exact, "shopify": world.calls(world.shop).get(GRAPHQL, 0)}


def test_a_full_sync_makes_the_minimal_calls_then_one_change_costs_its_own(
        tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    world = start_world(tmp_path, store, monkeypatch=monkeypatch)
    try:
        # products: a token, one sync page of 31 items (no model read twice); one search of the 29 SKUs
        # and 12 handles (41 terms ≤ 50), one productSet per product
        assert {"POST /api/oauth2/token": 1, "GET sync/Logistics/Items": 1, "shopify": 1 + 12} == \
            calls_of(world, "products")
        # prices: one sync page; in the shop nothing — productSet answered with the variants and wrote
        # these very prices, so none is searched and none written again
        assert {"GET sync/Logistics/SalesItemPrices": 1, "shopify": 0} == calls_of(world, "prices")
        # stock: one sync page of 58 rows; the locations, and one inventorySetQuantities for the 27
        # non-zero levels of warehouse 1 (new variants stand at 0: compared without a read)
        assert {"GET sync/Inventory/ItemWarehouses": 1, "shopify": 1 + 1} == calls_of(world, "stock")
        shop = world.shop.sandbox
        assert 12 == len(shop.store.products)
        assert 27 == sum(1 for level in shop.store.levels.values() if level["available"])

        changed = change_one_product(world)
        # the changed model's other items (one bulk read), one productSet by its bound id
        assert {"GET sync/Logistics/Items": 1, "GET bulk/Logistics/Items": 1, "shopify": 1} == \
            calls_of(world, "products")
        # the new price went out with the product: not written twice
        assert {"GET sync/Logistics/SalesItemPrices": 1, "shopify": 0} == calls_of(world, "prices")
        # one write, compared with the quantity last written (no read, no locations)
        assert {"GET sync/Inventory/ItemWarehouses": 1, "shopify": 1} == calls_of(world, "stock")
        variant = next(v for v in shop.store.variants.values() if v["sku"] == changed)
        assert "77.70" == variant["price"]
        assert 99 == shop.store.levels[(variant["inventory_item_id"], next(iter(shop.store.locations)))]["available"]
    finally:
        world.exact.stop()
        world.shop.stop()


def change_one_product(world: World) -> str:
    """One item of a model gets a new description and price (item and price row) and new stock; its SKU."""
    sandbox = world.exact.sandbox
    item = sorted((i for i in sandbox.tables["Items"].values() if i.get("FreeTextField_01")),
                  key=lambda i: str(i["Code"]))[0]
    sandbox.update_item(str(item["Code"]), ExtraDescription="Revised", StandardSalesPrice=77.70)
    for row in sandbox.lookup(exact_online.PRICES, "Item", item["ID"]):
        sandbox.update(exact_online.PRICES, row["ID"], {"Price": 77.70}, trusted=True)
    sandbox.set_stock(str(item["Code"]), "1", 99.0)
    return str(item["Code"]).strip()


def test_a_write_by_a_told_id_that_fails_forgets_it(
        tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A variant deleted in the shop after productSet told its id: the price written by that id fails,
    naming the record, and what was told goes, so the retry searches by SKU instead."""
    world = start_world(tmp_path, store, monkeypatch=monkeypatch)
    try:
        assert "succeeded" == world.run("products").status
        shop, sandbox = world.shop.sandbox, world.exact.sandbox
        item = sorted(sandbox.tables["Items"].values(), key=lambda i: str(i["Code"]))[0]
        sku = str(item["Code"]).strip()
        variant = shop.store.variant_by_sku(sku)
        shop.store.remove("variants", variant["id"])
        shop.store.drop_item(variant["inventory_item_id"])
        for row in sandbox.lookup(exact_online.PRICES, "Item", item["ID"]):
            sandbox.update(exact_online.PRICES, row["ID"], {"Price": 12.34}, trusted=True)
        told = prebound(world, sku)
        assert told is not None and told[0].startswith(f"gid://shopify/ProductVariant/{variant['id']}|")

        world.reset_calls()
        result = world.run("prices")
        assert {"failed": 1, "skipped": 28} == {k: v for k, v in result.counts.items() if k in ("failed", "skipped")}
        # the other 28 prices adopted without a call; the one write by the told id, refused
        assert 1 == world.calls(world.shop).get(GRAPHQL, 0)
        assert prebound(world, sku) is None
    finally:
        world.exact.stop()
        world.shop.stop()


def prebound(world: World, sku: str) -> tuple[str, dict[str, object]] | None:
    with world.services.store.begin() as conn:
        return bindings.prebound(conn, "shop", "price", [f"sku={sku}"]).get(f"sku={sku}")


def wide_model(variants: int = 15) -> dict[str, list[dict[str, object]]]:
    """One model of ``variants`` items (sizes S01…), with a sales price and stock in both warehouses:
    more variants than a page of the shop's inline slices (10)."""
    rng = random.Random(14)
    items, prices, stock = [], [], []
    for n in range(1, variants + 1):
        item_id, code = str(uuid.UUID(int=rng.getrandbits(128))), f"WIDE-0001-BLK-S{n:02d}"
        items.append({
            "ID": item_id, "Code": code, "Description": f"Wide shirt black S{n:02d}", "ExtraDescription": "Wide",
            "IsSalesItem": True, "IsStockItem": True, "IsPurchaseItem": True, "IsWebshopItem": 1,
            "ItemGroupCode": "APPAREL", "Unit": "pc", "SalesVatCode": "2", "StandardSalesPrice": 30.0 + n,
            "FreeTextField_01": "WIDE-0001", "FreeTextField_02": "Black", "FreeTextField_03": f"S{n:02d}",
            "Created": "2024-01-01T00:00:00.000Z", "Modified": "2024-02-01T00:00:00.000Z"})
        prices.append({"ID": str(uuid.UUID(int=rng.getrandbits(128))), "Item": item_id, "ItemCode": code,
                       "Price": 30.0 + n, "Currency": "EUR", "Quantity": 0.0, "Unit": "pc",
                       "StartDate": "2024-01-01T00:00:00.000Z", "Modified": "2024-02-01T00:00:00.000Z"})
        stock.extend({"ID": str(uuid.UUID(int=rng.getrandbits(128))), "Item": item_id, "ItemCode": code,
                      "WarehouseCode": warehouse, "CurrentStock": float(n), "Modified": "2024-02-01T00:00:00.000Z"}
                     for warehouse in ("1", "2"))
    return {"items": items, "prices": prices, "stock": stock}


def test_every_variant_of_a_wide_product_is_bound_by_its_write(
        tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A product of 15 variants: ``productSet`` answers with all 15 (ids, prices, inventory items), so
    the prices and stock flows adopt every one of them and search the shop for none."""
    world = start_world(tmp_path, store, monkeypatch=monkeypatch, exact_extra=wide_model(15))
    try:
        # 44 SKUs and 13 handles: two searches; one productSet per product and no read of the rest
        assert {"POST /api/oauth2/token": 1, "GET sync/Logistics/Items": 1, "shopify": 2 + 13} == \
            calls_of(world, "products")
        shop = world.shop.sandbox
        wide = next(p for p in shop.store.products.values() if p["handle"] == "wide-0001")
        assert 15 == sum(1 for v in shop.store.variants.values() if v["product_id"] == wide["id"])
        # prices: none searched, none written (productSet wrote them); stock: the locations and one write
        assert {"GET sync/Logistics/SalesItemPrices": 1, "shopify": 0} == calls_of(world, "prices")
        assert {"GET sync/Inventory/ItemWarehouses": 1, "shopify": 1 + 1} == calls_of(world, "stock")
        levels = {v["sku"]: shop.store.levels[(v["inventory_item_id"], next(iter(shop.store.locations)))]["available"]
                  for v in shop.store.variants.values() if v["product_id"] == wide["id"]}
        assert {f"WIDE-0001-BLK-S{n:02d}": n for n in range(1, 16)} == levels
    finally:
        world.exact.stop()
        world.shop.stop()
