"""Records a target held before tradewind are found, not created again, and a natural key matching
several of them fails the record naming them all, end to end over loopback (on SQLite and PostgreSQL).

The shop is filled the way a merchant's is: the ERP's products, created by an earlier installation
whose bindings are gone (a scratch store), then renamed in the shop (other handles) — or one SKU also
put on a second product, which Shopify allows.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from tests.e2e.slice import ENVIRON, World, start_world
from tradewind.connectors.base import Refs
from tradewind.connectors.shopify import Shopify, ShopifyOptions
from tradewind.engine.project import load_project
from tradewind.engine.services import Services
from tradewind.model import Money, Product, Variant
from tradewind.sandboxes import exact_online
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.exact_online_data import catalogue, service_items
from tradewind.sandboxes.project import sandbox_project
from tradewind.sandboxes.shopify_data import random_order
from tradewind.store.db import Store
from tradewind.store.runs import list_transfers


@pytest.fixture
def world(tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    w = start_world(tmp_path, store, monkeypatch=monkeypatch)
    yield w
    w.exact.stop()
    w.shop.stop()


def fill_the_shop(world: World, tmp_path: Path) -> dict[int, dict[str, Any]]:
    """The ERP's products in the shop, synced by an earlier installation: from a twin of the world's
    ERP (same catalogue; Exact rotates refresh tokens, so the world's own would be spent) into a
    store thrown away afterwards. Returns the shop's products."""
    seed = catalogue(products=12, customers=5, seed=11)  # start_world's catalogue
    seed["items"].extend(service_items())
    scratch = Store(f"sqlite:///{tmp_path}/scratch.db")
    scratch.upgrade()
    path = tmp_path / "earlier.yaml"
    with Served(exact_online.create_app(seed=seed, minutely_limit=None, daily_limit=None)) as twin:
        path.write_text(sandbox_project(twin.url, world.shop.url, prefix="E2E", retry_backoff="1s"))
        try:
            run = Services.open(load_project(path, environ=ENVIRON), scratch).run_flow("products")
        finally:
            scratch.dispose()
    assert "succeeded" == run.status and run.counts["created"] > 1, run
    return dict(world.shop.sandbox.store.products)


def merchants_copy(world: World, sku: str) -> int:
    """A second product holding ``sku``, made through the Admin API as a merchant would (Shopify
    allows a SKU on several variants); its number."""
    options = ShopifyOptions(shop="e2e.myshopify.com", base_url=world.shop.url, token="${E2E_SHOPIFY_TOKEN}")
    shopify = Shopify(options, environ=ENVIRON)
    products = shopify.resource("products")
    assert products.encode is not None
    copy = Product(key="A merchant's copy", title="Copy", variants=[Variant(sku=sku, price=Money.of("1", "EUR"))])
    created = products.create(shopify.client, products.encode(copy, cast(Refs, None)))
    shopify.close()
    return int(created.id.rsplit("/", 1)[-1])


def gid(number: int) -> str:
    return f"gid://shopify/Product/{number}"


def test_products_under_other_handles_are_bound_not_created(world: World, store: Store, tmp_path: Path) -> None:
    shop = world.shop.sandbox
    products = fill_the_shop(world, tmp_path)
    with shop.lock:
        for product in products.values():
            product["handle"] = f"legacy-{product['handle']}"
            shop.store.put("products", product)
    world.reset_calls()
    run = world.run("products")
    assert "succeeded" == run.status, run
    assert 0 == run.counts.get("created", 0) and 0 == run.counts.get("failed", 0)
    assert set(products) == set(shop.store.products), "a product was created again"
    with store.begin() as conn:
        transfers = list_transfers(conn, run.run_id)
    bound = {t.target_id for t in transfers if t.target_id}
    assert {gid(n) for n in products} == bound


def test_a_sku_on_two_shop_products_fails_that_product_naming_both(world: World, store: Store,
                                                                      tmp_path: Path) -> None:
    shop = world.shop.sandbox
    products = fill_the_shop(world, tmp_path)
    first = min(products)
    sku = shop.store.product_variants(first)[0]["sku"]
    copy = merchants_copy(world, sku)
    run = world.run("products")
    assert 0 == run.counts.get("created", 0) and 1 == run.counts.get("failed", 0), run
    assert set(products) | {copy} == set(shop.store.products)
    with store.begin() as conn:
        failed = list_transfers(conn, run.run_id, outcome="failed")
    assert 1 == len(failed)
    reason = failed[0].reason or ""
    assert "several" in reason and gid(first) in reason and gid(copy) in reason, reason


def test_an_order_whose_email_is_on_two_erp_accounts_fails_naming_both(tmp_path: Path, store: Store,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    email = "twice@example.com"
    accounts = [{"ID": str(uuid.UUID(int=9000 + n)), "Code": f"90{n}", "Name": f"Twice {n}", "Email": email,
                 "IsSales": True, "Status": "C"} for n in (1, 2)]
    world = start_world(tmp_path, store, exact_extra={"accounts": accounts}, monkeypatch=monkeypatch)
    try:
        assert "succeeded" == world.run("products").status
        order = random_order(world.shop.sandbox, rng=random.Random(5))
        order.update(email=email, customer=None, financial_status="paid")
        world.shop.sandbox.add_order(order)
        run = world.run("orders")
        assert 1 == run.counts.get("failed", 0) and 0 == run.counts.get("created", 0), run
        assert [] == world.exact_orders()
        with store.begin() as conn:
            reason = list_transfers(conn, run.run_id, outcome="failed")[0].reason or ""
        assert "several" in reason and all(a["ID"] in reason for a in accounts), reason
    finally:
        world.exact.stop()
        world.shop.stop()
