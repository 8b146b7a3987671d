"""``tradewind mapping preview`` takes a record exactly as the vendor's API answers it.

The records are read from the sandboxes over loopback with plain HTTP, the way a user copies them
from the vendor's API (an Exact Online REST answer, a Shopify GraphQL answer), never through the
connector, and written to a file as they came.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console
from typer.testing import CliRunner

from tests.e2e.slice import ENVIRON, World, start_world
from tradewind import cli
from tradewind.cli import app
from tradewind.connectors.exact_online import codec as exact_codec
from tradewind.connectors.shopify import queries
from tradewind.connectors.shopify.connector import ShopifyOptions
from tradewind.store.db import Store


@pytest.fixture
def world(tmp_path: Path, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setattr(cli, "console", Console(width=240))
    w = start_world(tmp_path, sqlite_store, monkeypatch=monkeypatch)
    monkeypatch.setenv("TRADEWIND_DATABASE_URL", sqlite_store.url)
    monkeypatch.setenv("TRADEWIND_PROJECT", str(w.project_path))
    yield w
    w.exact.stop()
    w.shop.stop()


def exact_answer(world: World, path: str, **params: str) -> dict[str, Any]:
    """GET an Exact Online endpoint as any API client would: a token, then the OData answer as is."""
    token = httpx.post(f"{world.exact.url}/api/oauth2/token", data={
        "grant_type": "refresh_token", "client_id": "demo-client",
        "client_secret": ENVIRON["E2E_EXACT_CLIENT_SECRET"], "refresh_token": ENVIRON["E2E_EXACT_REFRESH_TOKEN"],
    })
    token.raise_for_status()
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}", "Accept": "application/json"}
    answer = httpx.get(f"{world.exact.url}/api/v1/123456/{path}", params=params, headers=bearer)
    answer.raise_for_status()
    body: dict[str, Any] = answer.json()
    return body


def shopify_answer(world: World, document: str, **variables: Any) -> dict[str, Any]:
    version = ShopifyOptions.model_fields["api_version"].default
    answer = httpx.post(f"{world.shop.url}/admin/api/{version}/graphql.json",
                        json={"query": document, "variables": variables},
                        headers={"X-Shopify-Access-Token": ENVIRON["E2E_SHOPIFY_TOKEN"]})
    answer.raise_for_status()
    body: dict[str, Any] = answer.json()
    assert "errors" not in body, body
    return body


def preview(tmp_path: Path, flow: str, record: Any) -> tuple[int, str]:
    path = tmp_path / f"{flow}.json"
    path.write_text(json.dumps(record, indent=2))
    result = CliRunner().invoke(app, ["mapping", "preview", flow, "--record", str(path)])
    return result.exit_code, result.output


def mapped(out: str) -> dict[str, Any]:
    """The JSON the preview prints first (the mapped record), without the change lines after it."""
    start = out.index("{")
    record, _ = json.JSONDecoder().raw_decode(out[start:])
    assert isinstance(record, dict)
    return record


def model_items(world: World) -> dict[str, Any]:
    """Exact's whole answer for the Items of one model (sizes of one shirt), ``__metadata`` and all."""
    model = next(i["FreeTextField_01"] for i in world.exact.sandbox.dump()["items"] if i.get("FreeTextField_01"))
    fields = ",".join([*(f for f in exact_codec.ITEM_FIELDS if f != "Timestamp"), "FreeTextField_01",
                       "FreeTextField_02", "FreeTextField_03"])  # what the connector reads (bulk: no Timestamp)
    return exact_answer(world, "bulk/Logistics/Items", **{"$select": fields,
                                                          "$filter": f"FreeTextField_01 eq '{model}'"})


def test_exact_items_as_the_rest_api_answers_them_preview_as_one_product(world: World, tmp_path: Path) -> None:
    answer = model_items(world)
    rows = answer["d"]["results"]
    assert len(rows) > 1 and all("__metadata" in row for row in rows)  # the vendor's own shape
    calls = world.calls(world.exact), world.calls(world.shop)
    code, out = preview(tmp_path, "products", answer)
    assert 0 == code, out
    product = mapped(out)
    assert sorted(r["Code"].strip() for r in rows) == sorted(v["sku"] for v in product["variants"])
    assert rows[0]["FreeTextField_01"].strip().lower() in product["handle"]
    assert calls == (world.calls(world.exact), world.calls(world.shop))  # nobody called

    code, out = preview(tmp_path, "products", rows[0])  # one row alone, as one item of the answer
    assert 0 == code, out
    assert [rows[0]["Code"].strip()] == [v["sku"] for v in mapped(out)["variants"]]


def test_items_of_two_products_are_refused_by_name(world: World, tmp_path: Path) -> None:
    items = [i for i in world.exact.sandbox.dump()["items"] if i.get("FreeTextField_01")]
    other = next(i for i in items if i["FreeTextField_01"] != items[0]["FreeTextField_01"])
    code, out = preview(tmp_path, "products", [items[0], other])
    assert 1 == code and "give the Items rows of one product; these make 2" in out, out


def test_a_shopify_order_as_the_graphql_api_answers_it_previews_as_a_sales_order(world: World,
                                                                                   tmp_path: Path) -> None:
    assert "succeeded" == world.run("products").status  # orders need the shop's products
    world.add_orders(1, seed=7)
    answer = shopify_answer(world, queries.ORDERS, first=1)
    node = answer["data"]["orders"]["nodes"][0]
    for record in (node, answer):  # the node, or the whole answer to the query
        code, out = preview(tmp_path, "orders", record)
        assert 0 == code, out
        order = mapped(out)
        assert node["name"] == order["YourRef"]
        skus = {line["sku"] for line in node["lineItems"]["nodes"] if line.get("sku")}
        assert skus and all(f"sku={sku}" in out for sku in skus), out  # items as placeholders: nobody called


def test_a_snapshot_in_the_assembled_shape_previews_the_same(world: World, tmp_path: Path) -> None:
    """The shape ``pages`` assembles (an Exact product's ``{"Code", "Items"}``, as a detail snapshot
    keeps it) still previews the same as the vendor's answer it came from."""
    rows = model_items(world)["d"]["results"]
    _, from_api = preview(tmp_path, "products", rows)
    assembled = {"Code": rows[0]["FreeTextField_01"], "Items": [{k: v for k, v in r.items() if k != "__metadata"}
                                                                for r in rows]}
    _, from_snapshot = preview(tmp_path, "products", assembled)
    assert mapped(from_api) == mapped(from_snapshot)


def test_a_customer_price_row_names_its_account_by_a_placeholder(world: World) -> None:
    """Exact's price row names the account by ID; the connector reads its code from Accounts, which a
    record given by hand cannot: the price list shows as a placeholder, as references do."""
    from tradewind.connectors.exact_online.connector import ExactOnline

    answer = exact_answer(world, "logistics/SalesItemPrices", **{
        "$select": ",".join(f for f in exact_codec.PRICE_FIELDS if f != "Timestamp"), "$filter": "Price gt 0"})
    row = answer["d"]["results"][0]
    options = world.services.flow("prices").source.options
    resource = ExactOnline(options).resource("prices")
    assert "__metadata" in row
    general = resource.decode(resource.from_api(row, options))
    assert ("default", row["ItemCode"].strip()) == (general.price_list, general.sku)
    account = "5f3e2b1a-0c4d-4e8f-9a7b-1c2d3e4f5a6b"
    price = resource.decode(resource.from_api({**row, "Account": account}, options))
    assert f"<account {account}>" == price.price_list == price.customer_reference
